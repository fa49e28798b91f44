#include "rollrig/engine/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace rollrig::engine {

namespace fs = std::filesystem;

bool OutputFile::prepare(const std::string& path, bool overwrite, const std::string& what,
                         std::string* why) {
  m_path = path;
  m_overwrite = overwrite;
  if (path.empty()) {
    *why = what + " needs a file name.";
    return false;
  }
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  const fs::file_status lst = fs::symlink_status(path, ec);
  if (fs::is_directory(st)) {
    *why = path + " is a directory; " + what + " needs a file name, e.g. " +
           (fs::path(path) / (what == "--out" ? "session.csv" : "truth.json")).string() + ".";
    return false;
  }
  if (fs::exists(lst) && !overwrite) {
    *why = path + " already exists; choose another name or pass --force to overwrite it.";
    return false;
  }
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    m_fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (m_fd < 0) {
      *why = "cannot open " + path + ": " + std::strerror(errno) + ".";
      return false;
    }
    m_committed = true;
    return true;
  }
  m_target = path;
  if (fs::is_symlink(lst)) {
    const fs::path real = fs::canonical(path, ec);
    if (!ec) m_target = real.string();
  }
  m_tmp = m_target + ".tmp-" + std::to_string(::getpid());
  m_fd = ::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (m_fd < 0) {
    const int e = errno;
    *why = "cannot create " + path + ": " + std::strerror(e) +
           (e == ENOENT ? " (does the directory exist?)." : ".");
    m_tmp.clear();
    return false;
  }
  m_regular = true;
  return true;
}

bool OutputFile::write(const std::string& data, std::string* why) {
  size_t done = 0;
  int e = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      e = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (done == data.size()) {
    m_bytes += done;
    m_lines += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
    return true;
  }
  // Keep whole lines only: cut back to the last newline that reached the file.
  const size_t nl = data.rfind('\n', done == 0 ? std::string::npos : done - 1);
  const size_t keep = (done == 0 || nl == std::string::npos) ? 0 : nl + 1;
  if (keep < done && m_regular) {
    if (::ftruncate(m_fd, static_cast<off_t>(m_bytes + keep)) == 0) {
      ::lseek(m_fd, static_cast<off_t>(m_bytes + keep), SEEK_SET);
    }
  }
  m_bytes += keep;
  m_lines += static_cast<uint64_t>(std::count(data.begin(), data.begin() + keep, '\n'));
  std::string hint = ".";
  if (e == ENOSPC || e == EDQUOT) {
    hint = " (the disk is full; free some space and record again).";
  } else if (e == EFBIG) {
    hint = " (the file reached the size limit set for this process: ulimit -f).";
  }
  *why = "writing " + m_path + " failed: " + std::strerror(e) + hint;
  return false;
}

bool OutputFile::commit(std::string* why) {
  if (m_committed) return true;
  if (m_overwrite) {
    if (std::rename(m_tmp.c_str(), m_target.c_str()) != 0) {
      *why = "cannot replace " + m_path + ": " + std::strerror(errno) + "; the new data is in " +
             m_tmp + ".";
      return false;
    }
  } else if (::link(m_tmp.c_str(), m_target.c_str()) == 0) {
    ::unlink(m_tmp.c_str());
  } else {
    const int e = errno;
    std::error_code ec;
    // File systems without hard links (FAT): a plain rename where nothing is in the way.
    const bool no_links = e == EPERM || e == EOPNOTSUPP || e == ENOSYS;
    if (!no_links || fs::exists(fs::symlink_status(m_target, ec)) ||
        std::rename(m_tmp.c_str(), m_target.c_str()) != 0) {
      *why = (e == EEXIST ? m_path + " appeared while recording"
                          : "cannot create " + m_path + ": " + std::strerror(e)) +
             "; the new data is in " + m_tmp + ".";
      return false;
    }
  }
  m_committed = true;
  return true;
}

void OutputFile::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

void OutputFile::discard() {
  close();
  if (!m_committed && !m_tmp.empty()) ::unlink(m_tmp.c_str());
  m_tmp.clear();
}

}  // namespace rollrig::engine

#include "resident_memory.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace rollrig::gui {

namespace {

// "Private_Dirty:       12 kB" -> 12 * 1024 (the line starts with `key`), else -1.
long long fieldBytes(const std::string& line, const char* key) {
  const size_t n = std::strlen(key);
  if (line.compare(0, n, key) != 0) return -1;
  return std::atoll(line.c_str() + n) * 1024;
}

}  // namespace

std::vector<MappingRange> cleanReadOnlyMappings(const std::string& smaps_text,
                                                std::string_view path_part) {
  std::vector<MappingRange> out;
  std::istringstream in(smaps_text);
  std::string line;
  MappingRange cur;
  bool candidate = false;
  bool dirty = false;
  const auto finish = [&] {
    if (candidate && !dirty && cur.end > cur.begin) out.push_back(cur);
    candidate = false;
  };
  while (std::getline(in, line)) {
    unsigned long long a = 0, b = 0, offset = 0;
    char perms[5] = {};
    char dev[16] = {};
    unsigned long long inode = 0;
    int path_at = 0;
    // A mapping's header: "7f..-7f.. r-xp 00000000 fd:01 1234    /usr/lib/.../libLLVM-15.so.1"
    if (std::sscanf(line.c_str(), "%llx-%llx %4s %llx %15s %llu %n", &a, &b, perms, &offset, dev,
                    &inode, &path_at) == 6) {
      finish();
      cur = MappingRange{static_cast<uintptr_t>(a), static_cast<uintptr_t>(b), 0};
      const std::string_view path =
          path_at > 0 ? std::string_view(line).substr(static_cast<size_t>(path_at))
                      : std::string_view();
      candidate = inode != 0 && perms[1] != 'w' && !path_part.empty() &&
                  path.find(path_part) != std::string_view::npos;
      dirty = false;
      continue;
    }
    if (!candidate) continue;
    if (const long long v = fieldBytes(line, "Rss:"); v >= 0)
      cur.rss_bytes = static_cast<size_t>(v);
    if (fieldBytes(line, "Private_Dirty:") > 0 || fieldBytes(line, "Shared_Dirty:") > 0 ||
        fieldBytes(line, "Anonymous:") > 0)
      dirty = true;
  }
  finish();
  return out;
}

ReleasedPages releaseCleanLibraryPages(std::string_view path_part) {
  ReleasedPages r;
#ifdef __linux__
  std::ifstream in("/proc/self/smaps");
  if (!in) {
    r.error = "cannot read /proc/self/smaps";
    return r;
  }
  std::stringstream text;
  text << in.rdbuf();
  for (const MappingRange& m : cleanReadOnlyMappings(text.str(), path_part)) {
    if (madvise(reinterpret_cast<void*>(m.begin), m.end - m.begin, MADV_DONTNEED) != 0) {
      r.error = std::string("madvise(MADV_DONTNEED): ") + std::strerror(errno);
      continue;
    }
    ++r.mappings;
    r.rss_bytes += m.rss_bytes;
  }
#else
  (void)path_part;
  r.error = "not supported on this system";
#endif
  return r;
}

}  // namespace rollrig::gui

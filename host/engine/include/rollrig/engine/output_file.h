// OutputFile: a file rollrig writes (a session CSV, the ground truth of a demo), made so that
// nothing the user already has is lost:
// - prepare() creates it under a temporary name beside the target (TARGET.tmp-PID) before the
//   port is even opened, so a directory that cannot take it fails at once, and nothing else is
//   touched;
// - commit() gives it its name once there is data for it: with `overwrite` a rename replaces the
//   old file in one step; without, link() refuses to replace a file that appeared meanwhile. A
//   session that fails to start or records no sample never commits, and discard() removes the
//   temporary file;
// - write() uses write(2) in whole batches of whole lines. When it fails (disk full, file-size
//   limit) the file is cut back to its last whole line, so every line on disk is complete and
//   lines() counts exactly what is there.
// A target that exists but is not a regular file (/dev/null, /dev/full, a FIFO) holds nothing to
// keep: with `overwrite` it is opened directly. Symlinks are followed: the file they point at is
// replaced, the link stays.
//
// Errors are values: every function that can fail returns false with a complete message in *why.
// Not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <string>

namespace rollrig::engine {

class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() { close(); }

  // `what` names the option in messages ("--out", "--truth").
  bool prepare(const std::string& path, bool overwrite, const std::string& what, std::string* why);
  bool write(const std::string& data, std::string* why);
  // Gives the file its name (see above). On failure the data stays in tmpPath().
  bool commit(std::string* why);
  void close();
  // Removes the temporary file of a session that never committed (nothing recorded).
  void discard();

  bool committed() const { return m_committed; }
  bool regular() const { return m_regular; }  // a sidecar belongs beside it
  uint64_t lines() const { return m_lines; }  // whole lines on disk
  const std::string& tmpPath() const { return m_tmp; }

 private:
  std::string m_path, m_target, m_tmp;
  bool m_overwrite = false;
  bool m_regular = false;
  bool m_committed = false;
  int m_fd = -1;
  uint64_t m_bytes = 0;
  uint64_t m_lines = 0;
};

}  // namespace rollrig::engine

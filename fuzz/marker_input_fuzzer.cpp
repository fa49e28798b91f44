// Fuzz target: `rollrig record`'s markers from a pipe or a file (host/cli marker_input.h): the
// script form, one marker per line. The input is what arrives on stdin; it goes through a real
// pipe into MarkerInput, as when a script pipes markers into the recorder.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - one command per line that is not blank and not a comment (a '#' first), in order, whether or
//    not the last line ends with a newline; lines are cut at 4096 bytes;
//  - each command is what parseMarkerLine makes of its line, and makes sense: pain 0..10, a side
//    left or right, a note with text (trimmed), an invalid line kept whole (trimmed) for the
//    message, "released" only for that word alone.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "marker_input.h"

using rollrig::cli::MarkerCommand;

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

void checkCommand(const MarkerCommand& c, const std::string& line) {
  const std::string t = trim(line);
  switch (c.kind) {
    case MarkerCommand::Kind::kReleased:
      FUZZ_CHECK(t == "released", "\"%s\" read as released", t.c_str());
      break;
    case MarkerCommand::Kind::kPain:
      FUZZ_CHECK(c.pain >= 0 && c.pain <= 10 && t.rfind("pain", 0) == 0, "\"%s\" read as pain %d",
                 t.c_str(), c.pain);
      break;
    case MarkerCommand::Kind::kSide:
      FUZZ_CHECK((c.side == rollrig::core::Side::kLeft || c.side == rollrig::core::Side::kRight) &&
                     t.rfind("side", 0) == 0,
                 "\"%s\" read as a side", t.c_str());
      break;
    case MarkerCommand::Kind::kNote:
      FUZZ_CHECK(!c.text.empty() && c.text == trim(c.text) && t.rfind("note", 0) == 0 &&
                     t.size() > c.text.size() &&
                     t.compare(t.size() - c.text.size(), c.text.size(), c.text) == 0,
                 "\"%s\" read as the note \"%s\"", t.c_str(), c.text.c_str());
      break;
    case MarkerCommand::Kind::kInvalid:
      FUZZ_CHECK(c.text == t, "invalid line \"%s\" kept as \"%s\"", t.c_str(), c.text.c_str());
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 60000) return 0;  // stays within a pipe's buffer: written whole before reading
  int fds[2];
  FUZZ_CHECK(pipe(fds) == 0, "pipe() failed");
  size_t off = 0;
  while (off < size) {
    const ssize_t n = write(fds[1], data + off, size - off);
    FUZZ_CHECK(n > 0, "write() to the pipe failed");
    off += static_cast<size_t>(n);
  }
  close(fds[1]);
  std::vector<MarkerCommand> got;
  {
    rollrig::cli::MarkerInput in(fds[0]);
    FUZZ_CHECK(!in.terminal(), "a pipe taken for a terminal");
    for (int i = 0; i < 1000; ++i) {
      std::vector<MarkerCommand> more = in.poll();
      got.insert(got.end(), more.begin(), more.end());
      if (more.empty() && i > 2) break;
    }
  }
  close(fds[0]);

  // The lines, as the documented rules say.
  std::vector<std::string> lines;
  std::string cur;
  bool open = false;
  for (size_t i = 0; i < size; ++i) {
    const char ch = static_cast<char>(data[i]);
    if (ch == '\n') {
      lines.push_back(cur);
      cur.clear();
      open = false;
    } else {
      if (cur.size() < 4096) cur += ch;
      open = true;
    }
  }
  if (open) lines.push_back(cur);
  std::vector<std::string> wanted;
  for (const std::string& l : lines) {
    const std::string t = trim(l);
    if (!t.empty() && t[0] != '#') wanted.push_back(l);
  }
  FUZZ_CHECK(got.size() == wanted.size(), "%zu markers read from %zu marker lines", got.size(),
             wanted.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const MarkerCommand want = rollrig::cli::parseMarkerLine(wanted[i]);
    FUZZ_CHECK(got[i].kind == want.kind && got[i].text == want.text && got[i].pain == want.pain &&
                   got[i].side == want.side,
               "marker %zu differs from its line \"%s\"", i, wanted[i].c_str());
    checkCommand(got[i], wanted[i]);
  }
  return 0;
}

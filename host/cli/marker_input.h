// The user's markers from the keyboard (or a script) while `rollrig record` runs: the CLI's
// counterpart of the GUI's buttons, so everything the GUI can mark, the CLI can too.
//
// On a terminal, single keys (no Enter), read without echo:
//   space          released (the trigger point let go)
//   0 .. 9, x      pain 0 .. 9, and x for 10
//   l / r          from now on the side being treated is left / right
//   n              a free note: type it, Enter keeps it, Esc drops it
// From a pipe or file, one marker per line (for scripts and tests):
//   released | pain N | side left|right | note TEXT
// Blank lines and lines starting with '#' are ignored; anything else is reported and skipped.
//
// poll() never blocks. The terminal's mode is restored by the destructor (and by restore()).
// Not thread-safe: the front end's loop owns it.
#pragma once

#include <termios.h>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"

namespace rollrig::cli {

struct MarkerCommand {
  enum class Kind { kReleased, kPain, kSide, kNote, kInvalid } kind = Kind::kInvalid;
  int pain = -1;
  core::Side side = core::Side::kUnknown;
  std::string text;  // kNote: the note; kInvalid: the line that was not understood
};

// One line of the script form; kInvalid for anything else (text = the line).
MarkerCommand parseMarkerLine(const std::string& line);

class MarkerInput {
 public:
  // Reads from `fd` (stdin): keys when it is a terminal, lines otherwise.
  explicit MarkerInput(int fd);
  ~MarkerInput();
  MarkerInput(const MarkerInput&) = delete;
  MarkerInput& operator=(const MarkerInput&) = delete;

  // What was entered since the last call (never blocks).
  std::vector<MarkerCommand> poll();
  bool terminal() const { return m_tty; }
  // A note being typed on the terminal ("" when none): for the status line.
  bool typingNote() const { return m_in_note; }
  const std::string& noteSoFar() const { return m_note; }
  void restore();  // the terminal's own mode again (idempotent)

 private:
  int m_fd;
  bool m_tty = false;
  bool m_saved = false;
  bool m_eof = false;
  termios m_old{};
  std::string m_line;  // script form: a line being read
  bool m_in_note = false;
  std::string m_note;
};

}  // namespace rollrig::cli

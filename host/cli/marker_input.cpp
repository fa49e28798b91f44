#include "marker_input.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace rollrig::cli {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

MarkerCommand parseMarkerLine(const std::string& raw) {
  MarkerCommand c;
  const std::string line = trim(raw);
  c.text = line;
  const size_t sp = line.find_first_of(" \t");
  const std::string word = line.substr(0, sp);
  const std::string rest = sp == std::string::npos ? std::string() : trim(line.substr(sp));
  if (word == "released" && rest.empty()) {
    c.kind = MarkerCommand::Kind::kReleased;
  } else if (word == "pain") {
    char* end = nullptr;
    const long v = std::strtol(rest.c_str(), &end, 10);
    if (!rest.empty() && end && *end == '\0' && v >= 0 && v <= 10) {
      c.kind = MarkerCommand::Kind::kPain;
      c.pain = static_cast<int>(v);
    }
  } else if (word == "side" && (rest == "left" || rest == "right")) {
    c.kind = MarkerCommand::Kind::kSide;
    c.side = rest == "left" ? core::Side::kLeft : core::Side::kRight;
  } else if (word == "note" && !rest.empty()) {
    c.kind = MarkerCommand::Kind::kNote;
    c.text = rest;
  }
  return c;
}

MarkerInput::MarkerInput(int fd) : m_fd(fd) {
  m_tty = isatty(fd) == 1;
  if (m_tty && tcgetattr(fd, &m_old) == 0) {
    termios raw = m_old;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    m_saved = tcsetattr(fd, TCSANOW, &raw) == 0;
  }
}

MarkerInput::~MarkerInput() {
  restore();
}

void MarkerInput::restore() {
  if (m_saved) tcsetattr(m_fd, TCSANOW, &m_old);
  m_saved = false;
}

std::vector<MarkerCommand> MarkerInput::poll() {
  std::vector<MarkerCommand> out;
  while (!m_eof) {
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) break;
    char buf[256];
    const ssize_t n = ::read(m_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) break;
    if (n <= 0) {
      m_eof = true;  // end of the script (or /dev/null): nothing more will come
      // The last line may lack its newline; it is read by the same rule as the others.
      const std::string t = trim(m_line);
      if (!m_tty && !t.empty() && t[0] != '#') out.push_back(parseMarkerLine(m_line));
      m_line.clear();
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      const char ch = buf[i];
      if (!m_tty) {
        if (ch == '\n') {
          const std::string t = trim(m_line);
          if (!t.empty() && t[0] != '#') out.push_back(parseMarkerLine(m_line));
          m_line.clear();
        } else if (m_line.size() < 4096) {
          m_line += ch;
        }
        continue;
      }
      if (m_in_note) {
        if (ch == '\n' || ch == '\r') {
          m_in_note = false;
          if (!trim(m_note).empty()) {
            MarkerCommand c;
            c.kind = MarkerCommand::Kind::kNote;
            c.text = trim(m_note);
            out.push_back(c);
          }
          m_note.clear();
        } else if (ch == 27) {  // Esc: drop the note
          m_in_note = false;
          m_note.clear();
        } else if (ch == 127 || ch == 8) {  // backspace (a whole UTF-8 character)
          while (!m_note.empty() && (static_cast<unsigned char>(m_note.back()) & 0xC0) == 0x80)
            m_note.pop_back();
          if (!m_note.empty()) m_note.pop_back();
        } else if (static_cast<unsigned char>(ch) >= 32 && m_note.size() < 1000) {
          m_note += ch;
        }
        continue;
      }
      MarkerCommand c;
      if (ch == ' ') {
        c.kind = MarkerCommand::Kind::kReleased;
      } else if (ch >= '0' && ch <= '9') {
        c.kind = MarkerCommand::Kind::kPain;
        c.pain = ch - '0';
      } else if (ch == 'x' || ch == 'X') {
        c.kind = MarkerCommand::Kind::kPain;
        c.pain = 10;
      } else if (ch == 'l' || ch == 'L' || ch == 'r' || ch == 'R') {
        c.kind = MarkerCommand::Kind::kSide;
        c.side = (ch == 'l' || ch == 'L') ? core::Side::kLeft : core::Side::kRight;
      } else if (ch == 'n' || ch == 'N') {
        m_in_note = true;
        m_note.clear();
        continue;
      } else {
        continue;  // other keys do nothing
      }
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace rollrig::cli

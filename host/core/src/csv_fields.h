// Private helpers shared by the core's CSV readers (analysis_csv.cpp, calibration.cpp). The
// formats they read never quote commas, so splitting on commas and trimming is all a reader
// needs; a full RFC 4180 parser (and a dependency for it) would add nothing.
#pragma once

#include <charconv>
#include <cstring>
#include <string>
#include <vector>

namespace rollrig::core::csv {

// Drops a UTF-8 byte-order mark and a trailing '\r' (files saved on Windows).
inline void normaliseLine(std::string& line, bool first_line) {
  if (first_line && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0)
    line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

// Splits on commas; each field loses surrounding spaces, tabs and double quotes.
inline void splitFields(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t c = line.find(',', start);
    const size_t end = c == std::string::npos ? line.size() : c;
    size_t a = start, b = end;
    auto trimmed = [](char ch) { return ch == ' ' || ch == '\t' || ch == '"' || ch == '\r'; };
    while (a < b && trimmed(line[a])) ++a;
    while (b > a && trimmed(line[b - 1])) --b;
    out.push_back(line.substr(a, b - a));
    if (c == std::string::npos) break;
    start = c + 1;
  }
}

// The whole field must be a number (a leading '+' allowed); locale-independent.
template <typename T>
bool parseNumber(const std::string& s, T* v) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, e, *v);
  return r.ec == std::errc() && r.ptr == e;
}

}  // namespace rollrig::core::csv

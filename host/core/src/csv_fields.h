// Private helpers shared by the core's CSV readers (analysis_csv.cpp, calibration.cpp,
// session_csv_reader.cpp, session_export.cpp). The
// formats they read never quote commas, so splitting on commas and trimming is all a reader
// needs; a full RFC 4180 parser (and a dependency for it) would add nothing.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/core/session_csv_reader.h"

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

// A field as a message may quote it: at most 40 characters, control bytes as \xNN.
inline std::string shown(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02X", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

// [SECTION] The raw form's columns (docs/CSV_FORMAT.md), for the readers of a recording's counts

// Appends cell0..3_raw_counts (required; integers in the HX711's 24-bit range); returns the index
// of the first.
inline int addRawCountsColumns(SessionCsvOptions& opt) {
  const int first = static_cast<int>(opt.columns.size());
  for (int i = 0; i < kCellCount; ++i)
    opt.columns.push_back({"cell" + std::to_string(i) + "_raw_counts", CsvValueKind::kInteger, true,
                           -8388608.0, 8388607.0});  // -0x800000 .. 0x7FFFFF
  return first;
}

// Appends seq, lost_before, flags and fresh_mask (optional); returns the index of the first.
inline int addDeviceColumns(SessionCsvOptions& opt) {
  const int first = static_cast<int>(opt.columns.size());
  opt.columns.push_back({"seq", CsvValueKind::kInteger, false, 0.0, 65535.0});
  opt.columns.push_back({"lost_before", CsvValueKind::kInteger, false, 0.0, 4294967295.0});
  opt.columns.push_back({"flags", CsvValueKind::kInteger, false, 0.0, 255.0});
  opt.columns.push_back({"fresh_mask", CsvValueKind::kInteger, false, 0.0, 255.0});
  return first;
}

// Row `r`'s device columns (addDeviceColumns' `first`) into `s`; an empty field keeps s's value.
inline void readDeviceColumns(const SessionCsvTable& t, size_t r, int first, Sample& s) {
  auto take = [&](int c, auto* field) {
    const double v = t.value(r, c);
    if (!std::isnan(v)) *field = static_cast<std::remove_pointer_t<decltype(field)>>(v);
  };
  take(first, &s.seq);
  take(first + 1, &s.lost_before);
  take(first + 2, &s.flags);
  take(first + 3, &s.fresh_mask);
}

}  // namespace rollrig::core::csv

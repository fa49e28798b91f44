#include "rollrig/core/analysis_csv.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace rollrig::core {

namespace {

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '"' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '"' || s[b - 1] == '\r')) --b;
  return s.substr(a, b - a);
}

// Splits on commas. The formats read here never quote commas, so a full RFC 4180 reader would
// add nothing; surrounding quotes and spaces are trimmed per field.
void split(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t c = line.find(',', start);
    out.push_back(trim(line.substr(start, c == std::string::npos ? std::string::npos : c - start)));
    if (c == std::string::npos) break;
    start = c + 1;
  }
}

bool parseDouble(const std::string& s, double* v) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, e, *v);
  return r.ec == std::errc() && r.ptr == e;
}

}  // namespace

AnalysisCsv readAnalysisCsv(std::istream& in) {
  AnalysisCsv out;
  std::string line;
  std::vector<std::string> f;
  size_t line_no = 0;
  int c_time = -1, c_force = -1, c_x = -1, c_y = -1, c_marker = -1;
  bool have_header = false;
  auto fail = [&](const std::string& msg) {
    out.ok = false;
    out.error_line = line_no;
    out.error = "line " + std::to_string(line_no) + ": " + msg;
    return out;
  };
  double last_t = 0;
  bool have_t = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0)
      line.erase(0, 3);
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    split(line, f);
    if (!have_header) {
      for (size_t i = 0; i < f.size(); ++i) {
        const std::string& h = f[i];
        if (h == "time_s")
          c_time = static_cast<int>(i);
        else if (h == "force_N")
          c_force = static_cast<int>(i);
        else if (h == "x_mm")
          c_x = static_cast<int>(i);
        else if (h == "y_mm")
          c_y = static_cast<int>(i);
        else if (h == "marker")
          c_marker = static_cast<int>(i);
      }
      if (c_time < 0 || c_force < 0) {
        return fail(std::string("the header has no ") + (c_time < 0 ? "time_s" : "force_N") +
                    " column (found: " + t.substr(0, 120) +
                    "); a session CSV needs time_s and force_N");
      }
      if ((c_x < 0) != (c_y < 0)) return fail("the header has only one of x_mm and y_mm");
      out.has_xy_columns = c_x >= 0;
      have_header = true;
      continue;
    }
    const int need = std::max({c_time, c_force, c_x, c_y});
    if (static_cast<int>(f.size()) <= need) {
      return fail("expected at least " + std::to_string(need + 1) + " fields, found " +
                  std::to_string(f.size()));
    }
    AnalysisSample s;
    if (!parseDouble(f[c_time], &s.t_s)) return fail("time_s is not a number: '" + f[c_time] + "'");
    if (!parseDouble(f[c_force], &s.force_n))
      return fail("force_N is not a number: '" + f[c_force] + "'");
    if (c_x >= 0 && !f[c_x].empty() && !f[c_y].empty()) {
      if (!parseDouble(f[c_x], &s.x_mm)) return fail("x_mm is not a number: '" + f[c_x] + "'");
      if (!parseDouble(f[c_y], &s.y_mm)) return fail("y_mm is not a number: '" + f[c_y] + "'");
      s.has_xy = true;
    }
    if (c_marker >= 0 && c_marker < static_cast<int>(f.size()) && f[c_marker] == "released")
      out.released_markers.push_back(s.t_s);
    if (have_t && !(s.t_s > last_t)) {
      if (out.warnings.size() < 100)
        out.warnings.push_back("line " + std::to_string(line_no) + ": time_s " + f[c_time] +
                               " does not increase; row skipped");
      continue;
    }
    have_t = true;
    last_t = s.t_s;
    out.samples.push_back(s);
  }
  if (!have_header) {
    line_no = std::max<size_t>(line_no, 1);
    return fail("the file is empty (no header row with time_s and force_N)");
  }
  out.ok = true;
  return out;
}

}  // namespace rollrig::core

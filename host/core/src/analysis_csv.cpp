#include "rollrig/core/analysis_csv.h"

#include "csv_fields.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace rollrig::core {

using csv::parseNumber;
using csv::splitFields;

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
    csv::normaliseLine(line, line_no == 1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    splitFields(line, f);
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
                    " column (found: " + line.substr(0, 120) +
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
    if (!parseNumber(f[c_time], &s.t_s)) return fail("time_s is not a number: '" + f[c_time] + "'");
    if (!parseNumber(f[c_force], &s.force_n))
      return fail("force_N is not a number: '" + f[c_force] + "'");
    if (c_x >= 0 && !f[c_x].empty() && !f[c_y].empty()) {
      if (!parseNumber(f[c_x], &s.x_mm)) return fail("x_mm is not a number: '" + f[c_x] + "'");
      if (!parseNumber(f[c_y], &s.y_mm)) return fail("y_mm is not a number: '" + f[c_y] + "'");
      s.has_xy = true;
    }
    if (c_marker >= 0 && c_marker < static_cast<int>(f.size())) {
      const std::string& m = f[c_marker];
      if (m == "released") out.released_markers.push_back(s.t_s);
      if (m == "side=left" || m == "side=right")
        out.side_markers.push_back({s.t_s, m == "side=left" ? Side::kLeft : Side::kRight});
    }
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

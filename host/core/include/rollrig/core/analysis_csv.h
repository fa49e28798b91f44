// Reading a session for analysis from CSV: the project's own session CSV (docs/CSV_FORMAT.md) or
// a minimal CSV from any source whose header names `time_s` and `force_N`, optionally `x_mm` and
// `y_mm` (and `marker`, where a row saying `released` marks the user's released cue and
// `side=left` / `side=right` the side being treated from that row on). Other
// columns are ignored; gaps in time are allowed. Pure: any std::istream in, samples out.
//
// Errors name the line: a missing required column, a row with too few fields, a value that is
// not a number. Rows whose time does not increase are skipped with a warning naming the line.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"

namespace rollrig::core {

struct AnalysisCsv {
  bool ok = false;
  std::string error;      // with the line number, when !ok
  size_t error_line = 0;  // 1-based
  std::vector<AnalysisSample> samples;
  std::vector<double> released_markers;  // times of `released` markers
  std::vector<SideMark> side_markers;    // `side=left` / `side=right` markers
  std::vector<std::string> warnings;     // each names its line
  bool has_xy_columns = false;
};

AnalysisCsv readAnalysisCsv(std::istream& in);

}  // namespace rollrig::core

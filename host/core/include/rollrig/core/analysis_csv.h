// Reading a session for analysis from CSV: the project's own session CSV (docs/CSV_FORMAT.md) or
// a minimal CSV from any source whose header names `time_s` and `force_N`, optionally `x_mm` and
// `y_mm` (and `marker`, where a row saying `released` marks the user's released cue and
// `side=left` / `side=right` the side being treated from that row on). Other
// columns are ignored; gaps in time are allowed. Pure: any std::istream in, samples out.
//
// The rules are the session CSV reader's (session_csv_reader.h), shared with calibrating from a
// recording: a row that cannot be used (a nan force, a cut-off row, a time out of order, ...) is
// skipped and counted by reason, and is a missing sample to the analysis, not the end of it.
// The x_mm/y_mm pair is optional per row: both empty means no position (the load was too small
// to place the ball). The file is refused, naming the line where one is at fault, when it has no
// header with time_s and force_N, no data rows, or fewer than half its rows usable.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_csv_reader.h"

namespace rollrig::core {

struct AnalysisCsv {
  bool ok = false;
  CsvErrorKind error_kind = CsvErrorKind::kNone;
  std::string error;      // a sentence, "line N: ..." when one line is at fault, when !ok
  size_t error_line = 0;  // 1-based; 0 when no single line is at fault
  std::vector<AnalysisSample> samples;
  std::vector<double> released_markers;  // times of `released` markers
  CsvRowCounts counts;                   // data rows, used rows, skipped rows by reason
  std::vector<std::string> warnings;     // the first skipped rows, each naming its line
  size_t warnings_omitted = 0;           // skipped rows beyond those warnings
  std::vector<SideMark> side_markers;    // `side=left` / `side=right` markers
  bool has_xy_columns = false;
};

AnalysisCsv readAnalysisCsv(std::istream& in);

}  // namespace rollrig::core

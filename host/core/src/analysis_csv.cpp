#include "rollrig/core/analysis_csv.h"

#include <cmath>

namespace rollrig::core {

namespace {
enum Col { kTime, kForce, kX, kY, kMarker };
}  // namespace

AnalysisCsv readAnalysisCsv(std::istream& in) {
  SessionCsvOptions opt;
  opt.columns = {{"time_s"},
                 {"force_N"},
                 {"x_mm", CsvValueKind::kNumber, false},
                 {"y_mm", CsvValueKind::kNumber, false},
                 {"marker", CsvValueKind::kText, false}};
  SessionCsvTable t = readSessionCsv(in, opt);
  AnalysisCsv out;
  if (!takeCsvOutcome(t, &out)) return out;
  if (t.hasColumn(kX) != t.hasColumn(kY)) {
    out.error_kind = CsvErrorKind::kMissingColumn;
    out.error_line = t.header_line;
    out.error = "line " + std::to_string(t.header_line) + ": the header has " +
                (t.hasColumn(kX) ? "x_mm but no y_mm" : "y_mm but no x_mm") +
                "; a position needs both (or neither)";
    return out;
  }
  out.has_xy_columns = t.hasColumn(kX);
  out.samples.reserve(t.rows());
  for (size_t r = 0; r < t.rows(); ++r) {
    AnalysisSample s;
    s.t_s = t.time(r);
    s.force_n = t.value(r, kForce);
    const double x = t.value(r, kX), y = t.value(r, kY);
    if (!std::isnan(x) && !std::isnan(y)) {
      s.has_xy = true;
      s.x_mm = x;
      s.y_mm = y;
    }
    out.samples.push_back(s);
  }
  for (const CsvText& m : t.texts) {
    if (m.column != kMarker) continue;
    if (m.text == "released") out.released_markers.push_back(m.t_s);
    if (m.text == "side=left" || m.text == "side=right")
      out.side_markers.push_back({m.t_s, m.text == "side=left" ? Side::kLeft : Side::kRight});
  }
  out.ok = true;
  return out;
}

}  // namespace rollrig::core

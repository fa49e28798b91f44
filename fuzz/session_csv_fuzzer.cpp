// Fuzz target: a session CSV as the CLI reads it: `rollrig analyze FILE` (readAnalysisCsv, then
// the session analysis) and `rollrig calibrate --from FILE` (readRawCountsCsv), both through the
// one session CSV reader (host/core session_csv_reader.h). The input is the file's bytes.
//
// Invariants, beyond "no crash, no sanitizer report, no exception":
//  - a refused file says why (a message and a kind); an accepted one accounts for every data row:
//    used + skipped by reason = data rows, and warnings + omitted = skipped rows (at most 10 kept);
//  - the samples are in strictly increasing time, with finite values (counts in the HX711's 24-bit
//    range, time >= 0 for raw counts);
//  - the analysis's holds lie inside the session, in order, each ending after it starts, with the
//    release (if any) inside it, finite forces and mean <= peak.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "rollrig/core/analysis_csv.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/session_analyzer.h"

namespace {

using namespace rollrig::core;

template <class Csv>
void checkOutcome(const Csv& csv, const char* what) {
  if (!csv.ok) {
    FUZZ_CHECK(!csv.error.empty() && csv.error_kind != CsvErrorKind::kNone,
               "%s refused a file without saying why", what);
    return;
  }
  FUZZ_CHECK(csv.error_kind == CsvErrorKind::kNone, "%s: ok with an error kind", what);
  const CsvRowCounts& c = csv.counts;
  FUZZ_CHECK(c.used_rows + c.skippedTotal() == c.data_rows,
             "%s: %zu used + %zu skipped != %zu rows", what, c.used_rows, c.skippedTotal(),
             c.data_rows);
  FUZZ_CHECK(csv.samples.size() == c.used_rows, "%s: %zu samples, %zu rows used", what,
             csv.samples.size(), c.used_rows);
  FUZZ_CHECK(c.used_rows > 0 && c.used_rows >= c.data_rows * kMinUsableFraction,
             "%s: accepted with %zu of %zu rows usable", what, c.used_rows, c.data_rows);
  FUZZ_CHECK(csv.warnings.size() <= 10, "%s: %zu warnings kept", what, csv.warnings.size());
  FUZZ_CHECK(csv.warnings.size() + csv.warnings_omitted == c.skippedTotal(),
             "%s: %zu warnings + %zu omitted for %zu skipped rows", what, csv.warnings.size(),
             csv.warnings_omitted, c.skippedTotal());
  if (c.skippedTotal() > 0) FUZZ_CHECK(!c.describeSkipped().empty(), "%s: no description", what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(text);
    const AnalysisCsv csv = readAnalysisCsv(in);
    checkOutcome(csv, "readAnalysisCsv");
    if (csv.ok) {
      for (size_t i = 0; i < csv.samples.size(); ++i) {
        const AnalysisSample& s = csv.samples[i];
        FUZZ_CHECK(std::isfinite(s.t_s) && std::isfinite(s.force_n), "sample %zu not finite", i);
        FUZZ_CHECK(!s.has_xy || (std::isfinite(s.x_mm) && std::isfinite(s.y_mm)),
                   "sample %zu: position not finite", i);
        if (i > 0)
          FUZZ_CHECK(s.t_s > csv.samples[i - 1].t_s, "sample %zu: time %g after %g", i, s.t_s,
                     csv.samples[i - 1].t_s);
      }
      const SessionAnalysis a = analyzeSession(
          csv.samples, SessionMarkers{csv.released_markers, csv.side_markers}, HoldParams{});
      const double t0 = csv.samples.front().t_s, t1 = csv.samples.back().t_s;
      double prev_end = -INFINITY;
      for (const Hold& h : a.holds) {
        FUZZ_CHECK(h.start_s >= t0 - 1e-9 && h.end_s <= t1 + 1e-9 && h.start_s <= h.end_s,
                   "hold %g..%g outside the session %g..%g or backwards", h.start_s, h.end_s, t0,
                   t1);
        FUZZ_CHECK(h.start_s >= prev_end - 1e-9, "hold at %g overlaps the one ending %g", h.start_s,
                   prev_end);
        prev_end = h.end_s;
        if (h.release_s)
          FUZZ_CHECK(*h.release_s >= h.start_s - 1e-9 && *h.release_s <= h.end_s + 1e-9,
                     "release %g outside its hold %g..%g", *h.release_s, h.start_s, h.end_s);
        FUZZ_CHECK(std::isfinite(h.mean_force_n) && std::isfinite(h.peak_force_n) &&
                       h.mean_force_n <= h.peak_force_n + 1e-6 * std::fabs(h.peak_force_n) + 1e-9,
                   "hold forces: mean %g, peak %g", h.mean_force_n, h.peak_force_n);
      }
    }
  }
  {
    std::istringstream in(text);
    const RawCountsCsv csv = readRawCountsCsv(in);
    checkOutcome(csv, "readRawCountsCsv");
    if (csv.ok) {
      for (size_t i = 0; i < csv.samples.size(); ++i) {
        const Sample& s = csv.samples[i];
        if (i > 0) FUZZ_CHECK(s.t_us >= csv.samples[i - 1].t_us, "raw sample %zu: time back", i);
        for (int c = 0; c < 4; ++c)
          FUZZ_CHECK(s.raw_counts[c] >= -0x800000 && s.raw_counts[c] <= 0x7FFFFF,
                     "raw sample %zu: count %d", i, s.raw_counts[c]);
      }
    }
  }
  return 0;
}

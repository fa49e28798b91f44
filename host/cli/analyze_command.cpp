// `rollrig analyze FILE.csv [--json]`: holds, releases and a session summary from a recording.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "exit_codes.h"
#include "input_file.h"
#include "rollrig/core/analysis_csv.h"
#include "rollrig/core/session_analyzer.h"
#include "steadiness_output.h"

namespace rollrig::cli {

namespace {

double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

// What became of the file's rows: read, used, skipped by reason (every reason, so scripts can
// rely on the keys).
void addRows(nlohmann::json& sum, const core::CsvRowCounts& c) {
  sum["rows"] = c.data_rows;
  sum["rows_used"] = c.used_rows;
  sum["rows_skipped"] = c.skippedTotal();
  nlohmann::json by = nlohmann::json::object();
  for (size_t r = 0; r < core::kSkippedRowKinds; ++r)
    by[core::skippedRowKey(static_cast<core::SkippedRow>(r))] = c.skipped[r];
  sum["rows_skipped_by_reason"] = by;
}

}  // namespace

nlohmann::json steadinessJson(const std::optional<core::HoldSteadiness>& st) {
  if (!st) return nullptr;
  return nlohmann::json{{"path_mm", round3(st->path_mm)},
                        {"mean_velocity_mm_s", round3(st->mean_velocity_mm_s)},
                        {"ml_range_mm", round3(st->ml_range_mm)},
                        {"ap_range_mm", round3(st->ap_range_mm)},
                        {"rms_mm", round3(st->rms_mm)},
                        {"ellipse95_mm2", round3(st->ellipse95_mm2)},
                        {"measured_s", round3(st->measured_s)}};
}

std::string steadinessLine(const std::optional<core::HoldSteadiness>& st) {
  if (!st) return "steady: none (no position)";
  char b[200];
  std::snprintf(b, sizeof(b),
                "steady: path %.1f mm / %.1f s = %.2f mm/s, ML %.1f AP %.1f mm, rms %.2f mm, "
                "ellipse95 %.1f mm2",
                st->path_mm, st->measured_s, st->mean_velocity_mm_s, st->ml_range_mm,
                st->ap_range_mm, st->rms_mm, st->ellipse95_mm2);
  return b;
}

namespace {

nlohmann::json toJson(const core::SessionAnalysis& a, bool has_xy) {
  nlohmann::json holds = nlohmann::json::array();
  for (const core::Hold& h : a.holds) {
    nlohmann::json j;
    j["start_s"] = round3(h.start_s);
    j["end_s"] = round3(h.end_s);
    j["release_s"] = h.release_s ? nlohmann::json(round3(*h.release_s)) : nlohmann::json(nullptr);
    j["mean_force_N"] = round3(h.mean_force_n);
    j["peak_force_N"] = round3(h.peak_force_n);
    j["x_mm"] = has_xy ? nlohmann::json(round3(h.x_mm)) : nlohmann::json(nullptr);
    j["y_mm"] = has_xy ? nlohmann::json(round3(h.y_mm)) : nlohmann::json(nullptr);
    j["duration_s"] = round3(h.duration_s());
    j["time_to_release_s"] =
        h.release_s ? nlohmann::json(round3(*h.release_s - h.start_s)) : nlohmann::json(nullptr);
    j["release_source"] = h.release_s ? nlohmann::json(h.release_source) : nlohmann::json(nullptr);
    j["side"] = core::sideName(h.side);
    j["side_source"] = core::sideSourceName(h.side_source);
    j["reached_protocol_min"] = h.reached_protocol_min;
    j["exceeded_protocol_max"] = h.exceeded_protocol_max;
    j["load_up_fraction"] = round3(h.step_fraction);
    j["tremor_ratio"] =
        h.tremor_ratio > 0 ? nlohmann::json(round3(h.tremor_ratio)) : nlohmann::json(nullptr);
    j["cv_before"] = round3(h.cv_before);
    j["cv_after"] = h.release_s ? nlohmann::json(round3(h.cv_after)) : nlohmann::json(nullptr);
    j["steadiness"] = steadinessJson(h.steadiness);
    holds.push_back(j);
  }
  const core::SessionSummary& s = a.summary;
  nlohmann::json sum;
  sum["start_s"] = round3(s.start_s);
  sum["end_s"] = round3(s.end_s);
  sum["duration_s"] = round3(s.end_s - s.start_s);
  sum["samples"] = s.samples;
  sum["sample_rate_Hz"] = round3(s.sample_rate_hz);
  sum["gaps"] = s.gaps;
  sum["holds"] = a.holds.size();
  sum["releases"] = s.releases;
  sum["hold_s"] = round3(s.hold_s);
  sum["loaded_s"] = round3(s.loaded_s);
  sum["loaded_left_s"] = has_xy ? nlohmann::json(round3(s.loaded_left_s)) : nlohmann::json(nullptr);
  sum["loaded_right_s"] =
      has_xy ? nlohmann::json(round3(s.loaded_right_s)) : nlohmann::json(nullptr);
  sum["rolling_s"] = round3(s.rolling_s);
  sum["roll_speed_median_mm_s"] =
      has_xy ? nlohmann::json(round3(s.roll_speed_median_mm_s)) : nlohmann::json(nullptr);
  sum["roll_speed_p90_mm_s"] =
      has_xy ? nlohmann::json(round3(s.roll_speed_p90_mm_s)) : nlohmann::json(nullptr);
  sum["roll_fast_share"] =
      has_xy ? nlohmann::json(round3(s.roll_fast_share)) : nlohmann::json(nullptr);
  sum["peak_force_N"] = round3(s.peak_force_n);
  return nlohmann::json{{"holds", holds}, {"summary", sum}};
}

void printTable(const std::string& path, const core::SessionAnalysis& a, bool has_xy,
                const core::HoldParams& p, const core::CsvRowCounts& rows) {
  const core::SessionSummary& s = a.summary;
  std::printf("%s: %.1f s, %llu samples at %.1f Hz, %zu holds, %zu released\n", path.c_str(),
              s.end_s - s.start_s, static_cast<unsigned long long>(s.samples), s.sample_rate_hz,
              a.holds.size(), s.releases);
  if (rows.skippedTotal()) {
    std::printf("%s: each is a missing sample\n", rows.describeSkipped().c_str());
  }
  std::printf("\n");
  if (!a.holds.empty()) {
    std::printf(
        "  #  side    start_s    end_s  dur_s  release_s (in)   mean_N  peak_N    x_mm    y_mm  "
        "protocol\n");
    int i = 0;
    for (const core::Hold& h : a.holds) {
      char rel[32] = "      -        ";
      if (h.release_s)
        std::snprintf(rel, sizeof(rel), "%9.1f (%4.1f)", *h.release_s, *h.release_s - h.start_s);
      const char* proto = h.exceeded_protocol_max  ? "over 90 s"
                          : h.release_s            ? "released"
                          : h.reached_protocol_min ? "held 30 s+"
                                                   : "short";
      char xy[32] = "      -       -";
      if (has_xy) std::snprintf(xy, sizeof(xy), "%7.0f %7.0f", h.x_mm, h.y_mm);
      // A side guessed from the plate half is marked with '?'.
      char side[16];
      std::snprintf(side, sizeof(side), "%s%s",
                    h.side == core::Side::kUnknown ? "-" : core::sideName(h.side),
                    h.side_source == core::SideSource::kPlateGuess ? "?" : "");
      std::printf("%3d  %-6s %8.1f %8.1f %6.1f %s %8.1f %7.1f %s  %s\n", ++i, side, h.start_s,
                  h.end_s, h.duration_s(), rel, h.mean_force_n, h.peak_force_n, xy, proto);
      std::printf("     %s\n", steadinessLine(h.steadiness).c_str());
    }
    for (const core::Hold& h : a.holds) {
      if (h.side_source != core::SideSource::kPlateGuess) continue;
      std::printf(
          "  side?: guessed from the plate half (give it with a side=left or side=right marker)\n");
      break;
    }
    std::printf("\n");
  }
  std::printf("under load %.0f s", s.loaded_s);
  if (has_xy) std::printf(" (left %.0f s, right %.0f s)", s.loaded_left_s, s.loaded_right_s);
  std::printf("; in holds %.0f s; peak %.0f N\n", s.hold_s, s.peak_force_n);
  if (has_xy && s.rolling_s > 0) {
    std::printf("rolling %.0f s: median %.0f mm/s, p90 %.0f mm/s, %.0f %% faster than %.0f mm/s\n",
                s.rolling_s, s.roll_speed_median_mm_s, s.roll_speed_p90_mm_s,
                100 * s.roll_fast_share, p.slow_roll_mm_s);
  }
  if (s.gaps) std::printf("%llu gaps in the data\n", static_cast<unsigned long long>(s.gaps));
}

// What to do about a file analyze refuses, after the reader's account of what is wrong.
std::string advice(core::CsvErrorKind kind) {
  switch (kind) {
    case core::CsvErrorKind::kEmpty:
    case core::CsvErrorKind::kNoRows:
      return "nothing to analyse (was the recording stopped at once?)";
    case core::CsvErrorKind::kNotText:
    case core::CsvErrorKind::kMissingColumn:
    case core::CsvErrorKind::kDuplicateColumn:
      return "analyze reads a CSV whose header names time_s and force_N (x_mm, y_mm optional), "
             "such as `rollrig record` writes (docs/CSV_FORMAT.md)";
    case core::CsvErrorKind::kMostlyUnusable:
      return "too little of the file can be read to analyse it; the first rows at fault:";
    case core::CsvErrorKind::kNotInTimeOrder:
      return "the first rows out of order:";
    case core::CsvErrorKind::kNone:
      break;
  }
  return "";
}

}  // namespace

void addAnalyzeCommand(CLI::App& app, AnalyzeOptions& opt) {
  auto* an = app.add_subcommand("analyze", "Find holds and releases in a recorded session (CSV)");
  an->add_option("file", opt.file,
                 "Session CSV: rollrig's own, or any with time_s and force_N (x_mm, y_mm optional)")
      ->required();
  an->add_flag("--json", opt.json, "Print one JSON object {holds: [...], summary: {...}}");
}

int runAnalyze(const AnalyzeOptions& opt) {
  const char* me = "rollrig analyze: ";
  std::ifstream in;
  std::string why;
  if (!openInputFile(opt.file, in, &why)) {
    std::cerr << me << why << "\n";
    return kExitInput;
  }
  core::AnalysisCsv csv = core::readAnalysisCsv(in);
  if (!csv.ok) {
    std::cerr << me << opt.file << ": " << csv.error << "; " << advice(csv.error_kind) << "\n";
    printSkippedRows(me, opt.file, csv.warnings, csv.warnings_omitted);
    return kExitInput;
  }
  printSkippedRows(me, opt.file, csv.warnings, csv.warnings_omitted);
  if (csv.counts.skippedTotal())
    std::cerr << me << opt.file << ": " << csv.counts.describeSkipped()
              << "; each is a missing sample (a gap in time)\n";
  const bool has_xy = csv.has_xy_columns;
  if (!has_xy) {
    std::cerr << "rollrig analyze: " << opt.file
              << " has no x_mm/y_mm: holds are taken as periods of sustained load\n";
  }
  const core::HoldParams params;
  const core::SessionAnalysis a = core::analyzeSession(
      csv.samples, core::SessionMarkers{csv.released_markers, csv.side_markers}, params);
  if (opt.json) {
    nlohmann::json j = toJson(a, has_xy);
    addRows(j["summary"], csv.counts);
    std::cout << j.dump(2) << "\n";
  } else {
    printTable(opt.file, a, has_xy, params, csv.counts);
  }
  return kExitOk;
}

}  // namespace rollrig::cli

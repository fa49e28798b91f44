// rollrig-eval: scores the hold and release analysis on labelled body-model sessions and prints
// the report kept in docs/ANALYSIS.md. Its numeric options are checked as rollrig's are
// (numeric_options.h): finite, in range, refused with the option and its range named (exit 2).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "numeric_options.h"
#include "rollrig/sim/evaluation.h"

namespace {
constexpr int kExitUsage = 2;  // a bad command line, as for rollrig (exit_codes.h)
}  // namespace

int main(int argc, char** argv) {
  using rollrig::cli::realRange;
  using rollrig::cli::wholeRange;
  CLI::App app{"rollrig-eval — hold and release detection scored on labelled simulated sessions"};
  rollrig::sim::EvalConfig cfg;
  cfg.sessions = 200;
  app.add_option("--sessions", cfg.sessions, "Number of sessions (default 200)")
      ->check(wholeRange(1, 100000));
  app.add_option("--first-seed", cfg.first_seed, "Seed of the first session (default 1000)")
      ->check(wholeRange(0, 4294967295ull));
  // Body-model sessions of a minute to a day (the body model plans its first day ahead).
  app.add_option("--min-duration", cfg.min_duration_s, "Shortest session, s (default 300)")
      ->check(realRange(60, 86400, "seconds", "60 to 86400", " (a day)"));
  app.add_option("--max-duration", cfg.max_duration_s, "Longest session, s (default 900)")
      ->check(realRange(60, 86400, "seconds", "60 to 86400", " (a day)"));
  app.add_option("--missing", cfg.missing_share,
                 "Share of time lost to missing samples (default 0.005)")
      ->check(realRange(0, 0.5, "", "0 to 0.5", " (a share of the session's time)"));
  // Real recordings come at 14-1000 Hz (issue 9); the rig streams at 80.
  app.add_option("--rate", cfg.rate_hz, "Sample rate of the recordings, Hz (default 80)")
      ->check(realRange(1, 1000, "Hz", "1 to 1000"));
  app.add_flag("--no-xy", cfg.drop_xy, "Force only, no ball position");
  app.add_option("--cop-noise", cfg.cop_noise_mm, "Extra Gaussian jitter on x/y, mm (default 0)")
      ->check(realRange(0, 100, "mm", "0 to 100"));
  app.add_option("--cop-wander", cfg.cop_wander_mm, "Extra slow wander on x/y, rms mm (default 0)")
      ->check(realRange(0, 100, "mm", "0 to 100"));
  app.add_option("--gain-error", cfg.calibration_error.gain_error,
                 "Per-cell calibration gain error, up to +- this fraction (default 0.02)")
      ->check(realRange(0, 0.5, "", "0 to 0.5", " (a fraction of the gain)"));
  app.add_option("--span-drift", cfg.calibration_error.span_drift_per_h,
                 "Per-cell span drift, up to +- this fraction per hour (default 0.005)")
      ->check(realRange(0, 0.5, "", "0 to 0.5", " (a fraction of the gain per hour)"));
  bool exact = false;
  app.add_flag("--exact-calibration", exact,
               "Analyse with the model's exact gains and offsets (no tare, no gain error)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (cfg.min_duration_s > cfg.max_duration_s) {
    std::cerr << "rollrig-eval: --min-duration " << cfg.min_duration_s
              << " is longer than --max-duration " << cfg.max_duration_s
              << "; give the shortest session first\n";
    return kExitUsage;
  }
  if (exact) cfg.calibration_error = rollrig::sim::CalibrationError::exact();
  const auto t0 = std::chrono::steady_clock::now();
  const rollrig::sim::EvalReport r = rollrig::sim::evaluate(cfg);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s(evaluated in %.1f s)\n", r.text().c_str(), s);
  return 0;
}

// rollrig-eval: scores the hold and release analysis on labelled body-model sessions and prints
// the report kept in docs/ANALYSIS.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "rollrig/sim/evaluation.h"

int main(int argc, char** argv) {
  CLI::App app{"rollrig-eval — hold and release detection scored on labelled simulated sessions"};
  rollrig::sim::EvalConfig cfg;
  cfg.sessions = 200;
  app.add_option("--sessions", cfg.sessions, "Number of sessions (default 200)");
  app.add_option("--first-seed", cfg.first_seed, "Seed of the first session (default 1000)");
  app.add_option("--min-duration", cfg.min_duration_s, "Shortest session, s (default 300)");
  app.add_option("--max-duration", cfg.max_duration_s, "Longest session, s (default 900)");
  app.add_option("--missing", cfg.missing_share,
                 "Share of time lost to missing samples (default 0.005)");
  app.add_option("--rate", cfg.rate_hz, "Sample rate of the recordings, Hz (default 80)");
  app.add_flag("--no-xy", cfg.drop_xy, "Force only, no ball position");
  app.add_option("--cop-noise", cfg.cop_noise_mm, "Extra Gaussian jitter on x/y, mm (default 0)");
  app.add_option("--cop-wander", cfg.cop_wander_mm, "Extra slow wander on x/y, rms mm (default 0)");
  app.add_option("--gain-error", cfg.calibration_error.gain_error,
                 "Per-cell calibration gain error, up to +- this fraction (default 0.02)");
  app.add_option("--span-drift", cfg.calibration_error.span_drift_per_h,
                 "Per-cell span drift, up to +- this fraction per hour (default 0.005)");
  bool exact = false;
  app.add_flag("--exact-calibration", exact,
               "Analyse with the model's exact gains and offsets (no tare, no gain error)");
  CLI11_PARSE(app, argc, argv);
  if (exact) cfg.calibration_error = rollrig::sim::CalibrationError::exact();
  const auto t0 = std::chrono::steady_clock::now();
  const rollrig::sim::EvalReport r = rollrig::sim::evaluate(cfg);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s(evaluated in %.1f s)\n", r.text().c_str(), s);
  return 0;
}

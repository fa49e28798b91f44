// Evaluation of the hold and release analysis on labelled sessions made with the body model.
//
// Each session: a seeded person (BodyModel) with sensor noise and drift, recorded through the
// same path as a real session (raw counts -> ForceModel with the rig's calibration -> force and
// CoP), optionally with stretches of missing samples; the model's Truth is the label.
// Matching: a detected hold matches the truth hold it overlaps most (one-to-one, greedy by
// overlap). A release is a hit when it is within hit_window_s of the true release of its
// matched hold; every other detected release is false. Pure and deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"
#include "rollrig/sim/body_model.h"

namespace rollrig::sim {

struct EvalConfig {
  uint64_t first_seed = 1000;
  int sessions = 40;
  double min_duration_s = 300;
  double max_duration_s = 900;
  double missing_share = 0.005;  // share of time lost in 0.1-2 s stretches (0: none)
  double hit_window_s = 5;
  double rate_hz = 80;      // sample rate of the recordings
  bool drop_xy = false;     // force only: no ball position (a minimal CSV without x/y)
  double cop_noise_mm = 0;  // extra Gaussian jitter on x/y (another rig, a softer plate)
  double cop_wander_mm =
      0;  // extra slow wander on x/y (a restless user), rms mm, ~2 s time constant
};

struct EvalReport {
  int sessions = 0;
  double hours = 0;
  size_t truth_holds = 0, detected_holds = 0, matched_holds = 0;
  double precision = 0, recall = 0, f1 = 0;
  double start_err_mean_s = 0, start_err_p90_s = 0;  // |detected - true|
  double end_err_mean_s = 0, end_err_p90_s = 0;
  size_t truth_releases = 0, detected_releases = 0, release_hits = 0, false_releases = 0;
  double release_hit_rate = 0;                           // hits / true releases
  double false_release_rate = 0;                         // false / detected releases
  double release_err_mean_s = 0, release_err_p90_s = 0;  // over hits, signed mean
  std::string text() const;                              // a readable multi-line report
};

// The samples the analysis sees for one labelled session (exposed for tests and benchmarks).
std::vector<core::AnalysisSample> recordSession(const BodyModelConfig& cfg, double missing_share,
                                                uint64_t missing_seed, Truth* truth);

EvalReport evaluate(const EvalConfig& cfg, const core::HoldParams& params = {});

}  // namespace rollrig::sim

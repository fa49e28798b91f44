// Evaluation of the hold and release analysis on labelled sessions made with the body model.
//
// Each session: a seeded person (BodyModel) with sensor noise and drift, recorded through the
// same path as a real session (raw counts -> ForceModel -> force and CoP), optionally with
// stretches of missing samples; the model's Truth is the label. The calibration is not the
// model's exact one, as on a real rig: tared on the first second (the plate is empty then), each
// cell's gain off by up to +-gain_error and its span drifting by up to +-span_drift_per_h per
// hour, on top of the model's own offset drift.
// Matching: a detected hold matches the truth hold it overlaps most (one-to-one, greedy by
// overlap). A release is a hit when it is within hit_window_s of the true release of its
// matched hold; every other detected release is false. True releases are also counted by the
// effect sizes the model drew for them (TruthHold), so the report shows where detection works
// and where there is nothing in the force to see. Pure and deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"
#include "rollrig/sim/body_model.h"

namespace rollrig::sim {

// How far the calibration the analysis uses is off from the model's exact sensors.
struct CalibrationError {
  double gain_error = 0.02;         // each cell's gain off by up to +-this (uniform)
  double span_drift_per_h = 0.005;  // each cell's span drifts by up to +-this per hour (linear)
  bool tare_first_second = true;    // offsets from the first second's mean (else exact)
  static CalibrationError exact() { return {0, 0, false}; }
};

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
  CalibrationError calibration_error;  // the default: a real rig's
};

// True releases in one bin of an effect size, and how many of them were hit.
struct HitBin {
  std::string label;
  size_t releases = 0;
  size_t hits = 0;
  double rate() const { return releases ? static_cast<double>(hits) / releases : 0; }
};

struct EvalReport {
  int sessions = 0;
  double hours = 0;
  size_t truth_holds = 0, detected_holds = 0, matched_holds = 0;
  double precision = 0, recall = 0, f1 = 0;
  double start_err_mean_s = 0, start_err_p90_s = 0;  // |detected - true|
  double end_err_mean_s = 0, end_err_p90_s = 0;
  size_t truth_releases = 0, detected_releases = 0, release_hits = 0, false_releases = 0;
  size_t false_in_abandoned = 0;                         // false releases in abandoned holds
  double release_hit_rate = 0;                           // hits / true releases
  double false_release_rate = 0;                         // false / detected releases
  double false_per_hold = 0;                             // false releases / truth holds
  double release_err_mean_s = 0, release_err_p90_s = 0;  // over hits, signed mean
  // Hit rate of true releases by what the model drew (TruthHold); each set of bins covers every
  // true release once.
  std::vector<HitBin> by_load_up;       // none, 1-2, 2-5, 5-10, 10-15 %
  std::vector<HitBin> by_tremor_ratio;  // x0.3-0.6, x0.6-0.9, x0.9-1.1 (incl. no change)
  std::vector<HitBin> by_tremor_snr;    // tremor under the noise floor, 1-3x, over 3x
  std::vector<HitBin> by_release_in;    // 8-20, 20-40, 40-90 s into the hold
  // Load-up bin x whether a tremor drop is there to see (snr >= 1 and ratio <= 0.9): rows as
  // by_load_up, [0] no visible tremor drop, [1] a visible one.
  std::vector<std::array<HitBin, 2>> by_load_up_and_tremor;
  std::string text() const;  // a readable multi-line report
};

// The samples the analysis sees for one labelled session (exposed for tests and benchmarks):
// counts through a calibration that is off by `error` (drawn from the seed).
std::vector<core::AnalysisSample> recordSession(const BodyModelConfig& cfg, double missing_share,
                                                uint64_t missing_seed, Truth* truth,
                                                const CalibrationError& error = {});

EvalReport evaluate(const EvalConfig& cfg, const core::HoldParams& params = {});

}  // namespace rollrig::sim

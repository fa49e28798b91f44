// The analysis on the labelled set (docs/ANALYSIS.md): the acceptance thresholds of the issue.
#include "rollrig/sim/evaluation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace rollrig;

// The widened model (docs/ANALYSIS.md, "Validation") draws releases the detector cannot see by
// design (no load-up, tremor under the noise), so the release figures are floors a few points
// under today's detector (69.7 % hits, 1.6 % of detections false, 0.009 false per hold on this
// set), not targets: they guard against a regression, the binned report shows the rest.
TEST(Evaluation, HoldsAndReleasesMeetTheAcceptanceThresholdsOnTheLabelledSet) {
  sim::EvalConfig cfg;
  cfg.first_seed = 1000;
  cfg.sessions = 60;
  cfg.missing_share = 0.01;
  const sim::EvalReport r = sim::evaluate(cfg);
  std::printf("%s", r.text().c_str());
  EXPECT_GT(r.truth_holds, 400u);
  EXPECT_GE(r.f1, 0.95);
  EXPECT_GE(r.release_hit_rate, 0.65);
  EXPECT_LE(r.false_release_rate, 0.05);
  EXPECT_LE(r.false_per_hold, 0.03);
  EXPECT_LT(r.start_err_mean_s, 2.0);
  EXPECT_LT(r.end_err_mean_s, 2.0);
}

TEST(Evaluation, ScoresAreHonestAboutADetectorThatFindsNothing) {
  sim::EvalConfig cfg;
  cfg.sessions = 3;
  core::HoldParams never;
  never.dwell_s = 1e9;
  const sim::EvalReport r = sim::evaluate(cfg, never);
  EXPECT_GT(r.truth_holds, 0u);
  EXPECT_EQ(r.detected_holds, 0u);
  EXPECT_EQ(r.recall, 0.0);
  EXPECT_EQ(r.f1, 0.0);
  EXPECT_EQ(r.release_hit_rate, 0.0);
}

TEST(Evaluation, AnalysesForcesThroughACalibrationOffByUpToTwoPercentPerCellNotTheModelsExactOne) {
  sim::BodyModelConfig bc;
  bc.seed = 1234;
  bc.duration_s = 300;
  sim::Truth truth;
  const auto exact = sim::recordSession(bc, 0, 1, &truth, sim::CalibrationError::exact());
  const auto real = sim::recordSession(bc, 0, 1, nullptr);
  ASSERT_EQ(exact.size(), real.size());
  ASSERT_FALSE(truth.holds.empty());
  double max_dev = 0, max_cop_dev_mm = 0;
  size_t loaded = 0;
  for (size_t k = 0; k < exact.size(); ++k) {
    ASSERT_EQ(exact[k].t_s, real[k].t_s);
    if (exact[k].force_n < 100) continue;
    ++loaded;
    max_dev = std::max(max_dev, std::abs(real[k].force_n / exact[k].force_n - 1));
    max_cop_dev_mm = std::max(
        max_cop_dev_mm, std::hypot(real[k].x_mm - exact[k].x_mm, real[k].y_mm - exact[k].y_mm));
  }
  ASSERT_GT(loaded, 1000u);
  EXPECT_GT(max_dev, 0.002);          // the gains are off ...
  EXPECT_LT(max_dev, 0.02 + 0.0005);  // ... by at most 2 % (plus < 0.05 % of span drift)
  EXPECT_GT(max_cop_dev_mm, 0.5);     // unequal errors move the centre of pressure too
  // The tare on the first (empty) second: an empty plate reads about 0 N.
  EXPECT_LT(std::abs(real[10].force_n), 0.2);
}

TEST(Evaluation, CountsEveryTrueReleaseOnceInEachSetOfEffectSizeBins) {
  sim::EvalConfig cfg;
  cfg.sessions = 12;
  const sim::EvalReport r = sim::evaluate(cfg);
  ASSERT_GT(r.truth_releases, 50u);
  for (const auto* set : {&r.by_load_up, &r.by_tremor_ratio, &r.by_tremor_snr, &r.by_release_in}) {
    size_t releases = 0, hits = 0;
    for (const sim::HitBin& b : *set) releases += b.releases, hits += b.hits;
    EXPECT_EQ(releases, r.truth_releases);
    EXPECT_EQ(hits, r.release_hits);
  }
  size_t releases = 0, hits = 0;
  for (const auto& row : r.by_load_up_and_tremor)
    for (const sim::HitBin& b : row) releases += b.releases, hits += b.hits;
  EXPECT_EQ(releases, r.truth_releases);
  EXPECT_EQ(hits, r.release_hits);
  // The widened model reaches every bin.
  for (const auto* set : {&r.by_load_up, &r.by_tremor_ratio, &r.by_tremor_snr, &r.by_release_in})
    for (const sim::HitBin& b : *set) EXPECT_GT(b.releases, 0u) << b.label;
  EXPECT_NEAR(r.false_per_hold, static_cast<double>(r.false_releases) / r.truth_holds, 1e-12);
  EXPECT_NE(r.text().find("release hits by load-up"), std::string::npos);
}

// Calibration math: tare, span (least squares), the residual report, drift re-zero, and reading
// raw counts back from a session CSV. Synthetic plates with known gains and offsets.
#include "rollrig/core/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "rollrig/core/calibration_json.h"
#include "rollrig/core/session_csv.h"

using namespace rollrig::core;

namespace {

constexpr double kRate_hz = 80.0;

// A rig whose cells are off nominal by a few percent, with arbitrary offsets.
Calibration trueCalibration() {
  Calibration c;
  const double ratio[4] = {1.02, 0.985, 1.03, 0.975};
  const double offset[4] = {-12000.5, 35000.25, 8000, -50000};
  for (int i = 0; i < 4; ++i) {
    c.cells[i].offset_counts = offset[i];
    c.cells[i].n_per_count = 1.0 / (kNominalCountsPerNewton * ratio[i]);
  }
  return c;
}

// Load on the plate at time t (s): total force (N) and where it acts.
struct Load {
  double total_n = 0, x_mm = 0, y_mm = 0;
  std::array<double, 4> extra_counts{};  // e.g. drift, added to the counts
};

// `seconds` of samples at 80 SPS from t0_s, with Gaussian noise (counts rms) and rounding to
// whole counts when noisy (as an HX711 reports).
std::vector<Sample> makeWindow(const Calibration& cal, const std::function<Load(double)>& load,
                               double seconds, double noise_counts = 0, uint64_t seed = 1,
                               double t0_s = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  PlateGeometry g;
  std::vector<Sample> out;
  const int n = static_cast<int>(std::lround(seconds * kRate_hz));
  for (int k = 0; k < n; ++k) {
    const double t = t0_s + k / kRate_hz;
    const Load l = load(t);
    double f[4];
    g.distribute(l.total_n, l.x_mm, l.y_mm, f);
    Sample s;
    s.t_us = static_cast<uint64_t>(std::llround(t * 1e6));
    s.seq = static_cast<uint16_t>(k);
    s.channel_count = 4;
    s.fresh_mask = 15;
    for (int i = 0; i < 4; ++i) {
      double c = cal.cells[i].offset_counts + f[i] / cal.cells[i].n_per_count + l.extra_counts[i];
      if (noise_counts > 0) c = std::nearbyint(c + noise_counts * noise(rng));
      s.raw_counts[i] = static_cast<int32_t>(std::lround(c));
    }
    out.push_back(s);
  }
  return out;
}

std::function<Load(double)> still(double total_n, double x_mm = 0, double y_mm = 0) {
  return [=](double) { return Load{total_n, x_mm, y_mm, {}}; };
}

// Exact per-cell mean counts for the mass at (x, y) (no noise, no rounding).
SpanPlacement exactPlacement(const Calibration& cal, double weight_n, double x_mm, double y_mm) {
  PlateGeometry g;
  double f[4];
  g.distribute(weight_n, x_mm, y_mm, f);
  SpanPlacement p;
  p.x_mm = x_mm;
  p.y_mm = y_mm;
  p.samples = 240;
  for (int i = 0; i < 4; ++i)
    p.mean_counts[i] = cal.cells[i].offset_counts + f[i] / cal.cells[i].n_per_count;
  return p;
}

std::array<double, 4> offsetsOf(const Calibration& c) {
  std::array<double, 4> o{};
  for (int i = 0; i < 4; ++i) o[i] = c.cells[i].offset_counts;
  return o;
}

// Three corners (inset) and the centre, plus the fourth corner: the CLI's default layout.
const std::vector<std::pair<double, double>> kFivePositions = {
    {-200, 110}, {200, 110}, {-200, -110}, {200, -110}, {0, 0}};

constexpr double kMass_kg = 10.0;
const double kWeight_n = kMass_kg * kStandardGravity_mps2;

}  // namespace

// [SECTION] Tare

TEST(Tare, AcceptsASteadyUnloadedWindowAndReturnsTheMeanCounts) {
  const Calibration cal = trueCalibration();
  const TareResult r = tare(makeWindow(cal, still(0), 3.0, 90.0));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.stats.samples, 240u);
  for (int i = 0; i < 4; ++i) {
    // 90 counts of noise averaged over 240 samples: ~6 counts standard error.
    EXPECT_NEAR(r.offset_counts[i], cal.cells[i].offset_counts, 25.0) << "cell " << i;
    EXPECT_NEAR(r.stats.sd_counts[i], 90.0, 15.0);
  }
}

TEST(Tare, RejectsAWindowWhenSomeoneIsLeaningOnThePlate) {
  // A forearm on the plate: ~60 N with breathing (0.25 Hz, 5 %) and tremor.
  const auto leaning = [](double t) {
    const double f =
        60.0 * (1 + 0.05 * std::sin(2 * M_PI * 0.25 * t)) + 1.5 * std::sin(2 * M_PI * 8.0 * t);
    return Load{f, -150, 60, {}};
  };
  const TareResult r = tare(makeWindow(trueCalibration(), leaning, 3.0, 90.0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kUnsteady);
  EXPECT_GE(r.error.cell, 0);
  EXPECT_NE(r.error.message.find("leaning on the plate"), std::string::npos) << r.error.message;
  EXPECT_NE(r.error.message.find("cell " + std::to_string(r.error.cell)), std::string::npos);
}

TEST(Tare, RejectsAWindowThatIsStillDrifting) {
  // Cell 2 creeping back after a load came off: 0.5 N/s, smooth (no wobble).
  const Calibration cal = trueCalibration();
  const auto creeping = [&](double t) {
    Load l;
    l.extra_counts[2] = -0.5 * t / cal.cells[2].n_per_count;
    return l;
  };
  const TareResult r = tare(makeWindow(cal, creeping, 3.0, 90.0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kDrifting);
  EXPECT_EQ(r.error.cell, 2);
  EXPECT_NE(r.error.message.find("still drifting"), std::string::npos) << r.error.message;
}

TEST(Tare, RejectsASteadyLoadWhenComparedWithTheLastTare) {
  const Calibration cal = trueCalibration();
  const auto window = makeWindow(cal, still(50.0, 100, 50), 3.0, 90.0);
  EXPECT_TRUE(tare(window, cal).ok()) << "without a reference a steady load looks like a plate";
  TareOptions opt;
  opt.check_load = true;
  const TareResult r = tare(window, cal, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kLoaded);
  EXPECT_NE(r.error.message.find("something is on the plate"), std::string::npos)
      << r.error.message;
  // A little drift since the last tare is not a load.
  const auto drifted = [&](double) {
    Load l;
    l.extra_counts = {300, -200, 150, 250};
    return l;
  };
  EXPECT_TRUE(tare(makeWindow(cal, drifted, 3.0, 90.0), cal, opt).ok());
}

TEST(Tare, RejectsATooShortOrSaturatedWindow) {
  const Calibration cal = trueCalibration();
  EXPECT_EQ(tare(makeWindow(cal, still(0), 0.2)).error.kind, CalibrationErrorKind::kTooFewSamples);
  auto w = makeWindow(cal, still(0), 3.0, 90.0);
  w[100].raw_counts[3] = 0x7FFFFF;
  const TareResult r = tare(w);
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kBadSamples);
  EXPECT_EQ(r.error.cell, 3);
}

// [SECTION] Span

TEST(Span, RecoversKnownGainsExactlyFromNoiseFreePlacements) {
  const Calibration cal = trueCalibration();
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  ASSERT_TRUE(r.ok()) << r.error.message;
  ASSERT_TRUE(r.solved);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(r.n_per_count[i] / cal.cells[i].n_per_count, 1.0, 1e-9) << "cell " << i;
  }
  EXPECT_EQ(r.report.rank, 4);
  EXPECT_LT(r.report.condition_number, 10.0);
  EXPECT_LT(r.report.rms_force_error_pct, 1e-9);
  EXPECT_LT(r.report.max_cop_error_mm, 1e-6);
  ASSERT_EQ(r.report.placements.size(), 5u);
  EXPECT_NEAR(r.report.placements[4].force_n, kWeight_n, 1e-9);
}

TEST(Span, RecoversKnownGainsFromThreePlacementsNearCorners) {
  const Calibration cal = trueCalibration();
  std::vector<SpanPlacement> places = {exactPlacement(cal, kWeight_n, -220, 130),
                                       exactPlacement(cal, kWeight_n, 220, 130),
                                       exactPlacement(cal, kWeight_n, 0, -130)};
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  ASSERT_TRUE(r.ok()) << r.error.message;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.n_per_count[i] / cal.cells[i].n_per_count, 1.0, 1e-9);
}

TEST(Span, AcceptsTheReferenceBuildsCellsAtHalfTheNominalCountsPerNewton) {
  // hardware/README.md: 200 kg, 2 mV/V cells give ~2190 counts/N, not the nominal 4390.
  Calibration cal = trueCalibration();
  for (auto& c : cal.cells) c.n_per_count *= kNominalCountsPerNewton / 2190.0;
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  ASSERT_TRUE(r.ok()) << r.error.message;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.n_per_count[i] / cal.cells[i].n_per_count, 1.0, 1e-9);
}

TEST(Span, RecoversKnownGainsWithinHalfAPercentWithHx711Noise) {
  const Calibration cal = trueCalibration();
  const TareResult t = tare(makeWindow(cal, still(0), 3.0, 90.0, 11));
  ASSERT_TRUE(t.ok()) << t.error.message;
  std::vector<SpanPlacement> places;
  uint64_t seed = 100;
  for (auto [x, y] : kFivePositions) {
    const WindowStats w = windowStats(makeWindow(cal, still(kWeight_n, x, y), 3.0, 90.0, ++seed));
    ASSERT_FALSE(checkSteady(w, cal, {}, "placement"));
    places.push_back(makePlacement(x, y, w));
  }
  const SpanResult r = solveSpan(places, t.offset_counts, kMass_kg, PlateGeometry{});
  ASSERT_TRUE(r.ok()) << r.error.message;
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(r.n_per_count[i] / cal.cells[i].n_per_count, 1.0, 0.005) << "cell " << i;
  }
  EXPECT_LT(r.report.max_force_error_pct, 0.5);
  EXPECT_LT(r.report.max_cop_error_mm, 2.0);
}

TEST(Span, ResidualReportGivesTheForceAndCopErrorsOfAKnownMistake) {
  // Cell 0 reads 10 % high; the mass at the centre loads each cell with W/4.
  const Calibration truth = trueCalibration();
  Calibration wrong = truth;
  wrong.cells[0].n_per_count *= 1.1;
  const std::vector<SpanPlacement> places = {exactPlacement(truth, kWeight_n, 0, 0),
                                             exactPlacement(truth, kWeight_n, 200, -110)};
  const SpanReport rep = evaluatePlacements(places, wrong, kMass_kg, PlateGeometry{});
  ASSERT_EQ(rep.placements.size(), 2u);
  const PlacementResidual& c = rep.placements[0];
  // F = W (1 + 0.1 / 4); x = (W/4)(1.1 * -270 + 270 - 270 + 270) / F = -27 / 4.1 mm;
  // y = (W/4)(1.1 * 170 + 170 - 170 - 170) / F = 17 / 4.1 mm.
  EXPECT_NEAR(c.force_n, kWeight_n * 1.025, 1e-9);
  EXPECT_NEAR(c.force_error_n, kWeight_n * 0.025, 1e-9);
  EXPECT_NEAR(c.force_error_pct, 2.5, 1e-9);
  EXPECT_NEAR(c.cop_x_mm, -27 / 4.1, 1e-9);
  EXPECT_NEAR(c.cop_y_mm, 17 / 4.1, 1e-9);
  EXPECT_NEAR(c.cop_error_mm, std::hypot(27 / 4.1, 17 / 4.1), 1e-9);
  // At (200, -110) cell 0 (front-left) of a rigid plate carries (1 - 200/270 - 110/170) / 4 of
  // W: negative, the corner unloads below its preload (plate_geometry.h).
  const double share0 = (1 - 200.0 / 270.0 - 110.0 / 170.0) / 4;
  const PlacementResidual& d = rep.placements[1];
  EXPECT_NEAR(d.force_error_pct, 10.0 * share0, 1e-9);
  EXPECT_NEAR(rep.rms_force_error_pct, std::sqrt((2.5 * 2.5 + std::pow(10.0 * share0, 2)) / 2),
              1e-9);
  EXPECT_NEAR(rep.max_force_error_pct, 2.5, 1e-9);
  EXPECT_NEAR(rep.max_cop_error_mm, std::max(c.cop_error_mm, d.cop_error_mm), 1e-12);
}

TEST(Span, RefusesPlacementsOnOneLine) {
  const Calibration cal = trueCalibration();
  for (const auto& line : std::vector<std::vector<std::pair<double, double>>>{
           {{-200, 0}, {0, 0}, {200, 0}, {100, 0}},           // along x
           {{-200, -110}, {0, 0}, {200, 110}},                // a diagonal
           {{-200, -110}, {0, 1}, {200, 111}, {100, 56}}}) {  // nearly one line
    std::vector<SpanPlacement> places;
    for (auto [x, y] : line) places.push_back(exactPlacement(cal, kWeight_n, x, y));
    const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.kind, CalibrationErrorKind::kIllPosed);
    EXPECT_NE(r.error.message.find("one line"), std::string::npos) << r.error.message;
    EXPECT_NE(r.error.message.find("three corners and the centre"), std::string::npos);
    EXPECT_LT(r.report.spread_mm, r.report.min_spread_mm);
  }
}

TEST(Span, RefusesFewerThanThreePlacements) {
  const Calibration cal = trueCalibration();
  const std::vector<SpanPlacement> places = {exactPlacement(cal, kWeight_n, -200, 110),
                                             exactPlacement(cal, kWeight_n, 200, -110)};
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kTooFewPlacements);
  EXPECT_NE(r.error.message.find("at least 3"), std::string::npos) << r.error.message;
  EXPECT_FALSE(r.solved);
}

TEST(Span, RefusesAnIllConditionedSystemAndSaysSo) {
  const Calibration cal = trueCalibration();
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  SpanOptions strict;
  strict.max_condition = 1.01;
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{}, strict);
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kIllPosed);
  EXPECT_NE(r.error.message.find("condition number"), std::string::npos) << r.error.message;
}

TEST(Span, RefusesANegativeGainAsSwappedSignalWires) {
  Calibration cal = trueCalibration();
  cal.cells[2].n_per_count = -cal.cells[2].n_per_count;  // A+/A- swapped on cell 2
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kImplausibleGain);
  EXPECT_EQ(r.error.cell, 2);
  EXPECT_NE(r.error.message.find("negative"), std::string::npos) << r.error.message;
  EXPECT_TRUE(r.solved) << "the report is still there to look at";
}

TEST(Span, RefusesAGainFarFromNominal) {
  Calibration cal = trueCalibration();
  cal.cells[1].n_per_count *= 8;  // e.g. an HX711 left at gain 32 / channel B
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, PlateGeometry{});
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kImplausibleGain);
  EXPECT_EQ(r.error.cell, 1);
}

TEST(Span, RefusesAPlacementOutsideTheCellsOrWithoutTheMass) {
  const Calibration cal = trueCalibration();
  std::vector<SpanPlacement> places;
  for (auto [x, y] : kFivePositions) places.push_back(exactPlacement(cal, kWeight_n, x, y));
  auto outside = places;
  outside[1].x_mm = 400;
  SpanResult r = solveSpan(outside, offsetsOf(cal), kMass_kg, PlateGeometry{});
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kBadInput);
  EXPECT_EQ(r.error.placement, 1);
  EXPECT_NE(r.error.message.find("placement 2"), std::string::npos) << r.error.message;
  auto empty = places;
  empty[3] = exactPlacement(cal, 0.0, -200, -110);
  r = solveSpan(empty, offsetsOf(cal), kMass_kg, PlateGeometry{});
  EXPECT_EQ(r.error.kind, CalibrationErrorKind::kBadInput);
  EXPECT_NE(r.error.message.find("was the mass on the plate"), std::string::npos)
      << r.error.message;
  EXPECT_EQ(solveSpan(places, offsetsOf(cal), 0.0, PlateGeometry{}).error.kind,
            CalibrationErrorKind::kBadInput);
}

TEST(Span, UsesTheConfiguredCellPositions) {
  PlateGeometry g;
  g.cells = {{{-200, 150}, {200, 150}, {-200, -150}, {200, -150}}};
  const Calibration cal = trueCalibration();
  std::vector<SpanPlacement> places;
  for (auto [x, y] : std::vector<std::pair<double, double>>{
           {-150, 100}, {150, 100}, {-150, -100}, {150, -100}, {0, 0}}) {
    double f[4];
    g.distribute(kWeight_n, x, y, f);
    SpanPlacement p;
    p.x_mm = x;
    p.y_mm = y;
    for (int i = 0; i < 4; ++i)
      p.mean_counts[i] = cal.cells[i].offset_counts + f[i] / cal.cells[i].n_per_count;
    places.push_back(p);
  }
  const SpanResult r = solveSpan(places, offsetsOf(cal), kMass_kg, g);
  ASSERT_TRUE(r.ok()) << r.error.message;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.n_per_count[i] / cal.cells[i].n_per_count, 1.0, 1e-9);
}

// [SECTION] Drift

TEST(DriftTracker, ReZeroesWhenTheUnloadedPlateIsSteadyForFiveSecondsAfterASecondToSettle) {
  const Calibration cal = trueCalibration();
  // The baseline has moved since the tare: +400 counts on cell 1, -250 on cell 3 (~0.1 N).
  const auto drifted = [&](double) {
    Load l;
    l.extra_counts = {0, 400, 0, -250};
    return l;
  };
  DriftTracker tracker(cal);
  int rezeros = 0;
  double first_s = -1;
  for (const Sample& s : makeWindow(cal, drifted, 12.0, 90.0, 5)) {
    if (tracker.add(s)) {
      ++rezeros;
      if (first_s < 0) first_s = s.t_us / 1e6;
    }
  }
  ASSERT_EQ(rezeros, 1) << "once re-zeroed the change is below min_change_n";
  EXPECT_NEAR(first_s, 6.0, 0.02);
  ASSERT_EQ(tracker.reZeros().size(), 1u);
  const ReZero& z = tracker.reZeros()[0];
  EXPECT_NEAR(z.change_counts[1], 400, 25);
  EXPECT_NEAR(z.change_counts[3], -250, 25);
  EXPECT_NEAR(z.change_n[1], 400 * cal.cells[1].n_per_count, 0.01);
  EXPECT_NEAR(tracker.calibration().cells[1].offset_counts, cal.cells[1].offset_counts + 400, 25);
  EXPECT_EQ(z.samples, 401u);
}

TEST(DriftTracker, LeavesTheTailOfALiftOffOutOfTheReZero) {
  const Calibration cal = trueCalibration();
  // 200 N at (150, 100) lifted off over 1.5 s (smoothly: the last ~0.1 s is under 2 N), while
  // cell 0's baseline has moved by 400 counts. No noise, so any bias of the tail would show.
  const auto lift = [&](double t) {
    const double u = std::clamp(t / 1.5, 0.0, 1.0);
    Load l{200.0 * (1 - u * u * (3 - 2 * u)), 150, 100, {}};
    l.extra_counts[0] = 400;
    return l;
  };
  DriftTracker tracker(cal);
  for (const Sample& s : makeWindow(cal, lift, 10.0)) tracker.add(s);
  ASSERT_EQ(tracker.reZeros().size(), 1u);
  const ReZero& z = tracker.reZeros()[0];
  EXPECT_NEAR(z.change_counts[0], 400, 1.0);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(z.change_counts[i], 0, 1.0) << "cell " << i;
}

TEST(DriftTracker, NeverReZeroesUnderLoad) {
  const Calibration cal = trueCalibration();
  // A minute under a steady load (a dumbbell left on the plate) while the baseline drifts, and
  // then a minute with a light steady load just above the threshold.
  const auto loaded = [&](double t) {
    Load l{100.0, 50, -20, {}};
    l.extra_counts = {5 * t, -4 * t, 3 * t, 2 * t};
    return l;
  };
  DriftTracker tracker(cal);
  for (const Sample& s : makeWindow(cal, loaded, 60.0, 90.0, 6)) EXPECT_FALSE(tracker.add(s));
  for (const Sample& s : makeWindow(cal, still(2.5), 60.0, 90.0, 7, 60.0))
    EXPECT_FALSE(tracker.add(s));
  EXPECT_TRUE(tracker.reZeros().empty());
  EXPECT_EQ(tracker.calibration().cells[0].offset_counts, cal.cells[0].offset_counts);
}

TEST(DriftTracker, DoesNotReZeroWhileTheUnloadedReadingFluctuates) {
  const Calibration cal = trueCalibration();
  // A hand resting on the plate's edge: under 2 N on average but moving (sd ~0.45 N).
  const auto touching = [](double t) {
    Load l{0.8 + 0.64 * std::sin(2 * M_PI * 1.3 * t), 0, 0, {}};
    l.extra_counts = {300, 300, 300, 300};
    return l;
  };
  DriftTracker tracker(cal);
  for (const Sample& s : makeWindow(cal, touching, 30.0, 90.0, 8)) EXPECT_FALSE(tracker.add(s));
}

TEST(DriftTracker, RestartsItsWindowWhenALoadComesAndGoes) {
  const Calibration cal = trueCalibration();
  const auto plan = [&](double t) {
    Load l;
    l.extra_counts = {500, 0, 0, 0};
    if (t >= 3.0 && t < 4.0) l.total_n = 80;  // a brief touch
    return l;
  };
  DriftTracker tracker(cal);
  double when = -1;
  for (const Sample& s : makeWindow(cal, plan, 12.0, 90.0, 9))
    if (tracker.add(s) && when < 0) when = s.t_us / 1e6;
  EXPECT_NEAR(when, 10.0, 0.02) << "1 + 5 s after the load left at 4 s, not after the start";
}

// [SECTION] Raw counts CSV

TEST(RawCountsCsv, ReadsTheRawCountsOfASessionCsvBack) {
  const Calibration cal = trueCalibration();
  const auto samples = makeWindow(cal, still(40, 10, 20), 2.0, 90.0, 3, 5.0);
  std::stringstream csv;
  SessionCsvWriter w(csv);
  w.writeHeader();
  ForceModel m(cal);
  for (const Sample& s : samples) w.writeRow(s, m.compute(s));
  const RawCountsCsv r = readRawCountsCsv(csv);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.samples.size(), samples.size());
  for (size_t k = 0; k < samples.size(); ++k) {
    EXPECT_EQ(r.samples[k].t_us, samples[k].t_us - samples[0].t_us);  // time_s starts at 0
    EXPECT_EQ(r.samples[k].raw_counts, samples[k].raw_counts);
    EXPECT_EQ(r.samples[k].seq, samples[k].seq);
  }
  EXPECT_EQ(samplesBetween(r.samples, 0.5, 1.0).size(), 41u);
}

TEST(RawCountsCsv, SkipsMalformedRowsNamingTheirLinesAsAnalyzeDoes) {
  // Issue 9, item 16: this reader refused comments, short rows and repeated times that
  // `rollrig analyze` accepted; both now follow the session CSV reader's rules.
  std::stringstream bad(SessionCsvWriter::header() +
                        "\n# a comment\n"
                        "0.000000,0,0,1,2,3,4,0,0,0,0,0,,,0,15\n"
                        "0.012500,1,0,1,x,3,4,0,0,0,0,0,,,0,15\n"
                        "0.025000,2,0,1,2,3,4,0,0,0,0,0,,,0,15\n"
                        "0.025000,2,0,1,2,3,4,0,0,0,0,0,,,0,15\n"
                        "0.037500,3,0,1,2,3,4,0,0,0,0,0,,,0,15\n"
                        "0.050000,4,0,1,2\n"
                        "0.062500,5,0,1,2,3,4,0,0,0,0,0,,,0,15\n");
  RawCountsCsv r = readRawCountsCsv(bad);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.samples.size(), 4u);
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].find("line 4: cell1_raw_counts 'x' is not a number"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("line 6"), std::string::npos) << r.warnings[1];
  EXPECT_NE(r.warnings[2].find("line 8"), std::string::npos) << r.warnings[2];
  EXPECT_EQ(r.samples[3].t_us, 62500u);
  EXPECT_EQ(r.samples[3].seq, 5u);

  std::stringstream counts_out_of_range(SessionCsvWriter::header() +
                                        "\n0.0,0,0,1,2,3,9000000,0,0,0,0,0,,,0,15\n");
  r = readRawCountsCsv(counts_out_of_range);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.warnings.at(0).find("cell3_raw_counts '9000000' is outside"), std::string::npos);

  std::stringstream no_counts("time_s,force_N\n0,1\n");
  r = readRawCountsCsv(no_counts);
  EXPECT_EQ(r.error_line, 1u);
  EXPECT_NE(r.error.find("cell0_raw_counts"), std::string::npos) << r.error;
}

// [SECTION] The calibration format's JSON (calibration_json.h); the file round trips in
// tests/io/calibration_store_test.cpp.

namespace {

CalibrationRecord spanRecord() {
  CalibrationRecord r;
  r.calibration.device_serial = 0xD3E0;
  r.calibration.source = "span";
  r.calibration.cells[2].n_per_count = 1.0 / 4400.0;
  SpanRecord span;
  span.mass_kg = 10;
  PlacementResidual res;
  res.x_mm = 100;
  res.force_n = 98.1;
  res.cop_error_mm = 1.25;
  span.report.placements = {res};
  span.report.rank = 3;
  span.report.condition_number = std::numeric_limits<double>::infinity();
  r.span = span;
  return r;
}

}  // namespace

TEST(CalibrationJson, ReadsADeviceSerialStoredAsANumberByOlderLibraries) {
  std::string text = calibrationToJson(spanRecord());
  const std::string hex = "\"device_serial\": \"0000D3E0\"";
  ASSERT_NE(text.find(hex), std::string::npos) << text;
  text.replace(text.find(hex), hex.size(), "\"device_serial\": 54240");
  CalibrationRecord back;
  std::string why;
  ASSERT_TRUE(calibrationFromJson(text, "row 1", &back, &why)) << why;
  EXPECT_EQ(back.calibration.device_serial, 0xD3E0u);
  EXPECT_EQ(back.calibration.cells[2].n_per_count, 1.0 / 4400.0);
}

TEST(CalibrationJson, NamesTheSourceLineAndColumnOfBrokenJson) {
  CalibrationRecord back;
  std::string why;
  EXPECT_FALSE(calibrationFromJson("{\"format\": \n", "cal.json", &back, &why));
  EXPECT_EQ(why.rfind("cal.json is not valid JSON: ", 0), 0u) << why;
  EXPECT_NE(why.find("line 2"), std::string::npos) << why;
}

TEST(CalibrationJson, WritesTheSpanReportAsTheCalibrationFileHoldsIt) {
  const CalibrationRecord r = spanRecord();
  const auto file = nlohmann::json::parse(calibrationToJson(r));
  const auto report = nlohmann::json::parse(spanReportToJson(r.span->report));
  EXPECT_EQ(report, file.at("span").at("report"));
  EXPECT_EQ(report.at("placements").at(0).at("force_N"), 98.1);
  EXPECT_TRUE(report.at("condition_number").is_null());  // JSON has no infinity
}

// Found by fuzzing (fuzz/calibration_json; the input is fuzz/corpus/calibration_json/
// crash-negative-tare-samples.json): a sample count of -240 was converted to an unsigned integer
// (undefined behaviour) and read as a huge count. Counts must be whole numbers from 0.
TEST(CalibrationJson, RefusesASampleCountThatIsNotAWholeNumberFromZero) {
  CalibrationRecord r = spanRecord();
  TareRecord tare;
  tare.samples = 240;
  r.tare = tare;
  SpanPlacement place;
  place.samples = 200;
  r.span->placements = {place};
  const std::string good = calibrationToJson(r);
  CalibrationRecord back;
  std::string why;
  ASSERT_TRUE(calibrationFromJson(good, "cal.json", &back, &why)) << why;
  EXPECT_EQ(back.tare->samples, 240u);
  EXPECT_EQ(back.span->placements.at(0).samples, 200u);
  for (const char* bad : {"-240", "2.5", "1e300"}) {
    SCOPED_TRACE(bad);
    std::string text = good;
    text.replace(text.find("\"samples\": 240"), 14, std::string("\"samples\": ") + bad);
    EXPECT_FALSE(calibrationFromJson(text, "cal.json", &back, &why));
    EXPECT_NE(why.find("\"samples\" in tare must be a whole number from 0"), std::string::npos)
        << why;
    text = good;
    text.replace(text.find("\"samples\": 200"), 14, std::string("\"samples\": ") + bad);
    EXPECT_FALSE(calibrationFromJson(text, "cal.json", &back, &why));
    EXPECT_NE(why.find("in span.placements[0] must be a whole number"), std::string::npos) << why;
  }
}

TEST(CalibrationJson, NamesAHugeFormatVersionAsNewerWithoutConvertingIt) {
  std::string text = calibrationToJson(spanRecord());
  text.replace(text.find("\"version\": 1"), 12, "\"version\": 1e300");
  CalibrationRecord back;
  std::string why;
  EXPECT_FALSE(calibrationFromJson(text, "cal.json", &back, &why));
  EXPECT_NE(why.find("written by a newer rollrig (format version 1e+300"), std::string::npos)
      << why;
}

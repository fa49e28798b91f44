// Hold steadiness: the CoP low-pass, the posturography figures, and the analyser reporting them
// for each hold (live and offline, across lifted balls and missing samples, force only none).
#include "rollrig/core/hold_steadiness.h"

#include "rollrig/core/session_analyzer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

using namespace rollrig::core;

namespace {

constexpr double kRate = 80;

// A session at kRate: segments of a CoP trace (a function of time) under a force; force 0 means
// the ball is lifted (no position).
struct Trace {
  std::vector<AnalysisSample> s;
  double t = 0;
  void add(double dur, double force_n, const std::function<void(double, double*, double*)>& cop) {
    const int n = static_cast<int>(std::lround(dur * kRate));
    for (int i = 0; i < n; ++i) {
      AnalysisSample a;
      a.t_s = t;
      a.force_n = force_n;
      a.has_xy = force_n > 0;
      if (a.has_xy) cop(t, &a.x_mm, &a.y_mm);
      s.push_back(a);
      t += 1 / kRate;
    }
  }
  void lifted(double dur) {
    add(dur, 0, [](double, double*, double*) {});
  }
  void skip(double dur) { t += dur; }  // samples missing altogether
};

auto still(double x, double y) {
  return [x, y](double, double* px, double* py) {
    *px = x;
    *py = y;
  };
}

// The noise share a 2nd-order analog Butterworth at fc leaves of white noise sampled at fs: its
// noise bandwidth is fc * (pi/4) / sin(pi/4), over the fs/2 the noise spreads across.
double butterworthNoiseShare(double fc, double fs) {
  return 2 * fc * (M_PI / 4) / std::sin(M_PI / 4) / fs;
}

const HoldSteadiness& onlyHoldsSteadiness(const SessionAnalysis& a) {
  EXPECT_EQ(a.holds.size(), 1u);
  if (a.holds.empty() || !a.holds[0].steadiness) {
    ADD_FAILURE() << "no hold with steadiness";
    static const HoldSteadiness none;
    return none;
  }
  return *a.holds[0].steadiness;
}

}  // namespace

// [SECTION] The pieces

TEST(SteadinessAccumulator, GivesThePathRangesRmsAndEllipseOfFourKnownPoints) {
  SteadinessAccumulator a;
  a.add(0, 0, 0, true);
  a.add(1, 10, 0, true);
  a.add(2, 10, 10, true);
  a.add(3, 0, 10, true);
  const auto r = a.result();
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->path_mm, 30);
  EXPECT_DOUBLE_EQ(r->measured_s, 3);
  EXPECT_DOUBLE_EQ(r->mean_velocity_mm_s, 10);
  EXPECT_DOUBLE_EQ(r->ml_range_mm, 10);
  EXPECT_DOUBLE_EQ(r->ap_range_mm, 10);
  // Mean (5, 5); variance 25 on each axis, no covariance.
  EXPECT_NEAR(r->rms_mm, std::sqrt(50.0), 1e-12);
  EXPECT_NEAR(r->ellipse95_mm2, M_PI * 5.991464547107979 * 25, 1e-9);
  EXPECT_EQ(a.samples(), 4u);
}

TEST(SteadinessAccumulator, ThePosturographyEllipseShrinksToNothingOnALine) {
  SteadinessAccumulator a;
  for (int i = 0; i < 10; ++i) a.add(i, 3.0 * i, 2.0 * i, true);  // perfectly correlated x, y
  const auto r = a.result();
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->ellipse95_mm2, 0, 1e-6);
  EXPECT_NEAR(r->path_mm, 9 * std::sqrt(13.0), 1e-9);
}

TEST(SteadinessAccumulator, APointNotJoinedStartsANewPieceWithoutTheJump) {
  SteadinessAccumulator a;
  a.add(0, 0, 0, true);
  a.add(1, 1, 0, true);
  a.add(5, 50, 0, false);  // after a lifted ball: 49 mm away, not part of the path
  a.add(6, 52, 0, true);
  const auto r = a.result();
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->path_mm, 3);
  EXPECT_DOUBLE_EQ(r->measured_s, 2);
  EXPECT_DOUBLE_EQ(r->mean_velocity_mm_s, 1.5);
  EXPECT_DOUBLE_EQ(r->ml_range_mm, 52);  // the positions still count for the ranges
}

TEST(SteadinessAccumulator, ReportsNoneWithoutAnyMeasuredPath) {
  SteadinessAccumulator a;
  EXPECT_FALSE(a.result().has_value());
  a.add(0, 1, 1, true);
  EXPECT_FALSE(a.result().has_value());
  a.add(1, 2, 2, false);
  EXPECT_FALSE(a.result().has_value()) << "two pieces of one point each measure no path";
  a.add(2, 3, 2, true);
  EXPECT_TRUE(a.result().has_value());
}

TEST(CopLowPass, LeavesTheNoiseShareOfAnAnalogButterworthAtFiveHertz) {
  for (double fs : {80.0, 200.0, 1000.0}) {
    CopLowPass f;
    f.design(fs);
    EXPECT_DOUBLE_EQ(f.cutoff_hz(), 5.0);
    // The bilinear design's zero at Nyquist removes a little more than the analog filter.
    EXPECT_NEAR(f.noiseGain() / butterworthNoiseShare(5, fs), 1.0, fs < 100 ? 0.05 : 0.01) << fs;
  }
  CopLowPass slow;
  slow.design(10);
  EXPECT_DOUBLE_EQ(slow.cutoff_hz(), 4.0) << "0.4 x the sample rate under 12.5 Hz";
}

TEST(CopLowPass, ResumesAtTheNewPointWithoutATransient) {
  CopLowPass f;
  f.design(kRate);
  double x = 0, y = 0;
  for (int i = 0; i < 100; ++i) f.step(3, 4, &x, &y);
  EXPECT_NEAR(x, 3, 1e-9);
  f.reset(20, -7);
  for (int i = 0; i < 5; ++i) {
    f.step(20, -7, &x, &y);
    EXPECT_NEAR(x, 20, 1e-9);
    EXPECT_NEAR(y, -7, 1e-9);
  }
  // 1 Hz sway passes almost whole (-0.02 dB), 20 Hz is cut by about 24 dB.
  auto amplitude = [&](double hz) {
    CopLowPass g;
    g.design(kRate);
    double peak = 0, ox, oy;
    for (int i = 0; i < 20 * kRate; ++i) {
      g.step(std::sin(2 * M_PI * hz * i / kRate), 0, &ox, &oy);
      if (i > 10 * kRate) peak = std::max(peak, std::abs(ox));
    }
    return peak;
  };
  EXPECT_NEAR(amplitude(1), 1.0, 0.01);
  EXPECT_LT(amplitude(20), 0.07);
}

// [SECTION] Through the analyser

TEST(HoldSteadiness, ABallCirclingAtAKnownRadiusGivesTheKnownPathVelocityRangesRmsAndEllipse) {
  // Radius 5 mm at 0.1 Hz: 3.14 mm/s, slow enough to be a hold, far under the 5 Hz cut-off.
  const double r = 5, f = 0.1, cx = 60, cy = -40;
  Trace tr;
  tr.lifted(3);
  tr.add(65, 200, [&](double t, double* x, double* y) {
    *x = cx + r * std::cos(2 * M_PI * f * t);
    *y = cy + r * std::sin(2 * M_PI * f * t);
  });
  tr.lifted(3);
  const SessionAnalysis a = analyzeSession(tr.s);
  const HoldSteadiness& st = onlyHoldsSteadiness(a);
  const Hold& h = a.holds[0];
  ASSERT_GT(h.duration_s(), 30);
  // No gaps: the path covers the hold but its first and last second (the ball rolling in / out).
  EXPECT_NEAR(st.measured_s, h.duration_s() - 2, 1.01 / kRate);
  const double speed = 2 * M_PI * r * f;
  EXPECT_NEAR(st.mean_velocity_mm_s, speed, 0.005 * speed);
  EXPECT_NEAR(st.path_mm, speed * st.measured_s, 0.005 * speed * st.measured_s);
  EXPECT_NEAR(st.ml_range_mm, 2 * r, 0.02);
  EXPECT_NEAR(st.ap_range_mm, 2 * r, 0.02);
  // Over whole and partial turns the mean sits near the centre: rms r, ellipse pi*chi2*r^2/2.
  EXPECT_NEAR(st.rms_mm, r, 0.05 * r);
  EXPECT_NEAR(st.ellipse95_mm2, M_PI * kChi2_95_2dof * r * r / 2,
              0.1 * M_PI * kChi2_95_2dof * r * r / 2);
}

TEST(HoldSteadiness, ABallSwayingAlongTheBodyHasAnApRangeAndNoMlRange) {
  // A triangle along y (anterior-posterior): +-6 mm at 2 mm/s, x fixed.
  Trace tr;
  tr.lifted(2);
  tr.add(60, 150, [](double t, double* x, double* y) {
    const double phase = std::fmod(t * 2.0, 24.0);  // mm along a 24 mm round trip
    *x = -80;
    *y = 30 + (phase < 12 ? phase : 24 - phase) - 6;
  });
  tr.lifted(2);
  const SessionAnalysis a = analyzeSession(tr.s);
  const HoldSteadiness& st = onlyHoldsSteadiness(a);
  EXPECT_NEAR(st.ml_range_mm, 0, 1e-9);
  EXPECT_NEAR(st.ap_range_mm, 12, 0.1) << "the 5 Hz low-pass barely rounds the turns";
  EXPECT_NEAR(st.mean_velocity_mm_s, 2.0, 0.02);
  EXPECT_NEAR(st.ellipse95_mm2, 0, 1e-6) << "all on one line";
}

TEST(HoldSteadiness, WhiteNoiseOnAStillBallGivesThePredictedRmsAndEllipseAndAShrunkPath) {
  const double sigma = 1.0;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, sigma);
  Trace tr;
  tr.lifted(2);
  tr.add(120, 180, [&](double, double* x, double* y) {
    *x = 40 + noise(rng);
    *y = 25 + noise(rng);
  });
  tr.lifted(2);
  const SessionAnalysis a = analyzeSession(tr.s);
  const HoldSteadiness& st = onlyHoldsSteadiness(a);
  ASSERT_GT(a.holds[0].duration_s(), 100);
  // The filter leaves g of the noise's variance on each axis: rms sqrt(2 g) sigma, ellipse
  // pi chi2 g sigma^2. (Unfiltered: rms 1.41 mm, not 0.53.)
  const double g = butterworthNoiseShare(5, kRate);
  EXPECT_NEAR(st.rms_mm, std::sqrt(2 * g) * sigma, 0.08 * std::sqrt(2 * g) * sigma);
  EXPECT_NEAR(st.ellipse95_mm2, M_PI * kChi2_95_2dof * g * sigma * sigma,
              0.15 * M_PI * kChi2_95_2dof * g * sigma * sigma);
  // The raw path of the same samples: each step is Rayleigh with mean sigma * sqrt(pi).
  double raw = 0;
  const AnalysisSample* prev = nullptr;
  for (const AnalysisSample& s : tr.s) {
    if (s.t_s < a.holds[0].start_s || s.t_s > a.holds[0].end_s) continue;
    if (prev) raw += std::hypot(s.x_mm - prev->x_mm, s.y_mm - prev->y_mm);
    prev = &s;
  }
  EXPECT_NEAR(raw / st.measured_s, sigma * std::sqrt(M_PI) * kRate, 0.05 * sigma * kRate * 1.77);
  EXPECT_LT(st.path_mm, 0.3 * raw) << "the low-pass must shrink a noise-only path";
  EXPECT_GT(st.path_mm, 0.02 * raw);
}

TEST(HoldSteadiness, ALiftedBallOrMissingSamplesAddNoJumpToThePath) {
  for (bool lifted : {true, false}) {
    Trace tr;
    tr.lifted(2);
    tr.add(20, 200, still(0, 0));
    if (lifted)
      tr.lifted(0.5);  // under the 1 s a load drop needs to end a hold
    else
      tr.skip(1.5);                // no samples at all (under the 3 s a gap needs)
    tr.add(20, 200, still(8, 0));  // put back 8 mm away: the same hold
    tr.lifted(2);
    const SessionAnalysis a = analyzeSession(tr.s);
    const HoldSteadiness& st = onlyHoldsSteadiness(a);
    EXPECT_LT(st.path_mm, 1e-6) << "lifted " << lifted << ": the 8 mm move is not a path";
    EXPECT_NEAR(st.ml_range_mm, 8, 1e-9) << "but both positions count for the range";
    EXPECT_NEAR(st.measured_s, a.holds[0].duration_s() - 2 - (lifted ? 0.5 : 1.5) - 1 / kRate,
                2.01 / kRate);
  }
}

TEST(HoldSteadiness, ForceOnlyHoldsReportNoneNeverZeros) {
  Trace tr;
  tr.add(3, 0, still(0, 0));
  tr.add(60, 200, still(0, 0));
  tr.add(3, 0, still(0, 0));
  for (AnalysisSample& s : tr.s) s.has_xy = false;
  const SessionAnalysis a = analyzeSession(tr.s);
  ASSERT_EQ(a.holds.size(), 1u);
  EXPECT_FALSE(a.holds[0].steadiness.has_value());

  SessionAnalyzer live({}, AnalyzerInput::kForceOnly);
  for (size_t i = 0; i < tr.s.size() * 2 / 3; ++i) live.push(tr.s[i]);
  ASSERT_TRUE(live.currentHold().has_value());
  EXPECT_FALSE(live.currentHold()->steadiness.has_value());
}

// A realistic session: rolling in, a long hold with sway, breathing and noise, rolling out.
std::vector<AnalysisSample> longHoldSession(double hold_s) {
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0, 0.4);
  Trace tr;
  tr.lifted(2);
  double y0 = 100;
  tr.add(6, 200, [&](double t, double* x, double* y) {  // roll in at 15 mm/s
    *x = -100 + noise(rng);
    *y = y0 - 15 * (t - 2) + noise(rng);
  });
  tr.add(hold_s, 210, [&](double t, double* x, double* y) {
    *x = -100 + 1.5 * std::sin(2 * M_PI * 0.2 * t) + noise(rng);
    *y = 10 + 1.0 * std::sin(2 * M_PI * 0.07 * t + 1) + noise(rng);
  });
  const double t_out = tr.t;
  tr.add(6, 200, [&](double t, double* x, double* y) {  // roll out
    *x = -100 + noise(rng);
    *y = 10 - 15 * (t - t_out) + noise(rng);
  });
  tr.lifted(2);
  return tr.s;
}

TEST(HoldSteadiness, AHoldLongerThanTheHistoryGetsExactlyTheFiguresOfItsOwnSamples) {
  const std::vector<AnalysisSample> s = longHoldSession(150);  // the history keeps 40 s
  const SessionAnalysis a = analyzeSession(s);
  ASSERT_EQ(a.holds.size(), 1u);
  const Hold& h = a.holds[0];
  ASSERT_GT(h.duration_s(), 140);
  ASSERT_TRUE(h.steadiness.has_value());
  // The same low-pass run over the session, accumulated over exactly the hold's steady part
  // [start + 1 s, end - 1 s].
  CopLowPass f;
  f.design(kRate);
  SteadinessAccumulator acc;
  bool prev = false;
  for (const AnalysisSample& x : s) {
    const bool valid = x.has_xy && x.force_n >= HoldParams{}.min_load_n;
    if (!valid) {
      prev = false;
      continue;
    }
    if (!prev) f.reset(x.x_mm, x.y_mm);
    double fx, fy;
    f.step(x.x_mm, x.y_mm, &fx, &fy);
    if (x.t_s >= h.start_s + 1 && x.t_s <= h.end_s - 1) acc.add(x.t_s, fx, fy, prev);
    prev = true;
  }
  const auto want = acc.result();
  ASSERT_TRUE(want.has_value());
  EXPECT_NEAR(h.steadiness->path_mm, want->path_mm, 1e-9);
  EXPECT_NEAR(h.steadiness->ml_range_mm, want->ml_range_mm, 1e-12);
  EXPECT_NEAR(h.steadiness->ap_range_mm, want->ap_range_mm, 1e-12);
  EXPECT_NEAR(h.steadiness->rms_mm, want->rms_mm, 1e-9);
  EXPECT_NEAR(h.steadiness->ellipse95_mm2, want->ellipse95_mm2, 1e-6);
  // Plausible for a 1.5 mm / 1 mm sway under 0.4 mm noise, without the roll in and out.
  // (the filtered noise, 0.15 mm rms, widens each range by about 8 of its sigmas over 12,000
  // samples).
  EXPECT_GT(h.steadiness->ml_range_mm, 3.0);
  EXPECT_LT(h.steadiness->ml_range_mm, 4.5);
  EXPECT_GT(h.steadiness->ap_range_mm, 2.0);
  EXPECT_LT(h.steadiness->ap_range_mm, 3.5);
}

TEST(HoldSteadiness, TheOpenHoldsLiveFiguresAreTheOfflineFiguresUpToThatSample) {
  const std::vector<AnalysisSample> s = longHoldSession(90);
  for (double cut_s : {20.0, 45.0, 80.0}) {
    std::vector<AnalysisSample> prefix;
    SessionAnalyzer live;
    for (const AnalysisSample& x : s) {
      if (x.t_s > cut_s) break;
      live.push(x);
      prefix.push_back(x);
    }
    const std::optional<Hold> open = live.currentHold();
    ASSERT_TRUE(open.has_value()) << cut_s;
    ASSERT_TRUE(open->steadiness.has_value()) << cut_s;
    const SessionAnalysis off = analyzeSession(prefix);
    ASSERT_EQ(off.holds.size(), 1u);
    ASSERT_DOUBLE_EQ(off.holds[0].end_s, open->end_s) << "a still ball: the end is the last sample";
    ASSERT_TRUE(off.holds[0].steadiness.has_value());
    EXPECT_DOUBLE_EQ(open->steadiness->path_mm, off.holds[0].steadiness->path_mm) << cut_s;
    EXPECT_DOUBLE_EQ(open->steadiness->ml_range_mm, off.holds[0].steadiness->ml_range_mm);
    EXPECT_DOUBLE_EQ(open->steadiness->ap_range_mm, off.holds[0].steadiness->ap_range_mm);
    EXPECT_DOUBLE_EQ(open->steadiness->rms_mm, off.holds[0].steadiness->rms_mm);
    EXPECT_DOUBLE_EQ(open->steadiness->ellipse95_mm2, off.holds[0].steadiness->ellipse95_mm2);
  }
}

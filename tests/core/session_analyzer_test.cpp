// SessionAnalyzer on hand-made signals: what is and is not a hold, back-dating, releases.
#include "rollrig/core/session_analyzer.h"

#include "rollrig/core/analysis_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <sstream>
#include <string>

using namespace rollrig::core;

namespace {

constexpr double kRate = 80;

// A scripted session: piecewise segments of position and force, sampled at 80 Hz, with a
// little breathing, 8 Hz tremor and sensor noise.
struct Script {
  std::vector<AnalysisSample> s;
  std::mt19937 rng{3};
  double t = 0;
  double x = -120, y = 100;
  double tremor = 0.03;  // share of load
  void add(double dur, double x1, double y1, double f0, double f1) {
    const int n = static_cast<int>(dur * kRate);
    const double x0 = x, y0 = y;
    std::normal_distribution<double> noise(0, 0.05);
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / n;
      AnalysisSample a;
      a.t_s = t;
      const double base = f0 + (f1 - f0) * u;
      a.force_n =
          base * (1 + 0.02 * std::sin(2 * M_PI * 0.25 * t) + tremor * std::sin(2 * M_PI * 8 * t)) +
          noise(rng);
      a.x_mm = x0 + (x1 - x0) * u + 0.5 * std::sin(2 * M_PI * 0.25 * t);
      a.y_mm = y0 + (y1 - y0) * u;
      a.has_xy = a.force_n >= 20;
      s.push_back(a);
      t += 1 / kRate;
    }
    x = x1;
    y = y1;
  }
};

}  // namespace

TEST(SessionAnalyzer, FindsAHoldBackDatedToWhenTheBallStopped) {
  Script sc;
  sc.add(5, -120, 100, 0, 0);      // empty plate
  sc.add(2, -120, 100, 0, 200);    // mount
  sc.add(5, -120, 20, 200, 200);   // roll 16 mm/s
  sc.add(40, -120, 20, 200, 200);  // hold from t = 12 s
  sc.add(5, -120, -60, 200, 200);  // roll on
  sc.add(1, -120, -60, 200, 0);    // lift off
  sc.add(3, -120, -60, 0, 0);
  const SessionAnalysis a = analyzeSession(sc.s);
  ASSERT_EQ(a.holds.size(), 1u);
  EXPECT_NEAR(a.holds[0].start_s, 12.0, 0.6);
  EXPECT_NEAR(a.holds[0].end_s, 52.0, 0.8);
  EXPECT_NEAR(a.holds[0].x_mm, -120, 2);
  EXPECT_NEAR(a.holds[0].y_mm, 20, 2);
  EXPECT_EQ(a.holds[0].side, Side::kLeft);
  EXPECT_NEAR(a.holds[0].mean_force_n, 200, 5);
  EXPECT_FALSE(a.holds[0].release_s.has_value()) << "a steady hold is not a release";
  EXPECT_TRUE(a.holds[0].reached_protocol_min);
  EXPECT_FALSE(a.holds[0].exceeded_protocol_max);
}

TEST(SessionAnalyzer, IgnoresPausesShorterThanTheDwell) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  for (int i = 0; i < 6; ++i) {
    sc.add(3, -120, sc.y - 40, 200, 200);  // roll 13 mm/s
    sc.add(3.5, -120, sc.y, 200, 200);     // pause 3.5 s
  }
  sc.add(1, -120, sc.y, 200, 0);
  EXPECT_TRUE(analyzeSession(sc.s).holds.empty());
}

TEST(SessionAnalyzer, SlowCreepIsNotAHold) {
  Script sc;
  sc.add(2, -120, 150, 0, 200);
  sc.add(30, -120, 0, 200, 200);  // 5 mm/s: leaves 20 mm every 4 s
  sc.add(1, -120, 0, 200, 0);
  EXPECT_TRUE(analyzeSession(sc.s).holds.empty());
}

TEST(SessionAnalyzer, DetectsALoadUpWithEasingTremorAsARelease) {
  Script sc;
  sc.add(2, -120, 100, 0, 220);
  sc.add(3, -120, 60, 220, 200);
  sc.add(35, -120, 60, 200, 200);  // hold from 5 s
  sc.tremor = 0.015;               // guarding eases ...
  sc.add(2, -120, 60, 200, 214);   // ... and the user sinks in: release at 40 s
  sc.add(15, -120, 60, 214, 214);
  sc.add(3, -120, 20, 214, 214);
  sc.add(1, -120, 20, 214, 0);
  const SessionAnalysis a = analyzeSession(sc.s);
  ASSERT_EQ(a.holds.size(), 1u);
  ASSERT_TRUE(a.holds[0].release_s.has_value());
  EXPECT_NEAR(*a.holds[0].release_s, 40.0, 2.0);
  EXPECT_EQ(a.holds[0].release_source, "load-up+tremor");
  EXPECT_LT(a.holds[0].tremor_ratio, 0.7);
  EXPECT_GT(a.holds[0].cv_before, a.holds[0].cv_after);
}

TEST(SessionAnalyzer, NeverCallsTheSettlingTransientARelease) {
  // Settling 30 % above the final level, fast and slow (tau 1-12 s), then a steady hold.
  for (double tau : {1.0, 3.0, 6.0, 12.0}) {
    Script sc;
    sc.add(2, -120, 100, 0, 260);
    for (int i = 0; i < 60; ++i)
      sc.add(1, -120, 100, 200 + 60 * std::exp(-i / tau), 200 + 60 * std::exp(-(i + 1) / tau));
    sc.add(1, -120, 100, 200, 0);
    const SessionAnalysis a = analyzeSession(sc.s);
    ASSERT_EQ(a.holds.size(), 1u) << "tau " << tau;
    EXPECT_FALSE(a.holds[0].release_s.has_value())
        << "tau " << tau << ": " << *a.holds[0].release_s;
  }
}

// Releases happen from about 8 s into a hold; once a fit says the settling is over, a load-up
// before the 20 s mark is a release (issue 9, item 5).
TEST(SessionAnalyzer, CallsAnEarlyLoadUpOnceTheSettlingIsOver) {
  Script sc;
  sc.add(2, -120, 100, 0, 260);
  for (int i = 0; i < 10; ++i)  // settling, tau 1.5 s, from 2 s
    sc.add(1, -120, 100, 200 + 60 * std::exp(-i / 1.5), 200 + 60 * std::exp(-(i + 1) / 1.5));
  sc.add(3, -120, 100, 200, 200);
  sc.add(2, -120, 100, 200, 216);  // an 8 % load-up at 15-17 s, about 15 s into the hold
  sc.add(30, -120, 100, 216, 216);
  sc.add(1, -120, 100, 216, 0);
  const SessionAnalysis a = analyzeSession(sc.s);
  ASSERT_EQ(a.holds.size(), 1u);
  ASSERT_TRUE(a.holds[0].release_s.has_value());
  EXPECT_LT(*a.holds[0].release_s - a.holds[0].start_s, 20.0);
  EXPECT_NEAR(*a.holds[0].release_s, 16.0, 1.5);
}

TEST(SessionAnalyzer, AUserMarkerWinsOverTheDetector) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(50, -120, 100, 200, 200);
  sc.add(1, -120, 100, 200, 0);
  const SessionAnalysis a = analyzeSession(sc.s, {33.0});
  ASSERT_EQ(a.holds.size(), 1u);
  ASSERT_TRUE(a.holds[0].release_s.has_value());
  EXPECT_DOUBLE_EQ(*a.holds[0].release_s, 33.0);
  EXPECT_EQ(a.holds[0].release_source, "marker");
}

TEST(SessionAnalyzer, EndsAHoldWhenTheLoadFallsAway) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(30, -120, 100, 200, 200);
  sc.add(1, -120, 100, 200, 60);  // weight shifted off the ball, ball still there
  sc.add(10, -120, 100, 60, 60);
  const SessionAnalysis a = analyzeSession(sc.s);
  ASSERT_GE(a.holds.size(), 1u);
  EXPECT_NEAR(a.holds[0].end_s, 32.0, 0.8);
}

TEST(SessionAnalyzer, SurvivesMissingSamplesInsideAHold) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(40, -120, 100, 200, 200);
  sc.add(1, -120, 100, 200, 0);
  std::vector<AnalysisSample> gappy;
  for (const auto& s : sc.s)
    if (!(s.t_s > 15 && s.t_s < 16.5) && !(s.t_s > 30 && s.t_s < 30.4)) gappy.push_back(s);
  const SessionAnalysis a = analyzeSession(gappy);
  ASSERT_EQ(a.holds.size(), 1u) << "short gaps do not split a hold";
  EXPECT_GE(a.summary.gaps, 2u);
}

// Live (samples in random chunks, markers as they happen, reading the open hold in between)
// against offline (the whole file at once) on a session with a detected release, a "released"
// marker, a side switch and dropouts.
TEST(SessionAnalyzer, LiveInRandomChunksMatchesOfflineWithReleasesMarkersAndADropout) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(3, -120, 60, 200, 200);
  sc.add(32, -120, 60, 200, 200);  // hold 1 from 5 s ...
  sc.tremor = 0.015;
  sc.add(2, -120, 60, 200, 218);  // ... releases with a load-up at 37 s
  sc.add(12, -120, 60, 218, 218);
  sc.tremor = 0.03;
  sc.add(4, 120, 60, 218, 200);   // roll to the right half
  sc.add(40, 120, 60, 200, 200);  // hold 2 from 55 s; the user presses "released" at 80 s
  sc.add(4, 120, -20, 200, 200);
  sc.add(35, 120, -20, 200, 200);  // hold 3 from 99 s, no release ...
  sc.add(1, 120, -20, 200, 0);
  std::vector<AnalysisSample> samples;
  for (const auto& x : sc.s) {
    const bool dropout = (x.t_s > 46 && x.t_s < 58) || (x.t_s > 110 && x.t_s < 111.5);
    if (!dropout) samples.push_back(x);  // 12 s lost across the roll, 1.5 s inside hold 3
  }
  SessionMarkers markers({80.0}, {{1.0, Side::kLeft}, {50.0, Side::kRight}});
  const SessionAnalysis offline = analyzeSession(samples, markers);

  // The offline result is right, so matching it means something.
  ASSERT_EQ(offline.holds.size(), 3u);
  EXPECT_NEAR(offline.holds[0].start_s, 5.0, 0.8);
  ASSERT_TRUE(offline.holds[0].release_s.has_value());
  EXPECT_NEAR(*offline.holds[0].release_s, 37.0, 2.0);
  EXPECT_NE(offline.holds[0].release_source, "marker");
  EXPECT_GE(offline.holds[1].start_s, 58.0) << "starts after the dropout";
  ASSERT_TRUE(offline.holds[1].release_s.has_value());
  EXPECT_DOUBLE_EQ(*offline.holds[1].release_s, 80.0);
  EXPECT_EQ(offline.holds[1].release_source, "marker");
  EXPECT_EQ(offline.holds[1].side, Side::kRight);
  EXPECT_NEAR(offline.holds[2].end_s, 134.0, 1.0) << "a 1.5 s dropout does not split hold 3";
  EXPECT_FALSE(offline.holds[2].release_s.has_value());

  for (uint32_t seed = 1; seed <= 10; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> chunk(1, 400);
    SessionAnalyzer live;
    size_t next_release = 0, next_side = 0, i = 0;
    std::optional<double> open_start, open_release;
    while (i < samples.size()) {
      const size_t end = std::min(samples.size(), i + chunk(rng));
      for (; i < end; ++i) {
        const double t = samples[i].t_s;
        while (next_release < markers.released_s.size() && markers.released_s[next_release] <= t)
          live.markReleased(markers.released_s[next_release++]);
        while (next_side < markers.sides.size() && markers.sides[next_side].t_s <= t) {
          live.markSide(markers.sides[next_side].t_s, markers.sides[next_side].side);
          ++next_side;
        }
        live.push(samples[i]);
      }
      // Completed holds are final: each equals its offline counterpart as soon as it appears.
      const auto& done = live.holds();
      ASSERT_LE(done.size(), offline.holds.size());
      for (size_t k = 0; k < done.size(); ++k) {
        EXPECT_DOUBLE_EQ(done[k].start_s, offline.holds[k].start_s) << "seed " << seed;
        EXPECT_DOUBLE_EQ(done[k].end_s, offline.holds[k].end_s) << "seed " << seed;
        EXPECT_EQ(done[k].release_s, offline.holds[k].release_s) << "seed " << seed;
      }
      // The open hold: its start is already the final one and never moves; a detector release,
      // once shown, stays (hold 1 has no marker to override it).
      const std::optional<Hold> cur = live.currentHold();
      if (!cur) {
        open_start.reset();
        open_release.reset();
        continue;
      }
      ASSERT_LT(done.size(), offline.holds.size());
      const Hold& final_hold = offline.holds[done.size()];
      EXPECT_DOUBLE_EQ(cur->start_s, final_hold.start_s) << "seed " << seed;
      if (open_start) {
        EXPECT_DOUBLE_EQ(*open_start, cur->start_s);
      }
      open_start = cur->start_s;
      EXPECT_LE(cur->end_s, final_hold.end_s + 1.5) << "seed " << seed;
      if (open_release) {
        EXPECT_EQ(cur->release_s, open_release) << "seed " << seed;
      }
      if (cur->release_s) {
        open_release = cur->release_s;
        if (done.size() == 0) {
          EXPECT_EQ(cur->release_s, final_hold.release_s);
        }
      }
      EXPECT_EQ(cur->side, final_hold.side) << "seed " << seed;
    }
    live.finish();
    ASSERT_EQ(live.holds().size(), offline.holds.size());
    for (size_t k = 0; k < offline.holds.size(); ++k) {
      const Hold& l = live.holds()[k];
      const Hold& o = offline.holds[k];
      EXPECT_DOUBLE_EQ(l.start_s, o.start_s);
      EXPECT_DOUBLE_EQ(l.end_s, o.end_s);
      EXPECT_EQ(l.release_s, o.release_s);
      EXPECT_EQ(l.release_source, o.release_source);
      EXPECT_DOUBLE_EQ(l.mean_force_n, o.mean_force_n);
      EXPECT_EQ(l.side, o.side);
      EXPECT_EQ(l.side_source, o.side_source);
    }
    EXPECT_DOUBLE_EQ(live.summary().hold_s, offline.summary.hold_s);
    EXPECT_EQ(live.summary().gaps, offline.summary.gaps);
  }
}

TEST(SessionAnalyzer, ReportsRollingSpeedAndTimeUnderLoadPerSide) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(10, -120, -100, 200, 200);  // 20 mm/s on the left
  sc.add(1, -120, -100, 200, 0);
  sc.add(2, 120, 100, 0, 0);
  sc.add(2, 120, 100, 0, 200);
  sc.add(5, 120, -100, 200, 200);  // 40 mm/s on the right
  sc.add(1, 120, -100, 200, 0);
  const SessionSummary s = analyzeSession(sc.s).summary;
  EXPECT_NEAR(s.loaded_left_s, 12.0, 1.0);
  EXPECT_NEAR(s.loaded_right_s, 7.0, 1.0);
  EXPECT_NEAR(s.sample_rate_hz, 80.0, 0.1);
  EXPECT_GT(s.roll_speed_p90_mm_s, 30.0);
  EXPECT_NEAR(s.roll_fast_share, 5.0 / 15.0, 0.15);
}

// Found by fuzzing (fuzz/session_csv, docs/RELIABILITY.md "Fuzzing"): a position glitch of
// 1e60 mm made a rolling speed far beyond any integer, and the speed histogram converted it to an
// index (undefined behaviour; the sanitizer build stops on it). It counts in the top bin.
TEST(SessionAnalyzer, AWildPositionGlitchCountsAsTheFastestRollingSpeed) {
  Script sc;
  sc.add(2, -120, 100, 0, 200);
  sc.add(10, -120, -100, 200, 200);  // 20 mm/s
  sc.s[sc.s.size() / 2].x_mm = 1e60;
  sc.s[sc.s.size() / 2 + 1].x_mm = -1e60;
  sc.add(1, -120, -100, 200, 0);
  const SessionSummary s = analyzeSession(sc.s).summary;
  EXPECT_TRUE(std::isfinite(s.roll_speed_p90_mm_s));
  EXPECT_LE(s.roll_speed_p90_mm_s, 500.5);
  EXPECT_GT(s.roll_fast_share, 0.0);
  EXPECT_LT(s.roll_fast_share, 0.5);  // the glitch's second or two, not the whole roll
}

// [SECTION] Dropouts (issue 9, item 3)

namespace {

// Holds at one spot broken by dropouts of 0.5-60 s and by the load falling away and coming back,
// so a careless start walk-back would cross missing data or run into the previous hold.
std::vector<AnalysisSample> dropoutSession(uint32_t seed) {
  Script sc;
  sc.rng.seed(seed);
  std::mt19937 r(seed * 7 + 1);
  std::uniform_real_distribution<double> u(0, 1);
  sc.add(2, -120, 60, 0, 200);
  std::vector<AnalysisSample> out;
  std::vector<std::pair<double, double>> cuts;
  for (int i = 0; i < 6; ++i) {
    sc.add(15 + 20 * u(r), -120, 60, 200, 200);
    const double gap = 0.5 + 59.5 * u(r) * u(r);  // 0.5-60 s, more short ones
    cuts.push_back({sc.t, sc.t + gap});
    sc.t += gap;
    if (u(r) < 0.5) {  // weight off the ball for a moment, ball left in place
      sc.add(2, -120, 60, 200, 40);
      sc.add(1.5, -120, 60, 40, 200);
    }
  }
  sc.add(10, -120, 60, 200, 200);
  sc.add(1, -120, 60, 200, 0);
  (void)cuts;
  return sc.s;
}

bool isSampleTime(const std::vector<AnalysisSample>& s, double t) {
  auto it = std::lower_bound(s.begin(), s.end(), t,
                             [](const AnalysisSample& a, double v) { return a.t_s < v; });
  return it != s.end() && it->t_s == t;
}

}  // namespace

TEST(SessionAnalyzer, HoldsNeverStartBeforeADropoutNorOverlapThePreviousHold) {
  const HoldParams p;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const std::vector<AnalysisSample> s = dropoutSession(seed);
    const SessionAnalysis a = analyzeSession(s, {}, p);
    ASSERT_FALSE(a.holds.empty()) << "seed " << seed;
    for (size_t i = 0; i < a.holds.size(); ++i) {
      const Hold& h = a.holds[i];
      EXPECT_TRUE(isSampleTime(s, h.start_s)) << "seed " << seed << " hold " << i << " start";
      EXPECT_TRUE(isSampleTime(s, h.end_s)) << "seed " << seed << " hold " << i << " end";
      EXPECT_LT(h.start_s, h.end_s);
      if (i > 0) {
        EXPECT_GT(h.start_s, a.holds[i - 1].end_s)
            << "seed " << seed << ": hold " << i << " overlaps the one before";
      }
      // No gap longer than max_gap_s inside a hold.
      auto it = std::lower_bound(s.begin(), s.end(), h.start_s,
                                 [](const AnalysisSample& x, double v) { return x.t_s < v; });
      for (; it + 1 != s.end() && (it + 1)->t_s <= h.end_s; ++it)
        EXPECT_LE((it + 1)->t_s - it->t_s, p.max_gap_s)
            << "seed " << seed << ": hold " << i << " [" << h.start_s << ", " << h.end_s
            << "] spans missing data at " << it->t_s;
    }
    double held = 0;
    for (const Hold& h : a.holds) held += h.duration_s();
    EXPECT_NEAR(a.summary.hold_s, held, 1e-6);
  }
}

// [SECTION] Stillness (issue 9, item 4)

TEST(SessionAnalyzer, OneSmallSwayDoesNotRestartTheDwell) {
  // Quiet standing: the ball settles at t = 7 s and wanders within a ~10 mm circle; 2-3 s later
  // one 11 mm sway: out in 0.3 s, a second there, and back (about 11 mm/s over a second).
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    Script sc;
    sc.rng.seed(seed);
    sc.add(2, -120, 140, 0, 200);
    sc.add(5, -120, 60, 200, 200);  // roll in at 16 mm/s
    std::mt19937 r(seed);
    std::normal_distribution<double> w(0, 1);
    double ox = 0, oy = 0;
    const size_t from = sc.s.size();
    sc.add(40, -120, 60, 200, 200);
    for (size_t i = from; i < sc.s.size(); ++i) {
      AnalysisSample& a = sc.s[i];
      ox = 0.98 * ox + 0.4 * w(r);  // AR(1), ~2 mm rms
      oy = 0.98 * oy + 0.4 * w(r);
      const double u = a.t_s - (9.0 + 0.25 * seed);
      const double sway = 11.0 * std::clamp(std::min(u, 1.6 - u) / 0.3, 0.0, 1.0);
      a.x_mm += std::clamp(ox, -4.0, 4.0) + sway;
      a.y_mm += std::clamp(oy, -4.0, 4.0);
    }
    sc.add(4, -120, 0, 200, 200);
    sc.add(1, -120, 0, 200, 0);
    const SessionAnalysis a = analyzeSession(sc.s);
    ASSERT_EQ(a.holds.size(), 1u) << "seed " << seed;
    EXPECT_NEAR(a.holds[0].start_s, 7.0, 1.0) << "seed " << seed << " end " << a.holds[0].end_s;
  }
}

TEST(SessionAnalyzer, RollingBackAndForthOverASpotIsNotAHold) {
  Script sc;
  sc.add(2, -120, 60, 0, 200);
  for (int i = 0; i < 8; ++i) {  // 18 mm strokes at 18 mm/s, each with a 0.5 s pause
    sc.add(1, -120, 78, 200, 200);
    sc.add(0.5, -120, 78, 200, 200);
    sc.add(1, -120, 60, 200, 200);
    sc.add(0.5, -120, 60, 200, 200);
  }
  sc.add(1, -120, 60, 200, 0);
  EXPECT_TRUE(analyzeSession(sc.s).holds.empty());
}

// [SECTION] Force only (issue 9, item 6)

TEST(SessionAnalyzer, FindsHoldsFromForceAloneWhenNoSampleHasAPosition) {
  // Rolling at a wandering load (+-10 % over 8 s), then a steady 47 s hold from 35.5 s with a
  // 10 % load-up 30 s in, then the weight comes off. No sample carries x/y.
  Script sc;
  sc.add(2, -120, 100, 0, 180);
  for (int i = 0; i < 4; ++i) {
    sc.add(2, -120, 100, 180, 198);
    sc.add(2, -120, 100, 198, 180);
    sc.add(2, -120, 100, 180, 162);
    sc.add(2, -120, 100, 162, 180);
  }
  sc.add(1.5, -120, 100, 180, 200);  // pressing in from 34 s
  sc.add(30, -120, 100, 200, 200);
  sc.add(2, -120, 100, 200, 220);  // load-up: release at 65.5 s
  sc.add(15, -120, 100, 220, 220);
  sc.add(1, -120, 100, 220, 40);  // weight off the ball at 82.5 s
  sc.add(3, -120, 100, 40, 0);
  for (auto& s : sc.s) s.has_xy = false;
  const SessionAnalysis a = analyzeSession(sc.s);
  ASSERT_EQ(a.holds.size(), 1u);
  const Hold& h = a.holds[0];
  EXPECT_NEAR(h.start_s, 35.5, 1.5);
  EXPECT_NEAR(h.end_s, 82.5, 1.0);
  EXPECT_FALSE(h.has_xy);
  EXPECT_EQ(h.side, Side::kUnknown) << "no position, no plate half to guess from";
  ASSERT_TRUE(h.release_s.has_value());
  EXPECT_NEAR(*h.release_s, 65.5, 2.0);

  // The same live, told up front that no position will come.
  SessionAnalyzer live({}, AnalyzerInput::kForceOnly);
  for (const auto& s : sc.s) live.push(s);
  live.finish();
  ASSERT_EQ(live.holds().size(), 1u);
  EXPECT_DOUBLE_EQ(live.holds()[0].start_s, h.start_s);
}

// [SECTION] Side (issue 9, item 7)

TEST(SessionAnalyzer, TheSideIsTheUsersAndThePlateHalfOnlyALabelledGuess) {
  Script sc;
  sc.add(2, 120, 60, 0, 200);  // the ball on the right half of the plate
  sc.add(30, 120, 60, 200, 200);
  sc.add(4, 120, -20, 200, 200);
  sc.add(30, 120, -20, 200, 200);
  sc.add(1, 120, -20, 200, 0);
  // The user treats the left hip (lying turned), then says nothing for the second hold.
  const SessionAnalysis guessed = analyzeSession(sc.s);
  ASSERT_EQ(guessed.holds.size(), 2u);
  EXPECT_EQ(guessed.holds[0].side, Side::kRight);
  EXPECT_EQ(guessed.holds[0].side_source, SideSource::kPlateGuess);
  SessionMarkers m;
  m.sides.push_back({1.0, Side::kLeft});
  const SessionAnalysis told = analyzeSession(sc.s, m);
  ASSERT_EQ(told.holds.size(), 2u);
  for (const Hold& h : told.holds) {
    EXPECT_EQ(h.side, Side::kLeft);
    EXPECT_EQ(h.side_source, SideSource::kUser);
    EXPECT_STREQ(sideSourceName(h.side_source), "user");
  }
  // Switching sides before the second hold, through the CSV marker column; live, the open hold
  // already carries the user's side.
  std::string csv = "time_s,force_N,x_mm,y_mm,marker\n";
  for (const auto& s : sc.s) {
    char row[128];
    const char* mark =
        s.t_s == sc.s[80].t_s ? "side=left" : (s.t_s == sc.s[36 * 80].t_s ? "side=right" : "");
    std::snprintf(row, sizeof(row), "%.4f,%.3f,%.2f,%.2f,%s\n", s.t_s, s.force_n, s.x_mm, s.y_mm,
                  mark);
    csv += row;
  }
  std::istringstream in(csv);
  const AnalysisCsv parsed = readAnalysisCsv(in);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  ASSERT_EQ(parsed.side_markers.size(), 2u);
  SessionAnalyzer live;
  for (const SideMark& sm : parsed.side_markers) live.markSide(sm.t_s, sm.side);
  bool saw_open = false;
  for (const auto& s : parsed.samples) {
    live.push(s);
    if (auto cur = live.currentHold(); cur && !saw_open) {
      saw_open = true;
      EXPECT_EQ(cur->side, Side::kLeft);
      EXPECT_EQ(cur->side_source, SideSource::kUser);
    }
  }
  live.finish();
  ASSERT_EQ(live.holds().size(), 2u);
  EXPECT_EQ(live.holds()[0].side, Side::kLeft);
  EXPECT_EQ(live.holds()[1].side, Side::kRight);
  EXPECT_EQ(live.holds()[1].side_source, SideSource::kUser);

  // Force only, nobody said: no side at all rather than a guess from nothing.
  std::vector<AnalysisSample> fo = sc.s;
  for (auto& s : fo) s.has_xy = false;
  for (const Hold& h : analyzeSession(fo).holds) {
    EXPECT_EQ(h.side, Side::kUnknown);
    EXPECT_EQ(h.side_source, SideSource::kNone);
  }
}

// [SECTION] The tremor cue against a measured noise floor (issue 9, item 5, second round)
namespace {

// One hold at `rate_hz`: the ball placed at t = 0 (2 s ramp to 200 N), held still for hold_s,
// then rolled off. The load carries breathing (`breath`, 3 % by default, at 0.3 Hz), tremor at 8.5
// Hz (three components within +-10 %, each waxing and waning by +-wax over 6-17 s; rms tremor_share
// of the load, times tremor_after from drop_at_s into the hold on) and white measurement noise
// (per-sample sd noise_share of the load, i.e. flat up to Nyquist like an HX711's or a plate
// amplifier's).
std::vector<AnalysisSample> tremorHold(double rate_hz, double hold_s, double tremor_share,
                                       double noise_share, double drop_at_s, double tremor_after,
                                       double load_change = 0, unsigned seed = 5, double wax = 0.3,
                                       double breath = 0.03) {
  std::vector<AnalysisSample> s;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::uniform_real_distribution<double> u(0, 2 * M_PI);
  const double f[3] = {8.5 * 0.9, 8.5, 8.5 * 1.1}, mod_hz[3] = {1 / 6.0, 1 / 11.0, 1 / 17.0};
  double ph[3], mph[3];
  for (int i = 0; i < 3; ++i) {
    ph[i] = u(rng);
    mph[i] = u(rng);
  }
  const double ramp_s = 2, total_s = ramp_s + hold_s + 4;
  const double amp = tremor_share * std::sqrt(2.0 / 3.0);  // three unit sines: rms tremor_share
  for (double t = 0; t < total_s; t += 1 / rate_hz) {
    const double in_hold = t - ramp_s;
    double base = 200 * std::min(1.0, t / ramp_s);
    double trem = 0;
    for (int i = 0; i < 3; ++i)
      trem += (1 + wax * std::sin(2 * M_PI * mod_hz[i] * t + mph[i])) *
              std::sin(2 * M_PI * f[i] * t + ph[i]);
    double k = 1;
    if (in_hold >= drop_at_s) {
      const double e = std::min(1.0, (in_hold - drop_at_s) / 1.0);  // over 1 s
      k = 1 + (tremor_after - 1) * e;
      base *= 1 + load_change * e;
    }
    AnalysisSample a;
    a.t_s = t;
    a.force_n = base * (1 + breath * std::sin(2 * M_PI * 0.3 * t) + amp * k * trem +
                        noise_share * noise(rng));
    a.has_xy = a.force_n >= 20;
    a.x_mm = -120 + (in_hold > hold_s ? 20 * (in_hold - hold_s) : 0);
    a.y_mm = 80 + 0.5 * std::sin(2 * M_PI * 0.25 * t);
    s.push_back(a);
  }
  return s;
}

}  // namespace

// Real plates show tremor of about 0.05-0.18 % of the load: far under the 0.5 % the old test
// needed. Measured against the noise at 18-36 Hz it stands out, and its drop is a release even
// with no load-up.
TEST(SessionAnalyzer, ATremorDropWithNoLoadUpAboveAMeasuredNoiseFloorIsCalled) {
  // Tremor 0.15 % of the load; white noise 0.05 % per sample (about 0.02 % in 4-12 Hz at
  // 80 Hz): tremor about 7 times the floor. It drops to a third 50 s into the hold.
  for (double rate : {80.0, 200.0, 1000.0}) {
    const auto s = tremorHold(rate, 90, 0.0015, 0.0005, 50, 0.33);
    const SessionAnalysis a = analyzeSession(s);
    ASSERT_EQ(a.holds.size(), 1u) << rate << " Hz";
    const Hold& h = a.holds[0];
    ASSERT_TRUE(h.release_s.has_value()) << rate << " Hz";
    EXPECT_NEAR(*h.release_s - h.start_s, 50, 4) << rate << " Hz";
    EXPECT_EQ(h.release_source, "tremor") << rate << " Hz";
    EXPECT_LT(h.tremor_ratio, 0.6) << rate << " Hz";
  }
}

TEST(SessionAnalyzer, TheSameTremorDropUnderTheNoiseFloorIsNotCalled) {
  // The same tremor and drop, under white noise ten times stronger (about 0.2 % in 4-12 Hz).
  for (double rate : {80.0, 200.0}) {
    const auto s = tremorHold(rate, 90, 0.0015, 0.005, 50, 0.33);
    const SessionAnalysis a = analyzeSession(s);
    ASSERT_EQ(a.holds.size(), 1u) << rate << " Hz";
    EXPECT_FALSE(a.holds[0].release_s.has_value())
        << rate << " Hz: " << *a.holds[0].release_s - a.holds[0].start_s;
  }
}

TEST(SessionAnalyzer, ATremorDropWhileTheLoadEasesOffIsNotARelease) {
  // Easing off the ball lowers tremor with the force: 5 % less load, tremor to a third.
  const auto s = tremorHold(80, 90, 0.0015, 0.0005, 50, 0.33, -0.05);
  const SessionAnalysis a = analyzeSession(s);
  ASSERT_EQ(a.holds.size(), 1u);
  EXPECT_FALSE(a.holds[0].release_s.has_value()) << *a.holds[0].release_s - a.holds[0].start_s;
}

// Under about 49 Hz there is no band above the tremor band in which to measure the floor, so the
// tremor cue is off (the load-up is all there is); at 20 Hz there is no tremor band at all.
TEST(SessionAnalyzer, NoTremorCueWhenTheSampleRateLeavesNoBandToMeasureTheFloorIn) {
  for (double rate : {20.0, 40.0}) {
    const auto s = tremorHold(rate, 90, 0.0015, 0.0005, 50, 0.33);
    const SessionAnalysis a = analyzeSession(s);
    ASSERT_EQ(a.holds.size(), 1u) << rate << " Hz";
    EXPECT_FALSE(a.holds[0].release_s.has_value()) << rate << " Hz";
    EXPECT_EQ(a.holds[0].tremor_ratio, 0) << rate << " Hz";
  }
}

TEST(SessionAnalyzer, AHeldForceWithConstantTremorAndBreathingGivesNoFalseReleaseAtSeveralRates) {
  // 90 s of steady hold: tremor from under the floor to well over it, each component waxing and
  // waning by +-30 % or +-60 % over 6-17 s, breathing, noise; several people (seeds), 14-1000 Hz.
  for (double rate : {14.0, 20.0, 40.0, 80.0, 200.0, 1000.0}) {
    for (unsigned seed = 1; seed <= 4; ++seed) {
      for (double tremor : {0.0005, 0.0015, 0.005}) {
        for (double wax : {0.3, 0.6}) {
          const auto s = tremorHold(rate, 90, tremor, 0.0005, 1e9, 1, 0, seed, wax);
          const SessionAnalysis a = analyzeSession(s);
          ASSERT_EQ(a.holds.size(), 1u) << rate << " Hz, seed " << seed << ", tremor " << tremor;
          EXPECT_FALSE(a.holds[0].release_s.has_value())
              << rate << " Hz, seed " << seed << ", tremor " << tremor << ", wax " << wax << ": "
              << *a.holds[0].release_s - a.holds[0].start_s << " s into the hold";
        }
      }
    }
  }
}

// Opt-in (HoldParams::breath_fit_k): with breathing fitted out, a 3 % load-up under 6 % breathing
// is found; by default it is within 1.5 times the breathing's own fluctuation and is not.
TEST(SessionAnalyzer, ASmallLoadUpUnderDeepBreathingIsFoundOnlyWithTheBreathingFitOn) {
  const auto s = tremorHold(80, 90, 0.0015, 0.0005, 50, 1.0, 0.03, 5, 0.3, 0.06);
  const SessionAnalysis plain = analyzeSession(s);
  ASSERT_EQ(plain.holds.size(), 1u);
  EXPECT_FALSE(plain.holds[0].release_s.has_value());
  HoldParams p;
  p.breath_fit_k = 4;
  const SessionAnalysis fitted = analyzeSession(s, {}, p);
  ASSERT_EQ(fitted.holds.size(), 1u);
  ASSERT_TRUE(fitted.holds[0].release_s.has_value());
  EXPECT_NEAR(*fitted.holds[0].release_s - fitted.holds[0].start_s, 50.5, 3);
  // ... and a steady hold under the same breathing stays without a release.
  const auto steady = tremorHold(80, 90, 0.0015, 0.0005, 1e9, 1.0, 0, 5, 0.3, 0.06);
  const SessionAnalysis calm = analyzeSession(steady, {}, p);
  ASSERT_EQ(calm.holds.size(), 1u);
  EXPECT_FALSE(calm.holds[0].release_s.has_value());
}

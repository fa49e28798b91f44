// CuePlanner on scripted sessions fed sample by sample at 80 Hz: the exact list of cues, each on
// the sample where its condition first holds.
#include "rollrig/core/cue_planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace rollrig::core;

namespace {

constexpr double kDt = 0.0125;  // 80 Hz

// One sample's time: sample i of the session.
double at(int i) {
  return i * kDt;
}

// Feeds samples 0..n-1 through `state` (which fills the input for a time) and gathers the cues.
std::vector<Cue> run(CuePlanner& p, int n, const std::function<void(double, CueInput&)>& state) {
  std::vector<Cue> all;
  for (int i = 0; i < n; ++i) {
    CueInput in;
    in.t_s = at(i);
    state(in.t_s, in);
    for (Cue& c : p.update(in)) all.push_back(c);
  }
  return all;
}

// A hold from start_s to end_s (released at release_s if given), rolling at `speed` outside it.
void holdScript(CueInput& in, double t, double start_s, double end_s,
                std::optional<double> release_s, double speed) {
  if (t >= start_s && t < end_s) {
    in.in_hold = true;
    in.hold_start_s = start_s;
    in.hold_elapsed_s = t - start_s;
    in.hold_released = release_s && t >= *release_s;
  } else {
    in.roll_speed_mm_s = speed;
  }
}

}  // namespace

TEST(CuePlanner, AHoldThatReachesTheWindowAndReleasesGivesItsCuesOnceEachOnTheSample) {
  CuePlanner p;
  // Rolling slowly, then a hold from 10 s; 30 s in at 40 s; released at 52.5 s; ends at 60 s.
  const std::vector<Cue> cues = run(p, static_cast<int>(70 / kDt), [](double t, CueInput& in) {
    holdScript(in, t, 10.0, 60.0, 52.5, 20.0);
  });
  ASSERT_EQ(cues.size(), 3u);
  EXPECT_EQ(cues[0].kind, CueKind::kHoldConfirmed);
  EXPECT_DOUBLE_EQ(cues[0].t_s, at(800));  // 10.0 s
  EXPECT_EQ(cues[1].kind, CueKind::kWindowReached);
  EXPECT_DOUBLE_EQ(cues[1].t_s, at(3200));  // 40.0 s: 30 s into the hold
  EXPECT_EQ(cues[1].words, "thirty seconds");
  EXPECT_EQ(cues[2].kind, CueKind::kReleased);
  EXPECT_DOUBLE_EQ(cues[2].t_s, at(4200));  // 52.5 s
  EXPECT_EQ(cues[2].words, "released");
}

TEST(CuePlanner, AHoldPast90SecondsSaysMoveOnAndAReleaseBeforeTheWindowSilencesIt) {
  CuePlanner p;
  std::vector<Cue> cues = run(p, static_cast<int>(110 / kDt), [](double t, CueInput& in) {
    holdScript(in, t, 5.0, 105.0, std::nullopt, 20.0);
  });
  ASSERT_EQ(cues.size(), 3u);
  EXPECT_EQ(cues[2].kind, CueKind::kMoveOn);
  EXPECT_DOUBLE_EQ(cues[2].t_s, at(7600));  // 95 s = 90 s into the hold
  EXPECT_EQ(cues[2].words, "time to move on");
  // Released at 20 s: no "thirty seconds" afterwards (the spot is done).
  CuePlanner q;
  cues = run(q, static_cast<int>(60 / kDt),
             [](double t, CueInput& in) { holdScript(in, t, 5.0, 50.0, 25.0, 20.0); });
  ASSERT_EQ(cues.size(), 2u);
  EXPECT_EQ(cues[1].kind, CueKind::kReleased);
  EXPECT_DOUBLE_EQ(cues[1].t_s, at(2000));
}

TEST(CuePlanner, RollingTooFastIsSaidAtMostOnceEvery10Seconds) {
  CuePlanner p;
  // Too fast (90 mm/s) from 2 s to 25 s, slow otherwise, no hold.
  const std::vector<Cue> cues = run(p, static_cast<int>(30 / kDt), [](double t, CueInput& in) {
    in.roll_speed_mm_s = t >= 2.0 && t < 25.0 ? 90.0 : 20.0;
  });
  ASSERT_EQ(cues.size(), 3u);
  for (const Cue& c : cues) EXPECT_EQ(c.kind, CueKind::kTooFast);
  EXPECT_DOUBLE_EQ(cues[0].t_s, at(160));   // 2 s
  EXPECT_DOUBLE_EQ(cues[1].t_s, at(960));   // 12 s
  EXPECT_DOUBLE_EQ(cues[2].t_s, at(1760));  // 22 s
  EXPECT_EQ(cues[0].words, "slower");
}

TEST(CuePlanner, ALoadOutOfTheBandForMoreThan3SecondsInAHoldIsSaidOncePerExcursion) {
  CuePlanner p;
  // A hold from 0 s; load 35 % BW, 62 % from 10 s to 12 s (too short), 62 % from 20 s to 30 s,
  // 12 % from 40 s on.
  std::vector<Cue> cues = run(p, static_cast<int>(50 / kDt), [](double t, CueInput& in) {
    holdScript(in, t, 0.0, 1000.0, std::nullopt, 0);
    in.load_fraction = (t >= 10 && t < 12) || (t >= 20 && t < 30) ? 0.62 : t >= 40 ? 0.12 : 0.35;
  });
  std::vector<Cue> band;
  for (const Cue& c : cues)
    if (c.kind == CueKind::kOutOfBand) band.push_back(c);
  ASSERT_EQ(band.size(), 2u);
  EXPECT_DOUBLE_EQ(band[0].t_s, at(1840));  // 23 s: out since 20 s
  EXPECT_EQ(band[0].words, "less pressure");
  EXPECT_DOUBLE_EQ(band[1].t_s, at(3440));  // 43 s
  EXPECT_EQ(band[1].words, "more pressure");
}

TEST(CuePlanner, TheGuideGivesSwitchSidesAndTheStretchCues) {
  ProtocolGuide guide;
  CuePlanner p;
  std::vector<Cue> cues;
  const auto step = [&](double t) {
    guide.update(t, {}, nullptr);
    CueInput in;
    in.t_s = t;
    in.guide = &guide.view();
    for (Cue& c : p.update(in)) cues.push_back(c);
  };
  // Rolling on the right for 5 minutes: the guide's move-on time.
  int i = 0;
  for (; at(i) <= 301.0; ++i) step(at(i));
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(cues[0].kind, CueKind::kSwitchSides);
  EXPECT_EQ(cues[0].words, "switch to the left side");
  // Left side (Tab), 5 minutes: the stretch comes next.
  guide.next(at(i));
  for (const double end = at(i) + 301.0; at(i) <= end; ++i) step(at(i));
  ASSERT_EQ(cues.size(), 2u);
  EXPECT_EQ(cues[1].words, "time for the stretch");
  // The right stretch: a hold of 35 s (done at 30 s), then one of 30 s (60 s in all at 25 s in).
  guide.next(at(i));
  const double s1 = at(i);
  guide.toggleStretchHold(s1);
  for (; at(i) <= s1 + 35.0; ++i) step(at(i));
  guide.toggleStretchHold(at(i));
  const double s2 = at(++i);
  guide.toggleStretchHold(s2);
  for (; at(i) <= s2 + 30.0; ++i) step(at(i));
  ASSERT_EQ(cues.size(), 5u) << cues.back().words;
  EXPECT_EQ(cues[2].kind, CueKind::kStretchHoldDone);
  EXPECT_NEAR(cues[2].t_s, s1 + 30.0, kDt);
  EXPECT_EQ(cues[3].kind, CueKind::kStretchTotalReached);
  EXPECT_NEAR(cues[3].t_s, s2 + 25.0, 2 * kDt);
  EXPECT_EQ(cues[3].words, "sixty seconds on this side");
  EXPECT_EQ(cues[4].kind, CueKind::kStretchHoldDone);
  EXPECT_NEAR(cues[4].t_s, s2 + 30.0, kDt);
}

TEST(CuePlanner, AKindSwitchedOffIsNeverRaised) {
  CueSettings s;
  s.enabled[static_cast<size_t>(CueKind::kHoldConfirmed)] = false;
  s.enabled[static_cast<size_t>(CueKind::kTooFast)] = false;
  CuePlanner p(s);
  const std::vector<Cue> cues = run(p, static_cast<int>(50 / kDt), [](double t, CueInput& in) {
    holdScript(in, t, 10.0, 45.0, std::nullopt, 200.0);
  });
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(cues[0].kind, CueKind::kWindowReached);
  EXPECT_STREQ(cueKindName(CueKind::kOutOfBand), "out of band");
}

TEST(RollSpeedMeter, MeasuresTheDistanceRolledOverTheLastSecond) {
  RollSpeedMeter m;
  // 40 mm/s along x, then still, then no position.
  for (int i = 0; i <= 160; ++i) m.add(at(i), true, 40.0 * at(i), 5.0);
  ASSERT_TRUE(m.speed_mm_s());
  EXPECT_NEAR(*m.speed_mm_s(), 40.0, 1e-6);
  for (int i = 161; i <= 400; ++i) m.add(at(i), true, 40.0 * at(160), 5.0);
  EXPECT_NEAR(*m.speed_mm_s(), 0.0, 1e-9);
  m.add(at(401), false, 0, 0);
  EXPECT_FALSE(m.speed_mm_s());
  // A second of positions is needed again.
  m.add(at(402), true, 0, 0);
  EXPECT_FALSE(m.speed_mm_s());
}

// One table of the names a user types (`rollrig record --no-cue`) and gui.json keeps.
TEST(CueKindKey, EveryKindHasAHyphenatedKeyThatReadsBackAndNothingElseDoes) {
  std::string all;
  for (int i = 0; i < kCueKinds; ++i) {
    const auto kind = static_cast<CueKind>(i);
    const std::string key = cueKindKey(kind);
    EXPECT_EQ(key.find(' '), std::string::npos) << key;
    ASSERT_TRUE(cueKindFromKey(key).has_value()) << key;
    EXPECT_EQ(*cueKindFromKey(key), kind) << key;
    all += (i ? ", " : "") + key;
  }
  EXPECT_EQ(cueKindKey(CueKind::kHoldConfirmed), "hold-confirmed");
  EXPECT_EQ(cueKindKeys(), all);
  EXPECT_FALSE(cueKindFromKey("hold confirmed").has_value());
  EXPECT_FALSE(cueKindFromKey("").has_value());
}

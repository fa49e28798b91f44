#include "rollrig/core/protocol_guide.h"

#include <gtest/gtest.h>

namespace rollrig::core {
namespace {

Hold hold(double start_s, double end_s, std::optional<double> release_s = std::nullopt) {
  Hold h;
  h.start_s = start_s;
  h.end_s = end_s;
  h.release_s = release_s;
  return h;
}

TEST(ProtocolGuide, StartsOnTheRightSideAtTheFirstUpdateAndMarksTheSide) {
  ProtocolGuide g;
  EXPECT_EQ(g.view().current, -1);
  EXPECT_FALSE(g.takeSideMark().has_value());
  g.update(12.0, {}, nullptr);
  EXPECT_EQ(g.view().current, 0);
  EXPECT_EQ(g.view().steps[0].name, "right side rolling");
  EXPECT_DOUBLE_EQ(g.view().steps[0].start_s, 12.0);
  EXPECT_EQ(g.takeSideMark(), Side::kRight);
  EXPECT_FALSE(g.takeSideMark().has_value());  // taken once
}

TEST(ProtocolGuide, StepsAdvanceOnTabThroughBothSidesAndBothStretchesThenFinish) {
  ProtocolGuide g;
  g.update(0, {}, nullptr);
  g.takeSideMark();
  const Side sides[] = {Side::kLeft, Side::kRight, Side::kLeft};
  for (int i = 1; i <= 3; ++i) {
    g.next(i * 100.0);
    EXPECT_EQ(g.view().current, i);
    EXPECT_TRUE(g.view().steps[i - 1].done);
    EXPECT_DOUBLE_EQ(g.view().steps[i - 1].time_s, 100.0);
    EXPECT_EQ(g.takeSideMark(), sides[i - 1]);
  }
  EXPECT_EQ(g.view().steps[2].kind, ProtocolStepKind::kStretch);
  EXPECT_EQ(g.view().steps[3].name, "left hip-flexor stretch");
  g.next(350.0);
  EXPECT_TRUE(g.view().finished);
  EXPECT_DOUBLE_EQ(g.view().total_s, 350.0);
  EXPECT_FALSE(g.takeSideMark().has_value());
  g.update(999.0, {}, nullptr);  // finished: nothing moves any more
  EXPECT_DOUBLE_EQ(g.view().total_s, 350.0);
}

TEST(ProtocolGuide, TimesComeOnlyFromTheInputsAndNeverRunBackwards) {
  ProtocolGuide g;
  g.update(5.0, {}, nullptr);
  g.update(47.5, {}, nullptr);
  EXPECT_DOUBLE_EQ(g.view().steps[0].time_s, 42.5);
  EXPECT_DOUBLE_EQ(g.view().total_s, 42.5);
  g.update(40.0, {}, nullptr);  // an older time is not a step back
  EXPECT_DOUBLE_EQ(g.view().total_s, 42.5);
  g.next(50.0);
  g.update(65.0, {}, nullptr);
  EXPECT_DOUBLE_EQ(g.view().steps[1].time_s, 15.0);
  EXPECT_DOUBLE_EQ(g.view().total_s, 60.0);
}

TEST(ProtocolGuide, ARollingStepCountsTheHoldsThatReached30SecondsOrReleased) {
  ProtocolGuide g;
  g.update(100.0, {}, nullptr);
  const std::vector<Hold> closed = {
      hold(20, 60),           // before this step: not counted
      hold(110, 125),         // short, no release: a hold, not worked through
      hold(130, 150, 148.0),  // released at 18 s: worked through
      hold(160, 195),         // 35 s: reached the window
  };
  const Hold open = hold(200, 229.9);  // open, just under 30 s
  g.update(230.0, closed, &open);
  EXPECT_EQ(g.view().steps[0].holds, 4);
  EXPECT_EQ(g.view().steps[0].holds_worked, 2);
  EXPECT_FALSE(g.view().steps[0].move_on);
  const Hold open30 = hold(200, 230.0);
  g.update(231.0, closed, &open30);
  EXPECT_EQ(g.view().steps[0].holds_worked, 3);
  EXPECT_TRUE(g.view().steps[0].move_on);  // three worked through: the cue
  EXPECT_NE(g.view().cue.find("Tab"), std::string::npos);
}

TEST(ProtocolGuide, ARollingStepCuesAfterFiveMinutesEvenWithoutHolds) {
  ProtocolGuide g;
  g.update(0, {}, nullptr);
  g.update(299.0, {}, nullptr);
  EXPECT_FALSE(g.view().steps[0].move_on);
  EXPECT_TRUE(g.view().cue.empty());
  g.update(300.0, {}, nullptr);
  EXPECT_TRUE(g.view().steps[0].move_on);
  g.next(301.0);  // the next side starts without the cue
  EXPECT_TRUE(g.view().cue.empty());
}

TEST(ProtocolGuide, StretchTotalsAccumulateOnSpacePressesTo60SecondsAndCue) {
  ProtocolGuide g;
  g.update(0, {}, nullptr);
  EXPECT_FALSE(g.toggleStretchHold(5.0).has_value());  // rolling: space is not for the guide
  EXPECT_FALSE(g.inStretchStep());
  g.next(10.0);
  g.next(20.0);
  ASSERT_TRUE(g.inStretchStep());
  EXPECT_FALSE(g.toggleStretchHold(30.0).has_value());  // start
  g.update(42.0, {}, nullptr);
  const ProtocolStepView& s = g.view().steps[2];
  EXPECT_TRUE(s.stretch_running);
  EXPECT_DOUBLE_EQ(s.stretch_current_s, 12.0);
  EXPECT_DOUBLE_EQ(s.stretch_total_s, 12.0);
  EXPECT_EQ(g.toggleStretchHold(55.0), 25.0);  // stop: 25 s
  g.update(70.0, {}, nullptr);                 // resting between holds does not count
  EXPECT_DOUBLE_EQ(g.view().steps[2].stretch_total_s, 25.0);
  g.toggleStretchHold(70.0);
  EXPECT_EQ(g.toggleStretchHold(100.0), 30.0);
  EXPECT_DOUBLE_EQ(g.view().steps[2].stretch_total_s, 55.0);
  EXPECT_FALSE(g.view().steps[2].move_on);
  g.toggleStretchHold(110.0);
  g.update(114.9, {}, nullptr);
  EXPECT_FALSE(g.view().steps[2].move_on);
  g.update(115.0, {}, nullptr);  // the running hold brings it to 60 s
  EXPECT_TRUE(g.view().steps[2].move_on);
  EXPECT_EQ(g.view().steps[2].stretch_holds, 3);
  EXPECT_NE(g.view().cue.find("60 s"), std::string::npos);
  g.next(120.0);  // Tab stops the running hold and counts it
  EXPECT_DOUBLE_EQ(g.view().steps[2].stretch_total_s, 65.0);
  EXPECT_FALSE(g.view().steps[2].stretch_running);
  EXPECT_DOUBLE_EQ(g.view().steps[3].stretch_total_s, 0.0);
  EXPECT_FALSE(g.view().steps[3].move_on);
}

}  // namespace
}  // namespace rollrig::core

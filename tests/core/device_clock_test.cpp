#include "rollrig/core/device_clock.h"

#include <gtest/gtest.h>

using rollrig::core::DeviceClock;

TEST(DeviceClock, StartsAtTheFirstTimestamp) {
  DeviceClock c;
  DeviceClock::Step step;
  EXPECT_EQ(c.unwrap(123, &step), 123u);
  EXPECT_EQ(step, DeviceClock::Step::kFirst);
}

TEST(DeviceClock, UnwrapsRepeatedWrapsIntoSixtyFourBits) {
  DeviceClock c;
  uint64_t expect = 0xFFFF0000u;
  c.unwrap(static_cast<uint32_t>(expect));
  int wraps = 0;
  for (int i = 0; i < 3 * 4290; ++i) {  // just over 3 * 2^32 us in 1 s steps
    expect += 1000000;
    DeviceClock::Step step;
    ASSERT_EQ(c.unwrap(static_cast<uint32_t>(expect), &step), expect);
    if (step == DeviceClock::Step::kWrapped) ++wraps;
  }
  EXPECT_EQ(wraps, 3);
}

TEST(DeviceClock, NeverRunsBackwardsWhenTheDeviceRestarts) {
  DeviceClock c;
  c.unwrap(500000000);
  DeviceClock::Step step;
  const uint64_t t = c.unwrap(1000, &step);
  EXPECT_EQ(step, DeviceClock::Step::kRestarted);
  EXPECT_GT(t, 500000000u);
  EXPECT_EQ(c.unwrap(13500), t + 12500);
  EXPECT_GT(c.unwrapAfterRestart(20000000), t + 12500);
}

// Found by the frame_decoder fuzz target: `1 + t_us` was added in 32 bits, so a new boot whose
// first time read 2^32 - 1 added nothing and session time stood still.
TEST(DeviceClock, ARestartWhoseTimeIsTheCountersLastValueStillMovesTimeOn) {
  DeviceClock c;
  c.unwrap(300000);
  EXPECT_EQ(c.unwrapAfterRestart(0xFFFFFFFFu), 300000u + 0x100000000u);
  DeviceClock d;
  d.unwrap(0xFFFFFFF0u);
  d.unwrap(0x10);  // a wrap
  DeviceClock::Step step;
  EXPECT_EQ(d.unwrap(0xFFFFFFFFu, &step), 0x100000010u + 0x100000000u);
  EXPECT_EQ(step, DeviceClock::Step::kRestarted);
}

// RateMeter lives beside DeviceClock: both measure in device time.

#include "rollrig/core/rate_meter.h"

TEST(RateMeter, MeasuresTheRateFromDeviceTime) {
  rollrig::core::RateMeter m;
  for (int i = 0; i <= 240; ++i) m.add(1000000 + i * 12500ull);
  EXPECT_NEAR(m.rate_hz(), 80.0, 1e-9);
  EXPECT_NEAR(m.rateAt_hz(1000000 + 240 * 12500ull), 80.0, 1e-9);
}

// Issue 9, item 13: when samples stop, the rate shown falls instead of freezing at 80 Hz.
TEST(RateMeter, TheRateOverAWindowEndingNowFallsWhenSamplesStop) {
  rollrig::core::RateMeter m(2000000);
  const uint64_t last = 1000000 + 400 * 12500ull;
  for (int i = 0; i <= 400; ++i) m.add(1000000 + i * 12500ull);
  EXPECT_NEAR(m.rateAt_hz(last + 500000), 80.0 * 1.5 / 2.0, 0.1);  // 0.5 s without data
  EXPECT_NEAR(m.rateAt_hz(last + 1000000), 40.0, 0.1);
  EXPECT_NEAR(m.rateAt_hz(last + 1900000), 4.0, 0.1);
  EXPECT_EQ(m.rateAt_hz(last + 2000001), 0.0);
  EXPECT_NEAR(m.rate_hz(), 80.0, 1e-9) << "up to the last sample it is unchanged";
}

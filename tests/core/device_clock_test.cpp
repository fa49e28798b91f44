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

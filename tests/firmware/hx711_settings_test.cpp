#include <gtest/gtest.h>

#include "hx711.h"
#include "settings.h"

using namespace rollrig;

TEST(Hx711, SignExtendsTwentyFourBitCounts) {
  EXPECT_EQ(hx711ToCounts(0x000000), 0);
  EXPECT_EQ(hx711ToCounts(0x000001), 1);
  EXPECT_EQ(hx711ToCounts(0xFFFFFF), -1);
  EXPECT_EQ(hx711ToCounts(0x7FFFFF), 8388607);
  EXPECT_EQ(hx711ToCounts(0x800000), -8388608);
  EXPECT_EQ(hx711ToCounts(0xFF123456), 0x123456) << "bits above 24 are ignored";
}

TEST(Hx711, SaturatesOnlyAtTheRails) {
  EXPECT_TRUE(hx711Saturated(0x7FFFFF));
  EXPECT_TRUE(hx711Saturated(0x800000));
  EXPECT_FALSE(hx711Saturated(0x7FFFFE));
  EXPECT_FALSE(hx711Saturated(0xFFFFFF));
}

TEST(Hx711Monitor, TimesOutOnceAndSettlesAgainAfterRecovering) {
  Hx711Monitor m;
  m.start(0);
  EXPECT_TRUE(m.settling(10000));
  EXPECT_FALSE(m.checkTimeout(60000));
  EXPECT_FALSE(m.settling(60000));
  EXPECT_TRUE(m.onRead(60000, false));
  EXPECT_FALSE(m.checkTimeout(150000));
  EXPECT_TRUE(m.checkTimeout(170000));
  EXPECT_FALSE(m.checkTimeout(300000)) << "counted once per outage";
  EXPECT_TRUE(m.timedOut());
  EXPECT_TRUE(m.onRead(400000, false));
  EXPECT_FALSE(m.timedOut());
  EXPECT_TRUE(m.settling(410000));
  m.checkTimeout(460000);
  EXPECT_FALSE(m.settling(460000));
}

TEST(Hx711Monitor, FlagsSettlingWhenAChipSkippedConversionsAsAfterAPowerDown) {
  Hx711Monitor m;
  m.start(0);
  m.checkTimeout(60000);
  EXPECT_TRUE(m.onRead(62500, false));
  EXPECT_TRUE(m.onRead(75000, false));
  EXPECT_FALSE(m.settling(75000)) << "regular conversions: settled";
  // SCK was held high: the chip powered down and came back 50 ms later.
  EXPECT_TRUE(m.onRead(125000, false));
  EXPECT_TRUE(m.settling(125000));
  EXPECT_FALSE(m.timedOut()) << "shorter than the 100 ms timeout";
}

TEST(Hx711Monitor, SettlingDoesNotComeBackWhenMicrosWraps) {
  Hx711Monitor m;
  m.start(0xFFFF0000u);
  m.checkTimeout(0xFFFF0000u + 60000u);  // past settling (wrapped)
  EXPECT_FALSE(m.settling(0xFFFF0000u + 60000u));
  EXPECT_FALSE(m.settling(0xFFFEFFFFu)) << "2^32 us later the window must not reopen";
}

TEST(Hx711Monitor, RejectsReadsFromADoutStuckLow) {
  Hx711Monitor m;
  m.start(0);
  EXPECT_FALSE(m.onRead(100, true)) << "a value read with DOUT still low is never used";
  EXPECT_TRUE(m.shouldPoll(150)) << "but one odd read does not mark the chip stuck";
  EXPECT_FALSE(m.onRead(200, true));
  EXPECT_FALSE(m.onRead(300, true));
  EXPECT_FALSE(m.shouldPoll(400));
  EXPECT_TRUE(m.shouldPoll(300 + 12500));
  EXPECT_TRUE(m.onRead(20000, false));
  EXPECT_TRUE(m.shouldPoll(20001));
}

TEST(Settings, RoundTripsThroughTheEepromRecord) {
  Settings s;
  settingsDefaults(&s, 0xABCDEF01);
  s.baud = 500000;
  s.cell_count = 3;
  uint8_t blob[kSettingsBlobSize];
  settingsEncode(s, blob);
  EXPECT_EQ(blob[0], 'R');
  EXPECT_EQ(blob[2], kSettingsVersion);
  Settings t;
  ASSERT_TRUE(settingsDecode(blob, &t));
  EXPECT_EQ(t.device_serial, 0xABCDEF01u);
  EXPECT_EQ(t.baud, 500000u);
  EXPECT_EQ(t.cell_count, 3);
  EXPECT_STREQ(t.board_name, "rollrig");
}

TEST(Settings, RejectsABlankEepromAnotherVersionAndAnyFlippedBit) {
  uint8_t blank[kSettingsBlobSize];
  for (auto& b : blank) b = 0xFF;
  Settings t;
  EXPECT_FALSE(settingsDecode(blank, &t));
  Settings s;
  settingsDefaults(&s, 77);
  uint8_t blob[kSettingsBlobSize];
  settingsEncode(s, blob);
  for (size_t i = 0; i < kSettingsBlobSize; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      uint8_t bad[kSettingsBlobSize];
      std::copy(blob, blob + kSettingsBlobSize, bad);
      bad[i] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_FALSE(settingsDecode(bad, &t)) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Settings, ValidatesEachKey) {
  Settings s;
  settingsDefaults(&s, 1);
  const uint8_t name[] = {'a', 'b'};
  EXPECT_EQ(settingsApply(&s, proto::kSettingBoardName, name, 2), proto::kAckOk);
  EXPECT_STREQ(s.board_name, "ab");
  const uint8_t ctrl[] = {'a', 0x07};
  EXPECT_EQ(settingsApply(&s, proto::kSettingBoardName, ctrl, 2), proto::kAckBadValue);
  const uint8_t long_name[13] = {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
  EXPECT_EQ(settingsApply(&s, proto::kSettingBoardName, long_name, 13), proto::kAckBadLength);
  const uint8_t baud[] = {0x40, 0x42, 0x0F, 0x00};  // 1000000
  EXPECT_EQ(settingsApply(&s, proto::kSettingBaud, baud, 4), proto::kAckOk);
  EXPECT_EQ(s.baud, 1000000u);
  EXPECT_EQ(settingsApply(&s, proto::kSettingBaud, baud, 3), proto::kAckBadLength);
  const uint8_t cells = 2;
  EXPECT_EQ(settingsApply(&s, proto::kSettingCellCount, &cells, 1), proto::kAckOk);
  EXPECT_EQ(settingsApply(&s, 99, &cells, 1), proto::kAckBadValue);
}

TEST(Settings, DeviceSerialsAreNeverBlankAndDifferForDifferentNoise) {
  EXPECT_NE(makeDeviceSerial(0), 0u);
  EXPECT_NE(makeDeviceSerial(1), makeDeviceSerial(2));
  for (uint32_t n = 0; n < 100000; ++n) {
    const uint32_t s = makeDeviceSerial(n);
    ASSERT_NE(s, 0u);
    ASSERT_NE(s, 0xFFFFFFFFu);
  }
}

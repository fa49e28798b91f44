// The firmware's logic on a fake board, decoded by the host's own FrameDecoder: the firmware's
// encoder and the host decoder agree byte for byte, and the device behaves as PROTOCOL.md says.
#include "firmware.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <random>

#include "fake_board.h"
#include "hal.h"
#include "rollrig/core/frame_decoder.h"

using namespace rollrig;
using fakeboard::board;

namespace {

struct HostSink : core::FrameSink {
  std::vector<core::Sample> samples;
  std::vector<proto::InfoFrame> infos;
  std::vector<proto::StatusFrame> statuses;
  std::vector<proto::AckFrame> acks;
  std::vector<proto::SettingsFrame> settings;
  void onSample(const core::Sample& s) override { samples.push_back(s); }
  void onInfo(const proto::InfoFrame& f) override { infos.push_back(f); }
  void onStatus(const proto::StatusFrame& f) override { statuses.push_back(f); }
  void onAck(const proto::AckFrame& f) override { acks.push_back(f); }
  void onSettings(const proto::SettingsFrame& f) override { settings.push_back(f); }
};

class FirmwareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakeboard::reset();
    const uint32_t phases[4] = {1000, 4100, 7300, 11900};  // chips out of phase, as in life
    const int32_t values[4] = {123456, -654321, 8000, -1};
    for (int i = 0; i < 4; ++i) {
      board().hx[i].phase_us = phases[i];
      board().hx[i].next_ready_us = phases[i];
      board().hx[i].value = values[i];
    }
  }

  void boot() {
    fw = std::make_unique<Firmware>();
    fw->setup();
    drain();
  }
  // Runs the main loop for `us` of device time, polling every `step_us` (a real loop is faster).
  void run(uint64_t us, uint32_t step_us = 50) {
    const uint64_t end = board().now_us + us;  // reads take time too, so loop on the clock
    while (board().now_us < end) {
      fakeboard::advance(step_us);
      fw->poll();
    }
    drain();
  }
  void drain() {
    auto& tx = board().tx;
    decoder.feed(tx.data() + fed, tx.size() - fed);
    fed = tx.size();
  }
  void command(uint8_t type, uint8_t seq, std::vector<uint8_t> args = {}) {
    proto::CommandFrame c{};
    c.type = type;
    c.seq = seq;
    c.arg_len = static_cast<uint8_t>(args.size());
    for (size_t i = 0; i < args.size(); ++i) c.args[i] = args[i];
    uint8_t wire[proto::kMaxWireFrame];
    const size_t n = proto::encodeCommand(c, wire, sizeof(wire));
    fakeboard::sendToDevice(std::vector<uint8_t>(wire, wire + n));
  }
  const proto::AckFrame* ackFor(uint8_t seq) const {
    for (const auto& a : sink.acks)
      if (a.cmd_seq == seq) return &a;
    return nullptr;
  }

  std::unique_ptr<Firmware> fw;
  HostSink sink;
  core::FrameDecoder decoder{sink};
  size_t fed = 0;
};

}  // namespace

TEST_F(FirmwareTest, AnnouncesItselfAtBootWithTheProtocolVersionAndResetCause) {
  board().reset_cause = proto::kResetWatchdog;
  boot();
  ASSERT_EQ(sink.infos.size(), 1u);
  const auto& info = sink.infos[0];
  EXPECT_EQ(info.magic, proto::kMagic);
  EXPECT_EQ(info.proto_major, proto::kProtocolMajor);
  EXPECT_EQ(info.fw_major, config::kFirmwareMajor);
  EXPECT_EQ(info.fw_minor, config::kFirmwareMinor);
  EXPECT_EQ(info.channel_count, 4);
  EXPECT_EQ(info.rate_hz, 80);
  EXPECT_EQ(info.reset_cause, proto::kResetWatchdog);
  EXPECT_EQ(board().baud, 250000u);
  EXPECT_TRUE(board().watchdog_enabled);
  EXPECT_EQ(board().tx[0], 0x00) << "a leading delimiter flushes the host's partial frame";
  EXPECT_EQ(decoder.stats().badFrames(), 0u);
}

TEST_F(FirmwareTest, RestoresDefaultsOnABlankEepromAndKeepsTheSerialAfterwards) {
  boot();
  ASSERT_EQ(sink.infos.size(), 1u);
  EXPECT_TRUE(sink.infos[0].status_flags & proto::kInfoSettingsRestored);
  const uint32_t serial = sink.infos[0].device_serial;
  EXPECT_EQ(serial, makeDeviceSerial(board().entropy));
  // Second boot: same EEPROM, different noise -> same serial, nothing restored.
  board().entropy = 0xDEADBEEF;
  HostSink again;
  core::FrameDecoder d2(again);
  fakeboard::advance(10000);  // the reboot takes a while: the UART has drained
  const size_t before = board().tx.size();
  Firmware fw2;
  fw2.setup();
  d2.feed(board().tx.data() + before, board().tx.size() - before);
  ASSERT_EQ(again.infos.size(), 1u);
  EXPECT_EQ(again.infos[0].device_serial, serial);
  EXPECT_FALSE(again.infos[0].status_flags & proto::kInfoSettingsRestored);
}

TEST_F(FirmwareTest, RestoresDefaultsWhenTheStoredSettingsFailTheirCrc) {
  boot();
  const uint32_t serial = sink.infos[0].device_serial;
  board().eeprom[8] ^= 0x01;  // a flipped bit in the stored baud
  board().entropy = 42;
  Firmware fw2;
  fw2.setup();
  EXPECT_NE(fw2.settings().device_serial, serial);
  EXPECT_EQ(fw2.settings().baud, config::kDefaultBaud);
  Settings reread;
  EXPECT_TRUE(settingsDecode(board().eeprom, &reread)) << "defaults are written back";
}

TEST_F(FirmwareTest, StreamsEightySetsPerSecondWithEveryChannelFreshAndTheExactCounts) {
  boot();
  command(proto::kCmdStart, 7);
  run(60000000, 100);
  ASSERT_NE(ackFor(7), nullptr);
  EXPECT_EQ(ackFor(7)->result, proto::kAckOk);
  EXPECT_NEAR(static_cast<double>(sink.samples.size()), 4800.0, 2.0);
  EXPECT_EQ(decoder.stats().frames_lost, 0u);
  EXPECT_EQ(decoder.stats().badFrames(), 0u);
  EXPECT_EQ(fw->framesDropped(), 0u);
  const int32_t want[4] = {123456, -654321, 8000, -1};
  for (size_t i = 0; i < sink.samples.size(); ++i) {
    const auto& s = sink.samples[i];
    ASSERT_EQ(s.fresh_mask, 0x0F) << "sample " << i;
    for (int c = 0; c < 4; ++c) ASSERT_EQ(s.raw_counts[c], want[c]);
    if (i > 0) {
      const uint64_t dt = s.t_us - sink.samples[i - 1].t_us;
      ASSERT_NEAR(static_cast<double>(dt), 12500.0, 200.0) << "sample " << i;
    }
  }
  EXPECT_TRUE(sink.samples[0].flags & proto::kFlagResetSeen);
  EXPECT_FALSE(sink.samples[1].flags & proto::kFlagResetSeen);
  EXPECT_EQ(board().hx[0].last_pulses, 25u) << "channel A, gain 128";
  EXPECT_TRUE(board().led);
}

TEST_F(FirmwareTest, FlagsSettlingOnlyDuringTheFirstFiftyMilliseconds) {
  boot();
  command(proto::kCmdStart, 1);
  run(200000, 50);
  ASSERT_GT(sink.samples.size(), 10u);
  for (const auto& s : sink.samples) {
    const bool early = s.t_us < config::kHx711Settling_us;
    EXPECT_EQ((s.flags & proto::kFlagSettling) != 0, early) << "t " << s.t_us;
  }
}

// Found by fuzzing (fuzz/firmware_commands; the input is fuzz/corpus/firmware_commands/
// crash-set-stamped-before-the-last): with a chip unplugged and a slow pass of the main loop
// (several chips ready at once), a chip that converted twice sent its set stamped with that read's
// time, and the next set, completed in the same pass, was stamped with the pass's start, 95 us
// earlier. Time running back reads to the host as a reboot: a reset counted, frames counted lost, a
// jump in session time. Every pass length from 0.1 to 6 ms, on the real chips' 80 SPS.
TEST_F(FirmwareTest, SetTimesNeverRunBackWhenAChipIsUnpluggedAndTheLoopIsSlow) {
  for (uint32_t step_us = 100; step_us <= 6000; step_us += 100) {
    SCOPED_TRACE("a pass every " + std::to_string(step_us) + " us");
    SetUp();
    HostSink host;
    core::FrameDecoder dec(host);
    Firmware f;
    f.setup();
    board().hx[2].present = false;
    command(proto::kCmdStart, 1);
    while (board().now_us < 2000000) {
      fakeboard::advance(step_us);
      f.poll();
    }
    dec.feed(board().tx.data(), board().tx.size());
    ASSERT_GT(host.samples.size(), 100u);
    EXPECT_EQ(dec.stats().device_resets, 0u) << "time ran back: read as a reboot";
    EXPECT_EQ(dec.stats().frames_lost, f.framesDropped());
    if (HasFailure()) break;
  }
}

TEST_F(FirmwareTest, KeepsStreamingTheOtherCellsWhenAChipStopsAnswering) {
  boot();
  command(proto::kCmdStart, 1);
  run(2000000);
  board().hx[2].present = false;
  const size_t before = sink.samples.size();
  run(5000000);
  drain();
  const size_t n = sink.samples.size() - before;
  EXPECT_NEAR(static_cast<double>(n), 400.0, 3.0) << "still 80 sets per second";
  const auto& last = sink.samples.back();
  EXPECT_EQ(last.fresh_mask, 0x0B);
  EXPECT_TRUE(last.flags & proto::kFlagHx711Timeout);
  EXPECT_EQ(fw->hx711Timeouts(), 1u) << "one outage, counted once";
  EXPECT_EQ(last.raw_counts[0], 123456);
  // STATUS reports it too.
  ASSERT_FALSE(sink.statuses.empty());
  EXPECT_EQ(sink.statuses.back().hx711_timeouts, 1);
  // The chip comes back (re-plugged): it settles again, then the set is whole.
  board().hx[2].present = true;
  board().hx[2].next_ready_us = board().now_us + 3000;
  run(30000);
  EXPECT_TRUE(sink.samples.back().flags & proto::kFlagSettling);
  run(1000000);
  EXPECT_EQ(sink.samples.back().fresh_mask, 0x0F);
  EXPECT_FALSE(sink.samples.back().flags & (proto::kFlagHx711Timeout | proto::kFlagSettling));
}

TEST_F(FirmwareTest, TreatsADoutStuckLowAsAFaultWithoutHoggingTheLoop) {
  boot();
  command(proto::kCmdStart, 1);
  run(1000000);
  board().hx[1].stuck_low = true;
  const uint32_t reads_before = board().hx[1].reads;
  run(2000000);
  // Polled about once per conversion period, not on every pass of the loop.
  EXPECT_LT(board().hx[1].reads - reads_before, 2000000u / 12500u + 10);
  EXPECT_TRUE(sink.samples.back().flags & proto::kFlagHx711Timeout);
  EXPECT_EQ(sink.samples.back().fresh_mask, 0x0D);
  EXPECT_EQ(sink.samples.back().raw_counts[1], -654321) << "the last good value is kept, not zeros";
}

TEST_F(FirmwareTest, FlagsSaturation) {
  boot();
  command(proto::kCmdStart, 1);
  board().hx[3].value = 0x7FFFFF;
  run(500000);
  EXPECT_TRUE(sink.samples.back().flags & proto::kFlagSaturated);
  EXPECT_EQ(sink.samples.back().raw_counts[3], 8388607);
  board().hx[3].value = -8388608;
  run(100000);
  EXPECT_TRUE(sink.samples.back().flags & proto::kFlagSaturated);
  board().hx[3].value = 5;
  run(100000);
  EXPECT_FALSE(sink.samples.back().flags & proto::kFlagSaturated);
}

TEST_F(FirmwareTest, DropsFramesInsteadOfBlockingWhenTxIsFullAndTheHostSeesTheGap) {
  boot();
  command(proto::kCmdStart, 1);
  run(1000000);
  board().tx_stalled = true;
  run(500000);  // nothing leaves the UART: ~40 sets cannot be sent
  board().tx_stalled = false;
  run(1500000);
  EXPECT_GT(fw->framesDropped(), 30u);
  EXPECT_EQ(decoder.stats().frames_lost, fw->framesDropped() - 0u) << "every drop is a gap";
  bool flagged = false;
  for (const auto& s : sink.samples)
    if (s.lost_before > 0 && (s.flags & proto::kFlagTxOverflow)) flagged = true;
  EXPECT_TRUE(flagged);
  ASSERT_FALSE(sink.statuses.empty());
  EXPECT_EQ(sink.statuses.back().frames_dropped, fw->framesDropped());
}

TEST_F(FirmwareTest, NacksGarbageAndUnknownCommandsAndNeverStopsStreaming) {
  boot();
  command(proto::kCmdStart, 1);
  run(500000);
  fakeboard::sendToDevice({0x42, 0x13, 0x37, 0x00});  // garbage up to a delimiter
  std::vector<uint8_t> junk(200, 0x55);               // longer than any frame
  junk.push_back(0);
  fakeboard::sendToDevice(junk);
  command(0x6B, 99);  // well-formed, unknown type
  const size_t before = sink.samples.size();
  run(1000000);
  ASSERT_NE(ackFor(99), nullptr);
  EXPECT_EQ(ackFor(99)->result, proto::kAckUnknownCommand);
  size_t bad_frame_nacks = 0;
  for (const auto& a : sink.acks)
    if (a.result == proto::kAckBadFrame) ++bad_frame_nacks;
  EXPECT_EQ(bad_frame_nacks, 2u);
  EXPECT_EQ(fw->badCommands(), 3u);
  EXPECT_NEAR(static_cast<double>(sink.samples.size() - before), 80.0, 2.0);
}

TEST_F(FirmwareTest, AnswersIdentifyPingAndStop) {
  boot();
  command(proto::kCmdIdentify, 3);
  command(proto::kCmdPing, 4);
  run(10000);
  EXPECT_EQ(sink.infos.size(), 2u);
  ASSERT_NE(ackFor(3), nullptr);
  ASSERT_NE(ackFor(4), nullptr);
  EXPECT_EQ(ackFor(4)->cmd_type, proto::kCmdPing);
  command(proto::kCmdStart, 5);
  run(100000);
  command(proto::kCmdStop, 6);
  run(1000);
  const size_t n = sink.samples.size();
  run(500000);
  EXPECT_EQ(sink.samples.size(), n);
  EXPECT_FALSE(fw->streaming());
  EXPECT_FALSE(board().led);
}

// Found by fuzzing (fuzz/firmware_commands; docs/RELIABILITY.md "Fuzzing"): a STATUS that came
// due while nothing could leave the UART waited in the answer queue, and samples, which go first,
// left before it. It then told an uptime older than those samples' times, which the host reads as
// a reboot: a bogus reset, a hundred frames counted lost and a jump in session time.
TEST_F(FirmwareTest, AStatusHeldUpByAFullUartStillStatesTheUptimeWhenItLeaves) {
  // The UART stops draining at 0.9 s and starts again at some moment within a sample period after
  // 1.5 s: at some of those moments a sample set completes while the ring has room for a sample
  // and not yet for an answer.
  for (uint32_t offset_us = 0; offset_us < 12500; offset_us += 100) {
    SCOPED_TRACE("TX back at 1.5 s + " + std::to_string(offset_us) + " us");
    SetUp();
    HostSink host;
    core::FrameDecoder dec(host);
    Firmware f;
    f.setup();
    command(proto::kCmdStart, 1);
    const auto runTo = [&](uint64_t t_us) {
      while (board().now_us < t_us) {
        fakeboard::advance(50);
        f.poll();
      }
    };
    runTo(900000);
    board().tx_stalled = true;
    runTo(1500000 + offset_us);  // the STATUS due at 1 s cannot leave
    board().tx_stalled = false;
    runTo(3000000);
    dec.feed(board().tx.data(), board().tx.size());
    ASSERT_GE(host.statuses.size(), 2u);
    EXPECT_EQ(dec.stats().device_resets, 0u) << "a late STATUS read as a reboot";
    EXPECT_EQ(dec.stats().frames_lost, f.framesDropped());
    double longest_gap_s = 0;
    for (size_t i = 1; i < host.samples.size(); ++i)
      longest_gap_s =
          std::max(longest_gap_s, (host.samples[i].t_us - host.samples[i - 1].t_us) / 1e6);
    EXPECT_LT(longest_gap_s, 0.7) << "session time jumped";
    if (HasFailure()) break;
  }
}

TEST_F(FirmwareTest, SendsStatusOncePerSecondWithUptime) {
  boot();
  run(5000000, 100);
  ASSERT_EQ(sink.statuses.size(), 5u);
  EXPECT_NEAR(static_cast<double>(sink.statuses.back().uptime_ms), 5000.0, 1.0);
  EXPECT_EQ(sink.statuses.back().streaming, 0);
  EXPECT_GT(board().watchdog_kicks, 1000u);
}

TEST_F(FirmwareTest, StoresSettingsForTheNextBootAndRejectsBadValues) {
  boot();
  const uint32_t serial = fw->settings().device_serial;
  // baud 500000 as u32 little-endian
  command(proto::kCmdSetSetting, 10, {proto::kSettingBaud, 0x20, 0xA1, 0x07, 0x00});
  command(proto::kCmdSetSetting, 11, {proto::kSettingBaud, 0x39, 0x30, 0x00, 0x00});  // 12345
  command(proto::kCmdSetSetting, 12,
          {proto::kSettingBoardName, 'l', 'e', 'f', 't', ' ', 'm', 'a', 't'});
  command(proto::kCmdSetSetting, 13, {proto::kSettingCellCount, 9});
  command(proto::kCmdGetSettings, 14);
  run(20000);
  EXPECT_EQ(ackFor(10)->result, proto::kAckOk);
  EXPECT_EQ(ackFor(11)->result, proto::kAckBadValue);
  EXPECT_EQ(ackFor(12)->result, proto::kAckOk);
  EXPECT_EQ(ackFor(13)->result, proto::kAckBadValue);
  ASSERT_EQ(sink.settings.size(), 1u)
      << "acks " << sink.acks.size() << " bad " << decoder.stats().badFrames() << " unknown "
      << decoder.stats().unknown_types << " malformed " << decoder.stats().malformed;
  EXPECT_EQ(sink.settings[0].baud, 500000u);
  EXPECT_EQ(std::string(sink.settings[0].board_name, 8), "left mat");
  EXPECT_EQ(sink.settings[0].device_serial, serial);
  EXPECT_EQ(board().baud, 250000u) << "the running baud does not change mid-session";
  command(proto::kCmdReboot, 15);
  run(30000);
  EXPECT_EQ(ackFor(15)->result, proto::kAckOk);
  EXPECT_TRUE(board().rebooted);
  Firmware after;
  after.setup();
  EXPECT_EQ(board().baud, 500000u);
  EXPECT_EQ(after.settings().device_serial, serial);
}

TEST_F(FirmwareTest, RebootsOnlyOnceItsAckHasLeftTheUart) {
  boot();
  command(proto::kCmdStart, 1);
  run(500000);
  const uint64_t sent_us = board().now_us;
  command(proto::kCmdReboot, 9);
  run(50000, 50);
  ASSERT_TRUE(board().rebooted);
  EXPECT_GE(board().rebooted_at_us - sent_us, 20000u) << "PROTOCOL.md: ~20 ms after its ACK";
  EXPECT_EQ(board().tx_ring_used_at_reboot, 0u) << "the ACK is on the wire, not lost in the ring";
  ASSERT_NE(ackFor(9), nullptr);
  EXPECT_EQ(ackFor(9)->result, proto::kAckOk);
  // Nothing follows the ACK: a SAMPLE or STATUS written in the last moments would be cut off
  // mid-frame when the board resets (its tail stranded in the TX ring).
  struct Order : core::FrameSink {
    std::string kinds;  // one letter per frame, in wire order
    uint8_t last_ack_seq = 0;
    void onSample(const core::Sample&) override { kinds += 'S'; }
    void onStatus(const proto::StatusFrame&) override { kinds += 'T'; }
    void onInfo(const proto::InfoFrame&) override { kinds += 'I'; }
    void onAck(const proto::AckFrame& a) override {
      kinds += 'A';
      last_ack_seq = a.cmd_seq;
    }
  } order;
  core::FrameDecoder d(order);
  d.feed(board().tx.data(), board().tx_size_at_reboot);
  ASSERT_FALSE(order.kinds.empty());
  EXPECT_EQ(order.kinds.back(), 'A') << order.kinds.substr(order.kinds.size() - 8);
  EXPECT_EQ(order.last_ack_seq, 9);
}

TEST_F(FirmwareTest, SurvivesRandomBytesFromTheHostWithoutLosingASample) {
  boot();
  command(proto::kCmdStart, 1);
  std::mt19937 rng(5);
  size_t before = 0;
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> noise(rng() % 40);
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    fakeboard::sendToDevice(noise);
    run(100000);
    if (i == 0) before = sink.samples.size();
  }
  EXPECT_NEAR(static_cast<double>(sink.samples.size() - before), 49 * 8.0, 3.0);
  EXPECT_EQ(decoder.stats().frames_lost, 0u);
  EXPECT_EQ(decoder.stats().badFrames(), 0u);
}

TEST_F(FirmwareTest, NeverWritesMoreThanTheUartHasRoomForWhenAnswersAndSamplesShareASlowLink) {
  // 115200 baud, the slowest the firmware allows: 4 x 80 x 25 bytes is 17 % of the link, and a
  // flood of IDENTIFY and GET_SETTINGS (an ACK plus a ~30-byte answer each) fills the rest. The
  // fake fails the test on any write beyond txRoom() (the board would block in Serial.write()).
  Settings s;
  settingsDefaults(&s, 0x1234);
  s.baud = 115200;
  settingsEncode(s, board().eeprom + kSettingsAddress);
  boot();
  EXPECT_EQ(board().baud, 115200u);
  command(proto::kCmdStart, 1);
  run(1000000);
  uint8_t seq = 2;
  for (int burst = 0; burst < 10; ++burst) {
    for (int i = 0; i < 20; ++i) {
      command(proto::kCmdIdentify, seq++);
      command(proto::kCmdGetSettings, seq++);
    }
    if (burst % 3 == 2) board().tx_stalled = true;  // and now and then nothing drains at all
    run(150000, 20);
    board().tx_stalled = false;
    run(150000, 20);
  }
  run(3000000);
  EXPECT_EQ(board().tx_overruns, 0u);
  for (uint8_t q = 2; q < seq; ++q) {
    ASSERT_NE(ackFor(q), nullptr) << "command " << int(q) << ": answers wait, never vanish";
    EXPECT_EQ(ackFor(q)->result, proto::kAckOk);
  }
  EXPECT_EQ(sink.infos.size(), 1u + 200u);
  EXPECT_EQ(sink.settings.size(), 200u);
  EXPECT_GT(fw->framesDropped(), 0u) << "the stalls cost samples";
  EXPECT_EQ(decoder.stats().frames_lost, fw->framesDropped()) << "and each one is a visible gap";
  EXPECT_EQ(decoder.stats().badFrames(), 0u) << "whole frames only, never interleaved";
}

// [SECTION] The fake board's UART: the checks above are only as strict as these
namespace {
uint8_t g_bytes[128];

// Fills the TX ring until txRoom() says 0, in writes the firmware would be allowed to make.
void fillTheUart() {
  while (hal::txRoom() > 0) hal::txWrite(g_bytes, hal::txRoom());
}
}  // namespace

TEST(FakeBoardUart, AWriteBeyondTxRoomIsATestFailureNotASilentWrap) {
  fakeboard::reset();
  hal::begin(250000);
  board().tx_stalled = true;
  fillTheUart();
  ASSERT_EQ(hal::txRoom(), 0u);
  EXPECT_NONFATAL_FAILURE(hal::txWrite(g_bytes, 1), "would block");
  EXPECT_EQ(board().tx_overruns, 1u);
  EXPECT_EQ(board().tx_overrun_bytes, 1u);
  EXPECT_EQ(hal::txRoom(), 0u) << "a full UART never reports room it does not have";
  // The same with time running: the write is caught, and the fake spends the time the board's
  // Serial.write() would have spun.
  board().tx_stalled = false;
  fillTheUart();
  const uint64_t before_us = board().now_us;
  EXPECT_NONFATAL_FAILURE(hal::txWrite(g_bytes, 41), "41 bytes with room for 0");
  EXPECT_EQ(board().tx_overruns, 2u);
  EXPECT_EQ(board().now_us - before_us, 41u * 40u) << "41 bytes at 40 us each";
}

TEST(FakeBoardUart, AWriteBeforeTheUartIsStartedIsATestFailure) {
  fakeboard::reset();
  EXPECT_NONFATAL_FAILURE(hal::txWrite(g_bytes, 1), "before hal::begin()");
}

TEST(FakeBoardUart, HoldsWhatTheArduinoCoreHoldsSixtyThreeInTheRingAndTwoInTheUart) {
  fakeboard::reset();
  hal::begin(250000);
  EXPECT_EQ(hal::txRoom(), 63u) << "availableForWrite() of an idle 64-byte ring";
  hal::txWrite(g_bytes, 25);  // two go straight to UDR0 and the shift register
  EXPECT_EQ(hal::txRoom(), 63u - 23u);
  hal::txWrite(g_bytes, 40);
  EXPECT_EQ(hal::txRoom(), 0u);
  EXPECT_EQ(fakeboard::txRingUsed(), 63u);
}

TEST(FakeBoardUart, DrainsOneByteEveryTenBitTimesAtTheBaudTheFirmwareChose) {
  const struct {
    uint32_t baud;
    uint64_t us_for_ten_bytes;
  } cases[] = {{115200, 869}, {250000, 400}, {500000, 200}, {1000000, 100}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.baud);
    fakeboard::reset();
    hal::begin(c.baud);
    fillTheUart();
    fakeboard::advance(c.us_for_ten_bytes - 1);
    EXPECT_EQ(hal::txRoom(), 9u) << "the tenth byte is not out yet";
    fakeboard::advance(1);
    EXPECT_EQ(hal::txRoom(), 10u);
    // Time spent shifting out an HX711 drains the UART too: it is device time.
    hal::hx711Shift(0, 25);  // 75 us
    EXPECT_EQ(hal::txRoom(), 10u + 75u * c.baud / 10u / 1000000u);
  }
}

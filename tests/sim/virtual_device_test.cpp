// VirtualDevice: behaves like the firmware on the wire (INFO, ACK/NACK, STATUS, SAMPLE).
#include "rollrig/sim/virtual_device.h"

#include <gtest/gtest.h>

#include "rollrig/core/frame_decoder.h"

using namespace rollrig;

namespace {

struct Sink : core::FrameSink {
  std::vector<core::Sample> samples;
  std::vector<proto::InfoFrame> infos;
  std::vector<proto::StatusFrame> statuses;
  std::vector<proto::AckFrame> acks;
  void onSample(const core::Sample& s) override { samples.push_back(s); }
  void onInfo(const proto::InfoFrame& f) override { infos.push_back(f); }
  void onStatus(const proto::StatusFrame& f) override { statuses.push_back(f); }
  void onAck(const proto::AckFrame& f) override { acks.push_back(f); }
};

struct Bench {
  explicit Bench(sim::VirtualDeviceConfig cfg = {}) : dev(cfg), dec(sink) {}
  void command(uint8_t type, uint8_t seq) {
    proto::CommandFrame c{};
    c.type = type;
    c.seq = seq;
    uint8_t wire[proto::kMaxWireFrame];
    dev.receive(wire, proto::encodeCommand(c, wire, sizeof(wire)));
  }
  void runUntil(uint64_t t_us) {
    std::vector<uint8_t> out;
    dev.advanceTo(t_us, out);
    dec.feed(out.data(), out.size());
  }
  sim::VirtualDevice dev;
  Sink sink;
  core::FrameDecoder dec;
};

}  // namespace

TEST(VirtualDevice, AnnouncesItselfAtBootAndOnIdentify) {
  Bench b;
  b.runUntil(1000);
  ASSERT_EQ(b.sink.infos.size(), 1u);
  EXPECT_EQ(b.sink.infos[0].magic, proto::kMagic);
  EXPECT_EQ(b.sink.infos[0].proto_major, proto::kProtocolMajor);
  EXPECT_EQ(b.sink.infos[0].channel_count, 4);
  EXPECT_EQ(b.sink.infos[0].rate_hz, 80);
  b.command(proto::kCmdIdentify, 42);
  b.runUntil(2000);
  ASSERT_EQ(b.sink.acks.size(), 1u);
  EXPECT_EQ(b.sink.acks[0].cmd_seq, 42);
  EXPECT_EQ(b.sink.acks[0].result, proto::kAckOk);
  EXPECT_EQ(b.sink.infos.size(), 2u);
  EXPECT_TRUE(b.sink.samples.empty()) << "no samples before START";
}

TEST(VirtualDevice, StreamsEightySamplesPerSecondOfDeviceTimeAfterStart) {
  Bench b;
  b.runUntil(0);
  b.command(proto::kCmdStart, 1);
  b.runUntil(60000000);
  EXPECT_NEAR(static_cast<double>(b.sink.samples.size()), 4800.0, 1.0);
  EXPECT_EQ(b.dec.stats().frames_lost, 0u);
  EXPECT_EQ(b.dec.stats().badFrames(), 0u);
  const double span_s = (b.sink.samples.back().t_us - b.sink.samples.front().t_us) / 1e6;
  EXPECT_NEAR((b.sink.samples.size() - 1) / span_s, 80.0, 0.01);
  EXPECT_NEAR(static_cast<double>(b.sink.statuses.size()), 60.0, 1.0);
  b.command(proto::kCmdStop, 2);
  const size_t n = b.sink.samples.size();
  b.runUntil(61000000);
  EXPECT_EQ(b.sink.samples.size(), n) << "STOP ends the stream";
}

TEST(VirtualDevice, SendsTheBodyModelsCountsUnchanged) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 11;
  cfg.body.duration_s = 30;
  Bench b(cfg);
  sim::BodyModel reference(cfg.body);
  b.command(proto::kCmdStart, 1);
  b.runUntil(30000000);
  ASSERT_GT(b.sink.samples.size(), 2000u);
  for (const auto& s : b.sink.samples) {
    const auto m = reference.next();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(s.raw_counts[i], m.raw_counts[i]);
  }
}

TEST(VirtualDevice, NacksUnknownCommandsAndCountsGarbageWithoutStopping) {
  Bench b;
  b.command(proto::kCmdStart, 1);
  b.runUntil(100000);
  uint8_t junk[] = {0x12, 0x34, 0x00, 0xFF, 0xFF, 0x00};
  b.dev.receive(junk, sizeof(junk));
  uint8_t payload[8] = {0x5A, 77};  // a well-formed frame of a type no device knows
  uint8_t wire[proto::kMaxWireFrame];
  b.dev.receive(wire, proto::finishFrame(payload, 2, wire, sizeof(wire)));
  const size_t before = b.sink.samples.size();
  b.runUntil(2100000);
  bool nacked = false;
  for (const auto& a : b.sink.acks) {
    if (a.cmd_seq == 77 && a.result == proto::kAckUnknownCommand) nacked = true;
  }
  EXPECT_TRUE(nacked);
  ASSERT_FALSE(b.sink.statuses.empty());
  EXPECT_GE(b.sink.statuses.back().bad_commands, 3);
  EXPECT_GT(b.sink.samples.size(), before + 150) << "the stream never stops";
}

TEST(VirtualDevice, DroppedFramesShowAsSequenceGapsAndTheOverflowFlag) {
  sim::VirtualDeviceConfig cfg;
  cfg.frame_drop_probability = 0.05;
  Bench b(cfg);
  b.command(proto::kCmdStart, 1);
  b.runUntil(30000000);
  EXPECT_GT(b.dev.framesDropped(), 50u);
  EXPECT_EQ(b.dec.stats().frames_lost, b.dev.framesDropped());
  size_t flagged = 0;
  for (const auto& s : b.sink.samples) {
    if (s.lost_before > 0) {
      EXPECT_TRUE(s.flags & proto::kFlagTxOverflow);
      ++flagged;
    }
  }
  EXPECT_EQ(flagged, b.dec.stats().seq_gaps);
}

TEST(VirtualDevice, ItsNominalCalibrationTurnsCountsBackIntoTheModelsForces) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.sensor_noise = false;
  cfg.body.drift = false;
  Bench b(cfg);
  sim::BodyModel reference(cfg.body);
  core::ForceModel model(b.dev.nominalCalibration());
  b.command(proto::kCmdStart, 1);
  b.runUntil(60000000);
  double worst = 0;
  for (const auto& s : b.sink.samples) {
    const auto m = reference.next();
    const auto f = model.compute(s);
    worst = std::max(worst, std::abs(f.total_n - m.total_force_n));
  }
  EXPECT_LT(worst, 4 * 0.5 / 4000.0) << "within quantisation (half a count per cell)";
}

// Wire protocol v1: CRC, COBS, and every frame type's round trip (firmware/PROTOCOL.md).
#include "protocol/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace rollrig::proto;

namespace {

const uint8_t kSettingsVersionForTest = 1;

std::vector<uint8_t> cobs(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size() + in.size() / 254 + 2);
  out.resize(cobsEncode(in.data(), in.size(), out.data(), out.size()));
  return out;
}

std::vector<uint8_t> uncobs(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size() + 1);
  out.resize(cobsDecode(in.data(), in.size(), out.data(), out.size()));
  return out;
}

// Feeds wire bytes through a FrameAccumulator and returns the single decoded payload.
std::vector<uint8_t> decodeWire(const uint8_t* wire, size_t n) {
  FrameAccumulator acc;
  for (size_t i = 0; i < n; ++i) {
    if (acc.push(wire[i]) == FrameAccumulator::kFrame) {
      return std::vector<uint8_t>(acc.payload(), acc.payload() + acc.size());
    }
  }
  return {};
}

}  // namespace

TEST(Crc16, MatchesTheCcittFalseCheckValue) {
  const uint8_t s[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc16(s, sizeof(s)), 0x29B1);
}

TEST(Crc16, OfNothingIsTheInitialValue) {
  EXPECT_EQ(crc16(nullptr, 0), 0xFFFF);
}

TEST(Cobs, EncodesTheReferenceVectors) {
  EXPECT_EQ(cobs({0x00}), (std::vector<uint8_t>{0x01, 0x01}));
  EXPECT_EQ(cobs({0x00, 0x00}), (std::vector<uint8_t>{0x01, 0x01, 0x01}));
  EXPECT_EQ(cobs({0x11, 0x22, 0x00, 0x33}), (std::vector<uint8_t>{0x03, 0x11, 0x22, 0x02, 0x33}));
  EXPECT_EQ(cobs({0x11, 0x22, 0x33, 0x44}), (std::vector<uint8_t>{0x05, 0x11, 0x22, 0x33, 0x44}));
  EXPECT_EQ(cobs({0x11, 0x00, 0x00, 0x00}), (std::vector<uint8_t>{0x02, 0x11, 0x01, 0x01, 0x01}));
}

TEST(Cobs, HandlesRunsOf254NonZeroBytes) {
  std::vector<uint8_t> in;
  for (int i = 1; i <= 254; ++i) in.push_back(static_cast<uint8_t>(i));
  auto enc = cobs(in);
  ASSERT_EQ(enc.size(), 256u);
  EXPECT_EQ(enc[0], 0xFF);
  EXPECT_EQ(enc[255], 0x01);
  EXPECT_EQ(uncobs(enc), in);
}

TEST(Cobs, RoundTripsEveryLengthUpTo300WithZerosAnywhere) {
  for (size_t len = 1; len <= 300; ++len) {
    std::vector<uint8_t> in(len);
    for (size_t i = 0; i < len; ++i)
      in[i] = static_cast<uint8_t>((i * 37 + len) % 7 == 0 ? 0 : i * 13 + 1);
    auto enc = cobs(in);
    for (uint8_t b : enc) ASSERT_NE(b, 0) << "COBS output must never contain a zero";
    ASSERT_EQ(uncobs(enc), in) << "length " << len;
  }
}

TEST(Cobs, RejectsAZeroInsideABlockAndACodeThatOverruns) {
  const uint8_t with_zero[] = {0x03, 0x11, 0x00};
  uint8_t out[8];
  EXPECT_EQ(cobsDecode(with_zero, sizeof(with_zero), out, sizeof(out)), 0u);
  const uint8_t overrun[] = {0x05, 0x11, 0x22};
  EXPECT_EQ(cobsDecode(overrun, sizeof(overrun), out, sizeof(out)), 0u);
}

TEST(SampleFrame, IsTwentyThreePayloadBytesAndTwentyFiveOnTheWireForFourCells) {
  SampleFrame f{};
  f.seq = 0x1234;
  f.t_us = 0xDEADBEEF;
  f.fresh_mask = 0x0F;
  f.channel_count = 4;
  f.raw_counts[0] = 0x123456;
  f.raw_counts[1] = -1;
  f.raw_counts[2] = -8388608;
  f.raw_counts[3] = 8388607;
  uint8_t wire[kMaxWireFrame];
  const size_t n = encodeSample(f, wire, sizeof(wire));
  EXPECT_EQ(samplePayloadSize(4), 23u);
  EXPECT_EQ(n, 25u);
  EXPECT_EQ(wire[n - 1], 0x00);
  for (size_t i = 0; i + 1 < n; ++i) EXPECT_NE(wire[i], 0x00);
}

TEST(SampleFrame, RoundTripsAllFieldsIncludingNegativeCounts) {
  SampleFrame f{};
  f.seq = 65535;
  f.t_us = 4294967295u;
  f.fresh_mask = 0x05;
  f.flags = kFlagSaturated | kFlagTxOverflow;
  f.channel_count = 4;
  const int32_t counts[4] = {0, -1, -8388608, 8388607};
  for (int i = 0; i < 4; ++i) f.raw_counts[i] = counts[i];
  uint8_t wire[kMaxWireFrame];
  const size_t n = encodeSample(f, wire, sizeof(wire));
  auto payload = decodeWire(wire, n);
  ASSERT_EQ(payload.size(), 23u);
  uint8_t type = 0;
  ASSERT_EQ(checkPayload(payload.data(), payload.size(), &type), kParseOk);
  ASSERT_EQ(type, kTypeSample);
  SampleFrame g{};
  ASSERT_EQ(parseSample(payload.data(), payload.size(), &g), kParseOk);
  EXPECT_EQ(g.seq, f.seq);
  EXPECT_EQ(g.t_us, f.t_us);
  EXPECT_EQ(g.fresh_mask, f.fresh_mask);
  EXPECT_EQ(g.flags, f.flags);
  EXPECT_EQ(g.channel_count, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.raw_counts[i], counts[i]);
}

TEST(SampleFrame, FieldsAreLittleEndianAtTheDocumentedOffsets) {
  SampleFrame f{};
  f.seq = 0x0201;
  f.t_us = 0x06050403;
  f.fresh_mask = 0x07;
  f.flags = 0x08;
  f.channel_count = 1;
  f.raw_counts[0] = 0x0B0A09;
  uint8_t wire[kMaxWireFrame];
  const size_t n = encodeSample(f, wire, sizeof(wire));
  auto p = decodeWire(wire, n);
  ASSERT_EQ(p.size(), 14u);
  const std::vector<uint8_t> head(p.begin(), p.begin() + 12);
  EXPECT_EQ(head, (std::vector<uint8_t>{0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                        0x0A, 0x0B}));
  const uint16_t crc = crc16(p.data(), 12);
  EXPECT_EQ(p[12], crc & 0xFF);
  EXPECT_EQ(p[13], crc >> 8);
}

TEST(InfoFrame, RoundTrips) {
  InfoFrame f{
      kMagic, 1, 7, 2, 3, 4, 0xCAFEBABE, 4, 80, 0x00C0FFEE, kResetWatchdog, kInfoSettingsRestored};
  uint8_t wire[kMaxWireFrame];
  auto p = decodeWire(wire, encodeInfo(f, wire, sizeof(wire)));
  ASSERT_EQ(p.size(), kInfoPayloadSize);
  uint8_t type = 0;
  ASSERT_EQ(checkPayload(p.data(), p.size(), &type), kParseOk);
  EXPECT_EQ(type, kTypeInfo);
  InfoFrame g{};
  ASSERT_EQ(parseInfo(p.data(), p.size(), &g), kParseOk);
  EXPECT_EQ(g.magic, kMagic);
  EXPECT_EQ(g.proto_minor, 7);
  EXPECT_EQ(g.fw_major, 2);
  EXPECT_EQ(g.fw_minor, 3);
  EXPECT_EQ(g.fw_patch, 4);
  EXPECT_EQ(g.build_id, 0xCAFEBABEu);
  EXPECT_EQ(g.channel_count, 4);
  EXPECT_EQ(g.rate_hz, 80);
  EXPECT_EQ(g.device_serial, 0x00C0FFEEu);
  EXPECT_EQ(g.reset_cause, kResetWatchdog);
  EXPECT_EQ(g.status_flags, kInfoSettingsRestored);
}

TEST(SettingsFrame, RoundTrips) {
  SettingsFrame f{kSettingsVersionForTest, 0x01020304, 3, 500000, {'l', 'e', 'f', 't'}, 1};
  uint8_t wire[kMaxWireFrame];
  auto p = decodeWire(wire, encodeSettings(f, wire, sizeof(wire)));
  ASSERT_EQ(p.size(), kSettingsPayloadSize);
  uint8_t type = 0;
  ASSERT_EQ(checkPayload(p.data(), p.size(), &type), kParseOk);
  EXPECT_EQ(type, kTypeSettings);
  SettingsFrame g{};
  ASSERT_EQ(parseSettings(p.data(), p.size(), &g), kParseOk);
  EXPECT_EQ(g.version, kSettingsVersionForTest);
  EXPECT_EQ(g.device_serial, 0x01020304u);
  EXPECT_EQ(g.cell_count, 3);
  EXPECT_EQ(g.baud, 500000u);
  EXPECT_EQ(std::string(g.board_name, 4), "left");
  EXPECT_EQ(g.board_name[4], 0);
  EXPECT_EQ(g.defaults_restored, 1);
}

TEST(StatusFrame, RoundTrips) {
  StatusFrame f{123456789, 42, 7, 3, kResetBrownOut, 1};
  uint8_t wire[kMaxWireFrame];
  auto p = decodeWire(wire, encodeStatus(f, wire, sizeof(wire)));
  ASSERT_EQ(p.size(), kStatusPayloadSize);
  StatusFrame g{};
  ASSERT_EQ(parseStatus(p.data(), p.size(), &g), kParseOk);
  EXPECT_EQ(g.uptime_ms, 123456789u);
  EXPECT_EQ(g.frames_dropped, 42u);
  EXPECT_EQ(g.bad_commands, 7);
  EXPECT_EQ(g.hx711_timeouts, 3);
  EXPECT_EQ(g.reset_cause, kResetBrownOut);
  EXPECT_EQ(g.streaming, 1);
}

TEST(AckFrame, RoundTripsANack) {
  AckFrame f{200, kCmdStart, kAckUnknownCommand};
  uint8_t wire[kMaxWireFrame];
  auto p = decodeWire(wire, encodeAck(f, wire, sizeof(wire)));
  ASSERT_EQ(p.size(), kAckPayloadSize);
  AckFrame g{};
  ASSERT_EQ(parseAck(p.data(), p.size(), &g), kParseOk);
  EXPECT_EQ(g.cmd_seq, 200);
  EXPECT_EQ(g.cmd_type, kCmdStart);
  EXPECT_EQ(g.result, kAckUnknownCommand);
}

TEST(CommandFrame, RoundTripsWithAndWithoutArguments) {
  for (uint8_t args : {uint8_t{0}, uint8_t{3}, kMaxCommandArgs}) {
    CommandFrame c{};
    c.type = kCmdPing;
    c.seq = 9;
    c.arg_len = args;
    for (uint8_t i = 0; i < args; ++i) c.args[i] = static_cast<uint8_t>(i * 17);
    uint8_t wire[kMaxWireFrame];
    auto p = decodeWire(wire, encodeCommand(c, wire, sizeof(wire)));
    uint8_t type = 0;
    ASSERT_EQ(checkPayload(p.data(), p.size(), &type), kParseOk);
    CommandFrame d{};
    ASSERT_EQ(parseCommand(p.data(), p.size(), &d), kParseOk);
    EXPECT_EQ(d.type, kCmdPing);
    EXPECT_EQ(d.seq, 9);
    ASSERT_EQ(d.arg_len, args);
    for (uint8_t i = 0; i < args; ++i) EXPECT_EQ(d.args[i], c.args[i]);
  }
}

TEST(CheckPayload, RejectsAFlippedBitAndReportsUnknownTypes) {
  SampleFrame f{};
  f.channel_count = 4;
  uint8_t wire[kMaxWireFrame];
  auto p = decodeWire(wire, encodeSample(f, wire, sizeof(wire)));
  uint8_t type = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto q = p;
      q[i] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_EQ(checkPayload(q.data(), q.size(), &type), kParseBadCrc)
          << "byte " << i << " bit " << bit;
    }
  }
  // A well-formed frame of a type from a future minor version: ignored, not an error.
  uint8_t future[8] = {0x7E, 1, 2, 3};
  uint8_t fw[kMaxWireFrame];
  auto fp = decodeWire(fw, finishFrame(future, 4, fw, sizeof(fw)));
  EXPECT_EQ(checkPayload(fp.data(), fp.size(), &type), kParseUnknownType);
  EXPECT_EQ(checkPayload(fp.data(), 2, &type), kParseTooShort);
}

TEST(ParseSample, RejectsAPartialChannel) {
  uint8_t payload[kMaxPayload] = {kTypeSample};
  SampleFrame out{};
  // 9 header bytes + 4 count bytes (not a multiple of 3) + CRC.
  EXPECT_EQ(parseSample(payload, 9 + 4 + 2, &out), kParseBadLength);
  // 9 header bytes + 9 channels: more than kMaxChannels.
  EXPECT_EQ(parseSample(payload, 9 + 27 + 2, &out), kParseBadLength);
  EXPECT_EQ(parseSample(payload, 9 + 3 + 2, &out), kParseOk);
}

TEST(ParseInfo, AcceptsFieldsAppendedByALaterMinorVersion) {
  InfoFrame f{kMagic, 1, 9, 0, 1, 0, 1, 4, 80, 5, 0, 0};
  uint8_t buf[kMaxPayload];
  uint8_t wire[kMaxWireFrame];
  auto p0 = decodeWire(wire, encodeInfo(f, wire, sizeof(wire)));
  // Rebuild with two extra bytes before the CRC.
  std::copy(p0.begin(), p0.end() - 2, buf);
  buf[p0.size() - 2] = 0xAA;
  buf[p0.size() - 1] = 0xBB;
  auto p = decodeWire(wire, finishFrame(buf, p0.size(), wire, sizeof(wire)));
  InfoFrame g{};
  uint8_t type = 0;
  ASSERT_EQ(checkPayload(p.data(), p.size(), &type), kParseOk);
  ASSERT_EQ(parseInfo(p.data(), p.size(), &g), kParseOk);
  EXPECT_EQ(g.device_serial, 5u);
  EXPECT_EQ(g.proto_minor, 9);
}

TEST(FrameAccumulator, SkipsEmptyFramesAndReportsOverflowThenRecovers) {
  FrameAccumulator acc;
  EXPECT_EQ(acc.push(0), FrameAccumulator::kNone);
  for (size_t i = 0; i < kMaxWireFrame + 10; ++i) acc.push(0x55);
  EXPECT_EQ(acc.push(0), FrameAccumulator::kOverflow);
  AckFrame a{1, kCmdPing, kAckOk};
  uint8_t wire[kMaxWireFrame];
  const size_t n = encodeAck(a, wire, sizeof(wire));
  FrameAccumulator::Event last = FrameAccumulator::kNone;
  for (size_t i = 0; i < n; ++i) last = acc.push(wire[i]);
  EXPECT_EQ(last, FrameAccumulator::kFrame);
  EXPECT_EQ(acc.size(), kAckPayloadSize);
}

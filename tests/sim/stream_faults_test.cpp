// Stream faults with ground truth: the injector damages a stream as it says, the checker catches
// what it must, and the short stream fault matrix (every kind at every rate, through the decoder)
// holds. The long matrix is bench/stream_fault_matrix.cpp (docs/RELIABILITY.md).
#include "rollrig/sim/stream_faults.h"

#include <gtest/gtest.h>

#include <vector>

using namespace rollrig;

namespace {

proto::SampleFrame makeSample(uint16_t seq) {
  proto::SampleFrame f{};
  f.seq = seq;
  f.t_us = 1000u + 12500u * seq;
  f.fresh_mask = 0x0F;
  f.channel_count = 4;
  for (int c = 0; c < 4; ++c) f.raw_counts[c] = seq * 31 + c * 1000 - 5000;
  return f;
}

std::vector<uint8_t> wireOf(const proto::SampleFrame& f) {
  uint8_t wire[proto::kMaxWireFrame];
  const size_t n = proto::encodeSample(f, wire, sizeof(wire));
  return std::vector<uint8_t>(wire, wire + n);
}

std::vector<uint8_t> cleanStream(int frames) {
  std::vector<uint8_t> out;
  for (int i = 0; i < frames; ++i) {
    const auto w = wireOf(makeSample(static_cast<uint16_t>(i)));
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

core::Sample asDecoded(const proto::SampleFrame& f, uint32_t lost_before = 0) {
  core::Sample s;
  s.seq = f.seq;
  s.t_us = f.t_us;
  s.fresh_mask = f.fresh_mask;
  s.flags = f.flags;
  s.channel_count = f.channel_count;
  for (int c = 0; c < 4; ++c) s.raw_counts[c] = f.raw_counts[c];
  s.lost_before = lost_before;
  return s;
}

}  // namespace

TEST(ByteFaultInjector, EachKindDamagesTheStreamAsItSays) {
  const auto clean = cleanStream(4000);  // 100,000 bytes
  for (auto kind : {sim::ByteFaultKind::kCorrupt, sim::ByteFaultKind::kDrop,
                    sim::ByteFaultKind::kInsert, sim::ByteFaultKind::kBurst}) {
    SCOPED_TRACE(sim::byteFaultKindName(kind));
    sim::ByteFaultConfig cfg;
    cfg.kind = kind;
    cfg.rate_per_byte = 1e-3;
    cfg.seed = 7;
    sim::ByteFaultInjector inj(cfg);
    std::vector<uint8_t> out;
    // In uneven chunks, as reads come.
    for (size_t i = 0; i < clean.size(); i += 777)
      inj.apply(clean.data() + i, std::min<size_t>(777, clean.size() - i), out);
    const auto& c = inj.counts();
    EXPECT_EQ(c.bytes_in, clean.size());
    EXPECT_EQ(c.bytes_out, out.size());
    EXPECT_GT(c.faults, 60u) << "about 100 at 1e-3 per byte";
    EXPECT_LT(c.faults, 140u);
    EXPECT_EQ(c.frames, 4000u);
    EXPECT_GE(c.frames_touched, c.faults * 9 / 10);
    size_t differ = 0;
    switch (kind) {
      case sim::ByteFaultKind::kCorrupt:
        ASSERT_EQ(out.size(), clean.size());
        for (size_t i = 0; i < out.size(); ++i) differ += out[i] != clean[i];
        EXPECT_EQ(differ, c.faults) << "each fault changes exactly its byte";
        break;
      case sim::ByteFaultKind::kDrop:
        EXPECT_EQ(out.size(), clean.size() - c.faults);
        break;
      case sim::ByteFaultKind::kInsert:
        EXPECT_EQ(out.size(), clean.size() + c.faults);
        break;
      case sim::ByteFaultKind::kBurst:
        ASSERT_EQ(out.size(), clean.size());
        EXPECT_GT(c.bytes_damaged, c.faults * 5) << "bursts of 2..32 bytes";
        for (size_t i = 0; i < out.size(); ++i) differ += out[i] != clean[i];
        EXPECT_LE(differ, c.bytes_damaged);
        EXPECT_GT(differ, c.bytes_damaged * 9 / 10) << "a random byte rarely equals the clean one";
        break;
      default:
        break;
    }
  }
}

TEST(ByteFaultInjector, AReaderAwayKeepsWhatTheOsBufferHeldAndLosesTheRest) {
  const auto clean = cleanStream(4000);
  sim::ByteFaultConfig cfg;
  cfg.outages.push_back({10000, 50000, 4095});
  sim::ByteFaultInjector inj(cfg);
  std::vector<uint8_t> out;
  inj.apply(clean.data(), clean.size(), out);
  ASSERT_EQ(out.size(), clean.size() - (50000 - 4095));
  EXPECT_TRUE(std::equal(clean.begin(), clean.begin() + 14095, out.begin()));
  EXPECT_TRUE(std::equal(clean.begin() + 60000, clean.end(), out.begin() + 14095));
  EXPECT_EQ(inj.counts().outage_bytes_lost, 50000u - 4095u);
  EXPECT_EQ(inj.counts().faults, 0u);
}

TEST(ByteFaultInjector, TellsTheObserverEveryCleanFrameAndWhetherAFaultTouchedIt) {
  const auto clean = cleanStream(10);
  sim::ByteFaultConfig cfg;
  cfg.kind = sim::ByteFaultKind::kCorrupt;
  cfg.rate_per_byte = 1;            // every byte
  cfg.clean_prefix_bytes = 5 * 25;  // the first five frames pass clean
  sim::ByteFaultInjector inj(cfg);
  std::vector<std::vector<uint8_t>> frames;
  std::vector<bool> touched;
  inj.setCleanFrameObserver([&](const uint8_t* w, size_t n, bool t) {
    frames.emplace_back(w, w + n);
    touched.push_back(t);
  });
  std::vector<uint8_t> out;
  inj.apply(clean.data(), clean.size(), out);
  ASSERT_EQ(frames.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(frames[i], wireOf(makeSample(static_cast<uint16_t>(i)))) << "the clean frame " << i;
    EXPECT_EQ(touched[i], i >= 5) << "frame " << i;
  }
}

TEST(StreamTruthChecker, CatchesASampleThatWasNotSentALossNotCountedAndAShiftedTime) {
  sim::StreamTruthChecker check;
  for (uint16_t i = 0; i < 10; ++i) {
    const auto w = wireOf(makeSample(i));
    check.onCleanFrame(w.data(), w.size(), i == 3);
  }
  check.onAccepted(asDecoded(makeSample(0)));
  check.onAccepted(asDecoded(makeSample(1)));
  EXPECT_TRUE(check.report().allAccountedFor());
  auto wrong = makeSample(2);
  wrong.raw_counts[2] += 1;
  check.onAccepted(asDecoded(wrong));             // not what was sent
  check.onAccepted(asDecoded(makeSample(4), 2));  // 2 and 3 lost and counted
  check.onAccepted(asDecoded(makeSample(7), 1));  // 5 and 6 lost, one counted
  auto late = asDecoded(makeSample(8));
  late.t_us += 12500;  // the right sample at the wrong session time
  check.onAccepted(late);
  const sim::StreamCheckReport r = check.report();
  EXPECT_EQ(r.sent, 10u);
  EXPECT_EQ(r.sent_touched, 1u);
  EXPECT_EQ(r.accepted, 6u);
  EXPECT_EQ(r.accepted_corrupt, 1u);
  EXPECT_EQ(r.missed, 4u);
  EXPECT_EQ(r.missed_counted, 3u);
  EXPECT_EQ(r.accounting_errors, 1u);
  EXPECT_EQ(r.missed_untouched, 3u) << "2, 5 and 6";
  EXPECT_EQ(r.worst_resync_frames, 2u) << "5 and 6 in a row, no fault near them";
  EXPECT_EQ(r.time_shifts, 1u);
  EXPECT_EQ(r.pending, 1u) << "9, after the last delivered sample";
  EXPECT_FALSE(r.allAccountedFor());
}

// The short stream fault matrix (the long one: rollrig-stream-fault-matrix --bytes 1e9): every
// kind at every rate from 1e-6 to 1e-2 per byte, on the virtual rig's stream through the decoder.
TEST(StreamFaultMatrix, NoCorruptSampleIsAcceptedAndEveryLossIsCountedAtEveryKindAndRate) {
  uint64_t cell = 0;
  for (auto kind : {sim::ByteFaultKind::kCorrupt, sim::ByteFaultKind::kDrop,
                    sim::ByteFaultKind::kInsert, sim::ByteFaultKind::kBurst}) {
    for (double rate : {1e-6, 1e-5, 1e-4, 1e-3, 1e-2}) {
      SCOPED_TRACE(std::string(sim::byteFaultKindName(kind)) + " at " + std::to_string(rate));
      sim::ByteFaultConfig f;
      f.kind = kind;
      f.rate_per_byte = rate;
      f.seed = 100 + cell;
      // Enough bytes for a few faults even at 1e-6 (2 MB: ~2), fewer at high rates.
      const uint64_t bytes = rate < 1e-4 ? 2000000 : 300000;
      const sim::StreamFaultTrial t = sim::runVirtualRigFaultTrial(f, bytes, 1 + cell);
      ++cell;
      const auto& r = t.check;
      SCOPED_TRACE(sim::describe(r));
      EXPECT_GE(r.sent, bytes / 26);
      if (rate >= 1e-5) {
        EXPECT_GT(t.faults.faults, 0u) << "the cell injected faults";
      }
      EXPECT_EQ(r.accepted_corrupt, 0u);
      EXPECT_EQ(r.accounting_errors, 0u);
      EXPECT_EQ(r.missed, r.missed_counted) << "every lost frame is counted";
      EXPECT_EQ(r.accepted + r.missed + r.head + r.pending, r.sent);
      EXPECT_LE(r.head + r.pending, 2u);
      EXPECT_EQ(r.time_shifts, 0u);
      EXPECT_LE(r.worst_resync_frames, 1u) << "resync within one frame";
      EXPECT_EQ(t.decoder.device_resets, 0u);
      EXPECT_TRUE(r.allAccountedFor());
      if (rate >= 1e-3) {
        EXPECT_GT(r.missed, 0u);
      }
    }
  }
}

// The chunk codec on its own: exact round trips (extremes included) and corrupt blobs refused
// without a crash.
#include "rollrig/store/sample_codec.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>

#include "store_test_util.h"

using namespace rollrig;
using namespace rollrig::store;
using rollrig::store::test::firstDifference;
using rollrig::store::test::makeSamples;

namespace {

std::vector<core::Sample> roundTrip(const std::vector<core::Sample>& in) {
  std::vector<uint8_t> blob;
  encodeChunk(in.data(), in.size(), &blob);
  std::vector<core::Sample> out;
  std::string why;
  EXPECT_TRUE(decodeChunk(blob.data(), blob.size(), &out, &why)) << why;
  return out;
}

core::Sample sample(uint64_t t_us, uint16_t seq, std::array<int32_t, 4> counts,
                    uint32_t lost_before = 0, uint8_t flags = 0, uint8_t fresh = 0x0F) {
  core::Sample s;
  s.t_us = t_us;
  s.seq = seq;
  s.lost_before = lost_before;
  s.flags = flags;
  s.fresh_mask = fresh;
  s.channel_count = 4;
  for (int c = 0; c < 4; ++c) s.raw_counts[c] = counts[c];
  return s;
}

}  // namespace

TEST(SampleCodec, RoundTripsASteadyNoisyStreamExactly) {
  const auto in = makeSamples(5000, 123456789, 65000);
  const auto out = roundTrip(in);
  EXPECT_EQ(firstDifference(in, out), -1);
}

TEST(SampleCodec, RoundTripsAnEmptyRun) {
  EXPECT_TRUE(roundTrip({}).empty());
}

TEST(SampleCodec, RoundTripsInt24ExtremesTimeJumpsSeqWrapsLossesAndResetEpochs) {
  constexpr int32_t kMax24 = (1 << 23) - 1, kMin24 = -(1 << 23);
  std::vector<core::Sample> in = {
      sample(0, 65534, {kMax24, kMin24, 0, -1}),
      sample(12500, 65535, {kMin24, kMax24, kMax24, kMin24}, 0, 0x01),  // full-scale swing
      sample(25000, 0, {kMax24, kMin24, kMin24, kMax24}),               // seq wraps
      sample(50000, 2, {1, 2, 3, 4}, 1, 0x04),                          // a frame lost
      sample(50000 + 3600ull * 1000000, 9, {1, 2, 3, 4}, 6),            // an hour's jump
      // A device reset: seq back to 0 with its loss count, time continuing in a new epoch.
      sample(50001 + 3600ull * 1000000, 0, {5, 6, 7, 8}, 3, 0x10, 0x01),
      sample(4294967296ull + 12500, 1, {5, 6, 7, 8}),  // past the u32 wrap
      sample(UINT64_MAX - 1, 2, {INT32_MAX, INT32_MIN, 0, 0}, UINT32_MAX),
      sample(UINT64_MAX, 3, {INT32_MIN, INT32_MAX, 0, 0}),
      sample(5, 3, {0, 0, 0, 0}),  // time backwards (the codec takes any order)
  };
  EXPECT_EQ(firstDifference(in, roundTrip(in)), -1);
}

TEST(SampleCodec, RoundTripsChangingCellCountsAndDropsCountsPastThem) {
  std::vector<core::Sample> in = makeSamples(6);
  in[1].channel_count = 8;
  for (int c = 0; c < 8; ++c) in[1].raw_counts[c] = 1000 * c - 4000;
  in[2].channel_count = 0;
  in[3].channel_count = 1;
  const auto out = roundTrip(in);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(firstDifference(in, out), -1);
  EXPECT_EQ(out[3].raw_counts[1], 0);  // not stored past channel_count
}

TEST(SampleCodec, StoresASteady80HzSampleInAboutTenBytes) {
  const auto in = makeSamples(128);
  std::vector<uint8_t> blob;
  encodeChunk(in.data(), in.size(), &blob);
  const double per_sample = static_cast<double>(blob.size()) / static_cast<double>(in.size());
  // 23 bytes on the wire; the goal of <= 6 MB/h at 80 Hz allows 20.8 bytes with all overheads.
  EXPECT_LT(per_sample, 13.0);
  EXPECT_GT(per_sample, 5.0);  // the counts' noise cannot compress below ~1 byte per cell
}

TEST(SampleCodec, AppendsToTheOutputAndLeavesItAloneOnFailure) {
  const auto a = makeSamples(3, 0, 0, 1), b = makeSamples(4, 99, 7, 2);
  std::vector<uint8_t> blob_a, blob_b;
  encodeChunk(a.data(), a.size(), &blob_a);
  encodeChunk(b.data(), b.size(), &blob_b);
  std::vector<core::Sample> out;
  ASSERT_TRUE(decodeChunk(blob_a.data(), blob_a.size(), &out, nullptr));
  ASSERT_TRUE(decodeChunk(blob_b.data(), blob_b.size(), &out, nullptr));
  ASSERT_EQ(out.size(), 7u);
  EXPECT_TRUE(test::sameSample(out[3], b[0]));  // each chunk decodes from its own zero state
  std::string why;
  EXPECT_FALSE(decodeChunk(blob_b.data(), blob_b.size() - 1, &out, &why));
  EXPECT_EQ(out.size(), 7u);
  EXPECT_FALSE(why.empty());
}

TEST(SampleCodec, RefusesEveryTruncationOfAChunk) {
  const auto in = makeSamples(50);
  std::vector<uint8_t> blob;
  encodeChunk(in.data(), in.size(), &blob);
  for (size_t len = 0; len < blob.size(); ++len) {
    std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<long>(len));
    std::vector<core::Sample> out;
    std::string why;
    EXPECT_FALSE(decodeChunk(cut.data(), cut.size(), &out, &why)) << "length " << len;
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(why.empty());
  }
}

TEST(SampleCodec, RefusesMalformedHeadersAndFields) {
  auto refuses = [](std::vector<uint8_t> blob, const std::string& expect_in_why) {
    std::vector<core::Sample> out;
    std::string why;
    EXPECT_FALSE(decodeChunk(blob.data(), blob.size(), &out, &why));
    EXPECT_NE(why.find(expect_in_why), std::string::npos) << why;
  };
  refuses({2, 0}, "version");                                  // an unknown format
  refuses({1, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0}, "count");         // more samples than bytes
  refuses({1, 1, 0x00, 0x00, 0x00}, "after the last sample");  // trailing bytes
  refuses({1, 1, 0x20, 0x00}, "control bits");                 // unknown control bits
  refuses({1, 1, 0x10, 9, 0x00}, "channel count");             // more cells than the protocol
  refuses({1, 1, 0x01, 0xFF, 0xFF, 0x04, 0x00}, "sequence");   // seq above 65535
  refuses({1, 1, 0x02, 0x00, 0x00}, "loss");                   // a loss flag with no loss
  std::vector<uint8_t> overlong = {1, 1, 0x00};                // an 11-byte varint time
  for (int i = 0; i < 11; ++i) overlong.push_back(0x80);
  overlong.push_back(0x00);
  refuses(overlong, "time");
  // Counts that leave the int32 range.
  std::vector<uint8_t> big = {1, 1, 0x10, 1, 0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0x1F};
  refuses(big, "range");
}

TEST(SampleCodec, SurvivesRandomCorruptionWithoutCrashing) {
  const auto in = makeSamples(128, 77, 3);
  std::vector<uint8_t> blob;
  encodeChunk(in.data(), in.size(), &blob);
  std::mt19937 rng(2024);
  size_t refused = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bad = blob;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (trial % 5 == 0) bad.resize(rng() % bad.size());
    std::vector<core::Sample> out;
    if (!decodeChunk(bad.data(), bad.size(), &out, nullptr)) {
      ++refused;
      EXPECT_TRUE(out.empty());
    } else {
      EXPECT_EQ(out.size(), in.size());  // a blob that decodes is whole
    }
  }
  EXPECT_GT(refused, 10000u);
  // Pure garbage of every small length.
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> junk(rng() % 64);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    std::vector<core::Sample> out;
    decodeChunk(junk.data(), junk.size(), &out, nullptr);
    EXPECT_LE(out.size(), 32u);
  }
}

TEST(SampleCodec, AChunkBuiltSampleBySampleIsTheSameAsOneEncodedWhole) {
  const auto in = makeSamples(100, 5, 65530, 9);
  ChunkEncoder grown;
  std::vector<uint8_t> partial;
  for (size_t i = 0; i < in.size(); ++i) {
    grown.add(in[i]);
    if (i == 40) grown.appendTo(&partial);  // a commit in the middle
  }
  ChunkEncoder copy = grown;  // the store tries a commit on a copy
  copy.add(in[0]);
  std::vector<uint8_t> whole, built;
  encodeChunk(in.data(), in.size(), &whole);
  grown.appendTo(&built);
  EXPECT_EQ(built, whole);
  EXPECT_EQ(grown.count(), in.size());
  EXPECT_EQ(copy.count(), in.size() + 1);
  std::vector<core::Sample> out;
  ASSERT_TRUE(decodeChunk(partial.data(), partial.size(), &out, nullptr));
  EXPECT_EQ(firstDifference(std::vector<core::Sample>(in.begin(), in.begin() + 41), out), -1);
}

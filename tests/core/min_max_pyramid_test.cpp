#include "rollrig/core/min_max_pyramid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using rollrig::core::ChunkedVector;
using rollrig::core::MinMax;
using rollrig::core::MinMaxPyramid;

namespace {

MinMax bruteForce(const std::vector<float>& v, size_t i0, size_t i1) {
  MinMax r;
  for (size_t i = i0; i < std::min(i1, v.size()); ++i) r.add(v[i]);
  return r;
}

}  // namespace

TEST(MinMaxPyramid, GivesTheSameMinAndMaxAsABruteForceScanForAnyWindow) {
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(300.0f, 80.0f);
  MinMaxPyramid p;
  std::vector<float> v;
  for (int i = 0; i < 20000; ++i) v.push_back(noise(rng)), p.append(v.back());
  std::uniform_int_distribution<size_t> idx(0, v.size());
  for (int k = 0; k < 5000; ++k) {
    size_t a = idx(rng), b = idx(rng);
    if (a > b) std::swap(a, b);
    if (k % 3 == 0) b = std::min(v.size(), a + k % 40);  // short windows too
    const MinMax want = bruteForce(v, a, b), got = p.range(a, b);
    ASSERT_EQ(got.empty, want.empty) << a << ".." << b;
    if (!want.empty) {
      ASSERT_EQ(got.min, want.min) << a << ".." << b;
      ASSERT_EQ(got.max, want.max) << a << ".." << b;
    }
  }
  EXPECT_TRUE(p.range(5, 5).empty);
  EXPECT_TRUE(p.range(v.size(), v.size() + 10).empty);
}

TEST(MinMaxPyramid, KeepsASingleSampleSpikeInEveryWindowThatHoldsIt) {
  MinMaxPyramid p;
  const size_t n = 576000, spike = 345679;  // two hours at 80 Hz, one sample at 2000 N
  for (size_t i = 0; i < n; ++i) p.append(i == spike ? 2000.0f : 300.0f);
  for (size_t w = 1; w <= n; w *= 3) {
    const size_t a = spike + 1 >= w ? spike + 1 - w : 0;
    EXPECT_EQ(p.range(a, a + w).max, 2000.0f) << "window of " << w;
    EXPECT_EQ(p.range(spike + 1, spike + 1 + w).max, 300.0f) << "window of " << w;
  }
}

TEST(MinMaxPyramid, StaysConsistentWhileValuesAreAppended) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-50.0f, 900.0f);
  MinMaxPyramid p;
  std::vector<float> v;
  for (int i = 0; i < 3000; ++i) {
    v.push_back(u(rng));
    p.append(v.back());
    ASSERT_EQ(p.size(), v.size());
    // The whole series, its tail and a window ending at the newest value, after every append.
    for (size_t a : {size_t{0}, v.size() / 2, v.size() > 17 ? v.size() - 17 : 0}) {
      const MinMax want = bruteForce(v, a, v.size()), got = p.range(a, v.size());
      ASSERT_EQ(got.min, want.min) << i;
      ASSERT_EQ(got.max, want.max) << i;
    }
  }
  p.clear();
  EXPECT_EQ(p.size(), 0u);
  EXPECT_TRUE(p.range(0, 10).empty);
}

TEST(MinMaxPyramid, HoldsATwoHourSessionInAboutFiveBytesASample) {
  MinMaxPyramid p;
  const size_t n = 576000;
  for (size_t i = 0; i < n; ++i) p.append(static_cast<float>(i % 977));
  // The values (4 bytes), the levels (8 bytes per 16 values, halving upwards: 1 byte), and at most
  // one partly filled chunk per level and for the values: no vector's doubling slack.
  const size_t levels = 16;  // log2(576000 / 16) + 1
  const size_t slack = ChunkedVector<float>::kChunk * 4 + levels * ChunkedVector<float>::kChunk * 8;
  EXPECT_LE(p.bytes(), n * 5 + slack);
  EXPECT_GE(p.bytes(), n * 5);
  EXPECT_EQ(p.range(0, n).max, 976.0f);
}

// [SECTION] ChunkedVector: the pyramid's and the GUI's sample store's storage.

TEST(ChunkedVector, KeepsEveryElementInOrderAcrossChunks) {
  ChunkedVector<int, 4> v;  // chunks of 16, so the test crosses many
  for (int i = 0; i < 1000; ++i) v.push_back(i * 3);
  ASSERT_EQ(v.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[i], i * 3) << i;
  EXPECT_EQ(v.back(), 999 * 3);
  // Random-access iterators: std::lower_bound finds every element.
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(std::lower_bound(v.begin(), v.end(), i * 3) - v.begin(), i);
  EXPECT_EQ(std::lower_bound(v.begin(), v.end(), 1) - v.begin(), 1);
  EXPECT_EQ(std::lower_bound(v.begin(), v.end(), 1e9) - v.begin(), 1000);
  EXPECT_EQ(std::distance(v.begin(), v.end()), 1000);
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.begin(), v.end());
}

TEST(ChunkedVector, NeverMovesAnElementAndHoldsAtMostOneSpareChunk) {
  ChunkedVector<double, 10> v;
  v.push_back(1.5);
  const double* first =
      nullptr;  // once the first chunk is full (it grows like a vector until then)
  std::vector<const double*> chunk_starts;
  for (size_t i = 1; i < 100000; ++i) {
    v.push_back(static_cast<double>(i));
    if (i == 1023) first = &v[0];
    if (i % 1024 == 0) chunk_starts.push_back(&v[i]);
    // Bytes held: the elements and at most one chunk beyond them, plus the small chunk table.
    if (i % 997 == 0) {
      ASSERT_LE(v.bytes(), (v.size() + 1024) * sizeof(double) + 256 * sizeof(std::vector<double>))
          << i;
    }
  }
  // Once past the first chunk, no element was ever moved (a std::vector would have moved them).
  for (size_t k = 0; k < chunk_starts.size(); ++k)
    ASSERT_EQ(chunk_starts[k], &v[(k + 1) * 1024]) << k;
  EXPECT_EQ(first, &v[0]);
  EXPECT_EQ(*first, 1.5);
  EXPECT_EQ(v[99999], 99999.0);
}

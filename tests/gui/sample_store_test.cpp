// SampleStore (host/gui/sample_store.h): what it keeps, how exactly, and how much memory it holds
// while a two-hour session grows (issue 11: the window under 100 MB after two hours).
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>

#include "sample_store.h"

// [SECTION] Heap accounting: every operator new/delete of this test binary, so a test can see the
// most memory that was live at once (a vector's regrowth holds its old and new copy together).
namespace {
std::atomic<long long> g_live_bytes{0};
std::atomic<long long> g_peak_bytes{0};
void* trackedNew(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  const long long live = g_live_bytes += static_cast<long long>(malloc_usable_size(p));
  long long peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
  return p;
}
void trackedDelete(void* p) noexcept {
  if (!p) return;
  g_live_bytes -= static_cast<long long>(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(size_t n) {
  return trackedNew(n);
}
void* operator new[](size_t n) {
  return trackedNew(n);
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): without them the
// runtime's own nothrow new allocated what the delete above freed with std::free, a mismatch
// AddressSanitizer reports, and those bytes were missing from the accounting.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return trackedNew(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return trackedNew(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  trackedDelete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  trackedDelete(p);
}
void operator delete(void* p) noexcept {
  trackedDelete(p);
}
void operator delete[](void* p) noexcept {
  trackedDelete(p);
}
void operator delete(void* p, size_t) noexcept {
  trackedDelete(p);
}
void operator delete[](void* p, size_t) noexcept {
  trackedDelete(p);
}

using namespace rollrig;
using rollrig::gui::SampleStore;

namespace {

engine::ProcessedSample sampleAt(uint64_t t_us, double total_n) {
  engine::ProcessedSample s;
  s.sample.t_us = t_us;
  s.t_s = t_us / 1e6;  // as the engine computes it
  s.force.total_n = total_n;
  for (int i = 0; i < core::kCellCount; ++i) s.force.force_n[i] = total_n / 4 + i;
  s.force.has_cop = total_n > 20;
  s.force.x_mm = 0.1 * static_cast<double>(t_us % 5000) - 250.0;
  s.force.y_mm = -0.1 * static_cast<double>(t_us % 3000) + 150.0;
  return s;
}

}  // namespace

TEST(SampleStore, HoldsATwoHourSessionInAtMost35BytesASampleWithoutReallocationPeaks) {
  const size_t n = 80 * 7200;  // two hours at 80 Hz
  SampleStore store;
  const long long live_before = g_live_bytes.load();
  g_peak_bytes = live_before;
  for (size_t i = 0; i < n; ++i) store.append(sampleAt(i * 12500, 300.0 + (i % 613)));
  const long long peak = g_peak_bytes.load() - live_before;
  ASSERT_EQ(store.size(), n);
  // About 33 bytes a sample (sample_store.h), and at most one partly filled chunk per array and
  // pyramid level (about 1 byte a sample more at two hours).
  EXPECT_LE(store.bytes(), n * 35);
  EXPECT_GE(store.bytes(), n * 33);
  // The most ever live at once is what the store ends up holding (plus the allocator's few bytes a
  // chunk and the chunk tables): never an old and a new copy of an array at the same time.
  EXPECT_LE(peak, static_cast<long long>(store.bytes() * 1.01) + 64 * 1024);
  EXPECT_GE(peak, static_cast<long long>(store.bytes()));  // the accounting does see the store
  store.clear();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_LE(g_live_bytes.load() - live_before, 4096);  // and gives it all back
}

TEST(SampleStore, LowerBoundFindsEverySampleTime) {
  // A two-hour session with the device's jitter (whole microseconds, 12.5 ms apart +- 400 us).
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> jitter(-400, 400);
  SampleStore store;
  std::vector<double> t_s;
  for (uint64_t i = 0; i < 80 * 7200; ++i) {
    const uint64_t t_us =
        i == 0 ? 0 : i * 12500 + static_cast<uint64_t>(12500 + jitter(rng)) - 12500;
    const engine::ProcessedSample s = sampleAt(t_us, 300);
    t_s.push_back(s.t_s);
    store.append(s);
  }
  const auto stored = store.time_s();
  ASSERT_EQ(stored.size(), t_s.size());
  for (size_t i = 0; i < t_s.size(); ++i) {
    // The engine's time finds its own sample; the stored time is never earlier, at most 1 ms later.
    ASSERT_EQ(store.lowerBound(t_s[i]), i) << i;
    ASSERT_GE(stored[i], t_s[i]) << i;
    ASSERT_LE(stored[i] - t_s[i], 0.001) << i;
    // The stored time finds it too, and just past it the next one (the plot's last column).
    ASSERT_EQ(store.lowerBound(stored[i]), i) << i;
    ASSERT_EQ(store.lowerBound(std::nextafter(stored[i], 1e300)), i + 1) << i;
  }
  EXPECT_EQ(store.lowerBound(-5.0), 0u);
  EXPECT_EQ(store.lowerBound(1e9), store.size());
  EXPECT_EQ(store.lastTime_s(), stored[stored.size() - 1]);
}

TEST(SampleStore, KeepsForcesExactlyAndTheCentreOfPressureToATenthOfAMillimetre) {
  SampleStore store;
  engine::ProcessedSample s = sampleAt(1000, 312.345);
  s.force.x_mm = -299.96, s.force.y_mm = 199.94;
  store.append(s);
  s = sampleAt(2000, 5.0);  // too light for a centre of pressure
  store.append(s);
  s = sampleAt(3000, 800);
  s.force.x_mm = 5000, s.force.y_mm = -9000;  // nonsense far off the plate: clamped, still drawn
  store.append(s);

  EXPECT_EQ(store.total_n()[0], 312.345f);
  for (int c = 0; c < core::kCellCount; ++c)
    EXPECT_EQ(store.cellPyramid(c).values()[0], static_cast<float>(312.345 / 4 + c));
  EXPECT_EQ(store.hasCop()[0], 1);
  EXPECT_FLOAT_EQ(store.x_mm()[0], -300.0f);
  EXPECT_FLOAT_EQ(store.y_mm()[0], 199.9f);
  EXPECT_EQ(store.hasCop()[1], 0);
  EXPECT_EQ(store.x_mm()[1], 0.0f);
  EXPECT_EQ(store.hasCop()[2], 1);
  EXPECT_FLOAT_EQ(store.x_mm()[2], 3276.7f);
  EXPECT_FLOAT_EQ(store.y_mm()[2], -3276.7f);
}

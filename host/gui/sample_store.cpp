#include "sample_store.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rollrig::gui {

namespace {
// Session seconds to stored milliseconds, rounded up (never earlier than the sample), clamped to
// what a uint32 holds.
uint32_t encodeTime(double t_s) {
  const double ms = std::ceil(t_s * 1000.0);
  if (!(ms > 0)) return 0;  // negative or NaN
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  if (ms >= kMax) return kMax;
  auto v = static_cast<uint32_t>(ms);
  if (SampleStore::decodeTime(v) < t_s) ++v;  // t_s * 1000 rounded down onto a whole ms
  return v;
}
// mm to 0.1 mm, clamped to +-3276.7 mm (kNoCop stays free).
int16_t encodeMm(double mm) {
  const double v = std::round(mm * 10.0);
  if (!(v == v)) return 0;
  return static_cast<int16_t>(std::clamp(v, -32767.0, 32767.0));
}
}  // namespace

void SampleStore::append(const engine::ProcessedSample& s) {
  m_t_ms.push_back(encodeTime(s.t_s));
  m_total_n.append(static_cast<float>(s.force.total_n));
  for (int i = 0; i < core::kCellCount; ++i)
    m_cell_n[i].append(static_cast<float>(s.force.force_n[i]));
  m_x.push_back(s.force.has_cop ? encodeMm(s.force.x_mm) : kNoCop);
  m_y.push_back(s.force.has_cop ? encodeMm(s.force.y_mm) : 0);
}

void SampleStore::clear() {
  *this = SampleStore();
}

size_t SampleStore::lowerBound(double t_s) const {
  const TimeView t = time_s();
  return static_cast<size_t>(std::lower_bound(t.begin(), t.end(), t_s) - t.begin());
}

size_t SampleStore::bytes() const {
  size_t cells = 0;
  for (const core::MinMaxPyramid& c : m_cell_n) cells += c.bytes();
  return m_t_ms.bytes() + m_total_n.bytes() + cells + m_x.bytes() + m_y.bytes();
}

std::optional<core::ForceSample> forceReadout(const SampleStore& samples, double edge_s,
                                              double period_s) {
  if (period_s <= 0 || samples.empty()) return std::nullopt;
  const double q = std::floor(edge_s / period_s + 1e-9) * period_s;
  const size_t i0 = samples.lowerBound(q - period_s), i1 = samples.lowerBound(q);
  if (i1 <= i0) return std::nullopt;
  core::ForceSample f;
  for (size_t i = i0; i < i1; ++i) {
    f.total_n += samples.total_n()[i];
    for (int c = 0; c < core::kCellCount; ++c) f.force_n[c] += samples.cellPyramid(c).values()[i];
  }
  const double n = static_cast<double>(i1 - i0);
  f.total_n /= n;
  for (int c = 0; c < core::kCellCount; ++c) f.force_n[c] /= n;
  return f;
}

}  // namespace rollrig::gui

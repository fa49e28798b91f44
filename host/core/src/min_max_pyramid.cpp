#include "rollrig/core/min_max_pyramid.h"

#include <algorithm>

namespace rollrig::core {

void MinMaxPyramid::append(float v) {
  m_values.push_back(v);
  const size_t n = m_values.size();
  constexpr size_t kBase = size_t{1} << kBaseLevel;
  if (n % kBase != 0) return;
  // A base block just completed: summarise it, then every parent that completes with it.
  Pair p{v, v};
  for (size_t i = n - kBase; i < n; ++i)
    p.min = std::min(p.min, m_values[i]), p.max = std::max(p.max, m_values[i]);
  if (m_levels.empty()) m_levels.emplace_back();
  m_levels[0].push_back(p);
  for (size_t lv = 0; m_levels[lv].size() % 2 == 0; ++lv) {
    const ChunkedVector<Pair>& c = m_levels[lv];
    const Pair& a = c[c.size() - 2];
    const Pair& b = c[c.size() - 1];
    const Pair parent{std::min(a.min, b.min), std::max(a.max, b.max)};
    if (m_levels.size() == lv + 1) m_levels.emplace_back();
    m_levels[lv + 1].push_back(parent);
  }
}

void MinMaxPyramid::clear() {
  *this = MinMaxPyramid();
}

MinMax MinMaxPyramid::range(size_t i0, size_t i1) const {
  MinMax r;
  i1 = std::min(i1, m_values.size());
  if (i0 >= i1) return r;
  constexpr size_t kBase = size_t{1} << kBaseLevel;
  // Whole base blocks [a, b) inside the range; the ragged ends are scanned in the values.
  size_t a = (i0 + kBase - 1) / kBase, b = i1 / kBase;
  if (a >= b) {
    for (size_t i = i0; i < i1; ++i) r.add(m_values[i]);
    return r;
  }
  for (size_t i = i0; i < a * kBase; ++i) r.add(m_values[i]);
  for (size_t i = b * kBase; i < i1; ++i) r.add(m_values[i]);
  // Climb: at each level take the odd block at either end, then go up to the parents. Block b - 1
  // at level k is complete (b * 2^k <= i1 <= size()), so every block taken is stored.
  for (size_t lv = 0; a < b; ++lv) {
    const ChunkedVector<Pair>& L = m_levels[lv];
    if (a & 1) r.add(MinMax{L[a].min, L[a].max, false}), ++a;
    if (b & 1) --b, r.add(MinMax{L[b].min, L[b].max, false});
    a /= 2, b /= 2;
  }
  return r;
}

size_t MinMaxPyramid::bytes() const {
  size_t n = m_values.bytes();
  for (const auto& L : m_levels) n += L.bytes();
  return n + m_levels.capacity() * sizeof(ChunkedVector<Pair>);
}

}  // namespace rollrig::core

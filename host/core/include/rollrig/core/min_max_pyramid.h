// MinMaxPyramid: a growing series of values (e.g. a session's total force in N, one per sample)
// with precomputed per-level minima and maxima, so the min and max of any index range cost
// O(2^kBaseLevel + log n) instead of O(range). The force plot asks it once per pixel column, so
// drawing any time window of a session (30 s or two hours) costs O(pixel columns), and every
// column shows the true min and max of its samples (a one-sample spike survives any zoom).
//
// Layout: the values themselves (level 0, owned here), then level k (k >= kBaseLevel) holding the
// min/max of each complete block of 2^k values: block j covers [j * 2^k, (j + 1) * 2^k). Levels
// below kBaseLevel are not stored (a range's ragged ends are scanned in the values instead), which
// keeps the pyramid at 2 * 8 / 2^kBaseLevel = 1 byte per value on top of the values' 4.
//
// append() is amortised O(1): a block is summarised once, when it completes (its 2^kBaseLevel
// values scanned, or its two children merged), never updated again.
//
// Memory: the values and every level live in ChunkedVector (chunked_vector.h), so a pyramid that
// grows for hours holds its data plus at most one partly filled chunk per level, and never holds
// an old and a new copy at once (no vector regrowth): about 5 bytes a value.
//
// Pure (std only). Thread safety: none; one owner (the GUI's UI thread).
#pragma once

#include <cstddef>
#include <vector>

#include "rollrig/core/chunked_vector.h"

namespace rollrig::core {

struct MinMax {
  float min = 0, max = 0;
  bool empty = true;  // no values in the range (min and max meaningless)
  void add(float v) {
    if (empty) {
      min = max = v;
      empty = false;
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  void add(const MinMax& o) {
    if (o.empty) return;
    add(o.min);
    add(o.max);
  }
};

class MinMaxPyramid {
 public:
  static constexpr int kBaseLevel = 4;  // the first stored level: blocks of 16 values

  void append(float v);
  void clear();

  size_t size() const { return m_values.size(); }
  const ChunkedVector<float>& values() const { return m_values; }

  // The min and max of values [i0, i1) (clamped to [0, size())); empty when the range is.
  MinMax range(size_t i0, size_t i1) const;

  // Bytes held (capacities of the values and of every level), for the memory report.
  size_t bytes() const;

 private:
  struct Pair {
    float min, max;
  };
  ChunkedVector<float> m_values;
  std::vector<ChunkedVector<Pair>> m_levels;  // m_levels[i] is level kBaseLevel + i
};

}  // namespace rollrig::core

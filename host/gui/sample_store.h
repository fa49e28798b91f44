// SampleStore: every sample of the current session, as the GUI draws it, kept for the whole
// session (not a ring buffer). The total force and each cell's force are kept in a
// core::MinMaxPyramid (per-level min/max), so the force plot draws any window of the session, 2 s
// or two hours, at full resolution in O(pixel columns).
//
// Memory (issue 11: the window must stay under 100 MB after a two-hour session). Struct of arrays,
// each in fixed-size chunks (core::ChunkedVector): no vector regrowth, so the store holds its data
// plus at most one partly filled chunk per array, and never an old and a new copy at once:
//   time      4  uint32 milliseconds of session time (see below)
//   total     4  float N, + about 1 for its pyramid
//   cells    20  4 x (float N + about 1 for the cell's pyramid)
//   x, y      4  int16 in 0.1 mm (+-3276.7 mm; the plate is 600 x 400); x = kNoCop: no CoP
// = about 33 bytes a sample: 19 MB for a two-hour session at 80 Hz (576,000 samples; bytes()
// says what is held).
//
// Times: the engine's t_s (device time since the first sample, whole microseconds) rounded UP to
// the millisecond, so a stored time is never earlier than the sample's own (at most 1 ms later):
// lowerBound(t_s) finds the sample of every t_s the engine gave, as long as samples are more than
// 1 ms apart (the rig sends 80 a second). A millisecond is under a pixel at the plot's closest
// zoom (2 s across the plot). Times are non-decreasing; sessions up to 49 days.
//
// Thread safety: none; owned by the UI thread (filled from LiveSession::snapshot()).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rollrig/core/chunked_vector.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/min_max_pyramid.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/session_sink.h"

namespace rollrig::gui {

// A read-only view of a chunked column that decodes each element (Decode: Stored -> value_type)
// on access; random access, so std::lower_bound works on it. Cheap to copy (one pointer).
template <typename Stored, typename Value, Value (*Decode)(Stored)>
class DecodedView {
 public:
  using Column = core::ChunkedVector<Stored>;
  explicit DecodedView(const Column& c) : m_c(&c) {}
  size_t size() const { return m_c->size(); }
  bool empty() const { return m_c->empty(); }
  Value operator[](size_t i) const { return Decode((*m_c)[i]); }

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Value;
    const_iterator() = default;
    explicit const_iterator(typename Column::const_iterator it) : m_it(it) {}
    Value operator*() const { return Decode(*m_it); }
    Value operator[](difference_type d) const { return Decode(m_it[d]); }
    const_iterator& operator++() { return ++m_it, *this; }
    const_iterator operator++(int) { return const_iterator(m_it++); }
    const_iterator& operator--() { return --m_it, *this; }
    const_iterator operator--(int) { return const_iterator(m_it--); }
    const_iterator& operator+=(difference_type d) { return m_it += d, *this; }
    const_iterator& operator-=(difference_type d) { return m_it -= d, *this; }
    friend const_iterator operator+(const_iterator a, difference_type d) { return a += d; }
    friend const_iterator operator+(difference_type d, const_iterator a) { return a += d; }
    friend const_iterator operator-(const_iterator a, difference_type d) { return a -= d; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return a.m_it - b.m_it;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.m_it == b.m_it;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) {
      return a.m_it != b.m_it;
    }
    friend bool operator<(const const_iterator& a, const const_iterator& b) {
      return a.m_it < b.m_it;
    }
    friend bool operator>(const const_iterator& a, const const_iterator& b) {
      return a.m_it > b.m_it;
    }
    friend bool operator<=(const const_iterator& a, const const_iterator& b) {
      return a.m_it <= b.m_it;
    }
    friend bool operator>=(const const_iterator& a, const const_iterator& b) {
      return a.m_it >= b.m_it;
    }

   private:
    typename Column::const_iterator m_it;
  };
  const_iterator begin() const { return const_iterator(m_c->begin()); }
  const_iterator end() const { return const_iterator(m_c->end()); }

 private:
  const Column* m_c;
};

class SampleStore {
 public:
  static constexpr int16_t kNoCop = INT16_MIN;  // x's code for "no centre of pressure"

  static double decodeTime(uint32_t t_ms) { return t_ms / 1000.0; }
  static float decodeMm(int16_t v) { return v == kNoCop ? 0.0f : v / 10.0f; }
  static uint8_t decodeHasCop(int16_t x) { return x == kNoCop ? 0 : 1; }
  using TimeView = DecodedView<uint32_t, double, &SampleStore::decodeTime>;
  using MmView = DecodedView<int16_t, float, &SampleStore::decodeMm>;
  using HasCopView = DecodedView<int16_t, uint8_t, &SampleStore::decodeHasCop>;

  void append(const engine::ProcessedSample& s);
  void clear();

  size_t size() const { return m_t_ms.size(); }
  bool empty() const { return m_t_ms.empty(); }
  double lastTime_s() const { return m_t_ms.empty() ? 0.0 : decodeTime(m_t_ms.back()); }

  // The index of the first sample whose stored time is at or after t_s (size() when none).
  size_t lowerBound(double t_s) const;

  // Session seconds of each sample (as stored: to the millisecond, see above).
  TimeView time_s() const { return TimeView(m_t_ms); }
  const core::ChunkedVector<float>& total_n() const { return m_total_n.values(); }
  // The total force's min/max pyramid: min and max of any index range in O(16 + log n).
  const core::MinMaxPyramid& totalPyramid() const { return m_total_n; }

  // Bytes held by every array (their chunks' capacities), for the memory report.
  size_t bytes() const;
  // Cell i's force in N (i in [0, kCellCount)), with its min/max pyramid, like the total's.
  const core::MinMaxPyramid& cellPyramid(int cell) const { return m_cell_n[cell]; }
  // The centre of pressure in mm, to 0.1 mm (0 where hasCop() is 0).
  MmView x_mm() const { return MmView(m_x); }
  MmView y_mm() const { return MmView(m_y); }
  HasCopView hasCop() const { return HasCopView(m_x); }

 private:
  core::ChunkedVector<uint32_t> m_t_ms;
  core::MinMaxPyramid m_total_n;
  std::array<core::MinMaxPyramid, core::kCellCount> m_cell_n;
  core::ChunkedVector<int16_t> m_x, m_y;  // 0.1 mm; m_x == kNoCop: no CoP
};

// "Now" in a panel's eyes, session seconds: the newest sample's time, or, in a replay, the cursor
// (the snapshot's elapsed_s, to the microsecond; the store keeps times rounded up to the
// millisecond, hence the 1 ms).
inline double liveEdge_s(const SampleStore& samples, const engine::LiveSnapshot& snap) {
  return snap.replay ? std::min(samples.lastTime_s(), snap.elapsed_s + 1e-3) : samples.lastTime_s();
}

// The numbers a person reads on screen: the mean force, total and per cell, over the last whole
// `period_s` before `edge_s` (the samples in [q - period, q), q = edge_s rounded down to a
// multiple of the period). So the figures change a few times a second, steadier than any one
// sample, and between two changes nothing in them moves (the window redraws only what changed:
// frame_damage.h). nullopt when that stretch holds no sample. The ball itself is drawn live.
std::optional<core::ForceSample> forceReadout(const SampleStore& samples, double edge_s,
                                              double period_s = 0.25);

}  // namespace rollrig::gui

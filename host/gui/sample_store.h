// SampleStore: every sample of the current session, as the GUI draws it, kept for the whole
// session (not a ring buffer). The total force is kept in a core::MinMaxPyramid (per-level
// min/max), so the force plot draws any window of the session, 2 s or two hours, at full
// resolution in O(pixel columns).
//
// Struct of arrays: time 8, the total force 4 + its pyramid's 1, each cell's force 4 + 1 (a
// pyramid per cell too, for the plot's per-cell traces), x, y 4 + 4, has-CoP 1 = 42 bytes a
// sample: about 12 MB an hour (a 2-hour session, 576,000 samples: about 24 MB; bytes() says). Times
// are session seconds (the engine's t_s, device time since the first sample), strictly increasing.
//
// Thread safety: none; owned by the UI thread (filled from LiveSession::snapshot()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rollrig/core/min_max_pyramid.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/engine/session_sink.h"

namespace rollrig::gui {

class SampleStore {
 public:
  void append(const engine::ProcessedSample& s);
  void clear();

  size_t size() const { return m_t_s.size(); }
  bool empty() const { return m_t_s.empty(); }
  double lastTime_s() const { return m_t_s.empty() ? 0.0 : m_t_s.back(); }

  // The index of the first sample at or after t_s (size() when none).
  size_t lowerBound(double t_s) const;

  const std::vector<double>& time_s() const { return m_t_s; }
  const std::vector<float>& total_n() const { return m_total_n.values(); }
  // The total force's min/max pyramid: min and max of any index range in O(16 + log n).
  const core::MinMaxPyramid& totalPyramid() const { return m_total_n; }

  // Bytes held by every array (their capacities), for the memory report.
  size_t bytes() const;
  // Cell i's force in N (i in [0, kCellCount)), with its min/max pyramid, like the total's.
  const core::MinMaxPyramid& cellPyramid(int cell) const { return m_cell_n[cell]; }
  const std::vector<float>& x_mm() const { return m_x_mm; }
  const std::vector<float>& y_mm() const { return m_y_mm; }
  const std::vector<uint8_t>& hasCop() const { return m_has_cop; }

 private:
  std::vector<double> m_t_s;
  core::MinMaxPyramid m_total_n;
  std::array<core::MinMaxPyramid, core::kCellCount> m_cell_n;
  std::vector<float> m_x_mm, m_y_mm;
  std::vector<uint8_t> m_has_cop;
};

}  // namespace rollrig::gui

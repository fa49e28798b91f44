#include "rollrig/core/force_model.h"

namespace rollrig::core {

ForceSample ForceModel::compute(const Sample& s) const {
  ForceSample out;
  double mx = 0, my = 0;
  for (int i = 0; i < kCellCount; ++i) {
    const double f = (s.raw_counts[i] - m_cal.cells[i].offset_counts) * m_cal.cells[i].n_per_count;
    out.force_n[i] = f;
    out.total_n += f;
    mx += f * m_geom.cells[i].x_mm;
    my += f * m_geom.cells[i].y_mm;
  }
  if (out.total_n >= m_min_cop_load_n) {
    out.has_cop = true;
    out.x_mm = mx / out.total_n;
    out.y_mm = my / out.total_n;
  }
  return out;
}

}  // namespace rollrig::core

#include "sample_store.h"

#include <algorithm>

namespace rollrig::gui {

void SampleStore::append(const engine::ProcessedSample& s) {
  m_t_s.push_back(s.t_s);
  m_total_n.append(static_cast<float>(s.force.total_n));
  for (int i = 0; i < core::kCellCount; ++i)
    m_cell_n[i].append(static_cast<float>(s.force.force_n[i]));
  m_x_mm.push_back(static_cast<float>(s.force.x_mm));
  m_y_mm.push_back(static_cast<float>(s.force.y_mm));
  m_has_cop.push_back(s.force.has_cop ? 1 : 0);
}

void SampleStore::clear() {
  *this = SampleStore();
}

size_t SampleStore::lowerBound(double t_s) const {
  return static_cast<size_t>(std::lower_bound(m_t_s.begin(), m_t_s.end(), t_s) - m_t_s.begin());
}

}  // namespace rollrig::gui

namespace rollrig::gui {

size_t SampleStore::bytes() const {
  size_t cells = 0;
  for (const core::MinMaxPyramid& c : m_cell_n) cells += c.bytes();
  return m_t_s.capacity() * sizeof(double) + m_total_n.bytes() + cells +
         (m_x_mm.capacity() + m_y_mm.capacity()) * sizeof(float) + m_has_cop.capacity();
}

}  // namespace rollrig::gui

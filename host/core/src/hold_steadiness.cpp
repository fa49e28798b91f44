#include "rollrig/core/hold_steadiness.h"

#include <algorithm>
#include <cmath>

namespace rollrig::core {

// [SECTION] CopLowPass

double CopLowPass::Section::step(double x) {
  // Transposed direct form II.
  const double y = b0 * x + z1;
  z1 = b1 * x - a1 * y + z2;
  z2 = b2 * x - a2 * y;
  return y;
}

void CopLowPass::Section::settle(double x) {
  // Unity DC gain: a constant input x gives output x once z1, z2 hold their steady values.
  z2 = b2 * x - a2 * x;
  z1 = b1 * x - a1 * x + z2;
}

void CopLowPass::design(double rate_hz) {
  m_cutoff_hz = std::min(kCutoff_hz, kMaxCutoffShare * rate_hz);
  // RBJ low-pass with Q = 1/sqrt(2): the bilinear 2nd-order Butterworth, -3 dB at the cut-off.
  const double w0 = 2 * M_PI * m_cutoff_hz / rate_hz;
  const double alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double c = std::cos(w0), a0 = 1 + alpha;
  Section s;
  s.b0 = (1 - c) / 2 / a0;
  s.b1 = (1 - c) / a0;
  s.b2 = s.b0;
  s.a1 = -2 * c / a0;
  s.a2 = (1 - alpha) / a0;
  m_x = s;
  m_y = s;
  m_designed = true;
}

double CopLowPass::noiseGain() const {
  if (!m_designed) return 1;
  Section probe = m_x;
  probe.z1 = probe.z2 = 0;
  double g = 0;
  // The impulse response has decayed far below double precision long before this.
  for (int i = 0; i < 100000; ++i) {
    const double h = probe.step(i == 0 ? 1.0 : 0.0);
    g += h * h;
    if (i > 100 && std::abs(h) < 1e-18) break;
  }
  return g;
}

void CopLowPass::reset(double x_mm, double y_mm) {
  m_x.settle(x_mm);
  m_y.settle(y_mm);
}

void CopLowPass::step(double x_mm, double y_mm, double* fx_mm, double* fy_mm) {
  if (!m_designed) {
    *fx_mm = x_mm;
    *fy_mm = y_mm;
    return;
  }
  *fx_mm = m_x.step(x_mm);
  *fy_mm = m_y.step(y_mm);
}

// [SECTION] SteadinessAccumulator

std::optional<HoldSteadiness> SteadinessAccumulator::result() const {
  if (m_n < 2 || !(m_measured > 0)) return std::nullopt;
  const double n = static_cast<double>(m_n);
  const double mx = m_sx / n, my = m_sy / n;
  const double vxx = std::max(0.0, m_sxx / n - mx * mx);
  const double vyy = std::max(0.0, m_syy / n - my * my);
  const double vxy = m_sxy / n - mx * my;
  HoldSteadiness s;
  s.path_mm = m_path;
  s.measured_s = m_measured;
  s.mean_velocity_mm_s = m_path / m_measured;
  s.ml_range_mm = m_max_x - m_min_x;
  s.ap_range_mm = m_max_y - m_min_y;
  s.rms_mm = std::sqrt(vxx + vyy);
  s.ellipse95_mm2 = M_PI * kChi2_95_2dof * std::sqrt(std::max(0.0, vxx * vyy - vxy * vxy));
  return s;
}

}  // namespace rollrig::core

// HoldSteadiness: how steady the ball stayed during a hold, in the figures force-plate balance
// (posturography) software reports for a centre-of-pressure trace.
//
// Axes (docs/ANALYSIS.md, "Steadiness"): ML (medial-lateral) is the plate's x, across the body
// (the user's right is +x); AP (anterior-posterior) is the plate's y, along the body (head up is
// +y). The CoP is first low-passed (CopLowPass: a 2nd-order Butterworth at 5 Hz, or 0.4 x the
// sample rate when that is lower) because the path length sums every wiggle, so sensor noise and
// a higher sample rate would otherwise lengthen it without the ball moving more; every figure is
// of the filtered trace.
//
// The pieces are public so the analyser, the tests and any other caller compute the same thing:
// CopLowPass runs over a session's CoP continuously (reset where the CoP is missing), and
// SteadinessAccumulator takes the filtered points of one hold in time order: O(1) per point,
// fixed memory (no per-point storage), so a hold of any length costs the same.
//
// Units: seconds, millimetres. Plain values; not thread-safe (one owner each).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

namespace rollrig::core {

struct HoldSteadiness {
  double path_mm = 0;             // total excursion: the length of the filtered CoP's path
  double mean_velocity_mm_s = 0;  // path_mm / measured_s
  double ml_range_mm = 0;         // max - min of x (medial-lateral, across the body)
  double ap_range_mm = 0;         // max - min of y (anterior-posterior, along the body)
  double rms_mm = 0;              // rms distance of the CoP from its mean over the hold
  double ellipse95_mm2 = 0;       // area of the 95 % confidence ellipse: pi * chi2(0.95, 2) *
                                  // sqrt(det of the x/y covariance); chi2(0.95, 2) = 5.991
  double measured_s = 0;          // the time the path covers: the hold's steady part minus what
                                  // was skipped (lifted ball, missing samples)
};

// -2 ln(0.05): the 95 % quantile of chi-square with 2 degrees of freedom.
inline constexpr double kChi2_95_2dof = 5.991464547107979;

// The CoP low-pass: a 2nd-order Butterworth (bilinear, cut-off exact) per axis. 5 Hz keeps the
// ball's sway (under ~2 Hz) and removes tremor and sensor noise; at sample rates under 12.5 Hz the
// cut-off is 0.4 x the rate (little is removed there; docs/ANALYSIS.md).
class CopLowPass {
 public:
  static constexpr double kCutoff_hz = 5.0;
  static constexpr double kMaxCutoffShare = 0.4;  // of the sample rate

  // Designs for rate_hz (> 0); clears the state.
  void design(double rate_hz);
  bool designed() const { return m_designed; }
  double cutoff_hz() const { return m_cutoff_hz; }
  // Output variance per unit input variance of white noise (the sum of the squared impulse
  // response): what the filter leaves of uncorrelated sensor noise.
  double noiseGain() const;
  // Starts a new stretch at (x, y) as if the ball had rested there (no start-up transient): after
  // a lifted ball or missing samples the trace resumes without a jump from the filter.
  void reset(double x_mm, double y_mm);
  // The filtered point for the next sample. Undesigned: passes the input through.
  void step(double x_mm, double y_mm, double* fx_mm, double* fy_mm);

 private:
  struct Section {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
    double z1 = 0, z2 = 0;
    double step(double x);
    void settle(double x);  // state for a constant input x
  };
  Section m_x, m_y;
  bool m_designed = false;
  double m_cutoff_hz = 0;
};

// The figures over one hold's filtered CoP points, added in time order. `joined` says the point
// continues the path from the previous one (same filtered stretch, no sample missing in between);
// a point that is not joined starts a new piece of path without adding the jump to it.
class SteadinessAccumulator {
 public:
  // Inline: the analyser calls it for every sample of a hold, twice.
  void add(double t_s, double x_mm, double y_mm, bool joined) {
    if (m_n == 0) {
      m_ref_x = m_min_x = m_max_x = x_mm;
      m_ref_y = m_min_y = m_max_y = y_mm;
    }
    if (joined && m_have_prev) {
      const double dx = x_mm - m_prev_x, dy = y_mm - m_prev_y;
      m_path += std::sqrt(dx * dx + dy * dy);
      m_measured += t_s - m_prev_t;
    }
    m_have_prev = true;
    m_prev_t = t_s;
    m_prev_x = x_mm;
    m_prev_y = y_mm;
    ++m_n;
    const double x = x_mm - m_ref_x, y = y_mm - m_ref_y;
    m_sx += x;
    m_sy += y;
    m_sxx += x * x;
    m_syy += y * y;
    m_sxy += x * y;
    m_min_x = std::min(m_min_x, x_mm);
    m_max_x = std::max(m_max_x, x_mm);
    m_min_y = std::min(m_min_y, y_mm);
    m_max_y = std::max(m_max_y, y_mm);
  }
  // The figures so far; none before two points or when no path time was measured.
  std::optional<HoldSteadiness> result() const;
  uint64_t samples() const { return m_n; }

 private:
  uint64_t m_n = 0;
  bool m_have_prev = false;
  double m_prev_t = 0, m_prev_x = 0, m_prev_y = 0;
  double m_path = 0, m_measured = 0;
  double m_ref_x = 0, m_ref_y = 0;  // sums are about the first point (no cancellation)
  double m_sx = 0, m_sy = 0, m_sxx = 0, m_syy = 0, m_sxy = 0;
  double m_min_x = 0, m_max_x = 0, m_min_y = 0, m_max_y = 0;
};

}  // namespace rollrig::core

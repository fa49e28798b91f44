// Calibration math. Navigate by the [SECTION] markers (the same as the header's).
#include "rollrig/core/calibration.h"

#include "csv_fields.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

namespace rollrig::core {

namespace {

constexpr int32_t kCountsMax = 0x7FFFFF;   // the HX711's 24-bit limits: a cell sitting at one
constexpr int32_t kCountsMin = -0x800000;  //   of them is saturated

// printf-style formatting into a std::string (messages only).
template <typename... Args>
std::string fmt(const char* f, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), f, args...);
  return buf;
}

CalibrationError makeError(CalibrationErrorKind kind, std::string message, int cell = -1,
                           int placement = -1) {
  return CalibrationError{kind, std::move(message), cell, placement};
}

std::string capitalised(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

const char* calibrationErrorKindName(CalibrationErrorKind kind) {
  switch (kind) {
    case CalibrationErrorKind::kNone:
      return "none";
    case CalibrationErrorKind::kTooFewSamples:
      return "too_few_samples";
    case CalibrationErrorKind::kBadSamples:
      return "bad_samples";
    case CalibrationErrorKind::kUnsteady:
      return "unsteady";
    case CalibrationErrorKind::kDrifting:
      return "drifting";
    case CalibrationErrorKind::kLoaded:
      return "loaded";
    case CalibrationErrorKind::kBadInput:
      return "bad_input";
    case CalibrationErrorKind::kTooFewPlacements:
      return "too_few_placements";
    case CalibrationErrorKind::kIllPosed:
      return "ill_posed";
    case CalibrationErrorKind::kImplausibleGain:
      return "implausible_gain";
  }
  return "unknown";
}

// [SECTION] Windows

WindowStats windowStats(const std::vector<Sample>& window) {
  WindowStats w;
  w.samples = window.size();
  if (window.empty()) return w;
  const uint64_t t0 = window.front().t_us;
  w.duration_s = static_cast<double>(window.back().t_us - t0) / 1e6;
  const double n = static_cast<double>(window.size());
  double t_mean = 0;
  for (const Sample& s : window) {
    t_mean += static_cast<double>(s.t_us - t0) / 1e6;
    w.flags |= s.flags;
    for (int i = 0; i < kCellCount; ++i) {
      w.mean_counts[i] += s.raw_counts[i];
      if (s.raw_counts[i] >= kCountsMax || s.raw_counts[i] <= kCountsMin) w.saturated[i] = true;
    }
  }
  t_mean /= n;
  for (double& m : w.mean_counts) m /= n;
  // Second pass (numerically sound): variance, covariance with time, then the residual.
  double stt = 0;
  std::array<double, kCellCount> scc{}, stc{};
  for (const Sample& s : window) {
    const double dt = static_cast<double>(s.t_us - t0) / 1e6 - t_mean;
    stt += dt * dt;
    for (int i = 0; i < kCellCount; ++i) {
      const double dc = s.raw_counts[i] - w.mean_counts[i];
      scc[i] += dc * dc;
      stc[i] += dt * dc;
    }
  }
  for (int i = 0; i < kCellCount; ++i) {
    w.sd_counts[i] = window.size() > 1 ? std::sqrt(scc[i] / (n - 1)) : 0.0;
    if (stt > 0 && window.size() > 2) {
      w.slope_counts_per_s[i] = stc[i] / stt;
      const double ss_res = std::max(0.0, scc[i] - stc[i] * stc[i] / stt);
      w.residual_sd_counts[i] = std::sqrt(ss_res / (n - 2));
    } else {
      w.residual_sd_counts[i] = w.sd_counts[i];
    }
  }
  return w;
}

CalibrationError checkSteady(const WindowStats& w, const Calibration& gains,
                             const SteadinessLimits& limits, const std::string& what,
                             bool mass_on_plate) {
  if (w.samples < limits.min_samples) {
    return makeError(CalibrationErrorKind::kTooFewSamples,
                     fmt("%s has only %zu samples (%.2f s); at least %zu are needed — hold still "
                         "a little longer",
                         capitalised(what).c_str(), w.samples, w.duration_s, limits.min_samples));
  }
  for (int i = 0; i < kCellCount; ++i) {
    if (w.saturated[i]) {
      return makeError(CalibrationErrorKind::kBadSamples,
                       fmt("cell %d saturated during %s (its HX711 read its 24-bit limit) — check "
                           "the cell's wiring, or the load is beyond its range",
                           i, what.c_str()),
                       i);
    }
  }
  if (w.flags & proto::kFlagHx711Timeout) {
    return makeError(CalibrationErrorKind::kBadSamples,
                     "an HX711 timed out during " + what +
                         " (a value was stale) — check the cells' DOUT/SCK wiring and try again");
  }
  if (w.flags & proto::kFlagSettling) {
    return makeError(CalibrationErrorKind::kBadSamples,
                     "the device was still settling after a reset during " + what +
                         " — wait a second and try again");
  }
  // The worst cell relative to each limit.
  int noisy = -1, drifting = -1;
  double noise_n = 0, slope_n = 0;
  for (int i = 0; i < kCellCount; ++i) {
    const double g = std::abs(gains.cells[i].n_per_count);
    const double nz = w.residual_sd_counts[i] * g;
    const double sl = std::abs(w.slope_counts_per_s[i]) * g;
    if (nz > limits.max_noise_n && nz > noise_n) noisy = i, noise_n = nz;
    if (sl > limits.max_slope_n_per_s && sl > slope_n) drifting = i, slope_n = sl;
  }
  if (noisy >= 0) {
    return makeError(CalibrationErrorKind::kUnsteady,
                     fmt("%s is not steady: cell %d fluctuates by %.2f N rms (limit %.2f N) — %s",
                         capitalised(what).c_str(), noisy, noise_n, limits.max_noise_n,
                         mass_on_plate ? "the mass is still moving, or someone is touching the "
                                         "plate; let it settle and keep clear of the plate"
                                       : "someone is leaning on the plate or touching it; keep "
                                         "clear of the plate and hold still"),
                     noisy);
  }
  if (drifting >= 0) {
    return makeError(CalibrationErrorKind::kDrifting,
                     fmt("%s is not steady: cell %d is still drifting at %.2f N/s (limit %.2f "
                         "N/s) — the reading is still drifting (cells settle for a few seconds "
                         "after a load goes on or comes off); wait a moment and try again",
                         capitalised(what).c_str(), drifting, slope_n, limits.max_slope_n_per_s),
                     drifting);
  }
  return {};
}

// [SECTION] Tare

TareResult tare(const std::vector<Sample>& window, const Calibration& current,
                const TareOptions& options) {
  TareResult r;
  r.stats = windowStats(window);
  r.error = checkSteady(r.stats, current, options.steady, "the tare window");
  if (r.error) return r;
  if (options.check_load) {
    double total = 0, worst = 0;
    int worst_cell = 0;
    for (int i = 0; i < kCellCount; ++i) {
      const double f =
          (r.stats.mean_counts[i] - current.cells[i].offset_counts) * current.cells[i].n_per_count;
      total += f;
      if (f > worst) worst = f, worst_cell = i;
    }
    if (total > options.max_load_n) {
      r.error = makeError(
          CalibrationErrorKind::kLoaded,
          fmt("the plate carries %.1f N more than at the last tare (most on cell %d: %+.1f N) — "
              "something is on the plate or someone is leaning on it; clear the plate and tare "
              "again",
              total, worst_cell, worst),
          worst_cell);
      return r;
    }
  }
  r.offset_counts = r.stats.mean_counts;
  return r;
}

// [SECTION] Span

SpanPlacement makePlacement(double x_mm, double y_mm, const WindowStats& w) {
  SpanPlacement p;
  p.x_mm = x_mm;
  p.y_mm = y_mm;
  p.mean_counts = w.mean_counts;
  p.samples = w.samples;
  return p;
}

SpanReport evaluatePlacements(const std::vector<SpanPlacement>& placements,
                              const Calibration& calibration, double mass_kg,
                              const PlateGeometry& geometry, double gravity_mps2) {
  SpanReport rep;
  rep.mass_kg = mass_kg;
  rep.weight_n = mass_kg * gravity_mps2;
  double sum_pct2 = 0, sum_cop2 = 0;
  for (const SpanPlacement& p : placements) {
    PlacementResidual r;
    r.x_mm = p.x_mm;
    r.y_mm = p.y_mm;
    double mx = 0, my = 0;
    for (int i = 0; i < kCellCount; ++i) {
      const double f = (p.mean_counts[i] - calibration.cells[i].offset_counts) *
                       calibration.cells[i].n_per_count;
      r.force_n += f;
      mx += f * geometry.cells[i].x_mm;
      my += f * geometry.cells[i].y_mm;
    }
    r.force_error_n = r.force_n - rep.weight_n;
    r.force_error_pct = rep.weight_n > 0 ? 100.0 * r.force_error_n / rep.weight_n : 0.0;
    if (std::abs(r.force_n) > 1e-12) {
      r.cop_x_mm = mx / r.force_n;
      r.cop_y_mm = my / r.force_n;
    }
    r.cop_error_mm = std::hypot(r.cop_x_mm - r.x_mm, r.cop_y_mm - r.y_mm);
    sum_pct2 += r.force_error_pct * r.force_error_pct;
    sum_cop2 += r.cop_error_mm * r.cop_error_mm;
    rep.max_force_error_pct = std::max(rep.max_force_error_pct, std::abs(r.force_error_pct));
    rep.max_cop_error_mm = std::max(rep.max_cop_error_mm, r.cop_error_mm);
    rep.placements.push_back(r);
  }
  if (!placements.empty()) {
    rep.rms_force_error_pct = std::sqrt(sum_pct2 / placements.size());
    rep.rms_cop_error_mm = std::sqrt(sum_cop2 / placements.size());
  }
  return rep;
}

SpanResult solveSpan(const std::vector<SpanPlacement>& placements,
                     const std::array<double, kCellCount>& offset_counts, double mass_kg,
                     const PlateGeometry& geometry, const SpanOptions& opt) {
  static constexpr char kSpreadAdvice[] =
      "spread the placements over the plate, e.g. near three corners and the centre";
  SpanResult r;
  SpanReport& rep = r.report;
  const double weight_n = mass_kg * opt.gravity_mps2;
  rep.mass_kg = mass_kg;
  rep.weight_n = weight_n;
  rep.max_condition = opt.max_condition;
  const int n_places = static_cast<int>(placements.size());

  if (!(mass_kg > 0) || !std::isfinite(mass_kg)) {
    r.error =
        makeError(CalibrationErrorKind::kBadInput,
                  fmt("the calibration mass must be a positive number of kg (got %g)", mass_kg));
    return r;
  }
  if (placements.size() < kMinSpanPlacements) {
    r.error = makeError(CalibrationErrorKind::kTooFewPlacements,
                        fmt("a span calibration needs at least %zu placements of the mass (got "
                            "%d) — %s",
                            kMinSpanPlacements, n_places, kSpreadAdvice));
    return r;
  }

  // The cells' footprint: outside it the plate would tip (some cell pulled up).
  double x_lo = geometry.cells[0].x_mm, x_hi = x_lo, y_lo = geometry.cells[0].y_mm, y_hi = y_lo;
  double cx = 0, cy = 0;
  for (const CellPosition& c : geometry.cells) {
    x_lo = std::min(x_lo, c.x_mm), x_hi = std::max(x_hi, c.x_mm);
    y_lo = std::min(y_lo, c.y_mm), y_hi = std::max(y_hi, c.y_mm);
    cx += c.x_mm / kCellCount;
    cy += c.y_mm / kCellCount;
  }
  for (int p = 0; p < n_places; ++p) {
    const SpanPlacement& pl = placements[p];
    if (pl.x_mm < x_lo || pl.x_mm > x_hi || pl.y_mm < y_lo || pl.y_mm > y_hi) {
      r.error = makeError(CalibrationErrorKind::kBadInput,
                          fmt("placement %d at (%.0f, %.0f) mm is outside the cells' footprint "
                              "(x %.0f..%.0f, y %.0f..%.0f mm), where the plate would tip — "
                              "place the mass between the cells",
                              p + 1, pl.x_mm, pl.y_mm, x_lo, x_hi, y_lo, y_hi),
                          -1, p);
      return r;
    }
    // Magnitudes, so a cell with swapped signal wires is reported by its gain, not here.
    double nominal_n = 0;
    for (int i = 0; i < kCellCount; ++i)
      nominal_n += std::abs(pl.mean_counts[i] - offset_counts[i]) * opt.nominal_n_per_count;
    if (nominal_n < opt.min_load_fraction * weight_n) {
      r.error = makeError(CalibrationErrorKind::kBadInput,
                          fmt("placement %d shows only %.1f N at the nominal gain for a %.1f N "
                              "mass — was the mass on the plate, and the plate clear at the tare?",
                              p + 1, nominal_n, weight_n),
                          -1, p);
      return r;
    }
  }

  // How far the placements spread across their best-fit line.
  double mx = 0, my = 0;
  for (const SpanPlacement& pl : placements) mx += pl.x_mm / n_places, my += pl.y_mm / n_places;
  double cxx = 0, cyy = 0, cxy = 0;
  for (const SpanPlacement& pl : placements) {
    cxx += (pl.x_mm - mx) * (pl.x_mm - mx) / n_places;
    cyy += (pl.y_mm - my) * (pl.y_mm - my) / n_places;
    cxy += (pl.x_mm - mx) * (pl.y_mm - my) / n_places;
  }
  const double lambda_min =
      0.5 * (cxx + cyy) - std::sqrt(0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy);
  rep.spread_mm = std::sqrt(std::max(0.0, lambda_min));
  rep.min_spread_mm = opt.min_spread_fraction * std::min(x_hi - x_lo, y_hi - y_lo);

  // The system, every row in N: force, then the moments about the cells' centroid over L.
  double l2 = 0;
  for (const CellPosition& c : geometry.cells)
    l2 += ((c.x_mm - cx) * (c.x_mm - cx) + (c.y_mm - cy) * (c.y_mm - cy)) / kCellCount;
  const double len = l2 > 0 ? std::sqrt(l2) : 1.0;
  Eigen::MatrixXd a(3 * n_places, kCellCount);
  Eigen::VectorXd b(3 * n_places);
  for (int p = 0; p < n_places; ++p) {
    const SpanPlacement& pl = placements[p];
    for (int i = 0; i < kCellCount; ++i) {
      const double d = pl.mean_counts[i] - offset_counts[i];
      a(3 * p, i) = d;
      a(3 * p + 1, i) = d * (geometry.cells[i].x_mm - cx) / len;
      a(3 * p + 2, i) = d * (geometry.cells[i].y_mm - cy) / len;
    }
    b(3 * p) = weight_n;
    b(3 * p + 1) = weight_n * (pl.x_mm - cx) / len;
    b(3 * p + 2) = weight_n * (pl.y_mm - cy) / len;
  }
  // Column scaling: the gains differ little, but the counts per cell can (a cell far from every
  // placement sees little load). Conditioning is judged on the scaled system.
  Eigen::VectorXd scale(kCellCount);
  for (int i = 0; i < kCellCount; ++i) {
    const double nrm = a.col(i).norm();
    scale(i) = nrm > 0 ? 1.0 / nrm : 1.0;
  }
  const Eigen::MatrixXd as = a * scale.asDiagonal();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(as, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd& sv = svd.singularValues();
  for (int i = 0; i < kCellCount; ++i) rep.singular_values[i] = sv(i);
  rep.rank = static_cast<int>(svd.rank());
  rep.condition_number =
      sv(kCellCount - 1) > 0 ? sv(0) / sv(kCellCount - 1) : std::numeric_limits<double>::infinity();

  if (rep.spread_mm < rep.min_spread_mm) {
    r.error = makeError(CalibrationErrorKind::kIllPosed,
                        fmt("the placements lie (nearly) on one line: they spread only %.1f mm "
                            "across it (at least %.0f mm needed), so the gains could only be "
                            "checked along that line — %s",
                            rep.spread_mm, rep.min_spread_mm, kSpreadAdvice));
    return r;
  }
  if (rep.rank < kCellCount || !(rep.condition_number <= opt.max_condition)) {
    r.error = makeError(
        CalibrationErrorKind::kIllPosed,
        fmt("the placements do not pin down the four gains (rank %d of %d, "
            "condition number %.3g, limit %.0f) — %s",
            rep.rank, kCellCount, rep.condition_number, opt.max_condition, kSpreadAdvice));
    return r;
  }

  const Eigen::VectorXd k = scale.asDiagonal() * svd.solve(b);
  Calibration solved;
  for (int i = 0; i < kCellCount; ++i) {
    r.n_per_count[i] = k(i);
    solved.cells[i].offset_counts = offset_counts[i];
    solved.cells[i].n_per_count = k(i);
  }
  r.solved = true;
  const SpanReport residuals =
      evaluatePlacements(placements, solved, mass_kg, geometry, opt.gravity_mps2);
  rep.placements = residuals.placements;
  rep.rms_force_error_pct = residuals.rms_force_error_pct;
  rep.max_force_error_pct = residuals.max_force_error_pct;
  rep.rms_cop_error_mm = residuals.rms_cop_error_mm;
  rep.max_cop_error_mm = residuals.max_cop_error_mm;

  for (int i = 0; i < kCellCount; ++i) {
    const double ratio = k(i) / opt.nominal_n_per_count;
    if (k(i) <= 0) {
      r.error = makeError(CalibrationErrorKind::kImplausibleGain,
                          fmt("cell %d's gain came out negative (%.4g N per count) — its signal "
                              "wires (A+/A-) may be swapped, or the mass did not stand where the "
                              "positions say; check the wiring and the positions",
                              i, k(i)),
                          i);
      return r;
    }
    if (ratio < opt.min_gain_ratio || ratio > opt.max_gain_ratio) {
      r.error = makeError(CalibrationErrorKind::kImplausibleGain,
                          fmt("cell %d's gain came out at %.3g x nominal (%.4g N per count; "
                              "accepted %.1f..%.1f x) — check the cell's wiring, the mass "
                              "(--mass) and the positions",
                              i, ratio, k(i), opt.min_gain_ratio, opt.max_gain_ratio),
                          i);
      return r;
    }
  }
  return r;
}

// [SECTION] Drift

DriftTracker::DriftTracker(Calibration calibration, DriftOptions options)
    : m_cal(std::move(calibration)), m_opt(options) {
  assert(m_opt.steady_s > 0);
}

void DriftTracker::beginWindow(const Sample& s) {
  m_start_us = s.t_us;
  m_n = 0;
  for (int i = 0; i < kCellCount; ++i) {
    m_first_counts[i] = s.raw_counts[i];
    m_sum_counts[i] = 0;
  }
  m_mean_n = 0;
  m_m2_n = 0;
}

bool DriftTracker::add(const Sample& s) {
  constexpr uint8_t kUntrusted =
      proto::kFlagSaturated | proto::kFlagHx711Timeout | proto::kFlagSettling;
  double total = 0;
  for (int i = 0; i < kCellCount; ++i)
    total += (s.raw_counts[i] - m_cal.cells[i].offset_counts) * m_cal.cells[i].n_per_count;
  if ((s.flags & kUntrusted) || !(std::abs(total) < m_opt.max_load_n)) {
    m_open = false;  // loaded or untrustworthy: never part of a re-zero
    return false;
  }
  const uint64_t max_gap_us = static_cast<uint64_t>(m_opt.max_gap_s * 1e6);
  if (!m_open || s.t_us < m_last_us || s.t_us - m_last_us > max_gap_us) {
    m_open = true;  // a new unloaded stretch: let it settle first
    m_run_start_us = s.t_us;
    m_n = 0;
  }
  m_last_us = s.t_us;
  if (static_cast<double>(s.t_us - m_run_start_us) < m_opt.settle_s * 1e6) return false;
  if (m_n == 0) beginWindow(s);
  ++m_n;
  for (int i = 0; i < kCellCount; ++i) m_sum_counts[i] += s.raw_counts[i] - m_first_counts[i];
  const double delta = total - m_mean_n;
  m_mean_n += delta / static_cast<double>(m_n);
  m_m2_n += delta * (total - m_mean_n);
  if (static_cast<double>(m_last_us - m_start_us) < m_opt.steady_s * 1e6) return false;

  // A full window: re-zero if it was steady and the baseline really moved. The next window
  // starts with the next sample (the stretch has settled already).
  const size_t n = m_n;
  m_n = 0;
  const double sd = n > 1 ? std::sqrt(m_m2_n / static_cast<double>(n - 1)) : 0.0;
  if (!(sd < m_opt.max_sd_n)) return false;
  ReZero z;
  z.t_us = s.t_us;
  z.samples = n;
  double largest_n = 0;
  for (int i = 0; i < kCellCount; ++i) {
    const double mean = m_first_counts[i] + m_sum_counts[i] / static_cast<double>(n);
    z.change_counts[i] = mean - m_cal.cells[i].offset_counts;
    z.change_n[i] = z.change_counts[i] * m_cal.cells[i].n_per_count;
    largest_n = std::max(largest_n, std::abs(z.change_n[i]));
  }
  if (largest_n < m_opt.min_change_n) return false;
  for (int i = 0; i < kCellCount; ++i) m_cal.cells[i].offset_counts += z.change_counts[i];
  m_history.push_back(z);
  return true;
}

// [SECTION] Raw counts CSV

RawCountsCsv readRawCountsCsv(std::istream& in) {
  SessionCsvOptions opt;
  using K = CsvValueKind;
  opt.columns.push_back({"time_s", K::kNumber, true, 0.0});
  const int c_raw = csv::addRawCountsColumns(opt);
  const int c_device = csv::addDeviceColumns(opt);
  SessionCsvTable t = readSessionCsv(in, opt);
  RawCountsCsv out;
  if (!takeCsvOutcome(t, &out)) {
    if (t.error_kind == CsvErrorKind::kMissingColumn)
      out.error +=
          ": calibration needs the time_s and cell0..3_raw_counts columns of a session "
          "CSV (docs/CSV_FORMAT.md)";
    return out;
  }
  out.samples.reserve(t.rows());
  for (size_t r = 0; r < t.rows(); ++r) {
    Sample s;
    s.channel_count = kCellCount;
    s.fresh_mask = (1u << kCellCount) - 1;
    s.t_us = static_cast<uint64_t>(std::llround(t.time(r) * 1e6));
    for (int i = 0; i < kCellCount; ++i)
      s.raw_counts[i] = static_cast<int32_t>(t.value(r, c_raw + i));
    csv::readDeviceColumns(t, r, c_device, s);
    out.samples.push_back(s);
  }
  out.ok = true;
  return out;
}

std::vector<Sample> samplesBetween(const std::vector<Sample>& samples, double t0_s, double t1_s) {
  std::vector<Sample> out;
  for (const Sample& s : samples) {
    const double t = static_cast<double>(s.t_us) / 1e6;
    if (t >= t0_s && t <= t1_s) out.push_back(s);
  }
  return out;
}

}  // namespace rollrig::core

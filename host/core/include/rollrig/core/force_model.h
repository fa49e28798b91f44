// ForceModel: raw HX711 counts -> per-cell force (N), total force (N) and the centre of pressure
// (the ball's position on the plate, mm).
//
// force_n[i] = (raw_counts[i] - offset_counts[i]) * n_per_count[i]
// CoP        = sum(force_i * position_i) / sum(force_i), only when the total is at least
//              min_cop_load_n (below that the ratio is noise, so the ball is "not placed").
//
// Pure and cheap (a few multiplies per sample); safe to share read-only between threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/plate_geometry.h"

namespace rollrig::core {

// A nominal HX711 + 50 kg / 1 mV/V cell at gain 128 and 5 V excitation: ~4390 counts per newton.
inline constexpr double kNominalCountsPerNewton = 4390.0;

struct CellCalibration {
  double offset_counts = 0;  // reading with the plate unloaded
  double n_per_count = 1.0 / kNominalCountsPerNewton;
};

struct Calibration {
  std::array<CellCalibration, kCellCount> cells{};
  // Where it came from, e.g. "virtual rig nominal" or "uncalibrated default"; written to the
  // session's metadata so a recording can be re-processed with a better one later.
  std::string source = "uncalibrated default";
  uint32_t device_serial = 0;  // the device it belongs to (INFO device_serial); 0: none
  std::string created;         // when it was made, ISO 8601 UTC (stamped by the caller); "": n/a
};

struct ForceSample {
  std::array<double, kCellCount> force_n{};
  double total_n = 0;
  bool has_cop = false;
  double x_mm = 0;
  double y_mm = 0;
};

class ForceModel {
 public:
  static constexpr double kDefaultMinCopLoad_n = 20.0;

  explicit ForceModel(Calibration calibration = {}, PlateGeometry geometry = {},
                      double min_cop_load_n = kDefaultMinCopLoad_n)
      : m_cal(std::move(calibration)), m_geom(geometry), m_min_cop_load_n(min_cop_load_n) {}

  ForceSample compute(const Sample& s) const;

  const Calibration& calibration() const { return m_cal; }
  const PlateGeometry& geometry() const { return m_geom; }
  double minCopLoad_n() const { return m_min_cop_load_n; }

 private:
  Calibration m_cal;
  PlateGeometry m_geom;
  double m_min_cop_load_n;
};

}  // namespace rollrig::core

// Plate geometry: where the four load cells stand, in plate coordinates.
//
// Coordinates (mm): origin at the plate centre, +x to the user's right when lying prone with the
// head toward the +y edge, +y toward the head. Cells are numbered 0..3 as
//   0 = front-left (-x,+y), 1 = front-right (+x,+y), 2 = rear-left (-x,-y), 3 = rear-right (+x,-y).
// The defaults are the rig's reference build (hardware/ documents the same numbers).
#pragma once

#include <array>

namespace rollrig::core {

inline constexpr int kCellCount = 4;

struct CellPosition {
  double x_mm = 0;
  double y_mm = 0;
};

struct PlateGeometry {
  double width_mm = 600;   // along x
  double length_mm = 400;  // along y
  std::array<CellPosition, kCellCount> cells{{
      {-270.0, +170.0},
      {+270.0, +170.0},
      {-270.0, -170.0},
      {+270.0, -170.0},
  }};

  // Statics for a rigid plate on four equally stiff cells at the corners of a rectangle: the
  // bilinear split satisfies the force and both moment equations (minimum-norm solution).
  // force_n[i] gets the share of `total_n` applied at (x_mm, y_mm).
  void distribute(double total_n, double x_mm, double y_mm, double* force_n) const;
};

inline void PlateGeometry::distribute(double total_n, double x_mm, double y_mm,
                                      double* force_n) const {
  const double x0 = cells[0].x_mm, x1 = cells[1].x_mm;
  const double y0 = cells[2].y_mm, y1 = cells[0].y_mm;
  const double u = (x_mm - x0) / (x1 - x0);  // 0 at left cells, 1 at right cells
  const double v = (y_mm - y0) / (y1 - y0);  // 0 at rear cells, 1 at front cells
  force_n[0] = total_n * (1 - u) * v;
  force_n[1] = total_n * u * v;
  force_n[2] = total_n * (1 - u) * (1 - v);
  force_n[3] = total_n * u * (1 - v);
}

}  // namespace rollrig::core

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

  // Per-cell loads for `total_n` applied at (x_mm, y_mm), written to force_n[0..3] (N).
  //
  // Model: a rigid plate on four equally stiff cells. Three equations (force and the two
  // moments) for four unknowns make it statically indeterminate; equal springs under a rigid
  // plate settle on the minimum-norm solution f = A^T (A A^T)^-1 b with rows (1, x_i, y_i), i.e.
  // f_i = a + b x_i + c y_i: the plate tilts but does not twist. On the reference rectangle
  // (cells at +-X, +-Y) that is f_i = F/4 (1 + x x_i / X^2 + y y_i / Y^2). A load near a corner
  // gives the opposite corner a negative share: that cell unloads below its preload (the plate's
  // dead weight), which is what a rigid plate does. (The bilinear split keeps the same force and
  // moments but twists the plate; it is not what equal cells under a stiff plate measure.)
  void distribute(double total_n, double x_mm, double y_mm, double* force_n) const;
};

inline void PlateGeometry::distribute(double total_n, double x_mm, double y_mm,
                                      double* force_n) const {
  // M = A A^T (3x3, symmetric) for A with columns (1, x_i, y_i); solve M w = (F, F x, F y).
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  for (const CellPosition& c : cells) {
    sx += c.x_mm, sy += c.y_mm;
    sxx += c.x_mm * c.x_mm, sxy += c.x_mm * c.y_mm, syy += c.y_mm * c.y_mm;
  }
  const double n = kCellCount;
  const double m[3][3] = {{n, sx, sy}, {sx, sxx, sxy}, {sy, sxy, syy}};
  const double b[3] = {total_n, total_n * x_mm, total_n * y_mm};
  // Cramer's rule: well conditioned for any sensible layout (cells not on one line).
  auto det3 = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
           a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double det = det3(m);
  double w[3];
  for (int k = 0; k < 3; ++k) {
    double mk[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) mk[r][c] = c == k ? b[r] : m[r][c];
    w[k] = det3(mk) / det;
  }
  for (int i = 0; i < kCellCount; ++i)
    force_n[i] = w[0] + w[1] * cells[i].x_mm + w[2] * cells[i].y_mm;
}

}  // namespace rollrig::core

#include "rollrig/core/force_model.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace rollrig::core;

namespace {
Sample sampleFromForces(const Calibration& cal, const double* force_n) {
  Sample s;
  s.channel_count = 4;
  for (int i = 0; i < 4; ++i)
    s.raw_counts[i] =
        static_cast<int32_t>(cal.cells[i].offset_counts + force_n[i] / cal.cells[i].n_per_count);
  return s;
}
}  // namespace

TEST(ForceModel, RecoversTheBallPositionFromCellForces) {
  Calibration cal;
  for (int i = 0; i < 4; ++i) {
    cal.cells[i].offset_counts = 10000.0 * (i + 1);
    cal.cells[i].n_per_count = 1.0 / (4300.0 + 30 * i);
  }
  PlateGeometry g;
  ForceModel m(cal, g);
  for (double x : {-200.0, 0.0, 133.0}) {
    for (double y : {-120.0, 10.0, 150.0}) {
      double f[4];
      g.distribute(300.0, x, y, f);
      const ForceSample r = m.compute(sampleFromForces(cal, f));
      EXPECT_NEAR(r.total_n, 300.0, 0.01);
      ASSERT_TRUE(r.has_cop);
      EXPECT_NEAR(r.x_mm, x, 0.05);
      EXPECT_NEAR(r.y_mm, y, 0.05);
      for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.force_n[i], f[i], 0.001);
    }
  }
}

TEST(ForceModel, DoesNotPlaceTheBallUnderMeaningfulLoad) {
  ForceModel m;
  Calibration cal;
  double f[4] = {2, 3, 1, 4};
  const ForceSample r = m.compute(sampleFromForces(cal, f));
  EXPECT_NEAR(r.total_n, 10.0, 0.01);
  EXPECT_FALSE(r.has_cop);
}

TEST(PlateGeometry, DistributesTheWholeLoadAndKeepsItsMoments) {
  PlateGeometry g;
  double f[4];
  g.distribute(500, 100, -50, f);
  double sum = 0, mx = 0, my = 0;
  for (int i = 0; i < 4; ++i) {
    sum += f[i];
    mx += f[i] * g.cells[i].x_mm;
    my += f[i] * g.cells[i].y_mm;
  }
  EXPECT_NEAR(sum, 500, 1e-9);
  EXPECT_NEAR(mx / sum, 100, 1e-9);
  EXPECT_NEAR(my / sum, -50, 1e-9);
}

TEST(PlateGeometry, SplitsALoadAsARigidPlateOnFourEquallyStiffCellsNotBilinearly) {
  // Issue 9 item 18: 100 N at (200, 120) mm. Bilinear would give 11.1/74.2/1.9/12.8 N; a rigid
  // plate on four equal springs has no twist, and the rear-left corner lifts its preload.
  PlateGeometry g;
  double f[4];
  g.distribute(100, 200, 120, f);
  EXPECT_NEAR(f[0], 24.1, 0.05);
  EXPECT_NEAR(f[1], 61.2, 0.05);
  EXPECT_NEAR(f[2], -11.2, 0.05);
  EXPECT_NEAR(f[3], 25.9, 0.05);
  // No twist: the diagonals carry the same (f0 + f3 = f1 + f2), and the split is linear in x, y.
  EXPECT_NEAR(f[0] + f[3], f[1] + f[2], 1e-9);
  // For any cell layout it is the minimum-norm split that keeps the load and its moments.
  PlateGeometry skewed;
  skewed.cells = {{{-250.0, 180.0}, {260.0, 160.0}, {-240.0, -175.0}, {275.0, -165.0}}};
  for (double x : {-150.0, 0.0, 90.0})
    for (double y : {-100.0, 30.0}) {
      skewed.distribute(300, x, y, f);
      double sum = 0, mx = 0, my = 0, twist = 0;
      for (int i = 0; i < 4; ++i) {
        sum += f[i];
        mx += f[i] * skewed.cells[i].x_mm;
        my += f[i] * skewed.cells[i].y_mm;
      }
      EXPECT_NEAR(sum, 300, 1e-9);
      EXPECT_NEAR(mx / sum, x, 1e-9);
      EXPECT_NEAR(my / sum, y, 1e-9);
      // Minimum norm: f lies in the span of the equations' rows (1, x_i, y_i), so the
      // component along their orthogonal complement vanishes.
      double rows[3][4];
      for (int i = 0; i < 4; ++i)
        rows[0][i] = 1, rows[1][i] = skewed.cells[i].x_mm, rows[2][i] = skewed.cells[i].y_mm;
      double n[4] = {1, -1, -1, 1};  // made a null vector of the 3x4 system below
      double basis[3][4];
      for (int r = 0; r < 3; ++r) {
        for (int i = 0; i < 4; ++i) basis[r][i] = rows[r][i];
        for (int q = 0; q < r; ++q) {
          double d = 0;
          for (int i = 0; i < 4; ++i) d += basis[r][i] * basis[q][i];
          for (int i = 0; i < 4; ++i) basis[r][i] -= d * basis[q][i];
        }
        double norm = 0;
        for (int i = 0; i < 4; ++i) norm += basis[r][i] * basis[r][i];
        for (int i = 0; i < 4; ++i) basis[r][i] /= std::sqrt(norm);
      }
      for (int r = 0; r < 3; ++r) {
        double d = 0;
        for (int i = 0; i < 4; ++i) d += n[i] * basis[r][i];
        for (int i = 0; i < 4; ++i) n[i] -= d * basis[r][i];
      }
      for (int i = 0; i < 4; ++i) twist += f[i] * n[i];
      EXPECT_NEAR(twist, 0, 1e-6);
    }
}

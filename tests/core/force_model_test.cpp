#include "rollrig/core/force_model.h"

#include <gtest/gtest.h>

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

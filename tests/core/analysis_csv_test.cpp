#include "rollrig/core/analysis_csv.h"

#include <gtest/gtest.h>

#include <sstream>

#include "rollrig/core/session_csv.h"

using namespace rollrig::core;

TEST(AnalysisCsv, ReadsTheProjectsOwnSessionCsv) {
  std::ostringstream out;
  SessionCsvWriter w(out);
  w.writeHeader();
  Sample s;
  ForceSample f;
  f.total_n = 100;
  f.has_cop = true;
  f.x_mm = -50;
  f.y_mm = 20;
  w.writeRow(s, f);
  s.t_us = 12500;
  f.has_cop = false;
  f.total_n = 5;
  w.writeRow(s, f);
  std::istringstream in(out.str());
  const AnalysisCsv c = readAnalysisCsv(in);
  ASSERT_TRUE(c.ok) << c.error;
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_TRUE(c.has_xy_columns);
  EXPECT_DOUBLE_EQ(c.samples[0].force_n, 100);
  EXPECT_TRUE(c.samples[0].has_xy);
  EXPECT_DOUBLE_EQ(c.samples[0].x_mm, -50);
  EXPECT_FALSE(c.samples[1].has_xy) << "empty x/y: the ball was not placed";
  EXPECT_DOUBLE_EQ(c.samples[1].t_s, 0.0125);
}

TEST(AnalysisCsv, ReadsAMinimalCsvWithExtraColumnsInAnyOrderAndMarkers) {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "note,force_N,time_s,marker\n"
      "a,10.5,0.0,\n"
      "\n"
      "# a comment\n"
      "b,11,0.1,released\n"
      "c,12,5.0,\n");
  const AnalysisCsv c = readAnalysisCsv(in);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_FALSE(c.has_xy_columns);
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_DOUBLE_EQ(c.samples[2].t_s, 5.0) << "gaps in time are allowed";
  ASSERT_EQ(c.released_markers.size(), 1u);
  EXPECT_DOUBLE_EQ(c.released_markers[0], 0.1);
}

TEST(AnalysisCsv, NamesTheLineOfAValueThatIsNotANumber) {
  std::istringstream in("time_s,force_N\n0,1\n0.1,2\n0.2,abc\n");
  const AnalysisCsv c = readAnalysisCsv(in);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error_line, 4u);
  EXPECT_NE(c.error.find("line 4"), std::string::npos) << c.error;
  EXPECT_NE(c.error.find("force_N"), std::string::npos) << c.error;
}

TEST(AnalysisCsv, NamesAMissingColumnAndAShortRow) {
  std::istringstream no_force("time_s,x_mm,y_mm\n0,1,2\n");
  const AnalysisCsv a = readAnalysisCsv(no_force);
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.error.find("force_N"), std::string::npos) << a.error;
  EXPECT_EQ(a.error_line, 1u);
  std::istringstream short_row("time_s,force_N,x_mm,y_mm\n0,1,2,3\n0.1,2\n");
  const AnalysisCsv b = readAnalysisCsv(short_row);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.error_line, 3u);
  std::istringstream empty("");
  EXPECT_FALSE(readAnalysisCsv(empty).ok);
}

TEST(AnalysisCsv, SkipsRowsWhoseTimeDoesNotIncreaseWithAWarning) {
  std::istringstream in("time_s,force_N\n0,1\n0.2,2\n0.1,3\n0.3,4\n");
  const AnalysisCsv c = readAnalysisCsv(in);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.samples.size(), 3u);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("line 4"), std::string::npos);
}

#include "rollrig/core/analysis_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <sstream>
#include <vector>

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

TEST(AnalysisCsv, SkipsARowWithAValueThatIsNotANumberNamingItsLine) {
  std::istringstream in("time_s,force_N\n0,1\n0.1,2\n0.2,abc\n0.3,4\n");
  const AnalysisCsv c = readAnalysisCsv(in);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.samples.size(), 3u);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("line 4: force_N 'abc' is not a number"), std::string::npos)
      << c.warnings[0];
  EXPECT_EQ(c.counts.skipped_for(SkippedRow::kNotANumber), 1u);
}

TEST(AnalysisCsv, NamesAMissingColumnAndSkipsAShortRow) {
  std::istringstream no_force("time_s,x_mm,y_mm\n0,1,2\n");
  const AnalysisCsv a = readAnalysisCsv(no_force);
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.error.find("force_N"), std::string::npos) << a.error;
  EXPECT_EQ(a.error_line, 1u);
  std::istringstream short_row("time_s,force_N,x_mm,y_mm\n0,1,2,3\n0.1,2\n0.2,1,2,3\n");
  const AnalysisCsv b = readAnalysisCsv(short_row);
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.samples.size(), 2u);
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find("line 3"), std::string::npos) << b.warnings[0];
  std::istringstream only_x("time_s,force_N,x_mm\n0,1,2\n");
  const AnalysisCsv c = readAnalysisCsv(only_x);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.error.find("x_mm but no y_mm"), std::string::npos) << c.error;
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

namespace {

// A session at 80 Hz: 10 s rolling, a still 20 s hold at (-120, 40) mm with 120 N, 10 s off.
std::string sessionWithOneHold(const std::function<std::string(int, double)>& force_field) {
  std::string csv = "time_s,force_N,x_mm,y_mm\n";
  char line[128];
  for (int k = 0; k < 40 * 80; ++k) {
    const double t = k / 80.0;
    double x = -120, y = 40, f = 120;
    if (t < 10) x = -300 + 18 * t;
    if (t >= 30) f = 0;
    if (f > 0)
      std::snprintf(line, sizeof(line), "%.4f,%s,%.2f,%.2f\n", t, force_field(k, f).c_str(), x, y);
    else
      std::snprintf(line, sizeof(line), "%.4f,%s,,\n", t, force_field(k, f).c_str());
    csv += line;
  }
  return csv;
}

std::string plain(int, double f) {
  return std::to_string(f);
}

}  // namespace

// Issue 9, item 11: NaN forces in 2 % of the rows made a 20 s hold vanish without a word.
TEST(AnalysisCsv, NanForcesAreMissingSamplesAndTheHoldSurvives) {
  std::istringstream clean(sessionWithOneHold(plain));
  const AnalysisCsv a = readAnalysisCsv(clean);
  ASSERT_TRUE(a.ok) << a.error;
  ASSERT_EQ(analyzeSession(a.samples).holds.size(), 1u);

  std::istringstream in(sessionWithOneHold(
      [](int k, double f) { return k % 50 == 13 ? std::string("nan") : std::to_string(f); }));
  const AnalysisCsv c = readAnalysisCsv(in);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.samples.size(), 3200u - 64u);
  for (const auto& s : c.samples) ASSERT_TRUE(std::isfinite(s.force_n)) << s.t_s;
  EXPECT_FALSE(c.warnings.empty()) << "skipped rows are reported";
  const SessionAnalysis r = analyzeSession(c.samples);
  ASSERT_EQ(r.holds.size(), 1u);
  EXPECT_NEAR(r.holds[0].duration_s(), 20.0, 1.5);
  // A skipped row is a missing sample, not a slower device: the rate stays the recording's.
  EXPECT_NEAR(r.summary.sample_rate_hz, 80.0, 0.2);
}

// Issue 9, item 11: a single `inf` time discarded every row after it (97 % of the file).
TEST(AnalysisCsv, ANonFiniteOrWildTimeSkipsOnlyItsOwnRow) {
  for (const char* bad : {"inf", "nan", "1e9"}) {
    std::string csv = sessionWithOneHold(plain);
    const size_t at = csv.find("\n3.0000,") + 1;  // the row at 3 s
    csv.replace(at, 6, bad);
    std::istringstream in(csv);
    const AnalysisCsv c = readAnalysisCsv(in);
    ASSERT_TRUE(c.ok) << c.error;
    EXPECT_EQ(c.samples.size(), 3199u) << bad;
    ASSERT_EQ(c.warnings.size(), 1u) << bad;
    EXPECT_NE(c.warnings[0].find("line 242"), std::string::npos) << c.warnings[0];
    EXPECT_EQ(analyzeSession(c.samples).holds.size(), 1u) << bad;
  }
}

// Issue 9, item 11: shuffled times kept 4 of 4,000 rows and exited 0; it is refused, saying why.
TEST(AnalysisCsv, RefusesRowsThatAreNotInTimeOrder) {
  std::string csv = sessionWithOneHold(plain);
  std::vector<std::string> lines;
  std::istringstream split(csv);
  std::string header, l;
  std::getline(split, header);
  while (std::getline(split, l)) lines.push_back(l + "\n");
  std::mt19937 rng(11);
  std::shuffle(lines.begin(), lines.end(), rng);
  std::string shuffled = header + "\n";
  for (const auto& s : lines) shuffled += s;
  std::istringstream in(shuffled);
  const AnalysisCsv c = readAnalysisCsv(in);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.error.find("not in time order"), std::string::npos) << c.error;
}

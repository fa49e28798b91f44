// The one session CSV reader (issue 9, items 11 and 16): one policy for rows that cannot be used,
// counted by reason, warnings with line numbers, and a clear refusal when most of a file is bad.
#include "rollrig/core/session_csv_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>

using namespace rollrig::core;

namespace {

SessionCsvOptions timeAndForce() {
  SessionCsvOptions o;
  o.columns = {{"time_s"}, {"force_N"}};
  return o;
}

SessionCsvTable read(const std::string& text, const SessionCsvOptions& o = timeAndForce()) {
  std::istringstream in(text);
  return readSessionCsv(in, o);
}

// time_s,force_N rows at 10 Hz: t = k / 10, force = k.
std::string rows(int from, int to) {
  std::string s;
  for (int k = from; k < to; ++k) s += std::to_string(k / 10.0) + "," + std::to_string(k) + "\n";
  return s;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

size_t skipped(const SessionCsvTable& t, SkippedRow r) {
  return t.counts.skipped_for(r);
}

}  // namespace

TEST(SessionCsvReader, AWildTimeSkipsThatRowOnlyNotTheRowsAfterIt) {
  // One time far ahead (a glitch) at line 52, one far behind at line 82: each skips itself.
  std::string csv =
      "time_s,force_N\n" + rows(0, 50) + "100000,1\n" + rows(50, 80) + "-3,1\n" + rows(80, 100);
  const SessionCsvTable t = read(csv);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.rows(), 100u);
  EXPECT_EQ(t.counts.data_rows, 102u);
  EXPECT_EQ(skipped(t, SkippedRow::kTimeOutOfOrder), 2u);
  ASSERT_EQ(t.warnings.size(), 2u);
  EXPECT_TRUE(contains(t.warnings[0], "line 52: time_s 100000 is out of order")) << t.warnings[0];
  EXPECT_TRUE(contains(t.warnings[1], "line 83: time_s -3 is out of order")) << t.warnings[1];
  for (size_t r = 1; r < t.rows(); ++r) EXPECT_GT(t.time(r), t.time(r - 1));
}

TEST(SessionCsvReader, ARepeatedRowIsSkippedAsARepeatedTimeAndTheFirstCopyKept) {
  const SessionCsvTable t = read("time_s,force_N\n0,1\n0.1,2\n0.1,3\n0.2,4\n");
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_DOUBLE_EQ(t.value(1, 1), 2.0) << "the first copy is the sample";
  EXPECT_EQ(skipped(t, SkippedRow::kTimeRepeated), 1u);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_TRUE(contains(t.warnings[0], "line 4")) << t.warnings[0];
}

TEST(SessionCsvReader, RefusesAFileThatIsNotInTimeOrderAndSaysSo) {
  std::vector<std::string> lines;
  for (int k = 0; k < 4000; ++k) lines.push_back(std::to_string(k / 80.0) + ",100\n");
  std::mt19937 rng(3);
  std::shuffle(lines.begin(), lines.end(), rng);
  std::string csv = "time_s,force_N\n";
  for (const auto& l : lines) csv += l;
  const SessionCsvTable t = read(csv);
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.error_kind, CsvErrorKind::kNotInTimeOrder);
  EXPECT_TRUE(contains(t.error, "not in time order")) << t.error;
  EXPECT_TRUE(contains(t.error, "of 4000 data rows")) << t.error;
  EXPECT_GT(skipped(t, SkippedRow::kTimeOutOfOrder), 3000u);
  EXPECT_EQ(t.warnings.size(), 10u) << "the first rows at fault explain the refusal";
}

TEST(SessionCsvReader, NonFiniteValuesAreMissingSamplesCountedByReason) {
  std::string csv = "time_s,force_N\n";
  for (int k = 0; k < 200; ++k) {
    const std::string force = k % 50 == 7 ? "nan" : k % 50 == 9 ? "-inf" : "1e999";
    csv += std::to_string(k / 10.0) + "," + (k % 50 == 7 || k % 50 == 9 || k == 120 ? force : "5") +
           "\n";
  }
  csv += "inf,5\n";  // a time that is not finite: that row only
  csv += "20.5,5\n";
  const SessionCsvTable t = read(csv);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.counts.data_rows, 202u);
  EXPECT_EQ(skipped(t, SkippedRow::kNotFinite), 4u + 4u + 1u + 1u);
  EXPECT_EQ(t.rows(), 192u);
  EXPECT_DOUBLE_EQ(t.time(t.rows() - 1), 20.5) << "rows after an inf time are kept";
  for (size_t r = 0; r < t.rows(); ++r) EXPECT_TRUE(std::isfinite(t.value(r, 1)));
  EXPECT_TRUE(contains(t.warnings[0], "line 9: force_N 'nan' is not a finite number; row skipped"))
      << t.warnings[0];
  EXPECT_TRUE(contains(t.counts.describeSkipped(), "10 of 202 rows skipped (10 with nan or inf)"))
      << t.counts.describeSkipped();
}

TEST(SessionCsvReader, ACutOffLastRowAndAStrayLineAreSkippedNamingTheirLines) {
  const SessionCsvTable t =
      read("time_s,force_N,x_mm\n0,1,2\n0.1,1,2\nhello\n0.2,1,2,3\n0.3,1,2,,\n0.4,1");
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.rows(), 3u) << "trailing empty fields beyond the header are fine";
  EXPECT_EQ(skipped(t, SkippedRow::kFieldCount), 3u);
  ASSERT_EQ(t.warnings.size(), 3u);
  EXPECT_TRUE(contains(t.warnings[0], "line 4: has 1 fields where the header has 3"));
  EXPECT_TRUE(contains(t.warnings[2], "line 7")) << t.warnings[2];
  EXPECT_TRUE(contains(t.warnings[2], "cut-off")) << t.warnings[2];
}

TEST(SessionCsvReader, KeepsTheFirstWarningsByLineAndCountsTheRest) {
  std::string csv = "time_s,force_N\n";
  for (int k = 0; k < 1000; ++k)
    csv += std::to_string(k / 10.0) + "," + (k % 4 == 1 ? "x" : k % 4 == 3 ? "" : "1") + "\n";
  SessionCsvOptions o = timeAndForce();
  o.max_warnings = 5;
  const SessionCsvTable t = read(csv, o);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.rows(), 500u);
  EXPECT_EQ(skipped(t, SkippedRow::kNotANumber), 250u);
  EXPECT_EQ(skipped(t, SkippedRow::kMissingValue), 250u);
  ASSERT_EQ(t.warnings.size(), 5u);
  EXPECT_EQ(t.warnings_omitted, 495u);
  EXPECT_TRUE(contains(t.warnings[0], "line 3:")) << t.warnings[0];
  EXPECT_TRUE(contains(t.warnings[1], "line 5: force_N is empty")) << t.warnings[1];
}

TEST(SessionCsvReader, RefusesAFileWhereMostRowsCannotBeUsed) {
  std::string csv = "time_s,force_N\n";
  for (int k = 0; k < 100; ++k)
    csv += std::to_string(k / 10.0) + "," + (k < 40 ? "1" : "nan") + "\n";
  const SessionCsvTable t = read(csv);
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.error_kind, CsvErrorKind::kMostlyUnusable);
  EXPECT_TRUE(contains(t.error, "only 40 of 100 data rows can be used (60 with nan or inf)"))
      << t.error;
  EXPECT_FALSE(t.warnings.empty());
  // Half usable is still a file.
  std::string half = "time_s,force_N\n";
  for (int k = 0; k < 100; ++k)
    half += std::to_string(k / 10.0) + "," + (k < 50 ? "1" : "nan") + "\n";
  EXPECT_TRUE(read(half).ok());
}

TEST(SessionCsvReader, RefusesBinaryInputAndNeverReadsAHugeLineWhole) {
  const SessionCsvTable elf = read(std::string("\x7f"
                                               "ELF\x02\x01\x01\0\0\0",
                                               10) +
                                   "\nxx\n");
  EXPECT_EQ(elf.error_kind, CsvErrorKind::kNotText);
  EXPECT_TRUE(contains(elf.error, "line 1: this is not a CSV text file")) << elf.error;
  const SessionCsvTable png = read("\x89PNG\r\n\x1a\n");
  EXPECT_EQ(png.error_kind, CsvErrorKind::kNotText) << png.error;
  // A Latin-1 column name the caller does not need is no reason to refuse the file.
  const SessionCsvTable latin1 = read("time_s,force_N,Kraft \xB0\n0,1,2\n");
  EXPECT_TRUE(latin1.ok()) << latin1.error;
  const SessionCsvTable zeros = read(std::string(10 * kMaxLineBytes, 'z'));
  EXPECT_EQ(zeros.error_kind, CsvErrorKind::kNotText);
  EXPECT_TRUE(contains(zeros.error, "longer than 64 KiB")) << zeros.error;
  // After a good header, a NUL-filled stretch (a file cut by a power loss) is skipped rows.
  const SessionCsvTable tail =
      read("time_s,force_N\n" + rows(0, 10) + std::string(20, '\0') + "\n");
  ASSERT_TRUE(tail.ok()) << tail.error;
  EXPECT_EQ(tail.rows(), 10u);
  EXPECT_EQ(skipped(tail, SkippedRow::kBinary), 1u);
  EXPECT_EQ(tail.counts.data_rows, 11u);
  const SessionCsvTable all_binary = read("time_s,force_N\n" + std::string(3, '\x01') + "\n");
  EXPECT_EQ(all_binary.error_kind, CsvErrorKind::kMostlyUnusable) << all_binary.error;
}

TEST(SessionCsvReader, NamesAMissingOrDuplicatedColumnAndASemicolonSeparatedHeader) {
  SessionCsvTable t = read("# exported\ntime_s,x_mm\n0,1\n");
  EXPECT_EQ(t.error_kind, CsvErrorKind::kMissingColumn);
  EXPECT_EQ(t.error_line, 2u);
  EXPECT_TRUE(
      contains(t.error, "line 2: the header has no force_N column (it names: time_s, x_mm)"))
      << t.error;
  t = read("time_s;force_N\n0;1\n");
  EXPECT_TRUE(contains(t.error, "separated by ';'")) << t.error;
  t = read("time_s,force_N,force_N\n0,1,2\n");
  EXPECT_EQ(t.error_kind, CsvErrorKind::kDuplicateColumn);
  EXPECT_TRUE(contains(t.error, "force_N twice (columns 2 and 3)")) << t.error;
}

TEST(SessionCsvReader, IgnoresCommentsBlankLinesAndSpreadsheetCommaLinesEverywhere) {
  const SessionCsvTable t = read(
      "\xEF\xBB\xBF# a comment first\r\n\r\n,,\r\n time_s , force_N,\r\n0,1\r\n# note\r\n,\r\n"
      "0.1,2\r\n  \r\n");
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.header_line, 4u);
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.counts.data_rows, 2u);
  EXPECT_EQ(t.lines[1], 8u);
}

TEST(SessionCsvReader, AnEmptyFileAHeaderOnlyAndOnlyCommentsAreToldApart) {
  SessionCsvTable t = read("");
  EXPECT_EQ(t.error_kind, CsvErrorKind::kEmpty);
  EXPECT_EQ(t.error, "the file is empty");
  t = read("# nothing\n\n");
  EXPECT_EQ(t.error_kind, CsvErrorKind::kEmpty);
  EXPECT_TRUE(contains(t.error, "no header row")) << t.error;
  t = read("time_s,force_N\n\n");
  EXPECT_EQ(t.error_kind, CsvErrorKind::kNoRows);
  EXPECT_TRUE(contains(t.error, "line 1: there is a header and no data rows")) << t.error;
}

TEST(SessionCsvReader, KeepsAMarkerWhoseSampleIsMissingButNotOneWithoutATime) {
  SessionCsvOptions o = timeAndForce();
  o.columns.push_back({"marker", CsvValueKind::kText, false});
  const SessionCsvTable t =
      read("time_s,force_N,marker\n0,1,\n0.1,nan,released\nnan,1,pain\n0.3,1,\n", o);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.rows(), 2u);
  ASSERT_EQ(t.texts.size(), 1u);
  EXPECT_EQ(t.texts[0].text, "released");
  EXPECT_DOUBLE_EQ(t.texts[0].t_s, 0.1);
  EXPECT_EQ(t.texts[0].line, 3u);
}

TEST(SessionCsvReader, ChecksWholeNumbersRangesAndOptionalColumns) {
  SessionCsvOptions o;
  o.columns = {{"time_s", CsvValueKind::kNumber, true, 0.0},
               {"counts", CsvValueKind::kInteger, true, -8388608.0, 8388607.0},
               {"seq", CsvValueKind::kInteger, false, 0.0, 65535.0},
               {"absent", CsvValueKind::kNumber, false}};
  const SessionCsvTable t = read(
      "time_s,counts,seq\n0,5,1\n0.1,1.5,2\n0.2,9000000,3\n-0.1,5,4\n0.4,+7,\n0.5,7,x\n0.6,1e3,7\n"
      "0.7,1,8\n0.8,1,9\n",
      o);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_FALSE(t.hasColumn(3));
  ASSERT_EQ(t.rows(), 5u);
  EXPECT_DOUBLE_EQ(t.value(1, 1), 7.0);
  EXPECT_TRUE(std::isnan(t.value(1, 2))) << "an empty optional field is no value";
  EXPECT_DOUBLE_EQ(t.value(2, 1), 1000.0);
  EXPECT_EQ(skipped(t, SkippedRow::kNotInteger), 1u);
  EXPECT_EQ(skipped(t, SkippedRow::kOutOfRange), 2u);
  EXPECT_EQ(skipped(t, SkippedRow::kNotANumber), 1u);
  EXPECT_TRUE(contains(t.warnings[2], "line 5: time_s '-0.1' is below 0")) << t.warnings[2];
}

// Reading a session CSV: the one reader behind `rollrig analyze` (readAnalysisCsv) and calibrating
// from a recording (readRawCountsCsv). The caller names the columns it needs; the reader maps
// them from the header, parses every row and applies one policy to rows it cannot use, so every
// tool that reads a session agrees on what the file holds. docs/CSV_FORMAT.md ("Reading a
// session CSV") is the user's version of these rules.
//
// The rules:
//  - Text: UTF-8 (a byte-order mark is dropped), `\n` or `\r\n` line endings, comma-separated,
//    numbers with '.' as the decimal point whatever the locale. Fields are trimmed of spaces,
//    tabs and double quotes (no field of the format contains a comma).
//  - Blank lines, lines of only commas (as spreadsheets write) and lines starting with '#' are
//    ignored anywhere. The first other line is the header.
//  - The header must name every required column once (names are exact, case-sensitive); other
//    columns are ignored, in any order. Empty names at its end (a trailing comma) are dropped.
//  - A row is a sample only if it can be used whole. A row that cannot is skipped, counted by
//    reason (SkippedRow) and named in a warning with its line number; to the analysis it is a
//    missing sample, i.e. a gap in time, never a reason to drop the rows after it:
//      . it has another number of fields than the header (a cut-off last row, a stray line);
//      . it repeats the header (files joined together), or holds binary bytes;
//      . a required value is empty, not a number, `nan`/`inf`, not an integer where counts are
//        read, or outside the column's range; an optional value is the same except that an
//        empty field means "no value";
//      . its time is out of order. Times must increase: of the rows with a usable time the reader
//        keeps the largest set that is in time order (the longest increasing subsequence, ties
//        going to the earlier row), so one wild time skips that row only, and a row whose time
//        repeats the previous one's is a repeated row.
//  - The file is refused (ok false) when it is not usable as a whole: no header (empty, only
//    comments, not text), a required column missing or named twice, no data rows, or fewer than
//    kMinUsableFraction of its data rows usable; the message says which rows and why, and, when
//    the times are what is wrong, that the file is not in time order.
//
// Pure and reentrant: any std::istream in, a table out; no clock, no file system. Lines longer
// than kMaxLineBytes are not text (so /dev/zero is refused instead of read forever).
#pragma once

#include <array>
#include <cstddef>
#include <istream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace rollrig::core {

// [SECTION] What the caller asks for

enum class CsvValueKind {
  kNumber,   // any finite number
  kInteger,  // a finite number with no fraction (raw counts, flags)
  kText,     // kept as text (e.g. `marker`); never makes a row unusable
};

struct CsvColumn {
  std::string name;  // exactly as in the header, e.g. "force_N"
  CsvValueKind kind = CsvValueKind::kNumber;
  bool required = true;  // false: the header may lack it, and an empty field means "no value"
  double min = -std::numeric_limits<double>::infinity();  // numbers outside [min, max] are
  double max = std::numeric_limits<double>::infinity();   //   unusable (kOutOfRange)
};

struct SessionCsvOptions {
  // columns[0] is the time column (a required kNumber, in seconds): rows must increase in it.
  std::vector<CsvColumn> columns;
  size_t max_warnings = 10;  // warnings kept (the first by line); the rest are only counted
};

// A file with fewer usable rows than this share of its data rows is refused.
inline constexpr double kMinUsableFraction = 0.5;
inline constexpr size_t kMaxLineBytes = 64 * 1024;

// [SECTION] What comes back

enum class SkippedRow : int {
  kFieldCount = 0,  // another number of fields than the header
  kBinary,          // control bytes or an over-long line: not text
  kRepeatedHeader,  // the header again (files joined together)
  kMissingValue,    // a required field is empty
  kNotANumber,      // a field is not a number
  kNotFinite,       // nan, inf, or beyond the range of a double
  kNotInteger,      // a count or flag with a fraction
  kOutOfRange,      // outside the column's [min, max] (e.g. a negative time for calibration)
  kTimeRepeated,    // the same time as the previous usable row
  kTimeOutOfOrder,  // earlier than the row before it, or later than the rows after it
};
inline constexpr size_t kSkippedRowKinds = 10;

// "wrong_field_count", "not_finite", ...: stable keys for JSON.
const char* skippedRowKey(SkippedRow r);
// "another number of fields than the header", ...: for people.
const char* skippedRowDescription(SkippedRow r);

// How the data rows of a file were used.
struct CsvRowCounts {
  size_t data_rows = 0;  // lines after the header that are not blank or comments
  size_t used_rows = 0;  // rows that became samples
  std::array<size_t, kSkippedRowKinds> skipped{};  // by SkippedRow

  size_t skippedTotal() const;
  size_t skipped_for(SkippedRow r) const { return skipped[static_cast<size_t>(r)]; }
  // "2 with nan or inf, 1 out of time order": the reasons with their counts.
  std::string describeReasons() const;
  // "3 of 2400 rows skipped (2 with nan or inf, 1 out of time order)", or "" when none was.
  std::string describeSkipped() const;
};

enum class CsvErrorKind {
  kNone = 0,
  kEmpty,            // no header: the file is empty or holds only blank lines and comments
  kNotText,          // binary bytes or an over-long line before the header
  kMissingColumn,    // the header lacks a required column
  kDuplicateColumn,  // the header names a requested column twice
  kNoRows,           // a header and no data rows
  kMostlyUnusable,   // fewer than kMinUsableFraction of the data rows usable
  kNotInTimeOrder,   // kMostlyUnusable, where most of the skipped rows are out of time order
};

// A non-empty text field (kText column) of a row whose time is usable and in order, whether or
// not the row's other values are: a marker stays an event even when its sample is missing.
struct CsvText {
  double t_s = 0;
  size_t line = 0;
  int column = 0;  // index into SessionCsvOptions::columns
  std::string text;
};

struct SessionCsvTable {
  CsvErrorKind error_kind = CsvErrorKind::kNone;
  std::string error;      // when !ok(): a sentence starting "line N: " when one line is at fault
  size_t error_line = 0;  // 1-based; 0 when no single line is at fault
  size_t header_line = 0;

  // Per requested column: its index in the file's header, or -1 (an optional column absent).
  std::vector<int> file_column;
  // The usable rows, in time order: rows() of them, columns() values each, row-major. A value is
  // NaN when there is none (an empty optional field, an absent column, a kText column).
  std::vector<double> values;
  std::vector<size_t> lines;  // the line of each usable row
  std::vector<CsvText> texts;

  CsvRowCounts counts;
  std::vector<std::string> warnings;  // "line N: ...; row skipped", the first max_warnings
  size_t warnings_omitted = 0;        // further skipped rows not given a warning

  bool ok() const { return error_kind == CsvErrorKind::kNone; }
  size_t columns() const { return file_column.size(); }
  size_t rows() const { return lines.size(); }
  bool hasColumn(int c) const { return file_column[c] >= 0; }
  double value(size_t row, int c) const { return values[row * columns() + c]; }
  double time(size_t row) const { return value(row, 0); }
};

SessionCsvTable readSessionCsv(std::istream& in, const SessionCsvOptions& options);

// Moves the reading's outcome (row counts, warnings, and the error when there is one) into a
// caller's result type, which has the members of the same names (AnalysisCsv, RawCountsCsv).
// Returns t.ok(); the caller goes on to take the rows only then.
template <class Result>
bool takeCsvOutcome(SessionCsvTable& t, Result* out) {
  out->counts = t.counts;
  out->warnings = std::move(t.warnings);
  out->warnings_omitted = t.warnings_omitted;
  if (t.ok()) return true;
  out->error_kind = t.error_kind;
  out->error = t.error;
  out->error_line = t.error_line;
  return false;
}

}  // namespace rollrig::core

// The session CSV reader. Navigate by the [SECTION] markers: Lines, Values, Reader.
//
// It reads in two passes over what it keeps: first every line is split and parsed (rows with a
// usable time are kept with their values, whatever else is wrong with them), then the time order
// is decided over all of them at once, so a single wild time cannot push the rows after it out.
#include "rollrig/core/session_csv_reader.h"

#include "csv_fields.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace rollrig::core {

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// [SECTION] Lines

// Lines of at most kMaxLineBytes: a longer one is returned cut, with *too_long set, and its rest
// is skipped on the next call (so a file with no newline is never read whole into memory).
class LineReader {
 public:
  explicit LineReader(std::istream& in) : m_sb(in.rdbuf()), m_buf(kChunk) {}

  bool next(std::string& line, bool* too_long) {
    line.clear();
    *too_long = false;
    if (!m_sb) return false;
    bool any = false;
    while (true) {
      if (m_pos == m_end) {
        m_pos = 0;
        m_end =
            static_cast<size_t>(m_sb->sgetn(m_buf.data(), static_cast<std::streamsize>(kChunk)));
        if (m_end == 0) {
          m_discard = false;
          return any;
        }
      }
      const char* start = m_buf.data() + m_pos;
      const void* nl = std::memchr(start, '\n', m_end - m_pos);
      const size_t len =
          nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : m_end - m_pos;
      if (m_discard) {  // the rest of an over-long line
        m_pos += len + (nl ? 1 : 0);
        if (nl) m_discard = false;
        continue;
      }
      any = true;
      const size_t room = kMaxLineBytes - line.size();
      if (len > room) {
        line.append(start, room);
        m_pos += room;
        m_discard = true;
        *too_long = true;
        return true;
      }
      line.append(start, len);
      m_pos += len + (nl ? 1 : 0);
      if (nl) return true;
    }
  }

 private:
  static constexpr size_t kChunk = 64 * 1024;
  std::streambuf* m_sb;
  std::vector<char> m_buf;
  size_t m_pos = 0, m_end = 0;
  bool m_discard = false;
};

// The first byte that no text line holds (control characters other than tab), or -1.
int controlByte(const std::string& line) {
  for (unsigned char c : line)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return c;
  return -1;
}

bool validUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n + 1;
  }
  return true;
}

using csv::shown;

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.6g", v);
  return b;
}

std::string lineRef(size_t line) {
  return "line " + std::to_string(line);
}

// [SECTION] Values

// Parses one numeric field against its column; kNone-like -1 when usable.
int checkNumber(const CsvColumn& col, const std::string& s, double* v) {
  if (s.empty()) {
    *v = std::nan("");
    return col.required ? static_cast<int>(SkippedRow::kMissingValue) : -1;
  }
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, e, *v);
  if (r.ptr != e || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range))
    return static_cast<int>(SkippedRow::kNotANumber);
  if (r.ec == std::errc::result_out_of_range || !std::isfinite(*v))
    return static_cast<int>(SkippedRow::kNotFinite);
  if (col.kind == CsvValueKind::kInteger && *v != std::trunc(*v))
    return static_cast<int>(SkippedRow::kNotInteger);
  if (*v < col.min || *v > col.max) return static_cast<int>(SkippedRow::kOutOfRange);
  return -1;
}

std::string valueProblem(const CsvColumn& col, int reason, const std::string& field) {
  const std::string q = col.name + " '" + shown(field) + "'";
  switch (static_cast<SkippedRow>(reason)) {
    case SkippedRow::kMissingValue:
      return col.name + " is empty";
    case SkippedRow::kNotANumber:
      return q + " is not a number";
    case SkippedRow::kNotFinite:
      return q + " is not a finite number";
    case SkippedRow::kNotInteger:
      return q + " is not a whole number";
    case SkippedRow::kOutOfRange:
      if (std::isinf(col.max)) return q + " is below " + num(col.min);
      if (std::isinf(col.min)) return q + " is above " + num(col.max);
      return q + " is outside " + num(col.min) + " to " + num(col.max);
    default:
      return q + " cannot be used";
  }
}

struct Problem {
  size_t line;
  std::string message;
};

}  // namespace

const char* skippedRowKey(SkippedRow r) {
  switch (r) {
    case SkippedRow::kFieldCount:
      return "wrong_field_count";
    case SkippedRow::kBinary:
      return "binary_data";
    case SkippedRow::kRepeatedHeader:
      return "repeated_header";
    case SkippedRow::kMissingValue:
      return "missing_value";
    case SkippedRow::kNotANumber:
      return "not_a_number";
    case SkippedRow::kNotFinite:
      return "not_finite";
    case SkippedRow::kNotInteger:
      return "not_an_integer";
    case SkippedRow::kOutOfRange:
      return "out_of_range";
    case SkippedRow::kTimeRepeated:
      return "time_repeated";
    case SkippedRow::kTimeOutOfOrder:
      return "time_out_of_order";
  }
  return "unknown";
}

const char* skippedRowDescription(SkippedRow r) {
  switch (r) {
    case SkippedRow::kFieldCount:
      return "with another number of fields than the header";
    case SkippedRow::kBinary:
      return "with binary data";
    case SkippedRow::kRepeatedHeader:
      return "repeating the header";
    case SkippedRow::kMissingValue:
      return "with an empty value";
    case SkippedRow::kNotANumber:
      return "with a value that is not a number";
    case SkippedRow::kNotFinite:
      return "with nan or inf";
    case SkippedRow::kNotInteger:
      return "with a fraction where a whole number belongs";
    case SkippedRow::kOutOfRange:
      return "with a value out of range";
    case SkippedRow::kTimeRepeated:
      return "repeating the previous row's time";
    case SkippedRow::kTimeOutOfOrder:
      return "out of time order";
  }
  return "unknown";
}

size_t CsvRowCounts::skippedTotal() const {
  size_t n = 0;
  for (size_t k : skipped) n += k;
  return n;
}

std::string CsvRowCounts::describeReasons() const {
  std::string out;
  for (size_t r = 0; r < kSkippedRowKinds; ++r) {
    if (!skipped[r]) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(skipped[r]) + " " +
           skippedRowDescription(static_cast<SkippedRow>(r));
  }
  return out;
}

std::string CsvRowCounts::describeSkipped() const {
  const size_t total = skippedTotal();
  if (total == 0) return "";
  return std::to_string(total) + " of " + std::to_string(data_rows) +
         (data_rows == 1 ? " row" : " rows") + " skipped (" + describeReasons() + ")";
}

// [SECTION] Reader

SessionCsvTable readSessionCsv(std::istream& in, const SessionCsvOptions& opt) {
  assert(!opt.columns.empty() && opt.columns[0].kind == CsvValueKind::kNumber &&
         opt.columns[0].required);
  SessionCsvTable out;
  const size_t ncol = opt.columns.size();
  out.file_column.assign(ncol, -1);
  auto fail = [&](CsvErrorKind kind, size_t at, const std::string& msg) {
    out.error_kind = kind;
    out.error_line = at;
    out.error = at ? lineRef(at) + ": " + msg : msg;
    out.values.clear();
    out.lines.clear();
    out.texts.clear();
    return out;
  };

  // Rows skipped before their time is known, in line order (the first max_warnings).
  std::vector<Problem> early;
  auto skip = [&](SkippedRow r, size_t at, const std::string& msg) {
    ++out.counts.skipped[static_cast<size_t>(r)];
    if (early.size() < opt.max_warnings) early.push_back({at, lineRef(at) + ": " + msg});
  };

  // Rows with a usable time: their lines, values (ncol each) and any other problem.
  std::vector<size_t> t_line;
  std::vector<double> t_vals;
  struct ValueIssue {
    size_t index;  // into t_line
    int column;
    int reason;
    std::string field;
  };
  std::vector<ValueIssue> issues;  // in index order
  struct PendingText {
    size_t index;
    int column;
    std::string text;
  };
  std::vector<PendingText> pending_texts;

  LineReader reader(in);
  std::string line;
  std::vector<std::string> f, header;
  std::vector<double> v(ncol);
  size_t line_no = 0;
  bool too_long = false, any_line = false;
  while (reader.next(line, &too_long)) {
    ++line_no;
    any_line = true;
    csv::normaliseLine(line, line_no == 1);
    const int ctl = too_long ? -1 : controlByte(line);
    if (too_long || ctl >= 0) {
      char what[64];
      if (too_long)
        std::snprintf(what, sizeof(what), "a line longer than %zu KiB", kMaxLineBytes / 1024);
      else
        std::snprintf(what, sizeof(what), "the byte 0x%02X", ctl);
      if (header.empty())
        return fail(CsvErrorKind::kNotText, line_no,
                    std::string("this is not a CSV text file (") + what + ")");
      ++out.counts.data_rows;
      skip(SkippedRow::kBinary, line_no, std::string("holds ") + what + "; row skipped");
      continue;
    }
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    csv::splitFields(line, f);
    if (std::all_of(f.begin(), f.end(), [](const std::string& s) { return s.empty(); })) continue;

    if (header.empty()) {
      out.header_line = line_no;
      header = f;
      while (!header.empty() && header.back().empty()) header.pop_back();
      std::string missing;
      size_t n_missing = 0;
      for (size_t c = 0; c < ncol; ++c) {
        for (size_t k = 0; k < header.size(); ++k) {
          if (header[k] != opt.columns[c].name) continue;
          if (out.file_column[c] >= 0)
            return fail(CsvErrorKind::kDuplicateColumn, line_no,
                        "the header names " + opt.columns[c].name + " twice (columns " +
                            std::to_string(out.file_column[c] + 1) + " and " +
                            std::to_string(k + 1) + ")");
          out.file_column[c] = static_cast<int>(k);
        }
        if (out.file_column[c] < 0 && opt.columns[c].required) {
          missing += (missing.empty() ? "" : ", ") + opt.columns[c].name;
          ++n_missing;
        }
      }
      if (!missing.empty() && !validUtf8(line))
        return fail(CsvErrorKind::kNotText, line_no,
                    "this is not a CSV text file (the first line is not UTF-8 text)");
      if (!missing.empty()) {
        std::string found;
        for (const std::string& h : header) {
          if (found.size() > 160) {
            found += ", ...";
            break;
          }
          found += (found.empty() ? "" : ", ") + shown(h);
        }
        std::string msg = "the header has no " + missing +
                          (n_missing > 1 ? " columns" : " column") + " (it names: " + found + ")";
        if (header.size() == 1 && line.find(';') != std::string::npos)
          msg += "; it looks separated by ';', but the file must be comma-separated";
        else if (header.size() == 1 && line.find('\t') != std::string::npos)
          msg += "; it looks separated by tabs, but the file must be comma-separated";
        return fail(CsvErrorKind::kMissingColumn, line_no, msg);
      }
      continue;
    }

    ++out.counts.data_rows;
    while (f.size() > header.size() && f.back().empty()) f.pop_back();
    if (f == header) {
      skip(SkippedRow::kRepeatedHeader, line_no, "repeats the header; row skipped");
      continue;
    }
    if (f.size() != header.size()) {
      skip(SkippedRow::kFieldCount, line_no,
           "has " + std::to_string(f.size()) + " fields where the header has " +
               std::to_string(header.size()) +
               (f.size() < header.size() ? " (a cut-off row?)" : "") + "; row skipped");
      continue;
    }
    int problem = -1, problem_col = -1;
    const size_t texts_before = pending_texts.size();
    for (size_t c = 0; c < ncol; ++c) {
      v[c] = std::nan("");
      const int fc = out.file_column[c];
      if (fc < 0) continue;
      const CsvColumn& col = opt.columns[c];
      if (col.kind == CsvValueKind::kText) {
        if (!f[fc].empty())
          pending_texts.push_back({t_line.size(), static_cast<int>(c), std::move(f[fc])});
        continue;
      }
      const int r = checkNumber(col, f[fc], &v[c]);
      if (r >= 0 && problem < 0) problem = r, problem_col = static_cast<int>(c);
    }
    if (problem_col == 0) {  // no usable time: nothing to place it by, markers included
      pending_texts.resize(texts_before);
      skip(static_cast<SkippedRow>(problem), line_no,
           valueProblem(opt.columns[0], problem, f[out.file_column[0]]) + "; row skipped");
      continue;
    }
    if (problem >= 0)
      issues.push_back({t_line.size(), problem_col, problem, f[out.file_column[problem_col]]});
    t_line.push_back(line_no);
    t_vals.insert(t_vals.end(), v.begin(), v.end());
  }
  if (header.empty()) {
    return fail(
        CsvErrorKind::kEmpty, 0,
        any_line ? "there is no header row (only blank lines and comments)" : "the file is empty");
  }
  if (out.counts.data_rows == 0)
    return fail(CsvErrorKind::kNoRows, out.header_line,
                "there is a header and no data rows after it");

  // Time order: the largest set of rows in increasing time, ties to the earlier rows. Built
  // from the end (a longest strictly decreasing run read backwards), so that when two rows could
  // serve, the replacement keeps the earlier one.
  const size_t n = t_line.size();
  auto tk = [&](size_t k) { return t_vals[k * ncol]; };
  std::vector<size_t> tails, pred(n, kNone);
  for (size_t k = n; k-- > 0;) {
    const double t = tk(k);
    auto it = std::partition_point(tails.begin(), tails.end(), [&](size_t i) { return tk(i) > t; });
    pred[k] = it == tails.begin() ? kNone : *(it - 1);
    if (it == tails.end())
      tails.push_back(k);
    else
      *it = k;
  }
  std::vector<char> in_order(n, 0);
  for (size_t k = tails.empty() ? kNone : tails.back(); k != kNone; k = pred[k]) in_order[k] = 1;

  const std::string& tname = opt.columns[0].name;
  std::vector<Problem> late;
  auto skipLate = [&](SkippedRow r, size_t at, const std::string& msg) {
    ++out.counts.skipped[static_cast<size_t>(r)];
    if (late.size() < opt.max_warnings) late.push_back({at, lineRef(at) + ": " + msg});
  };
  size_t prev = kNone, next = 0, issue = 0, text = 0, kept = 0;
  for (size_t k = 0; k < n; ++k) {
    while (issue < issues.size() && issues[issue].index < k) ++issue;
    const ValueIssue* vi =
        issue < issues.size() && issues[issue].index == k ? &issues[issue] : nullptr;
    if (!in_order[k]) {
      const double t = tk(k);
      if (prev != kNone && t == tk(prev)) {
        skipLate(SkippedRow::kTimeRepeated, t_line[k],
                 tname + " " + num(t) + " repeats " + lineRef(t_line[prev]) + "'s; row skipped");
        continue;
      }
      if (next <= k) {
        next = k + 1;
        while (next < n && !in_order[next]) ++next;
      }
      std::string around;
      if (prev != kNone && next < n)
        around = "in order, the rows around it run from " + lineRef(t_line[prev]) + "'s " +
                 num(tk(prev)) + " to " + lineRef(t_line[next]) + "'s " + num(tk(next));
      else if (prev != kNone)
        around =
            "in order, the last row before it is " + lineRef(t_line[prev]) + "'s " + num(tk(prev));
      else
        around =
            "in order, the first row after it is " + lineRef(t_line[next]) + "'s " + num(tk(next));
      skipLate(SkippedRow::kTimeOutOfOrder, t_line[k],
               tname + " " + num(t) + " is out of order (" + around + "); row skipped");
      continue;
    }
    prev = k;
    while (text < pending_texts.size() && pending_texts[text].index < k) ++text;
    for (; text < pending_texts.size() && pending_texts[text].index == k; ++text) {
      out.texts.push_back(
          {tk(k), t_line[k], pending_texts[text].column, std::move(pending_texts[text].text)});
    }
    if (vi) {
      skipLate(static_cast<SkippedRow>(vi->reason), t_line[k],
               valueProblem(opt.columns[vi->column], vi->reason, vi->field) + "; row skipped");
      continue;
    }
    // Kept rows move forward in place (kept <= k): no second copy of a large file.
    std::copy(t_vals.begin() + k * ncol, t_vals.begin() + (k + 1) * ncol,
              t_vals.begin() + kept * ncol);
    t_line[kept++] = t_line[k];
  }
  t_vals.resize(kept * ncol);
  t_line.resize(kept);
  out.values = std::move(t_vals);
  out.lines = std::move(t_line);
  out.counts.used_rows = out.lines.size();

  // The first warnings by line, from both lists.
  std::vector<Problem> merged;
  std::merge(early.begin(), early.end(), late.begin(), late.end(), std::back_inserter(merged),
             [](const Problem& a, const Problem& b) { return a.line < b.line; });
  for (size_t i = 0; i < merged.size() && i < opt.max_warnings; ++i)
    out.warnings.push_back(std::move(merged[i].message));
  out.warnings_omitted = out.counts.skippedTotal() - out.warnings.size();

  if (static_cast<double>(out.counts.used_rows) <
      kMinUsableFraction * static_cast<double>(out.counts.data_rows)) {
    const size_t order = out.counts.skipped_for(SkippedRow::kTimeOutOfOrder) +
                         out.counts.skipped_for(SkippedRow::kTimeRepeated);
    const bool by_order = 2 * order > out.counts.skippedTotal();
    const std::string msg =
        "only " + std::to_string(out.counts.used_rows) + " of " +
        std::to_string(out.counts.data_rows) + " data rows can be used (" +
        out.counts.describeReasons() + ")" +
        (by_order ? ": the rows are not in time order; sort them by " + tname : "");
    const std::vector<std::string> warnings = std::move(out.warnings);
    fail(by_order ? CsvErrorKind::kNotInTimeOrder : CsvErrorKind::kMostlyUnusable, 0, msg);
    out.warnings = warnings;  // the first rows at fault explain the refusal
  }
  return out;
}

}  // namespace rollrig::core

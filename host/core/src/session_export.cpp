// Exports and their readers. Navigate by the [SECTION] markers: Formatting, Writers, RFC 4180
// records, Readers, Import.
#include "rollrig/core/session_export.h"

#include "csv_fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <streambuf>
#include <type_traits>

namespace rollrig::core {

namespace {

// [SECTION] Formatting (std::to_chars: locale-free, correctly rounded)

constexpr int kForceDecimals = 4;
constexpr int kPositionDecimals = 2;
constexpr int kRatioDecimals = 4;
constexpr int kGapDecimals = 6;
// Steadiness (hold_steadiness.h): lengths and areas to 0.01, velocity and rms to 0.001.
constexpr int kSteadyDecimals = 2;
constexpr int kSteadyFineDecimals = 3;

void appendFixed(std::string& s, double v, int decimals) {
  if (std::abs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;  // never "-0.0000"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, decimals);
  s.append(buf, r.ptr);
}

// Seconds as whole microseconds: the one rounding every time column goes through.
int64_t toMicros(double t_s) {
  return static_cast<int64_t>(std::llround(t_s * 1e6));
}

void appendMicros(std::string& s, int64_t us) {
  if (us < 0) {
    s += '-';
    us = -us;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), us / 1000000);
  s.append(buf, r.ptr);
  s += '.';
  char frac[6];
  int64_t f = us % 1000000;
  for (int i = 5; i >= 0; --i, f /= 10) frac[i] = static_cast<char>('0' + f % 10);
  s.append(frac, 6);
}

template <typename T>
void appendInt(std::string& s, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  s.append(buf, r.ptr);
}

void put(std::ostream& out, const std::string& s) {
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

const char* boolName(bool b) {
  return b ? "true" : "false";
}

// Device time to the export's signed microseconds since the first sample.
int64_t sinceFirst(uint64_t t_us, uint64_t first_us) {
  return t_us >= first_us ? static_cast<int64_t>(t_us - first_us)
                          : -static_cast<int64_t>(first_us - t_us);
}

}  // namespace

std::string csvField(const std::string& text) {
  // Commas, quotes and line ends must be quoted; other control bytes are quoted too, since a
  // reader refuses them outside quotes (they are not text a spreadsheet shows).
  const bool plain = std::none_of(text.begin(), text.end(), [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return c == ',' || c == '"' || (c < 0x20 && c != '\t') || c == 0x7F;
  });
  if (plain) return text;
  std::string q = "\"";
  for (char c : text) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

// [SECTION] Writers

std::string holdsCsvHeader() {
  return "hold,start_s,end_s,duration_s,release_s,time_to_release_s,release_source,"
         "mean_force_N,peak_force_N,x_mm,y_mm,side,side_source,step_fraction,tremor_ratio,"
         "cv_before,cv_after,reached_protocol_min,exceeded_protocol_max,"
         "cop_path_mm,cop_mean_velocity_mm_s,cop_ml_range_mm,cop_ap_range_mm,cop_rms_mm,"
         "cop_ellipse95_mm2,cop_measured_s";
}

std::string markersCsvHeader() {
  return "time_s,kind,pain,side,note";
}

std::string eventsCsvHeader() {
  return "time_s,event,frames_lost,gap_s,detail,wall_utc";
}

void writeHoldsCsv(std::ostream& out, const std::vector<Hold>& holds, uint64_t first_us) {
  const int64_t first = static_cast<int64_t>(first_us);
  std::string s = holdsCsvHeader() + "\n";
  size_t n = 0;
  for (const Hold& h : holds) {
    const int64_t start = toMicros(h.start_s) - first, end = toMicros(h.end_s) - first;
    appendInt(s, ++n);
    s += ',';
    appendMicros(s, start);
    s += ',';
    appendMicros(s, end);
    s += ',';
    appendMicros(s, end - start);
    s += ',';
    if (h.release_s) appendMicros(s, toMicros(*h.release_s) - first);
    s += ',';
    if (h.release_s) appendMicros(s, toMicros(*h.release_s) - first - start);
    s += ',';
    s += csvField(h.release_source);
    s += ',';
    appendFixed(s, h.mean_force_n, kForceDecimals);
    s += ',';
    appendFixed(s, h.peak_force_n, kForceDecimals);
    s += ',';
    if (h.has_xy) appendFixed(s, h.x_mm, kPositionDecimals);
    s += ',';
    if (h.has_xy) appendFixed(s, h.y_mm, kPositionDecimals);
    s += ',';
    s += sideName(h.side);
    s += ',';
    s += sideSourceName(h.side_source);
    s += ',';
    appendFixed(s, h.step_fraction, kRatioDecimals);
    s += ',';
    appendFixed(s, h.tremor_ratio, kRatioDecimals);
    s += ',';
    appendFixed(s, h.cv_before, kRatioDecimals);
    s += ',';
    appendFixed(s, h.cv_after, kRatioDecimals);
    s += ',';
    s += boolName(h.reached_protocol_min);
    s += ',';
    s += boolName(h.exceeded_protocol_max);
    // Steadiness: all empty when there is none (force only), never zeros.
    const std::optional<HoldSteadiness>& st = h.steadiness;
    const std::pair<double, int> steady[] = {{st ? st->path_mm : 0, kSteadyDecimals},
                                             {st ? st->mean_velocity_mm_s : 0, kSteadyFineDecimals},
                                             {st ? st->ml_range_mm : 0, kSteadyDecimals},
                                             {st ? st->ap_range_mm : 0, kSteadyDecimals},
                                             {st ? st->rms_mm : 0, kSteadyFineDecimals},
                                             {st ? st->ellipse95_mm2 : 0, kSteadyDecimals}};
    for (const auto& [v, decimals] : steady) {
      s += ',';
      if (st) appendFixed(s, v, decimals);
    }
    s += ',';
    if (st) appendMicros(s, toMicros(st->measured_s));
    s += '\n';
  }
  put(out, s);
}

void writeMarkersCsv(std::ostream& out, const std::vector<Marker>& markers, uint64_t first_us) {
  std::string s = markersCsvHeader() + "\n";
  for (const Marker& m : markers) {
    appendMicros(s, sinceFirst(m.t_us, first_us));
    s += ',';
    s += markerKindName(m.kind);
    s += ',';
    if (m.kind == MarkerKind::kPain) appendInt(s, m.pain);
    s += ',';
    if (m.kind == MarkerKind::kSide) s += sideName(m.side);
    s += ',';
    s += csvField(m.text);
    s += '\n';
  }
  put(out, s);
}

void writeEventsCsv(std::ostream& out, const std::vector<ConnectionEvent>& events,
                    uint64_t first_us) {
  std::string s = eventsCsvHeader() + "\n";
  for (const ConnectionEvent& e : events) {
    appendMicros(s, sinceFirst(e.t_us, first_us));
    s += ',';
    s += connectionEventKindName(e.kind);
    s += ',';
    appendInt(s, e.frames_lost);
    s += ',';
    appendFixed(s, e.gap_s, kGapDecimals);
    s += ',';
    s += csvField(e.detail);
    s += ',';
    s += csvField(e.wall_utc);
    s += '\n';
  }
  put(out, s);
}

// [SECTION] RFC 4180 records

namespace {

constexpr size_t kMaxRecordBytes = 1024 * 1024;

bool validUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 0
                     : (c >> 5) == 0x6  ? 1
                     : (c >> 4) == 0xE  ? 2
                     : (c >> 3) == 0x1E ? 3
                                        : 9;
    if (n == 9 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n + 1;
  }
  return true;
}

// Reads one RFC 4180 record at a time from a stream, counting lines.
class RecordReader {
 public:
  explicit RecordReader(std::istream& in) : m_sb(in.rdbuf()) {}

  enum class Result { kRecord, kEnd, kError };

  // On kError, *error holds the message (without the line prefix) and line() the line at fault.
  Result next(std::vector<std::string>& fields, std::string* error) {
    fields.clear();
    m_record_line = m_line;
    if (!m_sb) return Result::kEnd;
    if (m_first) {
      m_first = false;
      if (peek() == 0xEF) {  // a UTF-8 byte-order mark
        const int a = get(), b = get(), c = get();
        if (a != 0xEF || b != 0xBB || c != 0xBF)
          return fail(error, "the file starts with bytes that are not UTF-8 text");
      }
    }
    if (peek() == EOF) return Result::kEnd;
    std::string field;
    size_t bytes = 0;
    bool quoted = false, after_quote = false;
    while (true) {
      const int c = get();
      if (++bytes > kMaxRecordBytes)
        return fail(error, "a record longer than 1 MiB: this is not one of rollrig's CSV files");
      if (c == EOF) {
        if (quoted) {
          m_line = m_record_line;
          return fail(error, "a quoted field starts on this line and is never closed");
        }
        fields.push_back(std::move(field));
        return Result::kRecord;
      }
      if (c == 0) return fail(error, "this is not a CSV text file (a NUL byte)");
      if (quoted) {
        if (c == '"') {
          if (peek() == '"') {
            get();
            field += '"';
          } else {
            quoted = false;
            after_quote = true;
          }
          continue;
        }
        if (c == '\n') ++m_line;
        field += static_cast<char>(c);
        continue;
      }
      if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        after_quote = false;
        continue;
      }
      if (c == '\r' && peek() == '\n') continue;
      if (c == '\n') {
        ++m_line;
        fields.push_back(std::move(field));
        return Result::kRecord;
      }
      if (after_quote)
        return fail(error, "a quoted field is followed by more text before the next comma");
      if (c == '"') {
        if (!field.empty())
          return fail(error,
                      "a double quote inside an unquoted field (quote the whole field and double "
                      "the quote: RFC 4180)");
        quoted = true;
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        char b[64];
        std::snprintf(b, sizeof(b), "the byte 0x%02X outside a quoted field", c);
        return fail(error, b);
      }
      field += static_cast<char>(c);
    }
  }

  size_t line() const { return m_line; }
  size_t recordLine() const { return m_record_line; }

 private:
  int get() {
    const int c = m_sb->sbumpc();
    return c == std::char_traits<char>::eof() ? EOF : static_cast<unsigned char>(c);
  }
  int peek() {
    const int c = m_sb->sgetc();
    return c == std::char_traits<char>::eof() ? EOF : static_cast<unsigned char>(c);
  }
  Result fail(std::string* error, const std::string& msg) {
    *error = msg;
    return Result::kError;
  }

  std::streambuf* m_sb;
  size_t m_line = 1;
  size_t m_record_line = 1;
  bool m_first = true;
};

using csv::shown;

struct ColumnSpec {
  const char* name;
  bool required;
};

// Reads a whole export file: the header, then one callback per data record (with its fields by
// the specs' order, "" for an absent optional column). The callback returns "" or a problem.
template <class Fn>
ExportCsvError readRecords(std::istream& in, const std::vector<ColumnSpec>& specs, const char* file,
                           Fn&& row) {
  ExportCsvError out;
  RecordReader reader(in);
  std::vector<std::string> f, header;
  std::vector<int> column(specs.size(), -1);
  std::vector<std::string> values(specs.size());
  auto fail = [&](size_t line, const std::string& msg) {
    out.error_line = line;
    out.error = line ? "line " + std::to_string(line) + ": " + msg : msg;
    return out;
  };
  bool have_header = false;
  while (true) {
    std::string problem;
    const RecordReader::Result r = reader.next(f, &problem);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kError) return fail(reader.line(), problem);
    const size_t line = reader.recordLine();
    if (std::all_of(f.begin(), f.end(), [](const std::string& s) { return s.empty(); }))
      continue;  // a blank line (or one of only commas)
    for (const std::string& s : f)
      if (!validUtf8(s)) return fail(line, "'" + shown(s) + "' is not UTF-8 text");
    if (!have_header) {
      have_header = true;
      header = f;
      std::string missing;
      for (size_t c = 0; c < specs.size(); ++c) {
        for (size_t k = 0; k < header.size(); ++k) {
          if (header[k] != specs[c].name) continue;
          if (column[c] >= 0)
            return fail(line, std::string("the header names ") + specs[c].name + " twice");
          column[c] = static_cast<int>(k);
        }
        if (column[c] < 0 && specs[c].required)
          missing += (missing.empty() ? "" : ", ") + std::string(specs[c].name);
      }
      if (!missing.empty()) {
        std::string names;
        for (const std::string& h : header) names += (names.empty() ? "" : ", ") + shown(h);
        return fail(line, "the header has no " + missing + " (it names: " + names + "); a " + file +
                              " has the header " +
                              (std::string(file) == "holds.csv"     ? holdsCsvHeader()
                               : std::string(file) == "markers.csv" ? markersCsvHeader()
                                                                    : eventsCsvHeader()));
      }
      continue;
    }
    if (f.size() != header.size())
      return fail(line, "has " + std::to_string(f.size()) + " fields where the header has " +
                            std::to_string(header.size()));
    for (size_t c = 0; c < specs.size(); ++c) values[c] = column[c] >= 0 ? f[column[c]] : "";
    const std::string problem2 = row(values);
    if (!problem2.empty()) return fail(line, problem2);
  }
  if (!have_header) return fail(0, std::string("the ") + file + " is empty (no header row)");
  return out;
}

// Field parsers: "" when fine, else a problem naming the column.
std::string parseDouble(const char* name, const std::string& s, double* v) {
  if (s.empty()) return std::string(name) + " is empty";
  if (!csv::parseNumber(s, v)) return std::string(name) + " '" + shown(s) + "' is not a number";
  if (!std::isfinite(*v)) return std::string(name) + " '" + shown(s) + "' is not a finite number";
  return "";
}

std::string parseTime(const char* name, const std::string& s, int64_t* us) {
  double t;
  std::string p = parseDouble(name, s, &t);
  if (!p.empty()) return p;
  if (std::abs(t) > 1e9) return std::string(name) + " '" + shown(s) + "' is out of range";
  *us = toMicros(t);
  return "";
}

template <typename T>
std::string parseInteger(const char* name, const std::string& s, T lo, T hi, T* v) {
  if (s.empty()) return std::string(name) + " is empty";
  int64_t x;
  if (!csv::parseNumber(s, &x))
    return std::string(name) + " '" + shown(s) + "' is not a whole number";
  if (x < static_cast<int64_t>(lo) || x > static_cast<int64_t>(hi))
    return std::string(name) + " '" + shown(s) + "' is outside " + std::to_string(lo) + " to " +
           std::to_string(hi);
  *v = static_cast<T>(x);
  return "";
}

std::string parseBool(const char* name, const std::string& s, bool* v) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "1") return *v = true, "";
  if (s == "false" || s == "False" || s == "FALSE" || s == "0") return *v = false, "";
  return std::string(name) + " '" + shown(s) + "' is not true or false";
}

bool sideFrom(const std::string& s, Side* side) {
  for (Side c : {Side::kLeft, Side::kRight, Side::kUnknown})
    if (s == sideName(c)) return *side = c, true;
  return false;
}

bool sideSourceFrom(const std::string& s, SideSource* src) {
  for (SideSource c : {SideSource::kUser, SideSource::kPlateGuess, SideSource::kNone})
    if (s == sideSourceName(c)) return *src = c, true;
  return false;
}

std::string markerTime(const char* name, const std::string& s, uint64_t first_us, uint64_t* t_us) {
  int64_t us;
  std::string p = parseTime(name, s, &us);
  if (!p.empty()) return p;
  if (us < 0 && static_cast<uint64_t>(-us) > first_us)
    return std::string(name) + " '" + shown(s) + "' is before the session's clock began";
  *t_us = us < 0 ? first_us - static_cast<uint64_t>(-us) : first_us + static_cast<uint64_t>(us);
  return "";
}

}  // namespace

// [SECTION] Readers

HoldsCsv readHoldsCsv(std::istream& in, uint64_t first_us) {
  const int64_t first = static_cast<int64_t>(first_us);
  enum {
    kStart,
    kEnd,
    kRelease,
    kSource,
    kMean,
    kPeak,
    kX,
    kY,
    kSide,
    kSideSource,
    kStep,
    kTremor,
    kCvBefore,
    kCvAfter,
    kReachedMin,
    kExceededMax,
    kCopPath,
    kCopVelocity,
    kCopMl,
    kCopAp,
    kCopRms,
    kCopEllipse,
    kCopMeasured
  };
  const std::vector<ColumnSpec> specs = {{"start_s", true},
                                         {"end_s", true},
                                         {"release_s", true},
                                         {"release_source", false},
                                         {"mean_force_N", true},
                                         {"peak_force_N", false},
                                         {"x_mm", true},
                                         {"y_mm", true},
                                         {"side", true},
                                         {"side_source", false},
                                         {"step_fraction", false},
                                         {"tremor_ratio", false},
                                         {"cv_before", false},
                                         {"cv_after", false},
                                         {"reached_protocol_min", false},
                                         {"exceeded_protocol_max", false},
                                         // Steadiness: absent from files written before it.
                                         {"cop_path_mm", false},
                                         {"cop_mean_velocity_mm_s", false},
                                         {"cop_ml_range_mm", false},
                                         {"cop_ap_range_mm", false},
                                         {"cop_rms_mm", false},
                                         {"cop_ellipse95_mm2", false},
                                         {"cop_measured_s", false}};
  HoldsCsv out;
  static_cast<ExportCsvError&>(out) =
      readRecords(in, specs, "holds.csv", [&](const std::vector<std::string>& v) -> std::string {
        Hold h;
        int64_t start, end;
        std::string p;
        if (!(p = parseTime("start_s", v[kStart], &start)).empty()) return p;
        if (!(p = parseTime("end_s", v[kEnd], &end)).empty()) return p;
        if (end < start) return "end_s " + v[kEnd] + " is before start_s " + v[kStart];
        h.start_s = static_cast<double>(start + first) / 1e6;
        h.end_s = static_cast<double>(end + first) / 1e6;
        if (!v[kRelease].empty()) {
          int64_t rel;
          if (!(p = parseTime("release_s", v[kRelease], &rel)).empty()) return p;
          if (rel < start || rel > end)
            return "release_s " + v[kRelease] + " is outside the hold (" + v[kStart] + " to " +
                   v[kEnd] + ")";
          h.release_s = static_cast<double>(rel + first) / 1e6;
        }
        if (!validUtf8(v[kSource])) return "release_source is not UTF-8 text";
        h.release_source = v[kSource];
        if (!(p = parseDouble("mean_force_N", v[kMean], &h.mean_force_n)).empty()) return p;
        if (!v[kPeak].empty() &&
            !(p = parseDouble("peak_force_N", v[kPeak], &h.peak_force_n)).empty())
          return p;
        if (v[kX].empty() != v[kY].empty())
          return "x_mm and y_mm must both have a value or both be empty (no position)";
        if (!v[kX].empty()) {
          h.has_xy = true;
          if (!(p = parseDouble("x_mm", v[kX], &h.x_mm)).empty()) return p;
          if (!(p = parseDouble("y_mm", v[kY], &h.y_mm)).empty()) return p;
        }
        if (!sideFrom(v[kSide], &h.side))
          return "side '" + shown(v[kSide]) + "' is not left, right or unknown";
        if (!v[kSideSource].empty() && !sideSourceFrom(v[kSideSource], &h.side_source))
          return "side_source '" + shown(v[kSideSource]) + "' is not user, plate guess or none";
        const std::pair<int, double*> ratios[] = {{kStep, &h.step_fraction},
                                                  {kTremor, &h.tremor_ratio},
                                                  {kCvBefore, &h.cv_before},
                                                  {kCvAfter, &h.cv_after}};
        for (const auto& [c, field] : ratios)
          if (!v[c].empty() && !(p = parseDouble(specs[c].name, v[c], field)).empty()) return p;
        if (!v[kReachedMin].empty() &&
            !(p = parseBool("reached_protocol_min", v[kReachedMin], &h.reached_protocol_min))
                 .empty())
          return p;
        if (!v[kExceededMax].empty() &&
            !(p = parseBool("exceeded_protocol_max", v[kExceededMax], &h.exceeded_protocol_max))
                 .empty())
          return p;
        size_t given = 0;
        for (int c = kCopPath; c <= kCopMeasured; ++c) given += v[c].empty() ? 0 : 1;
        if (given != 0 && given != kCopMeasured - kCopPath + 1)
          return "the cop_* steadiness columns must all have a value or all be empty (none)";
        if (given != 0) {
          HoldSteadiness st;
          const std::pair<int, double*> figures[] = {
              {kCopPath, &st.path_mm},   {kCopVelocity, &st.mean_velocity_mm_s},
              {kCopMl, &st.ml_range_mm}, {kCopAp, &st.ap_range_mm},
              {kCopRms, &st.rms_mm},     {kCopEllipse, &st.ellipse95_mm2}};
          for (const auto& [c, field] : figures) {
            if (!(p = parseDouble(specs[c].name, v[c], field)).empty()) return p;
            if (*field < 0) return std::string(specs[c].name) + " '" + v[c] + "' is negative";
          }
          int64_t measured_us;
          if (!(p = parseTime("cop_measured_s", v[kCopMeasured], &measured_us)).empty()) return p;
          if (measured_us < 0) return "cop_measured_s '" + v[kCopMeasured] + "' is negative";
          st.measured_s = static_cast<double>(measured_us) / 1e6;
          h.steadiness = st;
        }
        out.holds.push_back(std::move(h));
        return "";
      });
  if (!out.ok()) out.holds.clear();
  return out;
}

MarkersCsv readMarkersCsv(std::istream& in, uint64_t first_us) {
  enum { kTime, kKind, kPain, kSide, kNote };
  const std::vector<ColumnSpec> specs = {
      {"time_s", true}, {"kind", true}, {"pain", false}, {"side", false}, {"note", false}};
  MarkersCsv out;
  static_cast<ExportCsvError&>(out) =
      readRecords(in, specs, "markers.csv", [&](const std::vector<std::string>& v) -> std::string {
        Marker m;
        std::string p;
        if (!(p = markerTime("time_s", v[kTime], first_us, &m.t_us)).empty()) return p;
        bool known = false;
        for (MarkerKind k :
             {MarkerKind::kReleased, MarkerKind::kPain, MarkerKind::kSide, MarkerKind::kNote})
          if (v[kKind] == markerKindName(k)) m.kind = k, known = true;
        if (!known) return "kind '" + shown(v[kKind]) + "' is not released, pain, side or note";
        if (m.kind == MarkerKind::kPain &&
            !(p = parseInteger("pain", v[kPain], 0, 10, &m.pain)).empty())
          return p;
        if (m.kind == MarkerKind::kSide && !sideFrom(v[kSide], &m.side))
          return "side '" + shown(v[kSide]) + "' is not left, right or unknown";
        m.text = v[kNote];
        out.markers.push_back(std::move(m));
        return "";
      });
  if (!out.ok()) out.markers.clear();
  return out;
}

EventsCsv readEventsCsv(std::istream& in, uint64_t first_us) {
  enum { kTime, kEvent, kLost, kGap, kDetail, kWall };
  const std::vector<ColumnSpec> specs = {{"time_s", true},       {"event", true},
                                         {"frames_lost", false}, {"gap_s", false},
                                         {"detail", false},      {"wall_utc", false}};
  EventsCsv out;
  static_cast<ExportCsvError&>(out) =
      readRecords(in, specs, "events.csv", [&](const std::vector<std::string>& v) -> std::string {
        ConnectionEvent e;
        std::string p;
        if (!(p = markerTime("time_s", v[kTime], first_us, &e.t_us)).empty()) return p;
        bool known = false;
        for (ConnectionEventKind k :
             {ConnectionEventKind::kConnected, ConnectionEventKind::kDisconnected,
              ConnectionEventKind::kReconnected, ConnectionEventKind::kRefused,
              ConnectionEventKind::kDeviceReset, ConnectionEventKind::kGap})
          if (v[kEvent] == connectionEventKindName(k)) e.kind = k, known = true;
        if (!known)
          return "event '" + shown(v[kEvent]) +
                 "' is not connected, disconnected, reconnected, refused, device reset or gap";
        if (!v[kLost].empty() &&
            !(p = parseInteger<uint64_t>("frames_lost", v[kLost], 0,
                                         static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                                         &e.frames_lost))
                 .empty())
          return p;
        if (!v[kGap].empty() && !(p = parseDouble("gap_s", v[kGap], &e.gap_s)).empty()) return p;
        e.detail = v[kDetail];
        e.wall_utc = v[kWall];
        out.events.push_back(std::move(e));
        return "";
      });
  if (!out.ok()) out.events.clear();
  return out;
}

// [SECTION] Import

const char* importFormName(ImportForm f) {
  return f == ImportForm::kRawCounts ? "raw counts" : "force only";
}

namespace {

// Serves a prefix already read from a stream, then the rest of that stream: the header is
// looked at first, then the whole file is read once by the session CSV reader.
class PrefixedBuf : public std::streambuf {
 public:
  PrefixedBuf(std::string prefix, std::streambuf* rest)
      : m_prefix(std::move(prefix)), m_rest(rest) {
    char* b = m_prefix.data();
    setg(b, b, b + m_prefix.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!m_rest) return traits_type::eof();
    const std::streamsize n = m_rest->sgetn(m_buf, sizeof(m_buf));
    if (n <= 0) return traits_type::eof();
    setg(m_buf, m_buf, m_buf + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string m_prefix;
  std::streambuf* m_rest;
  char m_buf[64 * 1024];
};

// The header's fields as the session CSV reader will see them (the same skipping of blank lines,
// comments and lines of only commas); empty when none within the first lines. The bytes read
// go to *consumed.
std::vector<std::string> sniffHeader(std::streambuf* sb, std::string* consumed) {
  std::vector<std::string> fields;
  if (!sb) return fields;
  bool first = true;
  for (int lines = 0; lines < 1000; ++lines) {
    std::string line;
    bool end = false;
    while (true) {
      const int c = sb->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        end = true;
        break;
      }
      consumed->push_back(static_cast<char>(c));
      if (c == '\n') break;
      line.push_back(static_cast<char>(c));
      if (line.size() > kMaxLineBytes) return {};  // the reader will say what is wrong
    }
    csv::normaliseLine(line, first);
    first = false;
    const size_t at = line.find_first_not_of(" \t");
    if (at != std::string::npos && line[at] != '#') {
      csv::splitFields(line, fields);
      if (!std::all_of(fields.begin(), fields.end(),
                       [](const std::string& s) { return s.empty(); }))
        return fields;
    }
    if (end) break;
  }
  return {};
}

}  // namespace

SessionImportCsv readSessionCsvForImport(std::istream& in) {
  std::string prefix;
  const std::vector<std::string> header = sniffHeader(in.rdbuf(), &prefix);
  auto named = [&](const std::string& n) {
    return std::find(header.begin(), header.end(), n) != header.end();
  };
  std::string missing_raw, present_raw;
  for (int i = 0; i < kCellCount; ++i) {
    const std::string n = "cell" + std::to_string(i) + "_raw_counts";
    std::string& list = named(n) ? present_raw : missing_raw;
    list += (list.empty() ? "" : ", ") + n;
  }
  const bool raw = missing_raw.empty();

  using K = CsvValueKind;
  SessionCsvOptions opt;
  opt.columns.push_back({"time_s", K::kNumber, true, 0.0});
  opt.columns.push_back({"force_N"});
  opt.columns.push_back({"x_mm", K::kNumber, false});
  opt.columns.push_back({"y_mm", K::kNumber, false});
  const int c_marker = static_cast<int>(opt.columns.size());
  opt.columns.push_back({"marker", K::kText, false});
  const int c_cell_force = static_cast<int>(opt.columns.size());
  for (int i = 0; i < kCellCount; ++i)
    opt.columns.push_back({"cell" + std::to_string(i) + "_force_N", K::kNumber, false});
  const int c_raw = raw ? csv::addRawCountsColumns(opt) : -1;
  const int c_device = csv::addDeviceColumns(opt);

  PrefixedBuf buf(std::move(prefix), in.rdbuf());
  std::istream whole(&buf);
  SessionCsvTable t = readSessionCsv(whole, opt);
  SessionImportCsv out;
  if (!takeCsvOutcome(t, &out)) {
    if (t.error_kind == CsvErrorKind::kMissingColumn)
      out.error +=
          ": an import needs time_s and force_N, and cell0_raw_counts .. "
          "cell3_raw_counts for a session that can be re-calibrated "
          "(docs/CSV_FORMAT.md)";
    return out;
  }
  if (t.hasColumn(2) != t.hasColumn(3)) {
    out.error_kind = CsvErrorKind::kMissingColumn;
    out.error_line = t.header_line;
    out.error = "line " + std::to_string(t.header_line) + ": the header has " +
                (t.hasColumn(2) ? "x_mm but no y_mm" : "y_mm but no x_mm") +
                "; a position needs both (or neither)";
    return out;
  }
  out.form = raw ? ImportForm::kRawCounts : ImportForm::kForceOnly;
  out.has_xy_columns = t.hasColumn(2);
  out.has_cell_forces = true;
  for (int i = 0; i < kCellCount; ++i) out.has_cell_forces &= t.hasColumn(c_cell_force + i);
  if (!raw && !present_raw.empty())
    out.warnings.insert(out.warnings.begin(),
                        "line " + std::to_string(t.header_line) + ": the header has " +
                            present_raw + " but not " + missing_raw +
                            "; read as force only (it cannot be re-calibrated)");

  out.samples.reserve(t.rows());
  out.forces.reserve(t.rows());
  int64_t prev_us = -1;
  size_t prev_line = 0;
  std::vector<size_t> kept_lines;
  for (size_t r = 0; r < t.rows(); ++r) {
    const int64_t us = toMicros(t.time(r));
    if (us <= prev_us) {  // two times within the same microsecond: the first one stays
      ++out.counts.skipped[static_cast<size_t>(SkippedRow::kTimeRepeated)];
      --out.counts.used_rows;
      const std::string w = "line " + std::to_string(t.lines[r]) +
                            ": time_s rounds to the same microsecond as line " +
                            std::to_string(prev_line) + "'s; row skipped";
      if (out.warnings.size() < 10)
        out.warnings.push_back(w);
      else
        ++out.warnings_omitted;
      continue;
    }
    prev_us = us;
    prev_line = t.lines[r];
    kept_lines.push_back(t.lines[r]);
    Sample s;
    s.t_us = static_cast<uint64_t>(us);
    s.seq = static_cast<uint16_t>(out.samples.size() & 0xFFFF);
    if (raw) {
      s.channel_count = kCellCount;
      s.fresh_mask = (1u << kCellCount) - 1;
      for (int i = 0; i < kCellCount; ++i)
        s.raw_counts[i] = static_cast<int32_t>(t.value(r, c_raw + i));
    }
    csv::readDeviceColumns(t, r, c_device, s);
    ForceSample f;
    f.total_n = t.value(r, 1);
    for (int i = 0; i < kCellCount; ++i) {
      const double v = t.value(r, c_cell_force + i);
      f.force_n[i] = std::isnan(v) ? 0.0 : v;
    }
    const double x = t.value(r, 2), y = t.value(r, 3);
    if (!std::isnan(x) && !std::isnan(y)) {
      f.has_cop = true;
      f.x_mm = x;
      f.y_mm = y;
    }
    out.samples.push_back(s);
    out.forces.push_back(f);
  }
  for (const CsvText& m : t.texts) {
    if (m.column != c_marker) continue;
    Marker mk;
    mk.t_us = static_cast<uint64_t>(toMicros(m.t_s));
    int pain = -1;
    if (m.text == "released") {
      mk.kind = MarkerKind::kReleased;
    } else if (m.text == "side=left" || m.text == "side=right") {
      mk.kind = MarkerKind::kSide;
      mk.side = m.text == "side=left" ? Side::kLeft : Side::kRight;
    } else if (m.text.rfind("pain=", 0) == 0 && csv::parseNumber(m.text.substr(5), &pain) &&
               pain >= 0 && pain <= 10) {
      mk.kind = MarkerKind::kPain;
      mk.pain = pain;
    } else {
      mk.kind = MarkerKind::kNote;
      mk.text = m.text;
    }
    out.markers.push_back(std::move(mk));
  }
  out.ok = true;
  return out;
}

}  // namespace rollrig::core

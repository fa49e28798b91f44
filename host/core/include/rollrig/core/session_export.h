// A session's holds, markers and connection events as CSV files (`rollrig export`: holds.csv,
// markers.csv, events.csv beside samples.csv), their readers (`rollrig import` of an export
// directory), and reading a session CSV of either form for import (`rollrig import FILE.csv`).
// The user's version, with every column, is docs/CSV_FORMAT.md ("Exports").
//
// The files: RFC 4180 (a field holding a comma, a double quote, CR or LF is quoted, its quotes
// doubled; `\n` ends a record), UTF-8, one header row whose names carry units like samples.csv's
// (time_s, force_N, x_mm). Numbers are formatted with std::to_chars, never the stream's locale, so
// the decimal point is '.' everywhere, with a fixed precision per column: times 6 decimals (1 us),
// forces 4, positions 2, ratios 4. Every value a writer prints is one a reader reads back to the
// value that prints the same way, and derived columns (duration_s, time_to_release_s) are
// computed from the printed times in whole microseconds, so write -> read -> write is
// byte-identical. Times are seconds since the session's first sample, like samples.csv's time_s.
//
// The readers map columns by header name (other columns are ignored, in any order), accept a
// UTF-8 byte-order mark and `\r\n`, skip blank lines, and refuse a file on its first malformed
// record with a message that starts "line N: " (the line where that record starts). They never
// throw on content; a reader's result is a value.
//
// Pure and reentrant: streams in, streams out; the caller owns them and checks them for errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "rollrig/core/force_model.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_csv_reader.h"
#include "rollrig/core/session_events.h"

namespace rollrig::core {

// [SECTION] Writers

// The header rows, without the line end (for tests and docs).
std::string holdsCsvHeader();
std::string markersCsvHeader();
std::string eventsCsvHeader();

// holds.csv: one row per hold, numbered from 1. Hold times are in the seconds the analyser was
// fed; first_sample_t_us is the first sample's time on that clock in microseconds (0 when the
// analyser was fed seconds since the first sample already), and is subtracted.
void writeHoldsCsv(std::ostream& out, const std::vector<Hold>& holds,
                   uint64_t first_sample_t_us = 0);
// markers.csv / events.csv: t_us is device time; rows are written at (t_us - first_sample_t_us)
// seconds, in the order given (the engine makes them in time order).
void writeMarkersCsv(std::ostream& out, const std::vector<Marker>& markers,
                     uint64_t first_sample_t_us);
void writeEventsCsv(std::ostream& out, const std::vector<ConnectionEvent>& events,
                    uint64_t first_sample_t_us);

// RFC 4180: the field as it goes into a record (quoted only when it must be).
std::string csvField(const std::string& text);

// [SECTION] Readers of the exports

struct ExportCsvError {
  std::string error;      // "" when ok; else a sentence, "line N: ..." when one line is at fault
  size_t error_line = 0;  // 1-based; 0 when no single line is at fault (e.g. an empty file)
  bool ok() const { return error.empty(); }
};

struct HoldsCsv : ExportCsvError {
  std::vector<Hold> holds;
};
struct MarkersCsv : ExportCsvError {
  std::vector<Marker> markers;  // t_us = first_sample_t_us + time_s in whole microseconds
};
struct EventsCsv : ExportCsvError {
  std::vector<ConnectionEvent> events;
};

// The inverse of the writers: times come back on the clock the writer was given (+ first).
HoldsCsv readHoldsCsv(std::istream& in, uint64_t first_sample_t_us = 0);
MarkersCsv readMarkersCsv(std::istream& in, uint64_t first_sample_t_us = 0);
EventsCsv readEventsCsv(std::istream& in, uint64_t first_sample_t_us = 0);

// [SECTION] Reading a session CSV for import

// Which form a session CSV has. kRawCounts: ours (docs/CSV_FORMAT.md), with the four
// cell*_raw_counts: the session can be re-calibrated and re-analysed. kForceOnly: the minimal
// `time_s,force_N[,x_mm,y_mm]` form (or ours without raw counts): forces as given, so the session
// can be re-analysed but never re-calibrated, and without x_mm/y_mm its holds have no position.
enum class ImportForm { kRawCounts, kForceOnly };
const char* importFormName(ImportForm f);  // "raw counts", "force only"

struct SessionImportCsv {
  bool ok = false;
  CsvErrorKind error_kind = CsvErrorKind::kNone;
  std::string error;      // "line N: ..." when one line is at fault, when !ok
  size_t error_line = 0;  // 1-based; 0 when no single line is at fault
  ImportForm form = ImportForm::kForceOnly;
  bool has_xy_columns = false;
  bool has_cell_forces = false;  // cell0..3_force_N were read (else ForceSample::force_n is 0)
  // One per usable row, in time order. t_us = time_s in whole microseconds (the file's time is
  // kept: the first row need not be at 0). kRawCounts: raw_counts, channel_count 4 and seq,
  // lost_before, flags, fresh_mask as the file gives them (absent columns: seq counts rows,
  // lost_before 0, flags 0, fresh_mask 15). kForceOnly: channel_count 0, seq counts rows.
  std::vector<Sample> samples;
  std::vector<ForceSample> forces;  // the file's forces and position for each sample
  // From a `marker` column: `released`, `side=left|right`, `pain=N` (N 0-10), anything else a
  // note with that text; at its row's time.
  std::vector<Marker> markers;
  CsvRowCounts counts;  // the session CSV reader's policy: unusable rows skipped and counted
  std::vector<std::string> warnings;  // "line N: ...", the first ones
  size_t warnings_omitted = 0;
};

// The one session CSV reader (readSessionCsv) with the columns of both forms; the form is the
// header's: all four cell*_raw_counts -> kRawCounts; some but not all -> kForceOnly with a
// warning naming the missing ones. Requires time_s (>= 0) and force_N; x_mm/y_mm both or neither.
SessionImportCsv readSessionCsvForImport(std::istream& in);

}  // namespace rollrig::core

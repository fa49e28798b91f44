// The session library's operations behind `rollrig sessions / show / export / import / reanalyze /
// history` (and later the GUI's library view): everything that turns stored raw samples back into
// forces and holds, writes a session out as files, and brings files back in. Front ends only open
// the store, call these and print. The user's version is README.md ("Session library"),
// docs/STORE.md ("Reanalysis, export and import") and docs/CSV_FORMAT.md.
//
// Navigate by the [SECTION] markers: Errors, Forces, Edits, Reanalysis, Recovery, Details, Edit
// operations, Export, Import, History, Replay.
//
// The pipeline (one for reanalysis, recovery and export, the same as a live recording's):
//   - the session's stored calibrations, each from its from_t_us on (ties: the one added last);
//   - ForceModel per sample, and, when the session recorded with auto-zero, a DriftTracker fed
//     each sample after its force is computed (a re-zero applies from the next sample, as live);
//     a new calibration starts a new DriftTracker. A session recorded with auto-zero is one with
//     stored re-zeroes: the tracker is deterministic, so a session whose tracker never fired gives
//     the same forces without it (the store has no field for the switch itself);
//   - SessionAnalyzer on t_s = (t_us - first t_us) / 1e6, with the stored markers: `released`
//     -> markReleased, `side` -> markSide, each applied before the first sample later than it.
//
// Force-only sessions (imported from the minimal `time_s,force_N[,x_mm,y_mm]` form): the store
// keeps raw samples only, so such a session stores, per row, channel 0 = force in units of
// kForceOnlyNPerCount (0.1 mN, the precision of force_N), and, when the file had x_mm/y_mm,
// channels 1, 2 = the position in units of kForceOnlyMmPerCount (0.01 mm), kForceOnlyNoPosition
// where the row had none. Its calibration record's source is kForceOnlySource. Nothing is made up:
// no per-cell forces, no position where the file had none; it is analysed force only without
// positions, and can never be re-calibrated.
//
// Thread safety: each function uses the store it is given on the caller's thread (a SessionStore
// has one owner). Errors are values; nothing throws across this API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/calibration.h"
#include "rollrig/core/history.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_events.h"
#include "rollrig/core/session_export.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/store/session_store.h"

namespace rollrig::engine {

// [SECTION] Errors

enum class LibraryErrorKind {
  kNone = 0,
  kStore,     // the library could not be opened, read or written (store_kind says how)
  kNotFound,  // no session with that id
  kInput,     // an input file is missing, unreadable or malformed (line says where, when it can)
  kOutput,    // an output file or directory could not be written, or exists (see --force)
  kRefused,   // a request that makes no sense for this session (re-calibrating a force-only one)
};

struct LibraryError {
  LibraryErrorKind kind = LibraryErrorKind::kNone;
  store::StoreErrorKind store_kind = store::StoreErrorKind::kNone;  // kind == kStore
  std::string message;  // a complete, user-facing sentence
  size_t line = 0;      // kInput: 1-based line at fault, 0 when none

  explicit operator bool() const { return kind != LibraryErrorKind::kNone; }
};

// [SECTION] Forces

inline constexpr char kForceOnlySource[] = "force only (imported forces, no raw counts)";
inline constexpr double kForceOnlyNPerCount = 1e-4;
inline constexpr double kForceOnlyMmPerCount = 1e-2;
inline constexpr int32_t kForceOnlyNoPosition = INT32_MIN;

// What the stored samples of a session are.
struct SessionKind {
  bool force_only = false;   // imported forces (see above), no raw counts
  bool has_position = true;  // force-only: the file had x_mm/y_mm
  bool auto_zero = false;    // re-zeroes were stored (see above)
};

// [SECTION] Edits (docs/STORE.md "Version 4", docs/HISTORY.md)
//
// What the user (or their physio) said about a session afterwards is stored beside the detector's
// result, never over it: release edits name a hold by its start time, markers are changed by new
// rows. The *effective* view is the detector's holds with the newest edit of each applied; it is
// what `show`, the replay, the exports and the history use. SessionDetails carries both.

// An edit names the hold whose start lies nearest its hold_start_s, within this many seconds (a
// reanalysis with another calibration may move a hold's start by a sample or two; holds start
// further apart than the analyser's dwell, 5 s, so this never picks a neighbour).
inline constexpr double kEditHoldMatch_s = store::kReleaseEditMatch_s;

// What a hold's release looks like after its edits.
struct HoldEditState {
  std::optional<store::ReleaseEdit> edit;    // the edit in effect (the newest); none: as detected
  std::optional<double> detected_release_s;  // the detector's (session seconds)
  std::string detected_source;               // the detector's release_source
  bool edited() const { return edit && edit->kind != store::ReleaseEditKind::kReverted; }
};

struct EffectiveHolds {
  std::vector<core::Hold> holds;             // the detector's, edits applied, same order
  std::vector<HoldEditState> states;         // one per hold
  std::vector<store::ReleaseEdit> orphaned;  // edits whose hold is gone (after a reanalysis)
};

// Applies `edits` (any order; the newest id wins per hold) to the detector's holds. A confirmed
// release keeps the detector's time and source; a moved one gets release_s = the edit's time and
// release_source kEditedSource; a deleted one none; reverted is as detected. reached_protocol_min
// follows the effective release (lasted >= params.protocol_min_s, or released). Pure.
inline constexpr char kEditedSource[] = "edited";
EffectiveHolds applyReleaseEdits(const std::vector<core::Hold>& detected,
                                 const std::vector<store::ReleaseEdit>& edits,
                                 const core::HoldParams& params = {});

// [SECTION] Reanalysis

struct ReanalyzeOptions {
  // Use this calibration instead of the stored one: it is added to the session from its first
  // sample on (so exports use it too; a later recalibration stored in the session still takes
  // over at its time). Refused (kRefused) for a force-only session.
  std::optional<core::CalibrationRecord> calibration;
  core::HoldParams params;
  bool write = true;  // replace the stored holds (replaceHolds + commit); false: only report
};

struct ReanalyzeResult {
  int64_t session_id = 0;
  SessionKind kind;
  uint64_t samples = 0;
  size_t rezeros = 0;             // re-zeroes the DriftTracker made in this run
  std::vector<core::Hold> holds;  // the detector's new holds (edits are kept apart, see Edits)
  core::SessionSummary summary;
  // Edits that named a hold the new analysis no longer finds: kept in the library (a later
  // reanalysis may find the hold again) but applied to nothing; front ends say so.
  std::vector<store::ReleaseEdit> orphaned_edits;
};

// Re-runs the pipeline over the session's stored samples and (options.write) stores the holds.
// Errors: kNotFound, kStore, kRefused. `store` must be open read-write when writing.
LibraryError reanalyzeSession(store::SessionStore& store, int64_t session_id,
                              const ReanalyzeOptions& options, ReanalyzeResult* out);

// [SECTION] Recovery

struct RecoveredSession {
  int64_t session_id = 0;
  std::string started_utc;
  uint64_t samples = 0;  // samples the recorder had committed
  size_t holds = 0;      // holds re-derived from them
};

// For every session the store lists as unfinished (its recorder died: no end reason, no live
// lock): re-derives its holds from the samples and closes it as store::kEndRecovered. Stops at
// the first store error (sessions recovered so far are in *out). Read-write store.
LibraryError recoverInterruptedSessions(store::SessionStore& store,
                                        std::vector<RecoveredSession>* out);

// [SECTION] Details (what `rollrig show` prints)

struct SessionDetails {
  store::SessionRecord record;
  SessionKind kind;
  std::vector<store::StoredCalibration> calibrations;
  std::vector<core::ReZero> rezeros;
  std::vector<core::Hold> holds;           // effective: the detector's with the edits applied
  std::vector<core::Hold> detected_holds;  // as the detector stored them (same order)
  std::vector<HoldEditState> hold_edits;   // per hold (same order): its edit and detected values
  std::vector<store::ReleaseEdit> release_edits;   // every release edit, oldest first
  std::vector<store::ReleaseEdit> orphaned_edits;  // edits whose hold is gone
  std::vector<core::Marker> markers;               // effective (store::loadMarkers)
  std::vector<store::StoredMarker> marker_rows;    // every marker row with its id and edits
  std::vector<core::ConnectionEvent> events;
};

LibraryError loadSessionDetails(store::SessionStore& store, int64_t session_id,
                                SessionDetails* out);

// [SECTION] Edit operations
//
// Each writes one short transaction through `store` (open read-write; another connection, e.g. a
// live recording, only waits for it, within its busy timeout). `now_utc`: the edit's wall time
// (ISO 8601 UTC); "" takes the host clock. Errors: kNotFound (no such session, hold or marker),
// kRefused (a time outside the hold or the session, a pain outside 0-10, a deleted marker),
// kStore.

// Edits the release of the hold starting within kEditHoldMatch_s of hold_start_s (session
// seconds). kMoved: the release is at t_s, which must lie inside the hold.
LibraryError editRelease(store::SessionStore& store, int64_t session_id, double hold_start_s,
                         store::ReleaseEditKind kind, double t_s = 0,
                         const std::string& now_utc = "");

// Adds a marker after the fact at session time t_s (0 .. the session's duration); `marker`'s t_us
// is ignored. *id (optional): the new marker's id.
LibraryError addMarkerAfter(store::SessionStore& store, int64_t session_id, double t_s,
                            core::Marker marker, const std::string& now_utc = "",
                            int64_t* id = nullptr);

// What to change in a marker; unset fields stay as they are.
struct MarkerChange {
  std::optional<double> t_s;  // session seconds
  std::optional<core::MarkerKind> kind;
  std::optional<int> pain;  // 0-10 (sets kind pain)
  std::optional<core::Side> side;
  std::optional<std::string> text;
};
LibraryError editMarker(store::SessionStore& store, int64_t session_id, int64_t marker_id,
                        const MarkerChange& change, const std::string& now_utc = "",
                        int64_t* new_id = nullptr);
LibraryError deleteMarker(store::SessionStore& store, int64_t session_id, int64_t marker_id,
                          const std::string& now_utc = "");

// session.json's text (docs/STORE.md, "session.json"): metadata, calibrations, re-zeroes, counts.
// `summary` (optional) adds the analyser's summary of the samples. Pretty-printed, ends with \n.
std::string sessionJsonText(const SessionDetails& d, const core::SessionSummary* summary);

// [SECTION] Export

struct ExportOptions {
  bool force = false;  // write into a non-empty directory, replacing our files there
};

struct ExportResult {
  std::vector<std::string> files;  // paths written, in order
  uint64_t samples = 0;
};

// Writes DIR/samples.csv (raw-count sessions: the session CSV exactly as `rollrig record --out`
// writes it, forces from the pipeline; force-only sessions: `time_s,force_N[,x_mm,y_mm]`),
// holds.csv, markers.csv, events.csv and session.json. Creates DIR if needed; refuses a non-empty
// DIR unless options.force. Each file is written to a temporary name beside it and renamed into
// place once complete, so an existing file is never cut short. Errors: kNotFound, kStore, kOutput.
LibraryError exportSession(store::SessionStore& store, int64_t session_id, const std::string& dir,
                           const ExportOptions& options, ExportResult* out);

// [SECTION] Import

struct ImportOptions {
  std::string now_utc;  // the import's time (ISO 8601 UTC) for a start time the files lack; ""
                        // takes the host clock
  core::HoldParams params;
};

struct ImportResult {
  int64_t session_id = 0;
  core::ImportForm form = core::ImportForm::kForceOnly;
  bool has_position = false;
  uint64_t samples = 0;
  size_t holds = 0;
  size_t markers = 0;
  std::vector<std::string> used;  // what else was read: "session.json", "FILE.csv.meta.json", ...
  std::string skipped;            // the reader's "3 of 2400 rows skipped (...)", or ""
  std::vector<std::string> warnings;  // "line N: ..." (the first ones)
  size_t warnings_omitted = 0;
};

// Brings a session CSV into the library as a new, ended session and analyses it. Our form (raw
// counts) takes, when they sit beside it: for a file named samples.csv, the export's session.json
// (metadata, calibrations, re-zeroes, first sample time), markers.csv and events.csv; else the
// recording's sidecar FILE.csv.meta.json (device, start, calibration, re-zeroes); else a
// calibration fitted to the file's own cell force columns. The minimal form becomes a force-only
// session (see above). Malformed input (the CSV, or a session.json/markers.csv/events.csv beside
// it): kInput with the file and line, and nothing is added to the library. Read-write store.
LibraryError importSessionCsv(store::SessionStore& store, const std::string& path,
                              const ImportOptions& options, ImportResult* out);

// [SECTION] History

// Every hold of every session, with its session's id and start (for core::buildHistory): the
// effective holds, so a confirmed, moved or deleted release counts as the user said.
LibraryError historyHolds(store::SessionStore& store, std::vector<core::HistoryHold>* out);

// [SECTION] Replay

// Every sample of the session `d` (from loadSessionDetails) with its force, in order, in batches
// of up to a chunk: the pipeline above (calibrations in their time, the DriftTracker when the
// session re-zeroed), without analysis; t_s is session time (seconds since the first sample).
// What the GUI's replay draws. `batch` returns false to stop early (not an error).
LibraryError forEachProcessedSample(
    store::SessionStore& store, const SessionDetails& d,
    const std::function<bool(const std::vector<ProcessedSample>&)>& batch);

}  // namespace rollrig::engine

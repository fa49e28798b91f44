// SessionStore: the session library, one SQLite file holding every recorded session: its
// metadata, its raw samples (compact chunks, so any session can be re-calibrated and re-analysed),
// the calibrations and re-zeroes used, the holds the analyser found, the user's markers and the
// connection's events. Schema, migrations and durability: docs/STORE.md.
//
// Navigate by the [SECTION] markers: Paths, Records, Opening, Writing, Recovery, Reading.
//
// Who uses it how:
//   - One writer: the engine's recording thread opens the library read-write, begins a session,
//     appends samples and events as they come (buffered in memory, no SQL), and calls commit() on
//     its own timer (every 200 ms: a killed recorder's library then lags the rig by at most
//     250 ms of device time); each commit is one transaction. The store has no clock:
//     times arrive in the data (device time, t_us) or from the caller (ISO 8601 UTC strings).
//   - Readers: other threads or processes (`rollrig sessions` while a recording runs) open their
//     own SessionStore, usually OpenMode::kReadOnly. SQLite's WAL lets them read everything
//     committed while the writer goes on; they never see half a commit.
//
// Durability: WAL with synchronous=NORMAL. After commit() returns kNone the data survives a
// killed process (kill -9, a crash); a power cut may lose the last commits (OpenOptions::
// synchronous_full closes that at some cost). A failed commit (a full disk) rolls back as a whole:
// nothing half-written, everything committed before stays readable, and the buffered data is kept
// so a later commit() may retry it.
//
// Errors are values (StoreError, store_error.h); nothing throws across this API.
//
// Thread safety: a SessionStore is used by one thread at a time (its owner). Use one object per
// thread; any number of objects, in any processes, may open the same file.
//
// Units: t_us is device time in microseconds (core::Sample::t_us, unwrapped and continued across
// reconnects by the engine); hold times are seconds since the session's first sample, as
// core::SessionAnalyzer reports them; forces N; positions mm; masses kg.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/calibration.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_events.h"
#include "rollrig/store/store_error.h"

namespace rollrig::store {

// The newest schema this build knows (PRAGMA user_version); older libraries are migrated forward
// on opening read-write, newer ones are refused (kNewerSchema) and left untouched.
inline constexpr int kSchemaVersion = 4;
// PRAGMA application_id of a rollrig library ("RolR"): tells our file from another program's.
inline constexpr int32_t kApplicationId = 0x526F6C52;

// At most this many samples per stored chunk (1.6 s at 80 Hz): each commit grows the session's
// last chunk up to this size, then starts a new one.
inline constexpr size_t kChunkSamples = 128;

// How a session ended (sessions.end_reason). The engine may use other words; "" means the session
// is still being recorded, or its recorder died (see unfinishedSessions()).
inline constexpr char kEndStopped[] = "stopped";           // the user stopped it
inline constexpr char kEndSourceEnded[] = "source ended";  // a file or demo ran out
inline constexpr char kEndError[] = "error";               // recording stopped by an error
inline constexpr char kEndRecovered[] = "interrupted (recovered)";

// [SECTION] Paths

// $ROLLRIG_DB, else $XDG_DATA_HOME/rollrig/sessions.db (an absolute XDG_DATA_HOME only, as the
// XDG spec says), else $HOME/.local/share/rollrig/sessions.db, else ./rollrig-sessions.db.
std::string defaultLibraryPath();

// [SECTION] Records

// What describes a session; given at beginSession(), changed later with updateSession().
struct SessionInfo {
  std::string started_utc;       // ISO 8601 UTC, e.g. "2026-11-29T09:51:45Z" (the caller's clock)
  std::string source;            // e.g. "virtual rig", "/dev/ttyACM0", "import: run.csv"
  uint32_t device_serial = 0;    // INFO device_serial; 0: unknown
  std::string firmware_version;  // e.g. "0.1.0"; "" unknown
  std::string protocol_version;  // e.g. "1.0"; "" unknown
  double nominal_rate_hz = 0;    // INFO nominal rate; 0 unknown
  int cell_count = 0;            // INFO channel count; 0 unknown
  std::string sides;             // side(s) treated: "left", "right", "left,right" or ""
  std::string ball;              // ball type, free text
  std::optional<double> body_mass_kg;
  std::string notes;  // UTF-8 free text
};

// Fields to change on a session; unset ones are left as they are.
struct SessionPatch {
  std::optional<std::string> source, firmware_version, protocol_version, sides, ball, notes;
  std::optional<uint32_t> device_serial;
  std::optional<double> nominal_rate_hz;
  std::optional<int> cell_count;
  std::optional<std::optional<double>> body_mass_kg;  // {std::nullopt}: clear it
};

struct SessionRecord {
  int64_t id = 0;
  SessionInfo info;
  std::string ended_utc;   // ISO 8601 UTC; "" while recording
  std::string end_reason;  // kEnd* or the engine's words; "" while recording (or never ended)
  // The committed samples: device time of the first and last, how many, and the sum of their
  // lost_before. Stored on the session's row when it ends; for a session still open (or whose
  // recorder died) they are summed from its chunks on reading (docs/STORE.md).
  std::optional<uint64_t> first_t_us;
  std::optional<uint64_t> last_t_us;
  uint64_t sample_count = 0;
  uint64_t frames_lost = 0;

  bool ended() const { return !end_reason.empty(); }
  double duration_s() const {  // first to last sample, device time
    return first_t_us && last_t_us ? static_cast<double>(*last_t_us - *first_t_us) * 1e-6 : 0.0;
  }
};

// One line of `rollrig sessions`: cheap to list (no sample is decoded).
struct SessionListEntry {
  int64_t id = 0;
  std::string started_utc;
  std::string ended_utc;
  std::string end_reason;
  double duration_s = 0;  // first to last sample, device time
  uint32_t device_serial = 0;
  std::string sides;
  uint64_t sample_count = 0;
  uint64_t frames_lost = 0;
  int holds = 0;
  int releases = 0;  // holds with a release in effect (detected or marked, with the edits applied)
  bool recording = false;  // a live rollrig is recording it right now (see unfinishedSessions())
};

// A calibration the session used from device time from_t_us on (the first one usually from the
// first sample; another after a recalibration). The record round-trips whole (docs/STORE.md).
struct StoredCalibration {
  uint64_t from_t_us = 0;
  core::CalibrationRecord record;
};

// [SECTION] Edits: what was said about a session afterwards (schema v4, docs/STORE.md)
//
// The detector's holds and the markers said during the session are never changed by an edit: an
// edit is a row beside them, so both the original and the edited values can always be shown.

enum class ReleaseEditKind {
  kConfirmed,  // the detected release is right (or, with no detected release, that none came)
  kMoved,      // the release was at release_s instead (session seconds)
  kDeleted,    // there was no release in this hold
  kReverted,   // back to the detector's value, unconfirmed (an earlier edit undone)
};
const char* releaseEditKindName(ReleaseEditKind k);  // "confirmed", "moved", "deleted", "reverted"
// False for a name that is none of those.
bool releaseEditKindFromName(const std::string& name, ReleaseEditKind* out);

// An edit names the hold whose start lies nearest its hold_start_s, within this many seconds
// (engine::applyReleaseEdits; listSessions() counts releases the same way).
inline constexpr double kReleaseEditMatch_s = 2.0;

// One edit of a hold's release. The hold is named by its start (session seconds, the stored
// hold's start_s) rather than its number: reanalysis may renumber holds (engine::applyReleaseEdits
// matches it to a hold). The newest edit of a hold (largest id) is the one in effect.
struct ReleaseEdit {
  int64_t id = 0;  // assigned by the store
  double hold_start_s = 0;
  ReleaseEditKind kind = ReleaseEditKind::kConfirmed;
  std::optional<double> release_s;  // kMoved: the new release time, session seconds
  std::string edited_utc;           // ISO 8601 UTC wall time of the edit, from the caller
};

// A marker row with its identity and its edit state. A marker said during the session has
// added_utc ""; one added after the fact has its wall time. Changing a marker adds a row that
// `replaces` the old one (the old row is kept); deleting one sets deleted_utc (the row is kept).
struct StoredMarker {
  int64_t id = 0;  // markers.id: what `rollrig mark --edit-marker / --delete-marker` name
  core::Marker marker;
  std::string added_utc;            // "" : said during the session
  std::optional<int64_t> replaces;  // this row is a change of that marker row
  std::string deleted_utc;          // "" : not deleted
  bool superseded = false;          // a later row replaces this one (read-only, from the store)
  bool effective() const { return deleted_utc.empty() && !superseded; }
};

// [SECTION] Opening

enum class OpenMode {
  kReadWrite,  // creates the file and its directory if needed; migrates an older schema
  kReadOnly,   // never writes (SQLITE_OPEN_READONLY; on read-only media with no -wal beside the
               // file, SQLite's immutable mode); a missing file is kCannotOpen
};

struct OpenOptions {
  OpenMode mode = OpenMode::kReadWrite;
  int busy_timeout_ms = 5000;     // how long to wait for another connection's lock
  bool synchronous_full = false;  // FULL: a power cut loses no commit either (an fsync each)
  // Caps the file at this many pages (PRAGMA max_page_count; 4096-byte pages); 0: no cap. A
  // write past it fails with kFull exactly like a full disk, which is how tests make one.
  int64_t max_pages = 0;
};

class SessionStore {
 public:
  SessionStore();
  // Closes the library. Buffered writes not yet committed are discarded: commit() first.
  ~SessionStore();
  // A moved-from store may only be destroyed or assigned to.
  SessionStore(SessionStore&&) noexcept;
  SessionStore& operator=(SessionStore&&) noexcept;
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Opens (or, read-write, creates) the library at `path`: WAL, synchronous=NORMAL, foreign keys,
  // a busy timeout, then the schema is checked and migrated forward, one transaction per step.
  // Errors: kCannotOpen (no such file read-only, a directory that cannot be made), kReadOnly
  // (cannot write there; or an older library opened read-only), kNotALibrary (not SQLite, another
  // program's database, damaged), kNewerSchema (left untouched), kBusy, kSystem. On error the
  // object stays closed.
  StoreError open(const std::string& path, const OpenOptions& options = {});
  void close();  // as the destructor
  bool isOpen() const;
  const std::string& path() const;
  int schemaVersion() const;  // of the open library (kSchemaVersion once migrated)

  // [SECTION] Writing (one writer)
  //
  // beginSession() and endSession() commit at once (with anything buffered); the add*/append*/
  // replace*/update* calls only buffer and cost no I/O; commit() writes the buffer in one
  // transaction. Ids that name no session are reported by the commit (kNotFound) and their
  // buffered data dropped.

  // Creates the session's row and returns its id, and marks the session as being recorded by
  // this store until endSession(), deleteSession() or close() (see unfinishedSessions()). Fails
  // when the library is read-only or full.
  StoreError beginSession(const SessionInfo& info, int64_t* id);
  // Samples in device-time order, as the decoder delivers them (any cell count up to
  // proto::kMaxChannels; counts past channel_count are not stored).
  void appendSamples(int64_t session, const core::Sample* samples, size_t n);
  void appendSamples(int64_t session, const std::vector<core::Sample>& samples) {
    appendSamples(session, samples.data(), samples.size());
  }
  void addCalibration(int64_t session, uint64_t from_t_us, const core::CalibrationRecord& record);
  void addReZero(int64_t session, const core::ReZero& rezero);
  void addMarker(int64_t session, const core::Marker& marker);
  void addConnectionEvent(int64_t session, const core::ConnectionEvent& event);
  // The session's holds become exactly these at the next commit (the analyser's view changes as
  // holds close; reanalysis replaces them all). Times: s since the session's first sample.
  void replaceHolds(int64_t session, std::vector<core::Hold> holds);
  void updateSession(int64_t session, const SessionPatch& patch);

  // Writes everything buffered in one transaction. kNone: all of it is in the library and
  // survives a killed process. On error (kFull, kReadOnly, kBusy, kSystem) the transaction is
  // rolled back as a whole, what was committed before is intact, and the buffer is kept (a later
  // commit retries it); kNotFound drops the data of sessions that do not exist.
  StoreError commit();
  size_t pendingSamples() const;  // buffered, not yet committed
  bool hasPending() const;

  // Ends a session: commits everything buffered, then, in one transaction, writes its sample
  // counters and how it ended (`reason`, e.g. kEndStopped) and when (ISO 8601 UTC; "" derives it
  // from the start time plus the samples' duration, whole seconds). A later append to the same
  // session starts a new chunk; the counters are then refreshed only by another end.
  StoreError endSession(int64_t session, const std::string& reason, const std::string& ended_utc);

  // [SECTION] Recovery
  //
  // A recorder that died (kill -9, a crash, a power cut) leaves its session with no end reason.
  // On the next start the engine lists them, re-derives their holds from the stored samples
  // (replaceHolds + commit) and closes them with finishInterrupted().

  // Sessions with no end reason whose recorder is gone, oldest first: the ones to recover. A
  // session being recorded right now by a live SessionStore (in this process or another) is left
  // out: beginSession() takes a lock for it (an OFD byte lock on "<library>-recording", released
  // by endSession(), close() or the recorder's death, kill -9 included).
  StoreError unfinishedSessions(std::vector<SessionRecord>* out);
  // Recomputes the session's first/last sample time, sample count and frames lost from its stored
  // chunks, and sets its end reason and end time ("" derives it as in endSession()). Commits.
  StoreError finishInterrupted(int64_t session, const std::string& reason = kEndRecovered,
                               const std::string& ended_utc = "");

  // [SECTION] Reading (committed data only; any connection)

  StoreError listSessions(std::vector<SessionListEntry>* out);  // oldest first
  StoreError loadSession(int64_t session, SessionRecord* out);  // kNotFound
  // Samples with from_t_us <= t_us <= to_t_us (all by default), in order, replacing *out.
  StoreError loadSamples(int64_t session, std::vector<core::Sample>* out, uint64_t from_t_us = 0,
                         uint64_t to_t_us = UINT64_MAX);
  // The same, one stored chunk at a time (at most kChunkSamples samples, already cut to the
  // range), so hours of samples never sit in memory at once. `visit` returns false to stop early.
  // A chunk that does not decode is kNotALibrary naming the session and the chunk.
  using ChunkVisitor = std::function<bool(const std::vector<core::Sample>& samples)>;
  StoreError forEachSampleChunk(int64_t session, uint64_t from_t_us, uint64_t to_t_us,
                                const ChunkVisitor& visit);
  StoreError loadCalibrations(int64_t session, std::vector<StoredCalibration>* out);
  StoreError loadReZeros(int64_t session, std::vector<core::ReZero>* out);
  StoreError loadHolds(int64_t session, std::vector<core::Hold>* out);  // by start time
  // The session's markers in effect, by time: what was said during the session and added
  // afterwards, with changes applied; deleted and replaced rows left out (schema v4 edits).
  StoreError loadMarkers(int64_t session, std::vector<core::Marker>* out);
  // Every marker row, originals, changes and deleted ones included, by time then id.
  StoreError loadMarkerRows(int64_t session, std::vector<StoredMarker>* out);
  StoreError loadConnectionEvents(int64_t session, std::vector<core::ConnectionEvent>* out);

  // [SECTION] Edits (each one short transaction of its own, committed at once: an edit made in
  // the replay never holds the write lock a live recording needs for more than one statement or
  // two; buffered data of this store is not touched)

  // Records an edit of the release of the hold starting at edit.hold_start_s (kNotFound: no such
  // session; kBadInput: kMoved without release_s). *id (optional): the new edit's id.
  StoreError addReleaseEdit(int64_t session, const ReleaseEdit& edit, int64_t* id = nullptr);
  StoreError loadReleaseEdits(int64_t session, std::vector<ReleaseEdit>* out);  // oldest first
  // A marker added after the session (added_utc: the edit's wall time, not "").
  StoreError addMarkerAfter(int64_t session, const core::Marker& marker,
                            const std::string& added_utc, int64_t* id = nullptr);
  // Replaces marker `marker_id` of the session by `marker`: a new row that replaces it (the old one
  // is kept). A marker already changed is followed to its newest version. kNotFound: no such
  // session or marker in it; kBadInput: the marker was deleted.
  StoreError changeMarker(int64_t session, int64_t marker_id, const core::Marker& marker,
                          const std::string& edited_utc, int64_t* new_id = nullptr);
  // Marks marker `marker_id` (followed to its newest version) deleted; the row is kept.
  StoreError deleteMarker(int64_t session, int64_t marker_id, const std::string& deleted_utc);

  // Deletes a session and every row that belongs to it, in one transaction (kNotFound). Its
  // buffered, uncommitted data is dropped too.
  StoreError deleteSession(int64_t session);

  // PRAGMA integrity_check: *report is "ok" for a sound file, else SQLite's findings.
  StoreError integrityCheck(std::string* report);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace rollrig::store

// ReplayController: a session from the library, opened to be replayed in the live view's widgets
// (force plot, plate view, hold panel). open() reads the session's details and every sample with
// its force through the library's pipeline (engine::forEachProcessedSample: the same forces as
// reanalysis and export) into a SampleStore; then a cursor moves through the session — played at
// 1x, 4x or 16x, dragged on the scrubber, or jumped to a hold — and snapshot() is what the engine's
// snapshot would have been at the cursor (engine::replaySnapshotAt). No analysis here: the holds
// and releases shown are the ones stored with the session.
//
// Editing (issue 12): the replay reads the library read-only; an edit — a release confirmed, moved
// to the cursor, deleted or undone, a pain rating or a note added at the cursor, a marker changed,
// moved to the cursor or deleted — opens its own
// read-write connection for that edit alone (WAL, a busy timeout, one short transaction through
// the engine's edit operations, engine/session_library.h), so a live recording into the same
// library only ever waits a few milliseconds for it; then the details are read again (holds,
// markers, edits; the samples stay) and everything shows the effective values.
//
// Errors are state (error(), editError()): a library that cannot be read, a session that is gone,
// an edit the library refused. Thread safety: UI thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "rollrig/engine/live_session.h"
#include "rollrig/engine/session_library.h"
#include "sample_store.h"

namespace rollrig::gui {

class ReplayController {
 public:
  // Reads session `id` of the library at `db_path` (read-only, beside any recording). False with
  // error() when it could not; the previous replay is closed either way.
  bool open(const std::string& db_path, int64_t id);
  void close();
  bool isOpen() const { return m_open; }
  const std::string& error() const { return m_error; }
  // How long open() took (wall clock, seconds): the figure behind "a 2-hour session opens in
  // under half a second" (docs/GUI.md).
  double openSeconds() const { return m_open_s; }

  const engine::SessionDetails& details() const { return m_details; }
  const SampleStore& samples() const { return m_samples; }
  double duration_s() const { return m_samples.lastTime_s(); }

  // The cursor: session seconds, 0 .. duration_s().
  double cursor_s() const { return m_cursor_s; }
  void seek(double t_s);
  // Cursor to hold n's start (0-based, as details().holds), a few seconds early so its start shows.
  void jumpToHold(size_t n);

  bool playing() const { return m_playing; }
  void setPlaying(bool on);
  double speed() const { return m_speed; }
  void setSpeed(double times);  // 1, 4 or 16 (anything > 0 works)
  // Moves the cursor by wall_dt_s x speed while playing; stops playing at the end. True when the
  // cursor moved.
  bool advance(double wall_dt_s);

  // What the live view would have shown at the cursor. Recomputed when the cursor moved.
  const engine::LiveSnapshot& snapshot();

  // [SECTION] Edits. Each returns false with editError() when the library refused or could not
  // be written; editMessage() says what was done ("hold 2: release moved to 0:42, saved").
  // `now_utc` is the edit's wall time (ISO 8601 UTC); "" takes the host clock.
  bool editRelease(size_t hold, store::ReleaseEditKind kind, const std::string& now_utc = "");
  // Puts hold `hold`'s release at the cursor (which must lie inside it).
  bool moveReleaseToCursor(size_t hold, const std::string& now_utc = "");
  bool addPainAtCursor(int pain, const std::string& now_utc = "");
  bool addNoteAtCursor(const std::string& text, const std::string& now_utc = "");
  // A marker (by its row id, store::StoredMarker::id): changed, put at the cursor, or deleted. A
  // change is stored as a new row that replaces the old one (the original stays in the library),
  // so after it changedMarkerId() is the id the marker has now.
  bool changeMarker(int64_t marker_id, const engine::MarkerChange& change,
                    const std::string& now_utc = "");
  bool moveMarkerToCursor(int64_t marker_id, const std::string& now_utc = "");
  bool deleteMarker(int64_t marker_id, const std::string& now_utc = "");
  int64_t changedMarkerId() const { return m_changed_marker_id; }
  const std::string& editMessage() const { return m_edit_message; }
  const std::string& editError() const { return m_edit_error; }
  // Reads the session's details again (after an edit made here or elsewhere).
  bool reloadDetails();

 private:
  const store::StoredMarker* markerRow(int64_t marker_id) const;
  // Opens the library read-write for one edit and runs `edit`; then reloads the details.
  bool withEditableStore(const std::string& what,
                         const std::function<engine::LibraryError(store::SessionStore&)>& edit);

  bool m_open = false;
  std::string m_db_path;
  std::string m_error, m_edit_message, m_edit_error;
  double m_open_s = 0;
  engine::SessionDetails m_details;
  SampleStore m_samples;
  double m_cursor_s = 0;
  int64_t m_changed_marker_id = 0;
  bool m_playing = false;
  double m_speed = 1;
  bool m_snap_valid = false;
  engine::LiveSnapshot m_snap;
};

}  // namespace rollrig::gui

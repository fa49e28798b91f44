#include "replay_controller.h"

#include <algorithm>
#include <chrono>

#include "hold_panel.h"  // formatMinSec

#include "rollrig/engine/session_replay.h"
#include "sessions_view.h"

namespace rollrig::gui {

bool ReplayController::open(const std::string& db_path, int64_t id) {
  const auto t0 = std::chrono::steady_clock::now();
  close();
  store::SessionStore st;
  if (store::StoreError e = openLibraryForReading(st, db_path)) {
    m_error = e.message;
    return false;
  }
  if (engine::LibraryError e = engine::loadSessionDetails(st, id, &m_details)) {
    m_error = e.message;
    return false;
  }
  const engine::LibraryError e = engine::forEachProcessedSample(
      st, m_details, [this](const std::vector<engine::ProcessedSample>& batch) {
        for (const engine::ProcessedSample& p : batch) m_samples.append(p);
        return true;
      });
  if (e) {
    m_error = e.message;
    m_samples.clear();
    return false;
  }
  m_open = true;
  m_db_path = db_path;
  m_open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

void ReplayController::close() {
  m_open = false;
  m_error.clear();
  m_edit_message.clear();
  m_edit_error.clear();
  m_details = {};
  m_samples.clear();
  m_cursor_s = 0;
  m_playing = false;
  m_snap_valid = false;
}

void ReplayController::seek(double t_s) {
  const double t = std::clamp(t_s, 0.0, duration_s());
  if (t != m_cursor_s) m_snap_valid = false;
  m_cursor_s = t;
}

void ReplayController::jumpToHold(size_t n) {
  if (n < m_details.holds.size()) seek(m_details.holds[n].start_s - 3.0);
}

void ReplayController::setPlaying(bool on) {
  // Play at the end starts again from the beginning.
  if (on && m_cursor_s >= duration_s()) seek(0);
  m_playing = on && m_open;
}

void ReplayController::setSpeed(double times) {
  if (times > 0) m_speed = times;
}

bool ReplayController::advance(double wall_dt_s) {
  if (!m_playing || wall_dt_s <= 0) return false;
  const double before = m_cursor_s;
  seek(m_cursor_s + wall_dt_s * m_speed);
  if (m_cursor_s >= duration_s()) m_playing = false;
  return m_cursor_s != before;
}

const engine::LiveSnapshot& ReplayController::snapshot() {
  if (m_snap_valid) return m_snap;
  m_snap_valid = true;
  // The last sample at or before the cursor.
  size_t i = m_samples.lowerBound(m_cursor_s);
  if (i == m_samples.size() || (i > 0 && m_samples.time_s()[i] > m_cursor_s + 1e-3)) --i;
  core::ForceSample f;
  uint64_t until = 0;
  if (!m_samples.empty()) {
    i = std::min(i, m_samples.size() - 1);
    until = i + 1;
    f.total_n = m_samples.total_n()[i];
    for (int c = 0; c < core::kCellCount; ++c) f.force_n[c] = m_samples.cellPyramid(c).values()[i];
    f.has_cop = m_samples.hasCop()[i] != 0;
    f.x_mm = m_samples.x_mm()[i];
    f.y_mm = m_samples.y_mm()[i];
  }
  m_snap = engine::replaySnapshotAt(m_details, m_cursor_s, duration_s(), f, until);
  return m_snap;
}

// [SECTION] Edits

bool ReplayController::reloadDetails() {
  if (!m_open) return false;
  store::SessionStore st;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  engine::SessionDetails d;
  store::StoreError e = st.open(m_db_path, ro);
  if (e) {
    m_edit_error = e.message;
    return false;
  }
  if (engine::LibraryError le = engine::loadSessionDetails(st, m_details.record.id, &d)) {
    m_edit_error = le.message;
    return false;
  }
  m_details = std::move(d);
  m_snap_valid = false;  // the holds and markers the snapshot shows changed
  return true;
}

bool ReplayController::withEditableStore(
    const std::string& what,
    const std::function<engine::LibraryError(store::SessionStore&)>& edit) {
  m_edit_message.clear();
  m_edit_error.clear();
  if (!m_open) {
    m_edit_error = "no session is open";
    return false;
  }
  {
    // Its own connection, for this edit only: never held open beside a live recording.
    store::SessionStore st;
    store::OpenOptions rw;
    rw.mode = store::OpenMode::kReadWrite;
    rw.busy_timeout_ms = 3000;  // a recorder's commit holds the lock for milliseconds
    if (store::StoreError e = st.open(m_db_path, rw)) {
      m_edit_error = "could not save the edit: " + e.message;
      return false;
    }
    if (engine::LibraryError e = edit(st)) {
      m_edit_error = "could not save the edit: " + e.message;
      return false;
    }
  }
  m_edit_message = what + ", saved";
  return reloadDetails();
}

bool ReplayController::editRelease(size_t hold, store::ReleaseEditKind kind,
                                   const std::string& now_utc) {
  if (hold >= m_details.detected_holds.size()) {
    m_edit_error = "no such hold";
    return false;
  }
  const double start = m_details.detected_holds[hold].start_s;
  const char* done = kind == store::ReleaseEditKind::kConfirmed ? "release confirmed"
                     : kind == store::ReleaseEditKind::kDeleted ? "release deleted"
                     : kind == store::ReleaseEditKind::kReverted
                         ? "edit undone (the detector's release again)"
                         : "release moved";
  return withEditableStore(
      "hold " + std::to_string(hold + 1) + ": " + done, [&](store::SessionStore& st) {
        return engine::editRelease(st, m_details.record.id, start, kind, 0, now_utc);
      });
}

bool ReplayController::moveReleaseToCursor(size_t hold, const std::string& now_utc) {
  if (hold >= m_details.detected_holds.size()) {
    m_edit_error = "no such hold";
    return false;
  }
  const double start = m_details.detected_holds[hold].start_s;
  const double t = m_cursor_s;
  return withEditableStore("hold " + std::to_string(hold + 1) + ": release moved to " +
                               formatMinSec(t - start) + " into the hold",
                           [&](store::SessionStore& st) {
                             return engine::editRelease(st, m_details.record.id, start,
                                                        store::ReleaseEditKind::kMoved, t, now_utc);
                           });
}

bool ReplayController::addPainAtCursor(int pain, const std::string& now_utc) {
  core::Marker m;
  m.kind = core::MarkerKind::kPain;
  m.pain = pain;
  const double t = m_cursor_s;
  return withEditableStore("pain " + std::to_string(pain) + " added at " + formatMinSec(t),
                           [&](store::SessionStore& st) {
                             return engine::addMarkerAfter(st, m_details.record.id, t, m, now_utc);
                           });
}

bool ReplayController::addNoteAtCursor(const std::string& text, const std::string& now_utc) {
  core::Marker m;
  m.kind = core::MarkerKind::kNote;
  m.text = text;
  const double t = m_cursor_s;
  return withEditableStore("note added at " + formatMinSec(t), [&](store::SessionStore& st) {
    return engine::addMarkerAfter(st, m_details.record.id, t, m, now_utc);
  });
}

namespace {

// "pain 6", "note", "release mark", "side mark": what a marker is, in a status line.
std::string markerWords(const core::Marker& m) {
  switch (m.kind) {
    case core::MarkerKind::kPain:
      return "pain " + std::to_string(m.pain);
    case core::MarkerKind::kNote:
      return "note";
    case core::MarkerKind::kReleased:
      return "release mark";
    case core::MarkerKind::kSide:
      return "side mark";
  }
  return "mark";
}

}  // namespace

const store::StoredMarker* ReplayController::markerRow(int64_t marker_id) const {
  for (const store::StoredMarker& r : m_details.marker_rows)
    if (r.id == marker_id) return &r;
  return nullptr;
}

bool ReplayController::changeMarker(int64_t marker_id, const engine::MarkerChange& change,
                                    const std::string& now_utc) {
  const store::StoredMarker* row = markerRow(marker_id);
  std::string what = (row ? markerWords(row->marker) : "mark") + " changed";
  if (change.pain) what += " to " + std::to_string(*change.pain);
  if (change.side) what += std::string(" to ") + core::sideName(*change.side);
  int64_t new_id = 0;
  const bool ok = withEditableStore(what, [&](store::SessionStore& st) {
    return engine::editMarker(st, m_details.record.id, marker_id, change, now_utc, &new_id);
  });
  if (ok) m_changed_marker_id = new_id;
  return ok;
}

bool ReplayController::moveMarkerToCursor(int64_t marker_id, const std::string& now_utc) {
  const store::StoredMarker* row = markerRow(marker_id);
  const double t = m_cursor_s;
  engine::MarkerChange change;
  change.t_s = t;
  int64_t new_id = 0;
  const bool ok = withEditableStore(
      (row ? markerWords(row->marker) : "mark") + " moved to " + formatMinSec(t),
      [&](store::SessionStore& st) {
        return engine::editMarker(st, m_details.record.id, marker_id, change, now_utc, &new_id);
      });
  if (ok) m_changed_marker_id = new_id;
  return ok;
}

bool ReplayController::deleteMarker(int64_t marker_id, const std::string& now_utc) {
  const store::StoredMarker* row = markerRow(marker_id);
  const bool ok = withEditableStore(
      (row ? markerWords(row->marker) : "mark") + " deleted (kept in the library as deleted)",
      [&](store::SessionStore& st) {
        return engine::deleteMarker(st, m_details.record.id, marker_id, now_utc);
      });
  if (ok) m_changed_marker_id = 0;
  return ok;
}

}  // namespace rollrig::gui

// ReplayController (host/gui/replay_controller.h): a session recorded by the GUI's own controller
// replays with the very forces the live view drew, the stored holds and marks, and a cursor that
// plays, seeks and jumps.
#include "replay_controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "holds_table.h"
#include "marks_table.h"
#include "replay_bar.h"
#include "session_controller.h"
#include "sessions_view.h"

using namespace rollrig;
using namespace rollrig::gui;
namespace fs = std::filesystem;

namespace {

// Records `seconds` of the stepped virtual rig (seed 3) into `db` as the live view does; the live
// controller's samples stay in `live` to compare with.
void recordDemo(const std::string& db, double seconds, SampleStore* live, uint64_t* recorded) {
  SessionController ctl(db, [] {});
  SourceChoice src;
  src.seed = 3;
  src.fast = true;
  ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (ctl.samples().lastTime_s() < seconds && std::chrono::steady_clock::now() < give_up) {
    ctl.update();
    ctl.nextStep();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(ctl.samples().lastTime_s(), seconds);
  ctl.markPain(6);
  ctl.stop();
  *recorded = ctl.snapshot().samples_recorded;
  *live = ctl.samples();
}

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("rollrig-gui-replay-" + std::to_string(::getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
    m_db = (m_dir / "sessions.db").string();
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
  std::string m_db;
};

}  // namespace

TEST_F(Replay, ShowsTheSessionWithTheForcesTheLiveViewDrewAndItsStoredHolds) {
  SampleStore live;
  uint64_t recorded = 0;
  recordDemo(m_db, 150, &live, &recorded);
  LibraryBrowser lib(m_db);
  lib.refresh();
  ASSERT_EQ(lib.sessions().size(), 1u) << lib.error();

  ReplayController r;
  ASSERT_TRUE(r.open(m_db, lib.sessions()[0].id)) << r.error();
  ASSERT_EQ(r.samples().size(), recorded);
  ASSERT_EQ(live.size(), recorded);
  for (size_t i = 0; i < recorded; i += 97) {
    EXPECT_EQ(r.samples().time_s()[i], live.time_s()[i]) << i;
    EXPECT_NEAR(r.samples().total_n()[i], live.total_n()[i], 1e-3) << i;
  }
  EXPECT_GT(r.openSeconds(), 0.0);
  ASSERT_FALSE(r.details().holds.empty()) << "seed 3 holds within 150 s";
  ASSERT_EQ(r.details().markers.size(), 1u);

  // Inside the first hold: the snapshot shows it open with its elapsed time.
  const core::Hold& h = r.details().holds.front();
  const double mid = (h.start_s + h.end_s) / 2;
  r.seek(mid);
  const engine::LiveSnapshot& s = r.snapshot();
  ASSERT_TRUE(s.open_hold);
  EXPECT_NEAR(s.open_hold->elapsed_s, mid - h.start_s, 1e-6);
  const size_t at = r.samples().lowerBound(mid);
  EXPECT_TRUE(s.last_force.total_n == r.samples().total_n()[at] ||
              s.last_force.total_n == r.samples().total_n()[at - 1]);
  // At the end: every hold closed, the mark there, the state ended.
  r.seek(1e9);
  EXPECT_DOUBLE_EQ(r.cursor_s(), r.duration_s());
  EXPECT_EQ(r.snapshot().state, engine::ConnectionState::kEnded);
  EXPECT_EQ(r.snapshot().holds.size(), r.details().holds.size());
  EXPECT_EQ(r.snapshot().markers.size(), 1u);
}

TEST_F(Replay, PlaysAtTheSpeedChosenStopsAtTheEndAndJumpsToAHold) {
  SampleStore live;
  uint64_t recorded = 0;
  recordDemo(m_db, 120, &live, &recorded);
  LibraryBrowser lib(m_db);
  lib.refresh();
  ASSERT_EQ(lib.sessions().size(), 1u);
  ReplayController r;
  ASSERT_TRUE(r.open(m_db, lib.sessions()[0].id)) << r.error();

  EXPECT_FALSE(r.advance(1.0));  // paused: nothing moves
  r.setPlaying(true);
  r.setSpeed(4);
  EXPECT_TRUE(r.advance(0.5));
  EXPECT_DOUBLE_EQ(r.cursor_s(), 2.0);
  r.setSpeed(16);
  r.advance(1000);
  EXPECT_DOUBLE_EQ(r.cursor_s(), r.duration_s());
  EXPECT_FALSE(r.playing());  // stopped at the end
  r.setPlaying(true);         // play again from the start
  EXPECT_DOUBLE_EQ(r.cursor_s(), 0.0);

  ASSERT_FALSE(r.details().holds.empty());
  r.jumpToHold(0);
  EXPECT_NEAR(r.cursor_s(), std::max(0.0, r.details().holds[0].start_s - 3.0), 1e-9);
  const double before = r.cursor_s();
  r.jumpToHold(999);  // no such hold: stays
  EXPECT_DOUBLE_EQ(r.cursor_s(), before);
}

TEST_F(Replay, ASessionThatIsNotThereIsAnErrorNotACrash) {
  ReplayController r;
  EXPECT_FALSE(r.open(m_db, 1));  // no library at all
  EXPECT_FALSE(r.error().empty());
  SampleStore live;
  uint64_t recorded = 0;
  recordDemo(m_db, 5, &live, &recorded);
  EXPECT_FALSE(r.open(m_db, 999));
  EXPECT_NE(r.error().find("999"), std::string::npos) << r.error();
  EXPECT_FALSE(r.isOpen());
}

TEST(ReplayBar, PlacesTheHoldsAndTheCursorOnTheScrubberAndMapsClicksBackToTime) {
  engine::SessionDetails d;
  d.record.id = 12;
  d.record.info.started_utc = "2026-11-02T17:05:00Z";
  d.record.info.sides = "right,left";
  core::Hold a;
  a.start_s = 100, a.end_s = 160, a.release_s = 140;
  core::Hold b;
  b.start_s = 400, b.end_s = 401;  // short, no release
  d.holds = {a, b};
  const Rect r{0, 0, 1012, 100};
  const ReplayBarModel m = computeReplayBar(d, 1000, 250, true, 4, r, 1.0f);
  EXPECT_NE(m.title.find("Session 12"), std::string::npos);
  EXPECT_NE(m.title.find("right/left"), std::string::npos);
  EXPECT_EQ(m.position, "4:10 / 16:40");
  ASSERT_EQ(m.holds.size(), 2u);
  const float w = m.track.width();
  EXPECT_NEAR(m.holds[0].x0, m.track.x0 + 0.1f * w, 0.01f);
  EXPECT_NEAR(m.holds[0].x1, m.track.x0 + 0.16f * w, 0.01f);
  EXPECT_EQ(m.holds[0].label, "1");
  EXPECT_GE(m.holds[1].x1 - m.holds[1].x0, 2.0f);        // a one-second hold is still visible
  EXPECT_FALSE(m.holds[0].colour == m.holds[1].colour);  // released vs not
  EXPECT_NEAR(m.cursor_x, m.track.x0 + 0.25f * w, 0.01f);
  EXPECT_NEAR(replayTimeAt(m, m.track.x0 + 0.5f * w), 500, 0.5);
  EXPECT_DOUBLE_EQ(replayTimeAt(m, -50), 0.0);      // clamped
  EXPECT_DOUBLE_EQ(replayTimeAt(m, 5000), 1000.0);  // clamped
}

TEST(HoldsTable, ListsEachHoldWithItsReleasePainAndSteadinessAndMarksTheOneAtTheCursor) {
  engine::SessionDetails d;
  d.record.first_t_us = 5'000'000;
  core::Hold a;
  a.start_s = 10, a.end_s = 60, a.mean_force_n = 305, a.release_s = 48,
  a.release_source = "load-up";
  a.side = core::Side::kRight;
  core::HoldSteadiness st;
  st.mean_velocity_mm_s = 2.38, st.ml_range_mm = 4.6, st.ap_range_mm = 7.4, st.path_mm = 104;
  a.steadiness = st;
  core::Hold b;
  b.start_s = 100, b.end_s = 130, b.mean_force_n = 250, b.release_s = 120,
  b.release_source = "marker";
  d.holds = {a, b};
  core::Marker pain;
  pain.t_us = 5'000'000 + 20'000'000, pain.kind = core::MarkerKind::kPain, pain.pain = 6;
  core::Marker note;
  note.t_us = 5'000'000 + 110'000'000, note.kind = core::MarkerKind::kNote, note.text = "sharp";
  d.markers = {pain, note};
  const HoldsTableModel m = computeHoldsTable(d, ForceFormat{}, 115);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.title, "2 holds · 2 released");
  EXPECT_EQ(m.rows[0].start, "0:10");
  EXPECT_EQ(m.rows[0].duration, "0:50");
  EXPECT_EQ(m.rows[0].side, "right");
  EXPECT_EQ(m.rows[0].level, "305 N");
  EXPECT_EQ(m.rows[0].release, "0:38 load-up");
  EXPECT_EQ(m.rows[0].pain, "6");
  EXPECT_EQ(m.rows[0].velocity, "2.4 mm/s");
  EXPECT_EQ(m.rows[0].ranges, "4.6 \u00d7 7.4 mm");
  EXPECT_EQ(m.rows[0].path, "104 mm");
  EXPECT_FALSE(m.rows[0].current);
  EXPECT_EQ(m.rows[1].release, "0:20 you pressed");
  EXPECT_EQ(m.rows[1].velocity, "none");  // no steadiness (e.g. force only): never 0
  EXPECT_EQ(m.rows[1].notes, "sharp");
  EXPECT_TRUE(m.rows[1].current);  // the cursor at 115 s is in it
}

// [SECTION] Editing in the replay

TEST(HoldsTable, AnEditedReleaseShowsTheDetectorsValueBesideTheUsersAndTheActionsFollowTheCursor) {
  engine::SessionDetails d;
  d.record.first_t_us = 0;
  core::Hold a;
  a.start_s = 10, a.end_s = 60, a.release_s = 48, a.release_source = "load-up";
  core::Hold b;
  b.start_s = 100, b.end_s = 130;
  d.detected_holds = {a, b};
  store::ReleaseEdit moved;
  moved.id = 1, moved.hold_start_s = 10, moved.kind = store::ReleaseEditKind::kMoved;
  moved.release_s = 52;
  store::ReleaseEdit confirmed;
  confirmed.id = 2, confirmed.hold_start_s = 100,
  confirmed.kind = store::ReleaseEditKind::kConfirmed;
  d.release_edits = {moved, confirmed};
  engine::EffectiveHolds eff = engine::applyReleaseEdits(d.detected_holds, d.release_edits);
  d.holds = eff.holds;
  d.hold_edits = eff.states;

  HoldsTableModel m = computeHoldsTable(d, ForceFormat{}, 55);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].release, "0:38 load-up \u2192 0:42 (you moved it)");
  EXPECT_TRUE(m.rows[0].edited);
  EXPECT_EQ(m.rows[0].release_colour.r, kMarkerMark.r);
  EXPECT_EQ(m.rows[1].release, "not released \u2713 (you confirmed it)");
  EXPECT_EQ(m.title, "2 holds · 1 released");
  // The cursor (55 s) is in hold 1: its actions, with the release at the cursor and undo.
  EXPECT_EQ(m.actions.hold, 0);
  EXPECT_EQ(m.actions.label, "Hold 1");
  EXPECT_TRUE(m.actions.can_move);
  EXPECT_EQ(m.actions.move_label, "release at 0:45");
  EXPECT_TRUE(m.actions.can_undo);
  // Hold 2 selected with the cursor outside it: no move, and why.
  m = computeHoldsTable(d, ForceFormat{}, 55, 1);
  EXPECT_EQ(m.actions.hold, 1);
  EXPECT_TRUE(m.rows[1].selected);
  EXPECT_FALSE(m.actions.can_move);
  EXPECT_FALSE(m.actions.hint.empty());
  EXPECT_FALSE(m.actions.has_release);
  // Deleted: the detector's value and "none".
  store::ReleaseEdit del = moved;
  del.id = 3, del.kind = store::ReleaseEditKind::kDeleted, del.release_s.reset();
  d.release_edits.push_back(del);
  eff = engine::applyReleaseEdits(d.detected_holds, d.release_edits);
  d.holds = eff.holds, d.hold_edits = eff.states;
  m = computeHoldsTable(d, ForceFormat{}, 0);
  EXPECT_EQ(m.rows[0].release, "0:38 load-up \u2192 none (you deleted it)");
  EXPECT_EQ(m.actions.hold, -1);  // the cursor in no hold, nothing selected
  // Undone: as detected, not shown as edited.
  store::ReleaseEdit undo = moved;
  undo.id = 4, undo.kind = store::ReleaseEditKind::kReverted, undo.release_s.reset();
  d.release_edits.push_back(undo);
  eff = engine::applyReleaseEdits(d.detected_holds, d.release_edits);
  d.holds = eff.holds, d.hold_edits = eff.states;
  m = computeHoldsTable(d, ForceFormat{}, 20);
  EXPECT_EQ(m.rows[0].release, "0:38 load-up");
  EXPECT_FALSE(m.rows[0].edited);
  EXPECT_FALSE(m.actions.can_undo);
}

TEST_F(Replay, AnEditMadeInTheReplayLandsInTheLibraryWithoutDisturbingALiveRecording) {
  SampleStore live;
  uint64_t recorded = 0;
  recordDemo(m_db, 120, &live, &recorded);
  ReplayController r;
  ASSERT_TRUE(r.open(m_db, 1)) << r.error();
  ASSERT_FALSE(r.details().holds.empty());
  const core::Hold h = r.details().detected_holds[0];

  // A second session records into the same library meanwhile.
  SessionController rec(m_db, [] {});
  SourceChoice src;
  src.seed = 5;
  src.fast = true;
  ASSERT_TRUE(rec.start(src)) << rec.errorText();
  const auto step = [&](double until_s) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (rec.samples().lastTime_s() < until_s && std::chrono::steady_clock::now() < give_up) {
      rec.update();
      rec.nextStep();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  step(10);

  const double at = h.start_s + 0.4 * h.duration_s();
  r.seek(at);
  ASSERT_TRUE(r.moveReleaseToCursor(0, "2026-11-30T08:00:00Z")) << r.editError();
  EXPECT_NE(r.editMessage().find("hold 1: release moved"), std::string::npos) << r.editMessage();
  step(20);
  ASSERT_TRUE(r.addPainAtCursor(3, "2026-11-30T08:01:00Z")) << r.editError();
  ASSERT_TRUE(r.addNoteAtCursor("physio: good", "2026-11-30T08:02:00Z")) << r.editError();
  step(30);
  // The replay shows the effective values at once: the table and the snapshot.
  EXPECT_EQ(r.details().holds[0].release_s, std::optional<double>(at));
  const HoldsTableModel m = computeHoldsTable(r.details(), ForceFormat{}, r.cursor_s());
  EXPECT_NE(m.rows[0].release.find("(you moved it)"), std::string::npos) << m.rows[0].release;
  EXPECT_NE(m.rows[0].pain.find("3"), std::string::npos);
  EXPECT_EQ(m.rows[0].notes, "physio: good");
  r.seek(h.end_s - 0.01);
  ASSERT_TRUE(r.snapshot().open_hold);
  ASSERT_TRUE(r.snapshot().open_hold->hold.release_s);
  EXPECT_DOUBLE_EQ(*r.snapshot().open_hold->hold.release_s, at);

  // In the library, read by another connection; the detector's value kept beside it.
  store::SessionStore st;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  ASSERT_FALSE(st.open(m_db, ro));
  engine::SessionDetails d;
  ASSERT_FALSE(engine::loadSessionDetails(st, 1, &d));
  EXPECT_EQ(d.holds[0].release_s, std::optional<double>(at));
  EXPECT_EQ(d.detected_holds[0].release_s, h.release_s);
  EXPECT_EQ(d.markers.size(), 3u);  // the live pain 6, the 3 and the note added afterwards

  // The live recording lost nothing.
  rec.stop();
  const uint64_t live_recorded = rec.snapshot().samples_recorded;
  store::SessionRecord second;
  ASSERT_FALSE(st.loadSession(2, &second));
  EXPECT_EQ(second.sample_count, live_recorded);
  EXPECT_EQ(second.end_reason.empty(), false);
}

// [SECTION] Marks: changed, moved and deleted from the replay

TEST(MarksTable, ListsEveryEffectiveMarkInTimeOrderWithItsHoldAndWhereItCameFrom) {
  engine::SessionDetails d;
  d.record.first_t_us = 1'000'000;
  core::Hold h;
  h.start_s = 10, h.end_s = 60;
  d.holds = {h};
  const auto row = [](int64_t id, double t_s, core::MarkerKind kind) {
    store::StoredMarker r;
    r.id = id;
    r.marker.t_us = 1'000'000 + static_cast<uint64_t>(t_s * 1e6);
    r.marker.kind = kind;
    return r;
  };
  store::StoredMarker side = row(1, 0, core::MarkerKind::kSide);
  side.marker.side = core::Side::kRight;
  store::StoredMarker pain = row(2, 20, core::MarkerKind::kPain);
  pain.marker.pain = 6;
  store::StoredMarker old_note = row(3, 30, core::MarkerKind::kNote);
  old_note.marker.text = "tight";
  old_note.superseded = true;  // replaced by row 5
  store::StoredMarker gone = row(4, 40, core::MarkerKind::kReleased);
  gone.added_utc = "2026-11-29T10:00:00Z", gone.deleted_utc = "2026-11-29T10:05:00Z";
  store::StoredMarker new_note = row(5, 32, core::MarkerKind::kNote);
  new_note.marker.text = "tight, breathed out";
  new_note.added_utc = "2026-11-29T10:01:00Z", new_note.replaces = 3;
  store::StoredMarker added = row(6, 70, core::MarkerKind::kReleased);
  added.added_utc = "2026-11-29T10:02:00Z";
  // Stored out of time order (a change is a new row): the table sorts by time.
  d.marker_rows = {side, pain, old_note, gone, added, new_note};

  MarksTableModel m = computeMarksTable(d, 35, 0);
  ASSERT_EQ(m.rows.size(), 4u);  // the superseded and the deleted rows are not shown
  EXPECT_EQ(m.rows[0].what, "side: right");
  EXPECT_EQ(m.rows[0].origin, "said live");
  EXPECT_EQ(m.rows[0].hold, "");
  EXPECT_EQ(m.rows[1].time, "0:20");
  EXPECT_EQ(m.rows[1].what, "pain 6");
  EXPECT_EQ(m.rows[1].hold, "1");
  EXPECT_EQ(m.rows[2].what, "note: tight, breathed out");
  EXPECT_EQ(m.rows[2].origin, "changed later");
  EXPECT_TRUE(m.rows[2].current);  // the latest at or before the cursor (35 s)
  EXPECT_FALSE(m.rows[1].current);
  EXPECT_EQ(m.rows[3].what, "released (you pressed)");
  EXPECT_EQ(m.rows[3].origin, "added later");
  EXPECT_EQ(m.title, "2 added or changed later");
  EXPECT_EQ(m.holds, 1u);
  EXPECT_EQ(m.actions.id, 0);  // nothing selected: no actions

  // The note selected: its text, and a move to the cursor (35 s) as it lies at 32 s.
  m = computeMarksTable(d, 35, 5);
  EXPECT_TRUE(m.rows[2].selected);
  EXPECT_EQ(m.actions.id, 5);
  EXPECT_EQ(m.actions.label, "Note at 0:32");
  EXPECT_EQ(m.actions.text, "tight, breathed out");
  EXPECT_TRUE(m.actions.can_move);
  EXPECT_EQ(m.actions.move_label, "move to 0:35");
  // With the cursor on it, there is nowhere to move it.
  EXPECT_FALSE(computeMarksTable(d, 32, 5).actions.can_move);
  // A row that is no longer effective (changed or deleted meanwhile) selects nothing.
  EXPECT_EQ(computeMarksTable(d, 35, 3).actions.id, 0);
  EXPECT_EQ(computeMarksTable(d, 35, 4).actions.id, 0);
}

TEST_F(Replay, AMarkChangedMovedOrDeletedInTheReplayIsStoredAsAnEditAndTheOriginalKept) {
  SampleStore live;
  uint64_t recorded = 0;
  recordDemo(m_db, 60, &live, &recorded);  // ends with a pain 6 said live
  ReplayController r;
  ASSERT_TRUE(r.open(m_db, 1)) << r.error();
  ASSERT_EQ(r.details().marker_rows.size(), 1u);
  const int64_t live_id = r.details().marker_rows[0].id;
  const double said_at = markerTime_s(r.details(), r.details().markers[0]);

  // The pain rating changed: a new row replaces the one said live.
  engine::MarkerChange to4;
  to4.pain = 4;
  ASSERT_TRUE(r.changeMarker(live_id, to4, "2026-11-30T09:00:00Z")) << r.editError();
  EXPECT_EQ(r.editMessage(), "pain 6 changed to 4, saved");
  const int64_t changed_id = r.changedMarkerId();
  EXPECT_NE(changed_id, live_id);
  ASSERT_EQ(r.details().markers.size(), 1u);
  EXPECT_EQ(r.details().markers[0].pain, 4);
  MarksTableModel m = computeMarksTable(r.details(), r.cursor_s(), changed_id);
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].what, "pain 4");
  EXPECT_EQ(m.rows[0].origin, "changed later");
  EXPECT_EQ(m.actions.id, changed_id);

  // Moved to the cursor.
  r.seek(12.5);
  ASSERT_TRUE(r.moveMarkerToCursor(changed_id, "2026-11-30T09:01:00Z")) << r.editError();
  EXPECT_EQ(r.editMessage(), "pain 4 moved to 0:12, saved");
  const int64_t moved_id = r.changedMarkerId();
  ASSERT_EQ(r.details().markers.size(), 1u);
  EXPECT_NEAR(markerTime_s(r.details(), r.details().markers[0]), 12.5, 1e-3);
  EXPECT_EQ(r.details().markers[0].pain, 4);

  // Deleted: nothing effective is left, and the history of the mark stays in the library.
  ASSERT_TRUE(r.deleteMarker(moved_id, "2026-11-30T09:02:00Z")) << r.editError();
  EXPECT_EQ(r.changedMarkerId(), 0);
  EXPECT_TRUE(r.details().markers.empty());
  EXPECT_TRUE(computeMarksTable(r.details(), r.cursor_s(), moved_id).rows.empty());
  store::SessionStore st;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  ASSERT_FALSE(st.open(m_db, ro));
  std::vector<store::StoredMarker> rows;
  ASSERT_FALSE(st.loadMarkerRows(1, &rows));
  ASSERT_EQ(rows.size(), 3u);  // as said, as changed, as moved (deleted)
  bool found_live = false;
  for (const store::StoredMarker& row : rows)
    if (row.id == live_id) {
      found_live = true;
      EXPECT_EQ(row.marker.pain, 6);
      EXPECT_NEAR(markerTime_s(r.details(), row.marker), said_at, 1e-6);
    }
  EXPECT_TRUE(found_live);

  // Deleting it again (a double click) changes nothing; a mark that is not there is an error in
  // words, and nothing is written.
  EXPECT_TRUE(r.deleteMarker(moved_id)) << r.editError();
  EXPECT_FALSE(r.changeMarker(moved_id, to4));
  EXPECT_FALSE(r.editError().empty());
  EXPECT_FALSE(r.changeMarker(9999, to4));
  EXPECT_NE(r.editError().find("could not save the edit"), std::string::npos) << r.editError();
}

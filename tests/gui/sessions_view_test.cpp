// The sessions view's model (host/gui/sessions_view.h): the library's list as rows, newest first,
// in local time, filtered by date and side; and LibraryBrowser reading a real library.
#include "sessions_view.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <ctime>
#include <string>
#include <vector>

#include "test_files.h"
#include "view_tabs.h"
#include "with_time_zone.h"

using namespace rollrig;
using namespace rollrig::gui;

namespace {

using rollrig::testing::WithTimeZone;

store::SessionListEntry entry(int64_t id, const std::string& utc, const std::string& sides,
                              double duration_s, int holds, int releases,
                              const std::string& end = store::kEndStopped) {
  store::SessionListEntry e;
  e.id = id;
  e.started_utc = utc;
  e.sides = sides;
  e.duration_s = duration_s;
  e.holds = holds;
  e.releases = releases;
  e.end_reason = end;
  e.device_serial = 0xD3E0;
  return e;
}

}  // namespace

TEST(SessionsView, ListsNewestFirstInLocalTimeWithLengthsHoldsAndReleases) {
  WithTimeZone tz("CET-1");  // UTC+1, a POSIX rule: needs no tzdata
  const std::vector<store::SessionListEntry> list{
      entry(1, "2026-11-02T17:05:00Z", "right,left", 1512, 5, 3),
      entry(2, "2026-11-03T23:30:00Z", "right", 3723, 0, 0, store::kEndRecovered),
  };
  const SessionsViewModel m = computeSessionsView(list, {});
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].id, 2);                   // newest first
  EXPECT_EQ(m.rows[0].date, "Wed 2026-11-04");  // 23:30 UTC is past midnight at UTC+1
  EXPECT_EQ(m.rows[0].time, "00:30");
  EXPECT_EQ(m.rows[0].duration, "1:02:03");
  EXPECT_EQ(m.rows[0].releases, "—");
  EXPECT_EQ(m.rows[0].status, store::kEndRecovered);
  EXPECT_EQ(m.rows[0].status_colour, kWarning);
  EXPECT_EQ(m.rows[1].date, "Mon 2026-11-02");
  EXPECT_EQ(m.rows[1].time, "18:05");
  EXPECT_EQ(m.rows[1].duration, "25:12");
  EXPECT_EQ(m.rows[1].sides, "right/left");
  EXPECT_EQ(m.rows[1].releases, "3 of 5");
  EXPECT_EQ(m.rows[1].device, "0000D3E0");
  EXPECT_EQ(m.summary, "2 sessions");
}

TEST(SessionsView, FiltersByTheStartOfALocalDateAndBySide) {
  WithTimeZone tz("UTC0");
  const std::vector<store::SessionListEntry> list{
      entry(1, "2026-10-30T10:00:00Z", "right,left", 600, 2, 1),
      entry(2, "2026-11-02T10:00:00Z", "right", 600, 2, 1),
      entry(3, "2026-11-03T10:00:00Z", "left", 600, 2, 1),
  };
  SessionsFilter f;
  f.date = "2026-11";
  SessionsViewModel m = computeSessionsView(list, f);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.summary, "2 of 3 sessions");
  f.side = SessionsFilter::Side::kLeft;
  m = computeSessionsView(list, f);
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].id, 3);
  f.date = "2026-11-02";
  m = computeSessionsView(list, f);
  EXPECT_TRUE(m.rows.empty());
  f.date.clear();
  f.side = SessionsFilter::Side::kRight;
  m = computeSessionsView(list, f);
  ASSERT_EQ(m.rows.size(), 2u);  // the session on both sides counts for either
  EXPECT_EQ(m.rows[1].id, 1);
}

TEST(SessionsView, SaysSoWhenTheLibraryHasNoSessions) {
  const SessionsViewModel m = computeSessionsView({}, {});
  EXPECT_TRUE(m.rows.empty());
  EXPECT_EQ(m.summary, "no sessions yet");
}

TEST(LibraryBrowser, ReadsTheSessionsOfALibraryAndExplainsAMissingOne) {
  rollrig::testing::TempDir dir;
  LibraryBrowser missing(dir.file("none.db"));
  missing.refresh();
  EXPECT_TRUE(missing.sessions().empty());
  EXPECT_NE(missing.error().find("No session library yet"), std::string::npos);

  const std::string path = dir.file("sessions.db");
  {
    store::SessionStore st;
    ASSERT_FALSE(st.open(path));
    store::SessionInfo info;
    info.started_utc = "2026-11-29T09:50:00Z";
    info.sides = "left";
    int64_t id = 0;
    ASSERT_FALSE(st.beginSession(info, &id));
    ASSERT_FALSE(st.endSession(id, store::kEndStopped, "2026-11-29T09:55:00Z"));
  }
  LibraryBrowser b(path);
  b.refresh();
  EXPECT_TRUE(b.error().empty()) << b.error();
  ASSERT_EQ(b.sessions().size(), 1u);
  EXPECT_EQ(b.sessions()[0].sides, "left");
}

TEST(ViewTabs, MarkTheCurrentTabAndSayWhenALiveSessionRecordsBehindAnotherView) {
  const std::vector<View> views{View::kLive, View::kSessions};
  ViewTabsModel m = computeViewTabs(views, View::kLive, 125);
  ASSERT_EQ(m.tabs.size(), 2u);
  EXPECT_TRUE(m.tabs[0].active);
  EXPECT_EQ(m.tabs[0].label, "Live  F1");
  EXPECT_EQ(m.tabs[1].label, "Sessions  F2");
  EXPECT_TRUE(m.recording.empty());  // the live view shows it already
  m = computeViewTabs(views, View::kReplay, 125);
  EXPECT_TRUE(m.tabs[1].active);  // a replay sits under Sessions
  EXPECT_EQ(m.recording, "recording 2:05");
  m = computeViewTabs(views, View::kSessions, -1);  // nothing recording
  EXPECT_TRUE(m.recording.empty());
}

// A library from an older rollrig: a read-only connection cannot upgrade it, so the list (and the
// replay) open it read-write once, then read it read-only.
TEST(LibraryBrowser, UpgradesALibraryFromAnOlderRollrigOnceAndListsItsSessions) {
  rollrig::testing::TempDir dir;
  const std::string path = dir.file("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql =
        rollrig::testing::readText(std::string(ROLLRIG_STORE_FIXTURES) + "/schema_v2.sql");
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  store::SessionStore plain;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  EXPECT_EQ(plain.open(path, ro).kind, store::StoreErrorKind::kReadOnly);  // the problem
  LibraryBrowser b(path);
  b.refresh();
  EXPECT_TRUE(b.error().empty()) << b.error();
  EXPECT_FALSE(b.sessions().empty());
}

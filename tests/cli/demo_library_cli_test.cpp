// `rollrig demo-library` as a user runs it: the built binary making a library of simulated
// sessions, read back through the store and through `rollrig history` / `export`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_run.h"
#include "rollrig/sim/demo_library.h"
#include "rollrig/store/session_store.h"

namespace fs = std::filesystem;

namespace {

using rollrig::testing::CliRun;
using rollrig::testing::readText;
using rollrig::testing::TempDir;

CliRun runOut(const std::string& args) {
  return rollrig::testing::runShell(rollrig::testing::rollrigBinary() + " " + args +
                                    " 2>/dev/null </dev/null");
}

// The default library (12 sessions over 6 weeks, seed 1), made once for the tests that read it.
class DemoLibraryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir("rollrig-demo-library");
    s_db = s_dir->file("demo.db");
    s_made = rollrig::testing::runRollrig("demo-library --db " + s_db);
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }
  void SetUp() override { ASSERT_EQ(s_made.code, 0) << s_made.output; }

  static TempDir* s_dir;
  static std::string s_db;
  static CliRun s_made;
};
TempDir* DemoLibraryCli::s_dir = nullptr;
std::string DemoLibraryCli::s_db;
CliRun DemoLibraryCli::s_made;

std::vector<rollrig::store::SessionRecord> loadAll(const std::string& db) {
  rollrig::store::SessionStore st;
  rollrig::store::OpenOptions ro;
  ro.mode = rollrig::store::OpenMode::kReadOnly;
  EXPECT_FALSE(st.open(db, ro)) << db;
  std::vector<rollrig::store::SessionListEntry> list;
  EXPECT_FALSE(st.listSessions(&list));
  std::vector<rollrig::store::SessionRecord> out;
  for (const auto& e : list) {
    out.emplace_back();
    EXPECT_FALSE(st.loadSession(e.id, &out.back()));
  }
  return out;
}

}  // namespace

TEST_F(DemoLibraryCli, MakesTwelveSessionsOverSixWeeksWithRisingDatesAndHoldsOnBothSides) {
  EXPECT_NE(s_made.output.find("made 12 sessions"), std::string::npos) << s_made.output;
  EXPECT_NE(s_made.output.find(s_db), std::string::npos) << "says where the library is";
  const std::vector<rollrig::store::SessionRecord> sessions = loadAll(s_db);
  ASSERT_EQ(sessions.size(), 12u);
  rollrig::store::SessionStore st;
  ASSERT_FALSE(st.open(s_db));
  std::string previous;
  std::set<std::string> weeks;
  for (const rollrig::store::SessionRecord& r : sessions) {
    const std::string& start = r.info.started_utc;
    // 2026-10-01 + 6 weeks: from 2026-10-01 to 2026-11-11, rising.
    EXPECT_GE(start, "2026-10-01T00:00:00Z");
    EXPECT_LT(start, "2026-11-12T00:00:00Z");
    EXPECT_GT(start, previous);
    previous = start;
    EXPECT_GT(r.ended_utc, start);
    EXPECT_LT(r.ended_utc.substr(0, 10), "2026-11-12") << "ended on the simulated clock";
    EXPECT_EQ(r.end_reason, rollrig::store::kEndSourceEnded);
    EXPECT_EQ(r.info.source.rfind("virtual rig (seed ", 0), 0u) << r.info.source;
    EXPECT_EQ(r.info.sides, "right,left");
    ASSERT_TRUE(r.info.body_mass_kg.has_value());
    EXPECT_GT(*r.info.body_mass_kg, 50);
    EXPECT_FALSE(r.info.ball.empty());
    EXPECT_NE(r.info.notes.find("simulated"), std::string::npos);
    EXPECT_EQ(r.frames_lost, 0u);
    EXPECT_GT(r.duration_s(), 120);

    // The virtual rig's own calibration, as `record --demo` uses it.
    std::vector<rollrig::store::StoredCalibration> cals;
    ASSERT_FALSE(st.loadCalibrations(r.id, &cals));
    ASSERT_EQ(cals.size(), 1u);
    EXPECT_EQ(cals[0].record.calibration.source, "virtual rig nominal");
    std::vector<rollrig::core::Hold> holds;
    ASSERT_FALSE(st.loadHolds(r.id, &holds));
    int right = 0, left = 0;
    for (const rollrig::core::Hold& h : holds) {
      right += h.side == rollrig::core::Side::kRight;
      left += h.side == rollrig::core::Side::kLeft;
      EXPECT_EQ(h.side_source, rollrig::core::SideSource::kUser);
    }
    EXPECT_GE(right, 1) << "session " << r.id;
    EXPECT_GE(left, 1) << "session " << r.id;
    // The right side before the left, as the protocol runs.
    std::vector<rollrig::core::Marker> markers;
    ASSERT_FALSE(st.loadMarkers(r.id, &markers));
    std::vector<rollrig::core::Side> sides;
    for (const rollrig::core::Marker& m : markers)
      if (m.kind == rollrig::core::MarkerKind::kSide) sides.push_back(m.side);
    ASSERT_EQ(sides.size(), 2u);
    EXPECT_EQ(sides[0], rollrig::core::Side::kRight);
    EXPECT_EQ(sides[1], rollrig::core::Side::kLeft);
    EXPECT_EQ(markers.front().t_us, r.first_t_us) << "the side is marked at the first sample";
  }
  // Two or three a week.
  std::vector<rollrig::store::SessionListEntry> list;
  ASSERT_FALSE(st.listSessions(&list));
  int pains = 0, notes = 0;
  for (const auto& e : list) {
    std::vector<rollrig::core::Marker> markers;
    ASSERT_FALSE(st.loadMarkers(e.id, &markers));
    for (const rollrig::core::Marker& m : markers) {
      pains += m.kind == rollrig::core::MarkerKind::kPain;
      notes += m.kind == rollrig::core::MarkerKind::kNote;
    }
  }
  EXPECT_GT(pains, 10);
  EXPECT_GE(notes, 1);
}

TEST_F(DemoLibraryCli, HistoryFindsTheSpotsAndTheirTimeToReleaseFallingWeekByWeek) {
  const CliRun h = runOut("history --json --db " + s_db);
  ASSERT_EQ(h.code, 0) << h.output;
  const nlohmann::json j = nlohmann::json::parse(h.output);
  EXPECT_EQ(j["sessions"], 12);
  int spots_seen_often = 0, falling = 0, rising = 0;
  for (const nlohmann::json& spot : j["spots"]) {
    for (const nlohmann::json& side : spot["sides"]) {
      if (side["sessions"].size() < 3) continue;
      ++spots_seen_often;
      EXPECT_LE(side["holds"].get<int>(), 12 * 2) << "one spot, a hold or two a session";
      const nlohmann::json& trend = side["release_trend"]["s_per_week"];
      if (trend.is_null()) continue;
      (trend.get<double>() < 0 ? falling : rising)++;
    }
  }
  EXPECT_GE(spots_seen_often, 4);
  EXPECT_GE(falling, 4);
  EXPECT_EQ(rising, 0);
}

TEST_F(DemoLibraryCli, EveryMarkerLandsOnThePlannedSampleThroughTheEngine) {
  // The plan the command followed (the same options: seed 1, 12 sessions, 6 weeks, 2026-10-01).
  const rollrig::sim::DemoLibraryPlan plan = rollrig::sim::planDemoLibrary({});
  const std::vector<rollrig::store::SessionRecord> sessions = loadAll(s_db);
  ASSERT_EQ(sessions.size(), plan.sessions.size());
  rollrig::store::SessionStore st;
  ASSERT_FALSE(st.open(s_db));
  size_t released = 0;
  for (size_t i = 0; i < sessions.size(); ++i) {
    const rollrig::sim::DemoSession& planned = plan.sessions[i];
    EXPECT_EQ(sessions[i].info.started_utc, planned.started_utc);
    EXPECT_EQ(sessions[i].info.ball, plan.ball);
    EXPECT_EQ(sessions[i].sample_count, static_cast<uint64_t>(std::ceil(planned.record_s * 80)));
    std::vector<rollrig::core::Marker> markers;
    ASSERT_FALSE(st.loadMarkers(sessions[i].id, &markers));
    ASSERT_EQ(markers.size(), planned.markers.size()) << "session " << i + 1;
    std::vector<rollrig::core::Hold> holds;
    ASSERT_FALSE(st.loadHolds(sessions[i].id, &holds));
    for (size_t k = 0; k < markers.size(); ++k) {
      const rollrig::sim::DemoMarker& m = planned.markers[k];
      // The latest sample the engine had when the marker was given: the one at or before t_s.
      const uint64_t sample = static_cast<uint64_t>(std::floor(m.t_s * 80));
      EXPECT_EQ(markers[k].t_us - sessions[i].first_t_us.value_or(0), sample * 12500)
          << "session " << i + 1 << " marker " << k;
      if (m.kind == rollrig::sim::DemoMarker::Kind::kPain) {
        EXPECT_EQ(markers[k].pain, m.pain);
      }
      if (m.kind == rollrig::sim::DemoMarker::Kind::kNote) {
        EXPECT_EQ(markers[k].text, m.text);
      }
      if (m.kind == rollrig::sim::DemoMarker::Kind::kReleased) {
        EXPECT_EQ(markers[k].kind, rollrig::core::MarkerKind::kReleased);
        // The key wins for the hold it falls in.
        const double t_s = sample / 80.0;
        for (const rollrig::core::Hold& h : holds) {
          if (t_s <= h.start_s || t_s >= h.end_s) continue;
          ++released;
          EXPECT_EQ(h.release_source, "marker");
          ASSERT_TRUE(h.release_s.has_value());
          EXPECT_NEAR(*h.release_s, t_s, 1e-6);
        }
      }
    }
  }
  EXPECT_GT(released, 20u);
}

TEST(DemoLibraryCliRuns, TheSameSeedMakesTheSameLibraryAndAnotherSeedAnother) {
  TempDir dir;
  const auto make = [&](const std::string& name, int seed) {
    const CliRun r = rollrig::testing::runRollrig("demo-library -q --sessions 3 --weeks 1 --seed " +
                                                  std::to_string(seed) + " --db " + dir.file(name));
    EXPECT_EQ(r.code, 0) << r.output;
  };
  make("a.db", 5);
  make("b.db", 5);
  make("c.db", 6);
  const auto exported = [&](const std::string& name, int id) {
    const std::string out = dir.file(name + "-" + std::to_string(id));
    const CliRun r =
        runOut("export " + std::to_string(id) + " --db " + dir.file(name) + " --out " + out);
    EXPECT_EQ(r.code, 0) << r.output;
    std::string all;
    for (const char* f : {"samples.csv", "holds.csv", "markers.csv", "events.csv", "session.json"})
      all += readText(out + "/" + f);
    return all;
  };
  for (int id = 1; id <= 3; ++id) {
    const std::string a = exported("a.db", id);
    EXPECT_GT(a.size(), 100000u);
    EXPECT_EQ(a, exported("b.db", id)) << "session " << id;
    EXPECT_NE(a, exported("c.db", id)) << "session " << id;
  }
  const auto listed = [&](const std::string& name) {
    return nlohmann::json::parse(
        runOut("sessions --json --db " + dir.file(name)).output)["sessions"];
  };
  EXPECT_EQ(listed("a.db"), listed("b.db"));
  EXPECT_EQ(listed("a.db").size(), 3u);
}

TEST(DemoLibraryCliRuns, RefusesALibraryWithSessionsUnlessAppendAndLeavesItAsItWas) {
  TempDir dir;
  const std::string db = dir.file("lib.db");
  const CliRun first =
      rollrig::testing::runRollrig("demo-library -q --sessions 1 --weeks 1 --db " + db);
  ASSERT_EQ(first.code, 0) << first.output;
  const std::string before = readText(db);
  const CliRun again =
      rollrig::testing::runRollrig("demo-library --sessions 1 --weeks 1 --db " + db);
  EXPECT_EQ(again.code, 8) << again.output;
  EXPECT_NE(again.output.find("already holds 1 session"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("--append"), std::string::npos) << again.output;
  EXPECT_EQ(readText(db), before) << "the refused library is untouched";
  EXPECT_EQ(loadAll(db).size(), 1u);

  const CliRun more = rollrig::testing::runRollrig(
      "demo-library -q --append --sessions 2 --weeks 1 --start-date 2026-12-01 --db " + db);
  EXPECT_EQ(more.code, 0) << more.output;
  const auto sessions = loadAll(db);
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions[2].info.started_utc.substr(0, 8), "2026-12-");
}

TEST(DemoLibraryCliRuns, WithoutDbMakesANewFileHereAndNeverTouchesTheUsersLibrary) {
  TempDir dir;
  const std::string users = dir.file("users-own.db");
  const CliRun r = rollrig::testing::runShell("cd '" + dir.path() + "' && ROLLRIG_DB='" + users +
                                              "' " + rollrig::testing::rollrigBinary() +
                                              " demo-library --sessions 1 --weeks 1 2>&1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir.file("rollrig-demo-library.db")));
  EXPECT_FALSE(fs::exists(users));
  EXPECT_NE(r.output.find("rollrig-demo-library.db"), std::string::npos) << r.output;
}

TEST(DemoLibraryCliRuns, RefusesBadOptionsWithExit2AndAFileThatIsNoLibraryWithExit12) {
  TempDir dir;
  for (const char* bad : {"--sessions 15 --weeks 2", "--sessions 0", "--weeks 0",
                          "--start-date 2026-02-30", "--start-date 10/01/2026", "--seed -1"}) {
    const CliRun r = rollrig::testing::runRollrig(std::string("demo-library ") + bad + " --db " +
                                                  dir.file("x.db"));
    EXPECT_EQ(r.code, 2) << bad << ": " << r.output;
    EXPECT_FALSE(fs::exists(dir.file("x.db"))) << bad;
  }
  rollrig::testing::writeText(dir.file("notes.txt"), "not a library\n");
  const CliRun foreign = rollrig::testing::runRollrig("demo-library --sessions 1 --weeks 1 --db " +
                                                      dir.file("notes.txt"));
  EXPECT_EQ(foreign.code, 12) << foreign.output;
  EXPECT_EQ(readText(dir.file("notes.txt")), "not a library\n");
  const CliRun help = rollrig::testing::runRollrig("demo-library --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("Exit codes"), std::string::npos) << help.output;
}

TEST(DemoLibraryCliRuns, CtrlCStopsWithExit130AndKeepsOnlyTheCompleteSessions) {
  TempDir dir;
  const std::string db = dir.file("lib.db");
  const std::string log = dir.file("log.txt");
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"demo-library", "--sessions", "60", "--weeks", "10", "--db", db}, log);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(rollrig::testing::waitForText(log, "week 1")) << readText(log);
  kill(pid, SIGINT);
  EXPECT_EQ(rollrig::testing::waitRollrig(pid), 130) << readText(log);
  EXPECT_NE(readText(log).find("made so far are in"), std::string::npos) << readText(log);
  const auto sessions = loadAll(db);
  ASSERT_GE(sessions.size(), 1u);
  EXPECT_LT(sessions.size(), 60u);
  for (const auto& r : sessions) EXPECT_EQ(r.end_reason, rollrig::store::kEndSourceEnded);
}

// `rollrig sessions | show | export | import | reanalyze | history` as a user runs them: the built
// binary, a library in a temporary directory (--db), output, files and exit codes.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_run.h"
#include "rollrig/store/session_store.h"

namespace fs = std::filesystem;

namespace {

using rollrig::testing::CliRun;

using rollrig::testing::readText;
using rollrig::testing::writeText;

using rollrig::testing::TempDir;

// `rollrig <args>` with stdout alone (stderr dropped), for JSON and ids.
CliRun runOut(const std::string& args, const std::string& env = "") {
  return rollrig::testing::runShell(env + rollrig::testing::rollrigBinary() + " " + args +
                                    " 2>/dev/null");
}

// A library with one session: a demo recording (with its sidecar) imported.
class LibraryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_db = m_dir.file("lib.db");
    const CliRun rec = rollrig::testing::runRollrig(
        "record --demo --fast --duration 150 --seed 4 --quiet --out " + m_dir.file("run.csv"));
    ASSERT_EQ(rec.code, 0) << rec.output;
    const CliRun im = runOut("import " + m_dir.file("run.csv") + " --db " + m_db);
    ASSERT_EQ(im.code, 0) << im.output;
    ASSERT_EQ(im.output, "1\n");
  }
  std::string db() const { return " --db " + m_db; }
  TempDir m_dir;
  std::string m_db;
};

TEST_F(LibraryCli, ImportsARecordingWithItsSidecarAndExportsTheVeryCsvRecordWrote) {
  const CliRun ex = rollrig::testing::runRollrig("export 1 --out " + m_dir.file("out") + db());
  ASSERT_EQ(ex.code, 0) << ex.output;
  EXPECT_NE(ex.output.find("samples.csv holds.csv markers.csv events.csv session.json"),
            std::string::npos)
      << ex.output;
  const std::string recorded = readText(m_dir.file("run.csv"));
  ASSERT_GT(recorded.size(), 100000u);
  EXPECT_TRUE(recorded == readText(m_dir.file("out/samples.csv")))
      << "the export's samples.csv differs from the CSV `record --out` wrote";
  const nlohmann::json meta = nlohmann::json::parse(readText(m_dir.file("out/session.json")));
  EXPECT_EQ(meta["device"]["serial"], "0000D3E0");
  EXPECT_EQ(meta["calibrations"][0]["calibration"]["source"], "virtual rig nominal");
  EXPECT_EQ(meta["samples"], 150 * 80);
}

TEST_F(LibraryCli, SessionsListsEachSessionWithItsHoldsAsTextAndJson) {
  const CliRun text = rollrig::testing::runRollrig("sessions" + db());
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("0000D3E0"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("2:30"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("imported"), std::string::npos) << text.output;
  const CliRun js = runOut("sessions --json" + db());
  ASSERT_EQ(js.code, 0);
  const nlohmann::json j = nlohmann::json::parse(js.output);
  ASSERT_EQ(j["sessions"].size(), 1u);
  EXPECT_EQ(j["sessions"][0]["id"], 1);
  EXPECT_EQ(j["sessions"][0]["samples"], 150 * 80);
  EXPECT_GE(j["sessions"][0]["holds"].get<int>(), 1);
  EXPECT_EQ(j["sessions"][0]["ended"], "imported");
  // ROLLRIG_DB stands in for --db.
  const CliRun env = runOut("sessions --json", "ROLLRIG_DB='" + m_db + "' ");
  ASSERT_EQ(env.code, 0);
  EXPECT_EQ(nlohmann::json::parse(env.output)["sessions"].size(), 1u);
}

TEST_F(LibraryCli, ShowSummarisesOneSessionWithItsHoldsTable) {
  const CliRun text = rollrig::testing::runRollrig("show 1" + db());
  ASSERT_EQ(text.code, 0) << text.output;
  for (const char* want : {"Session 1", "virtual rig nominal", "Holds (", "release", "Markers"})
    EXPECT_NE(text.output.find(want), std::string::npos) << want << "\n" << text.output;
  const CliRun js = runOut("show 1 --json" + db());
  ASSERT_EQ(js.code, 0);
  const nlohmann::json j = nlohmann::json::parse(js.output);
  const nlohmann::json list = nlohmann::json::parse(runOut("sessions --json" + db()).output);
  EXPECT_EQ(j["holds"].size(), list["sessions"][0]["holds"].get<size_t>());
  EXPECT_TRUE(j["holds"][0].contains("release_s"));
  EXPECT_TRUE(j["markers"].is_array());
}

// Issue 12: the holds' steadiness is stored, so show reads it without reanalysis; a session
// stored before it (holds without steadiness) gets it from reanalyze.
TEST_F(LibraryCli, ShowReadsEachHoldsSteadinessAndReanalyzeFillsItForOldSessions) {
  const auto steadiness = [&] {
    const CliRun js = runOut("show 1 --json" + db());
    EXPECT_EQ(js.code, 0);
    return nlohmann::json::parse(js.output)["holds"];
  };
  nlohmann::json holds = steadiness();
  ASSERT_FALSE(holds.empty());
  for (const auto& h : holds) {
    ASSERT_TRUE(h["steadiness"].is_object()) << h.dump();
    EXPECT_GT(h["steadiness"]["path_mm"].get<double>(), 0);
    EXPECT_GT(h["steadiness"]["ml_range_mm"].get<double>(), 0);
  }
  const double path = holds[0]["steadiness"]["path_mm"].get<double>();
  const CliRun text = rollrig::testing::runRollrig("show 1" + db());
  EXPECT_NE(text.output.find("steady: path "), std::string::npos) << text.output;

  {  // As a library written before version 3 holds them: no steadiness.
    rollrig::store::SessionStore st;
    ASSERT_FALSE(st.open(m_db));
    std::vector<rollrig::core::Hold> stored;
    ASSERT_FALSE(st.loadHolds(1, &stored));
    for (auto& h : stored) h.steadiness.reset();
    st.replaceHolds(1, stored);
    ASSERT_FALSE(st.commit());
  }
  holds = steadiness();
  for (const auto& h : holds) EXPECT_TRUE(h["steadiness"].is_null()) << h.dump();
  EXPECT_NE(rollrig::testing::runRollrig("show 1" + db()).output.find("steady: none"),
            std::string::npos);

  ASSERT_EQ(runOut("reanalyze 1" + db()).code, 0);
  holds = steadiness();
  ASSERT_FALSE(holds.empty());
  for (const auto& h : holds) EXPECT_TRUE(h["steadiness"].is_object()) << h.dump();
  EXPECT_DOUBLE_EQ(holds[0]["steadiness"]["path_mm"].get<double>(), path);
}

TEST_F(LibraryCli, AnUnknownSessionIsExit13AndAMissingOrForeignLibraryExit12) {
  for (const std::string& cmd :
       {std::string("show 7"), "export 7 --out " + m_dir.file("x"), std::string("reanalyze 7")}) {
    const CliRun r = rollrig::testing::runRollrig(cmd + db());
    EXPECT_EQ(r.code, 13) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find("no session 7"), std::string::npos) << r.output;
  }
  const CliRun missing = rollrig::testing::runRollrig("sessions --db " + m_dir.file("none.db"));
  EXPECT_EQ(missing.code, 12) << missing.output;
  EXPECT_NE(missing.output.find("no session library"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(m_dir.file("none.db"))) << "a read-only command created a library";
  writeText(m_dir.file("foreign.db"), "this is not a database\n");
  const CliRun foreign = rollrig::testing::runRollrig("sessions --db " + m_dir.file("foreign.db"));
  EXPECT_EQ(foreign.code, 12) << foreign.output;
}

TEST_F(LibraryCli, ImportOfAMalformedCsvNamesTheLineExits10AndAddsNothing) {
  writeText(m_dir.file("bad.csv"), "time_s,force_N\n0.0,1\nabc,2\n0.2,x\n0.3,\n");
  const CliRun r = rollrig::testing::runRollrig("import " + m_dir.file("bad.csv") + db());
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_NE(r.output.find("line 3: "), std::string::npos) << r.output;
  const nlohmann::json list = nlohmann::json::parse(runOut("sessions --json" + db()).output);
  EXPECT_EQ(list["sessions"].size(), 1u);
  const CliRun none = rollrig::testing::runRollrig("import " + m_dir.file("nope.csv") + db());
  EXPECT_EQ(none.code, 10) << none.output;
  EXPECT_NE(none.output.find("does not exist"), std::string::npos) << none.output;
}

TEST_F(LibraryCli, ImportOfTheMinimalFormPrintsTheNewIdAndJson) {
  std::string csv = "time_s,force_N\n";
  for (int i = 0; i < 4000; ++i)
    csv += std::to_string(i * 0.0125) + "," + std::to_string(i > 800 && i < 3600 ? 300 : 0) + "\n";
  writeText(m_dir.file("min.csv"), csv);
  const CliRun r = runOut("import --json " + m_dir.file("min.csv") + db());
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["id"], 2);
  EXPECT_EQ(j["form"], "force only");
  EXPECT_EQ(j["samples"], 4000);
  EXPECT_EQ(j["holds"], 1);
  const CliRun ex = rollrig::testing::runRollrig("export 2 --out " + m_dir.file("m") + db());
  ASSERT_EQ(ex.code, 0) << ex.output;
  EXPECT_EQ(readText(m_dir.file("m/samples.csv")).rfind("time_s,force_N\n0.000000,0.0000\n", 0),
            0u);
  // Re-calibrating imported forces is refused (exit 11).
  const CliRun ex1 = rollrig::testing::runRollrig("export 1 --out " + m_dir.file("e1") + db());
  ASSERT_EQ(ex1.code, 0);
  const nlohmann::json meta = nlohmann::json::parse(readText(m_dir.file("e1/session.json")));
  writeText(m_dir.file("cal.json"), meta["calibrations"][0]["calibration"].dump(2));
  const CliRun re =
      rollrig::testing::runRollrig("reanalyze 2 --calibration " + m_dir.file("cal.json") + db());
  EXPECT_EQ(re.code, 11) << re.output;
  EXPECT_NE(re.output.find("cannot be re-calibrated"), std::string::npos) << re.output;
}

TEST_F(LibraryCli, ExportRefusesANonEmptyDirectoryWithExit8UnlessForced) {
  fs::create_directories(m_dir.file("full"));
  writeText(m_dir.file("full/holds.csv"), "mine\n");
  const CliRun r = rollrig::testing::runRollrig("export 1 --out " + m_dir.file("full") + db());
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
  EXPECT_EQ(readText(m_dir.file("full/holds.csv")), "mine\n");
  const CliRun f =
      rollrig::testing::runRollrig("export 1 --force --out " + m_dir.file("full") + db());
  EXPECT_EQ(f.code, 0) << f.output;
  EXPECT_EQ(readText(m_dir.file("full/holds.csv")).rfind("hold,start_s,", 0), 0u);
}

TEST_F(LibraryCli, ReanalyzeWithACalibrationFileReplacesTheHolds) {
  const CliRun ex = rollrig::testing::runRollrig("export 1 --out " + m_dir.file("e") + db());
  ASSERT_EQ(ex.code, 0);
  nlohmann::json cal = nlohmann::json::parse(
      readText(m_dir.file("e/session.json")))["calibrations"][0]["calibration"];
  for (auto& c : cal["cells"]) {
    c["n_per_count"] = c["n_per_count"].get<double>() * 0.05;  // a twentieth: no meaningful load
    c.erase("counts_per_N");
  }
  cal["source"] = "test: far too light";
  writeText(m_dir.file("light.json"), cal.dump(2));
  const CliRun before = runOut("reanalyze 1 --json" + db());
  ASSERT_EQ(before.code, 0) << before.output;
  EXPECT_GE(nlohmann::json::parse(before.output)["holds_count"].get<int>(), 1);
  const CliRun after =
      runOut("reanalyze 1 --json --calibration " + m_dir.file("light.json") + db());
  ASSERT_EQ(after.code, 0) << after.output;
  EXPECT_EQ(nlohmann::json::parse(after.output)["holds_count"], 0);
  const nlohmann::json list = nlohmann::json::parse(runOut("sessions --json" + db()).output);
  EXPECT_EQ(list["sessions"][0]["holds"], 0) << "the new holds were stored";
  writeText(m_dir.file("broken.json"), "{ not json");
  const CliRun bad =
      rollrig::testing::runRollrig("reanalyze 1 --calibration " + m_dir.file("broken.json") + db());
  EXPECT_EQ(bad.code, 10) << bad.output;
}

TEST_F(LibraryCli, HistoryShowsSpotsAndRefusesABadOrFarSpot) {
  const CliRun text = rollrig::testing::runRollrig("history" + db());
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("Spot 1"), std::string::npos) << text.output;
  const CliRun js = runOut("history --json --side left" + db());
  ASSERT_EQ(js.code, 0) << js.output;
  const nlohmann::json j = nlohmann::json::parse(js.output);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["sessions"], 1);
  for (const auto& spot : j["spots"])
    for (const auto& side : spot["sides"]) EXPECT_EQ(side["side"], "left");
  const CliRun bad = rollrig::testing::runRollrig("history --spot 12" + db());
  EXPECT_EQ(bad.code, 2) << bad.output;
  const CliRun far = runOut("history --json --spot 9000,9000" + db());
  EXPECT_EQ(far.code, 13) << far.output;
  EXPECT_EQ(nlohmann::json::parse(far.output)["ok"], false);
  const CliRun side = rollrig::testing::runRollrig("history --side middle" + db());
  EXPECT_EQ(side.code, 2) << side.output;
}

TEST_F(LibraryCli, SessionsTellsARecordingFromAnInterruptedSession) {
  rollrig::store::SessionStore recorder;
  ASSERT_FALSE(recorder.open(m_db));
  int64_t live = 0, dead = 0;
  {
    rollrig::store::SessionStore crashed;
    ASSERT_FALSE(crashed.open(m_db));
    rollrig::store::SessionInfo info;
    info.started_utc = "2026-11-29T08:00:00Z";
    ASSERT_FALSE(crashed.beginSession(info, &dead));
    std::vector<rollrig::core::Sample> samples(80);
    for (size_t i = 0; i < samples.size(); ++i) {
      samples[i].t_us = i * 12500;
      samples[i].seq = static_cast<uint16_t>(i);
      samples[i].channel_count = 4;
    }
    crashed.appendSamples(dead, samples);
    ASSERT_FALSE(crashed.commit());
  }  // its recorder is gone without ending it
  ASSERT_FALSE(recorder.beginSession({}, &live));
  const nlohmann::json j = nlohmann::json::parse(runOut("sessions --json" + db()).output);
  ASSERT_EQ(j["sessions"].size(), 3u);
  EXPECT_EQ(j["sessions"][1]["id"], dead);
  EXPECT_EQ(j["sessions"][1]["ended"], "interrupted");
  EXPECT_EQ(j["sessions"][1]["samples"], 80);
  EXPECT_EQ(j["sessions"][2]["id"], live);
  EXPECT_EQ(j["sessions"][2]["ended"], "recording");
  EXPECT_EQ(j["sessions"][2]["recording"], true);
}

TEST_F(LibraryCli, EditMovesConfirmsAndDeletesAReleaseShowListsBothAndHistoryUsesTheEdit) {
  const nlohmann::json before = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  ASSERT_GE(before["holds"].size(), 1u);
  const nlohmann::json& h = before["holds"][0];
  const double start = h["start_s"], end = h["end_s"];
  char at_text[32];
  std::snprintf(at_text, sizeof at_text, "%.3f", start + 0.25 * (end - start));
  const double at = std::strtod(at_text, nullptr);

  const CliRun mv =
      rollrig::testing::runRollrig("edit 1 --hold 1 --release-at " + std::string(at_text) + db());
  ASSERT_EQ(mv.code, 0) << mv.output;
  EXPECT_NE(mv.output.find("moved"), std::string::npos) << mv.output;
  const nlohmann::json after = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  EXPECT_NEAR(after["holds"][0]["release_s"].get<double>(), at, 1e-9);
  EXPECT_EQ(after["holds"][0]["release_source"], "edited");
  EXPECT_EQ(after["edits"]["detected"][0]["detected_release_s"], h["release_s"]);
  ASSERT_EQ(after["edits"]["releases"].size(), 1u);
  EXPECT_EQ(after["edits"]["releases"][0]["kind"], "moved");
  EXPECT_EQ(after["edits"]["releases"][0]["hold"], 1);
  const CliRun text = rollrig::testing::runRollrig("show 1" + db());
  EXPECT_NE(text.output.find("release moved to"), std::string::npos) << text.output;

  // History takes the edited time to release.
  const nlohmann::json hist = nlohmann::json::parse(runOut("history --json" + db()).output);
  bool seen = false;
  for (const auto& spot : hist["spots"])
    for (const auto& side : spot["sides"])
      for (const auto& ses : side["sessions"])
        if (ses["holds"] == 1 && ses["released"] == 1 && !ses["median_release_s"].is_null() &&
            std::abs(ses["median_release_s"].get<double>() - (at - start)) < 1e-6)
          seen = true;
  EXPECT_TRUE(seen) << hist.dump(1);

  // Deleted, then undone: back to the detector's value; both edits stay listed.
  ASSERT_EQ(rollrig::testing::runRollrig("edit 1 --hold 1 --no-release" + db()).code, 0);
  nlohmann::json j = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  EXPECT_TRUE(j["holds"][0]["release_s"].is_null());
  ASSERT_EQ(rollrig::testing::runRollrig("edit 1 --hold 1 --undo" + db()).code, 0);
  j = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  EXPECT_EQ(j["holds"][0]["release_s"], h["release_s"]);
  EXPECT_EQ(j["edits"]["releases"].size(), 3u);

  // Exit codes: a time outside the hold 2, no such hold or session 13, no action 2.
  EXPECT_EQ(rollrig::testing::runRollrig("edit 1 --hold 1 --release-at 0" + db()).code, 2);
  EXPECT_EQ(rollrig::testing::runRollrig("edit 1 --hold 99 --confirm" + db()).code, 13);
  EXPECT_EQ(rollrig::testing::runRollrig("edit 7 --hold 1 --confirm" + db()).code, 13);
  EXPECT_EQ(rollrig::testing::runRollrig("edit 1 --hold 1" + db()).code, 2);
  EXPECT_EQ(rollrig::testing::runRollrig("edit 1 --hold 1 --confirm --no-release" + db()).code, 2);
}

TEST_F(LibraryCli, MarkAddsChangesAndDeletesMarkersAfterwardsKeepingTheOriginals) {
  const CliRun add = runOut("mark 1 --at 42.5 --pain 7" + db());
  ASSERT_EQ(add.code, 0) << add.output;
  EXPECT_NE(add.output.find("added at 42.5 s (pain 7)"), std::string::npos) << add.output;
  nlohmann::json j = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  int64_t id = 0;
  for (const auto& r : j["edits"]["marker_rows"])
    if (r["kind"] == "pain" && r["pain"] == 7) id = r["id"];
  ASSERT_GT(id, 0);
  ASSERT_EQ(runOut("mark 1 --edit-marker " + std::to_string(id) + " --pain 3" + db()).code, 0);
  const CliRun note = runOut("mark 1 --at 10 --note \"physio: left it\"" + db());
  ASSERT_EQ(note.code, 0) << note.output;
  j = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  int64_t note_id = 0;
  for (const auto& r : j["edits"]["marker_rows"])
    if (r["note"] == "physio: left it") note_id = r["id"];
  ASSERT_GT(note_id, 0);
  ASSERT_EQ(runOut("mark 1 --delete-marker " + std::to_string(note_id) + db()).code, 0);

  j = nlohmann::json::parse(runOut("show 1 --json" + db()).output);
  int pains = 0, notes = 0;
  for (const auto& m : j["markers"]) {
    if (m["kind"] == "pain" && std::abs(m["time_s"].get<double>() - 42.5) < 1e-6) {
      ++pains;
      EXPECT_EQ(m["pain"], 3);
    }
    if (m["note"] == "physio: left it") ++notes;
  }
  EXPECT_EQ(pains, 1);
  EXPECT_EQ(notes, 0);
  int kept = 0;
  for (const auto& r : j["edits"]["marker_rows"])
    if (!r["in_effect"].get<bool>() && (r["pain"] == 7 || r["note"] == "physio: left it")) ++kept;
  EXPECT_EQ(kept, 2);
  const CliRun text = rollrig::testing::runRollrig("show 1" + db());
  EXPECT_NE(text.output.find("was marker " + std::to_string(id)), std::string::npos) << text.output;

  // Usage 2 (no value, a pain of 11, a time past the end), 13 (no such marker or session).
  EXPECT_EQ(rollrig::testing::runRollrig("mark 1 --at 5" + db()).code, 2);
  EXPECT_EQ(rollrig::testing::runRollrig("mark 1 --at 5 --pain 11" + db()).code, 2);
  EXPECT_EQ(rollrig::testing::runRollrig("mark 1 --at 99999 --released" + db()).code, 2);
  EXPECT_EQ(rollrig::testing::runRollrig("mark 1 --delete-marker 9999" + db()).code, 13);
  EXPECT_EQ(rollrig::testing::runRollrig("mark 5 --at 1 --released" + db()).code, 13);
}

TEST(LibraryCliHelp, EveryLibraryCommandHasHelpWithItsExitCodes) {
  for (const char* cmd :
       {"sessions", "show", "export", "import", "reanalyze", "history", "edit", "mark"}) {
    const CliRun r = rollrig::testing::runRollrig(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find("--db"), std::string::npos) << cmd;
    EXPECT_NE(r.output.find("Exit codes"), std::string::npos) << cmd;
  }
  const CliRun top = rollrig::testing::runRollrig("--help");
  EXPECT_NE(top.output.find("12 session library"), std::string::npos) << top.output;
}

}  // namespace

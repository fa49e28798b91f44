// rollrig-gui --bench / --bench-idle end to end: the real binary under Xvfb (Mesa's llvmpipe)
// prints its one line of figures (bench.h). Nothing here asserts on speed: a slow machine gives
// smaller fps and more CPU-seconds, never a failure. The figures themselves are measured by hand
// (docs/GUI.md "Measured").
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gui_run.h"
#include "rollrig/store/session_store.h"

namespace fs = std::filesystem;

namespace {

using rollrig::testing::GuiRun;
using rollrig::testing::haveXvfbRun;
using rollrig::testing::runGui;

#define SKIP_WITHOUT_XVFB()                                                           \
  do {                                                                                \
    if (!haveXvfbRun()) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb)"; \
  } while (0)

struct Figures {
  std::string mode;
  double wall_s = -1, device_s = -1, fps = -1, cpu_s = -1, user_s = -1, sys_s = -1, rss_mb = -1;
  long long frames = -1;
};

// The one line of bench.h's formatBench(); false when it is not there.
bool parseLine(const std::string& out, Figures* f) {
  static const std::regex kLine(
      R"(rollrig-gui bench (streaming|idle): ([0-9.]+) s wall, ([0-9.]+) s device time, ([0-9]+) )"
      R"(frames, ([0-9.]+) fps, ([0-9.]+) CPU-s \(user ([0-9.]+), sys ([0-9.]+)\), peak RSS )"
      R"(([0-9.]+) MB)");
  std::smatch m;
  if (!std::regex_search(out, m, kLine)) return false;
  if (!f) return true;
  f->mode = m[1];
  f->wall_s = std::stod(m[2]);
  f->device_s = std::stod(m[3]);
  f->frames = std::stoll(m[4]);
  f->fps = std::stod(m[5]);
  f->cpu_s = std::stod(m[6]);
  f->user_s = std::stod(m[7]);
  f->sys_s = std::stod(m[8]);
  f->rss_mb = std::stod(m[9]);
  return true;
}

// The --json object's field `key` as a number (-1 when missing).
double jsonNumber(const std::string& out, const std::string& key) {
  const std::regex re("\"" + key + "\":([0-9.]+)");
  std::smatch m;
  return std::regex_search(out, m, re) ? std::stod(m[1]) : -1;
}

}  // namespace

TEST(GuiBench, StreamsTheVirtualRigForTheWallTimeAskedAndPrintsItsFigures) {
  SKIP_WITHOUT_XVFB();
  const GuiRun r = runGui("--bench 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Figures f;
  ASSERT_TRUE(parseLine(r.out, &f)) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_EQ(f.mode, "streaming");
  EXPECT_GE(f.wall_s, 2.0);  // it stops once 2 s have passed, never before
  EXPECT_GT(f.frames, 0);
  EXPECT_NEAR(f.fps, f.frames / f.wall_s, 0.1 + 0.01 * f.fps);
  EXPECT_GT(f.cpu_s, 0.0);
  EXPECT_NEAR(f.cpu_s, f.user_s + f.sys_s, 0.011);
  EXPECT_GT(f.rss_mb, 1.0);
  EXPECT_GE(f.device_s, 0.0);
}

TEST(GuiBench, PrintStatsReportsPeakResidentMemoryAndTheSessionStoresBytes) {
  SKIP_WITHOUT_XVFB();
  const std::string db = (rollrig::testing::guiTempDir() / "stats.db").string();
  const std::string png = (rollrig::testing::guiTempDir() / "stats.png").string();
  // Waits on device time: seed 1's first hold reaches 35 s well after a minute of session.
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db + " --screenshot " + png +
                          " --screenshot-when-hold-s 35 --frames 2 --print-stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  static const std::regex kMemory(
      R"(memory: peak RSS ([0-9.]+) MB \(VmHWM\), RSS now ([0-9.]+) MB; session samples )"
      R"(([0-9.]+) MB \(([0-9]+) samples, ([0-9.]+) bytes a sample\))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, kMemory)) << r.err;
  const double peak_mb = std::stod(m[1]), now_mb = std::stod(m[2]), store_mb = std::stod(m[3]);
  const long long samples = std::stoll(m[4]);
  const double per_sample = std::stod(m[5]);
  EXPECT_GT(now_mb, 1.0);
  EXPECT_GE(peak_mb, now_mb);  // the high-water mark is never below the resident set now
  EXPECT_GT(samples, 80 * 35);
  EXPECT_GT(store_mb, 0.0);
  EXPECT_LT(store_mb, now_mb);
  // About 33 bytes a sample in whole chunks of 4,096 (sample_store.h): at most the partly filled
  // last chunk on top.
  const double chunks = std::ceil(static_cast<double>(samples) / 4096.0);
  EXPECT_GE(per_sample, 30.0);
  EXPECT_LE(per_sample, 35.0 * chunks * 4096.0 / static_cast<double>(samples));
}

TEST(GuiBench, IdleOpensTheWindowWithNothingConnectedAndPrintsJson) {
  SKIP_WITHOUT_XVFB();
  const GuiRun r = runGui("--bench-idle 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"mode\":\"idle\""), std::string::npos) << r.out;
  EXPECT_GE(jsonNumber(r.out, "wall_s"), 1.0) << r.out;
  EXPECT_EQ(jsonNumber(r.out, "device_s"), 0.0) << r.out;  // no session
  EXPECT_GT(jsonNumber(r.out, "frames"), 0.0) << r.out;    // the window was drawn
  EXPECT_GT(jsonNumber(r.out, "cpu_s"), 0.0) << r.out;
  EXPECT_GT(jsonNumber(r.out, "peak_rss_mb"), 1.0) << r.out;
}

TEST(GuiBench, RecordsIntoAThrowawayLibraryAndLeavesNothingBehindWithoutDb) {
  SKIP_WITHOUT_XVFB();
  // Its own temporary directory (TMPDIR), so only this run's leftovers could be in it.
  const fs::path tmp = rollrig::testing::guiTempDir() / "tmp";
  fs::create_directories(tmp);
  const GuiRun r = runGui("--bench 1", true, "TMPDIR=" + tmp.string() + " ");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(parseLine(r.out, nullptr)) << r.out;
  for (const auto& e : fs::directory_iterator(tmp))
    ADD_FAILURE() << "left behind: " << e.path().filename().string();
}

TEST(GuiBench, RecordsIntoTheLibraryGivenWithDb) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = rollrig::testing::guiTempDir() / "bench.db";
  const GuiRun r = runGui("--bench 1 --db " + db.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rollrig::store::SessionStore store;
  rollrig::store::OpenOptions ro;
  ro.mode = rollrig::store::OpenMode::kReadOnly;
  ASSERT_FALSE(store.open(db.string(), ro)) << db;
  std::vector<rollrig::store::SessionListEntry> sessions;
  ASSERT_FALSE(store.listSessions(&sessions));
  ASSERT_EQ(sessions.size(), 1u);  // the virtual rig's session, stopped when the time was up
  EXPECT_EQ(sessions[0].end_reason, "stopped");
}

TEST(GuiBench, RefusesASourceOrScreenshotBesideIt) {
  for (const char* extra : {"--demo", "--port /dev/null", "--fast", "--screenshot x.png"}) {
    const GuiRun r = runGui(std::string("--bench 1 ") + extra, /*under_xvfb=*/false);
    EXPECT_EQ(r.exit_code, 2) << extra << ": " << r.err;
    EXPECT_NE(r.err.find("--bench"), std::string::npos) << r.err;
  }
  const GuiRun j = runGui("--json", /*under_xvfb=*/false);
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_NE(j.err.find("--json goes with --bench"), std::string::npos) << j.err;
}

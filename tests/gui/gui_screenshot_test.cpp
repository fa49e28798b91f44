// rollrig-gui end to end: the real binary under Xvfb (Mesa's llvmpipe), on the virtual rig,
// writing a screenshot that the tests read back (stb_image) and check: its size, that it is a
// real rendering (many colours), and the hold panel's protocol-window colour mid-hold.
//
// Nothing here waits on wall time or frame counts for the session's progress: the app waits on
// device time (--screenshot-when-hold-s) and the --fast rig advances one step per frame, so a slow
// machine only takes longer. ctest's timeout is the generous overall limit.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <stb_image.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "coach_gauges.h"
#include "gui_run.h"
#include "layout.h"
#include "rollrig/store/session_store.h"
#include "theme.h"

namespace fs = std::filesystem;
using rollrig::gui::Rgb;

namespace {

using rollrig::testing::GuiRun;
using rollrig::testing::haveXvfbRun;
using rollrig::testing::runGui;

fs::path tempDir() {
  return rollrig::testing::guiTempDir();
}

struct Image {
  int w = 0, h = 0;
  std::vector<Rgb> px;
  size_t count(Rgb c) const {
    size_t n = 0;
    for (const Rgb& p : px) n += p == c;
    return n;
  }
  size_t distinctColours() const {
    std::set<uint32_t> s;
    for (const Rgb& p : px) s.insert((p.r << 16) | (p.g << 8) | p.b);
    return s.size();
  }
};

bool loadPng(const fs::path& path, Image* img) {
  int n = 0;
  unsigned char* data = stbi_load(path.c_str(), &img->w, &img->h, &n, 3);
  if (!data) return false;
  img->px.resize(static_cast<size_t>(img->w) * img->h);
  for (size_t i = 0; i < img->px.size(); ++i)
    img->px[i] = Rgb{data[3 * i], data[3 * i + 1], data[3 * i + 2]};
  stbi_image_free(data);
  return true;
}

#define SKIP_WITHOUT_XVFB()                                                           \
  do {                                                                                \
    if (!haveXvfbRun()) GTEST_SKIP() << "xvfb-run is missing (apt-get install xvfb)"; \
  } while (0)

}  // namespace

TEST(GuiScreenshot, ShowsTheHoldTimerInTheProtocolWindowColourMidHold) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "mid-hold.png";
  const fs::path db = tempDir() / "mid-hold.db";
  fs::remove(png);
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db.string() + " --screenshot " +
                          png.string() + " --frames 3 --screenshot-when-hold-s 35");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  EXPECT_EQ(img.w, 1260);
  EXPECT_EQ(img.h, 720);
  // A real rendering: antialiased text and traces give hundreds of colours.
  EXPECT_GT(img.distinctColours(), 300u);
  // The hold panel's field is green (30-90 s) and large: at least 10 % of the window.
  const size_t green = img.count(rollrig::gui::kInWindowField);
  EXPECT_GT(green, img.px.size() / 10) << "green pixels: " << green;
  // ... and neither amber (under 30 s) nor red (past 90 s) field is shown.
  EXPECT_LT(img.count(rollrig::gui::kBeforeWindowField), img.px.size() / 200);
  EXPECT_LT(img.count(rollrig::gui::kPastWindowField), img.px.size() / 200);
  // The protocol panel highlights its first step (right side rolling) in its own colour.
  EXPECT_GT(img.count(rollrig::gui::kProtocolCurrent), img.px.size() / 100);
}

// Issue 15: the speed and pressure gauges mid-roll (the app waits on device time for the ball to
// have rolled, not held, for 5 s), at the default size and at full HD.
TEST(GuiScreenshot, ShowsTheSpeedAndPressureGaugesMidRoll) {
  SKIP_WITHOUT_XVFB();
  for (const auto& [w, h] : {std::pair{1260, 720}, std::pair{1920, 1080}}) {
    const std::string size = std::to_string(w) + "x" + std::to_string(h);
    SCOPED_TRACE(size);
    const fs::path png = tempDir() / ("mid-roll-" + size + ".png");
    const fs::path db = tempDir() / ("mid-roll-" + size + ".db");
    fs::remove(png);
    const GuiRun r =
        runGui("--demo --fast --seed 1 --db " + db.string() + " --size " + size + " --screenshot " +
               png.string() + " --frames 3 --screenshot-when-rolling-s 20");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Image img;
    ASSERT_TRUE(loadPng(png, &img)) << png;
    ASSERT_EQ(img.w, w);
    ASSERT_EQ(img.h, h);
    // Rolling, not holding: none of the hold panel's fields.
    for (const Rgb field : {rollrig::gui::kBeforeWindowField, rollrig::gui::kInWindowField,
                            rollrig::gui::kPastWindowField})
      EXPECT_LT(img.count(field), img.px.size() / 200);
    const rollrig::gui::Layout lay = rollrig::gui::computeLayout(w, h, 1.0f);
    rollrig::gui::Rect speed, pressure;
    rollrig::gui::splitCoachGauges(lay.gauges, 1.0f, &speed, &pressure);
    const auto countIn = [&](const rollrig::gui::Rect& r, auto match) {
      size_t n = 0;
      for (int y = static_cast<int>(r.y0); y < static_cast<int>(r.y1); ++y)
        for (int x = static_cast<int>(r.x0); x < static_cast<int>(r.x1); ++x)
          n += match(img.px[static_cast<size_t>(y) * img.w + x]);
      return n;
    };
    for (const rollrig::gui::Rect& g : {speed, pressure}) {
      const auto area = static_cast<size_t>(g.width() * g.height());
      // The "slowly" region and the load band, shaded, and the number and the meter in green or
      // the warm colour (the ball is rolling, so the speed has a number).
      EXPECT_GT(countIn(g, [](Rgb p) { return p == rollrig::gui::gaugeBandColour(); }), area / 20);
      EXPECT_GT(
          countIn(g, [](Rgb p) { return p == rollrig::gui::kOk || p == rollrig::gui::kWarning; }),
          area / 100);
    }
  }
}

TEST(GuiScreenshot, KeepsAMalformedSettingsFileAndStillShowsTheWindow) {
  SKIP_WITHOUT_XVFB();
  const fs::path dir = tempDir() / "bad-config";
  fs::create_directories(dir);
  const std::string bad = "{\"body_mass_kg\": ";
  {
    std::ofstream out(dir / "gui.json");
    out << bad;
  }
  const fs::path png = tempDir() / "bad-config.png";
  fs::remove(png);
  const GuiRun r =
      runGui("--screenshot " + png.string(), true, "ROLLRIG_CONFIG_DIR=" + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  EXPECT_EQ(img.w, 1260);  // the defaults
  // The message is in the window, in red (with nothing connected nothing else is red).
  // Text is antialiased, so count the pixels close to the red (its glyphs' solid strokes).
  size_t reddish = 0;
  const Rgb e = rollrig::gui::kError;
  for (const Rgb& p : img.px)
    reddish += std::abs(p.r - e.r) < 24 && std::abs(p.g - e.g) < 24 && std::abs(p.b - e.b) < 24;
  EXPECT_GT(reddish, 200u);
  std::ifstream in(dir / "gui.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), bad);  // not overwritten: the user changed nothing
}

TEST(GuiScreenshot, ShowsTheAmberFieldWhileTheHoldIsUnder30Seconds) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "early-hold.png";
  const fs::path db = tempDir() / "early-hold.db";
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db.string() + " --screenshot " +
                          png.string() + " --frames 2 --screenshot-when-hold-s 12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  EXPECT_GT(img.count(rollrig::gui::kBeforeWindowField), img.px.size() / 10);
  EXPECT_LT(img.count(rollrig::gui::kInWindowField), img.px.size() / 200);
}

TEST(GuiScreenshot, RecordsTheDemoIntoTheLibraryItWasGiven) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "recorded.png";
  const fs::path db = tempDir() / "recorded.db";
  fs::remove(db);
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db.string() + " --screenshot " +
                          png.string() + " --frames 2 --screenshot-when-hold-s 31");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rollrig::store::SessionStore store;
  rollrig::store::OpenOptions ro;
  ro.mode = rollrig::store::OpenMode::kReadOnly;
  ASSERT_FALSE(store.open(db.string(), ro)) << db;
  std::vector<rollrig::store::SessionListEntry> sessions;
  ASSERT_FALSE(store.listSessions(&sessions));
  ASSERT_EQ(sessions.size(), 1u);
  // At least the hold's 31 s at 80 Hz were committed, and the session was ended (stopped).
  EXPECT_GT(sessions[0].sample_count, 31u * 80u);
  EXPECT_EQ(sessions[0].end_reason, "stopped");
}

TEST(GuiScreenshot, OpensWithNothingConnectedAndTheSizeAsked) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "idle.png";
  const fs::path db = tempDir() / "idle.db";
  const GuiRun r = runGui("--db " + db.string() + " --size 1000x640 --screenshot " + png.string() +
                          " --frames 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  EXPECT_EQ(img.w, 1000);
  EXPECT_EQ(img.h, 640);
  // The hold panel's quiet "no hold" field, and none of the hold colours.
  EXPECT_GT(img.count(rollrig::gui::kNoHoldField), img.px.size() / 10);
  EXPECT_EQ(img.count(rollrig::gui::kInWindowField), 0u);
  EXPECT_GT(img.distinctColours(), 50u);
}

TEST(GuiScreenshot, ShowsAPortThatCannotBeOpenedInRedInTheWindow) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "no-port.png";
  const fs::path db = tempDir() / "no-port.db";
  // Frames count from the session's end (the port cannot be opened), so the message is there.
  const GuiRun r = runGui("--port " + (tempDir() / "no-such-port").string() + " --db " +
                          db.string() + " --screenshot " + png.string() + " --frames 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  // The message, large and red in the hold panel: the solid red inside its strokes.
  EXPECT_GT(img.count(rollrig::gui::kError), 200u);
  EXPECT_EQ(img.count(rollrig::gui::kInWindowField), 0u);
}

namespace {
// Pixels of `img` inside `r` within `tol` of colour c on every channel (antialiased thin lines
// and text seldom hit a colour exactly).
size_t countNear(const Image& img, const rollrig::gui::Rect& r, Rgb c, int tol = 24) {
  size_t n = 0;
  for (int y = std::max(0, static_cast<int>(r.y0)); y < std::min(img.h, static_cast<int>(r.y1));
       ++y)
    for (int x = std::max(0, static_cast<int>(r.x0)); x < std::min(img.w, static_cast<int>(r.x1));
         ++x) {
      const Rgb& p = img.px[static_cast<size_t>(y) * img.w + x];
      n += std::abs(p.r - c.r) <= tol && std::abs(p.g - c.g) <= tol && std::abs(p.b - c.b) <= tol;
    }
  return n;
}
}  // namespace

// The small window (1000 x 640) with the per-cell traces on (the plot_cells setting): each cell's
// colour is in the plot (its trace and the legend) and in the plate view (its name), and the
// plate's cell labels did not shrink to nothing.
TEST(GuiScreenshot, AtTheSmallSizeEachCellsColourIsInThePlotAndOnThePlate) {
  SKIP_WITHOUT_XVFB();
  const fs::path dir = tempDir() / "cells-config";
  fs::create_directories(dir);
  std::ofstream(dir / "gui.json") << R"({"plot_cells": true})";
  const fs::path png = tempDir() / "small-cells.png";
  const fs::path db = tempDir() / "small-cells.db";
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db.string() + " --size 1000x640" +
                              " --screenshot " + png.string() + " --screenshot-when-hold-s 35",
                          true, "ROLLRIG_CONFIG_DIR=" + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  ASSERT_EQ(img.w, 1000);
  ASSERT_EQ(img.h, 640);
  const rollrig::gui::Layout lay = rollrig::gui::computeLayout(1000, 640, 1);
  for (int c = 0; c < 4; ++c) {
    const Rgb colour = rollrig::gui::kCellTrace[c];
    // A trace across the plot is a pixel or more in most columns; a name on the plate a few dozen.
    EXPECT_GT(countNear(img, lay.plot, colour), static_cast<size_t>(lay.plot.width() / 2))
        << "cell " << c << " in the plot";
    // (RR's near-white is also the loads' colour there, so only the three others tell.)
    if (c < 3) {
      EXPECT_GT(countNear(img, lay.plate, colour), 20u) << "cell " << c << "'s name on the plate";
    }
  }
  // The hold panel still shows its green field (the layout did not squeeze it away).
  EXPECT_GT(img.count(rollrig::gui::kInWindowField), img.px.size() / 10);
}

// HiDPI: with Xft.dpi 192 GLFW reports a content scale of 2; --size stays in logical px, so the
// window is twice as large, and the fonts and panels are scaled with it. Skipped without xrdb
// (x11-xserver-utils).
TEST(GuiScreenshot, AtContentScale2TheWindowIsTwiceTheLogicalSizeWithTheSameLayout) {
  SKIP_WITHOUT_XVFB();
  if (std::system("command -v xrdb >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "xrdb is missing (apt-get install x11-xserver-utils)";
  const std::string gui = rollrig::testing::guiCommand();
  const fs::path png = tempDir() / "hidpi.png";
  const fs::path db = tempDir() / "hidpi.db";
  const fs::path res = tempDir() / "hidpi.Xresources";
  std::ofstream(res) << "Xft.dpi: 192\n";
  // -noreset: the resource must outlive xrdb, the server's only client until the app starts.
  const std::string cmd = "xvfb-run -a -n " + std::to_string(2000 + getpid() % 1600) +
                          " -s \"-screen 0 2600x1600x24 -noreset\" sh -c 'xrdb -nocpp -merge " +
                          res.string() + " && " + gui + " --demo --fast --seed 1 --db " +
                          db.string() + " --size 1000x640 --screenshot " + png.string() +
                          " --screenshot-when-hold-s 35' >" + (tempDir() / "hidpi.out").string() +
                          " 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << rollrig::testing::readText((tempDir() / "hidpi.out").string());
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  EXPECT_EQ(img.w, 2000);
  EXPECT_EQ(img.h, 1280);
  // The same layout, twice the size: the hold panel's green field covers about the same share,
  // and the protocol panel's highlight too.
  const rollrig::gui::Layout lay = rollrig::gui::computeLayout(2000, 1280, 2);
  EXPECT_GT(countNear(img, lay.hold, rollrig::gui::kInWindowField, 0),
            static_cast<size_t>(lay.hold.width() * lay.hold.height() * 0.3f));
  EXPECT_GT(img.count(rollrig::gui::kProtocolCurrent), img.px.size() / 100);
}

TEST(GuiCommandLine, RefusesAMalformedSizeWithExitCode2) {
  // Parsed before any window opens: no display needed.
  const GuiRun r = runGui("--size 12x", false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--size"), std::string::npos) << r.err;
}

TEST(GuiCommandLine, RefusesFramesWithoutAScreenshot) {
  const GuiRun r = runGui("--demo --frames 3", false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--screenshot"), std::string::npos) << r.err;
}

TEST(GuiCommandLine, RefusesTheRollingWaitWithoutAScreenshot) {
  const GuiRun r = runGui("--demo --screenshot-when-rolling-s 20", false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--screenshot-when-rolling-s"), std::string::npos) << r.err;
}

TEST(GuiCommandLine, RefusesACueModeItDoesNotKnow) {
  const GuiRun r = runGui("--demo --cues loud", false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--cues"), std::string::npos) << r.err;
}

TEST(GuiCommandLine, RefusesFastWithoutTheDemo) {
  const GuiRun r = runGui("--port /dev/null --fast", false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--demo"), std::string::npos) << r.err;
}

TEST(GuiCommandLine, RefusesAPlotWindowThatIsNeitherWholeNorSeconds) {
  for (const char* bad :
       {"--demo --plot-window everything", "--demo --plot-window 1", "--demo --plot-window 30s"}) {
    const GuiRun r = runGui(bad, false);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--plot-window"), std::string::npos) << r.err;
  }
}

// Partial redraws (frame_renderer.h): every frame that was redrawn only where it changed is
// compared with the same frame drawn whole; not one pixel may differ. The --fast rig covers
// rolling, holds, releases and the plot scrolling; 400 frames are 400 s of device time.
TEST(GuiScreenshot, PartialRedrawsGiveTheSamePixelsAsWholeFrames) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "check-redraw.png";
  const fs::path db = tempDir() / "check-redraw.db";
  const GuiRun r =
      runGui("--demo --fast --seed 3 --db " + db.string() +
             " --check-redraw --print-stats --screenshot " + png.string() + " --frames 400");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("redraws: partial"), std::string::npos) << r.err;
  unsigned long long compared = 0, differed = 1;
  const size_t at = r.err.find("redraw check: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  ASSERT_EQ(std::sscanf(r.err.c_str() + at,
                        "redraw check: %llu partial frames compared with whole redraws, %llu",
                        &compared, &differed),
            2)
      << r.err;
  EXPECT_GE(compared, 200u) << r.err;  // most frames were partial ...
  EXPECT_EQ(differed, 0u) << r.err;    // ... and each was exactly the whole frame
}

TEST(GuiScreenshot, FullRedrawDrawsEveryFrameWhole) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "full-redraw.png";
  const fs::path db = tempDir() / "full-redraw.db";
  const GuiRun r =
      runGui("--demo --fast --seed 1 --db " + db.string() +
             " --full-redraw --print-stats --screenshot " + png.string() + " --frames 20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("redraws: whole frames"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("100.0 % of the pixels redrawn"), std::string::npos) << r.err;
}

namespace {

// Light (text) pixels in the rows y0..y1 of an image.
size_t lightPixels(const Image& img, int y0, int y1) {
  size_t n = 0;
  for (int y = std::max(0, y0); y < std::min(img.h, y1); ++y)
    for (int x = 0; x < img.w; ++x) {
      const Rgb& p = img.px[static_cast<size_t>(y) * img.w + x];
      n += p.r > 200 && p.g > 200 && p.b > 200;
    }
  return n;
}

std::string rollrigCli() {
  const char* bin = std::getenv("ROLLRIG_BIN");
  return std::string(bin ? bin : "build/bin") + "/rollrig";
}

// Runs `rollrig ARGS` (output discarded), e.g. to make a library for a view; its exit status.
int runRollrig(const std::string& args) {
  const int status = std::system((rollrigCli() + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(GuiScreenshot, TheSessionsViewListsTheLibrarysSessions) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "sessions-view.db";
  const fs::path empty_db = tempDir() / "sessions-view-empty.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("demo-library -q --sessions 6 --weeks 2 --db " + db.string()), 0);
  const fs::path png = tempDir() / "sessions-view.png";
  GuiRun r = runGui("--db " + db.string() + " --view sessions --screenshot " + png.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image full;
  ASSERT_TRUE(loadPng(png, &full));
  EXPECT_EQ(full.w, 1260);
  EXPECT_GT(full.distinctColours(), 100u);
  // The Sessions tab is the current one (teal) in the strip at the top.
  size_t teal_top = 0;
  for (int y = 0; y < 44; ++y)
    for (int x = 0; x < full.w; ++x)
      teal_top += full.px[static_cast<size_t>(y) * full.w + x] == rollrig::gui::kProtocolCurrent;
  EXPECT_GT(teal_top, 1000u);

  // The same view of a library without sessions: the six rows' text is what differs.
  const fs::path png2 = tempDir() / "sessions-view-empty.png";
  r = runGui("--db " + empty_db.string() + " --view sessions --screenshot " + png2.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image empty;
  ASSERT_TRUE(loadPng(png2, &empty));
  const size_t rows_full = lightPixels(full, 110, 720), rows_empty = lightPixels(empty, 110, 720);
  EXPECT_GT(rows_full, rows_empty + 6 * 400) << rows_full << " vs " << rows_empty;
}

TEST(GuiScreenshot, TheReplayShowsAStoredHoldAsTheLiveViewShowedIt) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "replay.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("record -q --demo --fast --seed 1 --duration 400 --db " + db.string()), 0);
  // A hold that lasted past 40 s, from the library itself.
  rollrig::store::SessionStore st;
  rollrig::store::OpenOptions ro;
  ro.mode = rollrig::store::OpenMode::kReadOnly;
  ASSERT_FALSE(st.open(db.string(), ro));
  std::vector<rollrig::core::Hold> holds;
  ASSERT_FALSE(st.loadHolds(1, &holds));
  const rollrig::core::Hold* long_hold = nullptr;
  for (const auto& h : holds)
    if (!long_hold && h.duration_s() > 40) long_hold = &h;
  ASSERT_NE(long_hold, nullptr) << holds.size() << " holds, none over 40 s";
  const double at = long_hold->start_s + 35;

  const fs::path png = tempDir() / "replay.png";
  const GuiRun r = runGui("--db " + db.string() + " --replay 1 --replay-at " + std::to_string(at) +
                          " --screenshot " + png.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("opened for replay: read in"), std::string::npos) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  // 35 s into the hold: the hold panel's field is the protocol window's green, as it was live.
  EXPECT_GT(img.count(rollrig::gui::kInWindowField), img.px.size() / 12);
  EXPECT_LT(img.count(rollrig::gui::kBeforeWindowField), img.px.size() / 200);
  EXPECT_GT(img.distinctColours(), 300u);
}

TEST(GuiScreenshot, ASessionThatIsNotInTheLibraryCannotBeReplayed) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "no-such-session.db";
  const GuiRun r = runGui("--db " + db.string() + " --replay 42 --screenshot " +
                          (tempDir() / "none.png").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot replay session 42"), std::string::npos) << r.err;
}

TEST(GuiScreenshot, ScreenshotOfThePlotIsThePlotPanelAlone) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "plot-only.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("record -q --demo --fast --seed 1 --duration 120 --db " + db.string()), 0);
  const fs::path png = tempDir() / "plot-only.png";
  const GuiRun r = runGui("--db " + db.string() + " --replay 1 --replay-at 100 --screenshot " +
                          png.string() + " --screenshot-of plot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  // The replay layout's plot: the left column's lower part (layout.cpp), not the whole window.
  const rollrig::gui::ReplayLayout rl = rollrig::gui::computeReplayLayout(1260, 720, 1.0f);
  EXPECT_EQ(img.w, static_cast<int>(rl.plot.width()));
  EXPECT_EQ(img.h, static_cast<int>(rl.plot.height()));
  EXPECT_GT(img.count(rollrig::gui::kForceTrace), 200u);     // the trace is in it
  EXPECT_EQ(img.count(rollrig::gui::kProtocolCurrent), 0u);  // the tabs are not
}

TEST(GuiScreenshot, APrintScreenshotIsDrawnAgainAtTwiceTheSizeNotBlownUp) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "print.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("record -q --demo --fast --seed 1 --duration 120 --db " + db.string()), 0);
  Image one, two, plot;
  for (const auto& [name, args] :
       {std::pair<const char*, const char*>{"print-1x.png", ""},
        {"print-2x.png", " --screenshot-scale 2"},
        {"print-plot-2x.png", " --screenshot-scale 2 --screenshot-of plot"}}) {
    const fs::path png = tempDir() / name;
    fs::remove(png);
    const GuiRun r = runGui("--db " + db.string() + " --replay 1 --replay-at 100 --screenshot " +
                            png.string() + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Image& img = std::string(name) == "print-1x.png"   ? one
                 : std::string(name) == "print-2x.png" ? two
                                                       : plot;
    ASSERT_TRUE(loadPng(png, &img)) << png;
  }
  EXPECT_EQ(two.w, 2 * one.w);
  EXPECT_EQ(two.h, 2 * one.h);
  // Drawn, not blown up: a window's pixels doubled would make every aligned 2 x 2 block one
  // colour. Text and traces drawn at twice the size have edges inside many of them.
  size_t mixed = 0, blocks = 0;
  for (int y = 0; y + 1 < two.h; y += 2)
    for (int x = 0; x + 1 < two.w; x += 2, ++blocks) {
      const auto at = [&](int xx, int yy) { return two.px[static_cast<size_t>(yy) * two.w + xx]; };
      mixed +=
          !(at(x, y) == at(x + 1, y) && at(x, y) == at(x, y + 1) && at(x, y) == at(x + 1, y + 1));
    }
  EXPECT_GT(mixed, blocks / 100) << mixed << " of " << blocks << " blocks hold an edge";
  // The same picture: the force trace and the tabs are there, and the trace covers about four
  // times the pixels it covers at 1x (a line twice as long and twice as thick).
  const size_t trace_1x = one.count(rollrig::gui::kForceTrace);
  const size_t trace_2x = two.count(rollrig::gui::kForceTrace);
  EXPECT_GT(trace_1x, 200u);
  EXPECT_GT(trace_2x, 3 * trace_1x);
  EXPECT_LT(trace_2x, 6 * trace_1x);
  EXPECT_GT(two.count(rollrig::gui::kProtocolCurrent),
            3 * one.count(rollrig::gui::kProtocolCurrent));
  // Only the plot, at twice its size on screen.
  const rollrig::gui::ReplayLayout rl = rollrig::gui::computeReplayLayout(2520, 1440, 2.0f);
  EXPECT_EQ(plot.w, static_cast<int>(rl.plot.width()));
  EXPECT_EQ(plot.h, static_cast<int>(rl.plot.height()));
  EXPECT_GT(plot.count(rollrig::gui::kForceTrace), 3 * trace_1x / 2);
  EXPECT_EQ(plot.count(rollrig::gui::kProtocolCurrent), 0u);
}

namespace {

// Pixels within `tol` of colour `c` in the rectangle [x0, x1) x [y0, y1) of an image.
size_t nearPixels(const Image& img, Rgb c, int tol, int x0, int y0, int x1, int y1) {
  size_t n = 0;
  for (int y = std::max(0, y0); y < std::min(img.h, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(img.w, x1); ++x) {
      const Rgb& p = img.px[static_cast<size_t>(y) * img.w + x];
      n += std::abs(p.r - c.r) <= tol && std::abs(p.g - c.g) <= tol && std::abs(p.b - c.b) <= tol;
    }
  return n;
}

double meanBrightness(const Image& img) {
  double sum = 0;
  for (const Rgb& p : img.px) sum += (p.r + p.g + p.b) / 3.0;
  return img.px.empty() ? 0 : sum / img.px.size();
}

fs::path configDirWith(const std::string& name, const std::string& json) {
  const fs::path dir = tempDir() / name;
  fs::create_directories(dir);
  std::ofstream(dir / "gui.json") << json;
  return dir;
}

}  // namespace

TEST(GuiScreenshot, TheHistoryViewDrawsTheProtocolLinesAndASparklineAtEachSpot) {
  SKIP_WITHOUT_XVFB();
  using namespace rollrig::gui;
  const fs::path db = tempDir() / "history-view.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("demo-library -q --sessions 6 --weeks 3 --db " + db.string()), 0);
  const fs::path png = tempDir() / "history-view.png";
  GuiRun r = runGui("--db " + db.string() + " --view history --screenshot " + png.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  ASSERT_EQ(img.w, 1260);
  // The time-to-release chart (the right 60 % of the window): the 30 s line in green and the 90 s
  // line in red, each 2 px across most of the chart's width, and the faint band between them.
  EXPECT_GT(img.count(kHistory30sLine), 1000u);
  EXPECT_GT(img.count(kHistory90sLine), 1000u);
  EXPECT_GT(img.count(kHistoryWindowBand), img.px.size() / 50);
  // The plate (top left, above the list): both sides' sparklines beside their spots (the demo
  // person has tender spots on both sides), in the sides' colours.
  const int plate_x1 = img.w * 2 / 5, plate_y0 = 120, plate_y1 = 440;
  EXPECT_GT(nearPixels(img, kHistoryLeft, 40, 0, plate_y0, plate_x1, plate_y1), 60u);
  EXPECT_GT(nearPixels(img, kHistoryRight, 40, 0, plate_y0, plate_x1, plate_y1), 60u);
  // The selected spot is filled in the tab colour on the plate.
  EXPECT_GT(nearPixels(img, kProtocolCurrent, 0, 0, plate_y0, plate_x1, plate_y1), 100u);

  // A library of two sessions: the spot shown says plainly that it is too little for a trend (in
  // amber, under the title), and draws no trend.
  const fs::path db2 = tempDir() / "history-view-2.db";
  fs::remove(db2);
  ASSERT_EQ(runRollrig("demo-library -q --sessions 2 --weeks 1 --db " + db2.string()), 0);
  const fs::path png2 = tempDir() / "history-view-2.png";
  r = runGui("--db " + db2.string() + " --view history --screenshot " + png2.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image two;
  ASSERT_TRUE(loadPng(png2, &two));
  const int chart_x0 = img.w * 2 / 5 + 10;
  EXPECT_GT(nearPixels(two, kWarning, 30, chart_x0, 160, two.w, 210), 200u);
  EXPECT_LT(nearPixels(img, kWarning, 30, chart_x0, 160, img.w, 172), 20u);

  // No library at all: no chart, no lines; the view says what to do instead.
  const fs::path png3 = tempDir() / "history-view-none.png";
  r = runGui("--db " + (tempDir() / "history-none.db").string() + " --view history --screenshot " +
             png3.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image none;
  ASSERT_TRUE(loadPng(png3, &none));
  EXPECT_EQ(none.count(kHistory30sLine), 0u);
  EXPECT_EQ(none.count(kHistory90sLine), 0u);
  EXPECT_GT(lightPixels(none, 150, 300), 2000u);            // the words
  EXPECT_FALSE(fs::exists(tempDir() / "history-none.db"));  // nothing was created
}

// [SECTION] The Calibrate view (calibrate_view.h): the virtual rig's calibration run by
// --calibrate-demo; the app waits on the procedure's state (device time), never on wall time.

TEST(GuiScreenshot, TheCalibrateViewMarksWhereTheMassGoesNextOnThePlate) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "calibrate-placement.png";
  const fs::path db = tempDir() / "calibrate-placement.db";
  const GuiRun r = runGui("--calibrate-demo --calibrate-demo-placement 2 --fast --db " +
                          db.string() + " --screenshot " + png.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  // The next mark, a solid magenta disc, lies on the plate's drawing in the right-hand panel,
  // front left (placement 2 is at (-200, +120) mm): left of the plate's middle and above it.
  size_t marker = 0, marker_left = 0, sum_x = 0, sum_y = 0;
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < img.w; ++x)
      if (img.px[static_cast<size_t>(y) * img.w + x] == rollrig::gui::kCalNextMarker) {
        ++marker, sum_x += x, sum_y += y;
        marker_left += x < img.w / 2;
      }
  ASSERT_GT(marker, 800u) << "the next mark is missing";
  EXPECT_EQ(marker_left, 0u) << "the plate is the right-hand panel";
  const double mx = static_cast<double>(sum_x) / marker, my = static_cast<double>(sum_y) / marker;
  const double plate_mid_x = img.w * 0.78;  // the right panel's middle (56 % split)
  EXPECT_LT(mx, plate_mid_x) << "placement 2 is on the user's left";
  EXPECT_LT(my, img.h * 0.6) << "placement 2 is toward the head";
  // The capture window's bar (amber, partly filled) and no verdict yet.
  EXPECT_EQ(img.count(rollrig::gui::kCalAcceptedField), 0u);
  EXPECT_EQ(img.count(rollrig::gui::kCalRefusedField), 0u);
}

TEST(GuiScreenshot, TheCalibrateDemoEndsAcceptedInALargeGreenFieldAndRecordsNoSession) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "calibrate-result.png";
  const fs::path db = tempDir() / "calibrate-result.db";
  const fs::path config = tempDir() / "calibrate-config";
  fs::remove(db);
  fs::remove_all(config);
  fs::create_directories(config);
  const GuiRun r = runGui(
      "--calibrate-demo --fast --seed 3 --db " + db.string() + " --screenshot " + png.string(),
      true, "ROLLRIG_CONFIG_DIR=" + config.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  // ACCEPTED on a solid green field, large: at least 4 % of the window; nothing red.
  EXPECT_GT(img.count(rollrig::gui::kCalAcceptedField), img.px.size() / 25);
  EXPECT_EQ(img.count(rollrig::gui::kCalRefusedField), 0u);
  EXPECT_EQ(img.count(rollrig::gui::kCalNextMarker), 0u) << "no mark is next once it is done";
  // A calibration is not a rolling session: the library holds none (it is not even made).
  if (fs::exists(db)) {
    rollrig::store::SessionStore store;
    rollrig::store::OpenOptions ro;
    ro.mode = rollrig::store::OpenMode::kReadOnly;
    ASSERT_FALSE(store.open(db.string(), ro)) << db;
    std::vector<rollrig::store::SessionListEntry> sessions;
    ASSERT_FALSE(store.listSessions(&sessions));
    EXPECT_TRUE(sessions.empty());
  }
  // Nothing is saved until the user accepts it.
  EXPECT_FALSE(fs::exists(config / "calibrations"));
}

TEST(GuiScreenshot, AWrongMassTypedInEndsRefusedInALargeRedFieldWithTheReason) {
  SKIP_WITHOUT_XVFB();
  const fs::path png = tempDir() / "calibrate-refused.png";
  const fs::path config = tempDir() / "calibrate-refused-config";
  fs::remove_all(config);
  fs::create_directories(config);
  // 50 kg typed in, 10 kg set down: the mass never reaches 30 % of the weight said.
  const GuiRun r =
      runGui("--calibrate-demo --calibrate-demo-mass 50 --fast --db " +
                 (tempDir() / "calibrate-refused.db").string() + " --screenshot " + png.string(),
             true, "ROLLRIG_CONFIG_DIR=" + config.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  EXPECT_GT(img.count(rollrig::gui::kCalRefusedField), img.px.size() / 25);
  EXPECT_EQ(img.count(rollrig::gui::kCalAcceptedField), 0u);
  // The reason is written in the error red under the field.
  size_t reddish = 0;
  const Rgb e = rollrig::gui::kError;
  for (const Rgb& p : img.px)
    reddish += std::abs(p.r - e.r) < 24 && std::abs(p.g - e.g) < 24 && std::abs(p.b - e.b) < 24;
  EXPECT_GT(reddish, 200u);
  EXPECT_FALSE(fs::exists(config / "calibrations")) << "a refused run saves nothing";
}

TEST(GuiScreenshot, TheLightThemeOfTheSettingsRendersLightAndKeepsTheHoldFieldMidHold) {
  SKIP_WITHOUT_XVFB();
  const fs::path dir = configDirWith("light-config", R"({"theme": "light"})");
  const fs::path png = tempDir() / "light-mid-hold.png";
  const fs::path db = tempDir() / "light-mid-hold.db";
  const GuiRun r = runGui("--demo --fast --seed 1 --db " + db.string() + " --screenshot " +
                              png.string() + " --frames 3 --screenshot-when-hold-s 40",
                          true, "ROLLRIG_CONFIG_DIR=" + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img)) << png;
  EXPECT_GT(meanBrightness(img), 170.0);
  const rollrig::gui::Theme light = rollrig::gui::lightTheme();
  // The hold field in the light theme's green, large; neither amber nor red.
  EXPECT_GT(img.count(light.in_window_field), img.px.size() / 10);
  EXPECT_LT(img.count(light.before_window_field), img.px.size() / 200);
  EXPECT_LT(img.count(light.past_window_field), img.px.size() / 200);
  EXPECT_GT(img.count(light.protocol_current), img.px.size() / 100);
  // Nothing of the dark theme's panels is left.
  EXPECT_LT(img.count(rollrig::gui::darkTheme().panel), img.px.size() / 1000);

  // --theme overrides the setting for the run.
  const fs::path dark_png = tempDir() / "light-config-dark.png";
  const GuiRun d = runGui("--theme dark --view settings --screenshot " + dark_png.string(), true,
                          "ROLLRIG_CONFIG_DIR=" + dir.string());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  Image dark;
  ASSERT_TRUE(loadPng(dark_png, &dark));
  EXPECT_LT(meanBrightness(dark), 80.0);
}

TEST(GuiScreenshot, TheSettingsViewShowsAFileThatIsNotValidInRedAndKeepsIt) {
  SKIP_WITHOUT_XVFB();
  const std::string bad = R"({"protocol": {"hold_min_s": 90, "hold_max_s": 30}})";
  const fs::path dir = configDirWith("bad-protocol", bad);
  const fs::path png = tempDir() / "settings-bad.png";
  const GuiRun r = runGui("--view settings --screenshot " + png.string(), true,
                          "ROLLRIG_CONFIG_DIR=" + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Image img;
  ASSERT_TRUE(loadPng(png, &img));
  size_t reddish = 0;
  const Rgb e = rollrig::gui::darkTheme().error;
  for (const Rgb& p : img.px)
    reddish += std::abs(p.r - e.r) < 24 && std::abs(p.g - e.g) < 24 && std::abs(p.b - e.b) < 24;
  EXPECT_GT(reddish, 200u);
  std::ifstream in(dir / "gui.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), bad);
}

TEST(GuiScreenshot, TheFontScaleOfTheSettingsMakesTheTextLarger) {
  SKIP_WITHOUT_XVFB();
  // The view tabs' labels: light text on the dark strip, more of it at a larger scale.
  size_t text_px[2] = {0, 0};
  const char* scales[2] = {"1.0", "1.25"};
  for (int i = 0; i < 2; ++i) {
    const fs::path dir = configDirWith(std::string("font-") + scales[i],
                                       std::string(R"({"font_scale": )") + scales[i] + "}");
    const fs::path png = tempDir() / (std::string("font-") + scales[i] + ".png");
    const GuiRun r = runGui("--view settings --screenshot " + png.string(), true,
                            "ROLLRIG_CONFIG_DIR=" + dir.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Image img;
    ASSERT_TRUE(loadPng(png, &img));
    text_px[i] = lightPixels(img, 0, 44);
  }
  EXPECT_GT(text_px[1], text_px[0] * 5 / 4) << text_px[0] << " " << text_px[1];
}

TEST(GuiScreenshot, TheReplaysHoldsTableShowsAnEditedReleaseInTheMarksColour) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "edited.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("demo-library -q --sessions 1 --db " + db.string()), 0);
  const auto shoot = [&](const fs::path& png, Image* img) {
    const GuiRun r =
        runGui("--db " + db.string() + " --replay 1 --replay-at 50 --screenshot " + png.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(loadPng(png, img));
  };
  Image before, after;
  shoot(tempDir() / "unedited.png", &before);
  for (const char* edit :
       {"--hold 1 --release-at 60", "--hold 2 --confirm", "--hold 3 --no-release"})
    ASSERT_EQ(runRollrig(std::string("edit 1 ") + edit + " --db " + db.string()), 0) << edit;
  shoot(tempDir() / "edited.png", &after);
  // Three rows' release text now in the marks' violet (the plot's mark dots are the same in both).
  EXPECT_GT(after.count(rollrig::gui::kMarkerMark), before.count(rollrig::gui::kMarkerMark) + 60)
      << before.count(rollrig::gui::kMarkerMark) << " violet pixels before, "
      << after.count(rollrig::gui::kMarkerMark) << " after";
}

TEST(GuiScreenshot, TheReplaysMarksTableListsTheMarksAddedLaterInTheEditColour) {
  SKIP_WITHOUT_XVFB();
  const fs::path db = tempDir() / "marks.db";
  fs::remove(db);
  ASSERT_EQ(runRollrig("record -q --demo --fast --seed 1 --duration 120 --db " + db.string()), 0);
  ASSERT_EQ(runRollrig("mark 1 --at 30 --pain 6 --db " + db.string()), 0);
  ASSERT_EQ(runRollrig("mark 1 --at 50 --note \"calf tight\" --db " + db.string()), 0);
  Image holds, marks;
  for (const bool with_marks : {false, true}) {
    const fs::path png = tempDir() / (with_marks ? "replay-marks.png" : "replay-holds.png");
    fs::remove(png);
    const GuiRun r = runGui("--db " + db.string() + " --replay 1 --replay-at 60 --screenshot " +
                            png.string() + (with_marks ? " --replay-marks" : ""));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(loadPng(png, with_marks ? &marks : &holds));
  }
  // The table's panel (layout.cpp): "added later" is written in the edit colour there, twice.
  const rollrig::gui::ReplayLayout rl = rollrig::gui::computeReplayLayout(1260, 720, 1.0f);
  const Rgb edit = rollrig::gui::readableOn(rollrig::gui::kMarkerMark, rollrig::gui::kPanel);
  const auto inTable = [&](const Image& img) {
    return nearPixels(img, edit, 12, static_cast<int>(rl.holds_table.x0),
                      static_cast<int>(rl.holds_table.y0), static_cast<int>(rl.holds_table.x1),
                      static_cast<int>(rl.holds_table.y1));
  };
  EXPECT_GT(inTable(marks), 150u);
  EXPECT_LT(inTable(holds), inTable(marks) / 4);  // the holds table shows no such column
  // The rest of the replay is the same picture.
  EXPECT_GT(marks.count(rollrig::gui::kForceTrace), 200u);
}

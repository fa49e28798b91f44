// The history view's model (host/gui/history_view.h), without a window: core's history placed on
// the screen (spots on the plate with their sparklines, the list, the selected spot's charts with
// the protocol's lines and the trends), its honesty (too few sessions, "at least" points, an empty
// library), and HistoryLibrary reading a library made by `rollrig demo-library`.
#include "history_view.h"

#include <gtest/gtest.h>
#include <imgui.h>
#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "rollrig/engine/session_library.h"
#include "rollrig/store/session_store.h"
#include "test_files.h"
#include "with_time_zone.h"

namespace fs = std::filesystem;
using namespace rollrig;
using namespace rollrig::gui;

namespace {

using rollrig::testing::WithTimeZone;

constexpr const char* kDejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// A headless ImGui context with the app's font (DejaVu Sans when installed) at a content scale.
class Ui {
 public:
  explicit Ui(float scale = 1.0f) {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    fonts.scale = scale;
    fonts.normal_px = kFontNormal_px * scale;
    fonts.large_px = kFontLarge_px * scale;
    fonts.huge_px = kFontHuge_px * scale;
    ImFontConfig cfg;
    cfg.OversampleH = 1;
    if (fs::exists(kDejaVu)) {
      fonts.normal = io.Fonts->AddFontFromFileTTF(kDejaVu, fonts.normal_px, &cfg);
      fonts.large = io.Fonts->AddFontFromFileTTF(kDejaVu, fonts.large_px, &cfg);
    } else {
      fonts.normal = fonts.large = io.Fonts->AddFontDefault();
    }
    fonts.huge = fonts.large;
    io.FontDefault = fonts.normal;
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsAlpha8(&px, &w, &h);
    ImGui::StyleColorsDark();
    ImGui::GetStyle().ScaleAllSizes(scale);
  }
  ~Ui() { ImGui::DestroyContext(); }
  Fonts fonts;
};

// A hold of `session` at (x, y) mm on `side`: released after `release_s`, or not (held `held_s`).
core::HistoryHold hold(int64_t session, const std::string& start, double x, double y,
                       core::Side side, std::optional<double> release_s, double held_s = 60,
                       double force_n = 250) {
  core::HistoryHold h;
  h.session_id = session;
  h.session_start_utc = start;
  h.hold.start_s = 100;
  h.hold.end_s = 100 + (release_s ? *release_s + 10 : held_s);
  if (release_s) h.hold.release_s = 100 + *release_s;
  h.hold.has_xy = true;
  h.hold.x_mm = x, h.hold.y_mm = y;
  h.hold.side = side;
  h.hold.side_source = core::SideSource::kUser;
  h.hold.mean_force_n = force_n;
  return h;
}

// Spot A (right, 4 sessions a week apart, releasing sooner: 80, 70, 60 s, then one that never
// released after 45 s) and spot B (left, 2 sessions).
std::vector<core::HistoryHold> handBuiltHolds() {
  const char* starts[] = {"2026-10-01T18:00:00Z", "2026-10-08T18:00:00Z", "2026-10-15T18:00:00Z",
                          "2026-10-22T18:00:00Z"};
  std::vector<core::HistoryHold> v;
  v.push_back(hold(1, starts[0], 120, 60, core::Side::kRight, 80, 0, 200));
  v.push_back(hold(2, starts[1], 121, 61, core::Side::kRight, 70, 0, 220));
  v.push_back(hold(3, starts[2], 119, 59, core::Side::kRight, 60, 0, 240));
  v.push_back(hold(4, starts[3], 120, 60, core::Side::kRight, std::nullopt, 45, 260));
  v.push_back(hold(1, starts[0], -120, -50, core::Side::kLeft, 50, 0, 210));
  v.push_back(hold(3, starts[2], -121, -50, core::Side::kLeft, 40, 0, 230));
  return v;
}

const Rect kBody{0, 44, 1260, 720};

}  // namespace

TEST(HistoryView, ListsEachSpotAndSideWithCoresFiguresAndDrawsEachSpotOnThePlate) {
  WithTimeZone tz("UTC0");
  Ui ui;
  const core::History h = core::buildHistory(handBuiltHolds());
  const HistoryViewModel m = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(m.entries[0].spot, "1");
  EXPECT_EQ(m.entries[0].side_name, "right");
  EXPECT_EQ(m.entries[0].sessions, "4");
  EXPECT_EQ(m.entries[0].released, "3 of 4");
  EXPECT_EQ(m.entries[0].colour, kHistoryRight);
  // Core's trend (three sessions with a median: 80, 70, 60 s a week apart: -10 s/week).
  ASSERT_TRUE(h.spots[0].sides[0].release_trend.per_week);
  EXPECT_NEAR(*h.spots[0].sides[0].release_trend.per_week, -10, 1e-9);
  EXPECT_EQ(m.entries[0].trend, "-10.0 s/wk");
  EXPECT_EQ(m.entries[0].trend_colour, kOk);
  EXPECT_EQ(m.entries[1].side_name, "left");
  EXPECT_EQ(m.entries[1].trend, "too few");
  EXPECT_EQ(m.summary, "4 sessions \u00b7 6 holds \u00b7 2 spots (a spot: the holds within 15 mm)");
  // Each spot on the plate, where platePoint puts its centre (right of the middle, above it).
  ASSERT_EQ(m.spots.size(), 2u);
  EXPECT_GT(m.spots[0].at.x, (m.plate.x0 + m.plate.x1) / 2);
  EXPECT_LT(m.spots[0].at.y, (m.plate.y0 + m.plate.y1) / 2);
  EXPECT_NEAR(m.spots[0].at.x - (m.plate.x0 + m.plate.x1) / 2, 120 * m.px_per_mm, 1.5);
  EXPECT_NEAR(m.plate.width() / m.plate.height(), 1.5, 0.01);  // to scale
  // Nothing selected yet: the first entry is shown large.
  EXPECT_EQ(m.selected, 0);
  EXPECT_TRUE(m.spots[0].selected);
  EXPECT_FALSE(m.spots[1].selected);
}

TEST(HistoryView, TheChartDrawsMediansAndAnOpenAtLeastPointWithThe30And90SecondLines) {
  WithTimeZone tz("UTC0");
  Ui ui;
  const core::History h = core::buildHistory(handBuiltHolds());
  const HistoryViewModel m = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  const HistoryChartModel& c = m.chart;
  ASSERT_TRUE(c.shown);
  EXPECT_EQ(c.title, "Spot 1 \u00b7 right");
  ASSERT_EQ(c.points.size(), 4u);
  EXPECT_TRUE(c.points[0].has_median);
  EXPECT_DOUBLE_EQ(c.points[0].release_s, 80);
  // The fourth session never released: drawn at its lower bound, not as a release.
  EXPECT_FALSE(c.points[3].has_median);
  EXPECT_NEAR(c.points[3].release_s, 45, 1e-9);
  EXPECT_NE(c.points[3].tooltip.find("at least 45.0 s"), std::string::npos) << c.points[3].tooltip;
  EXPECT_EQ(c.release_line.size(), 3u);  // the line joins the medians only
  // Later sessions to the right, one week apart; shorter times higher up the screen is wrong:
  // shorter times are lower (y grows down).
  EXPECT_LT(c.points[0].release_at.x, c.points[1].release_at.x);
  EXPECT_NEAR(c.points[1].release_at.x - c.points[0].release_at.x,
              c.points[2].release_at.x - c.points[1].release_at.x, 0.5);
  EXPECT_LT(c.points[0].release_at.y, c.points[2].release_at.y);
  // The protocol's lines: 30 s below 90 s, both inside the plot, where their values are.
  ASSERT_TRUE(c.show30 && c.show90);
  EXPECT_GT(c.y30, c.y90);
  EXPECT_GE(c.y90, c.release_plot.y0);
  EXPECT_LE(c.y30, c.release_plot.y1);
  const float per_s = (c.release_plot.y1 - c.y30) / 30.0f;
  EXPECT_NEAR(c.points[2].release_at.y, c.release_plot.y1 - 60 * per_s, 1.5);
  // The trend from core, drawn falling, and said in words.
  EXPECT_TRUE(c.has_release_trend);
  EXPECT_GT(c.release_trend_b.y, c.release_trend_a.y);
  EXPECT_EQ(c.release_trend, "trend -10.0 s/week (3 sessions): releasing sooner");
  EXPECT_TRUE(c.too_few.empty());
  // Week ticks with the dates (local time).
  ASSERT_GE(c.week_ticks.size(), 4u);
  EXPECT_EQ(c.week_ticks[0].label, "1 Oct");
  EXPECT_EQ(c.week_ticks[0].sublabel, "week 0");
  EXPECT_EQ(c.week_ticks[1].label, "8 Oct");
  EXPECT_NEAR(c.week_ticks[1].px, c.points[1].release_at.x, 0.5);
  EXPECT_EQ(c.axis_caption, "weeks since the first session, Thu 1 Oct 2026");
}

TEST(HistoryView, ASpotWithFewerThanThreeSessionsSaysSoInsteadOfATrend) {
  WithTimeZone tz("UTC0");
  Ui ui;
  const core::History h = core::buildHistory(handBuiltHolds());
  HistoryViewState st;
  HistoryViewModel m = computeHistoryView(h, st, {}, kBody, ui.fonts);
  // Select the left spot (as a click on its list row would).
  HistoryViewAction a;
  a.select_entry = 1;
  applyHistoryAction(m, a, st);
  m = computeHistoryView(h, st, {}, kBody, ui.fonts);
  ASSERT_EQ(m.selected, 1);
  EXPECT_TRUE(m.spots[1].selected);
  const HistoryChartModel& c = m.chart;
  EXPECT_EQ(c.too_few, "2 sessions at this spot: too little to see a trend");
  EXPECT_FALSE(c.has_release_trend);
  EXPECT_FALSE(c.has_force_trend);
  EXPECT_TRUE(c.release_trend.empty());
  EXPECT_EQ(c.points.size(), 2u);  // the points are still drawn
}

TEST(HistoryView, ForceFollowsTheUnitSettingInPointsAxisAndTrend) {
  Ui ui;
  const core::History h = core::buildHistory(handBuiltHolds());
  const HistoryViewModel n = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  ForceFormat bw{ForceUnit::kBodyWeight, 70};
  const HistoryViewModel p = computeHistoryView(h, {}, bw, kBody, ui.fonts);
  EXPECT_EQ(n.chart.force_caption, "hold force (N)");
  EXPECT_EQ(p.chart.force_caption, "hold force (% BW)");
  EXPECT_NEAR(n.chart.points[0].force, 200, 1e-9);
  EXPECT_NEAR(p.chart.points[0].force, 100 * 200 / (70 * 9.80665), 1e-9);
  // +20 N a week over 4 sessions; in % BW the same slope in that unit.
  EXPECT_EQ(n.chart.force_trend, "trend +20.0 N/week (4 sessions)");
  EXPECT_EQ(p.chart.force_trend, "trend +2.9 % BW/week (4 sessions)");
}

TEST(HistoryView, TheSelectionFollowsTheSpotsCentreAndTheKeysMoveIt) {
  Ui ui;
  std::vector<core::HistoryHold> holds = handBuiltHolds();
  core::History h = core::buildHistory(holds);
  HistoryViewState st;
  HistoryViewModel m = computeHistoryView(h, st, {}, kBody, ui.fonts);
  HistoryKeys down;
  down.step = 1;
  applyHistoryAction(m, historyKeyAction(m, down), st);
  EXPECT_EQ(computeHistoryView(h, st, {}, kBody, ui.fonts).selected, 1);
  // More sessions at the left spot make it spot 1: the selection stays on the left spot.
  for (int i = 5; i < 12; ++i)
    holds.push_back(hold(i, "2026-10-2" + std::to_string(i - 3) + "T18:00:00Z", -120, -50,
                         core::Side::kLeft, 30));
  h = core::buildHistory(holds);
  m = computeHistoryView(h, st, {}, kBody, ui.fonts);
  ASSERT_GE(m.selected, 0);
  EXPECT_EQ(m.entries[static_cast<size_t>(m.selected)].side, core::Side::kLeft);
  EXPECT_EQ(m.entries[static_cast<size_t>(m.selected)].spot, "1");
  // Up from the first entry stays there; B / L / R set the side filter.
  HistoryKeys up;
  up.step = -1;
  EXPECT_EQ(historyKeyAction(m, up).select_entry, -1);
  HistoryKeys right;
  right.sides = static_cast<int>(HistorySides::kRight);
  applyHistoryAction(m, historyKeyAction(m, right), st);
  EXPECT_EQ(st.sides, static_cast<int>(HistorySides::kRight));
}

TEST(HistoryView, SparklinesShareOneScaleAndLeaveEveryOtherSpotClear) {
  Ui ui;
  std::vector<core::HistoryHold> holds = handBuiltHolds();
  // Two more spots close to the first (40 mm apart: separate spots, crowding the plate).
  for (int s = 1; s <= 3; ++s) {
    holds.push_back(
        hold(s, "2026-10-0" + std::to_string(s) + "T18:00:00Z", 120, 20, core::Side::kRight, 50));
    holds.push_back(
        hold(s, "2026-10-0" + std::to_string(s) + "T18:00:00Z", 160, 60, core::Side::kRight, 50));
  }
  const core::History h = core::buildHistory(holds);
  const HistoryViewModel m = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  ASSERT_EQ(m.spots.size(), 4u);
  size_t boxed = 0;
  for (size_t i = 0; i < m.spots.size(); ++i) {
    const auto& a = m.spots[i];
    if (!a.has_box) continue;
    ++boxed;
    EXPECT_GE(a.box.x0, m.plate.x0);
    EXPECT_LE(a.box.x1, m.plate.x1);
    for (size_t j = 0; j < m.spots.size(); ++j) {
      const auto& b = m.spots[j];
      const bool hits_mark = a.box.x0 < b.at.x + b.radius && b.at.x - b.radius < a.box.x1 &&
                             a.box.y0 < b.at.y + b.radius && b.at.y - b.radius < a.box.y1;
      EXPECT_FALSE(hits_mark) << "spot " << a.label << "'s sparkline covers spot " << b.label;
      if (j != i && b.has_box) {
        EXPECT_FALSE(a.box.x0 < b.box.x1 && b.box.x0 < a.box.x1 && a.box.y0 < b.box.y1 &&
                     b.box.y0 < a.box.y1)
            << "the sparklines of spots " << a.label << " and " << b.label << " overlap";
      }
    }
  }
  EXPECT_GE(boxed, 3u);
  // One scale: 80 s at spot 1 and 50 s elsewhere sit at heights in that ratio.
  const Sparkline& s1 = m.entries[0].spark;
  ASSERT_FALSE(s1.dots.empty());
  float y50 = -1;
  for (const HistoryEntry& e : m.entries)
    if (e.spot != "1" && e.side == core::Side::kRight) y50 = e.spark.dots[0].at.y;
  EXPECT_NEAR(s1.dots[0].at.y / y50, 80.0 / 50.0, 1e-3);
  EXPECT_TRUE(s1.dots[3].censored);
}

TEST(HistoryView, AnEmptyLibrarySaysWhatToDoAndAnErrorIsState) {
  Ui ui;
  HistoryViewModel m =
      computeHistoryView(core::History{}, {}, {}, kBody, ui.fonts, "", "/no/such/sessions.db");
  EXPECT_TRUE(m.entries.empty());
  EXPECT_FALSE(m.chart.shown);
  EXPECT_NE(m.empty.find("No session library yet at /no/such/sessions.db"), std::string::npos)
      << m.empty;
  EXPECT_NE(m.empty.find("rollrig demo-library"), std::string::npos) << m.empty;
  core::History none;
  none.sessions = 3;  // sessions, but no hold in any
  m = computeHistoryView(none, {}, {}, kBody, ui.fonts);
  EXPECT_NE(m.empty.find("No holds in the library yet"), std::string::npos) << m.empty;
  EXPECT_EQ(m.summary, "3 sessions, no holds yet");
  m = computeHistoryView(none, {}, {}, kBody, ui.fonts, "the library is not a rollrig library");
  EXPECT_EQ(m.error, "the library is not a rollrig library");
  EXPECT_TRUE(m.empty.empty());
}

TEST(HistoryView, HoldsWithoutAPositionAreListedButNotOnThePlate) {
  Ui ui;
  std::vector<core::HistoryHold> holds = handBuiltHolds();
  core::HistoryHold fo = hold(5, "2026-10-29T18:00:00Z", 0, 0, core::Side::kLeft, 35);
  fo.hold.has_xy = false;
  holds.push_back(fo);
  const core::History h = core::buildHistory(holds);
  const HistoryViewModel m = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(m.entries[2].spot, "no position");
  EXPECT_FALSE(m.entries[2].placed);
  EXPECT_EQ(m.spots.size(), 2u);
}

// Every text the view draws lies inside the body, and none overlaps another, at the three sizes
// the app is made for and at content scale 1 and 2.
TEST(HistoryView, EveryTextLiesInsideTheBodyAtEverySize) {
  if (!fs::exists(kDejaVu)) GTEST_SKIP() << kDejaVu << " is missing (fonts-dejavu-core)";
  WithTimeZone tz("UTC0");
  const core::History h = core::buildHistory(handBuiltHolds());
  struct Size {
    float w, h;
  };
  for (float scale : {1.0f, 2.0f}) {
    Ui ui(scale);
    for (const Size sz : {Size{1000, 640}, Size{1260, 720}, Size{1920, 1080}}) {
      SCOPED_TRACE(std::to_string(sz.w) + "x" + std::to_string(sz.h) + " at " +
                   std::to_string(scale));
      ImGuiIO& io = ImGui::GetIO();
      io.DisplaySize = ImVec2(sz.w * scale, sz.h * scale);
      io.DeltaTime = 1.0f / 60;
      const Rect body{0, 44 * scale, sz.w * scale, sz.h * scale};
      for (int sel : {0, 1}) {
        HistoryViewState st;
        HistoryViewModel m = computeHistoryView(h, st, {}, body, ui.fonts);
        HistoryViewAction a;
        a.select_entry = sel;
        applyHistoryAction(m, a, st);
        m = computeHistoryView(h, st, {}, body, ui.fonts);
        ImGui::NewFrame();
        SolidFills fills;
        std::vector<DrawnText> log;
        g_drawn_text = &log;
        drawHistoryView(m, st, ui.fonts, fills);
        g_drawn_text = nullptr;
        ImGui::EndFrame();
        ASSERT_FALSE(log.empty());
        for (const DrawnText& t : log) {
          EXPECT_GE(t.box.x0, body.x0 - 1) << t.s;
          EXPECT_LE(t.box.x1, body.x1 + 1) << t.s;
          EXPECT_GE(t.box.y0, body.y0 - 1) << t.s;
          EXPECT_LE(t.box.y1, body.y1 + 1) << t.s;
        }
        for (size_t i = 0; i < log.size(); ++i)
          for (size_t j = i + 1; j < log.size(); ++j) {
            const Rect& a2 = log[i].box;
            const Rect& b = log[j].box;
            EXPECT_FALSE(a2.x0 < b.x1 - 1 && b.x0 < a2.x1 - 1 && a2.y0 < b.y1 - 1 &&
                         b.y0 < a2.y1 - 1)
                << "\"" << log[i].s << "\" and \"" << log[j].s << "\" overlap";
          }
      }
    }
  }
}

// [SECTION] A real library

TEST(HistoryLibrary, ReadsADemoLibraryReadOnlyWithTheSameFiguresAsRollrigHistory) {
  rollrig::testing::TempDir dir;
  const std::string db = dir.file("demo.db");
  const char* bin = std::getenv("ROLLRIG_BIN");
  const std::string cli = std::string(bin ? bin : "build/bin") + "/rollrig";
  ASSERT_EQ(
      std::system((cli + " demo-library -q --sessions 6 --weeks 3 --db " + db + " >/dev/null 2>&1")
                      .c_str()),
      0);
  // A recording holds the library open for writing, mid-session, while the view reads it.
  store::SessionStore writer;
  ASSERT_FALSE(writer.open(db));
  store::SessionInfo info;
  info.started_utc = "2026-12-01T18:00:00Z";
  int64_t recording = 0;
  ASSERT_FALSE(writer.beginSession(info, &recording));
  HistoryLibrary lib(db);
  lib.refresh();
  ASSERT_TRUE(lib.error().empty()) << lib.error();
  const core::History& h = lib.history(HistorySides::kBoth);
  EXPECT_EQ(h.sessions, 6u);  // the recording has no hold yet
  // ... and the recording still writes: the reader has let go of the library.
  ASSERT_FALSE(writer.endSession(recording, store::kEndStopped, "2026-12-01T18:30:00Z"));
  ASSERT_FALSE(h.spots.empty());
  // The same figures as core computes from the library's holds (what `rollrig history` prints).
  std::vector<core::HistoryHold> holds;
  {
    store::SessionStore st;
    store::OpenOptions ro;
    ro.mode = store::OpenMode::kReadOnly;
    ASSERT_FALSE(st.open(db, ro));
    ASSERT_FALSE(engine::historyHolds(st, &holds));
  }
  const core::History want = core::buildHistory(holds);
  ASSERT_EQ(h.spots.size(), want.spots.size());
  EXPECT_DOUBLE_EQ(h.spots[0].x_mm, want.spots[0].x_mm);
  Ui ui;
  const HistoryViewModel m = computeHistoryView(h, {}, {}, kBody, ui.fonts);
  size_t entries = 0;
  for (const core::Spot& s : want.spots) entries += s.sides.size();
  EXPECT_EQ(m.entries.size(), entries);
  EXPECT_EQ(m.chart.points.size(), want.spots[0].sides[0].sessions.size());
  // Left only: every entry is left, and the spots keep their numbers.
  const core::History& left = lib.history(HistorySides::kLeft);
  for (const core::Spot& s : left.spots)
    for (const core::SideHistory& sh : s.sides) EXPECT_EQ(sh.side, core::Side::kLeft);
  // A library that is not one is an error in the view, never an exception.
  const std::string junk = dir.file("junk.db");
  {
    std::FILE* f = std::fopen(junk.c_str(), "w");
    std::fputs("this is not a library", f);
    std::fclose(f);
  }
  HistoryLibrary bad(junk);
  bad.refresh();
  EXPECT_FALSE(bad.error().empty());
  HistoryLibrary missing(dir.file("none.db"));
  missing.refresh();
  EXPECT_TRUE(missing.missing());
  EXPECT_TRUE(missing.error().empty());
  EXPECT_FALSE(fs::exists(dir.file("none.db")));  // reading never creates a library
}

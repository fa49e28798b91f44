// The GUI's panels without a window: each panel's model is computed from the engine's snapshot
// before anything is drawn, so what the user sees (colours, words, ticks, the decimated trace,
// positions on the plate, warnings) is checked here. An ImGui context with the default font is
// enough for text measurement; no GL, no display.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>  // the panels' windows: how far their widgets reach

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <cerrno>
#include <csignal>
#include <thread>

#include "connection_bar.h"
#include "force_plot.h"
#include "gui/gui_soak_run.h"
#include "hold_panel.h"
#include "keys.h"
#include "layout.h"
#include "plate_view.h"
#include "protocol_panel.h"
#include "sample_store.h"
#include "scaled_ui.h"
#include "session_controller.h"
#include "settings.h"
#include "stepped_stream.h"
#include "theme.h"

namespace fs = std::filesystem;
using namespace rollrig;
using namespace rollrig::gui;

namespace {

// An ImGui context whose font atlas is built (text sizes), for the tests' lifetime.
class PanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini in the working directory
    ImFont* font = io.Fonts->AddFontDefault();
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsAlpha8(&px, &w, &h);
    m_fonts.normal = m_fonts.large = m_fonts.huge = font;
  }
  void TearDown() override { ImGui::DestroyContext(); }
  Fonts m_fonts;
};

engine::LiveSnapshot snapshotWithHold(double elapsed_s) {
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kStreaming;
  snap.samples_recorded = 1000;
  snap.last_force.total_n = 310.4;
  engine::OpenHoldView h;
  h.hold.start_s = 10;
  h.hold.end_s = 10 + elapsed_s;
  h.elapsed_s = elapsed_s;
  h.mean_force_n = 305;
  h.window = elapsed_s < 30    ? engine::OpenHoldView::Window::kBefore
             : elapsed_s <= 90 ? engine::OpenHoldView::Window::kInside
                               : engine::OpenHoldView::Window::kPast;
  snap.open_hold = h;
  return snap;
}

engine::ProcessedSample sample(double t_s, double force_n, double x_mm = 0, double y_mm = 0) {
  engine::ProcessedSample s;
  s.t_s = t_s;
  s.sample.t_us = static_cast<uint64_t>(t_s * 1e6);
  s.force.total_n = force_n;
  s.force.has_cop = true;
  s.force.x_mm = x_mm;
  s.force.y_mm = y_mm;
  return s;
}

}  // namespace

// [SECTION] Hold panel

TEST(HoldPanel, FormatsTheTimerAsMinutesAndSeconds) {
  EXPECT_EQ(formatMinSec(0), "0:00");
  EXPECT_EQ(formatMinSec(42.9), "0:42");
  EXPECT_EQ(formatMinSec(90), "1:30");
  EXPECT_EQ(formatMinSec(3725), "62:05");
  EXPECT_EQ(formatMinSec(-3), "0:00");
}

TEST(HoldPanel, IsAmberUnder30SecondsGreenInTheWindowAndRedPast90) {
  const HoldPanelModel before = computeHoldPanel(snapshotWithHold(12));
  EXPECT_EQ(before.phase, HoldPanelModel::Phase::kBefore);
  EXPECT_EQ(before.field, kBeforeWindowField);
  EXPECT_EQ(before.text, kDarkText);  // dark on amber
  EXPECT_EQ(before.timer, "0:12");
  EXPECT_EQ(before.words, "UNDER 30 s");

  const HoldPanelModel inside = computeHoldPanel(snapshotWithHold(42));
  EXPECT_EQ(inside.phase, HoldPanelModel::Phase::kInside);
  EXPECT_EQ(inside.field, kInWindowField);
  EXPECT_EQ(inside.words, "IN WINDOW 30\u201390 s");
  EXPECT_EQ(inside.timer, "0:42");

  const HoldPanelModel past = computeHoldPanel(snapshotWithHold(95));
  EXPECT_EQ(past.phase, HoldPanelModel::Phase::kPast);
  EXPECT_EQ(past.field, kPastWindowField);
  EXPECT_EQ(past.words, "PAST 90 s");
  // The protocol bar grows past the window so the needle stays on it.
  EXPECT_GT(past.bar_end_s, 95);
}

TEST(HoldPanel, ShowsTheReleaseCueAndWhatTriggeredIt) {
  engine::LiveSnapshot snap = snapshotWithHold(50);
  snap.open_hold->released = true;
  snap.open_hold->release_s = 48;  // 38 s after the hold's start at 10 s
  snap.open_hold->release_source = "load-up";
  HoldPanelModel m = computeHoldPanel(snap);
  EXPECT_TRUE(m.released);
  EXPECT_EQ(m.release_text, "RELEASED after 0:38");
  EXPECT_EQ(m.release_how, "detected by load-up");
  snap.open_hold->release_source = "marker";
  m = computeHoldPanel(snap);
  EXPECT_EQ(m.release_how, "you pressed space");
}

TEST(HoldPanel, ComparesTheForceNowWithTheHoldsLevel) {
  const HoldPanelModel m = computeHoldPanel(snapshotWithHold(42));
  EXPECT_EQ(m.force_text, "310 N now \u00b7 hold 305 N");
}

TEST(HoldPanel, ShowsNoHoldWhileTheRigIsAway) {
  engine::LiveSnapshot snap = snapshotWithHold(42);
  snap.state = engine::ConnectionState::kReconnecting;
  const HoldPanelModel m = computeHoldPanel(snap);
  EXPECT_EQ(m.phase, HoldPanelModel::Phase::kNoHold);
  EXPECT_EQ(m.field, kNoHoldField);
  EXPECT_NE(m.detail.find("reconnecting"), std::string::npos);
}

TEST(HoldPanel, TheThreeFieldsAreDistinctFromEveryOtherColourOfTheWindow) {
  // The screenshot test finds the hold's state by these exact colours.
  for (Rgb field : {kBeforeWindowField, kInWindowField, kPastWindowField, kNoHoldField})
    for (Rgb other : {kBackground, kPanel, kGrid, kPlate, kCellFill, kBall, kReleasedBand,
                      kForceTrace, kHoldShade})
      EXPECT_FALSE(field == other);
}

// [SECTION] Force plot

TEST(ForcePlot, PicksNiceTickSteps) {
  EXPECT_DOUBLE_EQ(niceStep(30, 6), 5);
  EXPECT_DOUBLE_EQ(niceStep(550, 5), 100);
  EXPECT_DOUBLE_EQ(niceStep(1.2, 6), 0.2);
  EXPECT_DOUBLE_EQ(niceStep(0, 6), 1);
}

TEST_F(PanelTest, TheForcePlotShowsTheLast30SecondsInSessionTime) {
  SampleStore store;
  for (int i = 0; i <= 80 * 100; ++i) store.append(sample(i / 80.0, 300));
  const ForcePlotModel m =
      computeForcePlot(store, engine::LiveSnapshot{}, Rect{0, 0, 800, 300}, m_fonts);
  // The right edge at the newest sample, within one pixel column (follow-live steps by columns).
  const double dt = 30.0 / m.area.width();
  EXPECT_GE(m.t1_s, 100.0);
  EXPECT_LT(m.t1_s, 100.0 + dt);
  EXPECT_NEAR(m.t1_s - m.t0_s, 30.0, 1e-9);
  ASSERT_FALSE(m.time_ticks.empty());
  EXPECT_EQ(m.time_ticks.front().label, "1:10");
  EXPECT_EQ(m.time_ticks.back().label, "1:40");
  for (const AxisTick& t : m.time_ticks) {
    EXPECT_GE(t.px, m.area.x0 - 0.5f);
    EXPECT_LE(t.px, m.area.x1 + 0.5f);
  }
  // Force axis from 0 N to above the 300 N level.
  EXPECT_EQ(m.force_ticks.front().label, "0 N");
  EXPECT_GE(m.f_hi_n, 300);
}

TEST_F(PanelTest, TheForcePlotKeepsASpikeAndDrawsAtMostTwoPointsAPixelColumn) {
  SampleStore store;
  for (int i = 0; i <= 80 * 30; ++i) store.append(sample(i / 80.0, i == 1201 ? 900 : 200));
  const Rect panel{0, 0, 300, 300};  // far fewer columns than samples
  const ForcePlotModel m = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  EXPECT_LE(m.trace.size(), 2 * static_cast<size_t>(std::ceil(m.area.width())));
  float top = 1e9f;
  for (const ImVec2& p : m.trace) top = std::min(top, p.y);
  const float y900 =
      m.area.y1 - static_cast<float>((900 - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * m.area.height();
  EXPECT_NEAR(top, y900, 0.5f);  // the one-sample spike survived decimation
}

TEST_F(PanelTest, TheForcePlotPutsTheProtocolGuidesAndReleasesInsideTheOpenHold) {
  SampleStore store;
  for (int i = 0; i <= 80 * 60; ++i) store.append(sample(i / 80.0, 300));
  engine::LiveSnapshot snap = snapshotWithHold(45);  // start 10 s, now 55 s
  snap.open_hold->hold.start_s = 10;
  snap.open_hold->hold.end_s = 60;
  snap.open_hold->released = true;
  snap.open_hold->release_s = 50;
  const ForcePlotModel m = computeForcePlot(store, snap, Rect{0, 0, 800, 300}, m_fonts);
  // Window 30..60 s: the 30 s guide (at 40 s) is in it, the 90 s guide (100 s) is not.
  ASSERT_EQ(m.guides_x.size(), 1u);
  const auto xOf = [&](double t) {
    return m.area.x0 + static_cast<float>((t - m.t0_s) / (m.t1_s - m.t0_s)) * m.area.width();
  };
  EXPECT_NEAR(m.guides_x[0], xOf(40), 0.5f);
  ASSERT_EQ(m.releases_x.size(), 1u);
  EXPECT_NEAR(m.releases_x[0], xOf(50), 0.5f);
  ASSERT_EQ(m.holds.size(), 1u);
  EXPECT_TRUE(m.holds[0].open);
  EXPECT_NEAR(m.holds[0].x0, m.area.x0, 0.5f);  // clipped at the window's left edge
  EXPECT_GE(m.level_y, m.area.y0);
}

TEST_F(PanelTest, TheForcePlotFollowsTheForceUnitSettingInTicksTitleAndHoldLevel) {
  SampleStore store;
  for (int i = 0; i <= 80 * 60; ++i) store.append(sample(i / 80.0, 300));
  const engine::LiveSnapshot snap = snapshotWithHold(45);  // level 305 N
  const Rect panel{0, 0, 800, 300};
  const auto yOf = [](const ForcePlotModel& m, double f_n) {
    return m.area.y1 -
           static_cast<float>((f_n - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * m.area.height();
  };
  // In N: ticks on round newtons, the level in N.
  const ForcePlotModel n = computeForcePlot(store, snap, panel, m_fonts, PlotView{}, ForceFormat{});
  EXPECT_NE(n.title.find("in N"), std::string::npos) << n.title;
  EXPECT_EQ(n.level_text, "hold 305 N");
  ASSERT_GE(n.force_ticks.size(), 3u);
  EXPECT_EQ(n.force_ticks[1].label, "50 N");
  EXPECT_NEAR(n.force_ticks[1].px, yOf(n, 50), 0.5f);
  // In % body weight (70 kg: 686.5 N = 100 %): ticks on round percentages, the level in % BW.
  const ForceFormat bw{ForceUnit::kBodyWeight, 70.0};
  const ForcePlotModel p = computeForcePlot(store, snap, panel, m_fonts, PlotView{}, bw);
  EXPECT_NE(p.title.find("% body weight"), std::string::npos) << p.title;
  EXPECT_EQ(p.level_text, "hold 44 % BW");
  const double n_per_pct = 70.0 * 9.80665 / 100.0;
  EXPECT_NEAR(p.level_y, yOf(p, 305), 0.5f);
  ASSERT_GE(p.force_ticks.size(), 3u);
  EXPECT_EQ(p.force_ticks.front().label, "0 %");
  EXPECT_EQ(p.force_ticks[1].label, "10 %");
  EXPECT_NEAR(p.force_ticks[1].px, yOf(p, 10 * n_per_pct), 0.5f);
  // The top is a round percentage above the 300 N (43.7 %) level: 50 %.
  EXPECT_NEAR(p.f_hi_n, 50 * n_per_pct, 1e-6);
  EXPECT_EQ(p.force_ticks.back().label, "50 %");
}

namespace {
// The trace's points by pixel column (x), in order.
std::map<float, std::vector<float>> traceByColumn(const ForcePlotModel& m) {
  std::map<float, std::vector<float>> out;
  for (const ImVec2& p : m.trace) out[p.x].push_back(p.y);
  return out;
}
}  // namespace

TEST_F(PanelTest, FollowingLiveTheWindowStepsByWholePixelColumnsAndOnlyTheNewestColumnChanges) {
  const Rect panel{0, 0, 800, 300};
  SampleStore store;
  // A wavy force, so each column's min and max depend on which samples fall into it.
  const auto force = [](double t) { return 300 + 60 * std::sin(t * 7.3) + 20 * std::sin(t * 31); };
  store.append(sample(0, force(0)));
  const ForcePlotModel first = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  const int cols = static_cast<int>(first.area.width());
  ASSERT_EQ(first.area.width(), static_cast<float>(cols));  // whole pixel columns
  const double dt = kPlotWindow_s / cols;
  ASSERT_GT(dt, 1.0 / 60 + 0.2 * dt);  // 30 s over < 1,440 columns: a frame is less than a column
  // Live at 80 Hz up to a tenth into a column, then one frame (1/60 s) later, same column step.
  const double t_a = (std::floor(50 / dt) + 0.1) * dt;
  for (int i = 1; i / 80.0 < t_a; ++i) store.append(sample(i / 80.0, force(i / 80.0)));
  store.append(sample(t_a, force(t_a)));
  const ForcePlotModel a = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  for (double t : {t_a + 0.0125, t_a + 1.0 / 60}) store.append(sample(t, force(t)));
  const ForcePlotModel b = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  // The window did not move, and ends at the newest sample (within one column).
  EXPECT_EQ(a.t0_s, b.t0_s);
  EXPECT_EQ(a.t1_s, b.t1_s);
  EXPECT_GE(b.t1_s, t_a + 1.0 / 60);
  EXPECT_LT(b.t1_s - (t_a + 1.0 / 60), dt);
  ASSERT_EQ(a.f_hi_n, b.f_hi_n);
  // Every column but the newest is the same, point for point.
  const float last_x = a.area.x0 + cols - 0.5f;
  auto ca = traceByColumn(a), cb = traceByColumn(b);
  ASSERT_GT(ca.size(), static_cast<size_t>(cols) - 2);
  for (const auto& [x, ys] : ca)
    if (x < last_x) {
      EXPECT_EQ(cb[x], ys) << "column at x " << x;
    }
  EXPECT_NE(cb[last_x], ca[last_x]);  // the newest column took the new samples
  // One column step later, every column's content moved left by exactly one pixel: the bins are
  // fixed slices of session time, not slices of the moving window.
  for (double t = t_a + 1.0 / 60 + 0.0125; t < t_a + dt; t += 0.0125)
    store.append(sample(t, force(t)));
  store.append(sample(t_a + dt, force(t_a + dt)));
  const ForcePlotModel c = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  EXPECT_NEAR(c.t1_s - a.t1_s, dt, 1e-9);
  ASSERT_EQ(a.f_hi_n, c.f_hi_n);
  auto cc = traceByColumn(c);
  int compared = 0;
  for (const auto& [x, ys] : ca)
    if (x > a.area.x0 + 1 && x < last_x - 1) {
      EXPECT_EQ(cc[x - 1], ys) << "column at x " << x;
      ++compared;
    }
  EXPECT_GT(compared, cols - 5);
}

TEST_F(PanelTest, TheForcePlotSaysWhyItIsEmpty) {
  const ForcePlotModel m =
      computeForcePlot(SampleStore{}, engine::LiveSnapshot{}, Rect{0, 0, 800, 300}, m_fonts);
  EXPECT_FALSE(m.empty_text.empty());
  EXPECT_TRUE(m.trace.empty());
}

TEST_F(PanelTest, TheForcePlotOfATwoHourSessionEmitsAtMostTwoPointsAPixelColumnAtAnyZoom) {
  SampleStore store;
  const int n = 576000;  // two hours at 80 Hz
  for (int i = 0; i < n; ++i) store.append(sample(i / 80.0, 300 + (i % 97)));
  const Rect panel{0, 0, 1260, 300};
  PlotView whole;
  whole.mode = PlotView::Mode::kWhole;
  PlotView zoomed;
  zoomed.mode = PlotView::Mode::kFixed;
  zoomed.span_s = 30;
  zoomed.t1_s = 3600;
  for (const PlotView& v : {PlotView{}, whole, zoomed}) {
    const ForcePlotModel m = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, v);
    const size_t cols = static_cast<size_t>(std::ceil(m.area.width()));
    EXPECT_LE(m.trace.size(), 2 * cols);
    EXPECT_GE(m.trace.size(), cols / 2);  // and it does draw the window
  }
  const ForcePlotModel m = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, whole);
  EXPECT_DOUBLE_EQ(m.t0_s, 0.0);
  EXPECT_NEAR(m.t1_s, (n - 1) / 80.0, 1e-3);  // SampleStore keeps times to the ms
  ASSERT_FALSE(m.time_ticks.empty());
  EXPECT_EQ(m.time_ticks.front().label, "0:00:00");  // h:mm:ss once the window reaches an hour
  EXPECT_EQ(m.time_ticks.back().label.size(), 7u);
  // Session: about 42 bytes a sample (24 MB for two hours), never the samples times the zoom.
  EXPECT_LE(store.bytes(), static_cast<size_t>(n) * 42 * 2);
}

TEST_F(PanelTest, TheForcePlotKeepsAOneSampleSpikeAtEveryZoom) {
  SampleStore store;
  const int n = 80 * 3600, spike = 80 * 1234 + 17;
  for (int i = 0; i < n; ++i) store.append(sample(i / 80.0, i == spike ? 1500 : 300));
  const double spike_s = spike / 80.0;
  for (double span : {2.0, 30.0, 300.0, 1800.0, 3600.0}) {
    PlotView v;
    v.mode = PlotView::Mode::kFixed;
    v.span_s = span;
    v.t1_s = std::min(3600.0, spike_s + span * 0.3);
    const ForcePlotModel m =
        computeForcePlot(store, engine::LiveSnapshot{}, Rect{0, 0, 900, 300}, m_fonts, v);
    float top = 1e9f;
    for (const ImVec2& p : m.trace) top = std::min(top, p.y);
    const float y1500 =
        m.area.y1 - static_cast<float>((1500 - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * m.area.height();
    EXPECT_NEAR(top, y1500, 0.5f) << "window of " << span << " s";
    EXPECT_GE(m.f_hi_n, 1500) << "the autoscale sees the spike in a window of " << span << " s";
  }
}

TEST_F(PanelTest, TheWheelOverThePlotZoomsAroundTheCursorAndADragPans) {
  SampleStore store;
  for (int i = 0; i <= 80 * 600; ++i) store.append(sample(i / 80.0, 300));
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(1000, 400);
  io.DeltaTime = 1.0f / 60;
  PlotView v;
  const ForcePlotModel m =
      computeForcePlot(store, engine::LiveSnapshot{}, Rect{0, 0, 1000, 400}, m_fonts, v);
  const float y = (m.area.y0 + m.area.y1) * 0.5f;
  const float x = m.area.x0 + m.area.width() * 0.25f;  // 577.5 s in the last 30 s
  const double anchor = m.t0_s + 0.25 * (m.t1_s - m.t0_s);
  // A wheel notch up over the plot: 20 % in, the time under the cursor stays put.
  io.MousePos = ImVec2(x, y);
  io.MouseWheel = 1;
  ImGui::NewFrame();
  EXPECT_TRUE(handlePlotMouse(v, m, 600));
  ImGui::EndFrame();
  double t0 = 0, t1 = 0;
  plotWindow(v, 600, &t0, &t1);
  EXPECT_NEAR(t1 - t0, 24, 1e-9);
  EXPECT_NEAR(t0 + 0.25 * (t1 - t0), anchor, 0.01);  // within a pixel (float positions)
  // Press and drag 100 px to the right: the window moves back by 100 px of time.
  const ForcePlotModel m2 =
      computeForcePlot(store, engine::LiveSnapshot{}, Rect{0, 0, 1000, 400}, m_fonts, v);
  io.MouseWheel = 0;
  io.MouseDown[0] = true;
  ImGui::NewFrame();
  handlePlotMouse(v, m2, 600);
  ImGui::EndFrame();
  io.MousePos = ImVec2(x + 100, y);
  ImGui::NewFrame();
  EXPECT_TRUE(handlePlotMouse(v, m2, 600));
  ImGui::EndFrame();
  io.MouseDown[0] = false;
  double d0 = 0, d1 = 0;
  plotWindow(v, 600, &d0, &d1);
  EXPECT_NEAR(d0, t0 - 100 / m2.area.width() * (t1 - t0), 0.01);
  // The wheel outside the plot does nothing.
  io.MousePos = ImVec2(5, 5);
  io.MouseWheel = 1;
  ImGui::NewFrame();
  EXPECT_FALSE(handlePlotMouse(v, m2, 600));
  ImGui::EndFrame();
}

TEST(PlotView, ZoomsAroundTheCursorFromTwoSecondsToTheWholeSession) {
  PlotView v;  // follow-live, last 30 s; the session is 600 s long
  double t0 = 0, t1 = 0;
  plotWindow(v, 600, &t0, &t1);
  EXPECT_DOUBLE_EQ(t0, 570);
  EXPECT_DOUBLE_EQ(t1, 600);
  zoomPlot(v, 600, 580, 0.5);  // zoom in around 580 s (a third from the left)
  plotWindow(v, 600, &t0, &t1);
  EXPECT_EQ(v.mode, PlotView::Mode::kFixed);
  EXPECT_DOUBLE_EQ(t1 - t0, 15);
  EXPECT_NEAR((580 - t0) / (t1 - t0), 1.0 / 3.0, 1e-9);  // the time under the cursor stays
  for (int i = 0; i < 20; ++i) zoomPlot(v, 600, 580, 0.5);
  plotWindow(v, 600, &t0, &t1);
  EXPECT_DOUBLE_EQ(t1 - t0, kPlotMinWindow_s);
  for (int i = 0; i < 20; ++i) zoomPlot(v, 600, 580, 2);
  EXPECT_EQ(v.mode, PlotView::Mode::kWhole);
  plotWindow(v, 7200, &t0, &t1);  // the whole session grows with it
  EXPECT_DOUBLE_EQ(t0, 0);
  EXPECT_DOUBLE_EQ(t1, 7200);
}

TEST(PlotView, PansInsideTheSessionAndFStillFollowsLive) {
  PlotView v;
  panPlot(v, 600, -100);  // drag back 100 s
  double t0 = 0, t1 = 0;
  plotWindow(v, 650, &t0, &t1);  // the session goes on; the view stays
  EXPECT_DOUBLE_EQ(t1, 500);
  EXPECT_DOUBLE_EQ(t0, 470);
  panPlot(v, 650, -1000);  // not before the session's start
  plotWindow(v, 650, &t0, &t1);
  EXPECT_DOUBLE_EQ(t0, 0);
  panPlot(v, 650, 5000);  // not after its end
  plotWindow(v, 650, &t0, &t1);
  EXPECT_DOUBLE_EQ(t1, 650);
  followLive(v);
  plotWindow(v, 700, &t0, &t1);
  EXPECT_EQ(v.mode, PlotView::Mode::kFollowLive);
  EXPECT_DOUBLE_EQ(t1, 700);
  EXPECT_DOUBLE_EQ(t0, 670);
}

TEST(PlotView, PFreezesTheWindowShownAndPAgainFollowsLive) {
  PlotView v;
  togglePause(v, 100);
  double t0 = 0, t1 = 0;
  plotWindow(v, 160, &t0, &t1);  // the recording went on 60 s; the view did not
  EXPECT_DOUBLE_EQ(t0, 70);
  EXPECT_DOUBLE_EQ(t1, 100);
  togglePause(v, 160);
  plotWindow(v, 160, &t0, &t1);
  EXPECT_DOUBLE_EQ(t1, 160);
  EXPECT_DOUBLE_EQ(t0, 130);
}

// [SECTION] Plate view

TEST_F(PanelTest, ThePlateIsToScaleWithTheBallWhereTheCentreOfPressureIs) {
  SampleStore store;
  for (int i = 0; i <= 80 * 5; ++i) {
    engine::ProcessedSample p = sample(i / 80.0, 500, 150, -100);
    p.force.force_n = {50, 150, 100, 200};
    store.append(p);
  }
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kStreaming;
  snap.samples_recorded = store.size();
  snap.last_force.total_n = 500;
  snap.last_force.has_cop = true;
  snap.last_force.x_mm = 150;
  snap.last_force.y_mm = -100;
  snap.last_force.force_n = {50, 150, 100, 200};
  const core::PlateGeometry g;
  const PlateViewModel m = computePlateView(store, snap, Rect{0, 0, 500, 600}, m_fonts, g);
  // 600 x 400 mm drawn at one scale.
  EXPECT_NEAR(m.plate.width() / m.plate.height(), g.width_mm / g.length_mm, 1e-3);
  ASSERT_TRUE(m.has_ball);
  const float cx = (m.plate.x0 + m.plate.x1) / 2, cy = (m.plate.y0 + m.plate.y1) / 2;
  EXPECT_NEAR(m.ball.x, cx + 150 * m.px_per_mm, 0.01f);  // +x to the right
  EXPECT_NEAR(m.ball.y, cy + 100 * m.px_per_mm, 0.01f);  // -y (toward the feet) is down
  // Cell 1 (front-right) is up and right; its share and load are shown.
  EXPECT_GT(m.cells[1].centre.x, cx);
  EXPECT_LT(m.cells[1].centre.y, cy);
  EXPECT_NEAR(m.cells[3].share, 200.0 / 500.0, 1e-6);
  EXPECT_EQ(m.cells[3].label, "200 N");
  EXPECT_EQ(m.total_text, "total 500 N");
  // The trail covers the last 3 s.
  EXPECT_NEAR(static_cast<double>(m.trail.size()), 3.0 * 80 + 1, 2);
}

// The figures are a steadier readout than the ball: the mean of the last whole quarter second,
// so they change four times a second, not with every sample.
TEST_F(PanelTest, ThePlatesFiguresAreTheMeanOfTheLastWholeQuarterSecond) {
  SampleStore store;
  for (int i = 0; i <= 80 * 2; ++i) {  // 0 .. 2 s; cell 3 alternates 180 / 220 N
    engine::ProcessedSample p = sample(i / 80.0, 500, 10, 10);
    p.force.force_n = {50, 150, 100, (i % 2) ? 220.0 : 180.0};
    p.force.total_n = 300 + p.force.force_n[3];
    store.append(p);
  }
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kStreaming;
  snap.samples_recorded = store.size();
  snap.last_force.force_n = {50, 150, 100, 220};  // the latest sample alone
  snap.last_force.total_n = 520;
  snap.last_force.has_cop = true;
  const PlateViewModel m = computePlateView(store, snap, Rect{0, 0, 500, 600}, m_fonts);
  EXPECT_EQ(m.cells[3].label, "200 N");  // the mean of 180s and 220s, not the latest 220
  EXPECT_EQ(m.total_text, "total 500 N");
  // The readout is the window [1.75, 2.0) s: the same until the edge passes 2.25 s.
  const auto a = forceReadout(store, 2.0), b = forceReadout(store, 2.2);
  ASSERT_TRUE(a && b);
  EXPECT_DOUBLE_EQ(a->force_n[3], b->force_n[3]);
  EXPECT_FALSE(forceReadout(store, 30.0));  // no sample in [29.75, 30)
  // The hold panel's "now" figure takes the same readout.
  const HoldPanelModel h = computeHoldPanel(snap, true, "", ForceFormat{}, &*a);
  EXPECT_EQ(h.force_text.rfind("500 N now", 0), 0u) << h.force_text;
}

TEST_F(PanelTest, ThePlateShowsNoBallWithoutACentreOfPressure) {
  engine::LiveSnapshot snap;
  snap.samples_recorded = 10;
  snap.state = engine::ConnectionState::kStreaming;
  snap.last_force.has_cop = false;
  const PlateViewModel m = computePlateView(SampleStore{}, snap, Rect{0, 0, 500, 600}, m_fonts);
  EXPECT_FALSE(m.has_ball);
}

// [SECTION] Connection bar

TEST(ConnectionBar, WarnsWhenTheMeasuredRateIsNotAbout80Hz) {
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kStreaming;
  snap.samples_recorded = 500;
  snap.info = proto::InfoFrame{};
  snap.info->rate_hz = 80;
  snap.info->device_serial = 0xD3E0;
  snap.rate_hz = 79.6;
  ConnectionBarModel ok = computeConnectionBar(snap, true, true, "", "");
  const auto rateItem = [](const ConnectionBarModel& m) {
    for (const BarItem& it : m.items)
      if (it.text.find("Hz") != std::string::npos) return it;
    return BarItem{};
  };
  EXPECT_EQ(rateItem(ok).colour, kOk);
  EXPECT_EQ(rateItem(ok).text, "79.6 Hz");
  snap.rate_hz = 61.0;
  ConnectionBarModel slow = computeConnectionBar(snap, true, true, "", "");
  EXPECT_EQ(rateItem(slow).colour, kWarning);
  EXPECT_EQ(rateItem(slow).text, "61.0 Hz (not 80 Hz)");
  EXPECT_FALSE(slow.picker);
}

TEST(SessionController, WithCuesOnItHandsTheEnginesCuesToTheAppOnce) {
  // The engine plans the cues on every sample; the controller keeps them for the app, which
  // sounds them (gui_app.cpp), each once.
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("rollrig-gui-cues-" + std::to_string(::getpid()) + ".db"))
                             .string();
  std::filesystem::remove(db);
  SessionController ctl(db, [] {});
  NewSessionSettings ns;
  ns.cues = core::CueSettings{};
  ctl.setNewSessionSettings(ns);
  SourceChoice src;
  src.seed = 1;
  src.fast = true;
  ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
  std::vector<core::Cue> cues;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (ctl.samples().lastTime_s() < 60 && std::chrono::steady_clock::now() < give_up) {
    ctl.update();
    for (core::Cue& c : ctl.takeCues()) cues.push_back(c);
    ctl.nextStep();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ctl.stop();
  ASSERT_FALSE(cues.empty()) << "the virtual rig (seed 1) holds from about 16 s";
  EXPECT_EQ(cues.front().kind, core::CueKind::kHoldConfirmed);
  EXPECT_EQ(cues.front().words, "hold");
  // On a sample: a multiple of the 12.5 ms sample period.
  EXPECT_NEAR(std::remainder(cues.front().t_s, 0.0125), 0.0, 1e-6);
  EXPECT_TRUE(ctl.takeCues().empty());  // taken once
  std::filesystem::remove(db);
}

TEST(ConnectionBar, ShowsTheSessionsWarningsBesideTheControllersNotice) {
  // A malformed stored calibration or old firmware was printed by `rollrig record` but never
  // shown in the window.
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kStreaming;
  snap.warnings = {
      "the rig runs firmware 0.0.9, older than the 0.1.0 this rollrig comes with; "
      "update it with `rollrig flash`"};
  const ConnectionBarModel m = computeConnectionBar(snap, true, true, "", "1 session recovered");
  EXPECT_NE(m.notice.find("1 session recovered"), std::string::npos) << m.notice;
  EXPECT_NE(m.notice.find("rollrig flash"), std::string::npos) << m.notice;
  EXPECT_TRUE(computeConnectionBar(snap, false, false, "", "").notice.empty());
}

TEST(ConnectionBar, ShowsLostFramesCrcErrorsAndReconnecting) {
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kReconnecting;
  snap.state_message = "the device went away; trying again";
  snap.stats.frames_lost = 3;
  snap.stats.crc_errors = 2;
  const ConnectionBarModel m = computeConnectionBar(snap, true, true, "", "");
  std::string all;
  for (const BarItem& it : m.items) all += it.text + "|";
  EXPECT_NE(all.find("lost 3|"), std::string::npos) << all;
  EXPECT_NE(all.find("CRC errors 2|"), std::string::npos) << all;
  EXPECT_NE(all.find("reconnecting\u2026"), std::string::npos) << all;
  EXPECT_EQ(m.error, snap.state_message);
}

TEST(ConnectionBar, ShowsAFailedStartAsStateWithThePicker) {
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kFailed;
  snap.end_reason = engine::EndReason::kStartFailed;
  snap.device_error.message = "/dev/ttyACM0 is busy: another program has it open";
  snap.finished = true;
  const ConnectionBarModel m = computeConnectionBar(snap, true, false, "", "");
  EXPECT_TRUE(m.picker);  // pick again
  EXPECT_EQ(m.error, snap.device_error.message);
}

TEST(ConnectionBar, IsThePickerWithNothingConnected) {
  const ConnectionBarModel m = computeConnectionBar(engine::LiveSnapshot{}, false, false, "", "");
  EXPECT_TRUE(m.picker);
  EXPECT_TRUE(m.items.empty());
  EXPECT_TRUE(m.error.empty());
}

// [SECTION] Layout

TEST(Layout, PanelsFillTheWindowWithoutOverlapping) {
  for (float scale : {1.0f, 2.0f}) {
    const Layout l = computeLayout(1260 * scale, 720 * scale, scale);
    EXPECT_LE(l.connection_bar.y1, l.hold.y0);
    EXPECT_LE(l.hold.y1, l.plot.y0);
    EXPECT_LE(l.hold.x1, l.plate.x0);
    EXPECT_LE(l.plot.x1, l.plate.x0);
    EXPECT_LE(l.plate.x1, 1260 * scale);
    EXPECT_LE(l.plot.y1, 720 * scale);
    // Room for the huge timer and a plot.
    EXPECT_GE(l.hold.height(), kFontHuge_px * scale);
    EXPECT_GE(l.plot.height(), 200 * scale);
    // The protocol panel sits above the plate, in the plate's column, leaving the plate room.
    EXPECT_LE(l.protocol.y1, l.plate.y0);
    EXPECT_GE(l.protocol.x0, l.hold.x1);
    EXPECT_EQ(l.protocol.x1, l.plate.x1);
    EXPECT_GE(l.protocol.height(), 250 * scale);
    EXPECT_GE(l.plate.height(), 300 * scale);
  }
}

// [SECTION] Sample store and the stepped --fast rig

TEST(SampleStore, KeepsEverySampleAndFindsTimes) {
  SampleStore s;
  for (int i = 0; i < 100000; ++i) s.append(sample(i / 80.0, i));
  EXPECT_EQ(s.size(), 100000u);
  EXPECT_EQ(s.lowerBound(10.0), 800u);
  EXPECT_EQ(s.lowerBound(1e9), s.size());
  EXPECT_FLOAT_EQ(s.total_n()[99999], 99999.0f);
}

namespace {
// A source of endless bytes (like the --fast virtual rig).
class EndlessStream : public io::ByteStream {
 public:
  long read(uint8_t* buf, size_t cap, int, io::IoError*) override {
    for (size_t i = 0; i < cap; ++i) buf[i] = 0x55;
    total += cap;
    return static_cast<long>(cap);
  }
  bool write(const uint8_t*, size_t, io::IoError*) override { return true; }
  void flushInput() override {}
  std::string describe() const override { return "endless"; }
  size_t total = 0;
};
}  // namespace

TEST(SteppedStream, ReadsOnlyWhatTheUiGranted) {
  auto budget = std::make_shared<StepBudget>(100);
  auto inner = std::make_unique<EndlessStream>();
  EndlessStream* raw = inner.get();
  SteppedStream s(std::move(inner), budget);
  uint8_t buf[4096];
  io::IoError err;
  EXPECT_EQ(s.read(buf, sizeof(buf), 0, &err), 100);
  EXPECT_EQ(s.read(buf, sizeof(buf), 5, &err), 0);  // nothing granted: a quiet port
  budget->grant(1000);
  budget->grant(1000);  // grants top up; they do not pile up
  EXPECT_EQ(s.read(buf, sizeof(buf), 0, &err), 1000);
  EXPECT_EQ(s.read(buf, sizeof(buf), 0, &err), 0);
  EXPECT_EQ(raw->total, 1100u);
}

// [SECTION] Session controller: the engine, driven as the window drives it

TEST(SessionController, RunsTheSteppedVirtualRigAndKeepsEverySampleItRecorded) {
  const fs::path dir =
      fs::temp_directory_path() / ("rollrig-gui-ctl-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    SessionController ctl((dir / "sessions.db").string(), [] {});
    SourceChoice src;
    src.seed = 3;
    src.fast = true;
    ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
    // One update per "frame"; waits on device time, with a generous overall limit.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    int updates = 0;
    while (ctl.samples().lastTime_s() < 20.0 && std::chrono::steady_clock::now() < give_up) {
      ctl.update();
      ctl.nextStep();
      ++updates;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_GE(ctl.samples().lastTime_s(), 20.0);
    // Stepped: about a second of device time per update at most (plus the first step).
    EXPECT_LE(ctl.samples().lastTime_s(), 1.5 * (updates + 1));
    ctl.markPain(4);
    ctl.stop();
    const engine::LiveSnapshot& snap = ctl.snapshot();
    EXPECT_TRUE(snap.finished);
    EXPECT_EQ(snap.new_samples_dropped, 0u);
    EXPECT_EQ(ctl.samples().size(), snap.samples_recorded);
    // The stepped rig is still the virtual rig: its own exact calibration, not a stored one or
    // the uncalibrated default (SteppedStream passes nominalCalibration() through).
    EXPECT_EQ(snap.calibration_from, "the virtual rig's own");
    EXPECT_TRUE(snap.auto_zero);
    ASSERT_EQ(snap.markers.size(), 1u);
    EXPECT_EQ(snap.markers[0].pain, 4);
  }
  fs::remove_all(dir);
}

TEST(SessionController, ALibraryThatCannotBeOpenedIsStateNotAnException) {
  SessionController ctl("/proc/rollrig-cannot-be-here/sessions.db", [] {});
  SourceChoice src;
  EXPECT_FALSE(ctl.start(src));
  EXPECT_FALSE(ctl.errorText().empty());
  EXPECT_FALSE(ctl.running());
}

// The GUI's soak, short (rollrig-soak --gui-hours 2 is the long one, docs/RELIABILITY.md): ten
// minutes of the --fast virtual rig, frame by frame through the controller's snapshot path, with
// the library recording: every sample the engine recorded is in the SampleStore and in the
// library, none lost on the wire, about a second of device time a frame.
TEST(SessionController, TenFastMinutesFrameByFrameReachTheSampleStoreAndTheLibraryWhole) {
  const fs::path dir =
      fs::temp_directory_path() / ("rollrig-gui-soak-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  rollrig::testing::soak::GuiPlan plan;
  plan.db = (dir / "sessions.db").string();
  plan.hours = 10.0 / 60.0;
  plan.seed = 9;
  plan.warm_up_s = 300;
  const rollrig::testing::soak::GuiResult r = rollrig::testing::soak::runGuiSoak(plan);
  EXPECT_EQ(r.failure, "");
  EXPECT_GE(r.device_s, 600.0);
  EXPECT_GE(r.shown, 600u * 80u);
  EXPECT_EQ(r.shown, r.recorded);
  EXPECT_EQ(r.in_library, r.recorded);
  EXPECT_EQ(r.frames_lost, 0u);
  EXPECT_GE(static_cast<double>(r.frames), r.device_s / 1.5) << "about a second a frame";
  fs::remove_all(dir);
}

TEST(HoldPanel, SaysHowToStartWhenNothingIsConnected) {
  const HoldPanelModel m = computeHoldPanel(engine::LiveSnapshot{}, false);
  EXPECT_EQ(m.words, "NO HOLD");
  EXPECT_NE(m.detail.find("connect"), std::string::npos) << m.detail;
  EXPECT_TRUE(m.force_text.empty());
}

TEST(SolidFills, MixGivesTheColourABlendedFillWouldGive) {
  // The large rectangles are cleared, not blended; their colours must match what the blend gave.
  EXPECT_EQ(mix(kLightText, kDarkText, 1.0f), kLightText);
  EXPECT_EQ(mix(kLightText, kDarkText, 0.0f), kDarkText);
  EXPECT_EQ(mix(Rgb{200, 100, 0}, Rgb{0, 0, 100}, 0.5f), (Rgb{100, 50, 50}));
}

TEST(HoldPanel, ShowsAFailedStartLargeInsteadOfWaiting) {
  engine::LiveSnapshot snap;
  snap.state = engine::ConnectionState::kFailed;
  snap.finished = true;
  snap.device_error.message = "/dev/ttyACM0 is busy: another program has it open";
  const ConnectionBarModel bar = computeConnectionBar(snap, true, false, "", "");
  const HoldPanelModel m = computeHoldPanel(snap, true, bar.error);
  EXPECT_EQ(m.words, "NOT CONNECTED");
  EXPECT_EQ(m.detail, snap.device_error.message);
  EXPECT_EQ(m.detail_colour, kError);
}

TEST(HoldPanel, SaysTheRigIsAwayWhileReconnecting) {
  engine::LiveSnapshot snap = snapshotWithHold(42);
  snap.state = engine::ConnectionState::kReconnecting;
  snap.state_message = "the device went away";
  const ConnectionBarModel bar = computeConnectionBar(snap, true, true, "", "");
  const HoldPanelModel m = computeHoldPanel(snap, true, bar.error);
  EXPECT_EQ(m.words, "RIG AWAY");
  EXPECT_NE(m.detail.find("the device went away"), std::string::npos) << m.detail;
  EXPECT_TRUE(m.force_text.empty());  // no stale force while the rig is away
}

TEST(HoldPanel, SaysAReplayIsAtItsEndNotThatASessionWasJustRecorded) {
  // A replay at its last sample once read "SESSION ENDED — it is in the session library (); pick a
  // source above", the live view's words, with no source to pick in the replay.
  engine::LiveSnapshot snap;
  snap.replay = true;
  snap.finished = true;
  snap.samples_recorded = 13703;
  const HoldPanelModel m = computeHoldPanel(snap, true);
  EXPECT_EQ(m.words, "END OF THE SESSION");
  EXPECT_NE(m.detail.find("space plays it again"), std::string::npos) << m.detail;
  EXPECT_EQ(m.detail.find("pick a source"), std::string::npos) << m.detail;
}

TEST(HoldPanel, SaysALibraryThatCannotBeWrittenLarge) {
  const HoldPanelModel m =
      computeHoldPanel(engine::LiveSnapshot{}, false, "cannot create the library: read-only");
  EXPECT_EQ(m.words, "NOT RECORDING");
  EXPECT_EQ(m.detail_colour, kError);
}

// [SECTION] Keys, by GLFW key code through ImGui's key state

namespace {
// One ImGui frame with these GLFW keys held; returns the marks read in it.
std::vector<MarkKey> frameWithKeys(std::initializer_list<int> glfw_keys) {
  ImGuiIO& io = ImGui::GetIO();
  for (bool& down : io.KeysDown) down = false;
  for (int k : glfw_keys) io.KeysDown[k] = true;
  ImGui::NewFrame();
  std::vector<MarkKey> keys = readMarkKeys();
  ImGui::EndFrame();
  return keys;
}
}  // namespace

TEST_F(PanelTest, KeysAreReadByGlfwKeyCodeOncePerPress) {
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(800, 600);
  io.DeltaTime = 1.0f / 60;
  EXPECT_TRUE(frameWithKeys({}).empty());
  std::vector<MarkKey> k = frameWithKeys({GLFW_KEY_5});
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].kind, MarkKey::Kind::kPain);
  EXPECT_EQ(k[0].pain, 5);
  EXPECT_EQ(k[0].said(), "pain 5");
  EXPECT_TRUE(frameWithKeys({GLFW_KEY_5}).empty());  // held: not pressed again
  k = frameWithKeys({GLFW_KEY_SPACE});
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].said(), "released");
  frameWithKeys({});
  k = frameWithKeys({GLFW_KEY_L});
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].side, core::Side::kLeft);
  frameWithKeys({});
  k = frameWithKeys({GLFW_KEY_KP_0});
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].pain, 0);
  frameWithKeys({});
  k = frameWithKeys({GLFW_KEY_R});
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].said(), "side right");
}

TEST(Keys, AKeyMarksTheSessionThroughTheEngine) {
  const fs::path dir =
      fs::temp_directory_path() / ("rollrig-gui-keys-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    SessionController ctl((dir / "sessions.db").string(), [] {});
    SourceChoice src;
    src.fast = true;
    ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (ctl.samples().lastTime_s() < 2.0 && std::chrono::steady_clock::now() < give_up) {
      ctl.update();
      ctl.nextStep();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    applyMarkKey({MarkKey::Kind::kSide, -1, core::Side::kRight}, ctl);
    applyMarkKey({MarkKey::Kind::kPain, 7}, ctl);
    applyMarkKey({MarkKey::Kind::kReleased}, ctl);
    ctl.stop();
    const std::vector<core::Marker>& marks = ctl.snapshot().markers;
    ASSERT_EQ(marks.size(), 3u);
    EXPECT_EQ(marks[0].kind, core::MarkerKind::kSide);
    EXPECT_EQ(marks[0].side, core::Side::kRight);
    EXPECT_EQ(marks[1].pain, 7);
    EXPECT_EQ(marks[2].kind, core::MarkerKind::kReleased);
    // Stamped with device time within the session.
    EXPECT_GE(marks[2].t_us, ctl.snapshot().first_t_us);
  }
  fs::remove_all(dir);
}

TEST_F(PanelTest, ThePlateMarksThisSessionsHoldsByTimeToRelease) {
  engine::LiveSnapshot snap;
  const auto hold = [](double start_s, std::optional<double> release_s) {
    core::Hold h;
    h.start_s = start_s;
    h.end_s = start_s + 100;
    h.release_s = release_s;
    h.has_xy = true;
    h.x_mm = -100;
    h.y_mm = 50;
    return h;
  };
  snap.holds = {hold(0, 20.0), hold(100, 150.0), hold(300, 395.0), hold(500, std::nullopt)};
  snap.holds.push_back(hold(600, 610.0));
  snap.holds.back().has_xy = false;  // no position: no spot
  const PlateViewModel m = computePlateView(SampleStore{}, snap, Rect{0, 0, 500, 600}, m_fonts);
  ASSERT_EQ(m.hold_spots.size(), 4u);
  EXPECT_EQ(m.hold_spots[0].colour, kReleaseMark);      // released after 20 s
  EXPECT_EQ(m.hold_spots[1].colour, kInWindowField);    // after 50 s
  EXPECT_EQ(m.hold_spots[2].colour, kPastWindowField);  // after 95 s
  EXPECT_EQ(m.hold_spots[3].colour, kPlateEdge);        // no release
  EXPECT_FALSE(m.hold_spots[3].released);
  const ImVec2 expect = platePoint(m.plate, m.px_per_mm, -100, 50);
  EXPECT_NEAR(m.hold_spots[0].at.x, expect.x, 1e-3);
  EXPECT_NEAR(m.hold_spots[0].at.y, expect.y, 1e-3);
}

// [SECTION] Protocol panel, settings, % body weight

TEST(ProtocolPanel, HighlightsTheCurrentStepWithItsTimerAndHoldTotals) {
  core::ProtocolGuide g;
  g.update(10.0, {}, nullptr);
  core::Hold h;
  h.start_s = 20;
  h.end_s = 55;  // reached the window
  g.update(72.0, {h}, nullptr);
  const ProtocolPanelModel m = computeProtocolPanel(g.view(), g.params());
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.current, "1/4  RIGHT SIDE ROLLING");
  EXPECT_EQ(m.step_timer, "1:02");
  EXPECT_EQ(m.totals, "1 hold \u00b7 1 worked through");
  EXPECT_EQ(m.total, "total 1:02");
  ASSERT_EQ(m.rows.size(), 4u);
  EXPECT_TRUE(m.rows[0].current);
  EXPECT_FALSE(m.rows[1].current);
  EXPECT_EQ(m.rows[0].chip, "R roll");
  EXPECT_EQ(m.rows[3].chip, "L stretch");
  EXPECT_NE(m.keys.find("space released"), std::string::npos);
  EXPECT_TRUE(m.cue.empty());
}

TEST(ProtocolPanel, AStepPastAnHourShowsHoursMinutesAndSeconds) {
  core::ProtocolGuide g;
  g.update(0.0, {}, nullptr);
  g.update(8370.0, {}, nullptr);  // 2 h 19 min 30 s on the first side
  const ProtocolPanelModel m = computeProtocolPanel(g.view(), g.params());
  EXPECT_EQ(m.step_timer, "2:19:30");  // not "139:30"
  EXPECT_EQ(m.total, "total 2:19:30");
}

TEST(ProtocolPanel, SaysSpaceTimesTheStretchHoldAndColoursItByThe10To30Window) {
  core::ProtocolGuide g;
  g.update(0.0, {}, nullptr);
  g.next(100.0);
  g.next(200.0);
  ProtocolPanelModel m = computeProtocolPanel(g.view(), g.params());
  EXPECT_EQ(m.current, "3/4  RIGHT HIP-FLEXOR STRETCH");
  EXPECT_NE(m.keys.find("SPACE starts a stretch hold"), std::string::npos);
  EXPECT_EQ(m.rows[0].chip, "\u2713 R roll");
  EXPECT_TRUE(m.rows[0].done);
  EXPECT_TRUE(m.stretch_hold.empty());
  g.toggleStretchHold(205.0);
  g.update(210.0, {}, nullptr);
  m = computeProtocolPanel(g.view(), g.params());
  EXPECT_NE(m.keys.find("SPACE stops"), std::string::npos);
  EXPECT_EQ(m.step_timer, "0:05");  // the big timer is the stretch hold's
  EXPECT_EQ(m.stretch_hold, "this hold (10\u201330 s) \u00b7 step 0:10");
  EXPECT_EQ(m.stretch_colour, kBeforeWindowField);
  g.update(220.0, {}, nullptr);
  EXPECT_EQ(computeProtocolPanel(g.view(), g.params()).stretch_colour, kProtocolCue);
  g.update(236.0, {}, nullptr);
  EXPECT_EQ(computeProtocolPanel(g.view(), g.params()).stretch_colour, kError);
  g.update(265.0, {}, nullptr);  // 60 s of stretch
  m = computeProtocolPanel(g.view(), g.params());
  EXPECT_EQ(m.totals, "stretch 1:00 of 1:00");
  EXPECT_NE(m.cue.find("other side"), std::string::npos);
}

TEST(ProtocolPanel, TheHighlightColourIsDistinctFromTheHoldFieldsAndThePanels) {
  // The screenshot test finds the protocol panel by this exact colour.
  for (Rgb other : {kBeforeWindowField, kInWindowField, kPastWindowField, kNoHoldField, kBackground,
                    kPanel, kGrid, kPlate, kCellFill, kBall, kReleasedBand})
    EXPECT_FALSE(kProtocolCurrent == other);
}

TEST(HoldPanel, ShowsForceInPercentBodyWeightWhenChosen) {
  const engine::LiveSnapshot snap = snapshotWithHold(40);
  ForceFormat bw{ForceUnit::kBodyWeight, 80.0};  // 80 kg: 784.5 N
  EXPECT_EQ(computeHoldPanel(snap, true, "", bw).force_text,
            "40 % BW now \u00b7 hold 39 % BW");  // 310.4 N, 305 N
  EXPECT_EQ(computeHoldPanel(snap).force_text, "310 N now \u00b7 hold 305 N");
  EXPECT_NEAR(bw.value(784.532), 100.0, 1e-3);
}

namespace {
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (m_old)
      setenv(m_name, m_old->c_str(), 1);
    else
      unsetenv(m_name);
  }
  const char* m_name;
  std::optional<std::string> m_old;
};

fs::path freshDir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("rollrig-gui-settings-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(Settings, FindTheirDirectoryAsCalibrationsDo) {
  ScopedEnv own("ROLLRIG_CONFIG_DIR", "/tmp/own");
  ScopedEnv xdg("XDG_CONFIG_HOME", "/tmp/xdg");
  ScopedEnv home("HOME", "/tmp/home");
  EXPECT_EQ(defaultSettingsPath(), "/tmp/own/gui.json");
  {
    ScopedEnv no_own("ROLLRIG_CONFIG_DIR", nullptr);
    EXPECT_EQ(defaultSettingsPath(), "/tmp/xdg/rollrig/gui.json");
    ScopedEnv no_xdg("XDG_CONFIG_HOME", nullptr);
    EXPECT_EQ(defaultSettingsPath(), "/tmp/home/.config/rollrig/gui.json");
  }
}

TEST(Settings, AreSavedAndLoadedBack) {
  const fs::path f = freshDir("roundtrip") / "sub" / "gui.json";
  GuiSettings s;
  s.body_mass_kg = 82;
  s.force_unit = ForceUnit::kBodyWeight;
  s.window_w_px = 1400;
  s.window_h_px = 900;
  s.plot_cells = true;
  ASSERT_EQ(saveSettings(f.string(), s), "");
  const SettingsLoad l = loadSettings(f.string());
  EXPECT_TRUE(l.found);
  EXPECT_EQ(l.error, "");
  EXPECT_TRUE(l.settings == s);
  EXPECT_FALSE(fs::exists(f.string() + ".tmp"));
}

TEST(Settings, AMissingFileMeansTheDefaultsWithoutAMessage) {
  const SettingsLoad l = loadSettings((freshDir("missing") / "gui.json").string());
  EXPECT_FALSE(l.found);
  EXPECT_EQ(l.error, "");
  EXPECT_TRUE(l.settings == GuiSettings{});
}

TEST(Settings, AMalformedFileIsReportedWithTheDefaultsAndLeftAsItWas) {
  const fs::path f = freshDir("malformed") / "gui.json";
  for (const std::string& bad :
       {std::string("{\"body_mass_kg\": 80,"), std::string("{\"body_mass_kg\": \"eighty\"}"),
        std::string("{\"body_mass_kg\": 5}"), std::string("{\"force_unit\": \"kPa\"}"),
        std::string("{\"window_w_px\": 10.5}"), std::string("[1, 2]")}) {
    {
      std::ofstream out(f);
      out << bad;
    }
    const SettingsLoad l = loadSettings(f.string());
    EXPECT_TRUE(l.found) << bad;
    EXPECT_NE(l.error.find("not valid"), std::string::npos) << bad;
    EXPECT_NE(l.error.find(f.string()), std::string::npos) << bad;
    EXPECT_TRUE(l.settings == GuiSettings{}) << bad;
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), bad);  // loading never rewrites it
  }
}

TEST_F(PanelTest, TabAndNAreReadOncePerPressForTheProtocolGuide) {
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(800, 600);
  io.DeltaTime = 1.0f / 60;
  const auto frame = [&](std::initializer_list<int> keys) {
    for (bool& down : io.KeysDown) down = false;
    for (int k : keys) io.KeysDown[k] = true;
    ImGui::NewFrame();
    const GuideKeys g = readGuideKeys();
    ImGui::EndFrame();
    return g;
  };
  GuideKeys g = frame({});
  EXPECT_FALSE(g.next_step || g.note);
  g = frame({GLFW_KEY_TAB});
  EXPECT_TRUE(g.next_step);
  EXPECT_FALSE(g.note);
  EXPECT_FALSE(frame({GLFW_KEY_TAB}).next_step);  // held: not pressed again
  g = frame({GLFW_KEY_N});
  EXPECT_TRUE(g.note);
  EXPECT_FALSE(g.next_step);
}

// [SECTION] The force axis: autoscale, or the user's (Shift + wheel), A or "auto" to go back

TEST_F(PanelTest, ShiftWheelScalesTheForceAxisManuallyUntilAOrTheAutoTarget) {
  SampleStore store;
  for (int i = 0; i <= 80 * 60; ++i) store.append(sample(i / 80.0, i == 80 * 50 ? 900 : 300));
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(1000, 400);
  io.DeltaTime = 1.0f / 60;
  const Rect panel{0, 0, 1000, 400};
  PlotView v;
  const ForcePlotModel autoscaled =
      computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, v);
  EXPECT_FALSE(autoscaled.force_manual);
  EXPECT_TRUE(autoscaled.axis_text.empty());
  EXPECT_GE(autoscaled.f_hi_n, 900);  // autoscale: the spike's peak plus headroom
  // Shift + a wheel notch up over the plot: the force axis's top comes 20 % closer, manual.
  io.MousePos = ImVec2((autoscaled.area.x0 + autoscaled.area.x1) * 0.5f,
                       (autoscaled.area.y0 + autoscaled.area.y1) * 0.5f);
  io.MouseWheel = 1;
  io.KeyShift = true;
  ImGui::NewFrame();
  EXPECT_TRUE(handlePlotMouse(v, autoscaled, store.lastTime_s()));
  ImGui::EndFrame();
  io.MouseWheel = 0;
  io.KeyShift = false;
  EXPECT_TRUE(v.force_manual);
  EXPECT_NEAR(v.force_hi_n, autoscaled.f_hi_n * 0.8, 1e-9);
  EXPECT_EQ(v.span_s, kPlotWindow_s);  // the time axis did not zoom
  EXPECT_EQ(v.mode, PlotView::Mode::kFollowLive);
  // The user's top holds whatever the data does, and the title row says so with an "auto" target.
  scaleForceAxis(v, 400, 1.0);
  ForcePlotModel manual = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, v);
  EXPECT_DOUBLE_EQ(manual.f_hi_n, 400);
  EXPECT_TRUE(manual.force_manual);
  EXPECT_EQ(manual.axis_text, "force axis: manual");
  EXPECT_GT(manual.auto_button.width(), 0);
  EXPECT_LE(manual.auto_button.x1, panel.x1);
  EXPECT_LT(manual.auto_button.y1, manual.area.y0);  // in the title row, above the data
  EXPECT_LE(manual.title_at.x + textSize(m_fonts.normal, manual.title_px, manual.title).x,
            manual.axis_at.x);  // the title leaves room for it
  // F follows live again but keeps the user's force axis.
  followLive(v);
  EXPECT_TRUE(computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, v).force_manual);
  // A click on "auto" autoscales again.
  io.MousePos = ImVec2((manual.auto_button.x0 + manual.auto_button.x1) * 0.5f,
                       (manual.auto_button.y0 + manual.auto_button.y1) * 0.5f);
  io.MouseDown[0] = true;
  ImGui::NewFrame();
  EXPECT_TRUE(handlePlotMouse(v, manual, store.lastTime_s()));
  ImGui::EndFrame();
  io.MouseDown[0] = false;
  ImGui::NewFrame();
  ImGui::EndFrame();
  EXPECT_FALSE(v.force_manual);
  EXPECT_EQ(computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts, v).f_hi_n,
            autoscaled.f_hi_n);
  // And the key A does the same (read by GLFW key code, once per press).
  scaleForceAxis(v, 400, 0.5);
  for (bool& down : io.KeysDown) down = false;
  io.KeysDown[GLFW_KEY_A] = true;
  ImGui::NewFrame();
  const ViewKeys k = readViewKeys();
  ImGui::EndFrame();
  io.KeysDown[GLFW_KEY_A] = false;
  EXPECT_TRUE(k.auto_force_axis);
  EXPECT_FALSE(k.follow_live || k.toggle_pause);
  if (k.auto_force_axis) autoForceAxis(v);
  EXPECT_FALSE(v.force_manual);
}

// [SECTION] Per-cell traces (the plot_cells setting, key C)

TEST_F(PanelTest, ThePerCellTracesAreDecimatedLikeTheTotalAndKeepAOneSampleSpike) {
  SampleStore store;
  for (int i = 0; i <= 80 * 30; ++i) {
    engine::ProcessedSample s = sample(i / 80.0, 400);
    for (int c = 0; c < core::kCellCount; ++c) s.force.force_n[c] = 70 + 20 * c;
    if (i == 1201) s.force.force_n[2] = 380;  // one sample, one cell
    store.append(s);
  }
  const Rect panel{0, 0, 300, 300};  // far fewer columns than samples
  const ForcePlotModel off = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts);
  EXPECT_FALSE(off.cells);
  EXPECT_TRUE(off.legend.empty());
  for (const auto& t : off.cell_traces) EXPECT_TRUE(t.empty());
  const ForcePlotModel m = computeForcePlot(store, engine::LiveSnapshot{}, panel, m_fonts,
                                            PlotView{}, ForceFormat{}, true);
  EXPECT_TRUE(m.cells);
  const size_t cols = static_cast<size_t>(m.area.width());
  const auto yOf = [&](double f_n) {
    return m.area.y1 -
           static_cast<float>((f_n - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * m.area.height();
  };
  for (int c = 0; c < core::kCellCount; ++c) {
    const auto& t = m.cell_traces[c];
    ASSERT_GT(t.size(), cols / 2) << "cell " << c;
    EXPECT_LE(t.size(), 2 * cols) << "cell " << c;
    float top = 1e9f;
    for (const ImVec2& p : t) top = std::min(top, p.y);
    // Cell 2's one-sample spike survived decimation; the others stay at their level.
    EXPECT_NEAR(top, yOf(c == 2 ? 380 : 70 + 20 * c), 0.5f) << "cell " << c;
  }
  // The legend names the cells as the plate view does, in the cells' own colours, in the title row.
  ASSERT_EQ(m.legend.size(), static_cast<size_t>(core::kCellCount));
  const PlateViewModel plate =
      computePlateView(store, engine::LiveSnapshot{}, Rect{0, 0, 400, 400}, m_fonts);
  for (int c = 0; c < core::kCellCount; ++c) {
    EXPECT_EQ(m.legend[c].name, kCellNames[c]);
    EXPECT_EQ(plate.cells[c].name, kCellNames[c]);
    EXPECT_TRUE(m.legend[c].colour == kCellTrace[c]);
    EXPECT_LT(m.legend[c].at.y, m.area.y0);
    EXPECT_FALSE(kCellTrace[c] == kForceTrace);
    for (int d = 0; d < c; ++d) EXPECT_FALSE(kCellTrace[c] == kCellTrace[d]);
  }
}

TEST_F(PanelTest, CTogglesThePerCellTracesAndTheSettingIsPersisted) {
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(800, 600);
  io.DeltaTime = 1.0f / 60;
  const auto frame = [&](std::initializer_list<int> keys) {
    for (bool& down : io.KeysDown) down = false;
    for (int k : keys) io.KeysDown[k] = true;
    ImGui::NewFrame();
    const ViewKeys v = readViewKeys();
    ImGui::EndFrame();
    return v;
  };
  EXPECT_FALSE(frame({}).toggle_cells);
  const ViewKeys v = frame({GLFW_KEY_C});
  EXPECT_TRUE(v.toggle_cells);
  EXPECT_FALSE(v.follow_live || v.toggle_pause || v.auto_force_axis);
  EXPECT_FALSE(frame({GLFW_KEY_C}).toggle_cells);  // held: once per press
  // The setting's file: absent means off; true survives a save; a non-boolean is reported.
  EXPECT_FALSE(GuiSettings{}.plot_cells);
  const fs::path f = freshDir("cells") / "gui.json";
  std::ofstream(f) << R"({"plot_cells": true})";
  EXPECT_TRUE(loadSettings(f.string()).settings.plot_cells);
  std::ofstream(f) << R"({"plot_cells": "yes"})";
  const SettingsLoad bad = loadSettings(f.string());
  EXPECT_FALSE(bad.settings.plot_cells);
  EXPECT_NE(bad.error.find("plot_cells"), std::string::npos) << bad.error;
}

// [SECTION] The firmware twin in the source picker

namespace {
// A directory laid out as a build tree: bin/ (with `twin_script` as bin/rollrig-twin when given)
// and firmware/rollrig.elf when `with_elf`.
fs::path fakeBuildTree(const std::string& name, const std::string& twin_script, bool with_elf) {
  const fs::path d =
      fs::temp_directory_path() / ("rollrig-gui-twin-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d / "bin");
  if (!twin_script.empty()) {
    std::ofstream(d / "bin" / "rollrig-twin") << twin_script;
    fs::permissions(d / "bin" / "rollrig-twin", fs::perms::owner_all);
  }
  if (with_elf) {
    fs::create_directories(d / "firmware");
    std::ofstream(d / "firmware" / "rollrig.elf") << "ELF";
  }
  return d;
}

// updateTwin() once a "frame" until it asks to connect or the twin is gone; waits on the child,
// with a generous overall limit (no wall-clock assumption about how fast it starts).
ConnectionBarAction waitForTwin(ConnectionBarState& st) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    const ConnectionBarAction a = updateTwin(st, false);
    if (a.kind != ConnectionBarAction::Kind::kNone || !st.twin) return a;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

bool processGone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}
}  // namespace

TEST(TwinEntry, SaysWhatIsMissingAsStateInsteadOfStarting) {
  ConnectionBarState st;
  st.exe_dir = (fakeBuildTree("none", "", false) / "bin").string();
  startTwin(st);
  EXPECT_FALSE(st.twin);
  EXPECT_TRUE(st.twin_failed);
  EXPECT_NE(st.twin_status.find("no rollrig-twin"), std::string::npos) << st.twin_status;
  EXPECT_NE(st.twin_status.find("cmake --build build -t rollrig-twin"), std::string::npos);
  st.exe_dir = (fakeBuildTree("noelf", "#!/bin/sh\nexit 0\n", false) / "bin").string();
  startTwin(st);
  EXPECT_FALSE(st.twin);
  EXPECT_NE(st.twin_status.find("no firmware ELF"), std::string::npos) << st.twin_status;
  EXPECT_NE(st.twin_status.find("firmware/rollrig.elf"), std::string::npos) << st.twin_status;
}

TEST(TwinEntry, ConnectsToThePtyTheTwinAnnouncesAndStopsTheTwinWithTheSession) {
  // A stand-in rollrig-twin: checks its arguments as scripts/demo passes them, announces a pty on
  // its first line and runs until stopped.
  const fs::path tree =
      fakeBuildTree("ok",
                    "#!/bin/sh\n"
                    "[ \"$1\" = --firmware ] && [ -f \"$2\" ] && [ \"$3\" = --seed ]"
                    " && [ \"$4\" = 7 ] || { echo bad args: \"$@\" >&2; exit 2; }\n"
                    "echo /dev/pts/fake-$$\n"
                    "exec sleep 600\n",
                    true);
  ConnectionBarState st;
  st.exe_dir = (tree / "bin").string();
  st.seed = 7;
  startTwin(st);
  ASSERT_TRUE(st.twin) << st.twin_status;
  EXPECT_TRUE(twinStarting(st));
  const pid_t pid = st.twin->pid();
  const ConnectionBarAction a = waitForTwin(st);
  ASSERT_EQ(a.kind, ConnectionBarAction::Kind::kConnect) << st.twin_status;
  EXPECT_EQ(a.source.kind, SourceChoice::Kind::kPort);
  EXPECT_EQ(a.source.port, "/dev/pts/fake-" + std::to_string(pid));
  EXPECT_FALSE(twinStarting(st));
  EXPECT_TRUE(st.twin_connected);
  // While its session runs the twin runs, and the connect is asked once.
  EXPECT_EQ(updateTwin(st, true).kind, ConnectionBarAction::Kind::kNone);
  EXPECT_FALSE(processGone(pid));
  // The session stopped: so did the twin (reaped, not left behind).
  updateTwin(st, false);
  EXPECT_FALSE(st.twin);
  EXPECT_TRUE(processGone(pid));
  EXPECT_FALSE(st.twin_failed);
  // And a twin that is still running when the picker's state goes (the app exits) is stopped too.
  startTwin(st);
  ASSERT_TRUE(st.twin);
  ASSERT_EQ(waitForTwin(st).kind, ConnectionBarAction::Kind::kConnect);
  const pid_t pid2 = st.twin->pid();
  { ConnectionBarState gone = std::move(st); }
  EXPECT_TRUE(processGone(pid2));
}

TEST(TwinEntry, ATwinThatFailsToStartIsShownWithWhatItSaid) {
  const fs::path tree = fakeBuildTree(
      "fails", "#!/bin/sh\necho 'rollrig-twin: cannot load the firmware ELF' >&2\nexit 1\n", true);
  ConnectionBarState st;
  st.exe_dir = (tree / "bin").string();
  startTwin(st);
  ASSERT_TRUE(st.twin);
  EXPECT_EQ(waitForTwin(st).kind, ConnectionBarAction::Kind::kNone);
  EXPECT_FALSE(st.twin);
  EXPECT_TRUE(st.twin_failed);
  EXPECT_NE(st.twin_status.find("exited with code 1"), std::string::npos) << st.twin_status;
  EXPECT_NE(st.twin_status.find("cannot load the firmware ELF"), std::string::npos)
      << st.twin_status;
}

// The real rollrig-twin (the firmware in simavr) from the build tree, through the picker's entry
// and the session engine like --port: samples arrive. Skipped when the twin or the firmware was
// not built (simavr or gcc-avr missing).
TEST(TwinEntry, TheRealTwinStreamsIntoTheSessionThroughItsPty) {
  const char* bin = std::getenv("ROLLRIG_BIN");
  ConnectionBarState st;
  st.exe_dir = bin ? bin : "build/bin";
  const TwinPaths paths = findTwin(st.exe_dir);
  if (!paths.missing.empty()) GTEST_SKIP() << paths.missing;
  startTwin(st);
  ASSERT_TRUE(st.twin) << st.twin_status;
  const ConnectionBarAction a = waitForTwin(st);
  ASSERT_EQ(a.kind, ConnectionBarAction::Kind::kConnect) << st.twin_status;
  const fs::path dir =
      fs::temp_directory_path() / ("rollrig-gui-twin-db-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    SessionController ctl((dir / "sessions.db").string(), [] {});
    ASSERT_TRUE(ctl.start(a.source)) << ctl.errorText();
    // Waits on device time (two seconds of samples), with a generous overall limit.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (ctl.samples().lastTime_s() < 2.0 && std::chrono::steady_clock::now() < give_up) {
      ctl.update();
      EXPECT_EQ(updateTwin(st, ctl.running()).kind, ConnectionBarAction::Kind::kNone);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(ctl.samples().lastTime_s(), 2.0) << ctl.snapshot().last_error;
    ASSERT_TRUE(ctl.snapshot().info.has_value());
    const pid_t pid = st.twin->pid();
    ctl.stop();
    updateTwin(st, ctl.running());
    EXPECT_FALSE(st.twin);
    EXPECT_TRUE(processGone(pid));
  }
  fs::remove_all(dir);
}

// [SECTION] Layout at small and large sizes, and at content scale 2: every text inside its panel

namespace {

using rollrig::testing::kDejaVu;
using rollrig::testing::ScaledUi;

bool inside(const Rect& box, const Rect& panel) {
  constexpr float kSlack = 1.0f;  // rounding
  return box.x0 >= panel.x0 - kSlack && box.y0 >= panel.y0 - kSlack &&
         box.x1 <= panel.x1 + kSlack && box.y1 <= panel.y1 + kSlack;
}
bool overlap(const Rect& a, const Rect& b) {
  return a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1;
}
std::string str(const Rect& r) {
  std::ostringstream o;
  o << "[" << r.x0 << "," << r.y0 << " - " << r.x1 << "," << r.y1 << "]";
  return o.str();
}

// Draws one panel with the text log on; returns what it drew.
template <typename Draw>
std::vector<DrawnText> logged(Draw draw) {
  std::vector<DrawnText> log;
  g_drawn_text = &log;
  draw();
  g_drawn_text = nullptr;
  return log;
}

void expectInside(const std::vector<DrawnText>& texts, const Rect& panel, const std::string& what) {
  EXPECT_FALSE(texts.empty()) << what;
  for (const DrawnText& t : texts)
    EXPECT_TRUE(inside(t.box, panel))
        << what << ": \"" << t.s << "\" " << str(t.box) << " leaves its panel " << str(panel);
}
void expectApart(const std::vector<DrawnText>& texts, const std::string& what) {
  for (size_t i = 0; i < texts.size(); ++i)
    for (size_t j = i + 1; j < texts.size(); ++j)
      EXPECT_FALSE(overlap(texts[i].box, texts[j].box))
          << what << ": \"" << texts[i].s << "\" " << str(texts[i].box) << " and \"" << texts[j].s
          << "\" " << str(texts[j].box) << " overlap";
}
// How far the ImGui widgets of a panel's window reached (their rightmost and lowest edges).
ImVec2 widgetsReach(const char* window) {
  const ImGuiWindow* w = ImGui::FindWindowByName(window);
  return w ? w->DC.CursorMaxPos : ImVec2(0, 0);
}

}  // namespace

TEST(LayoutAtEverySize, EveryTextLiesInsideItsPanelAndTheLabelsKeepApart) {
  if (!fs::exists(kDejaVu)) GTEST_SKIP() << kDejaVu << " is missing (fonts-dejavu-core)";
  // A session mid-hold: every panel full, the plot with per-cell traces, a manual axis and a note.
  SampleStore store;
  for (int i = 0; i <= 80 * 60; ++i) {
    engine::ProcessedSample sm = sample(i / 80.0, 612, 40, -20);
    for (int c = 0; c < core::kCellCount; ++c) sm.force.force_n[c] = 100 + 40 * c;
    store.append(sm);
  }
  engine::LiveSnapshot snap = snapshotWithHold(45);
  snap.source = "virtual rig (seed 1)";
  snap.info = proto::InfoFrame{};
  snap.info->device_serial = 0xD3E0;
  snap.info->rate_hz = 80;
  snap.rate_hz = 72.5;  // the long "(not 80 Hz)" item
  snap.stats.frames_lost = 12;
  snap.stats.crc_errors = 3;
  snap.elapsed_s = 3725;
  snap.last_force.total_n = 612;
  for (int c = 0; c < core::kCellCount; ++c) snap.last_force.force_n[c] = -100 + 250 * c;
  snap.last_force.has_cop = true;
  core::Hold done;
  done.start_s = 1, done.end_s = 40, done.release_s = 35, done.has_xy = true;
  snap.holds.push_back(done);
  core::ProtocolGuide guide;
  guide.update(55, snap.holds, &snap.open_hold->hold);
  GuiSettings settings;
  settings.force_unit = ForceUnit::kBodyWeight;
  PlotView view;
  scaleForceAxis(view, 800, 1.0);

  struct Size {
    float w, h;
  };
  for (float scale : {1.0f, 2.0f}) {
    ScaledUi ui(scale);
    const Fonts& f = ui.fonts;
    for (const Size sz : {Size{1000, 640}, Size{1260, 720}, Size{1920, 1080}}) {
      // The window is --size logical px times the content scale (GLFW_SCALE_TO_MONITOR).
      const std::string at = std::to_string(static_cast<int>(sz.w)) + "x" +
                             std::to_string(static_cast<int>(sz.h)) + " at scale " +
                             std::to_string(static_cast<int>(scale));
      SCOPED_TRACE(at);
      ImGuiIO& io = ImGui::GetIO();
      io.DisplaySize = ImVec2(sz.w * scale, sz.h * scale);
      io.DeltaTime = 1.0f / 60;
      const Layout lay = computeLayout(io.DisplaySize.x, io.DisplaySize.y, scale);
      for (bool picker : {false, true}) {
        ImGui::NewFrame();
        SolidFills fills;
        ConnectionBarState bar_state;
        bar_state.listed = true;  // no port listing in a test
        if (picker) {
          bar_state.twin_status =
              "no rollrig-twin next to rollrig-gui (/a/long/build/dir/bin/rollrig-twin): build it "
              "with cmake --build build -t rollrig-twin (needs simavr)";
          bar_state.twin_failed = true;
        }
        const ConnectionBarModel bar =
            computeConnectionBar(picker ? engine::LiveSnapshot{} : snap, !picker, !picker, "", "");
        const auto bar_texts =
            logged([&] { drawConnectionBar(bar, bar_state, lay.connection_bar, f, fills); });
        expectInside(bar_texts, lay.connection_bar, "connection bar");
        expectApart(bar_texts, "connection bar");
        EXPECT_LE(widgetsReach("##connection").x, lay.connection_bar.x1)
            << "the bar's widgets run past its right edge";
        if (!picker) {
          ConnectionBarModel placed = bar;
          layoutConnectionBar(placed, lay.connection_bar, f);
          int shown = 0;
          for (const BarItem& it : placed.items) shown += it.x >= 0;
          EXPECT_GE(shown, static_cast<int>(placed.items.size()) - 1)
              << "at most the device line goes";
          for (const DrawnText& t : bar_texts)
            EXPECT_FALSE(overlap(t.box, placed.stop_button)) << t.s << " under the Stop button";
        }
        if (!picker) {
          const HoldPanelModel hold = computeHoldPanel(snap, true, "", forceFormat(settings));
          expectInside(logged([&] { drawHoldPanel(hold, lay.hold, f, fills); }), lay.hold,
                       "hold panel");
          ForcePlotModel plot =
              computeForcePlot(store, snap, lay.plot, f, view, forceFormat(settings), true);
          plot.note = "marked pain 4 at 0:55";
          layoutPlotTitleRow(plot, lay.plot, f);
          const auto plot_texts = logged([&] { drawForcePlot(plot, lay.plot, f, fills); });
          expectInside(plot_texts, lay.plot, "force plot");
          expectApart(plot_texts, "force plot");
          EXPECT_TRUE(inside(plot.auto_button, lay.plot));
          const PlateViewModel plate = computePlateView(store, snap, lay.plate, f);
          const auto plate_texts = logged([&] { drawPlateView(plate, lay.plate, f, fills); });
          expectInside(plate_texts, lay.plate, "plate view");
          expectApart(plate_texts, "plate view");
          for (const PlateViewModel::Cell& c : plate.cells)
            EXPECT_GE(c.label_px, 0.9f * f.normal_px) << c.label << ": readable from the floor";
          ProtocolPanelState pst;
          const ProtocolPanelModel protocol = computeProtocolPanel(guide.view(), guide.params());
          expectInside(
              logged([&] { drawProtocolPanel(protocol, pst, settings, lay.protocol, f, fills); }),
              lay.protocol, "protocol panel");
          const ImVec2 reach = widgetsReach("##protocol");
          EXPECT_LE(reach.x, lay.protocol.x1) << "the settings row runs past the panel";
          EXPECT_LE(reach.y, lay.protocol.y1);
        }
        ImGui::EndFrame();
      }
    }
  }
}

// The Calibrate view (calibrate_view.h) and its controller (calibration_controller.h): the model of
// each step from hand-built snapshots, without a window; and the controller run end to end on the
// virtual rig and on a rig behind a pty (the real port path), on device time only. The loops below
// wait for the procedure's state with a generous overall limit (a hang detector, not a speed test).
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>  // the left panel's window: how far its widgets reach

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>

#include "../cli/pty_rig.h"
#include "calibrate_view.h"
#include "calibration_controller.h"
#include "plate_view.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/sim/body_model.h"
#include "scaled_ui.h"
#include "test_files.h"

using namespace rollrig;
using namespace rollrig::gui;
namespace fs = std::filesystem;
using engine::CalibrationStep;
using engine::CalibrationWait;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Some text of the model's left panel contains `part`.
bool shows(const CalibrateViewModel& m, const std::string& part) {
  for (const CalibrateText& t : m.texts)
    if (contains(t.s, part)) return true;
  return false;
}

class CalibrateView : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    ImFont* font = io.Fonts->AddFontDefault();
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsAlpha8(&px, &w, &h);
    m_fonts.normal = m_fonts.large = m_fonts.huge = font;
  }
  void TearDown() override { ImGui::DestroyContext(); }

  CalibrateViewModel compute(const CalibrationSnapshot& s) {
    return computeCalibrateView(s, Rect{0, 44, 1260, 720}, m_fonts);
  }
  Fonts m_fonts;
};

// A connected device in the middle of a run with the reference plan (10 kg at the five marks).
CalibrationSnapshot running(CalibrationStep step, CalibrationWait wait, bool hands_free = true) {
  CalibrationSnapshot s;
  s.link = CalibrationSnapshot::Link::kConnected;
  s.source = "/dev/ttyACM0";
  s.have_device = true;
  s.device_serial = 0xD3E0;
  s.rate_hz = 80;
  s.have_run = true;
  s.plan.mass_kg = 10;
  s.plan.positions = engine::defaultMassPositions(s.plan.geometry);
  s.plan.hands_free = hands_free;
  s.status.step = step;
  s.status.waiting_for = wait;
  s.status.placement_count = s.plan.positions.size();
  if (wait == CalibrationWait::kSteady) s.status.window_needed = 240;
  return s;
}

}  // namespace

TEST_F(CalibrateView, WithNothingConnectedItAsksForTheRigAndAFailedLinkIsShownAsState) {
  CalibrationSnapshot s;
  CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kNoDevice);
  EXPECT_TRUE(contains(m.headline, "Connect"));
  EXPECT_TRUE(m.problem.empty());

  s.link = CalibrationSnapshot::Link::kFailed;
  s.error = "/dev/ttyACM0 is busy: another program has it open";
  m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kNoDevice);
  EXPECT_EQ(m.headline, "NOT CONNECTED");
  EXPECT_EQ(m.problem, s.error);
  EXPECT_TRUE(shows(m, "is busy")) << "the reason is a line in the view";
  EXPECT_FALSE(m.show_ready || m.show_cancel || m.show_result);
}

TEST_F(CalibrateView, AConnectedDeviceOffersCalibrateAndReTareWithThePreviousCalibration) {
  CalibrationSnapshot s;
  s.link = CalibrationSnapshot::Link::kConnected;
  s.have_device = true;
  s.device_serial = 0xD3E0;
  s.rate_hz = 80;
  s.previous = "tare + span 20 kg at 5 placements (/dev/ttyACM0)";
  const CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kReady);
  EXPECT_TRUE(m.show_setup);
  EXPECT_TRUE(contains(m.headline, "0000D3E0"));
  EXPECT_TRUE(shows(m, "tare + span 20 kg"));
  EXPECT_EQ(m.device, "device 0000D3E0 \u00b7 80 Hz");
}

TEST_F(CalibrateView, TheTareSaysStepOffThePlateAndShowsTheWindowFillingLive) {
  CalibrationSnapshot s = running(CalibrationStep::kTare, CalibrationWait::kSteady);
  s.status.window_samples = 149;
  s.status.progress = 149.0 / 240.0;
  s.status.waited_s = 1.9;
  s.status.wait_limit_s = 30;
  CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kTare);
  EXPECT_EQ(m.headline, "Step off the plate");
  ASSERT_TRUE(m.show_indicator);
  EXPECT_NEAR(m.progress, 0.62, 0.01);
  EXPECT_TRUE(contains(m.indicator_text, "steady\u2026 62 %")) << m.indicator_text;
  EXPECT_TRUE(contains(m.indicator_text, "2 of 30 s")) << m.indicator_text;
  EXPECT_EQ(m.indicator_colour, kWarning);
  EXPECT_EQ(m.next_marker, -1) << "no mass during the tare";
  EXPECT_TRUE(m.show_cancel);
  EXPECT_FALSE(m.show_ready) << "hands-free: no click";
  ASSERT_FALSE(m.chips.empty());
  EXPECT_EQ(m.chips[0].label, "Tare");
  EXPECT_EQ(m.chips[0].state, CalibrateChip::State::kCurrent);
  // Interactive: it waits for the click that says the plate is clear.
  s = running(CalibrationStep::kTare, CalibrationWait::kUser, false);
  m = compute(s);
  EXPECT_TRUE(m.show_ready);
  EXPECT_EQ(m.ready_label, "The plate is clear: tare");
  EXPECT_EQ(m.indicator_text, "waiting for you");
}

TEST_F(CalibrateView, AnUnsteadyTareNamesTheCellThatLeansOnceItOutlastsSettling) {
  CalibrationSnapshot s = running(CalibrationStep::kTare, CalibrationWait::kSteady);
  s.status.progress = 1;
  s.status.unsteady.kind = core::CalibrationErrorKind::kUnsteady;
  s.status.unsteady.cell = 1;
  s.status.unsteady.message =
      "The tare window is not steady: cell 1 fluctuates by 2.10 N rms (limit 0.50 N) \u2014 "
      "someone is leaning on the plate or touching it; keep clear of the plate and hold still";
  s.status.unsteady_for_s = 1.0;  // still settling: not news yet
  CalibrateViewModel m = compute(s);
  EXPECT_TRUE(m.problem.empty());
  EXPECT_FALSE(m.cells[1].leaning);
  s.status.unsteady_for_s = engine::kQuietSettle_s + 0.5;
  m = compute(s);
  EXPECT_EQ(m.problem, s.status.unsteady.message);
  EXPECT_EQ(m.indicator_colour, kError);
  EXPECT_TRUE(m.cells[1].leaning);
  EXPECT_FALSE(m.cells[0].leaning || m.cells[2].leaning || m.cells[3].leaning);
  EXPECT_TRUE(shows(m, "FR (front right)"));
  EXPECT_TRUE(shows(m, "someone is leaning"));
}

TEST_F(CalibrateView, ALoadedTareSaysToTickPlateChangedInsteadOfTheCommandLineOption) {
  CalibrationSnapshot s = running(CalibrationStep::kTare, CalibrationWait::kUser, false);
  engine::CalibrationRefusal r;
  r.step = CalibrationStep::kTare;
  r.reason.kind = core::CalibrationErrorKind::kLoaded;
  r.message = std::string("tare refused: the plate carries 14.2 N more than at the last tare") +
              engine::kIgnoreLastTareHint;
  s.last_refusal = r;
  const CalibrateViewModel m = compute(s);
  EXPECT_TRUE(contains(m.problem, "14.2 N more than at the last tare")) << m.problem;
  EXPECT_TRUE(contains(m.problem, "tick \u201cplate changed\u201d")) << m.problem;
  EXPECT_FALSE(contains(m.problem, "--ignore-last-tare")) << m.problem;
}

TEST_F(CalibrateView, APlacementMarksThePositionOnTheDrawingToScaleWithTheMassAndTheLoad) {
  CalibrationSnapshot s = running(CalibrationStep::kPlacement, CalibrationWait::kSteady);
  s.tare_accepted = true;
  s.status.placement = 1;
  s.status.position = s.plan.positions[1];  // (-200, +120)
  s.status.progress = 0.25;
  core::SpanPlacement first;  // the centre, captured
  first.x_mm = s.plan.positions[0].x_mm;
  first.y_mm = s.plan.positions[0].y_mm;
  s.placements.push_back(first);
  s.have_cell_load = true;
  s.cell_load_n = {50.0, 16.0, 20.0, 12.0};
  const CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kPlacement);
  EXPECT_EQ(m.headline, "Place the 10 kg at (-200, +120) mm");
  EXPECT_TRUE(shows(m, "load now 98.0 N"));
  EXPECT_TRUE(shows(m, "the mass weighs 98.1 N"));
  // The plate is to scale (600 x 400 mm) and the marks sit where the positions are.
  EXPECT_NEAR(m.plate.width() / m.plate.height(), 1.5, 0.01);
  EXPECT_NEAR(m.plate.width(), 600 * m.px_per_mm, 0.5);
  EXPECT_GE(m.plate.x0, m.right.x0);
  EXPECT_LE(m.plate.x1, m.right.x1);
  ASSERT_EQ(m.markers.size(), 5u);
  ASSERT_EQ(m.next_marker, 1);
  const ImVec2 at = platePoint(m.plate, m.px_per_mm, -200, 120);
  EXPECT_NEAR(m.markers[1].at.x, at.x, 0.01);
  EXPECT_NEAR(m.markers[1].at.y, at.y, 0.01);
  EXPECT_LT(m.markers[1].at.x, (m.plate.x0 + m.plate.x1) / 2) << "the user's left";
  EXPECT_LT(m.markers[1].at.y, (m.plate.y0 + m.plate.y1) / 2) << "toward the head";
  EXPECT_EQ(m.markers[1].colour, kCalNextMarker);
  EXPECT_EQ(m.markers[0].state, CalibrateMarker::State::kDone);
  EXPECT_EQ(m.markers[2].state, CalibrateMarker::State::kPending);
  EXPECT_EQ(m.chips[1].state, CalibrateChip::State::kDone);
  EXPECT_EQ(m.chips[2].state, CalibrateChip::State::kCurrent);
  // The load stands where the cells put it: 98 N mostly on the front-left cell.
  ASSERT_TRUE(m.has_load_dot);
  EXPECT_LT(m.load_dot.x, (m.plate.x0 + m.plate.x1) / 2);
  EXPECT_EQ(m.cells[0].label, "50.0 N");
  EXPECT_TRUE(m.show_skip);
}

TEST_F(CalibrateView, AfterACaptureItSaysCapturedAndWhatToDoNext) {
  CalibrationSnapshot s = running(CalibrationStep::kPlacement, CalibrationWait::kMassOff);
  s.tare_accepted = true;
  s.status.placement = 2;
  s.status.position = s.plan.positions[2];
  for (int k = 0; k < 2; ++k) {
    core::SpanPlacement p;
    p.x_mm = s.plan.positions[k].x_mm;
    p.y_mm = s.plan.positions[k].y_mm;
    s.placements.push_back(p);
  }
  const CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.headline, "Lift the mass off");
  EXPECT_TRUE(contains(m.indicator_text, "placement 2 captured \u2713")) << m.indicator_text;
  EXPECT_EQ(m.indicator_colour, kOk);
  EXPECT_EQ(m.next_marker, 2) << "the next position is already marked";
}

TEST_F(CalibrateView, ARefusedWindowSaysWhatWasRefusedAndWhyAndAsksAgain) {
  CalibrationSnapshot s = running(CalibrationStep::kPlacement, CalibrationWait::kUser, false);
  s.tare_accepted = true;
  s.status.placement = 1;
  s.status.position = s.plan.positions[1];
  engine::CalibrationRefusal r;
  r.step = CalibrationStep::kPlacement;
  r.placement = 1;
  r.reason.kind = core::CalibrationErrorKind::kBadInput;
  r.message = "placement 2 refused: Placement 2 lost the mass: one sample carried 12.0 N";
  s.last_refusal = r;
  CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.problem, r.message);
  EXPECT_TRUE(shows(m, "placement 2 refused"));
  EXPECT_TRUE(m.show_ready);
  EXPECT_EQ(m.ready_label, "The mass is in place");
  // A refusal of an earlier step is not this step's news.
  s.status.placement = 2;
  s.status.position = s.plan.positions[2];
  m = compute(s);
  EXPECT_TRUE(m.problem.empty());
}

TEST_F(CalibrateView, AMassLiftedTooLateRefusesTheRunLargeInRedWithTheReason) {
  CalibrationSnapshot s = running(CalibrationStep::kRefused, CalibrationWait::kNothing);
  s.tare_accepted = true;
  engine::CalibrationRefusal r;
  r.step = CalibrationStep::kPlacement;
  r.placement = 2;
  r.reason.kind = core::CalibrationErrorKind::kBadInput;
  r.message = "the mass was not lifted off within 120 s (before placement 3)";
  s.last_refusal = r;
  const CalibrateViewModel m = compute(s);
  EXPECT_EQ(m.stage, CalibrateStage::kResult);
  ASSERT_TRUE(m.show_result);
  EXPECT_FALSE(m.accepted);
  EXPECT_EQ(m.verdict, "REFUSED");
  EXPECT_EQ(m.result_colour, kCalRefusedField);
  EXPECT_EQ(m.problem, r.message);
  EXPECT_TRUE(shows(m, "not lifted off within 120 s"));
  EXPECT_FALSE(m.show_save);
  EXPECT_TRUE(m.show_again);
  // Large: the verdict's letters are at least the large font's size.
  EXPECT_GE(m.verdict_px, m_fonts.large_px);
  EXPECT_GE(m.result_field.height(), m_fonts.large_px * 1.3f);
}

TEST_F(CalibrateView, AnAcceptedRunShowsTheResidualsPerPlacementTheConditioningAndSave) {
  CalibrationSnapshot s = running(CalibrationStep::kAccepted, CalibrationWait::kNothing);
  s.tare_accepted = true;
  core::SpanResult span;
  span.solved = true;
  span.report.mass_kg = 10;
  for (int k = 0; k < 5; ++k) {
    core::PlacementResidual p;
    p.x_mm = s.plan.positions[k].x_mm;
    p.y_mm = s.plan.positions[k].y_mm;
    p.force_error_pct = k == 3 ? 1.6 : -0.12;
    p.cop_error_mm = 0.4 * k;
    span.report.placements.push_back(p);
  }
  span.report.condition_number = 1.51;
  span.report.max_condition = 20;
  span.report.rank = 4;
  span.report.spread_mm = 107;
  span.report.min_spread_mm = 34;
  s.span = span;
  CalibrateViewModel m = compute(s);
  ASSERT_TRUE(m.show_result);
  EXPECT_TRUE(m.accepted);
  EXPECT_EQ(m.verdict, "ACCEPTED");
  EXPECT_EQ(m.result_colour, kCalAcceptedField);
  ASSERT_EQ(m.residuals.size(), 5u);
  EXPECT_EQ(m.residuals[1].position, "(-200, +120) mm");
  EXPECT_EQ(m.residuals[0].force_error, "-0.12 %");
  EXPECT_EQ(m.residuals[2].cop_error, "0.8 mm");
  EXPECT_TRUE(m.residuals[3].bad) << "1.6 % is beyond 1 %";
  EXPECT_FALSE(m.residuals[0].bad);
  EXPECT_TRUE(contains(m.conditioning, "condition number 1.51 (limit 20)")) << m.conditioning;
  EXPECT_TRUE(contains(m.conditioning, "rank 4 of 4"));
  EXPECT_TRUE(shows(m, "(-200, +120) mm"));
  EXPECT_TRUE(m.show_save);
  EXPECT_EQ(m.save_label, "Accept and save for device 0000D3E0");
  EXPECT_TRUE(shows(m, "not saved yet"));
  for (const CalibrateText& t : m.texts) {
    EXPECT_GE(t.at.y, m.left.y0) << t.s;
    EXPECT_LE(t.at.y + t.px, m.controls_y) << t.s << ": over the buttons";
  }
  s.saved = true;
  s.saved_path = "/home/u/.config/rollrig/calibrations/device-0000D3E0.json";
  m = compute(s);
  EXPECT_FALSE(m.show_save);
  EXPECT_TRUE(shows(m, "saved to"));  // the lines wrap at spaces (and a long path after a '/')
  EXPECT_TRUE(shows(m, "device-0000D3E0.json"));
}

// [SECTION] The controller, end to end

namespace {

// A directory of this test's own for calibrations.
fs::path freshDir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("rollrig-calwiz-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Updates (and steps) the controller until `done` or the overall limit (a hang detector).
template <typename Done>
bool runUntil(CalibrationController& ctl, Done done, int limit_s = 120) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(limit_s);
  while (std::chrono::steady_clock::now() < give_up) {
    ctl.update();
    if (done()) return true;
    ctl.nextStep();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

bool runFinished(const CalibrationController& ctl) {
  return ctl.snapshot().link == CalibrationSnapshot::Link::kFailed ||
         (ctl.procedure() && ctl.procedure()->finished());
}

}  // namespace

TEST(CalibrationController, RunsTheVirtualRigToAcceptedOnRawCountsAndSavesWhereRecordLoadsIt) {
  const fs::path dir = freshDir("accept");
  CalibrationController ctl(dir.string());
  startCalibrateDemo(ctl, 5, true);  // the stepped --fast rig, as the window runs it
  ASSERT_TRUE(runUntil(ctl, [&] { return runFinished(ctl); }));
  const CalibrationSnapshot& s = ctl.snapshot();
  ASSERT_EQ(s.link, CalibrationSnapshot::Link::kConnected) << s.error;
  ASSERT_EQ(s.status.step, CalibrationStep::kAccepted)
      << (s.last_refusal ? s.last_refusal->message : "");
  EXPECT_EQ(s.device_serial, 0xD3E0u);
  EXPECT_TRUE(s.plan.hands_free) << "the virtual rig sets the mass down itself";
  EXPECT_EQ(s.placements.size(), 5u);
  ASSERT_TRUE(s.span && s.span->ok());
  EXPECT_LT(s.span->report.max_force_error_pct, 1.0);
  // The procedure was fed the device's raw counts: its tare is the rig's own offsets in counts
  // (a calibrated stream would have tared near 0).
  CalibrationRequest req;
  req.mass_kg = kDemoMass_kg;
  const sim::BodyModel model(calibrationRigConfig(5, req).body);
  for (int i = 0; i < core::kCellCount; ++i) {
    EXPECT_NEAR(ctl.procedure()->tare().offset_counts[i], model.sensors()[i].offset_counts, 60)
        << "cell " << i;
    EXPECT_GT(std::abs(model.sensors()[i].offset_counts), 1000) << "a test that can fail";
  }
  EXPECT_FALSE(fs::exists(dir / "device-0000D3E0.json")) << "nothing saved before accepting";

  ASSERT_TRUE(ctl.save()) << ctl.snapshot().save_error;
  const io::CalibrationStore store(dir.string());
  EXPECT_EQ(ctl.snapshot().saved_path, store.pathFor(0xD3E0));
  core::CalibrationRecord saved;
  io::IoError err;
  ASSERT_TRUE(store.load(0xD3E0, &saved, &err)) << err.message;
  const core::CalibrationRecord expect = ctl.procedure()->record("");
  for (int i = 0; i < core::kCellCount; ++i) {
    EXPECT_DOUBLE_EQ(saved.calibration.cells[i].n_per_count,
                     expect.calibration.cells[i].n_per_count);
    EXPECT_DOUBLE_EQ(saved.calibration.cells[i].offset_counts,
                     expect.calibration.cells[i].offset_counts);
  }
  ASSERT_TRUE(saved.span.has_value());

  // `rollrig record` (engine::LiveSession) on that device (here behind a pty, a real port path)
  // picks it up through its loader.
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 5;
  cfg.body.duration_s = 0;
  rollrig::testing::PtyRig rig(cfg);
  ASSERT_FALSE(rig.path().empty());
  engine::LiveSessionOptions so;
  so.open = engine::portOpener(rig.path(), 0);
  so.calibration_dir = dir.string();
  so.reconnect = false;
  engine::LiveSession session(std::move(so));
  session.start();
  engine::LiveSnapshot snap;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    snap = session.snapshot();
    if (snap.info || snap.finished) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  session.stop();
  session.wait();
  ASSERT_TRUE(snap.info.has_value()) << snap.last_error;
  EXPECT_EQ(snap.calibration_from, store.pathFor(0xD3E0));
  for (int i = 0; i < core::kCellCount; ++i)
    EXPECT_DOUBLE_EQ(snap.calibration.calibration.cells[i].n_per_count,
                     expect.calibration.cells[i].n_per_count);
  fs::remove_all(dir);
}

TEST(CalibrationController, ReTareIsOneRunThatSavesItselfAndKeepsTheGains) {
  const fs::path dir = freshDir("retare");
  // A previous calibration with gains 3 % off nominal.
  core::CalibrationRecord prev;
  prev.calibration.device_serial = 0xD3E0;
  prev.calibration.source = "an earlier span";
  for (int i = 0; i < core::kCellCount; ++i) {
    prev.calibration.cells[i].n_per_count = 1.03 / core::kNominalCountsPerNewton;
    prev.calibration.cells[i].offset_counts = 123;
  }
  io::IoError err;
  ASSERT_TRUE(io::CalibrationStore(dir.string()).save(prev, &err)) << err.message;

  CalibrationController ctl(dir.string());
  SourceChoice src;
  src.seed = 2;
  src.fast = true;
  ctl.connect(src);
  ASSERT_TRUE(runUntil(ctl, [&] { return ctl.connected() || runFinished(ctl); }));
  ASSERT_TRUE(ctl.connected()) << ctl.snapshot().error;
  EXPECT_EQ(ctl.snapshot().previous, "an earlier span");
  CalibrationRequest retare;
  retare.tare_only = true;
  ctl.calibrate(retare);  // the one click
  ASSERT_TRUE(runUntil(ctl, [&] { return runFinished(ctl); }));
  ASSERT_EQ(ctl.snapshot().status.step, CalibrationStep::kAccepted);
  EXPECT_TRUE(ctl.snapshot().saved) << ctl.snapshot().save_error;
  core::CalibrationRecord now;
  ASSERT_TRUE(io::CalibrationStore(dir.string()).load(0xD3E0, &now, &err)) << err.message;
  for (int i = 0; i < core::kCellCount; ++i) {
    EXPECT_DOUBLE_EQ(now.calibration.cells[i].n_per_count, 1.03 / core::kNominalCountsPerNewton);
    EXPECT_NEAR(now.calibration.cells[i].offset_counts, ctl.procedure()->tare().offset_counts[i],
                1e-9);
    EXPECT_GT(std::abs(now.calibration.cells[i].offset_counts - 123), 1000) << "re-tared";
  }
  fs::remove_all(dir);
}

TEST(CalibrationController, AMassLeftOnTooLongRefusesTheRunWithTheReason) {
  const fs::path dir = freshDir("late");
  CalibrationController ctl(dir.string());
  SourceChoice src;
  src.seed = 4;
  src.fast = true;
  ctl.connect(src);
  CalibrationRequest req;
  req.mass_kg = 10;
  // The mass stands on the first mark from 5 s on and is never lifted.
  req.virtual_script = std::vector<sim::ScriptedLoad>{{5.0, 400.0, 10.0, 0.0, 0.0}};
  ctl.calibrate(req);
  ASSERT_TRUE(runUntil(ctl, [&] { return runFinished(ctl); }));
  const CalibrationSnapshot& s = ctl.snapshot();
  ASSERT_EQ(s.status.step, CalibrationStep::kRefused);
  ASSERT_TRUE(s.last_refusal);
  EXPECT_TRUE(contains(s.last_refusal->message, "the mass was not lifted off within 120 s"))
      << s.last_refusal->message;
  EXPECT_EQ(s.placements.size(), 1u);
  EXPECT_FALSE(ctl.save()) << "a refused run is never saved";
  EXPECT_FALSE(fs::exists(dir / "device-0000D3E0.json"));
  fs::remove_all(dir);
}

// The real port path: the rig behind a pty, the mass on the demo's schedule, hands-free (a rig
// behind a pty runs as fast as it is read, so nothing here waits for a click).
TEST(CalibrationController, ARigOnAPortCalibratesHandsFreeAndABusyPortIsState) {
  const fs::path dir = freshDir("pty");
  CalibrationRequest req;
  req.mass_kg = 10;
  req.hands_free = true;
  rollrig::testing::PtyRig rig(calibrationRigConfig(6, req));
  ASSERT_FALSE(rig.path().empty());
  CalibrationController ctl(dir.string());
  SourceChoice src;
  src.kind = SourceChoice::Kind::kPort;
  src.port = rig.path();
  ctl.connect(src);
  ctl.calibrate(req);  // while connecting: the run starts once the device answered
  ASSERT_TRUE(runUntil(ctl, [&] { return runFinished(ctl); }));
  ASSERT_TRUE(ctl.connected()) << ctl.snapshot().error;
  EXPECT_EQ(ctl.snapshot().source, rig.path());
  EXPECT_EQ(ctl.snapshot().status.step, CalibrationStep::kAccepted)
      << (ctl.snapshot().last_refusal ? ctl.snapshot().last_refusal->message : "");
  EXPECT_EQ(ctl.procedure()->plan().source, rig.path());
  // A second program cannot take the port while the wizard holds it: a busy port is state.
  CalibrationController other(dir.string());
  other.connect(src);
  ASSERT_TRUE(runUntil(other, [&] { return other.connected() || runFinished(other); }));
  EXPECT_EQ(other.snapshot().link, CalibrationSnapshot::Link::kFailed);
  EXPECT_TRUE(contains(other.snapshot().error, "another program is using " + rig.path()))
      << other.snapshot().error;
  fs::remove_all(dir);
}

TEST(CalibrationController, NoDeviceIsStateWithTheReason) {
  CalibrationController ctl(freshDir("none").string());
  SourceChoice src;
  src.kind = SourceChoice::Kind::kPort;
  src.port = "/dev/rollrig-no-such-port";
  ctl.connect(src);
  ASSERT_TRUE(runUntil(ctl, [&] { return runFinished(ctl) || ctl.connected(); }));
  EXPECT_EQ(ctl.snapshot().link, CalibrationSnapshot::Link::kFailed);
  EXPECT_TRUE(contains(ctl.snapshot().error, "/dev/rollrig-no-such-port")) << ctl.snapshot().error;
  // Calibrating without a device does nothing.
  ctl.calibrate(CalibrationRequest{});
  EXPECT_EQ(ctl.procedure(), nullptr);
}

// [SECTION] Every size: with the app's font (DejaVu Sans) and style, at 1000 x 640 to 1920 x 1080
// and content scale 1 and 2, every text of every step lies inside its panel, the left panel's
// lines keep apart, and the widgets stay inside the left panel.

namespace {

using rollrig::testing::kDejaVu;
using rollrig::testing::ScaledUi;

bool inside(const Rect& box, const Rect& panel) {
  const float e = 1.0f;  // rounding
  return box.x0 >= panel.x0 - e && box.x1 <= panel.x1 + e && box.y0 >= panel.y0 - e &&
         box.y1 <= panel.y1 + e;
}
bool overlap(const Rect& a, const Rect& b) {
  return a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1;
}

// A run at each step, with the longest words each shows.
std::vector<CalibrationSnapshot> everyStep() {
  std::vector<CalibrationSnapshot> out;
  CalibrationSnapshot failed;
  failed.link = CalibrationSnapshot::Link::kFailed;
  failed.error =
      "another program is using /dev/ttyACM0 (a serial monitor, another rollrig?) "
      "\u2014 close it and try again";
  out.push_back(failed);
  CalibrationSnapshot ready = running(CalibrationStep::kTare, CalibrationWait::kUser, false);
  ready.have_run = false;
  ready.previous = "tare + span 20 kg at 5 placements (/dev/serial/by-id/usb-Arduino_Uno-if00)";
  out.push_back(ready);
  CalibrationSnapshot tare = running(CalibrationStep::kTare, CalibrationWait::kSteady);
  tare.status.progress = 1;
  tare.status.unsteady = {core::CalibrationErrorKind::kUnsteady,
                          "The tare window is not steady: cell 3 fluctuates by 2.10 N rms (limit "
                          "0.50 N) \u2014 someone is leaning on the plate or touching it; keep "
                          "clear of the plate and hold still",
                          3, -1};
  tare.status.unsteady_for_s = 5;
  tare.status.wait_limit_s = 30;
  tare.status.waited_s = 12;
  out.push_back(tare);
  CalibrationSnapshot place = running(CalibrationStep::kPlacement, CalibrationWait::kUser, false);
  place.tare_accepted = true;
  place.status.placement = 3;
  place.status.position = place.plan.positions[3];
  place.have_cell_load = true;
  place.cell_load_n = {-123.4, 256.7, -300.1, 45.6};
  engine::CalibrationRefusal r;
  r.step = CalibrationStep::kPlacement;
  r.placement = 3;
  r.reason = {core::CalibrationErrorKind::kDrifting, "", 2, 3};
  r.message =
      "placement 4 refused: Placement 4 is not steady: cell 2 is still drifting at 0.31 "
      "N/s (limit 0.10 N/s) \u2014 the reading is still drifting (cells settle for a few "
      "seconds after a load goes on or comes off); wait a moment and try again";
  place.last_refusal = r;
  out.push_back(place);
  CalibrationSnapshot done = running(CalibrationStep::kAccepted, CalibrationWait::kNothing);
  done.tare_accepted = true;
  core::SpanResult span;
  span.solved = true;
  for (int k = 0; k < 5; ++k) {
    core::PlacementResidual p;
    p.x_mm = done.plan.positions[k].x_mm;
    p.y_mm = done.plan.positions[k].y_mm;
    p.force_error_pct = -10.25;
    p.cop_error_mm = 123.4;
    span.report.placements.push_back(p);
  }
  span.report.condition_number = 18.75;
  span.report.max_condition = 20;
  span.report.rank = 4;
  done.span = span;
  done.saved = true;
  done.saved_path = "/home/someone/.config/rollrig/calibrations/device-0000D3E0.json";
  out.push_back(done);
  CalibrationSnapshot refused = done;
  refused.status.step = CalibrationStep::kRefused;
  refused.saved = false;
  r.message =
      "calibration refused: cell 2's gain is negative (-2.1e-04 N per count): its A+ and "
      "A- wires are swapped";
  refused.last_refusal = r;
  out.push_back(refused);
  return out;
}

}  // namespace

TEST(CalibrateViewAtEverySize, EveryTextLiesInsideItsPanelAndTheWidgetsStayInTheLeftPanel) {
  if (!fs::exists(kDejaVu)) GTEST_SKIP() << kDejaVu << " is missing (fonts-dejavu-core)";
  struct Size {
    float w, h;
  };
  for (float scale : {1.0f, 2.0f}) {
    ScaledUi ui(scale);
    const Fonts& f = ui.fonts;
    ImGuiIO& io = ImGui::GetIO();
    for (const Size sz : {Size{1000, 640}, Size{1260, 720}, Size{1920, 1080}}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(sz.w)) + "x" +
                   std::to_string(static_cast<int>(sz.h)) + " at scale " +
                   std::to_string(static_cast<int>(scale)));
      io.DisplaySize = ImVec2(sz.w * scale, sz.h * scale);
      io.DeltaTime = 1.0f / 60;
      const Layout lay = computeLayout(io.DisplaySize.x, io.DisplaySize.y, scale);
      int k = 0;
      for (const CalibrationSnapshot& snap : everyStep()) {
        SCOPED_TRACE("step " + std::to_string(k++));
        const CalibrateViewModel m = computeCalibrateView(snap, lay.body, f);
        ImGui::NewFrame();
        std::vector<DrawnText> log;
        g_drawn_text = &log;
        SolidFills fills;
        CalibrateViewState state;
        state.picker.listed = true;  // no port listing in a test
        drawCalibrateView(m, state, f, fills);
        g_drawn_text = nullptr;
        EXPECT_FALSE(log.empty());
        std::vector<DrawnText> left;
        for (const DrawnText& t : log) {
          const bool in = inside(t.box, m.bar) || inside(t.box, m.left) || inside(t.box, m.right);
          EXPECT_TRUE(in) << "\"" << t.s << "\" leaves its panel";
          if (inside(t.box, m.left)) left.push_back(t);
        }
        for (size_t i = 0; i < left.size(); ++i)
          for (size_t j = i + 1; j < left.size(); ++j)
            EXPECT_FALSE(overlap(left[i].box, left[j].box))
                << "\"" << left[i].s << "\" and \"" << left[j].s << "\" overlap";
        EXPECT_GE(m.cell_label_px, 0.8f * f.normal_px) << "the plate's labels: readable";
        const ImGuiWindow* w = ImGui::FindWindowByName("##calibrate_steps");
        ASSERT_NE(w, nullptr);
        EXPECT_LE(w->DC.CursorMaxPos.x, m.left.x1) << "a widget runs past the left panel";
        EXPECT_LE(w->DC.CursorMaxPos.y, m.left.y1) << "a widget runs below the left panel";
        ImGui::EndFrame();
      }
    }
  }
}

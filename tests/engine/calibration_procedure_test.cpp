// CalibrationProcedure on its own: fed the virtual rig's body model or synthetic samples (device
// time only), driven by explicit calls, judged by the one set of window rules.
#include "rollrig/engine/calibration_procedure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rollrig/sim/body_model.h"

using namespace rollrig;
using engine::CalibrationPlan;
using engine::CalibrationProcedure;
using engine::CalibrationStep;
using engine::CalibrationWait;
using K = core::CalibrationErrorKind;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A plate at 80 Hz with known offsets and gains (a few percent off nominal), Gaussian noise, and
// a load that may wobble (someone touching the plate) or be absent.
class Synth {
 public:
  static constexpr double kGainRatio[core::kCellCount] = {1.02, 0.98, 1.01, 0.97};
  static constexpr double kOffsets[core::kCellCount] = {12000, -8000, 30500, 4100};

  // One sample: `load_n` at (x, y), plus a 3 Hz wobble of `wobble_n` on the total.
  core::Sample next(double load_n = 0, double x_mm = 0, double y_mm = 0, double wobble_n = 0) {
    core::Sample s;
    s.t_us = m_t_us;
    s.seq = m_seq++;
    s.channel_count = core::kCellCount;
    s.fresh_mask = 15;
    const double t_s = static_cast<double>(m_t_us) / 1e6;
    const double total = load_n + wobble_n * std::sin(2 * M_PI * 3.0 * t_s);
    double f[core::kCellCount];
    m_geometry.distribute(total, x_mm, y_mm, f);
    for (int i = 0; i < core::kCellCount; ++i) {
      const double counts =
          kOffsets[i] + f[i] * core::kNominalCountsPerNewton * kGainRatio[i] + m_noise(m_rng);
      s.raw_counts[i] = static_cast<int32_t>(std::lround(counts));
    }
    m_t_us += m_step_us;
    return s;
  }

  std::vector<core::Sample> run(double seconds, double load_n = 0, double x_mm = 0, double y_mm = 0,
                                double wobble_n = 0) {
    std::vector<core::Sample> out;
    const int n = static_cast<int>(std::lround(seconds * 1e6 / static_cast<double>(m_step_us)));
    for (int k = 0; k < n; ++k) out.push_back(next(load_n, x_mm, y_mm, wobble_n));
    return out;
  }

  void setStep_us(uint64_t step_us) { m_step_us = step_us; }
  uint64_t now_us() const { return m_t_us; }

 private:
  core::PlateGeometry m_geometry;
  std::mt19937 m_rng{7};
  std::normal_distribution<double> m_noise{0.0, 40.0};  // ~0.01 N per cell
  uint64_t m_t_us = 1'000'000;
  uint64_t m_step_us = 12'500;  // 80 Hz
  uint16_t m_seq = 0;
};

constexpr double kMass_kg = 10;
constexpr double kWeight_n = kMass_kg * core::kStandardGravity_mps2;

CalibrationPlan plan(bool hands_free) {
  CalibrationPlan p;
  p.mass_kg = kMass_kg;
  p.positions = engine::defaultMassPositions(p.geometry);
  p.rate_hz = 80;
  p.hands_free = hands_free;
  p.device_serial = 0xAB12;
  p.source = "test rig";
  return p;
}

void feed(CalibrationProcedure& proc, const std::vector<core::Sample>& samples) {
  for (const core::Sample& s : samples) proc.add(s);
}

// Feeds a hands-free placement: the mass on for `on_s`, then off for 1 s.
void placeAndLift(CalibrationProcedure& proc, Synth& rig, const engine::MassPosition& at,
                  double on_s = 4) {
  feed(proc, rig.run(on_s, kWeight_n, at.x_mm, at.y_mm));
  feed(proc, rig.run(1.0));
}

}  // namespace

TEST(CalibrationProcedure, ACleanTareThenPlacementsOnTheVirtualRigSolveAndAreAccepted) {
  CalibrationPlan p = plan(true);
  sim::BodyModelConfig body;
  body.seed = 5;
  body.duration_s = 0;
  body.calibration_script = engine::demoCalibrationScript(p.positions, kMass_kg);
  sim::BodyModel model(body);
  CalibrationProcedure proc(p);
  EXPECT_EQ(proc.status().step, CalibrationStep::kTare);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady) << "hands-free: tares at once";
  bool saw_mass_on = false, saw_mass_off = false;
  for (int k = 0; k < 80 * 80 && !proc.finished(); ++k) {
    const sim::ModelSample m = model.next();
    core::Sample s;
    s.t_us = static_cast<uint64_t>(std::llround(m.t_s * 1e6));
    s.channel_count = 4;
    s.fresh_mask = 15;
    for (int i = 0; i < 4; ++i) s.raw_counts[i] = m.raw_counts[i];
    proc.add(s);
    saw_mass_on |= proc.status().waiting_for == CalibrationWait::kMassOn;
    saw_mass_off |= proc.status().waiting_for == CalibrationWait::kMassOff;
  }
  ASSERT_EQ(proc.status().step, CalibrationStep::kAccepted)
      << (proc.lastRefusal() ? proc.lastRefusal()->message : "not finished");
  EXPECT_TRUE(saw_mass_on);
  EXPECT_TRUE(saw_mass_off);
  EXPECT_EQ(proc.placements().size(), 5u);
  ASSERT_TRUE(proc.span().has_value());
  EXPECT_LT(proc.span()->report.max_force_error_pct, 1.0);
  EXPECT_LT(proc.span()->report.max_cop_error_mm, 5.0);
  const core::CalibrationRecord rec = proc.record("2026-01-01T00:00:00Z");
  EXPECT_EQ(rec.calibration.device_serial, 0xAB12u);
  EXPECT_EQ(rec.calibration.created, "2026-01-01T00:00:00Z");
  EXPECT_TRUE(contains(rec.calibration.source, "tare + span 10 kg at 5 placements"))
      << rec.calibration.source;
  EXPECT_TRUE(contains(rec.calibration.source, "(test rig)")) << rec.calibration.source;
  ASSERT_TRUE(rec.span.has_value());
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(rec.calibration.cells[i].n_per_count * model.sensors()[i].counts_per_n, 1.0, 0.005)
        << "cell " << i;
    EXPECT_NEAR(rec.calibration.cells[i].offset_counts, model.sensors()[i].offset_counts, 50.0);
  }
}

TEST(CalibrationProcedure, InteractiveStepsWaitForTheUserAndIgnoreSamplesMeanwhile) {
  Synth rig;
  CalibrationProcedure proc(plan(false));
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);
  feed(proc, rig.run(5));  // a steady empty plate, but nobody pressed Enter
  EXPECT_EQ(proc.status().step, CalibrationStep::kTare);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);
  EXPECT_FALSE(proc.tareAccepted());

  proc.proceed();
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady);
  EXPECT_EQ(proc.status().window_needed, 240u);
  feed(proc, rig.run(1.5));
  EXPECT_NEAR(proc.status().progress, 0.5, 0.01);
  EXPECT_NEAR(proc.status().waited_s, 1.4875, 1e-6);
  EXPECT_EQ(proc.status().wait_limit_s, engine::kInteractiveWait_s);
  feed(proc, rig.run(1.5));
  ASSERT_TRUE(proc.tareAccepted());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(proc.tare().offset_counts[i], Synth::kOffsets[i], 10);
  EXPECT_EQ(proc.status().step, CalibrationStep::kPlacement);
  EXPECT_EQ(proc.status().placement, 0u);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);

  const auto& at = proc.plan().positions;
  for (size_t k = 0; k < at.size(); ++k) {
    EXPECT_EQ(proc.status().position.x_mm, at[k].x_mm);
    EXPECT_EQ(proc.status().position.y_mm, at[k].y_mm);
    feed(proc, rig.run(2, kWeight_n, at[k].x_mm, at[k].y_mm));  // before Enter: ignored
    EXPECT_EQ(proc.placements().size(), k);
    proc.proceed();
    feed(proc, rig.run(3, kWeight_n, at[k].x_mm, at[k].y_mm));
    EXPECT_EQ(proc.placements().size(), k + 1);
    EXPECT_NEAR(proc.status().load_n, kWeight_n, 0.05 * kWeight_n);
  }
  ASSERT_EQ(proc.status().step, CalibrationStep::kAccepted);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(proc.span()->n_per_count[i] * core::kNominalCountsPerNewton * Synth::kGainRatio[i],
                1.0, 0.002)
        << "cell " << i;
  }
}

TEST(CalibrationProcedure, AnUnsteadyPlateIsRefusedWithTheReason) {
  // Hands-free: someone leans on the plate for the whole wait, and the calibration is refused.
  {
    Synth rig;
    CalibrationProcedure proc(plan(true));
    feed(proc, rig.run(5, 20, 100, 50, 8));
    EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady);
    EXPECT_EQ(proc.status().unsteady.kind, K::kUnsteady) << proc.status().unsteady.message;
    EXPECT_GT(proc.status().unsteady_for_s, 1.9);
    feed(proc, rig.run(27, 20, 100, 50, 8));
    ASSERT_EQ(proc.status().step, CalibrationStep::kRefused);
    ASSERT_TRUE(proc.lastRefusal());
    EXPECT_EQ(proc.lastRefusal()->reason.kind, K::kUnsteady);
    EXPECT_TRUE(
        contains(proc.lastRefusal()->message, "tare refused: The tare window is not steady"))
        << proc.lastRefusal()->message;
    EXPECT_TRUE(contains(proc.lastRefusal()->message, "someone is leaning on the plate"));
  }
  // Interactive: the same reason, and the user is asked again; a steady plate then tares.
  {
    Synth rig;
    CalibrationProcedure proc(plan(false));
    proc.proceed();
    feed(proc, rig.run(11, 20, 100, 50, 8));
    EXPECT_EQ(proc.status().step, CalibrationStep::kTare);
    EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);
    EXPECT_EQ(proc.status().refusals, 1u);
    ASSERT_TRUE(proc.lastRefusal());
    EXPECT_EQ(proc.lastRefusal()->reason.kind, K::kUnsteady);
    proc.proceed();
    feed(proc, rig.run(3));
    EXPECT_TRUE(proc.tareAccepted());
    EXPECT_EQ(proc.status().step, CalibrationStep::kPlacement);
  }
}

TEST(CalibrationProcedure, LiftingTheMassMidWindowRestartsTheWindow) {
  Synth rig;
  CalibrationProcedure proc(plan(true));
  feed(proc, rig.run(3));
  ASSERT_TRUE(proc.tareAccepted());
  ASSERT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn);
  const engine::MassPosition at = proc.status().position;
  feed(proc, rig.run(2, kWeight_n, at.x_mm, at.y_mm));
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady);
  EXPECT_GT(proc.status().progress, 0.6);
  feed(proc, rig.run(0.25));  // lifted
  EXPECT_EQ(proc.status().window_samples, 0u);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady) << "still capturing";
  // Set down again: the window starts afresh, with no sample from before the lift.
  feed(proc, rig.run(2.9, kWeight_n, at.x_mm, at.y_mm));
  EXPECT_TRUE(proc.placements().empty()) << "2.9 s since the mass came back is not a window";
  feed(proc, rig.run(0.1, kWeight_n, at.x_mm, at.y_mm));
  ASSERT_EQ(proc.placements().size(), 1u);
  EXPECT_EQ(proc.lastWindow().samples, 240u);
  // The window's means are the loaded plate's: the whole window after the mass came back.
  double f[4];
  core::PlateGeometry().distribute(kWeight_n, at.x_mm, at.y_mm, f);
  for (int i = 0; i < 4; ++i) {
    const double expect =
        Synth::kOffsets[i] + f[i] * core::kNominalCountsPerNewton * Synth::kGainRatio[i];
    EXPECT_NEAR(proc.placements()[0].mean_counts[i], expect, 20) << "cell " << i;
  }
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOff);
}

TEST(CalibrationProcedure, WaitsAreTimedInDeviceTimeNotInSamples) {
  for (const uint64_t step_us : {12'500ull, 1'000'000ull}) {
    Synth rig;
    CalibrationProcedure proc(plan(true));
    feed(proc, rig.run(3));
    ASSERT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn);
    rig.setStep_us(step_us);  // sparse or dense samples: the same device time
    feed(proc, rig.run(119));
    EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn) << step_us;
    EXPECT_EQ(proc.status().wait_limit_s, engine::kHandsFreeWaitForMass_s);
    EXPECT_GE(proc.status().waited_s, 118.0);
    feed(proc, rig.run(3));
    ASSERT_EQ(proc.status().step, CalibrationStep::kRefused) << step_us;
    EXPECT_EQ(proc.lastRefusal()->message,
              "placement 1: no mass appeared on the plate within 120 s");
  }
  // Waiting for the user has no limit: an hour of samples changes nothing.
  Synth rig;
  rig.setStep_us(1'000'000);
  CalibrationProcedure proc(plan(false));
  feed(proc, rig.run(3600));
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);
  EXPECT_EQ(proc.status().refusals, 0u);
}

TEST(CalibrationProcedure, ALayoutThatCannotSolveIsRefusedBeforeAnythingIsPlaced) {
  CalibrationPlan p = plan(true);
  p.positions = {{-200, 0}, {0, 0}, {200, 0}};
  CalibrationProcedure line(p);
  EXPECT_EQ(line.status().step, CalibrationStep::kRefused);
  EXPECT_EQ(line.status().waiting_for, CalibrationWait::kNothing);
  ASSERT_TRUE(line.lastRefusal());
  EXPECT_EQ(line.lastRefusal()->reason.kind, K::kIllPosed);
  EXPECT_TRUE(contains(line.lastRefusal()->message, "these positions cannot calibrate the plate"));
  EXPECT_TRUE(contains(line.lastRefusal()->message, "one line"));
  Synth rig;
  feed(line, rig.run(3));
  EXPECT_FALSE(line.tareAccepted()) << "a refused procedure takes no samples";

  p.positions = {{-200, 100}, {200, -100}};
  EXPECT_EQ(CalibrationProcedure(p).lastRefusal()->reason.kind, K::kTooFewPlacements);
  p.positions = {{-400, 100}, {200, -100}, {0, 0}};
  EXPECT_EQ(CalibrationProcedure(p).lastRefusal()->reason.kind, K::kBadInput) << "off the cells";
  p = plan(true);
  p.mass_kg = 0;
  EXPECT_EQ(CalibrationProcedure(p).status().step, CalibrationStep::kRefused);
  p.tare_only = true;
  EXPECT_EQ(CalibrationProcedure(p).status().step, CalibrationStep::kTare) << "no mass needed";
}

TEST(CalibrationProcedure, ARecordedWindowAndTheSameWindowLiveGetTheSameVerdict) {
  Synth rig;
  const std::vector<core::Sample> tare = rig.run(3);
  const engine::MassPosition at{-200, 120};
  const std::vector<core::Sample> steady = rig.run(3, kWeight_n, at.x_mm, at.y_mm);
  const std::vector<core::Sample> wobbly = rig.run(3, kWeight_n, at.x_mm, at.y_mm, 6);

  for (const auto* window : {&steady, &wobbly}) {
    CalibrationProcedure live(plan(false)), recorded(plan(true));
    live.proceed();
    feed(live, tare);
    ASSERT_TRUE(live.tareAccepted());
    ASSERT_TRUE(recorded.submitWindow(tare).ok());
    EXPECT_EQ(recorded.tare().offset_counts, live.tare().offset_counts);

    live.proceed();
    feed(live, *window);
    const engine::WindowVerdict v = recorded.submitWindow(*window);
    if (window == &steady) {
      EXPECT_TRUE(v.ok()) << v.error.message;
      ASSERT_EQ(live.placements().size(), 1u);
      ASSERT_EQ(recorded.placements().size(), 1u);
      EXPECT_EQ(live.placements()[0].mean_counts, recorded.placements()[0].mean_counts);
    } else {
      EXPECT_EQ(v.error.kind, K::kUnsteady);
      EXPECT_TRUE(live.placements().empty());
      EXPECT_EQ(live.status().unsteady.kind, v.error.kind);
      EXPECT_EQ(live.status().unsteady.message, v.error.message);
      EXPECT_TRUE(contains(v.error.message, "Placement 1 is not steady")) << v.error.message;
      EXPECT_EQ(recorded.status().step, CalibrationStep::kRefused) << "hands-free: no second try";
      EXPECT_EQ(recorded.lastRefusal()->message, "placement 1 refused: " + v.error.message);
    }
  }

  // A tare with something on the plate, against the last tare: refused both ways, same words.
  CalibrationPlan p = plan(false);
  for (int i = 0; i < 4; ++i) p.gains.cells[i].offset_counts = Synth::kOffsets[i];
  p.compare_with_last_tare = true;
  const std::vector<core::Sample> loaded = rig.run(3, 30, 0, 0);
  CalibrationProcedure live(p);
  live.proceed();
  feed(live, loaded);
  ASSERT_TRUE(live.lastRefusal());
  p.hands_free = true;
  CalibrationProcedure recorded(p);
  const engine::WindowVerdict v = recorded.submitWindow(loaded);
  EXPECT_EQ(v.error.kind, K::kLoaded);
  EXPECT_EQ(live.lastRefusal()->reason.kind, K::kLoaded);
  EXPECT_EQ(live.lastRefusal()->message, recorded.lastRefusal()->message);
  EXPECT_TRUE(contains(v.error.message, "--ignore-last-tare")) << v.error.message;
  EXPECT_EQ(live.status().waiting_for, CalibrationWait::kUser) << "interactive: asked again";
}

TEST(CalibrationProcedure, ARecordedWindowIsHeldToTheLiveWindowsLengthAndLoad) {
  Synth rig;
  const std::vector<core::Sample> tare = rig.run(3);
  CalibrationProcedure proc(plan(true));
  ASSERT_TRUE(proc.submitWindow(tare, "0..3 s").ok());
  // Shorter than a live window: refused as too short, named with its time range.
  const std::vector<core::Sample> brief = rig.run(1.5, kWeight_n, 0, 0);
  engine::WindowVerdict v = proc.submitWindow(brief, "4..5.5 s");
  EXPECT_EQ(v.error.kind, K::kTooFewSamples);
  EXPECT_TRUE(contains(v.error.message, "Placement 1 (4..5.5 s) has only 120 samples"))
      << v.error.message;
  EXPECT_TRUE(contains(v.error.message, "at least 240")) << v.error.message;

  // Steady but the mass was not on the plate: refused, as a live capture would never take it.
  CalibrationProcedure empty(plan(true));
  ASSERT_TRUE(empty.submitWindow(tare).ok());
  v = empty.submitWindow(rig.run(3), "10..13 s");
  EXPECT_EQ(v.error.kind, K::kBadInput);
  EXPECT_TRUE(
      contains(v.error.message, "Placement 1 (10..13 s) does not have the mass on the plate"))
      << v.error.message;
}

TEST(CalibrationProcedure, SkipsAPlacementOnlyWhenTheRestCanStillSolve) {
  Synth rig;
  CalibrationProcedure proc(plan(true));
  EXPECT_EQ(proc.skip().kind, K::kBadInput) << "the tare cannot be skipped";
  feed(proc, rig.run(3));
  ASSERT_EQ(proc.status().placement, 0u);
  EXPECT_FALSE(proc.skip()) << "the four corners still solve without the centre";
  EXPECT_EQ(proc.status().placement, 1u);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn);
  const auto& at = proc.plan().positions;
  placeAndLift(proc, rig, at[1]);
  placeAndLift(proc, rig, at[2]);
  // Two corners taken, two left: without the fourth corner three remain, still a triangle.
  ASSERT_EQ(proc.status().placement, 3u);
  EXPECT_FALSE(proc.skip());
  ASSERT_EQ(proc.status().placement, 4u);
  const core::CalibrationError e = proc.skip();
  EXPECT_EQ(e.kind, K::kTooFewPlacements) << "only two would be left";
  EXPECT_TRUE(contains(e.message, "placement 5 cannot be skipped")) << e.message;
  EXPECT_EQ(proc.status().placement, 4u) << "nothing changed";
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOff);
  feed(proc, rig.run(0.5));  // the plate is empty: the next placement may begin
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn);
  placeAndLift(proc, rig, at[4]);
  ASSERT_EQ(proc.status().step, CalibrationStep::kAccepted)
      << (proc.lastRefusal() ? proc.lastRefusal()->message : "");
  EXPECT_EQ(proc.placements().size(), 3u);
  EXPECT_TRUE(contains(proc.record("t").calibration.source, "at 3 placements"));
}

TEST(CalibrationProcedure, CancelStopsItAndSwitchingModesChangesWhatItWaitsFor) {
  Synth rig;
  CalibrationProcedure proc(plan(false));
  proc.setHandsFree(true);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kSteady);
  feed(proc, rig.run(3));
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kMassOn);
  proc.setHandsFree(false);
  EXPECT_EQ(proc.status().waiting_for, CalibrationWait::kUser);
  proc.cancel();
  EXPECT_EQ(proc.status().step, CalibrationStep::kCancelled);
  EXPECT_TRUE(proc.finished());
  proc.proceed();
  feed(proc, rig.run(3, kWeight_n));
  EXPECT_TRUE(proc.placements().empty());
  EXPECT_EQ(proc.submitWindow(rig.run(3, kWeight_n)).error.kind, K::kBadInput);
}

TEST(CalibrationProcedure, ATareOnlyCalibrationKeepsThePreviousGainsAndSpan) {
  CalibrationPlan p = plan(true);
  p.tare_only = true;
  core::CalibrationRecord prev;
  for (int i = 0; i < 4; ++i) prev.calibration.cells[i].n_per_count = 2.5e-4 + i * 1e-6;
  prev.calibration.source = "tare + span 20 kg at 5 placements";
  prev.span = core::SpanRecord{};
  prev.span->mass_kg = 20;
  p.previous = prev;
  Synth rig;
  CalibrationProcedure proc(p);
  feed(proc, rig.run(3));
  ASSERT_EQ(proc.status().step, CalibrationStep::kAccepted);
  const core::CalibrationRecord rec = proc.record("t0");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rec.calibration.cells[i].n_per_count, prev.calibration.cells[i].n_per_count);
    EXPECT_NEAR(rec.calibration.cells[i].offset_counts, Synth::kOffsets[i], 10);
  }
  ASSERT_TRUE(rec.span.has_value());
  EXPECT_EQ(rec.span->mass_kg, 20);
  EXPECT_TRUE(contains(rec.calibration.source, "gains from: tare + span 20 kg"));
}

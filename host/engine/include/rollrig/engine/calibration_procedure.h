// CalibrationProcedure: the guided tare and span calibration as a step-driven object, so every
// front end (`rollrig calibrate`, the GUI's wizard) runs the same procedure with the same rules and
// only shows its state. docs/CALIBRATION.md is the user's guide; the maths is core/calibration.h.
//
//   tare -> placement 1..N (the known mass at each position) -> solve -> accepted | refused
//
// It is fed samples (core::Sample, live or from a recording) and says at any moment which step
// it is in, what it waits for (the user, the mass on or off, a steady window), the progress of
// the capture window, why the latest window was not steady, and the results (tare, placements,
// span with its residual report, the CalibrationRecord to save). Device time (Sample::t_us) is
// its only clock: every timeout is in device seconds. What is not about samples is an explicit
// call: proceed() (the user pressed Enter / "next"), skip(), cancel(), setHandsFree().
//
// One set of acceptance rules: a window of samples is judged by judgeWindow() (steadiness, the
// mass on the plate throughout, the comparison with the last tare), whether the procedure found
// it by sliding over live samples (add()) or was handed it from a recording (submitWindow()).
// So a window a live run would refuse is refused from a recording too, with the same reason.
//
// No I/O: no printing, no stdin, no clock, no port, no files. Not thread-safe: one owner (the
// thread that feeds it); a UI reads status() from that thread. Cheap: O(window) per sample while
// capturing (the window's statistics are recomputed once it is full), nothing otherwise.
//
// Units: counts are raw HX711 counts; forces N; positions mm in plate coordinates; masses kg;
// times s unless named _us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/calibration.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/sim/body_model.h"

namespace rollrig::engine {

// [SECTION] The rules (one set, for live and recorded input)

// Averaged for the tare and for each placement; a window holds round(kCalibrationWindow_s x
// rate) samples (240 at 80 SPS). A recorded window must hold at least as many.
inline constexpr double kCalibrationWindow_s = 3.0;
// Device time to wait for a steady window once capturing starts: interactively the user is asked
// again after it; hands-free it refuses the calibration.
inline constexpr double kInteractiveWait_s = 10.0;
inline constexpr double kHandsFreeWait_s = 30.0;
// Hands-free: time to lift the mass off and set it down again.
inline constexpr double kHandsFreeWaitForMass_s = 120.0;
// Fractions of the mass's weight (with the gains in use before the span): on the plate at or
// above kLoadedFraction (every sample of a placement window), off below kUnloadedFraction.
inline constexpr double kLoadedFraction = 0.3;
inline constexpr double kUnloadedFraction = 0.15;
// Advice to front ends: a window that still holds the mass being set down is not news; say why
// the plate is not steady only once it has been so for this long
// (CalibrationStatus::unsteady_for_s).
inline constexpr double kQuietSettle_s = 2.0;
// A tare refused as kLoaded (more than 10 N above the last tare) gets this hint appended.
inline constexpr char kIgnoreLastTareHint[] =
    " (if the plate itself changed since the last calibration, pass --ignore-last-tare)";

// Samples in a capture window at `rate_hz` (80 when rate_hz <= 0).
size_t calibrationWindowSamples(double rate_hz);

// The measured sample rate of a recording (samples over its time span), for
// calibrationWindowSamples(); 80 when it cannot tell (fewer than two samples, no time span).
double recordingRate_hz(const std::vector<core::Sample>& samples);

struct MassPosition {
  double x_mm = 0;
  double y_mm = 0;
};

// The positions for the mass: on the reference build the marks hardware/README.md has the maker
// draw (the centre, then (-200,+120), (+200,+120), (-200,-120), (+200,-120)); on any other cell
// layout the centre and each cell pulled 75 % of the way toward it (rounded to 10 mm).
std::vector<MassPosition> defaultMassPositions(const core::PlateGeometry& geometry);

// Refuses a layout the solver would refuse (fewer than 3 positions, outside the cells' footprint,
// on one line, ill-conditioned), before anyone carries a mass around: synthetic placements at
// nominal gains through core::solveSpan. kNone when the layout can solve.
core::CalibrationError checkLayout(const std::vector<MassPosition>& positions,
                                   const core::PlateGeometry& geometry);

// What a window is for, and what judging it needs.
struct WindowJudgement {
  bool placement = false;  // false: the tare window
  // The name in messages, e.g. "the tare window", "placement 2" or "placement 2 (4.8..8 s)".
  std::string what;
  core::Calibration gains;  // thresholds in N, and the offsets the tare is compared with
  size_t min_samples = 0;   // calibrationWindowSamples(rate)
  // Tare: refuse more than TareOptions::max_load_n above gains' offsets (the last tare).
  bool compare_with_last_tare = false;
  // Placement: the tare's offsets and the weight; every sample must carry kLoadedFraction of it.
  std::array<double, core::kCellCount> tare_offsets{};
  double weight_n = 0;
};

struct WindowVerdict {
  core::CalibrationError error;  // kNone: accepted
  core::WindowStats stats;
  core::TareResult tare;  // the tare window's result (offsets) when accepted
  // The reason is about steadiness (kTooFewSamples, kBadSamples, kUnsteady, kDrifting): a live
  // capture keeps sliding its window; any other reason refuses the window at once.
  bool steadiness = false;

  bool ok() const { return !error; }
};

// THE acceptance rule for a window, used by the live capture and for recorded windows alike:
// at least min_samples samples, core::checkSteady (saturation, HX711 timeouts, settling,
// fluctuation, trend); then for the tare core::tare (with the comparison with the last tare,
// kLoaded, plus kIgnoreLastTareHint), and for a placement the mass on the plate in every sample
// (kBadInput otherwise).
WindowVerdict judgeWindow(const std::vector<core::Sample>& window, const WindowJudgement& j);

// The total force of a sample with `offsets` and `gains`' n_per_count, in N.
double totalForce_n(const core::Sample& s, const std::array<double, core::kCellCount>& offsets,
                    const core::Calibration& gains);

// The virtual rig's part in a demo calibration: the plate stays empty for the tare (5 s), then
// the mass stands at each position for 7 s, lifted off for the rest of a 9 s period.
std::vector<sim::ScriptedLoad> demoCalibrationScript(const std::vector<MassPosition>& positions,
                                                     double mass_kg);

// [SECTION] The procedure

struct CalibrationPlan {
  double mass_kg = 0;                   // the known mass; > 0 unless tare_only
  bool tare_only = false;               // tare only: keep the previous gains (or nominal ones)
  std::vector<MassPosition> positions;  // where the mass goes, in order
  core::PlateGeometry geometry;         // the cells' positions the span is solved with
  double rate_hz = 80;                  // the device's (INFO) or the recording's rate
  // Interactive: each step waits for proceed() (the user says the plate is clear / the mass is in
  // place) and a refused window asks again. Hands-free: the tare starts at once, each placement
  // waits for the mass to be set down (and, after the first, lifted off first), and any refusal
  // or timeout refuses the calibration.
  bool hands_free = false;
  // For thresholds and the load tests before the span is solved: the previous calibration's
  // (then also the offsets compare_with_last_tare uses), else nominal.
  core::Calibration gains;
  bool compare_with_last_tare = false;
  // The device's previous calibration: a tare-only calibration keeps its gains and span record.
  std::optional<core::CalibrationRecord> previous;
  uint32_t device_serial = 0;
  std::string
      source;  // where the samples came from, in the record: "/dev/ttyACM0", "recording x.csv"
};

enum class CalibrationStep {
  kTare,       // capturing the unloaded plate
  kPlacement,  // capturing the mass at positions[placement]
  kAccepted,   // solved and accepted (or tare-only done): record() is ready
  kRefused,    // stopped: refusal() says why (a layout that cannot solve, a timeout hands-free,
               // a refused window hands-free, a span the solver refused)
  kCancelled,  // cancel() was called
};

enum class CalibrationWait {
  kNothing,  // finished (accepted, refused or cancelled)
  kUser,     // interactive: proceed() when the plate is clear / the mass is in place
  kMassOff,  // hands-free: the previous placement's mass must come off (below kUnloadedFraction)
  kMassOn,   // hands-free: the mass must be set down (at or above kLoadedFraction)
  kSteady,   // capturing: waiting for a full, steady window (progress in the status)
};

const char* calibrationStepName(CalibrationStep step);
const char* calibrationWaitName(CalibrationWait wait);

// A refused window or wait, or the refusal that stopped the procedure.
struct CalibrationRefusal {
  CalibrationStep step = CalibrationStep::kTare;
  size_t placement = 0;           // 0-based, for kPlacement
  core::CalibrationError reason;  // reason.message names the window ("Placement 2 is not ...")
  // A complete sentence for the user: "tare refused: ...", "placement 2 refused: ...", "these
  // positions cannot calibrate the plate: ...", "calibration refused: ...", "the mass was not
  // lifted off within 120 s".
  std::string message;
};

// Everything a front end shows, as of the last call.
struct CalibrationStatus {
  CalibrationStep step = CalibrationStep::kTare;
  CalibrationWait waiting_for = CalibrationWait::kNothing;
  size_t placement = 0;        // 0-based index into positions (kPlacement)
  size_t placement_count = 0;  // positions.size(); 0 for tare-only
  MassPosition position;       // where the mass goes now (kPlacement)
  // The capture window (kSteady): samples in it, samples it needs, their ratio (0..1).
  size_t window_samples = 0;
  size_t window_needed = 0;
  double progress = 0;
  // Device time spent in the current wait and its limit (0: no limit, e.g. waiting for the user).
  double waited_s = 0;
  double wait_limit_s = 0;
  // While capturing: why the latest full window was not accepted (kNone: none judged yet, or a
  // fresh window), and for how long full windows have been refused (device s).
  core::CalibrationError unsteady;
  double unsteady_for_s = 0;
  // The latest sample's total force, N: with the tare's offsets once it is accepted, else with
  // the plan's gains' offsets (meaningful only after a previous calibration).
  double load_n = 0;
  size_t refusals = 0;   // refused windows and waits so far; a change means a new last refusal
  uint64_t samples = 0;  // samples fed so far
};

class CalibrationProcedure {
 public:
  // Checks the plan at once: with a span, a mass that is not > 0 or a layout that cannot solve
  // (checkLayout) leaves the procedure kRefused before anything is placed.
  explicit CalibrationProcedure(CalibrationPlan plan);

  // One live sample, in device-time order. Ignored while waiting for the user and once finished.
  void add(const core::Sample& s);

  // A recorded window for the current step (tare or placement), judged whole by judgeWindow()
  // with the rules a live window has; `time_range` (e.g. "4.8..8 s") is added to the window's
  // name in messages. Accepted: the step is done, as if captured live. Refused: as a refused
  // live window (hands-free: the procedure is refused; interactive: the step waits for the user
  // again). Returns the verdict; a finished procedure returns kBadInput and changes nothing.
  WindowVerdict submitWindow(const std::vector<core::Sample>& window,
                             const std::string& time_range = "");

  // The user is ready (Enter / "next"): starts capturing. Ignored unless waiting for the user.
  void proceed();

  // Skips the current placement. Refused (kIllPosed / kTooFewPlacements, nothing changes) when
  // the placements taken and those left would no longer make a layout that can solve, and for
  // the tare (kBadInput).
  core::CalibrationError skip();

  // Stops: kCancelled. Nothing to save.
  void cancel();

  // Switches between interactive and hands-free. Interactive -> hands-free while waiting for the
  // user starts the step's hands-free wait; hands-free -> interactive while capturing or waiting
  // for the mass goes back to waiting for the user.
  void setHandsFree(bool hands_free);

  const CalibrationStatus& status() const { return m_status; }
  bool finished() const;
  const CalibrationPlan& plan() const { return m_plan; }
  size_t windowSamples() const { return m_window_samples; }

  // The latest refusal (of a window, a wait, or the whole calibration) and, when kRefused, the
  // one that stopped it. Empty when nothing was refused.
  const std::optional<CalibrationRefusal>& lastRefusal() const { return m_last_refusal; }

  // Results, as far as the procedure got. tare() holds the accepted tare once tareAccepted().
  bool tareAccepted() const { return m_have_tare; }
  const core::TareResult& tare() const { return m_tare; }
  // The placements captured so far (where the mass stood, per-cell means), in order.
  const std::vector<core::SpanPlacement>& placements() const { return m_places; }
  // The window statistics of the latest accepted window (tare or placement).
  const core::WindowStats& lastWindow() const { return m_last_window; }
  // The span once solved (also when refused: its report says why); empty before, or tare-only.
  const std::optional<core::SpanResult>& span() const { return m_span; }

  // The calibration to save; only when kAccepted. `created_utc` (ISO 8601) is stamped by the
  // caller (the procedure has no clock). The source names the plan's source; a tare-only
  // calibration keeps the previous gains and span record (or nominal gains).
  core::CalibrationRecord record(const std::string& created_utc) const;

 private:
  void enterStep(CalibrationStep step, size_t placement);
  void enterWait(CalibrationWait wait);
  void handsFreeWaitForStep();
  void accept(const WindowVerdict& v);
  void refuseWindow(core::CalibrationError reason);
  void refuseAll(CalibrationStep step, core::CalibrationError reason, std::string message);
  void finishPlacements();
  WindowJudgement judgement(const std::string& time_range) const;
  double waitLimit_s() const;
  double weight_n() const;
  void updateStatus();

  CalibrationPlan m_plan;
  size_t m_window_samples = 0;
  std::vector<bool> m_skipped;  // per position

  CalibrationStep m_step = CalibrationStep::kTare;
  CalibrationWait m_wait = CalibrationWait::kNothing;
  size_t m_placement = 0;

  // The current wait (device time of its first sample) and capture window.
  bool m_have_wait_start = false;
  uint64_t m_wait_start_us = 0;
  uint64_t m_last_us = 0;
  std::deque<core::Sample> m_window;
  core::CalibrationError m_unsteady;
  bool m_have_first_full = false;
  uint64_t m_first_full_us = 0;

  core::TareResult m_tare;
  bool m_have_tare = false;
  std::vector<core::SpanPlacement> m_places;
  core::WindowStats m_last_window;
  std::optional<core::SpanResult> m_span;
  std::optional<CalibrationRefusal> m_last_refusal;
  CalibrationStatus m_status;
};

}  // namespace rollrig::engine

// SessionAnalyzer: holds and releases from force and ball position, sample by sample.
//
// The same code runs live (the GUI pushes samples as they arrive) and offline (analyzeSession()
// over a file): decisions are made only from samples already seen, and reported back-dated, so
// both paths give identical results (tests/core push a session in random chunks to check it).
// The rules and their sources are in docs/ANALYSIS.md.
//
// Hold (hysteresis and dwell): under meaningful load, the ball (CoP, smoothed over 0.25 s) stays
// within enter_radius_mm of where it settled, slower than still_speed_mm_s, for dwell_s → a hold,
// back-dated to when the ball became still (never across a gap longer than max_gap_s nor into the
// previous hold). One brief sway that comes back pauses the dwell rather than restarting it. It
// ends when the ball leaves exit_radius_mm of the hold centre for longer than exit_grace_s, or the
// load falls below load_drop_fraction of the hold's level for longer than load_drop_grace_s, or
// the data stops for max_gap_s; the end is back-dated to the last moment the ball was still at
// the spot with its load. Force only (no position at all), the same idea runs on the smoothed load.
//
// Release, inside a hold:
//   A. load-up: the mean force over the last step_post_s rises over the mean of the step_pre_s
//      before it (a step_gap_s ramp between) by more than the hold's own slow fluctuation
//      (step_noise_k x the rms of 1 s means in the reference window), and stays up for
//      step_persist_s;
//   C. settling: a fit of F_inf + A*exp(-t/tau) to the hold so far; the load-up is counted from
//      the fitted course, and before release_min_s only once the fit has seen the transient end;
//   B. steadiness: the 4-12 Hz (tremor) force fluctuation dropping, judged against the noise floor
//      measured at 18-36 Hz in the same windows and against the hold's own scatter: confirms a
//      smaller load-up, and after 30 s of hold counts on its own when it also beats every earlier
//      window of the hold (needs about 49 Hz sampling or more for the floor band).
//   A user's "released" marker inside a hold always wins.
//
// Units: seconds (the file's own clock), newtons, millimetres. Not thread-safe; one owner. No
// allocation per sample beyond amortised ring buffers.
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rollrig/core/hold_steadiness.h"

namespace rollrig::core {

struct AnalysisSample {
  double t_s = 0;
  double force_n = 0;
  bool has_xy = false;  // false: no position (load too small, or the file has no x/y)
  double x_mm = 0;
  double y_mm = 0;
};

// Every threshold in one place; where each comes from is in docs/ANALYSIS.md.
// Rolling "slowly", as the exercise asks: faster than this (mm/s, the ball's speed between holds)
// is too fast. The one default for the session figure (HoldParams::slow_roll_mm_s), the live
// share and the too-fast cue (engine::LiveSession plans it against the session's
// slow_roll_mm_s).
inline constexpr double kSlowRoll_mm_s = 30;

struct HoldParams {
  double min_load_n = 30;           // meaningful load on the ball
  double smoothing_s = 0.25;        // CoP moving average (at least 5 samples at low rates)
  double enter_radius_mm = 20;      // still = within this of where the ball settled ...
  double dwell_s = 5;               // ... for this long: a hold
  double still_speed_mm_s = 10;     // and moving slower than this (over 1 s steps)
  double exit_radius_mm = 30;       // a hold ends when the ball leaves this far from its centre ...
  double exit_grace_s = 0.3;        // ... for longer than this
  double load_drop_fraction = 0.5;  // or the load falls below this share of the hold's level ...
  double load_drop_grace_s = 1.0;   // ... for longer than this
  double max_gap_s = 3.0;           // no data for this long ends a hold (an unplugged rig)
  double start_radius_mm = 8;       // back-dating the start: first moment within this of the centre
  double end_radius_mm = 10;        // back-dating the end: last moment within this of the centre
  double end_load_fraction = 0.85;  // ... and with at least this share of the hold's level

  double release_min_s = 20;      // settling is mostly over this far into a hold (docs/ANALYSIS.md)
  double release_earliest_s = 5;  // earlier than release_min_s only once a fit of the settling
                                  // transient says it is over; never earlier than this
  double step_pre_s = 10;         // reference window before a load-up
  double step_gap_s = 2;          // the ramp between the windows
  double step_post_s = 6;         // window after a load-up
  double step_persist_s = 3;      // the step must hold this long
  // A load-up must clear the slow fluctuation of its own reference window (the rms of 1 s means
  // about their line: breathing, sway), measured per hold: step_noise_k times it on its own,
  // step_tremor_noise_k times it when the tremor drops too; never below step_floor_fraction.
  double step_noise_k = 1.5;
  double step_tremor_noise_k = 1.0;
  double step_floor_fraction = 0.01;
  // A tremor drop (4-12 Hz power falling clearly, measured against the noise floor at 18-36 Hz and
  // the hold's own scatter; docs/ANALYSIS.md) counts on its own, with no load-up, when this is
  // set. It needs a sample rate of about 49 Hz or more (a floor band above the tremor band).
  bool tremor_alone = true;
  // Opt-in (0: off): a load-up that fails step_noise_k is tried once more with breathing fitted
  // out — the 1 s means of both windows fitted as a level, a step and one sinusoid at 0.1-0.5 Hz —
  // and counts when that step exceeds breath_fit_k times the fit's residual rms. On simulated
  // sessions k = 4 finds 60 % of 2-5 % load-ups instead of 45 %, but the simulator breathes in
  // pure sinusoids and false releases rose slightly at 20 Hz; off until real recordings show it
  // holds (docs/ANALYSIS.md). Costs about 15 ns per sample when on.
  double breath_fit_k = 0;

  // Force only (no ball position: a file without x/y, a rig with fewer than four cells). The
  // same hysteresis and dwell on the load instead of the ball: the load averaged over
  // force_smoothing_s (tremor and most of breathing out) ...
  double force_smoothing_s = 2.0;
  double force_enter_band = 0.06;        // ... stays within this share of where it settled ...
  double force_still_rate_per_s = 0.03;  // ... changing slower than this share per second
                                         // (over 1 s steps), for dwell_s: a hold
  double force_exit_band = 0.25;         // ends when it leaves this share of the hold's level
                                         // (for exit_grace_s), or as above on a load drop
  double force_start_band = 0.03;        // back-dating the start / end: within this share
  double force_end_band = 0.04;

  double protocol_min_s = 30;  // the protocol's hold: 30-90 s or until release
  double protocol_max_s = 90;
  double slow_roll_mm_s = kSlowRoll_mm_s;  // rolling faster than this is not "slowly"
};

// The side being treated (the user's left or right hip). It is the user's: told by the user or
// the protocol step (markSide(), a `side=left` / `side=right` marker in a CSV). Without that, the
// half of the plate the ball sits on is only a guess (a user may lie turned, or put the ball on
// the other half), and says so in side_source.
enum class Side { kUnknown, kLeft, kRight };
const char* sideName(Side s);  // "left", "right", "unknown"
enum class SideSource { kNone, kUser, kPlateGuess };
const char* sideSourceName(SideSource s);  // "user", "plate guess", "none"

struct SideMark {
  double t_s = 0;              // from this time (file time) on ...
  Side side = Side::kUnknown;  // ... the side being treated is this
};

struct Hold {
  double start_s = 0;
  double end_s = 0;
  std::optional<double> release_s;
  std::string release_source;  // "load-up", "load-up+tremor", "tremor", "marker" or empty
  double mean_force_n = 0;
  double peak_force_n = 0;
  bool has_xy = false;
  double x_mm = 0;  // hold centre
  double y_mm = 0;
  // The last side mark up to dwell_s after the start (else the first inside the hold), else the
  // plate half as a guess.
  Side side = Side::kUnknown;
  SideSource side_source = SideSource::kNone;
  double step_fraction = 0;  // load-up at the release (or the largest seen)
  double tremor_ratio = 0;   // post/pre 4-12 Hz tremor rms above the measured noise floor at the
                             // release (0: not measured: under ~49 Hz, or tremor under the floor)
  double cv_before = 0;      // force coefficient of variation before / after the release
  double cv_after = 0;
  double duration_s() const { return end_s - start_s; }
  bool reached_protocol_min = false;   // lasted >= protocol_min_s, or released
  bool exceeded_protocol_max = false;  // lasted > protocol_max_s
  // How steady the ball stayed over the hold's steady part, [start_s + 1 s, end_s - 1 s] (the
  // back-dated ends hold the ball rolling in and out): path, velocity, ranges, rms, 95 % ellipse
  // of the low-passed CoP (hold_steadiness.h, docs/ANALYSIS.md "Steadiness"). currentHold(): the
  // same up to 1 s before the latest sample. None force only (no position: never zeros).
  std::optional<HoldSteadiness> steadiness;
};

struct SessionSummary {
  double start_s = 0;
  double end_s = 0;
  uint64_t samples = 0;
  double sample_rate_hz = 0;
  uint64_t gaps = 0;         // breaks in time longer than 3 sample periods
  double loaded_s = 0;       // time with meaningful load
  double loaded_left_s = 0;  // ... with the ball on the left / right half
  double loaded_right_s = 0;
  double hold_s = 0;
  size_t releases = 0;
  double rolling_s = 0;  // loaded, moving, not in a hold
  double roll_speed_median_mm_s = 0;
  double roll_speed_p90_mm_s = 0;
  double roll_fast_share = 0;  // share of rolling time faster than slow_roll_mm_s
  double peak_force_n = 0;
};

struct SessionAnalysis {
  std::vector<Hold> holds;
  SessionSummary summary;
};

// What the analyser gets. kForceAndPosition: holds are the ball staying at a spot (samples
// without x/y are "ball not placed"). kForceOnly: no sample will ever carry a position; holds are
// sustained steady load (HoldParams force_*), so rolling at a steady load cannot be told from
// holding, and holds carry no centre and no plate side (docs/ANALYSIS.md, "Force only").
enum class AnalyzerInput { kForceAndPosition, kForceOnly };

class SessionAnalyzer {
 public:
  explicit SessionAnalyzer(HoldParams params = {},
                           AnalyzerInput input = AnalyzerInput::kForceAndPosition);
  ~SessionAnalyzer();
  SessionAnalyzer(SessionAnalyzer&&) noexcept;
  SessionAnalyzer& operator=(SessionAnalyzer&&) noexcept;

  // Samples in time order (a sample not later than the previous one is ignored).
  void push(const AnalysisSample& s);
  // The user pressed "released" at t_s (file time): wins over the detector for the hold at t_s.
  void markReleased(double t_s);
  // From t_s on the side being treated is `side` (the user said so, or the protocol step did).
  void markSide(double t_s, Side side);
  // Ends the session: closes an open hold. push() after finish() starts nothing new.
  void finish();

  // Completed holds so far (live view); the open one, if any, via currentHold().
  const std::vector<Hold>& holds() const;
  std::optional<Hold> currentHold() const;
  SessionSummary summary() const;

 private:
  struct Impl;
  Impl* m_impl;
};

// The user's markers in a recording: "released" presses and side marks (a list of released
// times converts, so analyzeSession(samples, {33.0}) reads naturally).
struct SessionMarkers {
  std::vector<double> released_s;
  std::vector<SideMark> sides;
  SessionMarkers() = default;
  SessionMarkers(std::vector<double> released, std::vector<SideMark> side_marks = {})
      : released_s(std::move(released)), sides(std::move(side_marks)) {}
  SessionMarkers(std::initializer_list<double> released) : released_s(released) {}
};

// Offline: the same push loop over a whole recording. The input kind is chosen by the data: a
// recording in which no sample has a position is analysed force only.
SessionAnalysis analyzeSession(const std::vector<AnalysisSample>& samples,
                               const SessionMarkers& markers = {}, const HoldParams& params = {});

}  // namespace rollrig::core

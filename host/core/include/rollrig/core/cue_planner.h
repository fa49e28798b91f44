// CuePlanner: what to tell the person on the ball, and when. Their eyes are on the floor, so the
// moments that matter become cues a front end can sound or speak: the hold confirmed, 30 s reached
// (inside the protocol window), the release detected, 90 s reached (time to move on), rolling too
// fast, the load outside the chosen band, switch sides, a stretch hold done (30 s) and the
// stretch's 60 s per side reached.
//
// Pure and clockless, like ProtocolGuide: each update() gets the session's device time and the
// state the engine and the guide show at that moment; it returns the cues that came due, each
// stamped with that time. A cue fires on the update where its condition first holds (so, fed once
// per sample, exactly on the sample). It never nags: each kind can be switched off, a hold's cues
// fire once per hold, and the two that can repeat (too fast, out of band) wait at least
// `repeat_s` between two of the same kind.
//
// Thread safety: none (one owner).
#pragma once

#include <array>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/protocol_guide.h"
#include "rollrig/core/session_analyzer.h"

namespace rollrig::core {

enum class CueKind {
  kHoldConfirmed,
  kWindowReached,  // the hold reached the protocol window's start (30 s)
  kReleased,
  kMoveOn,  // the hold reached the window's end (90 s)
  kTooFast,
  kOutOfBand,  // the load left the band for longer than the grace time, during a hold
  kSwitchSides,
  kStretchHoldDone,      // a stretch hold reached its longest (30 s)
  kStretchTotalReached,  // the stretch time on this side reached its total (60 s)
};
inline constexpr int kCueKinds = 9;

const char* cueKindName(CueKind kind);  // "hold confirmed", ... (logs)
// The name a user types and gui.json keeps: cueKindName with hyphens ("hold-confirmed"), and back
// (nothing for a name that is no kind's). One table for the GUI's settings and `rollrig record
// --no-cue`.
std::string cueKindKey(CueKind kind);
std::optional<CueKind> cueKindFromKey(const std::string& key);
std::string cueKindKeys();  // every key, in order, ", " between them (for help and errors)

struct Cue {
  CueKind kind = CueKind::kHoldConfirmed;
  double t_s = 0;     // session device time of the update that raised it
  std::string words;  // what a voice says: "thirty seconds", "released", "switch to the left side"
};

// What a user may set (the GUI's settings and `rollrig record`'s options take the same ranges):
// the load band in % of body weight and the "slowly" limit in mm/s.
inline constexpr double kMinBand_pct = 5.0, kMaxBand_pct = 100.0;
inline constexpr double kMinSlowLimit_mm_s = 10.0, kMaxSlowLimit_mm_s = 300.0;

struct CueSettings {
  std::array<bool, kCueKinds> enabled{true, true, true, true, true, true, true, true, true};
  // Rolling "slowly": faster than this (the ball's speed between holds, mm/s) is too fast.
  // The engine sets it to the session's one "slowly" (HoldParams::slow_roll_mm_s).
  double too_fast_mm_s = kSlowRoll_mm_s;
  // The load band, as a fraction of body weight (force-plate studies of roller use: about a third
  // of body weight on average, up to about a half).
  double band_low = 0.20, band_high = 0.50;
  double band_grace_s = 3.0;  // out of the band this long, in a hold, before the cue
  double repeat_s = 10.0;     // the least time between two too-fast or two out-of-band cues
  bool isOn(CueKind k) const { return enabled[static_cast<size_t>(k)]; }
};

// The state at one moment, as the engine's snapshot and the protocol guide show it.
struct CueInput {
  double t_s = 0;
  // The open hold, if any (LiveSnapshot::open_hold).
  bool in_hold = false;
  double hold_start_s = 0;    // identifies the hold
  double hold_elapsed_s = 0;  // from its start to now
  double window_min_s = 30, window_max_s = 90;
  bool hold_released = false;
  // The ball's speed while rolling (not in a hold), mm/s; nothing when unknown (force only).
  std::optional<double> roll_speed_mm_s;
  // The load as a fraction of body weight; nothing when the body mass is not set.
  std::optional<double> load_fraction;
  // The protocol guide's view (nullptr: no guide, no side or stretch cues).
  const ProtocolGuideView* guide = nullptr;
  double stretch_hold_max_s = 30, stretch_total_s = 60;  // the guide's (ProtocolGuideParams)
};

// The ball's rolling speed now: the distance its position (CoP) moved over the last second,
// divided by the time, from the samples with a position. Nothing until a second of positions came,
// or after a sample without one (force only, or the ball lifted off). Memory: one second of
// samples.
class RollSpeedMeter {
 public:
  void add(double t_s, bool has_cop, double x_mm, double y_mm);
  std::optional<double> speed_mm_s() const { return m_speed; }

 private:
  struct Point {
    double t, x, y;
  };
  std::deque<Point> m_points;  // the last second, and the newest point at least a second old
  std::optional<double> m_speed;
};

class CuePlanner {
 public:
  explicit CuePlanner(CueSettings settings = {});
  // The cues that came due at input.t_s (usually none). Time never runs backwards: an earlier t_s
  // is taken as the latest seen.
  std::vector<Cue> update(const CueInput& input);
  const CueSettings& settings() const { return m_settings; }
  void setSettings(const CueSettings& s) { m_settings = s; }

 private:
  void raise(std::vector<Cue>& out, CueKind kind, double t_s, std::string words);

  CueSettings m_settings;
  // The current hold's cues, once each.
  std::optional<double> m_hold_start_s;
  bool m_window_said = false, m_released_said = false, m_move_on_said = false;
  // Repeating cues.
  std::optional<double> m_last_too_fast_s, m_last_out_of_band_s;
  std::optional<double> m_out_of_band_since_s;
  bool m_out_of_band_said = false;  // for the current excursion
  // The guide.
  int m_step = -2;
  bool m_move_on_seen = false;
  int m_stretch_holds_seen = 0;
  bool m_stretch_hold_done_said = false, m_stretch_total_said = false;
};

}  // namespace rollrig::core

// ProtocolGuide: the exercise this rig serves, as a pure state machine the GUI steps through.
//
//   1. right side rolling: find tender spots, hold each 30-90 s or until it releases
//   2. left side rolling:  the same
//   3. right kneeling hip-flexor stretch: holds of 10-30 s, repeated to 60 s in total
//   4. left stretch:       the same
//
// It tracks the current step, the time in it, per-step totals (rolling: holds, and those that
// reached the 30 s window or released; stretch: the stretch time so far toward 60 s and the
// current stretch hold's timer) and the total so far, and raises a gentle "time to move on" cue.
//
// No clock: time arrives as the session's device seconds (LiveSnapshot::elapsed_s or any
// monotonic session time) with every call. The holds come from the engine (closed holds and the
// open one); a step counts the holds that started while it was current. The stretch is off the
// plate, so its holds are timed by the user's key presses (toggleStretchHold at the press's time).
//
// Side marks: when a step starts (the first update(), or next()), its side is queued; the caller
// takes it with takeSideMark() and hands it to the engine (LiveSession::markSide), so the store
// knows which side each hold was on.
//
// Thread safety: none (one owner, the UI thread).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"

namespace rollrig::core {

// The guide's thresholds, in one place. The defaults follow the protocol (docs/GUI.md).
struct ProtocolGuideParams {
  double hold_min_s = 30.0;  // a rolling hold "reached the window" at this length (or released)
  double hold_max_s = 90.0;
  // Rolling: the cue to move on comes after this many holds that reached the window or released
  // (three tender spots worked through), or after this long on the side, whichever is first.
  int rolling_holds_to_move_on = 3;
  double rolling_time_to_move_on_s = 5 * 60.0;
  // Stretch: each hold 10-30 s; the cue comes when the stretch time reaches stretch_total_s.
  double stretch_hold_min_s = 10.0;
  double stretch_hold_max_s = 30.0;
  double stretch_total_s = 60.0;
};

enum class ProtocolStepKind { kRolling, kStretch };

struct ProtocolStepView {
  ProtocolStepKind kind = ProtocolStepKind::kRolling;
  Side side = Side::kRight;
  std::string name;  // "right side rolling", "left hip-flexor stretch", ...
  bool started = false, done = false;
  double start_s = 0;  // session seconds
  double time_s = 0;   // in this step (so far, or in all when done)
  // Rolling.
  int holds = 0;         // holds that started in this step (the open one included)
  int holds_worked = 0;  // ... of which reached hold_min_s or released
  // Stretch.
  int stretch_holds = 0;         // finished stretch holds (and the running one)
  double stretch_total_s = 0;    // all stretch-hold time in this step, the running hold included
  bool stretch_running = false;  // a stretch hold is being timed
  double stretch_current_s = 0;  // the running (or else the last) stretch hold's time
  bool move_on = false;          // the gentle cue
};

struct ProtocolGuideView {
  std::vector<ProtocolStepView> steps;  // always the four steps, in order
  int current = -1;                     // -1 before the first update(); steps.size() when done
  bool finished = false;                // Tab was pressed on the last step
  double total_s = 0;                   // from the first step's start to now (or the finish)
  std::string cue;                      // "" or the move-on cue in words
};

class ProtocolGuide {
 public:
  explicit ProtocolGuide(ProtocolGuideParams params = {});

  // Each frame: the session's time now and the engine's holds (closed so far, and the open one or
  // nullptr). The first call starts step 1. Time never runs backwards: an earlier t_s is taken as
  // the latest seen.
  void update(double t_s, const std::vector<Hold>& closed_holds, const Hold* open_hold);
  // Tab: ends the current step at t_s and starts the next (or finishes after the last). A running
  // stretch hold is stopped and counted.
  void next(double t_s);
  // Space during a stretch step: starts a stretch hold at t_s, or stops the running one. Returns
  // the hold's length when it stopped one, else nothing. Ignored outside a stretch step.
  std::optional<double> toggleStretchHold(double t_s);
  bool inStretchStep() const;

  // The side of a step that started since the last call (for LiveSession::markSide).
  std::optional<Side> takeSideMark();

  const ProtocolGuideView& view() const { return m_view; }
  const ProtocolGuideParams& params() const { return m_params; }

 private:
  void startStep(int index, double t_s);
  void advanceTo(double t_s);  // time in step, stretch totals, the cue

  ProtocolGuideParams m_params;
  ProtocolGuideView m_view;
  double m_now_s = 0;
  double m_stretch_started_s = 0;
  double m_stretch_done_s = 0;  // finished stretch-hold time in the current step
  std::optional<Side> m_side_mark;
};

}  // namespace rollrig::core

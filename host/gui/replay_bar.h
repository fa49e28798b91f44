// Replay bar: across the top of the replay view, in place of the live view's connection bar.
// Back to the sessions, which session this is, play / pause, the speed (1x, 4x, 16x), and a
// scrubber over the whole session with the holds marked on it (coloured by their time to release,
// like the plate view's spots) and the cursor; click or drag it to move the cursor. The holds are
// numbered under the scrubber: click one (or press Shift + its digit, 1-9) to jump to it.
//
// computeReplayBar() is pure (the replay's details and cursor in, words and positions out);
// drawReplayBar() draws it and returns what the user asked for.
#pragma once

#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/session_library.h"

namespace rollrig::gui {

struct ReplayHoldMark {
  float x0 = 0, x1 = 0;  // the hold's span on the scrubber, logical px
  Rgb colour = kNoHoldField;
  std::string label;  // "1", "2", ...
};

struct ReplayBarModel {
  std::string title;     // "Session 12 · Mon 2026-11-02 18:05 · right/left"
  std::string position;  // "12:34 / 25:12"
  bool playing = false;
  double speed = 1;
  Rect track;  // the scrubber's track (logical px), inside the bar
  float cursor_x = 0;
  double duration_s = 0;
  std::vector<ReplayHoldMark> holds;
};

// `r`: the bar's rectangle. The scrubber takes the bar's right part.
ReplayBarModel computeReplayBar(const engine::SessionDetails& d, double duration_s, double cursor_s,
                                bool playing, double speed, const Rect& r, float scale);

// The time under x on the scrubber (clamped to the session).
double replayTimeAt(const ReplayBarModel& m, float x);

struct ReplayBarAction {
  bool back = false;
  bool toggle_play = false;
  double speed = 0;            // > 0: this speed
  double seek_s = -1;          // >= 0: move the cursor here
  int jump_to_hold = -1;       // >= 0: to this hold (0-based)
  bool toggle_export = false;  // open / close the export strip (export_strip.h)
};

ReplayBarAction drawReplayBar(const ReplayBarModel& m, const Rect& r, const Fonts& fonts,
                              SolidFills& fills);

}  // namespace rollrig::gui

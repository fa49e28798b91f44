// Hold panel: what the user reads from the floor, two metres away. A solid field coloured by where
// the open hold stands against the protocol window (amber under 30 s, green in the window, red
// past 90 s; dark with no hold), the hold timer m:ss in a huge font, the window in words, the
// release cue and what triggered it, and the force now against the hold's level.
//
// computeHoldPanel() is pure (it reads the engine's snapshot; no ImGui); drawHoldPanel() draws it.
#pragma once

#include <string>

#include "draw_util.h"
#include "rollrig/engine/live_session.h"
#include "settings.h"
#include "theme.h"

namespace rollrig::gui {

struct HoldPanelModel {
  enum class Phase { kNoHold, kBefore, kInside, kPast } phase = Phase::kNoHold;
  Rgb field = kNoHoldField;
  Rgb text = kLightText;
  std::string timer;               // "0:42" ("" with no hold)
  std::string words;               // "UNDER 30 s", "IN WINDOW 30–90 s", "PAST 90 s", "NO HOLD"
  std::string detail;              // what to do now, or what went wrong (wrapped)
  Rgb detail_colour = kLightText;  // with no hold: kError / kWarning for what went wrong
  bool released = false;
  std::string release_text;  // "RELEASED after 0:38"
  std::string release_how;   // "load-up", "marker", ...
  std::string force_text;    // "312 N now · hold 305 N" (or in % BW)
  // The protocol bar under the timer: 0 .. bar_end_s with the window shaded and a needle at
  // elapsed_s (drawn only with a hold).
  double elapsed_s = 0, window_min_s = 30, window_max_s = 90, bar_end_s = 120;
};

// "m:ss" of whole seconds (negative counts as 0).
std::string formatMinSec(double s);
// "m:ss" under an hour, "h:mm:ss" from an hour on (a session's length or a replay's position).
std::string formatDuration(double s);

// `has_session`: false while nothing is connected (then the panel says how to start). `error`:
// what went wrong, in words (ConnectionBarModel::error): with no hold it is the panel's message,
// large, so that a busy port or a refused device is read from the floor too. `force`: N or % body
// weight (the user's setting). `readout`: the force the "now" figure shows (forceReadout(), a
// steadier mean a few times a second); null: the snapshot's latest sample.
HoldPanelModel computeHoldPanel(const engine::LiveSnapshot& snap, bool has_session = true,
                                const std::string& error = "", const ForceFormat& force = {},
                                const core::ForceSample* readout = nullptr);

void drawHoldPanel(const HoldPanelModel& m, const Rect& r, const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

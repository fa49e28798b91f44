// Coaching gauges: the two things the exercise asks of the person on the ball besides the holds,
// "roll slowly" and "control the pressure", shown so they can be read from the floor, two metres
// away. Each gauge is a big number in its colour (green: as asked; warm: too fast, or out of the
// band), a word that says which, and a chart of the last 10 s with the "slowly" region or the load
// band shaded and a level meter at its right edge ("now").
//
//   rolling speed: the ball's speed while rolling (mm/s) against the "slowly" limit, the share of
//                  the session's rolling that was too fast so far; "holding" in a hold. The
//                  number is the newest tenth of a second's (LiveSnapshot::recent), so it changes
//                  ten times a second rather than every frame.
//   pressure:      the load now in % of body weight against the band (20-50 % by default); with
//                  no body mass it shows newtons and asks for the body mass instead of inventing
//                  a percentage.
//
// computeCoachGauges() is pure (the engine's snapshot and the thresholds in, words, colours and
// chart points out; no ImGui), so the tests check it without a window; drawCoachGauges() only
// draws. The thresholds come from the caller (core::CueSettings: too_fast_mm_s, band_low,
// band_high), the figures from the engine (LiveSnapshot::recent, ::rolling, ::roll_speed_mm_s).
//
// Thread safety: UI thread only (like every panel).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "draw_util.h"
#include "rollrig/core/cue_planner.h"
#include "rollrig/engine/live_session.h"
#include "theme.h"

namespace rollrig::gui {

struct GaugeModel {
  enum class State { kNoData, kGood, kWarn, kIdle };
  State state = State::kNoData;  // kGood: as asked; kWarn: too fast / out of the band;
                                 // kIdle: nothing to judge (holding, off the ball, no body mass)
  std::string title;             // "ROLLING SPEED", "PRESSURE"
  std::string unit;              // "mm/s", "% BW", "N"
  std::string value;             // digits only ("32"); "" when there is nothing to show
  std::string words;             // "slowly", "TOO FAST", "in the band", "holding", ...
  Rgb value_colour = kAxisText;  // the number, the word and the meter
  std::string limit_text;        // "slowly: under 30 mm/s", "band 20–50 % BW"
  std::string footer;            // "too fast 12 % of rolling" (the speed gauge)
  // The chart: values from 0 to scale_max upwards, the band [band_lo, band_hi] shaded (none when
  // !has_band), the meter filled to `now` (nothing: empty).
  double scale_max = 1;
  bool has_band = false;
  double band_lo = 0, band_hi = 0;
  std::optional<double> now;
  // The last 10 s as polylines of (seconds before now, value): a new run after a point without a
  // value (a hold, no position) or a gap in time.
  struct Point {
    double age_s = 0, value = 0;
  };
  std::vector<std::vector<Point>> runs;
};

struct CoachGaugesModel {
  GaugeModel speed, pressure;
};

// `cues`: the limits (too_fast_mm_s, band_low, band_high). `body_mass_kg` <= 0: not set (the
// pressure gauge asks for it). `load_now_n`: the load the pressure gauge's number shows (the
// steadier readout the hold panel shows, forceReadout()); nothing: the snapshot's latest sample.
CoachGaugesModel computeCoachGauges(const engine::LiveSnapshot& snap, const core::CueSettings& cues,
                                    double body_mass_kg,
                                    std::optional<double> load_now_n = std::nullopt);

// The shade of the "slowly" region and of the load band (a solid fill: the screenshot test finds
// it by its exact colour).
inline Rgb gaugeBandColour() {
  return mix(kOk, kBackground, 0.22f);
}

// Draws the two gauges stacked in `r` (the layout's `gauges`), speed on top.
void drawCoachGauges(const CoachGaugesModel& m, const Rect& r, const Fonts& fonts,
                     SolidFills& fills);

// The two gauges' rectangles inside `r` (speed, pressure): for the draw and the tests.
void splitCoachGauges(const Rect& r, float scale, Rect* speed, Rect* pressure);

}  // namespace rollrig::gui

// Force plot: the total force of the last 30 s of device time, drawn with ImDrawList (ImPlot is
// not packaged in Debian). Everything is computed before drawing (computeForcePlot(), pure): the
// axes' ticks and labels, the trace decimated to a min and a max per pixel column (spikes
// survive; the cost follows the plot's width, not the sample rate), the holds' intervals, the
// releases and the user's markers, and the 30 s / 90 s guides of the open hold.
//
// Later (issue 11): the whole session, paused / scrolled / zoomed, with per-level min/max so hours
// zoom out cheaply; the samples are already all kept (SampleStore).
#pragma once

#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/live_session.h"
#include "sample_store.h"

namespace rollrig::gui {

inline constexpr double kPlotWindow_s = 30.0;

struct AxisTick {
  float px = 0;  // x for the time axis, y for the force axis
  std::string label;
};

struct ForcePlotModel {
  Rect area;                      // the data area (inside the labels)
  double t0_s = 0, t1_s = 0;      // session time at the left and right edges
  double f_lo_n = 0, f_hi_n = 0;  // force at the bottom and top edges
  std::vector<AxisTick> time_ticks, force_ticks;
  // The trace: one vertical segment (min to max) per pixel column, joined in order.
  std::vector<ImVec2> trace;
  struct Span {
    float x0, x1;
    bool open;
  };
  std::vector<Span> holds;
  std::vector<float> releases_x;  // release times
  std::vector<float> markers_x;   // the user's markers
  std::vector<float> guides_x;    // 30 s / 90 s into the open hold
  float level_y = -1;             // the open hold's level (-1: none)
  std::string empty_text;         // shown when there is nothing to plot
  std::string note;               // right of the title, e.g. the user's last mark
};

// "Nice" tick spacing (1, 2, 5 x 10^k) for about `target` ticks over `range`.
double niceStep(double range, int target);

ForcePlotModel computeForcePlot(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& fonts,
                                double window_s = kPlotWindow_s);

void drawForcePlot(const ForcePlotModel& m, const Rect& panel, const Fonts& fonts,
                   SolidFills& fills);

}  // namespace rollrig::gui

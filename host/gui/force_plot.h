// Force plot: the total force over the whole session at full resolution, drawn with ImDrawList
// (ImPlot is not packaged in Debian). Everything is computed before drawing (computeForcePlot(),
// pure): the axes' ticks and labels, the trace decimated to a min and a max per pixel column, read
// from the samples' per-level min/max pyramid (core::MinMaxPyramid) so a frame costs O(pixel
// columns) whether the window is 2 s or two hours, and a one-sample spike survives any zoom; the
// holds' intervals, the releases and the user's markers, and the 30 s / 90 s guides of the open
// hold.
//
// The view (PlotView, plain UI state): follow-live by default (the last 30 s), or the whole
// session, or a fixed window the user zoomed (mouse wheel, around the cursor, from 2 s to the
// whole session) or panned (drag) to. F returns to follow-live, P pauses / resumes the view (the
// recording never pauses).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/live_session.h"
#include "sample_store.h"
#include "settings.h"

namespace rollrig::gui {

inline constexpr double kPlotWindow_s = 30.0;  // follow-live's default window
inline constexpr double kPlotMinWindow_s = 2.0;

// What the plot shows. UI thread only.
struct PlotView {
  enum class Mode {
    kFollowLive,  // the last span_s, moving with the newest sample
    kWhole,       // the whole session, growing with it
    kFixed,       // [t1_s - span_s, t1_s]: paused, zoomed or panned by the user
  } mode = Mode::kFollowLive;
  double span_s = kPlotWindow_s;
  double t1_s = 0;  // kFixed: the right edge (session seconds)
  // The force axis: autoscaled (0 to the visible peak + headroom) unless the user scaled it with
  // Shift + wheel; then its top is force_hi_n until A or the "auto" target in the title row. F and
  // P leave it as it is. Not persisted (view state).
  bool force_manual = false;
  double force_hi_n = 0;  // force_manual: the axis's top, N
};

// The window [t0, t1] the view shows when the newest sample is at last_s.
void plotWindow(const PlotView& v, double last_s, double* t0_s, double* t1_s);
// Zooms by `factor` (< 1 in, > 1 out) keeping session time anchor_s under the cursor. Zooming out
// past the whole session shows the whole session; zooming in stops at kPlotMinWindow_s.
void zoomPlot(PlotView& v, double last_s, double anchor_s, double factor);
// Moves the window by dt_s (> 0: later), kept inside the session.
void panPlot(PlotView& v, double last_s, double dt_s);
// Shift + wheel: the force axis's top becomes `shown_hi_n` (what the axis shows now) × factor
// (< 1: zoom in on the force), kept within 1 N .. 100 kN; the axis is manual from then on.
void scaleForceAxis(PlotView& v, double shown_hi_n, double factor);
void autoForceAxis(PlotView& v);               // A, or the "auto" target: autoscale again
void followLive(PlotView& v);                  // F
void togglePause(PlotView& v, double last_s);  // P: freeze the window shown, or follow again

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
  // With the per-cell traces on: each cell's force, decimated the same way (thin, in
  // kCellTrace[i]), and a legend in the title row naming the cells as the plate view does.
  bool cells = false;
  std::array<std::vector<ImVec2>, core::kCellCount> cell_traces;
  struct LegendItem {
    std::string name;
    Rgb colour;
    ImVec2 at;  // the name's top-left; a swatch is drawn left of it
  };
  std::vector<LegendItem> legend;
  struct Span {
    float x0, x1;
    bool open;
  };
  std::vector<Span> holds;
  std::vector<float> releases_x;  // release times
  std::vector<float> markers_x;   // the user's markers
  std::vector<float> guides_x;    // 30 s / 90 s into the open hold
  float level_y = -1;             // the open hold's level (-1: none), drawn right of level_x0
  float level_x0 = 0;
  std::string level_text;  // "hold 305 N" / "hold 44 % BW", at the level line's right end
  std::string empty_text;  // shown when there is nothing to plot
  std::string title;       // the unit and what the window is: "Force in N, last 30 s", …
  std::string note;        // right of the title, e.g. the user's last mark
  // The title row, laid out here: the title's font size (shrunk to fit), and on the right the
  // note, then, while the force axis is manual, "force axis: manual" and a small "auto" target.
  std::string title_short;  // the title when the row is crowded: "N, last 30 s"
  std::string title_shown;  // title or title_short
  float title_px = 0, row_px = 0;
  bool note_shown = false;  // the note waits when the row has no room for it
  ImVec2 title_at, note_at, axis_at;
  bool force_manual = false;
  std::string axis_text;  // "force axis: manual" ("" while autoscaled)
  Rect auto_button;       // the "auto" click target (empty while autoscaled)
};

// "Nice" tick spacing (1, 2, 5 x 10^k) for about `target` ticks over `range`.
double niceStep(double range, int target);

// `unit`: force in N or in % body weight (the user's setting, settings.h): the force axis's ticks
// fall on round values of that unit, and the title, the tick labels and the hold level's label say
// it. `cells`: the four per-cell traces too (the plot_cells setting).
ForcePlotModel computeForcePlot(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& fonts,
                                const PlotView& view = PlotView{},
                                const ForceFormat& unit = ForceFormat{}, bool cells = false);

// Lays out the title row (title, note, the manual axis's words and "auto" target) in the model;
// computeForcePlot() does it, call it again after changing m.note.
void layoutPlotTitleRow(ForcePlotModel& m, const Rect& panel, const Fonts& fonts);

// The mouse over the plot (between NewFrame and Render): the wheel zooms the time axis around the
// cursor, Shift + wheel scales the force axis, dragging pans, a click on "auto" autoscales the
// force axis again. Returns true when the view changed.
bool handlePlotMouse(PlotView& v, const ForcePlotModel& m, double last_s);

void drawForcePlot(const ForcePlotModel& m, const Rect& panel, const Fonts& fonts,
                   SolidFills& fills);

}  // namespace rollrig::gui

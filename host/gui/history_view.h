// History view: "is it getting better week by week?" For every spot on the plate and every side,
// the time to release session by session (the Kaplan-Meier median; a session with no median is
// drawn as "at least N s": an open ring at the lower bound with an arrow up) and the hold force
// (the median of the holds' mean forces, in N or % body weight as the user set), against the
// protocol's 30 s and 90 s lines, on a time axis of weeks with the dates, with the trend per week
// when core has one. Beside it the plate, each spot marked with a small sparkline of its time to
// release; a click on a spot (or a list row) shows that spot's charts large; a side filter.
//
// The figures are core's, exactly those `rollrig history` prints (docs/HISTORY.md):
// engine::historyHolds() reads the library, core::buildHistory() finds the spots and computes
// every median and trend. This file only places them on the screen; it holds no analysis.
//
// HistoryLibrary reads the library (read-only, each refresh); computeHistoryView() is pure (the
// history, the state and the panel in; words, colours and pixel positions out); drawHistoryView()
// draws the model and returns what the user clicked. Thread safety: UI thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/core/history.h"
#include "rollrig/core/plate_geometry.h"
#include "settings.h"

namespace rollrig::gui {

enum class HistorySides { kBoth = 0, kLeft = 1, kRight = 2 };

// [SECTION] Reading the library

// Every hold of the library, read on demand. refresh() opens the library read-only and closes it
// again, so a recording (in this rollrig-gui or another process) keeps writing undisturbed. The
// history for a side filter is built by core::buildHistory() once per refresh and filter (a large
// library takes a noticeable fraction of a second: never once per frame).
class HistoryLibrary {
 public:
  explicit HistoryLibrary(std::string db_path) : m_path(std::move(db_path)) {}
  void refresh();
  const std::string& path() const { return m_path; }
  // "" when the holds were read; else what went wrong and what to do (the last history read, if
  // any, stays).
  const std::string& error() const { return m_error; }
  bool missing() const { return m_missing; }  // no library file at path() (not an error)
  bool loaded() const { return m_loaded; }
  const core::History& history(HistorySides sides);

 private:
  std::string m_path;
  std::vector<core::HistoryHold> m_holds;
  std::string m_error;
  bool m_missing = false;
  bool m_loaded = false;
  bool m_built = false;
  HistorySides m_built_for = HistorySides::kBoth;
  core::History m_history;
};

// [SECTION] The view's state (UI thread)

struct HistoryViewState {
  int sides = 0;  // HistorySides (an int for ImGui's radio buttons)
  // The spot and side shown large. A spot is identified by its centre (spot numbers can change as
  // sessions arrive); the nearest spot within a spot's reach, on the same side, stays selected.
  bool has_selection = false;
  bool sel_placed = true;  // false: the holds without a position
  double sel_x_mm = 0, sel_y_mm = 0;
  core::Side sel_side = core::Side::kUnknown;
  bool refresh_asked = true;  // read the library again before the next frame
};

// [SECTION] The model

struct HistoryTick {
  float px = 0;                 // x on the time axis, y on a value axis
  std::string label, sublabel;  // "2 Oct", "week 0"; value axes: "60", ""
};

// A session's point on the charts.
struct HistoryPoint {
  int64_t session_id = 0;
  double weeks = 0;
  bool has_median = false;  // false: "at least at_least_s" (an open ring and an arrow up)
  double release_s = 0;     // the median, or the lower bound
  double force = 0;         // median hold force, in the user's unit
  ImVec2 release_at, force_at;
  std::string tooltip;  // "Session 4 · Wed 14 Oct 20:43 · 1 hold, none released ..."
};

// A small chart of time to release over the sessions (on the plate and in the list). Points are
// in 0..1 of its box (x: the history's weeks, the same for every spot; y up: 0 s to the longest
// time of the history), so one spot's line can be compared with another's at a glance.
struct Sparkline {
  std::vector<ImVec2> line;  // through the sessions with a median, in order
  struct Dot {
    ImVec2 at;
    bool censored = false;  // no median: at the lower bound, drawn open
  };
  std::vector<Dot> dots;
  Rgb colour;
};

// One spot on one side: a row of the list, and what the large charts show when selected.
struct HistoryEntry {
  int spot_id = 0;  // 0: the holds without a position
  bool placed = true;
  double x_mm = 0, y_mm = 0;
  core::Side side = core::Side::kUnknown;
  Rgb colour;             // the side's colour (theme.h kHistoryLeft / kHistoryRight)
  std::string spot;       // "1", or "no position"
  std::string side_name;  // "right"
  std::string sessions;   // "12"
  std::string released;   // "7 of 12"
  std::string trend;      // "-8.9 s/wk", "too few" (sessions), "no trend"
  Rgb trend_colour = kAxisText;
  size_t session_count = 0;
  const core::SideHistory* history = nullptr;  // into the History the model was computed from
  Sparkline spark;                             // drawn in the list's row
};

struct HistoryChartModel {
  bool shown = false;
  Rect area;             // the chart's panel
  std::string title;     // "Spot 1 · right"
  std::string subtitle;  // "at (124, 64) mm · 12 sessions · 7 of 12 holds released"
  ImVec2 title_at, subtitle_at;
  float title_px = 0, subtitle_px = 0;
  Rgb colour;  // the side's
  // The two plots share the time axis (weeks since the history's first session, with dates).
  Rect release_plot, force_plot;
  std::vector<HistoryTick> week_ticks, release_ticks, force_ticks;
  std::string release_caption;  // "time to release (s)"
  std::string force_caption;    // "hold force (N)"
  std::string axis_caption;     // "weeks since Fri 2 Oct 2026"
  ImVec2 release_caption_at, force_caption_at, axis_caption_at;
  float caption_px = 0, tick_px = 0;
  // The protocol's window: a shaded band between the 30 s and 90 s lines (when in range).
  float y30 = 0, y90 = 0;
  bool show30 = false, show90 = false;
  std::vector<HistoryPoint> points;  // in session order (sessions with a date only)
  std::vector<ImVec2> release_line;  // through the medians
  std::vector<ImVec2> force_line;
  // The trends (core's slopes, drawn through the mean of the points they rest on).
  bool has_release_trend = false, has_force_trend = false;
  ImVec2 release_trend_a, release_trend_b, force_trend_a, force_trend_b;
  std::string release_trend;  // "trend −8.9 s/week (n=7): releasing sooner"
  Rgb release_trend_colour = kAxisText;
  std::string force_trend;  // "trend +11.6 N/week (n=12)"
  ImVec2 release_trend_at, force_trend_at;
  // Said plainly instead of a trend: "2 sessions at this spot: too little to see a trend".
  std::string too_few;
  ImVec2 too_few_at;
  float too_few_px = 0;
  std::string undated;  // "1 session without a readable start is not drawn"
  ImVec2 undated_at;
};

struct HistoryViewModel {
  std::string summary;  // "12 sessions · 62 holds · 6 spots (a spot: holds within 15 mm)"
  std::string error;    // red: the library could not be read (and what to do)
  std::string empty;    // no holds: what to do
  Rect top, plate_panel, list, chart_panel;  // the regions of the body
  // The plate, to scale (plate_view.h's platePoint), with its spots.
  Rect plate;
  float px_per_mm = 0;
  ImVec2 plate_title_at;
  struct SpotMark {
    int spot_id = 0;
    ImVec2 at;
    float radius = 0;
    std::string label;  // "1"
    bool selected = false;
    size_t first_entry = 0;  // the entry a click selects
    // Beside the spot on the plate, one line per side shown; no box (has_box false) where there
    // was no room that left every other spot and sparkline clear.
    bool has_box = false;
    Rect box;
    std::vector<Sparkline> sides;
  };
  std::vector<SpotMark> spots;
  std::vector<HistoryEntry> entries;  // spots by number, then the holds without a position
  int selected = -1;                  // into entries
  HistoryChartModel chart;
  std::string keys = "keys: \u2191 / \u2193 spot \u00b7 B / L / R both sides, left, right";
  ImVec2 keys_at;  // bottom right of the chart panel, beside the time axis's caption
  float keys_px = 0;
};

// The history's entries and the chart of the selected one, laid out in `body`. `state`'s selection
// is resolved against the history (the first entry when there is none). `error`: the library's
// (HistoryLibrary::error()); `missing_path`: the library's path when there is no file there yet.
HistoryViewModel computeHistoryView(const core::History& h, const HistoryViewState& state,
                                    const ForceFormat& force, const Rect& body, const Fonts& fonts,
                                    const std::string& error = "",
                                    const std::string& missing_path = "",
                                    const core::PlateGeometry& geometry = {});

// The 1-line form of a session's date for the time axis and tooltips, in local time: "2 Oct",
// "Fri 2 Oct 2026"; "" if the time cannot be converted.
std::string historyDate(double utc_s, bool long_form);

// [SECTION] Input and drawing

struct HistoryViewAction {
  int select_entry = -1;  // into the model's entries
  int sides = -1;         // a new side filter (HistorySides), or -1
  bool refresh = false;
  bool any() const { return select_entry >= 0 || sides >= 0 || refresh; }
};

// Keys (GLFW key codes): up / down the previous / next entry, B / L / R the side filter.
struct HistoryKeys {
  int step = 0;    // -1 up, +1 down
  int sides = -1;  // HistorySides picked, or -1
};
HistoryKeys readHistoryKeys();
// What the keys ask, against the model (the entry up or down from the selected one).
HistoryViewAction historyKeyAction(const HistoryViewModel& m, const HistoryKeys& k);

// Applies an action to the state (a selection becomes the entry's centre and side; a refresh sets
// refresh_asked).
void applyHistoryAction(const HistoryViewModel& m, const HistoryViewAction& a,
                        HistoryViewState& state);

HistoryViewAction drawHistoryView(const HistoryViewModel& m, HistoryViewState& state,
                                  const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

// The window's layout: where each panel goes, computed from the window size before anything is
// drawn (pure: no ImGui, so the tests can check it).
//
//   +----------------------------- view tabs ------------------------------+
//   +--------------------------- connection bar ---------------------------+
//   | hold panel (big timer)                    | protocol panel (the steps) |
//   +-------------------------------------------+----------------------------+
//   | force plot (last 30 s)     | speed gauge  | plate view                 |
//   |                            | pressure g.  |                            |
//   +-------------------------------------------+----------------------------+
//
// The coaching gauges (coach_gauges.h) take the right part of the plot's row: the hold timer and
// the plate keep their room, and the plot, read up close, gives some.
//
// The replay (computeReplayLayout) is the same with the replay bar in place of the connection bar
// and the session's holds table in place of the protocol panel; the other views get `body`, all
// below the tabs.
#pragma once

namespace rollrig::gui {

struct Rect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // logical px, y down
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
};

struct Layout {
  Rect tabs;  // the view tabs (view_tabs.h)
  Rect body;  // everything below the tabs
  Rect connection_bar, hold, plot, plate, protocol;
  Rect gauges;  // the speed and pressure gauges, stacked (coach_gauges.h)
};

// `scale`: the monitor's content scale (1 on a plain screen, 2 on HiDPI).
Layout computeLayout(float width_px, float height_px, float scale);

struct ReplayLayout {
  Rect tabs, bar, export_strip, hold, holds_table, plot, plate;  // export_strip: empty when closed
};
// `export_open`: the export strip sits under the bar and the panels below move down.
ReplayLayout computeReplayLayout(float width_px, float height_px, float scale,
                                 bool export_open = false);

}  // namespace rollrig::gui

// The window's layout: where each panel goes, computed from the window size before anything is
// drawn (pure: no ImGui, so the tests can check it).
//
//   +--------------------------- connection bar ---------------------------+
//   | hold panel (big timer)                    | protocol panel (the steps) |
//   +-------------------------------------------+----------------------------+
//   | force plot (last 30 s)                    | plate view                 |
//   +-------------------------------------------+----------------------------+
#pragma once

namespace rollrig::gui {

struct Rect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // logical px, y down
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
};

struct Layout {
  Rect connection_bar, hold, plot, plate, protocol;
};

// `scale`: the monitor's content scale (1 on a plain screen, 2 on HiDPI).
Layout computeLayout(float width_px, float height_px, float scale);

}  // namespace rollrig::gui

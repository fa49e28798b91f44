#include "layout.h"

#include <algorithm>

#include "theme.h"

namespace rollrig::gui {

Layout computeLayout(float w, float h, float scale) {
  Layout l;
  const float tabs = kViewTabs_px * scale;
  const float bar = kConnectionBar_px * scale;
  const float gap = 6.0f * scale;
  l.tabs = {0, 0, w, tabs};
  l.body = {0, tabs, w, h};
  l.connection_bar = {0, tabs, w, tabs + bar};
  // The plate column: a third of the width, at least what its labels need.
  const float right_w = std::clamp(w * 0.34f, 260.0f * scale, w * 0.5f);
  const float left_x1 = w - right_w - gap;
  const float top = tabs + bar + gap;
  // The hold panel gets what the huge timer needs, the plot the rest (at least a third).
  const float hold_h = std::min((kFontHuge_px + 130.0f) * scale, (h - top) * 0.6f);
  l.hold = {gap, top, left_x1, top + hold_h};
  l.plot = {gap, top + hold_h + gap, left_x1, h - gap};
  // The right column: the protocol guide on top (what its rows need), the plate below.
  const float protocol_h = std::min(290.0f * scale, (h - top) * 0.5f);
  l.protocol = {left_x1 + gap, top, w - gap, top + protocol_h};
  l.plate = {left_x1 + gap, top + protocol_h + gap, w - gap, h - gap};
  return l;
}

ReplayLayout computeReplayLayout(float w, float h, float scale) {
  const Layout live = computeLayout(w, h, scale);
  ReplayLayout r;
  const float extra = (kReplayBar_px - kConnectionBar_px) * scale;  // the bar is taller
  r.tabs = live.tabs;
  r.bar = {live.connection_bar.x0, live.connection_bar.y0, live.connection_bar.x1,
           live.connection_bar.y1 + extra};
  r.hold = {live.hold.x0, live.hold.y0 + extra, live.hold.x1, live.hold.y1 + extra};
  r.plot = {live.plot.x0, live.plot.y0 + extra, live.plot.x1, live.plot.y1};
  r.holds_table = {live.protocol.x0, live.protocol.y0 + extra, live.protocol.x1,
                   live.protocol.y1 + extra};
  r.plate = {live.plate.x0, live.plate.y0 + extra, live.plate.x1, live.plate.y1};
  return r;
}

}  // namespace rollrig::gui

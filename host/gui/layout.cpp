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
  // The plot's row gives its right part to the gauges: about two fifths, within what the gauges'
  // numbers need and what the plot can spare.
  const float row_w = left_x1 - gap;
  const float gauges_w =
      std::clamp(row_w * 0.42f, std::min(270.0f * scale, row_w * 0.45f), 460.0f * scale);
  l.plot = {gap, top + hold_h + gap, left_x1 - gauges_w - gap, h - gap};
  l.gauges = {left_x1 - gauges_w, top + hold_h + gap, left_x1, h - gap};
  // The right column: the protocol guide on top (what its rows need), the plate below.
  const float protocol_h = std::min(290.0f * scale, (h - top) * 0.5f);
  l.protocol = {left_x1 + gap, top, w - gap, top + protocol_h};
  l.plate = {left_x1 + gap, top + protocol_h + gap, w - gap, h - gap};
  return l;
}

ReplayLayout computeReplayLayout(float w, float h, float scale, bool export_open) {
  // As the live layout, with a taller bar and a wider right column: the holds table needs the
  // room, and nobody reads a replay from the floor, so the hold panel can give some up.
  ReplayLayout r;
  const float tabs = kViewTabs_px * scale;
  const float bar = kReplayBar_px * scale;
  const float gap = 6.0f * scale;
  r.tabs = {0, 0, w, tabs};
  r.bar = {0, tabs, w, tabs + bar};
  const float right_w = std::clamp(w * 0.42f, 300.0f * scale, w * 0.55f);
  const float left_x1 = w - right_w - gap;
  float top = tabs + bar + gap;
  if (export_open) {
    const float strip = kExportStrip_px * scale;
    r.export_strip = {0, tabs + bar, w, tabs + bar + strip};
    top += strip;
  }
  const float hold_h = std::min((kFontHuge_px + 130.0f) * scale, (h - top) * 0.55f);
  r.hold = {gap, top, left_x1, top + hold_h};
  r.plot = {gap, top + hold_h + gap, left_x1, h - gap};
  const float table_h = (h - top) * 0.5f;
  r.holds_table = {left_x1 + gap, top, w - gap, top + table_h};
  r.plate = {left_x1 + gap, top + table_h + gap, w - gap, h - gap};
  return r;
}

}  // namespace rollrig::gui

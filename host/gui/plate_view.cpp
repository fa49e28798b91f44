#include "plate_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rollrig::gui {

Rgb holdSpotColour(const core::Hold& h, double protocol_min_s, double protocol_max_s) {
  if (!h.release_s) return kPlateEdge;
  const double to_release_s = *h.release_s - h.start_s;
  return to_release_s < protocol_min_s    ? kReleaseMark
         : to_release_s <= protocol_max_s ? kInWindowField
                                          : kPastWindowField;
}

ImVec2 platePoint(const Rect& plate, float px_per_mm, double x_mm, double y_mm) {
  const float cx = (plate.x0 + plate.x1) * 0.5f, cy = (plate.y0 + plate.y1) * 0.5f;
  return ImVec2(cx + static_cast<float>(x_mm) * px_per_mm,
                cy - static_cast<float>(y_mm) * px_per_mm);
}

PlateViewModel computePlateView(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& f, const core::PlateGeometry& g) {
  PlateViewModel m;
  const float s = f.scale;
  // From the top: the title; the front cells' labels; the plate; the rear cells' labels; the
  // total; the keys (left out in a short panel: the plate needs the room more).
  const bool short_panel = panel.height() < 330 * s;
  const float label_px = std::min(f.large_px, std::max(f.normal_px * 1.2f, panel.height() * 0.11f));
  const float label_row = label_px * 1.2f;
  const float top = panel.y0 + f.normal_px * 1.5f + label_row;
  const float bottom =
      panel.y1 - f.large_px * 1.4f - (short_panel ? 0.0f : f.normal_px * 1.5f) - label_row;
  const float margin = 8 * s;
  const float avail_w = panel.width() - 4 * margin, avail_h = bottom - top - 2 * margin;
  m.px_per_mm = std::max(0.01f, std::min(avail_w / static_cast<float>(g.width_mm),
                                         avail_h / static_cast<float>(g.length_mm)));
  const float pw = static_cast<float>(g.width_mm) * m.px_per_mm;
  const float ph = static_cast<float>(g.length_mm) * m.px_per_mm;
  const float cx = (panel.x0 + panel.x1) * 0.5f, cy = (top + bottom) * 0.5f;
  m.plate = {cx - pw * 0.5f, cy - ph * 0.5f, cx + pw * 0.5f, cy + ph * 0.5f};

  // The ball is where the latest sample puts it; the figures (and the cells' fills) are the
  // steadier readout, a mean updated four times a second (forceReadout()).
  const core::ForceSample& fs = snap.last_force;
  const std::optional<core::ForceSample> readout = forceReadout(samples, liveEdge_s(samples, snap));
  const core::ForceSample& shown = readout ? *readout : fs;
  const bool live =
      snap.samples_recorded > 0 && snap.state != engine::ConnectionState::kReconnecting;
  double total_abs = 0;
  for (int i = 0; i < core::kCellCount; ++i) total_abs += std::abs(shown.force_n[i]);
  for (int i = 0; i < core::kCellCount; ++i) {
    PlateViewModel::Cell& c = m.cells[i];
    c.centre = platePoint(m.plate, m.px_per_mm, g.cells[i].x_mm, g.cells[i].y_mm);
    c.name = kCellNames[i];
    c.load_n = live ? static_cast<float>(shown.force_n[i]) : 0.0f;
    c.share = live && total_abs > 1.0
                  ? static_cast<float>(std::clamp(shown.force_n[i] / total_abs, 0.0, 1.0))
                  : 0.0f;
    char b[32];
    std::snprintf(b, sizeof(b), "%.0f N", live ? std::round(shown.force_n[i]) + 0.0 : 0.0);
    c.label = live ? b : "\u2013";
  }
  if (live && fs.has_cop) {
    m.has_ball = true;
    m.ball = platePoint(m.plate, m.px_per_mm, fs.x_mm, fs.y_mm);
    const double edge_s = liveEdge_s(samples, snap);
    const size_t i0 = samples.lowerBound(edge_s - kBallTrail_s);
    const size_t i1 = samples.lowerBound(std::nextafter(edge_s, 1e300));
    for (size_t i = i0; i < i1; ++i)
      if (samples.hasCop()[i])
        m.trail.push_back(platePoint(m.plate, m.px_per_mm, samples.x_mm()[i], samples.y_mm()[i]));
  }
  for (const core::Hold& h : snap.holds)
    if (h.has_xy)
      m.hold_spots.push_back({platePoint(m.plate, m.px_per_mm, h.x_mm, h.y_mm), holdSpotColour(h),
                              h.release_s.has_value()});
  char b[48];
  std::snprintf(b, sizeof(b), "total %.0f N", live ? shown.total_n : 0.0);
  m.total_text = b;

  // The cells' squares and labels: a label (name, then load) above the plate for a front cell,
  // below it for a rear one, at its cell's side, each at most half the panel's width, so the four
  // never touch whatever the panel's size.
  const float half = std::max(10.0f * s, 28.0f * m.px_per_mm);
  const float gap = 8 * s;
  const float max_w = panel.width() * 0.5f - margin - gap;
  float name_px = f.normal_px;
  // Sized for the widest load it may show ("-000 N"), so the size does not jump with the load.
  float lpx = label_px;
  name_px = std::min(name_px, lpx);
  for (int i = 0; i < core::kCellCount; ++i) {
    const float w =
        textSize(f.normal, name_px, m.cells[i].name).x + gap * 0.5f +
        std::max(textSize(f.large, lpx, m.cells[i].label).x, textSize(f.large, lpx, "-000 N").x);
    if (w > max_w && w > 0) lpx *= max_w / w, name_px *= max_w / w;
  }
  const float mid_x = (m.plate.x0 + m.plate.x1) * 0.5f, mid_y = (m.plate.y0 + m.plate.y1) * 0.5f;
  for (PlateViewModel::Cell& c : m.cells) {
    c.square = {c.centre.x - half, c.centre.y - half, c.centre.x + half, c.centre.y + half};
    c.name_px = name_px, c.label_px = lpx;
    const ImVec2 nsz = textSize(f.normal, name_px, c.name);
    const ImVec2 lsz = textSize(f.large, lpx, c.label);
    const float w = nsz.x + gap * 0.5f + lsz.x, h = std::max(nsz.y, lsz.y);
    // Left cells: from the plate's left edge (further left only if it needs the room).
    const float x0 = c.centre.x < mid_x
                         ? std::max(panel.x0 + margin, std::min(m.plate.x0, mid_x - gap - w))
                         : std::min(panel.x1 - margin, std::max(m.plate.x1, mid_x + gap + w)) - w;
    const float y0 = c.centre.y < mid_y ? m.plate.y0 - 4 * s - h : m.plate.y1 + 4 * s;
    c.box = {x0, y0, x0 + w, y0 + h};
    c.name_at = ImVec2(x0, y0 + (h - nsz.y) * 0.5f);
    c.label_at = ImVec2(x0 + nsz.x + gap * 0.5f, y0 + (h - lsz.y) * 0.5f);
  }
  m.title_at = ImVec2(panel.x0 + 10 * s, panel.y0 + 4 * s);
  m.total_px = fitPx(f.large, f.large_px, m.total_text, panel.width() - 12 * s);
  const ImVec2 tsz = textSize(f.large, m.total_px, m.total_text);
  m.total_at = ImVec2((panel.x0 + panel.x1 - tsz.x) * 0.5f,
                      panel.y1 - f.large_px * 1.3f - (short_panel ? 0.0f : f.normal_px * 1.5f));
  if (short_panel) m.keys.clear();
  m.keys_px = fitPx(f.normal, f.normal_px, m.keys, panel.width() - 12 * s);
  const ImVec2 ksz = textSize(f.normal, m.keys_px, m.keys);
  m.keys_at = ImVec2((panel.x0 + panel.x1 - ksz.x) * 0.5f, panel.y1 - f.normal_px * 1.4f);
  return m;
}

void drawPlateView(const PlateViewModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  if (!beginPanel("##plate", r, false)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  fills.push_back({r, kPanel});
  text(dl, f.normal, f.normal_px, m.title_at, kAxisText, "Plate (head \u2191)");
  const Rect& p = m.plate;
  fills.push_back({p, kPlate});
  dl->AddRect(ImVec2(p.x0, p.y0), ImVec2(p.x1, p.y1), col(kPlateEdge), 6 * s, 0, 2 * s);
  // Cells: a square per cell filled from the bottom by its share of the load; its name (in its
  // trace colour) and load beside it, toward the plate's middle.
  for (const PlateViewModel::Cell& c : m.cells) {
    const ImVec2 a(c.square.x0, c.square.y0), b(c.square.x1, c.square.y1);
    dl->AddRectFilled(a, b, col(kBackground));
    dl->AddRectFilled(ImVec2(a.x, b.y - (b.y - a.y) * c.share), b, col(kCellFill));
    dl->AddRect(a, b, col(kPlateEdge), 0, 0, 1.5f * s);
  }
  for (const PlateViewModel::Spot& h : m.hold_spots) {
    if (h.released) dl->AddCircleFilled(h.at, 10 * s, col(h.colour));
    dl->AddCircle(h.at, 10 * s, col(h.released ? kLightText : h.colour), 0, 2.5f * s);
  }
  const size_t n = m.trail.size();
  for (size_t i = 1; i < n; ++i)
    dl->AddLine(m.trail[i - 1], m.trail[i], col(kBall, 0.15f + 0.6f * i / n), 3 * s);
  if (m.has_ball) {
    dl->AddCircleFilled(m.ball, 16 * s, col(kBall));
    dl->AddCircle(m.ball, 16 * s, col(kLightText), 0, 2 * s);
  }
  // The labels over the trail and the ball, so they stay readable.
  for (int i = 0; i < core::kCellCount; ++i) {
    const PlateViewModel::Cell& c = m.cells[i];
    text(dl, f.normal, c.name_px, c.name_at, kCellTrace[i], c.name);
    text(dl, f.large, c.label_px, c.label_at, kLightText, c.label);
  }
  text(dl, f.large, m.total_px, m.total_at, kLightText, m.total_text);
  if (!m.keys.empty()) text(dl, f.normal, m.keys_px, m.keys_at, kAxisText, m.keys);
  endPanel();
}

}  // namespace rollrig::gui

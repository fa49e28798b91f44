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
  const float top = panel.y0 + f.normal_px * 1.8f;
  const float bottom = panel.y1 - f.large_px * 1.6f - f.normal_px * 1.5f;
  const float margin = 16 * s;
  const float avail_w = panel.width() - 2 * margin, avail_h = bottom - top - 2 * margin;
  m.px_per_mm = std::max(0.01f, std::min(avail_w / static_cast<float>(g.width_mm),
                                         avail_h / static_cast<float>(g.length_mm)));
  const float pw = static_cast<float>(g.width_mm) * m.px_per_mm;
  const float ph = static_cast<float>(g.length_mm) * m.px_per_mm;
  const float cx = (panel.x0 + panel.x1) * 0.5f, cy = (top + bottom) * 0.5f;
  m.plate = {cx - pw * 0.5f, cy - ph * 0.5f, cx + pw * 0.5f, cy + ph * 0.5f};

  const core::ForceSample& fs = snap.last_force;
  const bool live =
      snap.samples_recorded > 0 && snap.state != engine::ConnectionState::kReconnecting;
  double total_abs = 0;
  for (int i = 0; i < core::kCellCount; ++i) total_abs += std::abs(fs.force_n[i]);
  for (int i = 0; i < core::kCellCount; ++i) {
    PlateViewModel::Cell& c = m.cells[i];
    c.centre = platePoint(m.plate, m.px_per_mm, g.cells[i].x_mm, g.cells[i].y_mm);
    c.name = kCellNames[i];
    c.load_n = live ? static_cast<float>(fs.force_n[i]) : 0.0f;
    c.share = live && total_abs > 1.0
                  ? static_cast<float>(std::clamp(fs.force_n[i] / total_abs, 0.0, 1.0))
                  : 0.0f;
    char b[32];
    std::snprintf(b, sizeof(b), "%.0f N", live ? std::round(fs.force_n[i]) + 0.0 : 0.0);
    c.label = live ? b : "\u2013";
  }
  if (live && fs.has_cop) {
    m.has_ball = true;
    m.ball = platePoint(m.plate, m.px_per_mm, fs.x_mm, fs.y_mm);
    const size_t i0 = samples.lowerBound(samples.lastTime_s() - kBallTrail_s);
    for (size_t i = i0; i < samples.size(); ++i)
      if (samples.hasCop()[i])
        m.trail.push_back(platePoint(m.plate, m.px_per_mm, samples.x_mm()[i], samples.y_mm()[i]));
  }
  for (const core::Hold& h : snap.holds)
    if (h.has_xy)
      m.hold_spots.push_back({platePoint(m.plate, m.px_per_mm, h.x_mm, h.y_mm), holdSpotColour(h),
                              h.release_s.has_value()});
  char b[48];
  std::snprintf(b, sizeof(b), "total %.0f N", live ? fs.total_n : 0.0);
  m.total_text = b;
  return m;
}

void drawPlateView(const PlateViewModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  if (!beginPanel("##plate", r, false)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  fills.push_back({r, kPanel});
  text(dl, f.normal, f.normal_px, ImVec2(r.x0 + 10 * s, r.y0 + 4 * s), kAxisText,
       "Plate (head \u2191)");
  const Rect& p = m.plate;
  fills.push_back({p, kPlate});
  dl->AddRect(ImVec2(p.x0, p.y0), ImVec2(p.x1, p.y1), col(kPlateEdge), 6 * s, 0, 2 * s);
  // Cells: a square per cell filled from the bottom by its share of the load; the load beside it,
  // toward the plate's centre.
  const float half = std::max(12.0f * s, 28.0f * m.px_per_mm);
  const float mid_x = (p.x0 + p.x1) * 0.5f;
  for (const PlateViewModel::Cell& c : m.cells) {
    const ImVec2 a(c.centre.x - half, c.centre.y - half), b(c.centre.x + half, c.centre.y + half);
    dl->AddRectFilled(a, b, col(kBackground));
    dl->AddRectFilled(ImVec2(a.x, b.y - 2 * half * c.share), b, col(kCellFill));
    dl->AddRect(a, b, col(kPlateEdge), 0, 0, 1.5f * s);
    const ImVec2 sz = textSize(f.large, f.large_px, c.label);
    const float lx = c.centre.x < mid_x ? b.x + 8 * s : a.x - 8 * s - sz.x;
    text(dl, f.large, f.large_px, ImVec2(lx, c.centre.y - sz.y * 0.5f), kLightText, c.label);
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
  textCentered(dl, f.large, f.large_px, r.x0, r.x1, r.y1 - f.large_px * 1.35f - f.normal_px * 1.5f,
               kLightText, m.total_text);
  const std::string keys = "keys: space released \u00b7 0\u20139 pain \u00b7 L / R side";
  const float keys_px = fitPx(f.normal, f.normal_px, keys, r.width() - 12 * s);
  textCentered(dl, f.normal, keys_px, r.x0, r.x1, r.y1 - f.normal_px * 1.4f, kAxisText, keys);
  endPanel();
}

}  // namespace rollrig::gui

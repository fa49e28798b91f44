#include "force_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rollrig::gui {

double niceStep(double range, int target) {
  if (!(range > 0) || target < 1) return 1.0;
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

namespace {

std::string timeLabel(double t_s) {
  const long s = static_cast<long>(std::llround(t_s));
  char b[32];
  if (s >= 3600)
    std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(b, sizeof(b), "%ld:%02ld", s / 60, s % 60);
  return b;
}

}  // namespace

ForcePlotModel computeForcePlot(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& f, double window_s) {
  ForcePlotModel m;
  const float s = f.scale;
  const float label_w = textSize(f.normal, f.normal_px, "0000 N").x + 10 * s;
  m.area = {panel.x0 + label_w, panel.y0 + f.normal_px * 1.6f, panel.x1 - 14 * s,
            panel.y1 - f.normal_px * 1.6f};
  const float w = std::max(1.0f, m.area.width()), h = std::max(1.0f, m.area.height());
  if (samples.empty()) {
    m.empty_text = "the force plot starts with the first sample";
    return m;
  }
  // The window: follows the latest sample; the first 30 s of a session fill from the left.
  m.t1_s = std::max(samples.lastTime_s(), window_s);
  m.t0_s = m.t1_s - window_s;
  const size_t i0 = samples.lowerBound(m.t0_s);
  const size_t n = samples.size();
  const auto& t = samples.time_s();
  const auto& fn = samples.total_n();

  // Autoscale: 0 to a nice value above the window's peak (at least 50 N), below 0 only if needed.
  float lo = 0, hi = 50;
  for (size_t i = i0; i < n; ++i) lo = std::min(lo, fn[i]), hi = std::max(hi, fn[i]);
  const double fstep = niceStep((hi - lo) * 1.1, 5);
  m.f_lo_n = lo < 0 ? std::floor(lo / fstep) * fstep : 0.0;
  m.f_hi_n = std::ceil(hi * 1.05 / fstep) * fstep;
  const auto xOf = [&](double t_s) {
    return m.area.x0 + static_cast<float>((t_s - m.t0_s) / window_s) * w;
  };
  const auto yOf = [&](double f_n) {
    return m.area.y1 - static_cast<float>((f_n - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * h;
  };

  // Ticks in device time (session m:ss), and force in N.
  const double tstep = niceStep(window_s, 6);
  for (double tt = std::ceil(m.t0_s / tstep) * tstep; tt <= m.t1_s + 1e-9; tt += tstep)
    if (tt >= 0) m.time_ticks.push_back({xOf(tt), timeLabel(tt)});
  for (double ff = m.f_lo_n; ff <= m.f_hi_n + 1e-9; ff += fstep) {
    char b[32];
    std::snprintf(b, sizeof(b), "%.0f N", ff);
    m.force_ticks.push_back({yOf(ff), b});
  }

  // Min/max per pixel column.
  const int cols = static_cast<int>(std::ceil(w));
  m.trace.reserve(2 * static_cast<size_t>(cols));
  size_t i = i0;
  while (i < n) {
    const int c = std::clamp(static_cast<int>((t[i] - m.t0_s) / window_s * w), 0, cols - 1);
    float cmin = fn[i], cmax = fn[i], first = fn[i], last = fn[i];
    size_t j = i + 1;
    for (; j < n; ++j) {
      const int cj = std::clamp(static_cast<int>((t[j] - m.t0_s) / window_s * w), 0, cols - 1);
      if (cj != c) break;
      cmin = std::min(cmin, fn[j]), cmax = std::max(cmax, fn[j]), last = fn[j];
    }
    const float x = m.area.x0 + c + 0.5f;
    // Enter at the column's first value's side, leave at its last, so the line stays continuous.
    const bool rising = last >= first;
    m.trace.push_back(ImVec2(x, yOf(rising ? cmin : cmax)));
    if (cmax != cmin) m.trace.push_back(ImVec2(x, yOf(rising ? cmax : cmin)));
    i = j;
  }

  // Holds, releases and markers in the window.
  const auto clipX = [&](double a, double b, bool open) {
    if (b < m.t0_s || a > m.t1_s) return;
    m.holds.push_back({xOf(std::max(a, m.t0_s)), xOf(std::min(b, m.t1_s)), open});
  };
  const auto inWindow = [&](double tt) { return tt >= m.t0_s && tt <= m.t1_s; };
  for (const core::Hold& hd : snap.holds) {
    clipX(hd.start_s, hd.end_s, false);
    if (hd.release_s && inWindow(*hd.release_s)) m.releases_x.push_back(xOf(*hd.release_s));
  }
  if (snap.open_hold) {
    const engine::OpenHoldView& oh = *snap.open_hold;
    clipX(oh.hold.start_s, oh.hold.end_s, true);
    if (oh.released && inWindow(oh.release_s)) m.releases_x.push_back(xOf(oh.release_s));
    for (double g : {oh.protocol_min_s, oh.protocol_max_s})
      if (inWindow(oh.hold.start_s + g)) m.guides_x.push_back(xOf(oh.hold.start_s + g));
    if (oh.mean_force_n > m.f_lo_n && oh.mean_force_n < m.f_hi_n) m.level_y = yOf(oh.mean_force_n);
  }
  if (snap.samples_recorded > 0) {
    for (const core::Marker& mk : snap.markers) {
      if (mk.t_us < snap.first_t_us) continue;
      const double tt = (mk.t_us - snap.first_t_us) / 1e6;
      if (inWindow(tt)) m.markers_x.push_back(xOf(tt));
    }
  }
  return m;
}

void drawForcePlot(const ForcePlotModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  if (!beginPanel("##plot", r, false)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  fills.push_back({r, kPanel});
  text(dl, f.normal, f.normal_px, ImVec2(r.x0 + 10 * s, r.y0 + 4 * s), kAxisText,
       "Force, last 30 s (device time)");
  if (!m.note.empty()) {
    const ImVec2 sz = textSize(f.normal, f.normal_px, m.note);
    text(dl, f.normal, f.normal_px, ImVec2(r.x1 - sz.x - 14 * s, r.y0 + 4 * s), kMarkerMark,
         m.note);
  }
  const Rect& a = m.area;
  if (!m.empty_text.empty()) {
    textCentered(dl, f.normal, f.normal_px, a.x0, a.x1, (a.y0 + a.y1) * 0.5f, kAxisText,
                 m.empty_text);
    return endPanel();
  }
  dl->PushClipRect(ImVec2(a.x0, a.y0 - 1), ImVec2(a.x1 + 1, a.y1 + 1), true);
  for (const auto& hs : m.holds)
    fills.push_back(
        {Rect{hs.x0, a.y0, hs.x1, a.y1}, mix(kHoldShade, kPanel, hs.open ? 0.8f : 0.5f)});
  for (const AxisTick& tk : m.time_ticks)
    dl->AddLine(ImVec2(tk.px, a.y0), ImVec2(tk.px, a.y1), col(kGrid), 1.0f);
  for (const AxisTick& tk : m.force_ticks)
    dl->AddLine(ImVec2(a.x0, tk.px), ImVec2(a.x1, tk.px), col(kGrid), 1.0f);
  for (float gx : m.guides_x)
    dl->AddLine(ImVec2(gx, a.y0), ImVec2(gx, a.y1), col(kInWindowField), 3.0f * s);
  if (m.level_y >= 0)
    dl->AddLine(ImVec2(a.x0, m.level_y), ImVec2(a.x1, m.level_y), col(kHoldLevel, 0.7f), 1.5f * s);
  if (m.trace.size() >= 2)
    dl->AddPolyline(m.trace.data(), static_cast<int>(m.trace.size()), col(kForceTrace), 0,
                    2.0f * s);
  for (float x : m.releases_x) {
    dl->AddLine(ImVec2(x, a.y0), ImVec2(x, a.y1), col(kReleaseMark), 2.5f * s);
    dl->AddTriangleFilled(ImVec2(x - 8 * s, a.y0), ImVec2(x + 8 * s, a.y0),
                          ImVec2(x, a.y0 + 12 * s), col(kReleaseMark));
  }
  for (float x : m.markers_x) dl->AddCircleFilled(ImVec2(x, a.y1 - 8 * s), 6 * s, col(kMarkerMark));
  dl->PopClipRect();
  dl->AddRect(ImVec2(a.x0, a.y0), ImVec2(a.x1, a.y1), col(kGrid));
  for (const AxisTick& tk : m.time_ticks) {
    // Centred under the tick, but inside the panel (the first and last ticks sit on the edges).
    const float w = textSize(f.normal, f.normal_px, tk.label).x;
    const float x = std::clamp(tk.px - w * 0.5f, a.x0 + 2 * s, r.x1 - w - 4 * s);
    text(dl, f.normal, f.normal_px, ImVec2(x, a.y1 + 3 * s), kAxisText, tk.label);
  }
  for (const AxisTick& tk : m.force_ticks) {
    const ImVec2 sz = textSize(f.normal, f.normal_px, tk.label);
    text(dl, f.normal, f.normal_px, ImVec2(a.x0 - sz.x - 6 * s, tk.px - sz.y * 0.5f), kAxisText,
         tk.label);
  }
  endPanel();
}

}  // namespace rollrig::gui

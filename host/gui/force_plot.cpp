#include "force_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "plate_view.h"  // kCellNames

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

// Readable time steps: seconds, minutes, hours in the clock's own multiples.
double timeStep(double range_s, int target) {
  static constexpr double kSteps[] = {1,   2,   5,   10,   15,   30,   60,    120,
                                      300, 600, 900, 1800, 3600, 7200, 10800, 21600};
  const double raw = range_s / std::max(1, target);
  for (double st : kSteps)
    if (st >= raw) return st;
  return 43200;
}

std::string timeLabel(double t_s, bool hours) {
  const long s = static_cast<long>(std::llround(t_s));
  char b[32];
  if (hours)
    std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(b, sizeof(b), "%ld:%02ld", s / 60, s % 60);
  return b;
}

std::string spanWords(double span_s) {
  char b[48];
  if (span_s < 120)
    std::snprintf(b, sizeof(b), "%.0f s", span_s);
  else if (span_s < 7200)
    std::snprintf(b, sizeof(b), "%.0f min", span_s / 60);
  else
    std::snprintf(b, sizeof(b), "%.1f h", span_s / 3600);
  return b;
}

}  // namespace

// [SECTION] The view

void plotWindow(const PlotView& v, double last_s, double* t0_s, double* t1_s) {
  switch (v.mode) {
    case PlotView::Mode::kFollowLive:
      *t1_s = std::max(last_s, v.span_s);  // the first span_s of a session fill from the left
      *t0_s = *t1_s - v.span_s;
      return;
    case PlotView::Mode::kWhole:
      *t0_s = 0;
      *t1_s = std::max(last_s, kPlotWindow_s);
      return;
    case PlotView::Mode::kFixed:
      *t1_s = v.t1_s;
      *t0_s = v.t1_s - v.span_s;
      return;
  }
}

void zoomPlot(PlotView& v, double last_s, double anchor_s, double factor) {
  double t0 = 0, t1 = 0;
  plotWindow(v, last_s, &t0, &t1);
  const double whole_s = std::max(last_s, kPlotWindow_s);
  const double span = std::max(kPlotMinWindow_s, (t1 - t0) * factor);
  if (span >= whole_s) {
    v.mode = PlotView::Mode::kWhole;
    return;
  }
  const double frac = (t1 > t0) ? std::clamp((anchor_s - t0) / (t1 - t0), 0.0, 1.0) : 1.0;
  double n0 = anchor_s - frac * span;
  n0 = std::clamp(n0, 0.0, whole_s - span);
  v.mode = PlotView::Mode::kFixed;
  v.span_s = span;
  v.t1_s = n0 + span;
}

void panPlot(PlotView& v, double last_s, double dt_s) {
  double t0 = 0, t1 = 0;
  plotWindow(v, last_s, &t0, &t1);
  const double span = t1 - t0, whole_s = std::max(last_s, kPlotWindow_s);
  if (span >= whole_s) return;  // the whole session is shown: nothing to pan to
  v.mode = PlotView::Mode::kFixed;
  v.span_s = span;
  v.t1_s = std::clamp(t1 + dt_s, span, whole_s);
}

void scaleForceAxis(PlotView& v, double shown_hi_n, double factor) {
  if (!(shown_hi_n > 0) || !(factor > 0)) return;
  v.force_manual = true;
  v.force_hi_n = std::clamp(shown_hi_n * factor, 1.0, 1e5);
}

void autoForceAxis(PlotView& v) {
  v.force_manual = false;
  v.force_hi_n = 0;
}

void followLive(PlotView& v) {
  const PlotView was = v;
  v = PlotView{};
  v.force_manual = was.force_manual;  // the force axis is the user's until A
  v.force_hi_n = was.force_hi_n;
}

void togglePause(PlotView& v, double last_s) {
  if (v.mode == PlotView::Mode::kFixed) {
    v.mode = PlotView::Mode::kFollowLive;  // resume with the span the user chose
    return;
  }
  double t0 = 0, t1 = 0;
  plotWindow(v, last_s, &t0, &t1);
  v.mode = PlotView::Mode::kFixed;
  v.span_s = t1 - t0;
  v.t1_s = t1;
}

bool handlePlotMouse(PlotView& v, const ForcePlotModel& m, double last_s) {
  const ImGuiIO& io = ImGui::GetIO();
  const Rect& a = m.area;
  const float w = a.width();
  if (m.t1_s <= m.t0_s || w < 1) return false;
  const ImVec2 p = io.MousePos;
  const bool over = p.x >= a.x0 && p.x <= a.x1 && p.y >= a.y0 && p.y <= a.y1;
  bool changed = false;
  const Rect& b = m.auto_button;
  if (m.force_manual && ImGui::IsMouseClicked(ImGuiMouseButton_Left) && p.x >= b.x0 &&
      p.x <= b.x1 && p.y >= b.y0 && p.y <= b.y1) {
    autoForceAxis(v);
    return true;
  }
  if (over && io.MouseWheel != 0 && io.KeyShift) {
    scaleForceAxis(v, m.f_hi_n, std::pow(0.8, io.MouseWheel));  // a notch up: 20 % closer
    return true;
  }
  if (over && io.MouseWheel != 0) {
    const double anchor = m.t0_s + (p.x - a.x0) / w * (m.t1_s - m.t0_s);
    zoomPlot(v, last_s, anchor, std::pow(0.8, io.MouseWheel));  // a notch: 20 % in or out
    changed = true;
  }
  // Dragging (pressed inside the data area): the time under the cursor follows the cursor.
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Left, 1.0f) && io.MouseDelta.x != 0 &&
      io.MouseClickedPos[0].x >= a.x0 && io.MouseClickedPos[0].x <= a.x1 &&
      io.MouseClickedPos[0].y >= a.y0 && io.MouseClickedPos[0].y <= a.y1) {
    panPlot(v, last_s, -io.MouseDelta.x / w * (m.t1_s - m.t0_s));
    changed = true;
  }
  return changed;
}

// [SECTION] The model

void layoutPlotTitleRow(ForcePlotModel& m, const Rect& r, const Fonts& f) {
  const float s = f.scale, y = r.y0 + 4 * s, gap = 14 * s;
  const float x0 = r.x0 + 10 * s, x1 = r.x1 - 14 * s;
  m.axis_text = m.force_manual ? "force axis: manual" : "";
  // What the row needs at `px`, with or without the note, with the title `title`.
  const auto needs = [&](float px, bool note, const std::string& title) {
    float w = textSize(f.normal, px, title).x;
    if (m.force_manual)
      w += gap + textSize(f.normal, px, m.axis_text).x + 8 * s + textSize(f.normal, px, "auto").x +
           16 * s;
    if (note && !m.note.empty()) w += gap + textSize(f.normal, px, m.note).x;
    for (const auto& li : m.legend) w += 24 * s + textSize(f.normal, px, li.name).x;
    if (!m.legend.empty()) w += gap;
    return w;
  };
  // Crowded (a narrow plot), the title gets shorter, then the row's text smaller (to 70 %), then
  // the note (it is shown for a few seconds only) waits for room.
  bool with_note = true;
  float px = f.normal_px;
  m.title_shown = m.title;
  if (needs(px, true, m.title) > x1 - x0) m.title_shown = m.title_short;
  if (needs(px, true, m.title_shown) > x1 - x0) {
    px = std::max(0.7f * f.normal_px,
                  f.normal_px * (x1 - x0) / needs(f.normal_px, true, m.title_shown));
    if (needs(px, true, m.title_shown) > x1 - x0) {
      with_note = false;
      px = std::clamp(f.normal_px * (x1 - x0) / needs(f.normal_px, false, m.title_shown),
                      0.7f * f.normal_px, f.normal_px);
    }
  }
  m.row_px = px;
  m.note_shown = with_note && !m.note.empty();
  float right = x1;  // the row's free space ends here, moving left
  m.auto_button = Rect{};
  if (m.force_manual) {
    const ImVec2 a = textSize(f.normal, px, "auto");
    m.auto_button = {right - a.x - 16 * s, y - 2 * s, right, y + a.y + 2 * s};
    const float w = textSize(f.normal, px, m.axis_text).x;
    m.axis_at = ImVec2(m.auto_button.x0 - 8 * s - w, y);
    right = m.axis_at.x - gap;
  }
  if (m.note_shown) {
    const float w = textSize(f.normal, px, m.note).x;
    m.note_at = ImVec2(right - w, y);
    right = m.note_at.x - gap;
  }
  for (auto it = m.legend.rbegin(); it != m.legend.rend(); ++it) {
    const float w = textSize(f.normal, px, it->name).x;
    it->at = ImVec2(right - w, y);
    right = it->at.x - 8 * s - 16 * s;  // the swatch, then the gap to the next name
  }
  m.title_at = ImVec2(x0, y);
  m.title_px = std::min(px, fitPx(f.normal, px, m.title_shown, std::max(1.0f, right - x0)));
}

ForcePlotModel computeForcePlot(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& f, const PlotView& view,
                                const ForceFormat& unit, bool cells) {
  ForcePlotModel m;
  const float s = f.scale;
  const float label_w = textSize(f.normal, f.normal_px, "0000 N").x + 10 * s;
  // A whole number of pixel columns, starting on a pixel edge: column c is [x0 + c, x0 + c + 1).
  const float ax0 = std::round(panel.x0 + label_w);
  const float ax1 = ax0 + std::max(1.0f, std::floor(panel.x1 - 14 * s - ax0));
  m.area = {ax0, panel.y0 + f.normal_px * 1.6f, ax1, panel.y1 - f.normal_px * 1.6f};
  const float w = m.area.width(), h = std::max(1.0f, m.area.height());
  const int cols = static_cast<int>(w);
  const bool bw = unit.unit == ForceUnit::kBodyWeight && unit.body_mass_kg > 0;
  m.title = bw ? "Force in % body weight" : "Force in N";
  m.title_short = bw ? "% BW" : "N";
  switch (view.mode) {
    case PlotView::Mode::kFollowLive:
      m.title += ", last " + spanWords(view.span_s) + " (device time)";
      m.title_short += ", last " + spanWords(view.span_s);
      break;
    case PlotView::Mode::kWhole:
      m.title += ", whole session (device time)";
      m.title_short += ", whole session";
      break;
    case PlotView::Mode::kFixed:
      m.title += ", " + spanWords(view.span_s) + ", paused (F: follow live)";
      m.title_short += ", " + spanWords(view.span_s) + ", paused";
      break;
  }
  m.force_manual = view.force_manual && view.force_hi_n > 0;
  m.cells = cells;
  if (cells)
    for (int i = 0; i < core::kCellCount; ++i)
      m.legend.push_back({kCellNames[i], kCellTrace[i], ImVec2()});
  layoutPlotTitleRow(m, panel, f);
  if (samples.empty()) {
    m.empty_text = "the force plot starts with the first sample";
    return m;
  }
  const double edge_s = liveEdge_s(samples, snap);
  plotWindow(view, edge_s, &m.t0_s, &m.t1_s);
  // Following live, the window moves in whole pixel columns and every column is a fixed slice of
  // session time, [k·dt, (k+1)·dt) with dt = span / columns: the envelope does not shimmer as the
  // window slides, and between two column steps only the newest column changes (so a redraw that
  // tracks damage redraws one column). The right edge is at most one column past the newest
  // sample.
  int64_t k0 = 0;  // the first column's absolute index (follow-live)
  const bool snapped = view.mode == PlotView::Mode::kFollowLive;
  const double dt_s = (m.t1_s - m.t0_s) / cols;
  if (snapped) {
    const int64_t k1 =
        std::max<int64_t>(cols, static_cast<int64_t>(std::ceil(edge_s / dt_s - 1e-9)));
    k0 = k1 - cols;
    m.t0_s = static_cast<double>(k0) * dt_s;
    m.t1_s = static_cast<double>(k1) * dt_s;
  }
  const auto columnStart = [&](int c) {
    return snapped ? static_cast<double>(k0 + c) * dt_s : m.t0_s + (m.t1_s - m.t0_s) * c / cols;
  };
  const double span_s = m.t1_s - m.t0_s;
  const size_t i0 = samples.lowerBound(m.t0_s);
  const size_t n = samples.size();
  const auto& t = samples.time_s();
  const core::MinMaxPyramid& pyr = samples.totalPyramid();

  // The samples of each pixel column, as index ranges (a binary search from the previous one).
  std::vector<size_t> edge(static_cast<size_t>(cols) + 1);
  {
    size_t lo = i0;
    for (int c = 0; c <= cols; ++c) {
      const double tc = columnStart(c);
      lo = static_cast<size_t>(std::lower_bound(t.begin() + static_cast<long>(lo), t.end(), tc) -
                               t.begin());
      edge[static_cast<size_t>(c)] = lo;
    }
    // The last column takes the sample at exactly t1 too.
    edge[static_cast<size_t>(cols)] = samples.lowerBound(std::nextafter(m.t1_s, 1e300));
  }
  const size_t i1 = edge[static_cast<size_t>(cols)];

  // Autoscale over the visible window: 0 to a nice value above its peak (at least 50 N), below 0
  // only if needed, with 5 % headroom. "Nice" in the user's unit: k converts N to it (linear).
  const double k = unit.value(1.0);
  core::MinMax vis = pyr.range(i0, std::min(i1, n));
  if (cells)  // cells can pull below 0 (a tilted plate) or, alone, rise to the total
    for (int i = 0; i < core::kCellCount; ++i) {
      const core::MinMax c = samples.cellPyramid(i).range(i0, std::min(i1, n));
      if (c.empty) continue;
      vis.min = vis.empty ? c.min : std::min(vis.min, c.min);
      vis.max = vis.empty ? c.max : std::max(vis.max, c.max);
      vis.empty = false;
    }
  const double lo = k * (vis.empty ? 0.0f : std::min(0.0f, vis.min));
  const double hi = k * (vis.empty ? 50.0f : std::max(50.0f, vis.max));
  // A manual axis keeps the user's top exactly (the wheel scales it smoothly); ticks stay round.
  const double top = m.force_manual ? std::max(k * view.force_hi_n, lo + 1e-3) : hi;
  const double fstep = niceStep((top - lo) * (m.force_manual ? 1.0 : 1.1), 5);  // in the unit
  const double f_lo = lo < 0 ? std::floor(lo / fstep) * fstep : 0.0;
  const double f_hi = m.force_manual ? top : std::ceil(hi * 1.05 / fstep) * fstep;
  m.f_lo_n = f_lo / k;
  m.f_hi_n = f_hi / k;
  const auto xOf = [&](double t_s) {
    return m.area.x0 + static_cast<float>((t_s - m.t0_s) / span_s) * w;
  };
  const auto yOf = [&](double f_n) {
    return m.area.y1 - static_cast<float>((f_n - m.f_lo_n) / (m.f_hi_n - m.f_lo_n)) * h;
  };

  // Ticks in device time (session m:ss, or h:mm:ss once the window reaches an hour), force in N.
  const double tstep = timeStep(span_s, std::max(2, static_cast<int>(w / (110 * s))));
  const bool hours = m.t1_s >= 3600;
  for (double tt = std::ceil(m.t0_s / tstep) * tstep; tt <= m.t1_s + 1e-9; tt += tstep)
    if (tt >= 0) m.time_ticks.push_back({xOf(tt), timeLabel(tt, hours)});
  const int decimals = fstep >= 1 ? 0 : 1;
  for (int j = 0; f_lo + j * fstep <= f_hi + 1e-9 * fstep; ++j) {
    const double ff = f_lo + j * fstep;  // in the unit
    char b[32];
    std::snprintf(b, sizeof(b), "%.*f %s", decimals, ff + 0.0, bw ? "%" : "N");
    m.force_ticks.push_back({yOf(ff / k), b});
  }

  // Min/max per pixel column, from a pyramid: at most two points a column.
  const auto decimate = [&](const core::MinMaxPyramid& p, std::vector<ImVec2>& out) {
    const auto& v = p.values();
    out.reserve(2 * static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      const size_t a = edge[static_cast<size_t>(c)], b = edge[static_cast<size_t>(c) + 1];
      if (a >= b) continue;
      const core::MinMax mm = p.range(a, b);
      const float first = v[a], last = v[b - 1];
      const float x = m.area.x0 + c + 0.5f;
      // Enter at the column's first value's side, leave at its last: the line stays continuous.
      const bool rising = last >= first;
      out.push_back(ImVec2(x, yOf(rising ? mm.min : mm.max)));
      if (mm.max != mm.min) out.push_back(ImVec2(x, yOf(rising ? mm.max : mm.min)));
    }
  };
  decimate(pyr, m.trace);
  if (cells)
    for (int i = 0; i < core::kCellCount; ++i) decimate(samples.cellPyramid(i), m.cell_traces[i]);

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
    if (oh.mean_force_n > m.f_lo_n && oh.mean_force_n < m.f_hi_n) {
      m.level_y = yOf(oh.mean_force_n);
      m.level_x0 = std::max(m.area.x0, xOf(oh.hold.start_s));  // over the open hold only
      m.level_text = "hold " + unit.text(oh.mean_force_n);
    }
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
  text(dl, f.normal, m.title_px, m.title_at, kAxisText, m.title_shown);
  if (m.note_shown) text(dl, f.normal, m.row_px, m.note_at, kMarkerMark, m.note);
  for (const ForcePlotModel::LegendItem& li : m.legend) {
    const float cy = li.at.y + m.row_px * 0.55f;
    dl->AddRectFilled(ImVec2(li.at.x - 18 * s, cy - 3 * s), ImVec2(li.at.x - 6 * s, cy + 3 * s),
                      col(li.colour));
    text(dl, f.normal, m.row_px, li.at, li.colour, li.name);
  }
  if (m.force_manual) {
    text(dl, f.normal, m.row_px, m.axis_at, kWarning, m.axis_text);
    const Rect& b = m.auto_button;
    dl->AddRect(ImVec2(b.x0, b.y0), ImVec2(b.x1, b.y1), col(kAxisText), 4 * s, 0, 1.5f * s);
    text(dl, f.normal, m.row_px, ImVec2(b.x0 + 8 * s, b.y0 + 2 * s), kLightText, "auto");
  }
  const Rect& a = m.area;
  if (!m.empty_text.empty()) {
    textCentered(dl, f.normal, f.normal_px, a.x0, a.x1, (a.y0 + a.y1) * 0.5f, kAxisText,
                 m.empty_text);
    return endPanel();
  }
  dl->PushClipRect(ImVec2(a.x0, a.y0 - 1), ImVec2(a.x1 + 1, a.y1 + 1), true);
  // On whole pixels: the open hold's shading grows with the columns, not a fraction every frame
  // (so the window redraws it only when it really changes; frame_damage.h).
  for (const auto& hs : m.holds)
    fills.push_back({Rect{std::round(hs.x0), a.y0, std::round(hs.x1), a.y1},
                     mix(kHoldShade, kPanel, hs.open ? 0.8f : 0.5f)});
  for (const AxisTick& tk : m.time_ticks)
    dl->AddLine(ImVec2(tk.px, a.y0), ImVec2(tk.px, a.y1), col(kGrid), 1.0f);
  for (const AxisTick& tk : m.force_ticks)
    dl->AddLine(ImVec2(a.x0, tk.px), ImVec2(a.x1, tk.px), col(kGrid), 1.0f);
  for (float gx : m.guides_x)
    dl->AddLine(ImVec2(gx, a.y0), ImVec2(gx, a.y1), col(kInWindowField), 3.0f * s);
  if (m.level_y >= 0)
    dl->AddLine(ImVec2(m.level_x0, m.level_y), ImVec2(a.x1, m.level_y), col(kHoldLevel, 0.7f),
                1.5f * s);
  for (int i = 0; i < core::kCellCount; ++i)
    if (m.cell_traces[i].size() >= 2)
      dl->AddPolyline(m.cell_traces[i].data(), static_cast<int>(m.cell_traces[i].size()),
                      col(kCellTrace[i]), 0, 1.2f * s);
  if (m.trace.size() >= 2)
    dl->AddPolyline(m.trace.data(), static_cast<int>(m.trace.size()), col(kForceTrace), 0,
                    2.0f * s);
  if (m.level_y >= 0) {
    // The level's value at the line's right end, above it (below near the top), over the traces.
    const ImVec2 sz = textSize(f.normal, f.normal_px, m.level_text);
    const float ly =
        m.level_y - sz.y - 2 * s >= a.y0 ? m.level_y - sz.y - 2 * s : m.level_y + 2 * s;
    const ImVec2 at(a.x1 - sz.x - 6 * s, ly);
    dl->AddRectFilled(ImVec2(at.x - 4 * s, at.y), ImVec2(at.x + sz.x + 4 * s, at.y + sz.y),
                      col(kPanel, 0.85f), 3 * s);
    text(dl, f.normal, f.normal_px, at, kHoldLevel, m.level_text);
  }
  // Zoomed out over many releases, thin faint lines and small glyphs keep the trace readable.
  const bool crowded = m.t1_s - m.t0_s > 600;
  const float rw = crowded ? 1.0f * s : 2.5f * s, tri = crowded ? 5 * s : 8 * s;
  for (float x : m.releases_x) {
    dl->AddLine(ImVec2(x, a.y0), ImVec2(x, a.y1), col(kReleaseMark, crowded ? 0.45f : 1.0f), rw);
    dl->AddTriangleFilled(ImVec2(x - tri, a.y0), ImVec2(x + tri, a.y0),
                          ImVec2(x, a.y0 + 1.5f * tri), col(kReleaseMark));
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

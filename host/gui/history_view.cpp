#include "history_view.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "force_plot.h"  // niceStep
#include "plate_view.h"  // platePoint
#include "rollrig/engine/session_library.h"
#include "rollrig/store/session_store.h"

namespace rollrig::gui {

// [SECTION] Reading the library

void HistoryLibrary::refresh() {
  m_loaded = true;
  m_error.clear();
  m_missing = false;
  std::error_code ec;
  if (!std::filesystem::exists(m_path, ec)) {
    m_missing = true;
    m_holds.clear();
    m_built = false;
    return;
  }
  store::SessionStore st;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  if (store::StoreError e = st.open(m_path, ro)) {
    m_error = e.message;
    return;  // the last history read stays on screen
  }
  std::vector<core::HistoryHold> holds;
  if (engine::LibraryError e = engine::historyHolds(st, &holds)) {
    m_error = e.message;
    return;
  }
  m_holds = std::move(holds);
  m_built = false;
}

const core::History& HistoryLibrary::history(HistorySides sides) {
  if (!m_built || m_built_for != sides) {
    core::HistoryFilter f;
    if (sides == HistorySides::kLeft) f.side = core::Side::kLeft;
    if (sides == HistorySides::kRight) f.side = core::Side::kRight;
    m_history = core::buildHistory(m_holds, f);
    m_built = true;
    m_built_for = sides;
  }
  return m_history;
}

// [SECTION] Formatting

std::string historyDate(double utc_s, bool long_form) {
  const time_t t = static_cast<time_t>(std::floor(utc_s));
  std::tm local{};
  if (!localtime_r(&t, &local)) return "";
  char b[64];
  std::strftime(b, sizeof b, long_form ? "%a %e %b %Y" : "%e %b", &local);
  std::string s = b;
  // %e pads the day with a space: "Fri  2 Oct" reads better as "Fri 2 Oct".
  for (size_t i = s.find("  "); i != std::string::npos; i = s.find("  ")) s.erase(i, 1);
  if (!s.empty() && s[0] == ' ') s.erase(0, 1);
  return s;
}

namespace {

constexpr double kWeek_s = 7 * 86400.0;

Rgb sideColour(core::Side s) {
  return s == core::Side::kLeft    ? kHistoryLeft
         : s == core::Side::kRight ? kHistoryRight
                                   : kAxisText;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string signedValue(double v, const char* f) {
  std::string s = fmt(f, std::abs(v) < 0.05 ? 0.0 : v);
  return (s[0] == '-' ? "" : "+") + s;
}

// "Session 4 · Wed 14 Oct 20:43", what was held and released, the time to release and the force.
std::string tooltip(const core::SessionPoint& p, const ForceFormat& force) {
  std::string s = "Session " + std::to_string(p.session_id);
  if (const auto t = core::parseUtcSeconds(p.start_utc)) {
    const time_t tt = static_cast<time_t>(*t);
    std::tm local{};
    char hm[16] = "";
    if (localtime_r(&tt, &local)) std::strftime(hm, sizeof hm, "%H:%M", &local);
    s += " \u00b7 " + historyDate(*t, true) + " " + hm;
  }
  s += "\n" + plural(p.holds, "hold", "holds") + ", " +
       (p.released == 0 ? std::string("none") : std::to_string(p.released)) + " released";
  if (p.median_release_s) {
    s += "\ntime to release (median) " + fmt("%.1f s", *p.median_release_s);
  } else {
    s += "\nno median: at least " + fmt("%.1f s", p.release_at_least_s) + " (";
    for (size_t i = 0; i < p.censored_s.size(); ++i)
      s += (i ? ", " : "") + fmt("%.1f s", p.censored_s[i]);
    s += " held without a release)";
  }
  s += "\nhold force (median) " + force.text(p.median_force_n);
  return s;
}

struct Scale {
  double lo = 0, hi = 1;
  float p0 = 0, p1 = 1;  // pixels of lo and hi
  float at(double v) const { return p0 + static_cast<float>((v - lo) / (hi - lo)) * (p1 - p0); }
};

// Ticks 0, step, ... up to the axis's top (a value axis from 0).
std::vector<HistoryTick> valueTicks(const Scale& y, double step) {
  std::vector<HistoryTick> t;
  for (double v = 0; v <= y.hi + step * 1e-6; v += step)
    t.push_back({y.at(v), fmt(step < 1 ? "%.1f" : "%.0f", v), ""});
  return t;
}

// The part of the line y = y0 + slope (x - x0) over [xa, xb] that lies inside [ylo, yhi].
bool clipLine(double x0, double y0, double slope, double xa, double xb, double ylo, double yhi,
              double* out_a, double* out_b) {
  double a = xa, b = xb;
  if (slope != 0) {
    double xl = x0 + (ylo - y0) / slope, xh = x0 + (yhi - y0) / slope;
    if (xl > xh) std::swap(xl, xh);
    a = std::max(a, xl), b = std::min(b, xh);
  } else if (y0 < ylo || y0 > yhi) {
    return false;
  }
  *out_a = a, *out_b = b;
  return b > a;
}

// The history's first session (seconds since 1970), from any point: weeks count from it.
std::optional<double> historyOrigin(const core::History& h) {
  const auto from = [](const core::Spot& spot) -> std::optional<double> {
    for (const core::SideHistory& sh : spot.sides)
      for (const core::SessionPoint& p : sh.sessions)
        if (p.weeks)
          if (const auto t = core::parseUtcSeconds(p.start_utc)) return *t - *p.weeks * kWeek_s;
    return std::nullopt;
  };
  for (const core::Spot& s : h.spots)
    if (const auto o = from(s)) return o;
  if (h.unplaced) return from(*h.unplaced);
  return std::nullopt;
}

bool rectsOverlap(const Rect& a, const Rect& b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}
bool rectInside(const Rect& a, const Rect& outer) {
  return a.x0 >= outer.x0 && a.y0 >= outer.y0 && a.x1 <= outer.x1 && a.y1 <= outer.y1;
}

Sparkline sparkline(const core::SideHistory& sh, double w_max, double y_max) {
  Sparkline sp;
  sp.colour = sideColour(sh.side);
  const auto x = [&](double w) { return static_cast<float>(w_max > 0 ? w / w_max : 0.5); };
  const auto y = [&](double v) { return static_cast<float>(std::clamp(v / y_max, 0.0, 1.0)); };
  for (const core::SessionPoint& p : sh.sessions) {
    if (!p.weeks) continue;
    const double v = p.median_release_s ? *p.median_release_s : p.release_at_least_s;
    const ImVec2 at(x(*p.weeks), y(v));
    sp.dots.push_back({at, !p.median_release_s.has_value()});
    if (p.median_release_s) sp.line.push_back(at);
  }
  return sp;
}

void addEntries(const core::Spot& spot, std::vector<HistoryEntry>* out, double w_max,
                double y_max) {
  for (const core::SideHistory& sh : spot.sides) {
    HistoryEntry e;
    e.spot_id = spot.id;
    e.placed = spot.has_centre;
    e.x_mm = spot.x_mm, e.y_mm = spot.y_mm;
    e.side = sh.side;
    e.colour = sideColour(sh.side);
    e.spot = spot.has_centre ? std::to_string(spot.id) : "no position";
    e.side_name = core::sideName(sh.side);
    e.session_count = sh.sessions.size();
    e.sessions = std::to_string(sh.sessions.size());
    e.released = std::to_string(sh.released) + " of " + std::to_string(sh.holds);
    if (e.session_count < core::kMinTrendSessions) {
      e.trend = "too few";
      e.trend_colour = kWarning;
    } else if (sh.release_trend.per_week) {
      e.trend = signedValue(*sh.release_trend.per_week, "%.1f") + " s/wk";
      e.trend_colour = *sh.release_trend.per_week < -0.05  ? kOk
                       : *sh.release_trend.per_week > 0.05 ? kWarning
                                                           : kAxisText;
    } else {
      e.trend = "no trend";
    }
    e.history = &sh;
    e.spark = sparkline(sh, w_max, y_max);
    out->push_back(std::move(e));
  }
}

// [SECTION] The chart

void layoutChart(HistoryChartModel& c, const HistoryEntry& e, const ForceFormat& force,
                 const Fonts& f, double w_max, const std::optional<double>& origin) {
  const core::SideHistory& sh = *e.history;
  const float s = f.scale, np = f.normal_px;
  const Rect& a = c.area;
  const float pad = 12 * s;
  const float x0 = a.x0 + pad, x1 = a.x1 - pad;
  const float w = x1 - x0;
  c.shown = true;
  c.colour = e.colour;
  c.title = e.placed ? "Spot " + e.spot + " \u00b7 " + e.side_name
                     : "Holds without a position \u00b7 " + e.side_name;
  c.subtitle =
      (e.placed ? "at (" + fmt("%.0f", e.x_mm) + ", " + fmt("%.0f", e.y_mm) + ") mm \u00b7 "
                : std::string()) +
      plural(sh.sessions.size(), "session", "sessions") + " \u00b7 " + std::to_string(sh.released) +
      " of " + plural(sh.holds, "hold", "holds") + " released";
  if (sh.side_guessed) c.subtitle += " \u00b7 side guessed for " + std::to_string(sh.side_guessed);
  c.title_px = fitPx(f.large, f.large_px, c.title, w);
  c.title_at = ImVec2(x0, a.y0 + 6 * s);
  c.subtitle_px = fitPx(f.normal, np, c.subtitle, w);
  c.subtitle_at = ImVec2(x0, c.title_at.y + c.title_px * 1.15f);
  float y = c.subtitle_at.y + c.subtitle_px * 1.4f;

  // The words under the title: too few sessions for a trend, sessions without a date.
  size_t undated = 0;
  for (const core::SessionPoint& p : sh.sessions) undated += !p.weeks;
  if (undated)
    c.undated = plural(undated, "session", "sessions") + " without a readable start time " +
                (undated == 1 ? "is" : "are") + " not drawn";
  if (sh.sessions.size() < core::kMinTrendSessions) {
    c.too_few = plural(sh.sessions.size(), "session", "sessions") +
                " at this spot: too little to see a trend";
    c.too_few_px = fitPx(f.normal, np * 1.15f, c.too_few, w);
    c.too_few_at = ImVec2(x0, y);
    y += c.too_few_px * 1.35f;
  }
  if (!c.undated.empty()) {
    c.undated_at = ImVec2(x0, y);
    y += np * 1.3f;
  }

  // Two plots, one above the other, sharing the time axis at the bottom.
  c.tick_px = np * 0.9f;
  c.caption_px = np;
  const float label_w = textSize(f.normal, c.tick_px, "1000").x + 10 * s;
  // The 30 s and 90 s lines are named in a gutter right of the plots, where no point can hide them.
  const float gutter = textSize(f.normal, c.tick_px, "90 s").x + 10 * s;
  const float axis_h = c.tick_px * 2.3f + np * 1.4f;
  const float caption_h = np * 1.3f + c.tick_px * 0.6f;  // the top tick's label sits half above
  const float plots_h = std::max(40 * s, a.y1 - pad - axis_h - y - 2 * caption_h - 10 * s);
  const float release_h = plots_h * 0.58f, force_h = plots_h - release_h;
  c.release_caption_at = ImVec2(x0, y);
  c.release_plot = {x0 + label_w, y + caption_h, x1 - gutter, y + caption_h + release_h};
  const float fy = c.release_plot.y1 + 10 * s;
  c.force_caption_at = ImVec2(x0, fy);
  c.force_plot = {x0 + label_w, fy + caption_h, x1 - gutter, fy + caption_h + force_h};
  c.release_caption = "time to release (s)";
  c.force_caption = std::string("hold force (") + force.unitName() + ")";

  // Time axis: weeks since the history's first session, the same for every spot.
  const double pad_w = std::max(0.3, w_max * 0.04);
  Scale tx{-pad_w, std::max(w_max, 0.0) + pad_w, c.release_plot.x0, c.release_plot.x1};
  const float tick_w = textSize(f.normal, c.tick_px, "week 10").x + 18 * s;
  const double per_week_px = (tx.p1 - tx.p0) / (tx.hi - tx.lo);
  int step = 1;
  for (int cand : {1, 2, 4, 8, 13, 26, 52})
    if (step = cand; cand * per_week_px >= tick_w) break;
  for (int k = 0; k <= tx.hi + 1e-9; k += step) {
    HistoryTick t;
    t.px = tx.at(k);
    if (origin) {
      t.label = historyDate(*origin + k * kWeek_s, false);
      t.sublabel = "week " + std::to_string(k);
    } else {
      t.label = "week " + std::to_string(k);
    }
    c.week_ticks.push_back(t);
  }
  c.axis_caption = origin ? "weeks since the first session, " + historyDate(*origin, true)
                          : "weeks since the first session";
  c.axis_caption_at = ImVec2(c.force_plot.x0, c.force_plot.y1 + c.tick_px * 2.35f);

  // Value axes from 0: the release axis always shows the 90 s line.
  double rmax = 100, fmax = 0;
  for (const core::SessionPoint& p : sh.sessions) {
    rmax = std::max(rmax, (p.median_release_s ? *p.median_release_s : p.release_at_least_s) * 1.1);
    fmax = std::max(fmax, force.value(p.median_force_n) * 1.15);
  }
  if (!(fmax > 0)) fmax = 1;
  const double rstep = niceStep(rmax, 4), fstep = niceStep(fmax, 3);
  Scale ry{0, std::ceil(rmax / rstep) * rstep, c.release_plot.y1, c.release_plot.y0};
  Scale fy_s{0, std::ceil(fmax / fstep) * fstep, c.force_plot.y1, c.force_plot.y0};
  c.release_ticks = valueTicks(ry, rstep);
  c.force_ticks = valueTicks(fy_s, fstep);
  c.show30 = 30 <= ry.hi, c.show90 = 90 <= ry.hi;
  c.y30 = std::round(ry.at(30)), c.y90 = std::round(ry.at(90));

  for (const core::SessionPoint& p : sh.sessions) {
    if (!p.weeks) continue;
    HistoryPoint hp;
    hp.session_id = p.session_id;
    hp.weeks = *p.weeks;
    hp.has_median = p.median_release_s.has_value();
    hp.release_s = hp.has_median ? *p.median_release_s : p.release_at_least_s;
    hp.force = force.value(p.median_force_n);
    hp.release_at = ImVec2(tx.at(hp.weeks), ry.at(hp.release_s));
    hp.force_at = ImVec2(tx.at(hp.weeks), fy_s.at(hp.force));
    hp.tooltip = tooltip(p, force);
    if (hp.has_median) c.release_line.push_back(hp.release_at);
    c.force_line.push_back(hp.force_at);
    c.points.push_back(std::move(hp));
  }

  // The trends: core's slope, drawn through the mean of the points it rests on (a least-squares
  // line passes through it), across their weeks.
  const bool enough = sh.sessions.size() >= core::kMinTrendSessions;
  const auto trendLine = [&](bool release, double slope, const Scale& ys, ImVec2* pa, ImVec2* pb) {
    double mx = 0, my = 0, lo = 1e300, hi = -1e300;
    size_t n = 0;
    for (const HistoryPoint& p : c.points) {
      if (release && !p.has_median) continue;
      const double v = release ? p.release_s : p.force;
      mx += p.weeks, my += v, ++n;
      lo = std::min(lo, p.weeks), hi = std::max(hi, p.weeks);
    }
    if (n == 0) return false;
    mx /= n, my /= n;
    double wa = 0, wb = 0;
    if (!clipLine(mx, my, slope, lo, hi, ys.lo, ys.hi, &wa, &wb)) return false;
    *pa = ImVec2(tx.at(wa), ys.at(my + slope * (wa - mx)));
    *pb = ImVec2(tx.at(wb), ys.at(my + slope * (wb - mx)));
    return true;
  };
  if (enough) {
    const core::Trend& rt = sh.release_trend;
    if (rt.per_week) {
      const double v = *rt.per_week;
      c.has_release_trend = trendLine(true, v, ry, &c.release_trend_a, &c.release_trend_b);
      c.release_trend = "trend " + signedValue(v, "%.1f") + " s/week (" +
                        plural(rt.n, "session", "sessions") + ")" +
                        (v < -0.05  ? ": releasing sooner"
                         : v > 0.05 ? ": releasing later"
                                    : ": no change");
      c.release_trend_colour = v < -0.05 ? kOk : v > 0.05 ? kWarning : kAxisText;
    } else {
      c.release_trend = "no trend: " + rt.note;
    }
    const core::Trend& ft = sh.force_trend;
    if (ft.per_week) {
      const double v = force.value(*ft.per_week);  // linear: a slope converts like a force
      c.has_force_trend = trendLine(false, v, fy_s, &c.force_trend_a, &c.force_trend_b);
      c.force_trend = "trend " + signedValue(v, "%.1f") + " " + force.unitName() + "/week (" +
                      plural(ft.n, "session", "sessions") + ")";
    } else {
      c.force_trend = "no trend: " + ft.note;
    }
  }
  // The trend's words at the right of each caption row, the caption made smaller if both must fit.
  const auto right = [&](const std::string& t, const ImVec2& cap, const std::string& caption) {
    const float tw = textSize(f.normal, c.caption_px, t).x;
    const float cw = textSize(f.normal, c.caption_px, caption).x;
    if (cw + tw + 20 * s > w)
      c.caption_px = std::min(c.caption_px, c.caption_px * w / (cw + tw + 20 * s));
    return ImVec2(x1 - textSize(f.normal, c.caption_px, t).x, cap.y);
  };
  c.release_trend_at = right(c.release_trend, c.release_caption_at, c.release_caption);
  c.force_trend_at = right(c.force_trend, c.force_caption_at, c.force_caption);
  // Again with the final size (both rows share it).
  c.release_trend_at.x = x1 - textSize(f.normal, c.caption_px, c.release_trend).x;
  c.force_trend_at.x = x1 - textSize(f.normal, c.caption_px, c.force_trend).x;
}

// The entry `state` points at: the same side, the nearest centre within a spot's reach.
int resolveSelection(const std::vector<HistoryEntry>& entries, const HistoryViewState& st,
                     double reach_mm) {
  if (entries.empty()) return -1;
  if (!st.has_selection) return 0;
  int best = -1;
  double best_d = reach_mm;
  for (size_t i = 0; i < entries.size(); ++i) {
    const HistoryEntry& e = entries[i];
    if (e.side != st.sel_side || e.placed != st.sel_placed) continue;
    const double d = e.placed ? std::hypot(e.x_mm - st.sel_x_mm, e.y_mm - st.sel_y_mm) : 0;
    if (d <= best_d) best_d = d, best = static_cast<int>(i);
  }
  if (best >= 0) return best;
  // The side filter left the selected side out: the same spot on another side, else the first.
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].placed == st.sel_placed &&
        (!st.sel_placed ||
         std::hypot(entries[i].x_mm - st.sel_x_mm, entries[i].y_mm - st.sel_y_mm) <= reach_mm))
      return static_cast<int>(i);
  return 0;
}

}  // namespace

// [SECTION] The model

HistoryViewModel computeHistoryView(const core::History& h, const HistoryViewState& state,
                                    const ForceFormat& force, const Rect& body, const Fonts& f,
                                    const std::string& error, const std::string& missing_path,
                                    const core::PlateGeometry& g) {
  HistoryViewModel m;
  const float s = f.scale, np = f.normal_px;
  m.error = error;

  // The time and value ranges every spot shares (so their sparklines compare).
  double w_max = 0, y_max = 90;
  const auto scan = [&](const core::Spot& spot) {
    for (const core::SideHistory& sh : spot.sides)
      for (const core::SessionPoint& p : sh.sessions) {
        if (p.weeks) w_max = std::max(w_max, *p.weeks);
        y_max = std::max(y_max, p.median_release_s ? *p.median_release_s : p.release_at_least_s);
      }
  };
  for (const core::Spot& spot : h.spots) scan(spot);
  if (h.unplaced) scan(*h.unplaced);
  for (const core::Spot& spot : h.spots) addEntries(spot, &m.entries, w_max, y_max);
  if (h.unplaced) addEntries(*h.unplaced, &m.entries, w_max, y_max);

  size_t placed = 0;
  for (const core::Spot& spot : h.spots) placed += spot.has_centre;
  if (h.holds == 0) {
    m.summary = h.sessions ? plural(h.sessions, "session", "sessions") + ", no holds yet"
                           : "no sessions yet";
  } else {
    m.summary = plural(h.sessions, "session", "sessions") + " \u00b7 " +
                plural(h.holds, "hold", "holds") + " \u00b7 " + plural(placed, "spot", "spots") +
                " (a spot: the holds within " + fmt("%.0f", h.spot_radius_mm) + " mm)";
  }
  if (m.entries.empty() && m.error.empty()) {
    const std::string what =
        "Record a session in the Live view (F1): every hold you keep still on a tender spot for "
        "30\u201390 s becomes a point here, and its spot a place on the plate. To see what a "
        "history looks like first, make a demo library: rollrig demo-library --db demo.db, then "
        "rollrig-gui --db demo.db --view history";
    if (!missing_path.empty())
      m.empty = "No session library yet at " + missing_path + ". " + what;
    else if (h.holds == 0)
      m.empty = "No holds in the library yet. " + what;
    else  // every hold filtered out by the side
      m.empty = "No holds on this side. Choose \"both\" (B) to see every spot.";
  }

  // Regions: a row of controls on top; the plate above the list on the left; the chart right.
  m.top = {body.x0, body.y0, body.x1, body.y0 + 44 * s};
  const float content_y = m.top.y1;
  const float lw = std::max(300 * s, body.width() * 0.4f);
  const float content_h = body.y1 - content_y;
  const float title_h = np * 1.5f;
  const float plate_h =
      std::min(content_h * 0.62f,
               (lw - 24 * s) / static_cast<float>(g.width_mm / g.length_mm) + title_h + 16 * s);
  m.plate_panel = {body.x0, content_y, body.x0 + lw, content_y + plate_h};
  m.list = {body.x0, m.plate_panel.y1, body.x0 + lw, body.y1};
  m.chart_panel = {body.x0 + lw, content_y, body.x1, body.y1};
  m.plate_title_at = ImVec2(m.plate_panel.x0 + 10 * s, m.plate_panel.y0 + 4 * s);
  const float avail_w = lw - 24 * s, avail_h = plate_h - title_h - 12 * s;
  m.px_per_mm = std::max(0.01f, std::min(avail_w / static_cast<float>(g.width_mm),
                                         avail_h / static_cast<float>(g.length_mm)));
  const float pw = static_cast<float>(g.width_mm) * m.px_per_mm;
  const float ph = static_cast<float>(g.length_mm) * m.px_per_mm;
  const float cx = (m.plate_panel.x0 + m.plate_panel.x1) * 0.5f;
  const float cy = m.plate_panel.y0 + title_h + 4 * s + avail_h * 0.5f;
  m.plate = {cx - pw * 0.5f, cy - ph * 0.5f, cx + pw * 0.5f, cy + ph * 0.5f};

  m.selected = resolveSelection(m.entries, state, 2 * h.spot_radius_mm);

  // The spots on the plate, and a sparkline beside each where there is room.
  const float radius = std::max(11 * s, np * 0.6f);
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const HistoryEntry& e = m.entries[i];
    if (!e.placed) continue;
    if (!m.spots.empty() && m.spots.back().spot_id == e.spot_id) {
      m.spots.back().sides.push_back(e.spark);
      if (static_cast<int>(i) == m.selected) m.spots.back().selected = true;
      continue;
    }
    HistoryViewModel::SpotMark mk;
    mk.spot_id = e.spot_id;
    mk.at = platePoint(m.plate, m.px_per_mm, e.x_mm, e.y_mm);
    mk.radius = radius;
    mk.label = e.spot;
    mk.selected = static_cast<int>(i) == m.selected;
    mk.first_entry = i;
    mk.sides.push_back(e.spark);
    m.spots.push_back(std::move(mk));
  }
  std::vector<Rect> taken;
  for (const auto& mk : m.spots)
    taken.push_back(
        {mk.at.x - mk.radius, mk.at.y - mk.radius, mk.at.x + mk.radius, mk.at.y + mk.radius});
  const float sw = std::clamp(pw * 0.2f, 56 * s, 120 * s),
              sh = std::clamp(ph * 0.11f, 22 * s, 48 * s);
  const Rect inner{m.plate.x0 + 3 * s, m.plate.y0 + 3 * s, m.plate.x1 - 3 * s, m.plate.y1 - 3 * s};
  for (auto& mk : m.spots) {
    const float d = mk.radius + 5 * s;
    // Toward the plate's edge first (the spots of a side line up along its middle), then inward,
    // then above and below.
    const float out = mk.at.x >= (m.plate.x0 + m.plate.x1) * 0.5f ? 1.0f : -1.0f;
    const ImVec2 cands[] = {
        {out > 0 ? mk.at.x + d : mk.at.x - d - sw, mk.at.y - sh * 0.5f},
        {out > 0 ? mk.at.x - d - sw : mk.at.x + d, mk.at.y - sh * 0.5f},
        {mk.at.x - sw * 0.5f, mk.at.y - d - sh},
        {mk.at.x - sw * 0.5f, mk.at.y + d},
        {out > 0 ? mk.at.x + d * 0.7f : mk.at.x - d * 0.7f - sw, mk.at.y - d * 0.7f - sh},
        {out > 0 ? mk.at.x + d * 0.7f : mk.at.x - d * 0.7f - sw, mk.at.y + d * 0.7f},
    };
    for (const ImVec2& c : cands) {
      const Rect b{std::round(c.x), std::round(c.y), std::round(c.x + sw), std::round(c.y + sh)};
      if (!rectInside(b, inner)) continue;
      bool clear = true;
      for (const Rect& t : taken) clear = clear && !rectsOverlap(b, t);
      if (!clear) continue;
      mk.has_box = true, mk.box = b;
      taken.push_back(b);
      break;
    }
  }

  m.chart.area = m.chart_panel;
  if (m.selected >= 0) {
    layoutChart(m.chart, m.entries[static_cast<size_t>(m.selected)], force, f, w_max,
                historyOrigin(h));
    // The keys at the bottom right, beside the time axis's caption (which they must not touch).
    const float room = m.chart_panel.x1 - 12 * s -
                       (m.chart.axis_caption_at.x +
                        textSize(f.normal, m.chart.tick_px, m.chart.axis_caption).x + 24 * s);
    m.keys_px = fitPx(f.normal, np * 0.8f, m.keys, std::max(room, 1.0f));
    if (m.keys_px < np * 0.55f) m.keys.clear();  // too small to read: the docs have them
    m.keys_at = ImVec2(m.chart_panel.x1 - 12 * s - textSize(f.normal, m.keys_px, m.keys).x,
                       m.chart.axis_caption_at.y);
  }
  return m;
}

// [SECTION] Input

HistoryKeys readHistoryKeys() {
  HistoryKeys k;
  if (ImGui::GetIO().WantTextInput) return k;
  if (ImGui::IsKeyPressed(GLFW_KEY_UP)) k.step = -1;
  if (ImGui::IsKeyPressed(GLFW_KEY_DOWN)) k.step = 1;
  if (ImGui::IsKeyPressed(GLFW_KEY_B, false)) k.sides = static_cast<int>(HistorySides::kBoth);
  if (ImGui::IsKeyPressed(GLFW_KEY_L, false)) k.sides = static_cast<int>(HistorySides::kLeft);
  if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) k.sides = static_cast<int>(HistorySides::kRight);
  return k;
}

HistoryViewAction historyKeyAction(const HistoryViewModel& m, const HistoryKeys& k) {
  HistoryViewAction a;
  a.sides = k.sides;
  const int n = static_cast<int>(m.entries.size());
  if (k.step != 0 && n > 0) {
    const int next = std::clamp(m.selected + k.step, 0, n - 1);
    if (next != m.selected) a.select_entry = next;
  }
  return a;
}

void applyHistoryAction(const HistoryViewModel& m, const HistoryViewAction& a,
                        HistoryViewState& state) {
  if (a.select_entry >= 0 && a.select_entry < static_cast<int>(m.entries.size())) {
    const HistoryEntry& e = m.entries[static_cast<size_t>(a.select_entry)];
    state.has_selection = true;
    state.sel_placed = e.placed;
    state.sel_x_mm = e.x_mm, state.sel_y_mm = e.y_mm;
    state.sel_side = e.side;
  }
  if (a.sides >= 0) state.sides = a.sides;
  if (a.refresh) state.refresh_asked = true;
}

// [SECTION] Drawing

namespace {

void drawSparkline(ImDrawList* dl, const Sparkline& sp, const Rect& box, float s) {
  const float inset = 3 * s;
  const auto at = [&](ImVec2 p) {
    return ImVec2(box.x0 + inset + p.x * (box.width() - 2 * inset),
                  box.y1 - inset - p.y * (box.height() - 2 * inset));
  };
  std::vector<ImVec2> pts;
  for (const ImVec2& p : sp.line) pts.push_back(at(p));
  if (pts.size() > 1)
    dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), col(sp.colour), 0, 2 * s);
  for (const Sparkline::Dot& d : sp.dots) {
    if (d.censored)
      dl->AddCircle(at(d.at), 2.5f * s, col(sp.colour), 8, 1.2f * s);
    else
      dl->AddCircleFilled(at(d.at), 2.2f * s, col(sp.colour), 8);
  }
}

void dashedLine(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float th, float dash) {
  const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
  if (len <= 0) return;
  for (float t = 0; t < len; t += 2 * dash) {
    const float u = t / len, v = std::min(len, t + dash) / len;
    dl->AddLine(ImVec2(a.x + dx * u, a.y + dy * u), ImVec2(a.x + dx * v, a.y + dy * v), c, th);
  }
}

void drawPlot(ImDrawList* dl, const HistoryChartModel& c, const Rect& p,
              const std::vector<HistoryTick>& ticks, const Fonts& f, SolidFills& fills) {
  const float s = f.scale;
  fills.push_back({p, kBackground});
  for (const HistoryTick& t : ticks) {
    dl->AddLine(ImVec2(p.x0, t.px), ImVec2(p.x1, t.px), col(kGrid), 1);
    const ImVec2 sz = textSize(f.normal, c.tick_px, t.label);
    text(dl, f.normal, c.tick_px, ImVec2(p.x0 - 6 * s - sz.x, t.px - sz.y * 0.5f), kAxisText,
         t.label);
  }
  for (const HistoryTick& t : c.week_ticks)
    dl->AddLine(ImVec2(t.px, p.y0), ImVec2(t.px, p.y1), col(kGrid), 1);
}

}  // namespace

HistoryViewAction drawHistoryView(const HistoryViewModel& m, HistoryViewState& state,
                                  const Fonts& f, SolidFills& fills) {
  HistoryViewAction act;
  const float s = f.scale, np = f.normal_px;
  const Rect body{m.top.x0, m.top.y0, m.chart_panel.x1, m.chart_panel.y1};
  fills.push_back({body, kPanel});

  // The controls' row.
  if (beginPanel("##history_top", m.top)) {
    ImGui::PushFont(f.normal);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Side");
    ImGui::SameLine();
    int sides = state.sides;
    if (ImGui::RadioButton("both", &sides, 0)) act.sides = 0;
    ImGui::SameLine();
    if (ImGui::RadioButton("left", &sides, 1)) act.sides = 1;
    ImGui::SameLine();
    if (ImGui::RadioButton("right", &sides, 2)) act.sides = 2;
    ImGui::SameLine(0, 24 * s);
    if (ImGui::Button("Refresh")) act.refresh = true;
    ImGui::SameLine(0, 24 * s);
    // The summary, without its explanation in parentheses when the row is too narrow for it.
    std::string summary = m.summary;
    if (ImGui::CalcTextSize(summary.c_str()).x > ImGui::GetContentRegionAvail().x)
      summary = summary.substr(0, summary.find(" ("));
    ImGui::TextColored(ImColor(col(kAxisText)), "%s", summary.c_str());
    ImGui::PopFont();
  }
  endPanel();

  // The plate and its spots.
  if (beginPanel("##history_plate", m.plate_panel, false)) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    text(dl, f.normal, np, m.plate_title_at, kAxisText, "Spots on the plate (head \u2191)");
    const Rect& p = m.plate;
    fills.push_back({p, kPlate});
    dl->AddRect(ImVec2(p.x0, p.y0), ImVec2(p.x1, p.y1), col(kPlateEdge), 6 * s, 0, 2 * s);
    // The midline: left and right halves.
    const float mx = std::round((p.x0 + p.x1) * 0.5f);
    dl->AddLine(ImVec2(mx, p.y0 + 4 * s), ImVec2(mx, p.y1 - 4 * s), col(kGrid), 1.5f * s);
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const bool hovered_panel = ImGui::IsWindowHovered();
    for (const auto& mk : m.spots) {
      if (mk.has_box) {
        dl->AddLine(mk.at,
                    ImVec2(std::clamp(mk.at.x, mk.box.x0, mk.box.x1),
                           std::clamp(mk.at.y, mk.box.y0, mk.box.y1)),
                    col(kPlateEdge), 1);
        dl->AddRectFilled(ImVec2(mk.box.x0, mk.box.y0), ImVec2(mk.box.x1, mk.box.y1), col(kPanel),
                          3 * s);
        if (mk.selected)
          dl->AddRect(ImVec2(mk.box.x0, mk.box.y0), ImVec2(mk.box.x1, mk.box.y1), col(kLightText),
                      3 * s, 0, 1.5f * s);
        for (const Sparkline& sp : mk.sides) drawSparkline(dl, sp, mk.box, s);
      }
    }
    for (const auto& mk : m.spots) {
      dl->AddCircleFilled(mk.at, mk.radius, col(mk.selected ? kProtocolCurrent : kBackground));
      dl->AddCircle(mk.at, mk.radius, col(mk.selected ? kLightText : kPlateEdge), 0, 2 * s);
      const float lpx = np * 0.8f;
      const ImVec2 sz = textSize(f.normal, lpx, mk.label);
      text(dl, f.normal, lpx, ImVec2(mk.at.x - sz.x * 0.5f, mk.at.y - sz.y * 0.5f), kLightText,
           mk.label);
      const float dx = mouse.x - mk.at.x, dy = mouse.y - mk.at.y;
      const bool over =
          hovered_panel && (dx * dx + dy * dy <= mk.radius * mk.radius * 1.6f ||
                            (mk.has_box && mouse.x >= mk.box.x0 && mouse.x <= mk.box.x1 &&
                             mouse.y >= mk.box.y0 && mouse.y <= mk.box.y1));
      if (over) {
        ImGui::SetTooltip("Spot %s: click to show its charts", mk.label.c_str());
        if (ImGui::IsMouseClicked(0)) {
          // A second click on a spot with both sides shows its other side.
          size_t pick = mk.first_entry;
          if (m.selected >= 0 && m.entries[static_cast<size_t>(m.selected)].spot_id == mk.spot_id &&
              m.entries[static_cast<size_t>(m.selected)].placed) {
            const size_t next = static_cast<size_t>(m.selected) + 1;
            if (next < m.entries.size() && m.entries[next].spot_id == mk.spot_id &&
                m.entries[next].placed)
              pick = next;
          }
          act.select_entry = static_cast<int>(pick);
        }
      }
    }
  }
  endPanel();

  // The list: one row per spot and side, with its sparkline.
  if (beginPanel("##history_list", m.list)) {
    ImGui::PushFont(f.normal);
    if (!m.error.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImColor(col(kError)).Value);
      ImGui::TextWrapped("%s", m.error.c_str());
      ImGui::PopStyleColor();
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingFixedFit;
    ImGui::PushStyleVar(ImGuiStyleVar_CellPadding, ImVec2(8 * s, 2 * s));
    if (!m.entries.empty() && ImGui::BeginTable("##history_table", 6, flags, ImVec2(0, 0))) {
      ImGui::TableSetupScrollFreeze(0, 1);
      // The words at their own width (never cut short); the sparkline takes the rest.
      ImGui::TableSetupColumn("Spot", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("Side", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("Sess.", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("Released", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("Trend", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableHeadersRow();
      const float row_h = ImGui::GetTextLineHeight();
      for (size_t i = 0; i < m.entries.size(); ++i) {
        const HistoryEntry& e = m.entries[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(e.spot.c_str(), static_cast<int>(i) == m.selected,
                              ImGuiSelectableFlags_SpanAllColumns))
          act.select_entry = static_cast<int>(i);
        ImGui::PopID();
        ImGui::TableNextColumn();
        ImGui::TextColored(ImColor(col(e.colour)), "%s", e.side_name.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.sessions.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.released.c_str());
        ImGui::TableNextColumn();
        ImGui::TextColored(ImColor(col(e.trend_colour)), "%s", e.trend.c_str());
        ImGui::TableNextColumn();
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const float w = ImGui::GetContentRegionAvail().x;
        drawSparkline(ImGui::GetWindowDrawList(), e.spark, Rect{at.x, at.y, at.x + w, at.y + row_h},
                      s);
        ImGui::Dummy(ImVec2(w, row_h));
      }
      ImGui::EndTable();
    }
    ImGui::PopStyleVar();
    ImGui::PopFont();
  }
  endPanel();

  // The chart of the selected spot and side.
  const HistoryChartModel& c = m.chart;
  const Rect& cp = m.chart_panel;
  if (beginPanel("##history_chart", cp, false)) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (!c.shown) {
      const std::string t = m.error.empty() ? "No spot to show yet." : "Nothing to show.";
      text(dl, f.large, f.large_px, ImVec2(cp.x0 + 12 * s, cp.y0 + 12 * s), kAxisText, t);
      if (!m.empty.empty()) {
        // The same words as the list's, wrapped across the chart's width: what to do.
        const float wrap = cp.width() - 24 * s;
        dl->AddText(f.normal, np, ImVec2(cp.x0 + 12 * s, cp.y0 + 12 * s + f.large_px * 1.4f),
                    col(kLightText), m.empty.c_str(), nullptr, wrap);
      }
    } else {
      text(dl, f.large, c.title_px, c.title_at, c.colour, c.title);
      text(dl, f.normal, c.subtitle_px, c.subtitle_at, kAxisText, c.subtitle);
      if (!c.too_few.empty()) text(dl, f.normal, c.too_few_px, c.too_few_at, kWarning, c.too_few);
      if (!c.undated.empty()) text(dl, f.normal, np * 0.9f, c.undated_at, kAxisText, c.undated);
      text(dl, f.normal, c.caption_px, c.release_caption_at, kAxisText, c.release_caption);
      text(dl, f.normal, c.caption_px, c.force_caption_at, kAxisText, c.force_caption);
      if (!c.release_trend.empty())
        text(dl, f.normal, c.caption_px, c.release_trend_at, c.release_trend_colour,
             c.release_trend);
      if (!c.force_trend.empty())
        text(dl, f.normal, c.caption_px, c.force_trend_at, kAxisText, c.force_trend);

      const Rect& rp = c.release_plot;
      drawPlot(dl, c, rp, c.release_ticks, f, fills);
      drawPlot(dl, c, c.force_plot, c.force_ticks, f, fills);
      // The protocol's window: the band, then its lines (exact colours, pixel-aligned).
      if (c.show30 && c.show90)
        fills.push_back({Rect{rp.x0, c.y90, rp.x1, c.y30}, kHistoryWindowBand});
      const float lt = std::max(2.0f, std::round(2 * s));
      if (c.show30) {
        dl->AddRectFilled(ImVec2(rp.x0, c.y30 - lt * 0.5f), ImVec2(rp.x1, c.y30 + lt * 0.5f),
                          col(kHistory30sLine));
        text(dl, f.normal, c.tick_px, ImVec2(rp.x1 + 6 * s, c.y30 - c.tick_px * 0.6f),
             kHistory30sLine, "30 s");
      }
      if (c.show90) {
        dl->AddRectFilled(ImVec2(rp.x0, c.y90 - lt * 0.5f), ImVec2(rp.x1, c.y90 + lt * 0.5f),
                          col(kHistory90sLine));
        text(dl, f.normal, c.tick_px, ImVec2(rp.x1 + 6 * s, c.y90 - c.tick_px * 0.6f),
             kHistory90sLine, "90 s");
      }
      // The time axis: week ticks with dates under the force plot.
      const Rect& fp = c.force_plot;
      float last_x1 = -1e9f;
      for (const HistoryTick& t : c.week_ticks) {
        const ImVec2 a = textSize(f.normal, c.tick_px, t.label);
        const ImVec2 b = textSize(f.normal, c.tick_px * 0.85f, t.sublabel);
        const float x = std::clamp(t.px - a.x * 0.5f, fp.x0 - 40 * s, fp.x1 - a.x);
        if (x < last_x1 + 6 * s) continue;
        text(dl, f.normal, c.tick_px, ImVec2(x, fp.y1 + 4 * s), kAxisText, t.label);
        if (!t.sublabel.empty())
          text(dl, f.normal, c.tick_px * 0.85f,
               ImVec2(std::clamp(t.px - b.x * 0.5f, fp.x0 - 40 * s, fp.x1 - b.x),
                      fp.y1 + 4 * s + c.tick_px * 1.15f),
               kPlateEdge, t.sublabel);
        last_x1 = x + std::max(a.x, b.x);
      }
      text(dl, f.normal, c.tick_px, c.axis_caption_at, kAxisText, c.axis_caption);

      // Trends (dashed), the lines through the sessions, then the points.
      if (c.has_release_trend)
        dashedLine(dl, c.release_trend_a, c.release_trend_b, col(c.release_trend_colour, 0.9f),
                   2 * s, 7 * s);
      if (c.has_force_trend)
        dashedLine(dl, c.force_trend_a, c.force_trend_b, col(kAxisText, 0.9f), 2 * s, 7 * s);
      if (c.release_line.size() > 1)
        dl->AddPolyline(c.release_line.data(), static_cast<int>(c.release_line.size()),
                        col(c.colour, 0.8f), 0, 2 * s);
      if (c.force_line.size() > 1)
        dl->AddPolyline(c.force_line.data(), static_cast<int>(c.force_line.size()),
                        col(c.colour, 0.8f), 0, 2 * s);
      const ImVec2 mouse = ImGui::GetIO().MousePos;
      const bool hovered = ImGui::IsWindowHovered();
      const float r = 6 * s;
      for (const HistoryPoint& p : c.points) {
        if (p.has_median) {
          dl->AddCircleFilled(p.release_at, r, col(c.colour));
        } else {
          // "At least": an open ring at the lower bound with an arrow up.
          const ImVec2 a = p.release_at;
          dl->AddCircleFilled(a, r, col(kBackground));
          dl->AddCircle(a, r, col(c.colour), 0, 2 * s);
          const float top = a.y - r - 14 * s;
          dl->AddLine(ImVec2(a.x, a.y - r), ImVec2(a.x, top + 4 * s), col(c.colour), 2 * s);
          dl->AddTriangleFilled(ImVec2(a.x, top), ImVec2(a.x - 5 * s, top + 7 * s),
                                ImVec2(a.x + 5 * s, top + 7 * s), col(c.colour));
        }
        dl->AddCircleFilled(p.force_at, r * 0.8f, col(c.colour));
        if (hovered) {
          for (const ImVec2& q : {p.release_at, p.force_at}) {
            const float dx = mouse.x - q.x, dy = mouse.y - q.y;
            if (dx * dx + dy * dy <= (r + 4 * s) * (r + 4 * s))
              ImGui::SetTooltip("%s", p.tooltip.c_str());
          }
        }
      }
      if (!m.keys.empty()) text(dl, f.normal, m.keys_px, m.keys_at, kPlateEdge, m.keys);
    }
  }
  endPanel();
  return act;
}

}  // namespace rollrig::gui

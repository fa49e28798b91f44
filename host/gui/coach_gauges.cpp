#include "coach_gauges.h"

#include <algorithm>
#include <cmath>

namespace rollrig::gui {

namespace {

constexpr double kGravity_mps2 = 9.80665;
// Under this share of body weight nobody is on the ball (a hand, the plate's noise): the pressure
// gauge says "off the ball" rather than "too light".
constexpr double kOffBallFraction = 0.02;
// Two history points further apart than this are not joined (a gap in the data).
constexpr double kJoin_s = 0.25;

std::string whole(double v) {
  return std::to_string(static_cast<long long>(std::lround(std::max(0.0, v))));
}

Rgb colourOf(GaugeModel::State s) {
  switch (s) {
    case GaugeModel::State::kGood:
      return kOk;
    case GaugeModel::State::kWarn:
      return kWarning;
    default:
      return kAxisText;
  }
}

// The history as runs of (age, value); `value` returns nothing for a point without one.
template <typename Value>
std::vector<std::vector<GaugeModel::Point>> runsOf(const engine::LiveSnapshot& snap, double now_s,
                                                   Value value) {
  std::vector<std::vector<GaugeModel::Point>> runs;
  bool open = false;
  double last_t = 0;
  for (const engine::RecentPoint& p : snap.recent) {
    const double age = now_s - p.t_s;
    const std::optional<double> v = value(p);
    if (!v || age > engine::kRecent_s || age < 0) {
      open = false;
      continue;
    }
    if (!open || p.t_s - last_t > kJoin_s) runs.emplace_back();
    runs.back().push_back({age, *v});
    open = true;
    last_t = p.t_s;
  }
  return runs;
}

double runsMax(const std::vector<std::vector<GaugeModel::Point>>& runs) {
  double m = 0;
  for (const auto& run : runs)
    for (const GaugeModel::Point& p : run) m = std::max(m, p.value);
  return m;
}

// The speed the number shows: the newest tenth of a second's (LiveSnapshot::recent), so it
// changes ten times a second, not every frame (the window redraws only what changed); the
// snapshot's own when there is no history (a snapshot made by hand).
std::optional<double> rollingSpeedNow(const engine::LiveSnapshot& snap) {
  if (snap.recent.empty()) return snap.roll_speed_mm_s;
  if (snap.elapsed_s - snap.recent.back().t_s > 2 * engine::kRecentStep_s) return std::nullopt;
  return snap.recent.back().roll_speed_mm_s;
}

}  // namespace

CoachGaugesModel computeCoachGauges(const engine::LiveSnapshot& snap, const core::CueSettings& cues,
                                    double body_mass_kg, std::optional<double> load_now_n) {
  CoachGaugesModel m;
  const bool data = snap.samples_recorded > 0;
  const double now_s = snap.elapsed_s;

  // [SECTION] Rolling speed
  GaugeModel& s = m.speed;
  const double limit = cues.too_fast_mm_s;
  s.title = "ROLLING SPEED";
  s.unit = "mm/s";
  s.limit_text = "slowly: under " + whole(limit) + " mm/s";
  s.has_band = true;
  s.band_lo = 0;
  s.band_hi = limit;
  s.scale_max = 2 * limit;
  s.runs = runsOf(snap, now_s, [](const engine::RecentPoint& p) { return p.roll_speed_mm_s; });
  if (!data) {
    s.words = "no data yet";
  } else if (snap.open_hold) {
    s.state = GaugeModel::State::kIdle;
    s.words = "holding";
  } else if (const std::optional<double> speed = rollingSpeedNow(snap)) {
    const double v = *speed;
    s.now = v;
    s.value = whole(v);
    // As the cue judges it (core::CuePlanner): faster than the limit is too fast.
    s.state = v > limit ? GaugeModel::State::kWarn : GaugeModel::State::kGood;
    s.words = v > limit ? "TOO FAST" : "slowly";
  } else {
    s.state = GaugeModel::State::kIdle;
    s.words = "not rolling";
  }
  s.value_colour = colourOf(s.state);
  if (snap.rolling.fast_share)
    s.footer = "too fast " + whole(100 * *snap.rolling.fast_share) + " % of rolling";
  else if (data)
    s.footer = "too fast: nothing rolled yet";

  // [SECTION] Pressure
  GaugeModel& p = m.pressure;
  p.title = "PRESSURE";
  const double load_n = load_now_n ? *load_now_n : snap.last_force.total_n;
  if (body_mass_kg > 0) {
    const double bw_n = body_mass_kg * kGravity_mps2;
    const double lo = 100 * cues.band_low, hi = 100 * cues.band_high;
    p.unit = "% BW";
    p.limit_text = "band " + whole(lo) + "\u2013" + whole(hi) + " % of body weight";
    p.has_band = true;
    p.band_lo = lo;
    p.band_hi = hi;
    p.runs = runsOf(snap, now_s, [bw_n](const engine::RecentPoint& r) {
      return std::optional<double>(100 * r.load_n / bw_n);
    });
    p.scale_max = std::max(1.5 * hi, 1.1 * runsMax(p.runs));
    if (data) {
      const double pct = 100 * load_n / bw_n;
      p.now = std::max(0.0, pct);
      p.value = whole(pct);
      if (pct < 100 * kOffBallFraction) {
        p.state = GaugeModel::State::kIdle;
        p.words = "off the ball";
      } else if (pct < lo) {
        p.state = GaugeModel::State::kWarn;
        p.words = "too light";
      } else if (pct > hi) {
        p.state = GaugeModel::State::kWarn;
        p.words = "TOO HEAVY";
      } else {
        p.state = GaugeModel::State::kGood;
        p.words = "in the band";
      }
    } else {
      p.words = "no data yet";
    }
  } else {
    // No body mass: the load in newtons, and no band (a percentage would be invented).
    p.unit = "N";
    p.limit_text = "no band without a body mass";
    p.runs = runsOf(snap, now_s,
                    [](const engine::RecentPoint& r) { return std::optional<double>(r.load_n); });
    p.scale_max = std::max(600.0, 1.2 * runsMax(p.runs));
    p.state = data ? GaugeModel::State::kIdle : GaugeModel::State::kNoData;
    if (data) {
      p.now = std::max(0.0, load_n);
      p.value = whole(load_n);
    }
    p.words = "set your body mass in Settings";
  }
  p.value_colour = colourOf(p.state);
  return m;
}

void splitCoachGauges(const Rect& r, float scale, Rect* speed, Rect* pressure) {
  const float gap = 6.0f * scale;
  const float mid = std::round((r.y0 + r.y1) * 0.5f);
  *speed = {r.x0, r.y0, r.x1, mid - gap * 0.5f};
  *pressure = {r.x0, mid + gap * 0.5f, r.x1, r.y1};
}

namespace {

void drawGauge(const GaugeModel& m, const Rect& r, const Fonts& f, SolidFills& fills,
               const char* id) {
  if (!beginPanel(id, r, false)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  fills.push_back({r, kPanel});
  const float pad = 10.0f * s;
  const float x0 = r.x0 + pad, x1 = r.x1 - pad, y0 = r.y0 + pad * 0.6f, y1 = r.y1 - pad * 0.6f;

  // The left block: the number as large as the height allows, its unit beside it when that costs
  // the number little (else the unit goes into the title), and the word under it.
  const float head_full = f.normal_px;
  const float body_y0_full = y0 + head_full * 1.25f;
  const float left_w = std::round((x1 - x0) * 0.45f);
  const bool roomy = y1 - body_y0_full >= 150.0f * s;
  ImFont* words_font = roomy ? f.large : f.normal;
  const float words_full = roomy ? f.large_px : f.normal_px;
  const float words_px = std::min(words_full, fitPx(words_font, words_full, m.words, left_w));
  const float words_h = words_px * 1.2f;
  const float unit_w = textSize(f.normal, f.normal_px, m.unit).x + 6 * s;
  float digits_px = std::min(f.huge_px, (y1 - body_y0_full - words_h) * 1.05f);
  bool unit_beside = true;
  if (!m.value.empty()) {
    const float with_unit = fitPx(f.huge, digits_px, m.value, left_w - unit_w);
    unit_beside = with_unit >= 0.85f * digits_px;
    digits_px = unit_beside ? with_unit : fitPx(f.huge, digits_px, m.value, left_w);
  }

  // The top row: the title, and the limit on the right in the axis colour.
  const std::string title = unit_beside ? m.title : m.title + ", " + m.unit;
  const float head_px =
      std::min(head_full, fitPx(f.normal, head_full, title + "   " + m.limit_text, x1 - x0));
  text(dl, f.normal, head_px, ImVec2(x0, y0), kLightText, title);
  const float limit_w = textSize(f.normal, head_px, m.limit_text).x;
  text(dl, f.normal, head_px, ImVec2(x1 - limit_w, y0), kAxisText, m.limit_text);
  const float body_y0 = body_y0_full;
  const float body_h = y1 - body_y0;

  if (!m.value.empty()) {
    // The huge font's digits stand in the lower ~75 % of their line: centre what is seen.
    const float dy =
        body_y0 + std::max(0.0f, (body_h - words_h - digits_px) * 0.5f) - digits_px * 0.08f;
    text(dl, f.huge, digits_px, ImVec2(x0, dy), m.value_colour, m.value);
    const float dw = textSize(f.huge, digits_px, m.value).x;
    if (unit_beside)
      text(dl, f.normal, f.normal_px, ImVec2(x0 + dw + 6 * s, dy + digits_px * 0.88f - f.normal_px),
           m.value_colour, m.unit);
  }
  if (m.value.empty() || !m.words.empty()) {
    // Without a number the word stands where the number would (large when it fits).
    const float wy = m.value.empty() ? body_y0 + (body_h - words_h) * 0.5f : y1 - words_h;
    text(dl, words_font, words_px, ImVec2(x0, wy), m.value_colour, m.words);
  }

  // The right block: the chart of the last 10 s with the meter at its right edge, the footer.
  const float cx0 = x0 + left_w + 12 * s;
  const float footer_px =
      m.footer.empty() ? 0.0f
                       : std::min(f.normal_px, fitPx(f.normal, f.normal_px, m.footer, x1 - cx0));
  const float cy0 = body_y0 + 2 * s, cy1 = y1 - (m.footer.empty() ? 0 : footer_px * 1.2f);
  const float meter_w = 16.0f * s;
  const float mx0 = x1 - meter_w, tx1 = mx0 - 4 * s;
  if (cx0 < tx1 && cy0 < cy1) {
    const auto yOf = [&](double v) {
      return cy1 - static_cast<float>(std::clamp(v / m.scale_max, 0.0, 1.0)) * (cy1 - cy0);
    };
    const Rgb band = gaugeBandColour();
    fills.push_back({Rect{cx0, cy0, x1, cy1}, kBackground});
    if (m.has_band) {
      const float by0 = std::round(yOf(m.band_hi)), by1 = std::round(yOf(m.band_lo));
      fills.push_back({Rect{cx0, by0, x1, by1}, band});
      // The band's edges, as thin lines across the chart and the meter.
      fills.push_back({Rect{cx0, by0, x1, by0 + std::max(1.0f, s)}, kOk});
      if (m.band_lo > 0) fills.push_back({Rect{cx0, by1 - std::max(1.0f, s), x1, by1}, kOk});
    }
    if (m.now) {
      const float ny = std::round(yOf(*m.now));
      fills.push_back(
          {Rect{mx0 + 2 * s, std::min(ny, cy1 - 2 * s), x1 - 2 * s, cy1}, m.value_colour});
    }
    std::vector<ImVec2> pts;
    for (const auto& run : m.runs) {
      pts.clear();
      for (const GaugeModel::Point& p : run)
        pts.push_back(ImVec2(tx1 - static_cast<float>(p.age_s / engine::kRecent_s) * (tx1 - cx0),
                             yOf(p.value)));
      if (pts.size() >= 2)
        dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), col(kLightText, 0.9f), 0,
                        2.0f * s);
    }
  }
  if (!m.footer.empty())
    text(dl, f.normal, footer_px, ImVec2(cx0, y1 - footer_px * 1.15f), kLightText, m.footer);
  endPanel();
}

}  // namespace

void drawCoachGauges(const CoachGaugesModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  Rect speed, pressure;
  splitCoachGauges(r, f.scale, &speed, &pressure);
  drawGauge(m.speed, speed, f, fills, "##gauge-speed");
  drawGauge(m.pressure, pressure, f, fills, "##gauge-pressure");
}

}  // namespace rollrig::gui

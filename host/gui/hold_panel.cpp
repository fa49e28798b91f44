#include "hold_panel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rollrig::gui {

std::string formatMinSec(double s) {
  const long secs = s > 0 ? static_cast<long>(std::floor(s)) : 0;
  char b[32];
  std::snprintf(b, sizeof(b), "%ld:%02ld", secs / 60, secs % 60);
  return b;
}

std::string formatDuration(double s) {
  if (s < 3600) return formatMinSec(s);
  const long t = static_cast<long>(s);
  char b[32];
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

namespace {

std::string seconds(double s) {
  char b[16];
  std::snprintf(b, sizeof(b), "%.0f", s);
  return b;
}

}  // namespace

HoldPanelModel computeHoldPanel(const engine::LiveSnapshot& snap, bool has_session,
                                const std::string& error, const ForceFormat& fmt,
                                const core::ForceSample* readout) {
  HoldPanelModel m;
  const bool away = snap.state == engine::ConnectionState::kReconnecting;
  const double shown_n = readout ? readout->total_n : snap.last_force.total_n;
  const double force_now = std::abs(shown_n) < 0.05 ? 0.0 : shown_n;
  if (!snap.open_hold || away) {
    m.phase = HoldPanelModel::Phase::kNoHold;
    m.field = kNoHoldField;
    m.text = kLightText;
    m.words = "NO HOLD";
    m.detail = !has_session                 ? "connect the rig (or the virtual rig) above"
               : snap.samples_recorded == 0 ? "waiting for the rig"
                                            : "roll to a tender spot and stay on it";
    const bool ended = snap.state == engine::ConnectionState::kEnded ||
                       snap.state == engine::ConnectionState::kFailed || snap.finished;
    if (away) {
      m.words = "RIG AWAY";
      m.detail = error.empty() ? "reconnecting\u2026" : "reconnecting\u2026 " + error;
      m.detail_colour = kWarning;
    } else if (ended && snap.samples_recorded == 0 && has_session) {
      m.words = "NOT CONNECTED";
      m.detail = error.empty() ? "no sample arrived; pick a source above" : error;
      m.detail_colour = kError;
    } else if (ended && snap.replay) {
      m.words = "END OF THE SESSION";
      m.detail = "space plays it again from the start; a row of the holds table goes to that hold";
    } else if (ended && has_session) {
      m.words = "SESSION ENDED";
      m.detail = error.empty() ? "it is in the session library (" + snap.stop_reason +
                                     "); pick a source above to start another"
                               : error;
      m.detail_colour = error.empty() ? kLightText : kError;
    } else if (!error.empty()) {
      m.words = "NOT RECORDING";
      m.detail = error;
      m.detail_colour = kError;
    }
    m.force_text = snap.samples_recorded && !ended && !away ? fmt.text(force_now) + " now" : "";
    return m;
  }
  const engine::OpenHoldView& h = *snap.open_hold;
  m.timer = formatMinSec(h.elapsed_s);
  const std::string lo = seconds(h.protocol_min_s), hi = seconds(h.protocol_max_s);
  switch (h.window) {
    case engine::OpenHoldView::Window::kBefore:
      m.phase = HoldPanelModel::Phase::kBefore;
      m.field = kBeforeWindowField;
      m.text = kDarkText;
      m.words = "UNDER " + lo + " s";
      m.detail = "stay on the spot: the window opens at " + formatMinSec(h.protocol_min_s);
      break;
    case engine::OpenHoldView::Window::kInside:
      m.phase = HoldPanelModel::Phase::kInside;
      m.field = kInWindowField;
      m.text = kLightText;
      m.words = "IN WINDOW " + lo + "\u2013" + hi + " s";
      m.detail = "hold until it releases, or until " + formatMinSec(h.protocol_max_s);
      break;
    case engine::OpenHoldView::Window::kPast:
      m.phase = HoldPanelModel::Phase::kPast;
      m.field = kPastWindowField;
      m.text = kLightText;
      m.words = "PAST " + hi + " s";
      m.detail = "time to move on to the next spot";
      break;
  }
  if (h.released) {
    m.released = true;
    m.release_text = "RELEASED after " + formatMinSec(h.release_s - h.hold.start_s);
    m.release_how = h.release_source.empty() ? "" : "detected by " + h.release_source;
    if (h.release_source == "marker") m.release_how = "you pressed space";
  }
  m.force_text = fmt.text(force_now) + " now \u00b7 hold " + fmt.text(h.mean_force_n);
  m.elapsed_s = h.elapsed_s;
  m.window_min_s = h.protocol_min_s;
  m.window_max_s = h.protocol_max_s;
  // The bar shows the window with room after it, and grows past it.
  m.bar_end_s = std::max(h.protocol_max_s * 4.0 / 3.0, h.elapsed_s + 10.0);
  return m;
}

void drawHoldPanel(const HoldPanelModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  if (!beginPanel("##hold", r, false)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  fills.push_back({r, m.field});
  const float pad = 18.0f * s;

  if (m.timer.empty()) {
    // No hold: the state in large words, then what to do or what went wrong (wrapped), the force.
    const float w = r.width() - 2 * pad;
    const float big = fitPx(f.large, f.large_px * 1.5f, m.words, w);
    float y = r.y0 + pad;
    text(dl, f.large, big, ImVec2(r.x0 + pad, y), m.text, m.words);
    y += big * 1.3f;
    dl->AddText(f.large, f.large_px, ImVec2(r.x0 + pad, y), col(m.detail_colour), m.detail.c_str(),
                nullptr, w);
    y += f.large->CalcTextSizeA(f.large_px, 1e9f, w, m.detail.c_str()).y + f.large_px * 0.4f;
    if (!m.force_text.empty())
      text(dl, f.large, f.large_px, ImVec2(r.x0 + pad, y), m.text, m.force_text);
    return endPanel();
  }

  // The protocol bar along the bottom.
  const float bar_h = 34.0f * s;
  const float label_h = f.normal_px * 1.2f;
  const float bx0 = r.x0 + pad, bx1 = r.x1 - pad;
  const float by1 = r.y1 - pad - label_h, by0 = by1 - bar_h;
  const auto bx = [&](double t_s) {
    return bx0 + static_cast<float>(std::clamp(t_s / m.bar_end_s, 0.0, 1.0)) * (bx1 - bx0);
  };
  // Solid fills, in order (draw_util.h): the track, the window on it, the time so far, the needle.
  const Rgb track = mix(kDarkText, m.field, 0.35f);
  fills.push_back({Rect{bx0, by0, bx1, by1}, track});
  fills.push_back(
      {Rect{bx(m.window_min_s), by0, bx(m.window_max_s), by1}, mix(kLightText, track, 0.35f)});
  // The time so far ends on a whole pixel: it grows a pixel at a time (several times a second),
  // not a fraction every frame, so the window redraws it only then (frame_damage.h).
  const float nx = std::round(bx(m.elapsed_s));
  fills.push_back({Rect{bx0, by0 + bar_h * 0.3f, nx, by1 - bar_h * 0.3f}, m.text});
  fills.push_back({Rect{nx - 3 * s, by0 - 6 * s, nx + 3 * s, by1 + 6 * s}, m.text});
  for (double g : {m.window_min_s, m.window_max_s})
    textCentered(dl, f.normal, f.normal_px, bx(g) - 50 * s, bx(g) + 50 * s, by1 + 4 * s, m.text,
                 formatMinSec(g));

  // The timer, as large as the space above the bar allows.
  const float timer_px = std::min(f.huge_px, by0 - r.y0 - 14 * s);
  text(dl, f.huge, timer_px, ImVec2(r.x0 + pad, r.y0 + 2 * s), m.text, m.timer);
  const float timer_w = textSize(f.huge, timer_px, m.timer).x;

  // Right of the timer: the window in words, what to do, the forces, the release cue; one size
  // for the large lines, shrunk together if the column is narrow.
  const float x = r.x0 + pad + timer_w + 2.5f * pad;
  const float col_w = r.x1 - pad - x;
  float large = f.large_px;
  for (const std::string* line : {&m.words, &m.force_text, &m.release_text})
    large = std::min(large, fitPx(f.large, f.large_px, *line, col_w - 16 * s));
  const float normal = std::min(f.normal_px, fitPx(f.normal, f.normal_px, m.detail, col_w));
  float y = r.y0 + pad;
  text(dl, f.large, large, ImVec2(x, y), m.text, m.words);
  y += large * 1.25f;
  if (!m.released) {  // once it released, the cue below says what matters
    text(dl, f.normal, normal, ImVec2(x, y), m.text, m.detail);
    y += normal * 1.5f;
  }
  text(dl, f.large, large, ImVec2(x, y), m.text, m.force_text);
  y += large * 1.35f;
  if (m.released) {
    // The release cue: a blue box, white text.
    fills.push_back(
        {Rect{x - 10 * s, y, r.x1 - pad, y + large * 1.25f + f.normal_px * 1.3f}, kReleasedBand});
    text(dl, f.large, large, ImVec2(x, y + 2 * s), kLightText, m.release_text);
    text(dl, f.normal, f.normal_px, ImVec2(x, y + large * 1.2f), kLightText, m.release_how);
  }
  endPanel();
}

}  // namespace rollrig::gui

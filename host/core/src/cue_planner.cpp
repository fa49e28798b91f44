#include "rollrig/core/cue_planner.h"

#include <algorithm>
#include <cmath>

namespace rollrig::core {

const char* cueKindName(CueKind kind) {
  switch (kind) {
    case CueKind::kHoldConfirmed:
      return "hold confirmed";
    case CueKind::kWindowReached:
      return "window reached";
    case CueKind::kReleased:
      return "released";
    case CueKind::kMoveOn:
      return "move on";
    case CueKind::kTooFast:
      return "too fast";
    case CueKind::kOutOfBand:
      return "out of band";
    case CueKind::kSwitchSides:
      return "switch sides";
    case CueKind::kStretchHoldDone:
      return "stretch hold done";
    case CueKind::kStretchTotalReached:
      return "stretch total reached";
  }
  return "";
}

std::string cueKindKey(CueKind kind) {
  std::string key = cueKindName(kind);
  std::replace(key.begin(), key.end(), ' ', '-');
  return key;
}

std::optional<CueKind> cueKindFromKey(const std::string& key) {
  for (int i = 0; i < kCueKinds; ++i)
    if (cueKindKey(static_cast<CueKind>(i)) == key) return static_cast<CueKind>(i);
  return std::nullopt;
}

std::string cueKindKeys() {
  std::string all;
  for (int i = 0; i < kCueKinds; ++i) all += (i ? ", " : "") + cueKindKey(static_cast<CueKind>(i));
  return all;
}

namespace {

// "thirty seconds", "ninety seconds": the protocol's round numbers in words, else digits.
std::string secondsInWords(double s) {
  const int n = static_cast<int>(s + 0.5);
  switch (n) {
    case 10:
      return "ten seconds";
    case 20:
      return "twenty seconds";
    case 30:
      return "thirty seconds";
    case 45:
      return "forty-five seconds";
    case 60:
      return "sixty seconds";
    case 90:
      return "ninety seconds";
    case 120:
      return "two minutes";
    default:
      return std::to_string(n) + " seconds";
  }
}

}  // namespace

void RollSpeedMeter::add(double t_s, bool has_cop, double x_mm, double y_mm) {
  if (!has_cop) {
    m_points.clear();
    m_speed.reset();
    return;
  }
  m_points.push_back({t_s, x_mm, y_mm});
  // Keep one point at least a second old as the reference, nothing older.
  while (m_points.size() >= 2 && t_s - m_points[1].t >= 1.0) m_points.pop_front();
  const Point& a = m_points.front();
  const double dt = t_s - a.t;
  if (dt >= 1.0 - 1e-9)
    m_speed = std::hypot(x_mm - a.x, y_mm - a.y) / dt;
  else
    m_speed.reset();
}

CuePlanner::CuePlanner(CueSettings settings) : m_settings(settings) {}

void CuePlanner::raise(std::vector<Cue>& out, CueKind kind, double t_s, std::string words) {
  if (m_settings.isOn(kind)) out.push_back({kind, t_s, std::move(words)});
}

std::vector<Cue> CuePlanner::update(const CueInput& in) {
  std::vector<Cue> out;
  const double t = in.t_s;

  // [SECTION] The hold: confirmed, 30 s, released, 90 s; once each per hold.
  if (in.in_hold) {
    if (!m_hold_start_s || *m_hold_start_s != in.hold_start_s) {
      m_hold_start_s = in.hold_start_s;
      m_window_said = m_released_said = m_move_on_said = false;
      m_out_of_band_since_s.reset();
      m_out_of_band_said = false;
      raise(out, CueKind::kHoldConfirmed, t, "hold");
    }
    if (in.hold_released && !m_released_said) {
      m_released_said = true;
      raise(out, CueKind::kReleased, t, "released");
    }
    // After a release the window cues would only distract: the spot is done.
    if (!m_released_said && !m_window_said && in.hold_elapsed_s >= in.window_min_s) {
      m_window_said = true;
      raise(out, CueKind::kWindowReached, t, secondsInWords(in.window_min_s));
    }
    if (!m_move_on_said && in.hold_elapsed_s >= in.window_max_s) {
      m_move_on_said = true;
      raise(out, CueKind::kMoveOn, t, "time to move on");
    }
    // The load band, during the hold: out for longer than the grace time.
    if (in.load_fraction) {
      const double f = *in.load_fraction;
      const bool out_of_band = f < m_settings.band_low || f > m_settings.band_high;
      if (!out_of_band) {
        m_out_of_band_since_s.reset();
        m_out_of_band_said = false;
      } else {
        if (!m_out_of_band_since_s) m_out_of_band_since_s = t;
        const bool repeat_ok =
            !m_last_out_of_band_s || t - *m_last_out_of_band_s >= m_settings.repeat_s;
        if (!m_out_of_band_said && t - *m_out_of_band_since_s >= m_settings.band_grace_s &&
            repeat_ok) {
          m_out_of_band_said = true;
          m_last_out_of_band_s = t;
          raise(out, CueKind::kOutOfBand, t,
                f > m_settings.band_high ? "less pressure" : "more pressure");
        }
      }
    }
  } else {
    m_out_of_band_since_s.reset();
    m_out_of_band_said = false;
    // Rolling between holds: slowly.
    if (in.roll_speed_mm_s && *in.roll_speed_mm_s > m_settings.too_fast_mm_s &&
        (!m_last_too_fast_s || t - *m_last_too_fast_s >= m_settings.repeat_s)) {
      m_last_too_fast_s = t;
      raise(out, CueKind::kTooFast, t, "slower");
    }
  }

  // [SECTION] The protocol guide: switch sides, the stretch.
  if (in.guide) {
    const ProtocolGuideView& g = *in.guide;
    if (g.current != m_step) {
      m_step = g.current;
      m_move_on_seen = false;
      m_stretch_holds_seen = 0;
      m_stretch_hold_done_said = m_stretch_total_said = false;
    }
    if (g.current >= 0 && g.current < static_cast<int>(g.steps.size())) {
      const ProtocolStepView& s = g.steps[static_cast<size_t>(g.current)];
      const bool last = g.current + 1 >= static_cast<int>(g.steps.size());
      if (s.kind == ProtocolStepKind::kRolling && s.move_on && !m_move_on_seen) {
        m_move_on_seen = true;
        const ProtocolStepView* next =
            last ? nullptr : &g.steps[static_cast<size_t>(g.current + 1)];
        std::string words = "time for the stretch";
        if (next && next->kind == ProtocolStepKind::kRolling)
          words = std::string("switch to the ") + sideName(next->side) + " side";
        raise(out, CueKind::kSwitchSides, t, words);
      }
      if (s.kind == ProtocolStepKind::kStretch) {
        if (s.stretch_holds != m_stretch_holds_seen) {  // a new stretch hold began
          m_stretch_holds_seen = s.stretch_holds;
          m_stretch_hold_done_said = false;
        }
        if (s.stretch_running && !m_stretch_hold_done_said &&
            s.stretch_current_s >= in.stretch_hold_max_s) {
          m_stretch_hold_done_said = true;
          raise(out, CueKind::kStretchHoldDone, t, "stretch hold done");
        }
        if (!m_stretch_total_said && s.stretch_total_s >= in.stretch_total_s) {
          m_stretch_total_said = true;
          raise(out, CueKind::kStretchTotalReached, t,
                secondsInWords(in.stretch_total_s) + " on this side");
        }
      }
    }
  }
  return out;
}

}  // namespace rollrig::core

#include "rollrig/core/protocol_guide.h"

#include <algorithm>
#include <cstdio>

namespace rollrig::core {

namespace {

ProtocolStepView makeStep(ProtocolStepKind kind, Side side) {
  ProtocolStepView s;
  s.kind = kind;
  s.side = side;
  s.name = std::string(sideName(side)) +
           (kind == ProtocolStepKind::kRolling ? " side rolling" : " hip-flexor stretch");
  return s;
}

// A rolling hold counts as worked through once it reached the window's start or released.
bool worked(const Hold& h, double hold_min_s) {
  return h.release_s.has_value() || h.duration_s() >= hold_min_s;
}

}  // namespace

ProtocolGuide::ProtocolGuide(ProtocolGuideParams params) : m_params(params) {
  m_view.steps = {makeStep(ProtocolStepKind::kRolling, Side::kRight),
                  makeStep(ProtocolStepKind::kRolling, Side::kLeft),
                  makeStep(ProtocolStepKind::kStretch, Side::kRight),
                  makeStep(ProtocolStepKind::kStretch, Side::kLeft)};
}

void ProtocolGuide::startStep(int index, double t_s) {
  m_view.current = index;
  m_stretch_done_s = 0;
  if (index >= static_cast<int>(m_view.steps.size())) {
    m_view.finished = true;
    return;
  }
  ProtocolStepView& s = m_view.steps[index];
  s.started = true;
  s.start_s = t_s;
  m_side_mark = s.side;
}

void ProtocolGuide::update(double t_s, const std::vector<Hold>& closed, const Hold* open) {
  if (m_view.current < 0) {
    m_now_s = t_s;
    startStep(0, t_s);
  }
  if (m_view.finished) return;
  advanceTo(t_s);
  ProtocolStepView& s = m_view.steps[m_view.current];
  if (s.kind != ProtocolStepKind::kRolling) return advanceTo(m_now_s);
  s.holds = 0;
  s.holds_worked = 0;
  const auto count = [&](const Hold& h) {
    if (h.start_s < s.start_s) return;
    ++s.holds;
    if (worked(h, m_params.hold_min_s)) ++s.holds_worked;
  };
  // Closed holds are in start order: walk back only over this step's.
  for (auto it = closed.rbegin(); it != closed.rend() && it->start_s >= s.start_s; ++it) count(*it);
  if (open) count(*open);
  advanceTo(m_now_s);  // the cue with the new counts
}

void ProtocolGuide::advanceTo(double t_s) {
  m_now_s = std::max(m_now_s, t_s);
  if (m_view.current < 0 || m_view.finished) return;
  const ProtocolGuideParams& p = m_params;
  ProtocolStepView& s = m_view.steps[m_view.current];
  s.time_s = m_now_s - s.start_s;
  m_view.total_s = m_now_s - m_view.steps[0].start_s;
  char b[160];
  if (s.kind == ProtocolStepKind::kStretch) {
    if (s.stretch_running) s.stretch_current_s = m_now_s - m_stretch_started_s;
    s.stretch_total_s = m_stretch_done_s + (s.stretch_running ? s.stretch_current_s : 0.0);
    s.move_on = s.stretch_total_s >= p.stretch_total_s;
    std::snprintf(b, sizeof(b), "%.0f s of stretch done: %s", p.stretch_total_s,
                  m_view.current + 1 < static_cast<int>(m_view.steps.size())
                      ? "press Tab for the other side"
                      : "press Tab to finish");
  } else {
    s.move_on =
        s.holds_worked >= p.rolling_holds_to_move_on || s.time_s >= p.rolling_time_to_move_on_s;
    std::snprintf(b, sizeof(b), "%s: when this spot is done, press Tab for the next step",
                  s.holds_worked >= p.rolling_holds_to_move_on ? "enough holds on this side"
                                                               : "a good while on this side");
  }
  m_view.cue = s.move_on ? b : "";
}

void ProtocolGuide::next(double t_s) {
  if (m_view.current < 0 || m_view.finished) return;
  advanceTo(t_s);
  ProtocolStepView& s = m_view.steps[m_view.current];
  if (s.stretch_running) {
    s.stretch_running = false;
    m_stretch_done_s += s.stretch_current_s;
    s.stretch_total_s = m_stretch_done_s;
  }
  s.done = true;
  m_view.cue.clear();
  startStep(m_view.current + 1, m_now_s);
  if (m_view.finished) m_view.total_s = m_now_s - m_view.steps[0].start_s;
}

bool ProtocolGuide::inStretchStep() const {
  return m_view.current >= 0 && !m_view.finished &&
         m_view.steps[m_view.current].kind == ProtocolStepKind::kStretch;
}

std::optional<double> ProtocolGuide::toggleStretchHold(double t_s) {
  if (!inStretchStep()) return std::nullopt;
  advanceTo(t_s);
  ProtocolStepView& s = m_view.steps[m_view.current];
  if (!s.stretch_running) {
    s.stretch_running = true;
    ++s.stretch_holds;
    m_stretch_started_s = m_now_s;
    s.stretch_current_s = 0;
    advanceTo(m_now_s);
    return std::nullopt;
  }
  s.stretch_running = false;
  m_stretch_done_s += s.stretch_current_s;
  advanceTo(m_now_s);
  return s.stretch_current_s;
}

std::optional<Side> ProtocolGuide::takeSideMark() {
  std::optional<Side> s = m_side_mark;
  m_side_mark.reset();
  return s;
}

}  // namespace rollrig::core

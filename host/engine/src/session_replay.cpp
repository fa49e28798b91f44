#include "rollrig/engine/session_replay.h"

#include <algorithm>

namespace rollrig::engine {

LiveSnapshot replaySnapshotAt(const SessionDetails& d, double t_s, double session_end_s,
                              const core::ForceSample& force_at, uint64_t samples_until,
                              const core::HoldParams& params) {
  LiveSnapshot s;
  const bool ended = t_s >= session_end_s;
  s.state = ended ? ConnectionState::kEnded : ConnectionState::kStreaming;
  s.source = d.record.info.source;
  s.samples_recorded = samples_until;
  const uint64_t first_us = d.record.first_t_us.value_or(0);
  const double t = std::clamp(t_s, 0.0, std::max(0.0, session_end_s));
  const uint64_t now_us = first_us + static_cast<uint64_t>(t * 1e6 + 0.5);
  s.first_t_us = first_us;
  s.last_t_us = now_us;
  s.elapsed_s = t;
  s.last_force = force_at;
  s.finished = ended;
  s.replay = true;
  if (!d.calibrations.empty()) s.calibration = d.calibrations.front().record;

  for (const core::Hold& h : d.holds) {
    if (h.end_s <= t) {
      s.holds.push_back(h);  // closed by then
    } else if (h.start_s <= t && !s.open_hold) {
      OpenHoldView v;
      v.hold = h;
      v.hold.end_s = t;
      v.elapsed_s = t - h.start_s;
      v.mean_force_n = h.mean_force_n;
      v.protocol_min_s = params.protocol_min_s;
      v.protocol_max_s = params.protocol_max_s;
      v.window = v.elapsed_s < params.protocol_min_s    ? OpenHoldView::Window::kBefore
                 : v.elapsed_s <= params.protocol_max_s ? OpenHoldView::Window::kInside
                                                        : OpenHoldView::Window::kPast;
      if (h.release_s && *h.release_s <= t) {
        v.released = true;
        v.release_s = *h.release_s;
        v.release_source = h.release_source;
      } else {
        v.hold.release_s.reset();
        v.hold.release_source.clear();
      }
      s.open_hold = v;
    }
  }
  for (const core::Marker& m : d.markers)
    if (m.t_us <= now_us) s.markers.push_back(m);
  for (const core::ConnectionEvent& e : d.events)
    if (e.t_us <= now_us) s.events.push_back(e);
  return s;
}

}  // namespace rollrig::engine

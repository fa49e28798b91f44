// Replaying a stored session in the live view's widgets: what the engine's snapshot would have
// shown at any moment of it. The samples themselves come from forEachProcessedSample()
// (session_library.h); this is the rest of the snapshot — the hold open at that moment with its
// elapsed time, level, protocol window and (once passed) its release, the holds closed by then,
// and the markers and connection events up to then — from the session's stored holds, markers and
// events (SessionDetails), so a replay shows what the recording found, not a new analysis.
//
// Pure; thread safety: none needed (no state).
#pragma once

#include "rollrig/core/session_analyzer.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/session_library.h"

namespace rollrig::engine {

// The snapshot at session time t_s (seconds since the first sample). `force_at` is the force of
// the last sample at or before t_s and `samples_until` how many samples that is (the caller's
// sample store knows both). The state is kEnded when t_s is at or past the session's end, else
// kStreaming; new_samples stays empty (the caller has every sample already).
LiveSnapshot replaySnapshotAt(const SessionDetails& d, double t_s, double session_end_s,
                              const core::ForceSample& force_at, uint64_t samples_until,
                              const core::HoldParams& params = {});

}  // namespace rollrig::engine

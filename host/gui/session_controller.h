// SessionController: the GUI's one live session — it builds the engine's LiveSession for the
// source the user picked (the virtual rig or a port), records it into the session library
// (StoreSessionSink), takes the engine's snapshot once per frame and keeps every sample in the
// SampleStore. It holds no analysis, recording or calibration logic: that is the engine's.
//
// Errors are state: a library that cannot be opened, a port that is busy or refused, a device that
// went away — all end up in errorText() / the snapshot, never thrown, never a modal.
//
// Thread safety: UI thread only. The engine runs on its own thread and calls `wake` (e.g.
// glfwPostEmptyEvent) after it published something new.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rollrig/core/cue_planner.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/store_sink.h"
#include "sample_store.h"
#include "stepped_stream.h"

namespace rollrig::gui {

struct SourceChoice {
  enum class Kind { kVirtualRig, kPort } kind = Kind::kVirtualRig;
  uint64_t seed = 1;  // virtual rig
  bool fast = false;  // virtual rig: one step of device time per frame (stepped_stream.h)
  std::string port;   // a serial port or the twin's pty
  int baud = 0;       // 0: the firmware's default
};

// What the user set (settings.h) that a new session takes when it starts: stored with it and given
// to its live analysis. A session keeps what it started with; a change applies from the next one.
struct NewSessionSettings {
  std::string ball;                    // store::SessionInfo::ball ("" not said)
  std::optional<double> body_mass_kg;  // store::SessionInfo::body_mass_kg
  // The protocol window the open hold is shown against (core::HoldParams::protocol_min_s / _max_s).
  double protocol_min_s = 30, protocol_max_s = 90;
  // The session's "slowly" (core::HoldParams::slow_roll_mm_s): the live share of rolling too
  // fast, the speed gauge and the too-fast cue all count against it, cues on or off.
  double slow_roll_mm_s = core::kSlowRoll_mm_s;
  // With these, the engine plans the cues (LiveSessionOptions::cues) and takeCues() has them: the
  // kinds switched on, the load band and the "slowly" limit (settings.h cueSettings()). Nothing:
  // no cues.
  std::optional<core::CueSettings> cues;
};

class SessionController {
 public:
  // `db_path`: the session library ("" : do not record, e.g. never; the app passes the default).
  // `wake`: called from the engine thread when there is something new to draw.
  SessionController(std::string db_path, std::function<void()> wake);
  ~SessionController();

  // Starts a session on `source` (ending the one running, if any). False with errorText() when it
  // could not start at all (the library cannot be opened); a device that cannot be opened shows
  // up in the snapshot (state kFailed, device_error).
  bool start(const SourceChoice& source);
  // For the sessions start() starts from now on (not the one running).
  void setNewSessionSettings(const NewSessionSettings& s) { m_new = s; }
  const NewSessionSettings& newSessionSettings() const { return m_new; }
  // What the current (or last) session started with.
  const NewSessionSettings& sessionSettings() const { return m_started_with; }
  // Ends the session (it stays on screen until the next start()).
  void stop();
  bool running() const { return m_session && !m_session->finished(); }
  bool hasSession() const { return m_session != nullptr; }
  const SourceChoice& source() const { return m_source; }

  // Takes the engine's snapshot (once per frame): new samples go to samples(), the rest replaces
  // snapshot(). True when anything new arrived (a redraw is due).
  bool update();
  // The cues the engine raised since the last call (oldest first), for the app to sound.
  std::vector<core::Cue> takeCues() { return std::exchange(m_cues, {}); }
  // --fast: lets the virtual rig advance its next step (about a second of device time). Call once
  // per drawn frame, so the session advances with what is shown. No-op otherwise.
  void nextStep();

  const engine::LiveSnapshot& snapshot() const { return m_snap; }
  const SampleStore& samples() const { return m_samples; }
  const std::string& errorText() const { return m_error; }  // "" when fine
  const std::string& notice() const { return m_notice; }    // e.g. recovered sessions

  // The user's marks (keys), through the engine.
  void markReleased();
  void markPain(int pain_0_10);
  void markSide(core::Side side);
  void addNote(const std::string& text);

 private:
  std::string m_db_path;
  std::function<void()> m_wake;
  SourceChoice m_source;
  NewSessionSettings m_new, m_started_with;
  std::vector<core::Cue> m_cues;
  std::unique_ptr<engine::StoreSessionSink> m_library;
  std::unique_ptr<engine::LiveSession> m_session;
  std::shared_ptr<StepBudget> m_budget;  // --fast only
  engine::LiveSnapshot m_snap;
  SampleStore m_samples;
  std::string m_error, m_notice;
};

}  // namespace rollrig::gui

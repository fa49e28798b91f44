// StoreSessionSink: a live session recorded into the session library (rollrig::store, SQLite).
//
// prepare() opens (or creates) the library before the device is even opened, so a library that
// cannot be written (a read-only location, a full disk, a file from a newer rollrig or another
// program) is reported before anything starts. begin() starts a session row with the device's
// INFO and the calibration chosen, and commits it at once; samples, re-zeroes, markers and
// connection events are buffered and written by commit() in one transaction (the engine calls it
// every 200 ms, so a killed process loses at most the last 250 ms of device time); closed holds are
// written with the next commit. end() writes how the session ended. A session that never got a
// sample is removed again, so a failed start leaves the library as it was.
//
// A failed commit (the disk is full, the location became read-only, the library is locked for
// longer than the busy timeout) returns false with a message that says what is kept: every
// committed sample stays, the engine stops the session. The store keeps the uncommitted batch, so
// end() retries once before it gives up.
//
// Thread safety: driven by the engine thread; sessionId() and the counts are for the owner after
// LiveSession::wait() returned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/engine/session_library.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/store/session_store.h"

namespace rollrig::engine {

class StoreSessionSink : public SessionSink {
 public:
  // `library_path`: the library file (store::defaultLibraryPath() for the user's own). `user`:
  // what the user said about the session (ball, body mass, notes, sides); the device's fields
  // (source, serial, firmware, protocol, rate, cells) and the start time come from begin().
  explicit StoreSessionSink(std::string library_path, store::SessionInfo user = {});

  // Opens the library read-write (creating it and its directory), then recovers the sessions
  // whose recorder died (kill -9, a crash, a power cut): their holds are re-derived from the
  // stored samples and they are closed as "interrupted (recovered)" (recoverInterruptedSessions,
  // session_library.h); recovered() lists them so the front end can say so. False with *why (a
  // complete sentence) and *kind when the library cannot be used. A recovery that fails is not
  // fatal: the recording goes ahead and warning() says why.
  bool prepare(std::string* why, store::StoreErrorKind* kind = nullptr);
  const std::vector<RecoveredSession>& recovered() const { return m_recovered; }
  const std::string& warning() const { return m_warning; }

  bool begin(const SessionStart& start, std::string* why) override;
  void samples(const std::vector<ProcessedSample>& batch) override;
  void reZero(const core::ReZero& z) override;
  void marker(const core::Marker& m) override;
  void connection(const core::ConnectionEvent& e) override;
  void holdClosed(const core::Hold& h) override;
  bool commit(std::string* why) override;
  bool end(const SessionEnding& ending, std::string* why) override;

  const std::string& path() const { return m_path; }
  int64_t sessionId() const { return m_id; }  // 0 until begin(); 0 again if removed (no sample)
  uint64_t samplesCommitted() const { return m_committed_samples; }
  // Device time of the first and last committed sample (0 when none).
  uint64_t firstCommitted_us() const { return m_first_committed_us; }
  uint64_t lastCommitted_us() const { return m_last_committed_us; }

 private:
  std::string failureMessage(const store::StoreError& e) const;

  std::string m_path;
  store::SessionInfo m_user;
  store::SessionStore m_store;
  int64_t m_id = 0;
  std::optional<core::CalibrationRecord> m_calibration;  // until the first sample's time is known
  std::vector<RecoveredSession> m_recovered;
  std::string m_warning;
  std::vector<core::Hold> m_holds;
  bool m_holds_changed = false;
  std::string m_sides;  // "left", "right" or "left,right", in the order first marked
  uint64_t m_pending_samples = 0;
  uint64_t m_pending_first_us = 0, m_pending_last_us = 0;
  uint64_t m_committed_samples = 0;
  uint64_t m_first_committed_us = 0, m_last_committed_us = 0;
};

}  // namespace rollrig::engine

// SessionSink: where a live session's record goes. The engine (LiveSession, live_session.h) hands
// every sink the same things in the same order, on its own thread:
//
//   begin()            once, after the handshake: the device, the source, the calibration chosen;
//   samples()          every processed sample, in order (session device time strictly increasing);
//   reZero(), marker(), connection(), holdClosed(), openHold()  as they happen, in time order;
//   commit()           at least every LiveSessionOptions::commit_interval_ms of host time, and once
//                      more before end(): what was handed over so far must be durable when it
//                      returns true;
//   end()              once, with how the session ended: also after a failed commit (so a sink
//                      can finalise what it kept) and when the session failed to start before
//                      begin() (so a sink can remove what it prepared).
//
// A sink that cannot keep data (a full disk, a read-only location) returns false from begin() or
// commit() with a complete user-facing message (what happened, what was kept, what to do); the
// engine then stops the session and shows the message (LiveSnapshot::last_error). What a sink
// committed before the failure must stay.
//
// Two sinks here: CsvSessionSink (the session CSV of docs/CSV_FORMAT.md and its sidecar, as
// `rollrig record --out` writes them) and MemorySessionSink (everything in memory, for tests and
// tools). The session library's sink lives with the store.
//
// Thread safety: a sink is driven by one engine thread at a time; its own accessors (e.g.
// CsvSessionSink::rowsOnDisk()) are for after LiveSession::wait() returned, or for the sink's
// owner's thread before start(). Sinks are owned by the caller and must outlive the session.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/core/session_events.h"
#include "rollrig/engine/output_file.h"
#include "rollrig/io/session_meta.h"

namespace rollrig::engine {

// One sample as the engine processed it. sample.t_us is session device time: the device's clock
// unwrapped, and continued across a reconnect (never runs back within a session). t_s is the
// session time the analyser sees: (t_us - the session's first t_us) / 1e6.
struct ProcessedSample {
  core::Sample sample;
  core::ForceSample force;
  double t_s = 0;
};

// What begin() gets: who is recording what, with which calibration.
struct SessionStart {
  proto::InfoFrame info{};              // the device's INFO from the (first) handshake
  std::string source;                   // ByteStream::describe(), e.g. "/dev/ttyACM0"
  std::string started_utc;              // ISO 8601 UTC, host clock (metadata only)
  core::CalibrationRecord calibration;  // used for the forces from the first sample on
  std::string calibration_from;         // a path, "the virtual rig's own", "nothing stored ..."
  bool auto_zero = false;               // a DriftTracker re-zeroes the offsets
  core::DriftOptions auto_zero_options;
  core::HoldParams hold_params;  // what the live analysis runs with
};

// How a session ended.
enum class EndReason {
  kNone = 0,     // still running
  kDuration,     // the requested device time was reached
  kStopped,      // stop() (Ctrl-C, the GUI's stop button)
  kDeviceLost,   // the stream failed in a way reconnecting cannot mend (or reconnect is off)
  kSinkFailed,   // a sink could not keep data (its message is LiveSnapshot::last_error)
  kStartFailed,  // opening or the first handshake failed: nothing was recorded
};
const char* endReasonName(EndReason r);  // "duration", "stopped", "device lost", ...

struct SessionEnding {
  EndReason reason = EndReason::kNone;
  std::string stop_reason;   // in words, for metadata: "duration reached", "interrupted", ...
  std::string error;         // the message of a device or sink failure; "" otherwise
  core::DecoderStats stats;  // summed over every connection of the session
  uint64_t samples = 0;      // samples handed to samples()
  uint64_t first_t_us = 0;   // session device time of the first and last sample (0 if none)
  uint64_t last_t_us = 0;
};

class SessionSink {
 public:
  virtual ~SessionSink() = default;

  virtual bool begin(const SessionStart& start, std::string* why) = 0;
  virtual void samples(const std::vector<ProcessedSample>& batch) = 0;
  // The ForceModel's offsets moved (DriftTracker); applies from the next sample on.
  virtual void reZero(const core::ReZero& z) { (void)z; }
  virtual void marker(const core::Marker& m) { (void)m; }
  virtual void connection(const core::ConnectionEvent& e) { (void)e; }
  // A hold ended (holds close in order and never change afterwards).
  virtual void holdClosed(const core::Hold& h) { (void)h; }
  // The open hold as of the last sample (nullopt: none open); sent before each commit.
  virtual void openHold(const std::optional<core::Hold>& h) { (void)h; }
  virtual bool commit(std::string* why) = 0;
  // Returns false with *why when finalising failed (e.g. the CSV's sidecar could not be written).
  virtual bool end(const SessionEnding& ending, std::string* why) = 0;
};

// [SECTION] CsvSessionSink

// The session CSV (docs/CSV_FORMAT.md) and its sidecar FILE.csv.meta.json, written so that
// nothing the user already has is lost (OutputFile): prepare() creates the file under a temporary
// name before anything starts; the first commit() with rows gives it its name (with `overwrite` a
// rename replaces an older file, without it link() refuses one that appeared meanwhile) and writes
// the sidecar; every commit() writes whole rows with write(2), and a failed write (disk full, file
// size limit) cuts the file back to its last whole row and fails with a message that says how many
// rows are kept. end() finalises the sidecar (rows on disk, re-zeroes up to the last row, the
// decoder's statistics, the stop reason), or removes the temporary file of a session that never
// had a row. Markers, holds and connection events are not part of the CSV format; they are not
// written (the session library keeps them).
class CsvSessionSink : public SessionSink {
 public:
  // `path`: the CSV; `overwrite`: --force.
  CsvSessionSink(std::string path, bool overwrite);

  // Checks and creates the output before the session starts (a directory that cannot take it
  // fails now, with *why). Must be called, and succeed, before the session begins.
  bool prepare(std::string* why);
  // Removes the temporary file of a session that never started (a no-op once committed).
  void discard() { m_out.discard(); }

  bool begin(const SessionStart& start, std::string* why) override;
  void samples(const std::vector<ProcessedSample>& batch) override;
  void reZero(const core::ReZero& z) override;
  bool commit(std::string* why) override;
  bool end(const SessionEnding& ending, std::string* why) override;

  // After end(): what is on disk (not what was received: after a failed write the last rows are
  // gone).
  bool committed() const { return m_out.committed(); }  // the file has its name
  uint64_t rowsOnDisk() const { return m_rows_on_disk; }
  double secondsOnDisk() const;  // device time from the first to the last row on disk
  bool hasSidecar() const { return m_out.regular(); }
  const std::string& sidecarPath() const { return m_meta_path; }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path, m_meta_path;
  bool m_overwrite;
  OutputFile m_out;
  io::SessionMeta m_meta;
  std::ostringstream m_batch_text;
  core::SessionCsvWriter m_csv{m_batch_text};
  std::vector<uint64_t> m_batch_t_us;  // device time of each row in m_batch_text
  std::vector<core::ReZero> m_rezeros;
  bool m_have_t0 = false;
  uint64_t m_t0_us = 0;
  uint64_t m_rows_on_disk = 0, m_t_last_on_disk_us = 0;
};

// [SECTION] MemorySessionSink

// Keeps everything in memory: what was handed over, and what was committed (a copy of the counts
// at each commit). For tests and tools. `fail_commit_after` (0: never) makes the n-th commit fail
// with `failure_message`, to exercise the engine's handling of a sink that cannot keep data.
// Its accessors take a lock, so a test may read them while the session runs.
class MemorySessionSink : public SessionSink {
 public:
  struct Record {
    std::optional<SessionStart> start;
    std::vector<ProcessedSample> samples;
    std::vector<core::ReZero> rezeros;
    std::vector<core::Marker> markers;
    std::vector<core::ConnectionEvent> events;
    std::vector<core::Hold> holds;
    std::optional<core::Hold> open_hold;
    std::vector<uint64_t> committed_samples;  // samples.size() at each successful commit
    std::optional<SessionEnding> ending;
  };

  uint64_t fail_commit_after = 0;
  std::string failure_message = "the test sink is full.";

  bool begin(const SessionStart& start, std::string* why) override;
  void samples(const std::vector<ProcessedSample>& batch) override;
  void reZero(const core::ReZero& z) override;
  void marker(const core::Marker& m) override;
  void connection(const core::ConnectionEvent& e) override;
  void holdClosed(const core::Hold& h) override;
  void openHold(const std::optional<core::Hold>& h) override;
  bool commit(std::string* why) override;
  bool end(const SessionEnding& ending, std::string* why) override;

  Record record() const;  // a copy
  size_t commits() const;

 private:
  mutable std::mutex m_mutex;
  Record m_rec;
};

}  // namespace rollrig::engine

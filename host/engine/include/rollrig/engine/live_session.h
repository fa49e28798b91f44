// LiveSession: one recording session, live — what every front end (the CLI's `record`, the GUI)
// drives instead of doing the work itself.
//
// It opens a source through an opener (the virtual rig, a serial port, the twin's pty, or a test's
// fake transport), runs the handshake and the Acquisition, chooses the calibration (a calibration
// given by the caller, else the one stored for the device's serial, else the virtual rig's exact
// nominal one, else the uncalibrated default; the DriftTracker re-zeroes only with real offsets and
// unless disabled), turns counts into forces (ForceModel), runs core::SessionAnalyzer live (holds
// open, close and release as they happen), takes the user's markers, hands everything to the
// sinks (session_sink.h) and commits them at least every commit_interval_ms of host time.
//
// Time: device time is the clock. A sample's t_us is the device's unwrapped clock, continued across
// a reconnect; the analysis time is t_s = (t_us - the first t_us) / 1e6. A marker gets the t_us of
// the latest sample processed when it was given. The host's steady clock (injectable) only paces
// commits and reconnect attempts and measures how long the device was away; it never stamps data.
//
// Reconnect: when the stream ends with kDisconnected (unplugged, the twin killed) the session stays
// open: a kDisconnected event is recorded, the state becomes kReconnecting, and about every
// reconnect_interval_ms the source is opened again and handshaken. A device with another serial is
// refused (a kRefused event; the snapshot's message names it) and the attempts go on. The same
// serial resumes the same session: its device times are offset so that its first sample lands
// after the last one before the cut by the host-measured gap, and a kReconnected event records
// gap_s. stop() ends the session at any point, reconnecting included. A device reboot that the
// Acquisition rides out (a boot INFO) is not a disconnect: it is recorded as kDeviceReset when the
// decoder's device_resets rises; frames lost on the wire as one kGap event per gap.
//
// Threads: start() returns at once; the engine's own thread opens the source, handshakes and then
// loops: take the Acquisition's samples, process, hand to sinks, commit, publish. snapshot(), the
// mark*() calls, stop() and wait() may be called from any thread (the UI's); snapshot() holds the
// session's lock only to move out what was published since the last call. Sinks are called only
// from the engine thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/cue_planner.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/core/session_events.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/byte_stream.h"
#include "rollrig/io/io_error.h"
#include "rollrig/io/virtual_rig_stream.h"
#include "rollrig/sim/virtual_device.h"

namespace rollrig::engine {

// Makes a fresh stream to the device (called once to start, and again for every reconnect
// attempt). Returns nullptr with *err set when the source cannot be opened now.
using StreamOpener = std::function<std::unique_ptr<io::ByteStream>(io::IoError* err)>;

// The built-in virtual rig: the first call makes a VirtualRigStream with this config (later calls,
// after a disconnect, reach the same rig). The virtual rig brings its own exact calibration
// (nominalCalibration()); no stored one is looked up for it.
//
// `unplug` (a demo fault, so reconnect can be shown without hardware): once the rig's device time
// reaches at_s its link fails with kDisconnected and every open fails with kNotFound for for_s of
// host time; then the SAME rig (its body model and clock ran on) answers again. 0: never.
struct VirtualRigUnplug {
  double at_s = 0;
  double for_s = 0;
};
StreamOpener virtualRigOpener(const sim::VirtualDeviceConfig& config,
                              io::VirtualRigStream::Pacing pacing, VirtualRigUnplug unplug = {});
// A serial port or pty (io::openPort); baud 0 means io::kDefaultBaud.
StreamOpener portOpener(const std::string& path, int baud);

// The host's steady clock, for commit pacing, reconnect pacing and the gap only (tests inject one).
using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct LiveSessionOptions {
  StreamOpener open;  // required
  // A calibration chosen by the caller (e.g. read from --calibration FILE before anything
  // started); `calibration_path` names it in the metadata and in the serial-mismatch warning.
  std::optional<core::CalibrationRecord> calibration;
  std::string calibration_path;
  // Where calibrations per device serial are looked up (io::CalibrationStore); "": the default.
  std::string calibration_dir;
  bool auto_zero = true;  // false: keep the offsets fixed (--no-auto-zero)
  double duration_s = 0;  // session device time to record; 0: until stop()
  bool reconnect = true;  // false: a disconnect ends the session (kDeviceLost)
  // The library's promise (docs/STORE.md): a killed recorder's library lags the rig by at most
  // 250 ms of device time. A commit covers what was taken before it, so the lag at a kill can
  // reach the interval + the engine's idle wait (5 ms) + how long the newest samples waited to be
  // read + one sample period (12.5 ms at 80 Hz) + the commit itself: 200 ms leaves that margin
  // (at 250 ms, 1 kill in 100 found the library 262.5 ms behind; docs/RELIABILITY.md).
  int commit_interval_ms = 200;
  // ... and also whenever this many samples wait (a source running flat out, e.g. a --fast demo,
  // would otherwise hand a sink minutes of data per commit: memory, and all of it at risk).
  // At 80 Hz this never comes first.
  uint64_t commit_max_samples = 16384;
  int reconnect_interval_ms = 1000;
  io::HandshakeOptions handshake;  // its `cancel` is the session's own (stop() cancels it)
  // The live analysis's parameters. Its slow_roll_mm_s is the session's one "slowly": the live
  // share of rolling too fast (LiveSnapshot::rolling) and, when cues are planned, the too-fast cue
  // (the planner gets it as CueSettings::too_fast_mm_s, whatever `cues` says), so the cue and the
  // share never disagree.
  core::HoldParams hold_params;
  // Cues for the person on the ball (core::CuePlanner), planned on every sample so their times are
  // exact whatever the UI's frame rate; published in LiveSnapshot::new_cues. Unset: no cues. The
  // hold, speed and load-band cues only: the protocol guide's own (switch sides, the stretch) are
  // the front end's, which owns the guide.
  std::optional<core::CueSettings> cues;
  double body_mass_kg = 0;  // > 0: the load band is judged against this (the load-band cue)
  SteadyClock clock = &std::chrono::steady_clock::now;
  // Samples a snapshot keeps for a UI that has not taken them; older ones are dropped from the
  // snapshot only (never from the record) and counted in LiveSnapshot::new_samples_dropped.
  size_t max_snapshot_samples = 1u << 17;
  // Called on the engine thread after it published something new (samples, a state change, the
  // end), so a UI that sleeps until there is something to draw can wake (glfwPostEmptyEvent()).
  // Must be cheap and thread-safe; may be empty.
  std::function<void()> on_update;
};

enum class ConnectionState { kConnecting, kStreaming, kReconnecting, kEnded, kFailed };
const char* connectionStateName(ConnectionState s);  // "connecting", "streaming", ...

// The hold in progress, as the UI shows it (HOLD 0:42 (30–90 s) 312 N, released).
struct OpenHoldView {
  core::Hold hold;          // as SessionAnalyzer::currentHold() (end_s: the latest sample)
  double elapsed_s = 0;     // from the hold's (back-dated) start to the latest sample
  double mean_force_n = 0;  // the hold's level
  double protocol_min_s = 30, protocol_max_s = 90;  // the protocol window (HoldParams)
  enum class Window { kBefore, kInside, kPast } window = Window::kBefore;
  bool released = false;       // the detector, or a "released" marker inside the hold, says so
  double release_s = 0;        // session time of the release
  std::string release_source;  // "load-up", "tremor", ..., or "marker" (a marker wins)
};

// The last kRecent_s of device time for the coaching gauges (LiveSnapshot::recent): one point per
// kRecentStep_s of session time (a fixed grid: 0.0-0.1 s, 0.1-0.2 s, ...), made by the engine from
// every sample, so a UI that skips frames still gets every tenth of a second; bounded (about 100
// points, a few kB), so a snapshot copies it cheaply.
inline constexpr double kRecent_s = 10.0;
inline constexpr double kRecentStep_s = 0.1;
struct RecentPoint {
  double t_s = 0;     // session time of the step's last sample
  double load_n = 0;  // the mean total force over the step's samples
  // The ball's rolling speed (core::RollSpeedMeter) at the step's end; nothing in a hold (the ball
  // is held, not rolled) or without a position.
  std::optional<double> roll_speed_mm_s;
};

// Rolling so far this session (LiveSnapshot::rolling): the live analysis's own figures
// (core::SessionAnalyzer::summary()), so the live share IS the analysed one: equal at the end, and
// while live it runs behind the latest sample by the hold dwell plus about a second (a speed is
// counted once it can no longer turn out to be the back-dated start of a hold).
struct RollingSoFar {
  double rolling_s = 0;  // SessionSummary::rolling_s: loaded, not in a hold (pauses included)
  // SessionSummary::roll_fast_share: the share (0-1) of the moving time faster than
  // slow_roll_mm_s; nothing before the ball has moved.
  std::optional<double> fast_share;
  double slow_roll_mm_s = core::kSlowRoll_mm_s;  // the "slowly" it counts against
};

// Everything a UI needs for one frame, taken under one short lock (LiveSession::snapshot()).
struct LiveSnapshot {
  ConnectionState state = ConnectionState::kConnecting;
  std::string state_message;  // e.g. why it is reconnecting, which device was refused
  // Processed samples published since the previous snapshot() (t_s, raw counts, forces, CoP).
  std::vector<ProcessedSample> new_samples;
  uint64_t new_samples_dropped = 0;  // since the previous snapshot (see max_snapshot_samples)
  // Cues raised since the previous snapshot (LiveSessionOptions::cues), oldest first.
  std::vector<core::Cue> new_cues;
  // The ball's rolling speed now (core::RollSpeedMeter); nothing without a position.
  std::optional<double> roll_speed_mm_s;
  // The coaching gauges: the last 10 s (oldest first) and the session's rolling so far.
  std::vector<RecentPoint> recent;
  RollingSoFar rolling;

  // The device and the stream.
  std::string source;                    // ByteStream::describe() of the current connection
  std::optional<proto::InfoFrame> info;  // from the first handshake
  core::DecoderStats stats;              // summed over every connection of the session
  std::optional<proto::StatusFrame> last_status;
  double rate_hz = 0;  // RateMeter::rateAt_hz over 2 s ending "now" (falls while nothing comes)
  double since_last_sample_s = 0;  // host time since the last sample arrived

  // The recording.
  uint64_t samples_recorded = 0;           // samples handed to the sinks
  uint64_t first_t_us = 0, last_t_us = 0;  // session device time (valid when samples_recorded)
  double elapsed_s = 0;                    // (last - first) / 1e6
  core::ForceSample last_force;            // of the latest sample

  // The calibration chosen (set once the device is known).
  core::CalibrationRecord calibration;
  std::string calibration_from;
  bool auto_zero = false;
  std::vector<core::ReZero> rezeros;
  std::vector<std::string> warnings;  // e.g. a calibration made for another device (all so far)

  // The analysis and the user's marks.
  std::optional<OpenHoldView> open_hold;
  std::vector<core::Hold> holds;  // closed so far
  std::vector<core::Marker> markers;
  std::vector<core::ConnectionEvent> events;

  // How it went.
  std::string last_error;    // the latest device or sink failure, as a user-facing sentence
  std::string end_error;     // a sink could not finalise (e.g. the CSV's sidecar); "" if fine
  io::IoError device_error;  // a start or device failure (its kind maps to an exit code)
  EndReason end_reason = EndReason::kNone;
  std::string stop_reason;  // in words, once ended ("duration reached", "interrupted", ...)
  bool finished = false;    // the engine thread is done and every sink has ended
  // Made by replaySnapshotAt() (session_replay.h): a stored session seen at elapsed_s, with
  // samples after it (a live snapshot's elapsed_s is always its newest sample's).
  bool replay = false;
};

class LiveSession {
 public:
  explicit LiveSession(LiveSessionOptions options);
  ~LiveSession();  // stops and waits
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  // Sinks get everything (session_sink.h). Not owned; add them before start(); they must outlive
  // the session (until wait() returned).
  void addSink(SessionSink* sink);

  // Starts the engine thread (opening and the handshake happen there; watch the snapshot).
  void start();

  // Ends the session: a handshake in progress is cancelled, reconnecting stops, everything taken so
  // far is committed, sinks end. `reason` is the stop reason in words ("interrupted", "stopped").
  // Idempotent; returns at once (wait() for the end). Safe from any thread, not from a signal
  // handler (set a flag there and call stop() from a thread).
  void stop(const std::string& reason = "stopped");

  // Blocks until the engine thread is done (or `timeout` passes: then false; false at once if
  // start() was never called). Call it from one thread (it joins the engine thread).
  bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
  bool finished() const { return m_finished.load(); }

  // The user's markers, stamped with the latest sample's device time (before the first sample:
  // the first sample's). markPain() refuses a value outside 0-10 (false).
  void markReleased();
  bool markPain(int pain_0_10);
  void markSide(core::Side side);
  void addNote(const std::string& text);

  // What happened since the previous call (new samples) and the state as of now.
  LiveSnapshot snapshot();

 private:
  struct Engine;
  void addMarker(core::Marker m);
  // The engine thread and its steps (engine thread only).
  void run();
  void chooseCalibration(const std::optional<core::Calibration>& nominal);
  void applyMarkers();
  void addEvent(core::ConnectionEventKind kind, const std::string& detail, uint64_t frames_lost = 0,
                double gap_s = 0);
  void sendHolds(bool final_holds);
  bool commitAll();
  // Feeds the cue planner one processed sample (engine thread).
  void planCues(double t_s, const core::ForceSample& f);
  // Adds one processed sample to the gauges' recent history (engine thread).
  void addRecent(double t_s, const core::ForceSample& f);
  void publish(const std::vector<ProcessedSample>& batch, bool final_state);
  bool reconnect(const io::IoError& lost);
  void finish(EndReason reason, std::string stop_reason, std::string error,
              const io::IoError& device_error);
  std::string lastError();
  void notify();  // on_update, if any
  std::string stopReason();

  LiveSessionOptions m_opt;
  std::vector<SessionSink*> m_sinks;
  std::unique_ptr<Engine> m_engine;  // the engine thread's own state
  std::thread m_thread;
  bool m_started = false;  // start() was called (owner's thread)
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_finished{false};

  mutable std::mutex m_mutex;      // guards everything below (the published state)
  std::condition_variable m_wake;  // stop() wakes the engine thread
  std::condition_variable m_done;  // the engine thread finished
  std::string m_stop_reason;
  LiveSnapshot m_pub;                   // published state (new_samples accumulate here)
  std::vector<core::Marker> m_pending;  // markers not yet seen by the engine thread
  bool m_have_sample = false;
  uint64_t m_latest_t_us = 0;  // latest processed sample (markers' time)
};

}  // namespace rollrig::engine

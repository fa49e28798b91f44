#include "rollrig/engine/live_session.h"

#include <algorithm>
#include <cmath>

#include "rollrig/core/calibration_json.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/rate_meter.h"
#include "rollrig/engine/firmware_version.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/io/session_meta.h"

namespace rollrig::engine {

namespace {

using Clock = std::chrono::steady_clock;

// The engine thread sleeps this long when a take brought nothing (stop() wakes it at once).
constexpr auto kIdleWait = std::chrono::milliseconds(5);

// Every DecoderStats counter, so the statistics of a session's connections can be summed.
void addStats(core::DecoderStats& into, const core::DecoderStats& s) {
  into.bytes += s.bytes;
  into.frames_ok += s.frames_ok;
  into.samples += s.samples;
  into.crc_errors += s.crc_errors;
  into.malformed += s.malformed;
  into.oversized += s.oversized;
  into.unknown_types += s.unknown_types;
  into.seq_gaps += s.seq_gaps;
  into.frames_lost += s.frames_lost;
  into.duplicates += s.duplicates;
  into.out_of_order += s.out_of_order;
  into.time_wraps += s.time_wraps;
  into.device_resets += s.device_resets;
  into.wrong_channel_count += s.wrong_channel_count;
  into.implausible += s.implausible;
}
static_assert(sizeof(core::DecoderStats) == 15 * sizeof(uint64_t),
              "a DecoderStats counter was added: sum it in addStats()");

// A message as a sentence that another may follow.
std::string sentence(const std::string& s) {
  if (s.empty() || s.back() == '.' || s.back() == '!' || s.back() == '?') return s;
  return s + ".";
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

const char* connectionStateName(ConnectionState s) {
  switch (s) {
    case ConnectionState::kConnecting:
      return "connecting";
    case ConnectionState::kStreaming:
      return "streaming";
    case ConnectionState::kReconnecting:
      return "reconnecting";
    case ConnectionState::kEnded:
      return "ended";
    case ConnectionState::kFailed:
      return "failed";
  }
  return "failed";
}

namespace {

// The virtual rig behind every opener call of one session, and its unplug fault.
struct SharedVirtualRig {
  sim::VirtualDeviceConfig config;
  io::VirtualRigStream::Pacing pacing;
  VirtualRigUnplug unplug;
  std::mutex mutex;  // the opener (engine thread) and the link (I/O thread) take turns
  std::unique_ptr<io::VirtualRigStream> rig;
  bool unplugged_once = false;
  Clock::time_point back_at{};
};

// One connection to the shared rig. Dead once it was "unplugged".
class VirtualRigLink : public io::ByteStream {
 public:
  explicit VirtualRigLink(std::shared_ptr<SharedVirtualRig> shared) : m_shared(std::move(shared)) {}

  long read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError* err) override {
    std::unique_lock<std::mutex> lock(m_shared->mutex);
    SharedVirtualRig& s = *m_shared;
    if (!m_dead && !s.unplugged_once && s.unplug.at_s > 0 &&
        s.rig->device().now_us() >= static_cast<uint64_t>(s.unplug.at_s * 1e6)) {
      s.unplugged_once = true;
      s.back_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(s.unplug.for_s));
      m_dead = true;
    }
    if (m_dead) {
      *err = gone();
      return -1;
    }
    return s.rig->read(buf, cap, timeout_ms, err);
  }
  bool write(const uint8_t* data, size_t len, io::IoError* err) override {
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    if (m_dead) {
      *err = gone();
      return false;
    }
    return m_shared->rig->write(data, len, err);
  }
  void flushInput() override {
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    if (!m_dead) m_shared->rig->flushInput();
  }
  bool waitsForTheReader() const override { return true; }
  std::string describe() const override {
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    return m_shared->rig->describe();
  }
  std::optional<core::Calibration> nominalCalibration() const override {
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    return m_shared->rig->nominalCalibration();
  }

 private:
  static io::IoError gone() {
    return io::makeError(io::IoErrorKind::kDisconnected,
                         "the virtual rig was unplugged (the --unplug demo fault).");
  }
  std::shared_ptr<SharedVirtualRig> m_shared;
  bool m_dead = false;
};

}  // namespace

StreamOpener virtualRigOpener(const sim::VirtualDeviceConfig& config,
                              io::VirtualRigStream::Pacing pacing, VirtualRigUnplug unplug) {
  auto shared = std::make_shared<SharedVirtualRig>();
  shared->config = config;
  shared->pacing = pacing;
  shared->unplug = unplug;
  return [shared](io::IoError* err) -> std::unique_ptr<io::ByteStream> {
    std::lock_guard<std::mutex> lock(shared->mutex);
    if (shared->unplugged_once && Clock::now() < shared->back_at) {
      *err = io::makeError(io::IoErrorKind::kNotFound,
                           "the virtual rig is still unplugged (the --unplug demo fault).");
      return nullptr;
    }
    // Created at the first open, so a real-time rig's clock starts then (as a freshly reset Uno).
    if (!shared->rig)
      shared->rig = std::make_unique<io::VirtualRigStream>(shared->config, shared->pacing);
    return std::make_unique<VirtualRigLink>(shared);
  };
}

StreamOpener portOpener(const std::string& path, int baud) {
  return [path, baud](io::IoError* err) {
    return io::openPort(path, baud > 0 ? baud : io::kDefaultBaud, err);
  };
}

// [SECTION] The engine thread's state (only the engine thread touches it)

struct LiveSession::Engine {
  std::unique_ptr<io::Acquisition> acq;
  io::AcquisitionSnapshot asnap;
  proto::InfoFrame info{};
  std::string source;

  // Calibration and forces.
  core::CalibrationRecord cal_record;
  std::string cal_from;
  std::optional<core::DriftTracker> drift;
  core::ForceModel model;

  core::SessionAnalyzer analyzer;
  // Cues (LiveSessionOptions::cues): planned per sample, published with the next snapshot.
  std::optional<core::CuePlanner> planner;
  core::RollSpeedMeter roll_speed;
  std::vector<core::Cue> cues;  // raised since the last publish
  // The gauges' last 10 s (LiveSnapshot::recent): closed steps, and the step being filled.
  std::deque<RecentPoint> recent;
  int64_t step_index = -1;
  double step_sum_n = 0, step_last_s = 0;
  int step_samples = 0;
  core::RateMeter rate;

  // Session time. offset_us is added to the current connection's device times (0 for the first).
  bool have_t0 = false;
  uint64_t t0_us = 0, last_t_us = 0;
  int64_t offset_us = 0;
  bool need_offset = false;
  uint64_t gap_us = 0;  // host-measured, for the first sample after a reconnect
  Clock::time_point last_arrival{};

  core::DecoderStats stats_before;  // connections that ended
  uint64_t resets_seen = 0;
  uint64_t samples = 0;
  size_t holds_sent = 0;
  core::ForceSample last_force;
  std::vector<core::Marker> markers;
  std::vector<core::Marker> unstamped;  // given before the first sample

  bool began = false;                // every sink's begin() succeeded
  std::vector<size_t> failed_sinks;  // indexes of sinks whose commit failed
  Clock::time_point next_commit{};
  uint64_t samples_at_commit = 0;  // `samples` when the sinks were last committed
  bool connected_pending = false;  // the first connection's event waits for the first sample

  core::DecoderStats totalStats() const {
    core::DecoderStats s = stats_before;
    addStats(s, asnap.stats);
    return s;
  }
  double t_s(uint64_t t_us) const { return have_t0 ? (t_us - t0_us) / 1e6 : 0.0; }
};

// [SECTION] Public API

LiveSession::LiveSession(LiveSessionOptions options)
    : m_opt(std::move(options)), m_engine(std::make_unique<Engine>()) {
  m_engine->analyzer =
      core::SessionAnalyzer(m_opt.hold_params, core::AnalyzerInput::kForceAndPosition);
  if (m_opt.cues) {
    // One "slowly" for the session: the cue's is the analysis's (LiveSessionOptions::hold_params).
    core::CueSettings cues = *m_opt.cues;
    cues.too_fast_mm_s = m_opt.hold_params.slow_roll_mm_s;
    m_engine->planner.emplace(cues);
  }
}

LiveSession::~LiveSession() {
  stop();
  if (m_thread.joinable()) m_thread.join();
}

void LiveSession::addSink(SessionSink* sink) {
  m_sinks.push_back(sink);
}

void LiveSession::start() {
  if (m_started) return;
  m_started = true;
  m_thread = std::thread([this] {
    io::blockStopSignalsInThisThread();  // the front end's thread takes them (it calls stop())
    run();
  });
}

void LiveSession::stop(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stop_reason.empty()) m_stop_reason = reason;
  }
  m_stop.store(true);
  m_wake.notify_all();
}

bool LiveSession::wait(std::chrono::milliseconds timeout) {
  if (!m_started) return false;
  std::unique_lock<std::mutex> lock(m_mutex);
  const auto done = [this] { return m_finished.load(); };
  if (timeout == std::chrono::milliseconds::max()) {
    m_done.wait(lock, done);
  } else if (!m_done.wait_for(lock, timeout, done)) {
    return false;
  }
  lock.unlock();
  if (m_thread.joinable() && std::this_thread::get_id() != m_thread.get_id()) m_thread.join();
  return true;
}

void LiveSession::addMarker(core::Marker m) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m.t_us = m_have_sample ? m_latest_t_us : 0;
  m_pending.push_back(std::move(m));
  m_wake.notify_all();
}

void LiveSession::markReleased() {
  core::Marker m;
  m.kind = core::MarkerKind::kReleased;
  addMarker(m);
}

bool LiveSession::markPain(int pain_0_10) {
  if (pain_0_10 < 0 || pain_0_10 > 10) return false;
  core::Marker m;
  m.kind = core::MarkerKind::kPain;
  m.pain = pain_0_10;
  addMarker(m);
  return true;
}

void LiveSession::markSide(core::Side side) {
  core::Marker m;
  m.kind = core::MarkerKind::kSide;
  m.side = side;
  addMarker(m);
}

void LiveSession::addNote(const std::string& text) {
  core::Marker m;
  m.kind = core::MarkerKind::kNote;
  m.text = text;
  addMarker(m);
}

LiveSnapshot LiveSession::snapshot() {
  std::vector<ProcessedSample> fresh;
  LiveSnapshot out;
  std::lock_guard<std::mutex> lock(m_mutex);
  fresh.swap(m_pub.new_samples);
  out = m_pub;  // the rest is small: holds, markers and events so far
  out.new_samples = std::move(fresh);
  m_pub.new_cues.clear();
  m_pub.new_samples_dropped = 0;
  return out;
}

// [SECTION] The engine thread

namespace {

// Adds `batch` to the UI's buffer, dropping the oldest beyond `cap` (down to half of it, so the
// cost is amortised).
void appendCapped(std::vector<ProcessedSample>& buf, uint64_t& dropped,
                  const std::vector<ProcessedSample>& batch, size_t cap) {
  buf.insert(buf.end(), batch.begin(), batch.end());
  if (cap > 0 && buf.size() > cap) {
    const size_t drop = buf.size() - cap / 2;
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(drop));
    dropped += drop;
  }
}

}  // namespace

void LiveSession::run() {
  Engine& e = *m_engine;
  const auto publishState = [&](ConnectionState state, const std::string& message) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.state = state;
      m_pub.state_message = message;
    }
    notify();
  };

  // Connect: open, handshake. A first connection that fails ends the session (nothing recorded).
  publishState(ConnectionState::kConnecting, "");
  io::IoError err;
  std::unique_ptr<io::ByteStream> stream = m_opt.open(&err);
  if (!stream) {
    if (!err) err = io::makeError(io::IoErrorKind::kSystem, "the source could not be opened.");
    finish(EndReason::kStartFailed, "start failed", err.message, err);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pub.source = stream->describe();
  }
  if (m_stop) {
    finish(EndReason::kStopped, stopReason(), "", {});
    return;
  }
  const std::optional<core::Calibration> nominal = stream->nominalCalibration();
  e.source = stream->describe();
  e.acq = std::make_unique<io::Acquisition>(std::move(stream), m_opt.clock);
  io::HandshakeOptions handshake = m_opt.handshake;
  handshake.cancel = &m_stop;
  if (!e.acq->start(&err, handshake)) {
    if (m_stop) {
      finish(EndReason::kStopped, stopReason(), "", {});
    } else {
      finish(EndReason::kStartFailed, "start failed", err.message, err);
    }
    return;
  }
  e.info = e.acq->info();
  chooseCalibration(nominal);
  if (const std::string advice = firmwareUpdateAdvice(e.info); !advice.empty()) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pub.warnings.push_back(advice);
  }

  SessionStart start;
  start.info = e.info;
  start.source = e.source;
  start.started_utc = io::isoUtcNow();
  start.calibration = e.cal_record;
  start.calibration_from = e.cal_from;
  start.auto_zero = e.drift.has_value();
  if (e.drift) start.auto_zero_options = e.drift->options();
  start.hold_params = m_opt.hold_params;
  for (size_t i = 0; i < m_sinks.size(); ++i) {
    std::string why;
    if (!m_sinks[i]->begin(start, &why)) {
      e.failed_sinks.push_back(i);
      finish(EndReason::kSinkFailed, "output failed", why, {});
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pub.info = e.info;
    m_pub.calibration = e.cal_record;
    m_pub.calibration_from = e.cal_from;
    m_pub.auto_zero = e.drift.has_value();
  }
  e.began = true;
  // Stamped with the first sample's time when it comes (the device's clock at the handshake is
  // not known), so no event of the session lies before its first sample.
  e.connected_pending = true;
  publishState(ConnectionState::kStreaming, "");
  e.next_commit = m_opt.clock() + std::chrono::milliseconds(m_opt.commit_interval_ms);

  const uint64_t duration_us =
      m_opt.duration_s > 0 ? static_cast<uint64_t>(m_opt.duration_s * 1e6 + 0.5) : 0;
  std::vector<core::Sample> taken;
  std::vector<ProcessedSample> batch;
  std::vector<core::ReZero> rezeros;
  while (true) {
    applyMarkers();
    taken.clear();
    e.acq->take(taken, &e.asnap);
    batch.clear();
    rezeros.clear();
    bool reached = false;
    // A rise of the decoder's reset count belongs to a sample of this batch: the one flagged
    // RESET_SEEN, else the first (the flagged one may have been lost).
    const uint64_t resets_now = e.totalStats().device_resets;
    uint64_t new_resets = resets_now - e.resets_seen;
    e.resets_seen = resets_now;
    size_t reset_at = 0;
    for (size_t i = 0; i < taken.size() && new_resets > 0; ++i) {
      if (taken[i].flags & proto::kFlagResetSeen) {
        reset_at = i;
        break;
      }
    }
    for (size_t i = 0; i < taken.size(); ++i) {
      core::Sample s = taken[i];
      if (e.need_offset) {
        e.need_offset = false;
        if (e.have_t0) {
          e.offset_us = static_cast<int64_t>(e.last_t_us + std::max<uint64_t>(e.gap_us, 1)) -
                        static_cast<int64_t>(s.t_us);
        }
      }
      s.t_us = static_cast<uint64_t>(static_cast<int64_t>(s.t_us) + e.offset_us);
      if (!e.have_t0) {
        e.have_t0 = true;
        e.t0_us = s.t_us;
        e.last_t_us = s.t_us;
        if (e.connected_pending) {
          e.connected_pending = false;
          addEvent(core::ConnectionEventKind::kConnected, e.source);
        }
      }
      if (duration_us > 0 && s.t_us - e.t0_us >= duration_us) {
        reached = true;
        break;
      }
      if (new_resets > 0 && i == reset_at) {
        for (; new_resets > 0; --new_resets)
          addEvent(core::ConnectionEventKind::kDeviceReset, "", s.lost_before);
      } else if (s.lost_before > 0) {
        addEvent(core::ConnectionEventKind::kGap, "", s.lost_before);
      }
      const core::ForceSample f = e.model.compute(s);
      e.last_force = f;
      const double t_s = (s.t_us - e.t0_us) / 1e6;
      e.analyzer.push({t_s, f.total_n, f.has_cop, f.x_mm, f.y_mm});
      e.roll_speed.add(t_s, f.has_cop, f.x_mm, f.y_mm);
      if (e.planner) planCues(t_s, f);
      addRecent(t_s, f);
      batch.push_back({s, f, t_s});
      // A re-zero applies from the next sample on.
      if (e.drift && e.drift->add(s)) {
        e.model = core::ForceModel(e.drift->calibration(), e.cal_record.geometry);
        rezeros.push_back(e.drift->reZeros().back());
      }
      e.rate.add(s.t_us);
      e.last_t_us = s.t_us;
      ++e.samples;
    }
    if (e.samples > 0 && !e.unstamped.empty()) applyMarkers();
    // The snapshot first, then the sinks: whoever sees a sample in a sink finds it in the next
    // snapshot too (a UI never lags what is already recorded).
    publish(batch, false);
    if (!batch.empty()) {
      for (SessionSink* sink : m_sinks) sink->samples(batch);
    }
    for (const core::ReZero& z : rezeros)
      for (SessionSink* sink : m_sinks) sink->reZero(z);
    if (!batch.empty()) notify();

    if (m_opt.clock() >= e.next_commit ||
        e.samples - e.samples_at_commit >= m_opt.commit_max_samples) {
      if (!commitAll()) {
        finish(EndReason::kSinkFailed, "output failed", lastError(), {});
        return;
      }
    }
    if (reached) {
      finish(EndReason::kDuration, "duration reached", "", {});
      return;
    }
    if (m_stop) {
      finish(EndReason::kStopped, stopReason(), "", {});
      return;
    }
    if (!e.asnap.running && taken.empty()) {
      // The I/O thread has ended and everything it queued is processed.
      const io::IoError lost = e.asnap.error;
      if (lost.kind == io::IoErrorKind::kDisconnected && m_opt.reconnect) {
        if (!reconnect(lost)) return;  // ended inside (stopped, or a sink failed)
        continue;
      }
      finish(EndReason::kDeviceLost, "device lost", lost.message, lost);
      return;
    }
    if (taken.empty()) {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_wake.wait_for(lock, kIdleWait, [this] { return m_stop.load() || !m_pending.empty(); });
    }
  }
}

// [SECTION] Calibration: exactly as `rollrig record` has always chosen it

void LiveSession::chooseCalibration(const std::optional<core::Calibration>& nominal) {
  Engine& e = *m_engine;
  const bool virtual_rig = nominal.has_value();
  std::vector<std::string> warnings;
  // A calibration given by the caller, else the one stored for this device (real rigs and the
  // twin), else the virtual rig's exact nominal one or the uncalibrated default. Auto-zero needs
  // real offsets, so it only runs with one of the first three.
  core::CalibrationRecord record;
  core::Calibration calibration = virtual_rig ? *nominal : core::Calibration{};
  e.cal_from = virtual_rig ? "the virtual rig's own" : "nothing stored for this device";
  bool have_offsets = virtual_rig;
  if (m_opt.calibration) {
    record = *m_opt.calibration;
    e.cal_from = m_opt.calibration_path.empty() ? "the caller" : m_opt.calibration_path;
    have_offsets = true;
    if (record.calibration.device_serial != 0 &&
        record.calibration.device_serial != e.info.device_serial) {
      warnings.push_back(e.cal_from + " was made for device " +
                         core::serialHex(record.calibration.device_serial) + ", this is device " +
                         core::serialHex(e.info.device_serial));
    }
    calibration = record.calibration;
  } else if (!virtual_rig) {
    const io::CalibrationStore store = m_opt.calibration_dir.empty()
                                           ? io::CalibrationStore()
                                           : io::CalibrationStore(m_opt.calibration_dir);
    io::IoError cal_err;
    if (store.load(e.info.device_serial, &record, &cal_err)) {
      e.cal_from = store.pathFor(e.info.device_serial);
      have_offsets = true;
      calibration = record.calibration;
    } else {
      record = core::CalibrationRecord{};
      if (cal_err.kind != io::IoErrorKind::kNotFound) {
        warnings.push_back(cal_err.message +
                           "; recording with the uncalibrated default (the raw counts are kept)");
      }
    }
  }
  if (calibration.device_serial == 0) calibration.device_serial = e.info.device_serial;
  record.calibration = calibration;
  e.cal_record = record;
  if (have_offsets && m_opt.auto_zero) e.drift.emplace(calibration);
  e.model = core::ForceModel(calibration, record.geometry);
  std::lock_guard<std::mutex> lock(m_mutex);
  m_pub.warnings.insert(m_pub.warnings.end(), warnings.begin(), warnings.end());
}

// [SECTION] Markers, events, commits, publishing

void LiveSession::applyMarkers() {
  Engine& e = *m_engine;
  std::vector<core::Marker> pending;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    pending.swap(m_pending);
  }
  // Markers given before the first sample wait for it and take its time.
  e.unstamped.insert(e.unstamped.end(), pending.begin(), pending.end());
  if (!e.have_t0) return;
  std::vector<core::Marker> now;
  now.swap(e.unstamped);
  for (core::Marker& m : now) {
    if (m.t_us < e.t0_us) m.t_us = e.t0_us;
    const double t_s = e.t_s(m.t_us);
    if (m.kind == core::MarkerKind::kReleased) e.analyzer.markReleased(t_s);
    if (m.kind == core::MarkerKind::kSide) e.analyzer.markSide(t_s, m.side);
    for (SessionSink* sink : m_sinks) sink->marker(m);
    e.markers.push_back(m);
  }
  if (!now.empty()) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pub.markers.insert(m_pub.markers.end(), now.begin(), now.end());
  }
}

void LiveSession::addEvent(core::ConnectionEventKind kind, const std::string& detail,
                           uint64_t frames_lost, double gap_s) {
  Engine& e = *m_engine;
  core::ConnectionEvent ev;
  ev.t_us = e.last_t_us;
  ev.kind = kind;
  ev.frames_lost = frames_lost;
  ev.gap_s = gap_s;
  ev.detail = detail;
  ev.wall_utc = io::isoUtcNow();
  for (SessionSink* sink : m_sinks) sink->connection(ev);
  std::lock_guard<std::mutex> lock(m_mutex);
  m_pub.events.push_back(ev);
}

void LiveSession::sendHolds(bool final_holds) {
  Engine& e = *m_engine;
  const auto& holds = e.analyzer.holds();
  for (; e.holds_sent < holds.size(); ++e.holds_sent)
    for (SessionSink* sink : m_sinks) sink->holdClosed(holds[e.holds_sent]);
  const std::optional<core::Hold> open = final_holds ? std::nullopt : e.analyzer.currentHold();
  for (SessionSink* sink : m_sinks) sink->openHold(open);
}

bool LiveSession::commitAll() {
  Engine& e = *m_engine;
  sendHolds(false);
  e.next_commit = m_opt.clock() + std::chrono::milliseconds(m_opt.commit_interval_ms);
  e.samples_at_commit = e.samples;
  for (size_t i = 0; i < m_sinks.size(); ++i) {
    if (std::find(e.failed_sinks.begin(), e.failed_sinks.end(), i) != e.failed_sinks.end())
      continue;
    std::string why;
    if (!m_sinks[i]->commit(&why)) {
      e.failed_sinks.push_back(i);
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.last_error = why;
      return false;
    }
  }
  return true;
}

std::string LiveSession::lastError() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_pub.last_error;
}

std::string LiveSession::stopReason() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_stop_reason.empty() ? "stopped" : m_stop_reason;
}

void LiveSession::planCues(double t_s, const core::ForceSample& f) {
  Engine& e = *m_engine;
  core::CueInput in;
  in.t_s = t_s;
  if (const std::optional<core::Hold> cur = e.analyzer.currentHold()) {
    in.in_hold = true;
    in.hold_start_s = cur->start_s;
    in.hold_elapsed_s = cur->end_s - cur->start_s;
    in.window_min_s = m_opt.hold_params.protocol_min_s;
    in.window_max_s = m_opt.hold_params.protocol_max_s;
    in.hold_released = cur->release_s.has_value();
    // A "released" marker inside the hold counts too (as the snapshot's open hold shows it).
    for (const core::Marker& m : e.markers)
      if (m.kind == core::MarkerKind::kReleased && e.t_s(m.t_us) >= cur->start_s)
        in.hold_released = true;
  }
  in.roll_speed_mm_s = e.roll_speed.speed_mm_s();
  if (m_opt.body_mass_kg > 0) in.load_fraction = f.total_n / (m_opt.body_mass_kg * 9.80665);
  for (core::Cue& c : e.planner->update(in)) e.cues.push_back(std::move(c));
}

void LiveSession::addRecent(double t_s, const core::ForceSample& f) {
  Engine& e = *m_engine;
  const auto index = static_cast<int64_t>(std::floor(t_s / kRecentStep_s));
  if (index != e.step_index && e.step_samples > 0) {
    RecentPoint p;
    p.t_s = e.step_last_s;
    p.load_n = e.step_sum_n / e.step_samples;
    // Rolling only: a held ball's creep is no rolling speed (the analysis is at the step's end).
    if (!e.analyzer.currentHold()) p.roll_speed_mm_s = e.roll_speed.speed_mm_s();
    e.recent.push_back(p);
    e.step_sum_n = 0;
    e.step_samples = 0;
  }
  e.step_index = index;
  e.step_sum_n += f.total_n;
  e.step_last_s = t_s;
  ++e.step_samples;
  while (!e.recent.empty() && e.recent.front().t_s < t_s - kRecent_s) e.recent.pop_front();
}

void LiveSession::publish(const std::vector<ProcessedSample>& batch, bool final_state) {
  Engine& e = *m_engine;
  // Everything computed before the lock; under it only copies of small things and the batch.
  std::optional<OpenHoldView> view;
  if (!final_state) {
    if (const std::optional<core::Hold> cur = e.analyzer.currentHold()) {
      OpenHoldView v;
      v.hold = *cur;
      v.elapsed_s = cur->end_s - cur->start_s;
      v.mean_force_n = cur->mean_force_n;
      v.protocol_min_s = m_opt.hold_params.protocol_min_s;
      v.protocol_max_s = m_opt.hold_params.protocol_max_s;
      v.window = v.elapsed_s < v.protocol_min_s    ? OpenHoldView::Window::kBefore
                 : v.elapsed_s <= v.protocol_max_s ? OpenHoldView::Window::kInside
                                                   : OpenHoldView::Window::kPast;
      // A "released" marker inside the hold wins over the detector (as it will when it closes).
      for (const core::Marker& m : e.markers) {
        const double t = e.t_s(m.t_us);
        if (m.kind == core::MarkerKind::kReleased && t >= cur->start_s && t <= cur->end_s) {
          v.released = true;
          v.release_s = t;
          v.release_source = "marker";
          break;
        }
      }
      if (!v.released && cur->release_s) {
        v.released = true;
        v.release_s = *cur->release_s;
        v.release_source = cur->release_source;
      }
      view = std::move(v);
    }
  }
  const auto& holds = e.analyzer.holds();
  const core::SessionSummary summary = e.analyzer.summary();
  RollingSoFar rolling;
  rolling.rolling_s = summary.rolling_s;
  // The median is at least half a mm/s once any moving time was counted (1 mm/s bins).
  if (summary.roll_speed_median_mm_s > 0) rolling.fast_share = summary.roll_fast_share;
  rolling.slow_roll_mm_s = m_opt.hold_params.slow_roll_mm_s;
  const core::DecoderStats stats = e.totalStats();
  const double idle_s = e.asnap.since_last_sample_s;
  const double rate_hz =
      e.have_t0 ? e.rate.rateAt_hz(e.last_t_us + static_cast<uint64_t>(idle_s * 1e6)) : 0.0;
  std::lock_guard<std::mutex> lock(m_mutex);
  appendCapped(m_pub.new_samples, m_pub.new_samples_dropped, batch, m_opt.max_snapshot_samples);
  m_pub.stats = stats;
  m_pub.last_status = e.asnap.last_status;
  m_pub.rate_hz = rate_hz;
  m_pub.since_last_sample_s = idle_s;
  m_pub.samples_recorded = e.samples;
  m_pub.first_t_us = e.t0_us;
  m_pub.last_t_us = e.last_t_us;
  m_pub.elapsed_s = e.have_t0 ? (e.last_t_us - e.t0_us) / 1e6 : 0.0;
  m_pub.last_force = e.last_force;
  m_pub.roll_speed_mm_s = e.roll_speed.speed_mm_s();
  m_pub.recent.assign(e.recent.begin(), e.recent.end());
  m_pub.rolling = rolling;
  m_pub.new_cues.insert(m_pub.new_cues.end(), e.cues.begin(), e.cues.end());
  e.cues.clear();
  if (e.drift && m_pub.rezeros.size() != e.drift->reZeros().size())
    m_pub.rezeros = e.drift->reZeros();
  m_pub.open_hold = std::move(view);
  if (m_pub.holds.size() != holds.size())
    m_pub.holds.insert(m_pub.holds.end(), holds.begin() + m_pub.holds.size(), holds.end());
  m_have_sample = e.have_t0;
  m_latest_t_us = e.last_t_us;
}

void LiveSession::notify() {
  if (m_opt.on_update) m_opt.on_update();
}

// [SECTION] Reconnect

bool LiveSession::reconnect(const io::IoError& lost) {
  Engine& e = *m_engine;
  addEvent(core::ConnectionEventKind::kDisconnected, lost.message);
  // The host time the last sample arrived: the gap is measured from it.
  const Clock::time_point cut = m_opt.clock();
  e.last_arrival = cut - std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(e.asnap.since_last_sample_s));
  addStats(e.stats_before, e.asnap.stats);
  e.asnap = io::AcquisitionSnapshot{};
  e.acq.reset();
  const std::string away = sentence(lost.message) + " Waiting for it to come back (reconnecting…).";
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pub.state = ConnectionState::kReconnecting;
    m_pub.state_message = away;
    m_pub.last_error = lost.message;
  }
  notify();
  if (!commitAll()) {
    finish(EndReason::kSinkFailed, "output failed", lastError(), {});
    return false;
  }
  const auto interval = std::chrono::milliseconds(m_opt.reconnect_interval_ms);
  Clock::time_point next_attempt = m_opt.clock() + interval;
  io::HandshakeOptions handshake = m_opt.handshake;
  handshake.cancel = &m_stop;
  while (true) {
    // Markers still count while the device is away (they take the last sample's time).
    applyMarkers();
    e.asnap.since_last_sample_s = std::max(0.0, seconds(m_opt.clock() - e.last_arrival));
    publish({}, false);
    if (m_opt.clock() >= e.next_commit && !commitAll()) {
      finish(EndReason::kSinkFailed, "output failed", lastError(), {});
      return false;
    }
    if (m_stop) {
      finish(EndReason::kStopped, stopReason(), "", {});
      return false;
    }
    if (m_opt.clock() < next_attempt) {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_wake.wait_for(lock, std::chrono::milliseconds(20),
                      [this] { return m_stop.load() || !m_pending.empty(); });
      continue;
    }
    next_attempt = m_opt.clock() + interval;
    io::IoError err;
    std::unique_ptr<io::ByteStream> stream = m_opt.open(&err);
    if (!stream) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.state_message = away + " Last attempt: " + err.message;
      continue;
    }
    const std::string source = stream->describe();
    auto acq = std::make_unique<io::Acquisition>(std::move(stream), m_opt.clock);
    if (!acq->start(&err, handshake)) {
      if (m_stop) continue;  // ends above
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.state_message = away + " Last attempt: " + err.message;
      continue;
    }
    const uint32_t serial = acq->info().device_serial;
    if (serial != e.info.device_serial) {
      acq.reset();
      const std::string refused = "refused device " + core::serialHex(serial) + " on " + source +
                                  ": this session records device " +
                                  core::serialHex(e.info.device_serial) +
                                  ". Connect that device again, or stop and start a new session.";
      addEvent(core::ConnectionEventKind::kRefused, refused);
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.state_message = refused;
      continue;
    }
    // The same device: the session goes on, its time continued across the gap.
    const Clock::duration gap = m_opt.clock() - e.last_arrival;
    e.gap_us = static_cast<uint64_t>(std::max(0.0, seconds(gap)) * 1e6);
    e.need_offset = true;
    e.acq = std::move(acq);
    e.source = source;
    const double gap_s = e.gap_us / 1e6;
    const uint64_t would_hold =
        static_cast<uint64_t>(std::llround(gap_s * std::max<uint16_t>(e.info.rate_hz, 1)));
    addEvent(core::ConnectionEventKind::kReconnected, source, would_hold, gap_s);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pub.source = source;
      m_pub.state = ConnectionState::kStreaming;
      m_pub.state_message.clear();
    }
    notify();
    return true;
  }
}

// [SECTION] The end

void LiveSession::finish(EndReason reason, std::string stop_reason, std::string error,
                         const io::IoError& device_error) {
  Engine& e = *m_engine;
  if (e.acq) {
    e.acq->stop();
    std::vector<core::Sample> rest;
    e.acq->take(rest, &e.asnap);  // final statistics (samples after the end are not recorded)
  }
  if (e.began) applyMarkers();  // the last ones still count for the hold they fall in
  e.analyzer.finish();
  if (e.began) {
    sendHolds(true);
    if (reason != EndReason::kSinkFailed && !commitAll()) {
      reason = EndReason::kSinkFailed;
      stop_reason = "output failed";
      error = lastError();
    }
  }
  SessionEnding ending;
  ending.reason = reason;
  ending.stop_reason = stop_reason;
  ending.error = error;
  ending.stats = e.totalStats();
  ending.samples = e.samples;
  ending.first_t_us = e.have_t0 ? e.t0_us : 0;
  ending.last_t_us = e.have_t0 ? e.last_t_us : 0;
  std::string end_error;
  for (SessionSink* sink : m_sinks) {
    std::string why;
    if (!sink->end(ending, &why) && end_error.empty()) end_error = why;
  }
  publish({}, true);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    // The first failure is the one to tell (a sink that then also fails to finalise is news
    // only in end_error).
    if (!error.empty())
      m_pub.last_error = error;
    else if (!end_error.empty())
      m_pub.last_error = end_error;
    m_pub.end_error = end_error;
    m_pub.device_error = device_error;
    m_pub.end_reason = reason;
    m_pub.stop_reason = stop_reason;
    m_pub.state = (reason == EndReason::kDuration || reason == EndReason::kStopped)
                      ? ConnectionState::kEnded
                      : ConnectionState::kFailed;
    if (m_pub.state == ConnectionState::kFailed) m_pub.state_message = m_pub.last_error;
    m_pub.open_hold.reset();
    m_pub.finished = true;
    m_finished.store(true);
  }
  m_done.notify_all();
  notify();
}

}  // namespace rollrig::engine

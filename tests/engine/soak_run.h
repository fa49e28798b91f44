// The soak (docs/RELIABILITY.md, "Soak"): a long session at full speed through the live engine and
// the session library, measuring what a user would feel after hours: resident memory and how long
// a sample takes from the rig to the library. Shared by the engine tests (a short run that checks
// the invariants: nothing lost, the counts agree) and rollrig-soak (the 8-hour run for the docs).
//
// The rig: the virtual rig's device (body model + firmware behaviour) in a TimedStream that makes
// one frame at a time, as fast as it is read but at most 100 ms of device time ahead of the engine
// (a device at the rate the host keeps up with), noting the host time at which each frame was made.
// The engine's clock (which paces commits only; LiveSessionOptions::clock) is the rig's device
// time, so the library gets the commits of a real session (every 200 ms of device time, ~16 samples
// each) while device time runs as fast as the host can go. A "UI" takes a snapshot every 2 ms of
// host time, as a window would every frame), so the engine's published samples never pile up.
//
// Latency of a sample (host time, steady clock): from the moment the device made its frame (the
// frame is handed to the host by that same read()), to the return of the StoreSessionSink::commit()
// that made it durable and visible to readers. It covers the acquisition thread, the decoder, the
// engine's pass (forces, analysis), the queue to the commit and the SQLite transaction; it does not
// include the wait for the commit timer, which in real time adds up to the commit interval (200
// ms): at full speed 200 ms of device time pass in well under a millisecond.
//
// Memory: VmRSS of the process (/proc/self/status) at the start, after a warm-up (the first
// `warm_up_s` of device time: SQLite's page cache, the analyser's windows and the snapshot buffers
// reach their working size), and at the end; SQLite's own heap beside it. The library's data are on
// disk, not in memory; what the engine keeps that grows with the session (closed holds, markers,
// connection events, in the analyser, the snapshot and the sink) is counted in `kept_records` and
// allowed for in the verdict.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "rollrig/engine/live_session.h"
#include "rollrig/engine/store_sink.h"
#include "rollrig/io/byte_stream.h"
#include "rollrig/sim/virtual_device.h"
#include "rollrig/store/session_store.h"

namespace rollrig::testing::soak {

using HostClock = std::chrono::steady_clock;

// VmRSS in bytes (0 when /proc cannot be read).
inline uint64_t residentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kb) == 1) return kb * 1024ull;
  }
  return 0;
}

// Latencies in 10 µs bins up to 1 s (allocated and touched up front: the histogram itself must
// not grow the resident set during the run); beyond that in the last bin (max_us() is exact).
class LatencyHistogram {
 public:
  static constexpr double kBin_us = 10;
  LatencyHistogram() : m_bins(100000, 0) {}
  void clear() {
    std::fill(m_bins.begin(), m_bins.end(), 0u);
    m_count = 0;
    m_max_us = 0;
  }
  void add(double us) {
    size_t i = us <= 0 ? 0 : static_cast<size_t>(us / kBin_us);
    if (i >= m_bins.size()) i = m_bins.size() - 1;
    ++m_bins[i];
    ++m_count;
    if (us > m_max_us) m_max_us = us;
  }
  uint64_t count() const { return m_count; }
  double max_us() const { return m_max_us; }
  // The upper edge of the bin holding the p-th percentile.
  double percentile_us(double p) const {
    if (m_count == 0) return 0;
    const uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(m_count));
    uint64_t seen = 0;
    for (size_t i = 0; i < m_bins.size(); ++i) {
      seen += m_bins[i];
      if (seen > rank) return static_cast<double>(i + 1) * kBin_us;
    }
    return m_max_us;
  }

 private:
  std::vector<uint32_t> m_bins;
  uint64_t m_count = 0;
  double m_max_us = 0;
};

// What the rig's reads tell the sink: (host time, device clock) pairs, oldest first. Written by
// the acquisition thread, read and trimmed by the engine thread (the sink).
struct Timeline {
  struct Mark {
    HostClock::time_point host;
    uint64_t device_us;
  };
  std::mutex mutex;
  std::deque<Mark> marks;
  std::atomic<uint64_t> device_us{0};  // the device's clock as of the latest read
  // The newest sample the engine handed to the sinks (0: none yet), and a wake-up for the rig.
  std::atomic<uint64_t> engine_us{0};
  std::condition_variable engine_moved;
};

// How far the device's clock may run ahead of the engine: a device sends at the rate the host keeps
// up with, so the engine takes a few samples a pass as it would in real time (not thousands) and
// the commits carry what real ones do.
inline constexpr uint64_t kMaxLead_us = 100000;

// The virtual rig's device, run one frame at a time: each frame is made when the last one was
// read (so its bytes are never older than the read that takes them), its birth noted in the
// timeline, and the device waits while it is kMaxLead_us ahead of the engine.
class TimedStream : public io::ByteStream {
 public:
  TimedStream(const sim::VirtualDeviceConfig& cfg, std::shared_ptr<Timeline> timeline)
      : m_device(cfg), m_seed(cfg.body.seed), m_timeline(std::move(timeline)) {}
  long read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError*) override {
    if (cap == 0) return 0;
    if (m_pos == m_out.size()) {
      m_out.clear();
      m_pos = 0;
      // Before the engine has a sample, the lead counts from the first sample's time: else the
      // rig could run minutes ahead before the engine's first pass.
      if (m_device.streaming() && m_stream_start_us == 0) m_stream_start_us = m_device.now_us() + 1;
      const auto ahead = [&] {
        const uint64_t engine = m_timeline->engine_us.load();
        return m_stream_start_us != 0 &&
               m_device.now_us() > (engine > 0 ? engine : m_stream_start_us) + kMaxLead_us;
      };
      if (ahead()) {
        std::unique_lock<std::mutex> lock(m_timeline->mutex);
        m_timeline->engine_moved.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                          [&] { return !ahead(); });
        if (ahead()) return 0;
      }
      // The next frame the device sends (before START: the handshake's answers, in 10 ms steps).
      const uint64_t next = m_device.streaming()
                                ? std::max(m_device.now_us(), m_device.nextEventTime_us())
                                : m_device.now_us() + 10000;
      m_device.advanceTo(next, m_out);
      const uint64_t dev = m_device.now_us();
      {
        std::lock_guard<std::mutex> lock(m_timeline->mutex);
        m_timeline->marks.push_back({HostClock::now(), dev});
      }
      m_timeline->device_us = dev;
      m_streamed = m_device.samplesStreamed();
      if (m_out.empty()) return 0;
    }
    const size_t n = std::min(cap, m_out.size() - m_pos);
    std::memcpy(buf, m_out.data() + m_pos, n);
    m_pos += n;
    return static_cast<long>(n);
  }
  bool write(const uint8_t* d, size_t n, io::IoError*) override {
    m_device.receive(d, n);
    return true;
  }
  void flushInput() override {
    m_out.clear();
    m_pos = 0;
  }
  std::string describe() const override {
    return "virtual rig (seed " + std::to_string(m_seed) + ", soak)";
  }
  bool waitsForTheReader() const override { return true; }
  std::optional<core::Calibration> nominalCalibration() const override {
    return m_device.nominalCalibration();
  }
  static std::atomic<uint64_t> m_streamed;  // samples the device sent (one rig per run)

 private:
  sim::VirtualDevice m_device;
  uint64_t m_seed;
  std::shared_ptr<Timeline> m_timeline;
  std::vector<uint8_t> m_out;
  size_t m_pos = 0;
  uint64_t m_stream_start_us = 0;  // device time when streaming began (+1; 0: not yet)
};
inline std::atomic<uint64_t> TimedStream::m_streamed{0};

// The library's sink, timing each sample from its read to its commit.
class TimingSink : public engine::SessionSink {
 public:
  TimingSink(engine::StoreSessionSink& inner, std::shared_ptr<Timeline> timeline,
             LatencyHistogram& histogram)
      : m_inner(inner), m_timeline(std::move(timeline)), m_histogram(histogram) {}
  bool begin(const engine::SessionStart& s, std::string* why) override {
    return m_inner.begin(s, why);
  }
  void samples(const std::vector<engine::ProcessedSample>& batch) override {
    for (const engine::ProcessedSample& p : batch) {
      const uint64_t t = p.sample.t_us;
      if (m_hour_end_us == 0) m_hour_end_us = t + 3600ull * 1000000ull;
      m_last_us = t;
      std::lock_guard<std::mutex> lock(m_timeline->mutex);
      auto& marks = m_timeline->marks;
      while (marks.size() > 1 && marks.front().device_us < t) marks.pop_front();
      m_pending_birth.push_back(marks.empty() ? HostClock::now() : marks.front().host);
    }
    m_inner.samples(batch);
    if (!batch.empty()) {
      {
        std::lock_guard<std::mutex> lock(m_timeline->mutex);
        m_timeline->engine_us = batch.back().sample.t_us;
      }
      m_timeline->engine_moved.notify_all();
    }
  }
  void reZero(const core::ReZero& z) override { m_inner.reZero(z); }
  void marker(const core::Marker& m) override { m_inner.marker(m); }
  void connection(const core::ConnectionEvent& e) override { m_inner.connection(e); }
  void holdClosed(const core::Hold& h) override {
    ++m_holds;
    m_inner.holdClosed(h);
  }
  void openHold(const std::optional<core::Hold>& h) override { m_inner.openHold(h); }
  bool commit(std::string* why) override {
    const bool ok = m_inner.commit(why);
    const HostClock::time_point done = HostClock::now();
    if (ok) {
      for (const HostClock::time_point& born : m_pending_birth) {
        const double us = std::chrono::duration<double, std::micro>(done - born).count();
        m_histogram.add(us);
        m_hour.add(us);
      }
      m_pending_birth.clear();
      if (m_last_us >= m_hour_end_us) {  // an hour of device time is committed
        hourly_p99_us.push_back(m_hour.percentile_us(99));
        m_hour.clear();
        m_hour_end_us += 3600ull * 1000000ull;
      }
      ++m_commits;
    }
    return ok;
  }
  bool end(const engine::SessionEnding& e, std::string* why) override {
    return m_inner.end(e, why);
  }
  uint64_t commits() const { return m_commits; }
  uint64_t holds() const { return m_holds; }
  std::vector<double> hourly_p99_us;  // p99 of each whole hour of device time, in order

 private:
  engine::StoreSessionSink& m_inner;
  std::shared_ptr<Timeline> m_timeline;
  LatencyHistogram& m_histogram;
  std::vector<HostClock::time_point> m_pending_birth;
  uint64_t m_commits = 0, m_holds = 0;
  LatencyHistogram m_hour;
  uint64_t m_hour_end_us = 0, m_last_us = 0;
};

struct EnginePlan {
  std::string db;  // a new library
  double hours = 8;
  uint64_t seed = 1;
  // Device time before the "start" memory figure: SQLite's page cache fills (to 2 MB) as the
  // library grows past that, at 3.2 MB an hour about 40 minutes in.
  double warm_up_s = 3600;
  // Called with progress (device seconds done); may be empty.
  std::function<void(double device_s, uint64_t rss)> progress;
};

struct EngineResult {
  std::string failure;            // "" when the session ran to its end and the library agrees
  uint64_t expected_samples = 0;  // hours x 80 Hz
  uint64_t device_sent = 0;       // SAMPLE frames the device sent (a few beyond the end)
  uint64_t recorded = 0;          // samples the engine handed to the sinks
  uint64_t in_library = 0;        // the session's sample_count in the library
  uint64_t frames_lost = 0;       // as the library records them
  uint64_t commits = 0, holds = 0;
  uint64_t rss_start = 0, rss_warm = 0, rss_end = 0;
  // SQLite's own heap (sqlite3_memory_used(): its page cache, at most cache_size = 2 MB by
  // default, and its statements) at the same moments.
  int64_t sqlite_warm = 0, sqlite_end = 0;
  uint64_t library_bytes = 0;
  double wall_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::vector<double> hourly_p99_us;  // p99 of each hour of device time
  uint64_t timed = 0;                 // samples whose latency was measured (all committed)
};

// The last session of the library at `db`, read-only: its sample count and frames lost as the
// library recorded them. False when the library cannot be read or holds no session.
inline bool lastSessionCounts(const std::string& db, uint64_t* samples, uint64_t* frames_lost) {
  store::SessionStore s;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  std::vector<store::SessionListEntry> list;
  if (s.open(db, ro) || s.listSessions(&list) || list.empty()) return false;
  *samples = list.back().sample_count;
  *frames_lost = list.back().frames_lost;
  return true;
}

inline EngineResult runEngineSoak(const EnginePlan& plan) {
  EngineResult r;
  r.rss_start = residentBytes();
  auto histogram = std::make_unique<LatencyHistogram>();
  auto timeline = std::make_shared<Timeline>();
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = plan.seed;
  cfg.body.duration_s = plan.hours * 3600.0;
  cfg.body.plan_ahead_s = 3600.0;  // as the GUI's demo: a long session is planned as it goes
  TimedStream::m_streamed = 0;

  engine::LiveSessionOptions o;
  o.open = [cfg, timeline](io::IoError*) -> std::unique_ptr<io::ByteStream> {
    return std::make_unique<TimedStream>(cfg, timeline);
  };
  o.duration_s = plan.hours * 3600.0;
  o.reconnect = false;
  o.clock = [timeline] {
    return HostClock::time_point(std::chrono::microseconds(timeline->device_us.load()));
  };
  o.calibration_dir = plan.db + ".no-calibrations";

  engine::StoreSessionSink library(plan.db);
  std::string why;
  if (!library.prepare(&why)) {
    r.failure = why;
    return r;
  }
  TimingSink timed(library, timeline, *histogram);
  const HostClock::time_point t0 = HostClock::now();
  {
    engine::LiveSession session(o);
    session.addSink(&timed);
    session.start();
    uint64_t next_progress_us = 0;
    const double warm_s = plan.warm_up_s;
    bool warm = false;
    while (!session.finished()) {
      // A frame: the UI takes what was published and draws it (here: drops it).
      const engine::LiveSnapshot snap = session.snapshot();
      if (!warm && snap.samples_recorded > 0 && snap.elapsed_s >= warm_s) {
        warm = true;
        r.rss_warm = residentBytes();
        r.sqlite_warm = sqlite3_memory_used();
      }
      const uint64_t dev = timeline->device_us.load();
      if (plan.progress && dev >= next_progress_us) {
        plan.progress(dev / 1e6, residentBytes());
        next_progress_us = dev + 1800ull * 1000000ull;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    session.wait();
    const engine::LiveSnapshot last = session.snapshot();
    r.recorded = last.samples_recorded;
    if (!last.last_error.empty()) r.failure = last.last_error;
    if (last.end_reason != engine::EndReason::kDuration && r.failure.empty())
      r.failure = std::string("the session ended early: ") + engine::endReasonName(last.end_reason);
    r.rss_end = residentBytes();
    r.sqlite_end = sqlite3_memory_used();
    if (!warm) {
      r.rss_warm = r.rss_end;
      r.sqlite_warm = r.sqlite_end;
    }
  }
  r.wall_s = std::chrono::duration<double>(HostClock::now() - t0).count();
  r.device_sent = TimedStream::m_streamed.load();
  r.commits = timed.commits();
  r.holds = timed.holds();
  r.p50_us = histogram->percentile_us(50);
  r.p99_us = histogram->percentile_us(99);
  r.p999_us = histogram->percentile_us(99.9);
  r.max_us = histogram->max_us();
  r.hourly_p99_us = timed.hourly_p99_us;
  r.timed = histogram->count();
  r.expected_samples = static_cast<uint64_t>(plan.hours * 3600.0 * 80.0 + 0.5);

  if (!lastSessionCounts(plan.db, &r.in_library, &r.frames_lost)) {
    if (r.failure.empty()) r.failure = "the library cannot be read after the session";
    return r;
  }
  std::error_code ec;
  r.library_bytes = std::filesystem::file_size(plan.db, ec);
  if (r.failure.empty() && (r.in_library != r.recorded || r.recorded != r.expected_samples))
    r.failure = "samples: expected " + std::to_string(r.expected_samples) + ", recorded " +
                std::to_string(r.recorded) + ", in the library " + std::to_string(r.in_library);
  if (r.failure.empty() && r.frames_lost != 0)
    r.failure = std::to_string(r.frames_lost) + " frames lost";
  return r;
}

}  // namespace rollrig::testing::soak

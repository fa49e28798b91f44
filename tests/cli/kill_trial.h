// One kill -9 trial of `rollrig record`, with a ground truth (docs/RELIABILITY.md, "Killed
// recorder"): the test process is the rig. It plays a sim::VirtualDevice on the far side of a
// pseudo-terminal, paced in real time once streaming (80 samples a second of the steady clock),
// so `rollrig record --port PTY --db DB` takes the real path (termios transport, handshake,
// decoder, engine, StoreSessionSink). Every byte the rig manages to write to the pty is also fed
// to a core::FrameDecoder here: that decoder's samples are what was sent. At a chosen moment the
// rig thread itself sends SIGKILL, so "what was sent before the kill" is exact. The trial then
// opens the library read-only and checks it: integrity_check ok, the session's stored samples are
// exactly the first N samples sent (same time, seq, flags and counts), and how far the library
// lagged the rig: samples sent but not committed, and the device time between the last sample
// sent and the last one committed.
//
// Shared by RecordLibraryCli's kill test (a short run) and rollrig-kill-trials (the long run for
// the docs). Linux only (openpty, SIGKILL). Not thread-safe: one trial at a time per library.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/sim/virtual_device.h"
#include "rollrig/store/session_store.h"

namespace rollrig::testing::kill {

using SteadyClock = std::chrono::steady_clock;

struct TrialPlan {
  std::string rollrig;  // the binary
  // When set: the recorder is this rollrig-gui, started as `GUI --port PTY --db DB` (it needs a
  // display: run under xvfb-run), instead of `rollrig record`.
  std::string gui;
  std::string db;     // the library (shared by the trials, as a user's is)
  std::string log;    // rollrig's stdout and stderr
  uint64_t seed = 1;  // the virtual device's body model
  // When to kill: `streaming` true: this much device time after the first sample was sent (the
  // rig's clock, which runs with the steady clock); false: this much host time after rollrig was
  // started (library open, recovery of the previous trial's session, handshake), or when START
  // arrives if that comes first.
  bool streaming = true;
  double kill_after_s = 1.0;
  double give_up_s = 60;  // a hang detector only (rollrig never streamed)
  // The recorder's nice value (setpriority; lowering it needs root), kInherit: the runner's. A
  // runner under `nice` may still run the recorder as a user's would run.
  static constexpr int kInherit = kInheritNice;
  int recorder_nice = kInherit;
};

struct TrialResult {
  std::string failure;            // "" when every check held
  bool killed_streaming = false;  // the kill came after the first sample was sent
  int64_t session_id = 0;         // the trial's session (0: rollrig was killed before begin())
  uint64_t sent = 0;              // samples fully written to the pty before the kill
  uint64_t committed = 0;         // samples of the session in the library after the kill
  double lag_ms = 0;      // device time: last sample sent - last committed (sent-all if none)
  std::string integrity;  // PRAGMA integrity_check's answer
  // How long the recorder's threads waited for a CPU (run queue, /proc/PID/task/*/schedstat)
  // between the first sample sent and the kill: a lag beyond the bound with a large wait here is
  // the machine's load, not the recorder's cadence. -1: unknown.
  double waited_ms = -1;
};

// Sum of the run-queue wait (ns) of every thread of `pid` (-1 when /proc cannot say).
inline double runQueueWait_ns(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  double sum = 0;
  bool any = false;
  for (const auto& t : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(t.path() / "schedstat");
    double on_cpu = 0, waited = 0;
    if (in >> on_cpu >> waited) {
      sum += waited;
      any = true;
    }
  }
  return any ? sum : -1;
}

inline std::string readTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rig's side of the pty, on its own thread; kills `pid` when the plan says.
class PacedRig : public core::FrameSink {
 public:
  explicit PacedRig(uint64_t seed) : m_device(config(seed)), m_decoder(*this) {
    m_path = openRawPty(&m_master, &m_slave);
  }
  ~PacedRig() {
    if (m_master >= 0) close(m_master);
    if (m_slave >= 0) close(m_slave);
  }
  PacedRig(const PacedRig&) = delete;
  PacedRig& operator=(const PacedRig&) = delete;

  const std::string& path() const { return m_path; }
  const std::vector<core::Sample>& sent() const { return m_sent; }
  double waited_ms() const { return m_waited_ms; }

  // Runs until it killed `pid` (true) or `plan.give_up_s` passed or rollrig ended by itself.
  bool runAndKill(pid_t pid, const TrialPlan& plan, bool* streaming_at_kill) {
    const SteadyClock::time_point spawned = SteadyClock::now();
    SteadyClock::time_point stream_host{};
    uint64_t stream_dev_us = 0;
    bool streaming = false;
    std::vector<uint8_t> out;
    size_t written = 0;
    uint8_t buf[512];
    const auto kill_after = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(plan.kill_after_s));
    // A real device sends each sample on time. This one is a thread of a (niced) process: when
    // the machine holds it off the CPU it then sends the samples it owes in one burst, and a kill
    // right after would count them as "sent" although the recorder never had a chance to read
    // them. So a streaming kill waits until the rig has run on time (no loop pass later than
    // 5 ms) for the last 300 ms.
    SteadyClock::time_point previous_pass = spawned, on_time_since = spawned;
    for (;;) {
      const SteadyClock::time_point now = SteadyClock::now();
      if (now - previous_pass > std::chrono::milliseconds(5)) on_time_since = now;
      previous_pass = now;
      const bool on_time = now - on_time_since >= std::chrono::milliseconds(300);
      // A start-up kill comes at its moment or, at the latest, when START arrived (before any
      // sample is sent).
      const bool due = plan.streaming
                           ? (!m_sent.empty() && now - m_first_sent >= kill_after && on_time)
                           : (now - spawned >= kill_after || m_device.streaming());
      if (!m_sent.empty() && m_wait_at_first_ns < 0) m_wait_at_first_ns = runQueueWait_ns(pid);
      if (due) {
        const double wait_now = runQueueWait_ns(pid);
        ::kill(pid, SIGKILL);
        if (m_wait_at_first_ns >= 0 && wait_now >= 0)
          m_waited_ms = (wait_now - m_wait_at_first_ns) / 1e6;
        *streaming_at_kill = !m_sent.empty();
        return true;
      }
      if (now - spawned > std::chrono::duration<double>(plan.give_up_s)) return false;
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) return false;  // ended by itself: a failure
      pollfd p{m_master, static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0};
      poll(&p, 1, 1);
      if (p.revents & POLLIN) {
        const ssize_t n = read(m_master, buf, sizeof buf);
        if (n > 0) m_device.receive(buf, static_cast<size_t>(n));
      }
      if (written < out.size() && (p.revents & POLLOUT)) {
        const ssize_t n = write(m_master, out.data() + written, out.size() - written);
        if (n > 0) {
          m_decoder.feed(out.data() + written, static_cast<size_t>(n));
          written += static_cast<size_t>(n);
        }
      }
      if (written == out.size()) {
        out.clear();
        written = 0;
      }
      // Device time: small steps until START (the handshake), then the steady clock.
      if (!streaming && m_device.streaming()) {
        streaming = true;
        stream_host = SteadyClock::now();
        stream_dev_us = m_device.now_us();
      }
      if (!streaming) {
        if (out.empty()) m_device.advanceTo(m_device.now_us() + 10000, out);
      } else {
        const uint64_t target =
            stream_dev_us +
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                      SteadyClock::now() - stream_host)
                                      .count());
        if (target > m_device.now_us()) m_device.advanceTo(target, out);
      }
    }
  }

  void onSample(const core::Sample& s) override {
    if (m_sent.empty()) m_first_sent = SteadyClock::now();
    m_sent.push_back(s);
  }

 private:
  static sim::VirtualDeviceConfig config(uint64_t seed) {
    sim::VirtualDeviceConfig c;
    c.body.seed = seed;
    return c;
  }

  sim::VirtualDevice m_device;
  core::FrameDecoder m_decoder;
  std::vector<core::Sample> m_sent;
  SteadyClock::time_point m_first_sent{};
  double m_wait_at_first_ns = -1, m_waited_ms = -1;
  int m_master = -1, m_slave = -1;
  std::string m_path;
};

inline pid_t spawn(const std::string& bin, const std::vector<std::string>& args,
                   const std::string& log_path, int nice_value = TrialPlan::kInherit) {
  return spawnLogged(bin, args, log_path, {}, -1, nice_value);
}

inline int64_t newestSessionId(store::SessionStore& s) {
  std::vector<store::SessionListEntry> list;
  if (s.listSessions(&list) || list.empty()) return 0;
  return list.back().id;
}

// Runs one trial: starts rollrig, kills it, checks the library. `previous_newest`: the newest
// session id before this trial (0: none), so the trial's own session is told apart.
inline TrialResult runTrial(const TrialPlan& plan, int64_t previous_newest) {
  TrialResult r;
  PacedRig rig(plan.seed);
  if (rig.path().empty()) {
    r.failure = "openpty failed";
    return r;
  }
  const std::vector<std::string> args =
      plan.gui.empty() ? std::vector<std::string>{"record", "--port", rig.path(),   "--db",
                                                  plan.db,  "-q",     "--duration", "3600"}
                       : std::vector<std::string>{"--port", rig.path(), "--db", plan.db};
  const pid_t pid =
      spawn(plan.gui.empty() ? plan.rollrig : plan.gui, args, plan.log, plan.recorder_nice);
  if (pid <= 0) {
    r.failure = "could not start rollrig";
    return r;
  }
  const bool killed = rig.runAndKill(pid, plan, &r.killed_streaming);
  int st = 0;
  if (!killed) ::kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  if (!killed) {
    r.failure = "rollrig ended by itself or never streamed: " + readTextFile(plan.log);
    return r;
  }
  if (!WIFSIGNALED(st)) {
    r.failure = "rollrig was not killed: status " + std::to_string(st);
    return r;
  }
  const std::vector<core::Sample>& sent = rig.sent();
  r.sent = sent.size();
  r.waited_ms = rig.waited_ms();

  store::SessionStore s;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  if (const store::StoreError e = s.open(plan.db, ro)) {
    // A kill before the library was first created leaves no library: nothing to check.
    if (previous_newest == 0 && r.sent == 0) return r;
    r.failure = "the library cannot be opened after the kill: " + e.message;
    return r;
  }
  if (s.integrityCheck(&r.integrity) || r.integrity != "ok") {
    r.failure = "integrity_check: " + r.integrity;
    return r;
  }
  const int64_t newest = newestSessionId(s);
  if (newest > previous_newest) r.session_id = newest;
  std::vector<core::Sample> back;
  if (r.session_id != 0) {
    if (const store::StoreError e = s.loadSamples(r.session_id, &back)) {
      r.failure = "loadSamples: " + e.message;
      return r;
    }
    store::SessionRecord rec;
    if (s.loadSession(r.session_id, &rec) || rec.ended()) {
      r.failure = "the killed session is not an open one";
      return r;
    }
  }
  r.committed = back.size();
  if (back.size() > sent.size()) {
    r.failure = "the library holds " + std::to_string(back.size()) + " samples, the rig sent " +
                std::to_string(sent.size());
    return r;
  }
  for (size_t i = 0; i < back.size(); ++i) {
    const core::Sample &a = back[i], &b = sent[i];
    if (a.t_us != b.t_us || a.seq != b.seq || a.flags != b.flags ||
        a.channel_count != b.channel_count || a.raw_counts != b.raw_counts ||
        a.lost_before != b.lost_before) {
      r.failure = "stored sample #" + std::to_string(i) + " differs from the one sent";
      return r;
    }
  }
  if (!sent.empty()) {
    const uint64_t last_committed_us =
        back.empty() ? sent.front().t_us - sim::VirtualDevice::kSamplePeriod_us : back.back().t_us;
    r.lag_ms = static_cast<double>(sent.back().t_us - last_committed_us) / 1000.0;
  }
  return r;
}

// [SECTION] A series of trials into one library, then the recovery

struct SeriesPlan {
  std::string rollrig;  // the binary (also for the recovering run)
  std::string gui;      // see TrialPlan::gui
  std::string dir;      // a directory of its own: the library and the logs
  int trials = 20;
  uint32_t seed = 20261129;
  // One trial in startup_every (the middle one of each run of them: the last trial streams, so
  // its session is left open for the recovering run) is killed during start-up (a random host
  // moment in [0, 0.6 s] after the start: opening the library, recovering, the handshake); the rest
  // at a random device time in [0, max_kill_s] after the first sample was sent. 0: none during
  // start-up.
  int startup_every = 10;
  double max_kill_s = 2.0;
  int recorder_nice = TrialPlan::kInherit;
  // Called after each trial (progress, a test's per-trial report); may be empty.
  std::function<void(int trial, const TrialPlan&, const TrialResult&)> on_trial;
};

struct SeriesResult {
  std::vector<TrialResult> trials;
  std::vector<std::string> failures;  // one sentence per failed check
  int startup_kills = 0;              // trials killed before the first sample was sent
  std::vector<double> lost_samples;   // per trial killed while streaming: sent - committed
  std::vector<double> lag_ms;         // ... and the device time the library lagged the rig
  size_t sessions_recovered = 0;      // killed sessions found `interrupted (recovered)` after
  std::string recover_output;         // what the recovering run printed
};

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return v[std::min(i, v.size() - 1)];
}

// Runs the trials one after the other into `dir`/sessions.db (each start recovers the session the
// previous kill left open), then one ordinary `rollrig record --demo --fast --duration 1`, after
// which every killed session must read `interrupted (recovered)` with exactly the samples it had
// when it was killed, and the library must pass integrity_check.
inline SeriesResult runSeries(const SeriesPlan& series) {
  SeriesResult out;
  const std::string db = series.dir + "/sessions.db";
  std::mt19937 rng(series.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::map<int64_t, uint64_t> committed_by_session;
  int64_t newest = 0;
  for (int t = 0; t < series.trials; ++t) {
    TrialPlan plan;
    plan.rollrig = series.rollrig;
    plan.db = db;
    plan.log = series.dir + "/trial.log";
    plan.seed = 1 + rng() % 1000;
    plan.recorder_nice = series.recorder_nice;
    plan.gui = series.gui;
    plan.streaming =
        series.startup_every <= 0 || t % series.startup_every != series.startup_every / 2;
    plan.kill_after_s = plan.streaming ? unit(rng) * series.max_kill_s : unit(rng) * 0.6;
    TrialResult r = runTrial(plan, newest);
    if (!r.failure.empty()) {
      out.failures.push_back("trial " + std::to_string(t) + ": " + r.failure);
    } else {
      if (r.session_id != 0) {
        newest = r.session_id;
        committed_by_session[r.session_id] = r.committed;
      }
      if (r.killed_streaming) {
        out.lost_samples.push_back(static_cast<double>(r.sent - r.committed));
        out.lag_ms.push_back(r.lag_ms);
      } else {
        ++out.startup_kills;
      }
    }
    if (series.on_trial) series.on_trial(t, plan, r);
    out.trials.push_back(std::move(r));
  }

  const std::string log = series.dir + "/recover.log";
  const pid_t pid =
      spawn(series.rollrig, {"record", "--demo", "--fast", "--duration", "1", "--db", db}, log);
  int st = 0;
  if (pid > 0) waitpid(pid, &st, 0);
  out.recover_output = readTextFile(log);
  if (pid <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    out.failures.push_back("the recovering run failed: " + out.recover_output);
  store::SessionStore s;
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  std::vector<store::SessionListEntry> list;
  std::string integrity;
  if (s.open(db, ro) || s.listSessions(&list) || s.integrityCheck(&integrity) ||
      integrity != "ok") {
    out.failures.push_back("after the recovery the library cannot be read or is not sound (" +
                           integrity + ")");
  }
  for (const store::SessionListEntry& e : list) {
    const auto it = committed_by_session.find(e.id);
    if (it == committed_by_session.end()) continue;  // the recovering run's own session
    if (e.end_reason != store::kEndRecovered || e.sample_count != it->second) {
      out.failures.push_back("session " + std::to_string(e.id) + ": end reason '" + e.end_reason +
                             "', " + std::to_string(e.sample_count) + " samples (had " +
                             std::to_string(it->second) + ")");
    } else {
      ++out.sessions_recovered;
    }
  }
  if (out.sessions_recovered + 0 < committed_by_session.size() && out.failures.empty())
    out.failures.push_back("a killed session is missing from the library");
  return out;
}

}  // namespace rollrig::testing::kill

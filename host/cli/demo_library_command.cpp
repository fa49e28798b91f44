// `rollrig demo-library`: a session library of simulated sessions, one person over several
// weeks, so that `rollrig history` (and the pictures in the docs) have something realistic to
// show; docs/HISTORY.md, "A demo library".
//
// Who the person is, when they come and what they say comes from sim::planDemoLibrary() (pure,
// seeded). Each session is then recorded exactly as `rollrig record --demo --fast` records one:
// the virtual rig at full speed, a LiveSession, a StoreSessionSink. Two things differ, and only
// in what reaches the library, never in how:
//   - The markers (side, pain, released, notes) must land at planned device times, but the engine
//     stamps a marker with the latest sample it has processed, and a --fast rig runs far ahead of
//     any caller. So the rig's stream is gated (GatedRigStream): the engine sees SAMPLE frames
//     only up to the next marker's sample; once it has processed them the marker is given, and
//     the gate opens to the next one. Same seed, same library.
//   - The session's wall-clock times are the simulated ones (DatedSink: the start and the
//     connection event; the end is derived from start + duration when the session is closed).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "numeric_options.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/engine/store_sink.h"
#include "rollrig/io/io_error.h"
#include "rollrig/io/virtual_rig_stream.h"
#include "rollrig/sim/demo_library.h"
#include "rollrig/store/session_store.h"

namespace rollrig::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kDefaultDemoLibrary[] = "rollrig-demo-library.db";
constexpr double kRate_hz = 80.0;  // the virtual rig's SAMPLE rate (12,500 us apart)
// Hang detection only (the machine may be busy): how long one step of a session may take.
constexpr auto kStepTimeout = std::chrono::seconds(300);

std::atomic<bool> g_stop{false};
void onSignal(int) {
  g_stop.store(true);
}

// [SECTION] The gate

// How many SAMPLE frames the engine may see. Raised by the command's thread, waited on by the
// acquisition thread (GatedRigStream::read).
class SampleGate {
 public:
  void allow(uint64_t samples) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_allowed = std::max(m_allowed, samples);
    }
    m_changed.notify_all();
  }
  uint64_t allowed() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_allowed;
  }
  // Waits until more than `passed` samples are allowed, or `deadline`; true if they are.
  bool waitBeyond(uint64_t passed, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(m_mutex);
    return m_changed.wait_until(lock, deadline, [&] { return m_allowed > passed; });
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  uint64_t m_allowed = 0;
};

// The virtual rig at full speed (a kFast VirtualRigStream, so the engine treats it as the virtual
// rig: its nominal calibration, its name), passing whole frames and holding back the first SAMPLE
// frame beyond the gate. Frames other than SAMPLEs (INFO, ACK, STATUS) pass before it only up to
// that frame: the byte stream's order is never changed.
class GatedRigStream : public io::VirtualRigStream {
 public:
  GatedRigStream(const sim::VirtualDeviceConfig& config, std::shared_ptr<SampleGate> gate)
      : io::VirtualRigStream(config, Pacing::kFast), m_gate(std::move(gate)) {}

  long read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError* err) override {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const uint64_t allowed = m_gate->allowed();
      while (true) {  // pass whole frames while the gate allows their samples
        const auto start = m_held.begin() + static_cast<std::ptrdiff_t>(m_ready);
        const auto zero = std::find(start, m_held.end(), uint8_t{0});
        if (zero == m_held.end()) break;
        const bool sample = isSampleFrame(&*start, static_cast<size_t>(zero - start));
        if (sample && m_passed >= allowed) break;
        if (sample) ++m_passed;
        m_ready = static_cast<size_t>(zero - m_held.begin()) + 1;
      }
      if (m_ready > 0) {
        const size_t n = std::min(cap, m_ready);
        std::memcpy(buf, m_held.data(), n);
        m_held.erase(m_held.begin(), m_held.begin() + static_cast<std::ptrdiff_t>(n));
        m_ready -= n;
        return static_cast<long>(n);
      }
      const bool whole_frame_held =
          std::find(m_held.begin(), m_held.end(), uint8_t{0}) != m_held.end();
      if (!whole_frame_held) {  // the rig makes more (it never waits in fast mode)
        uint8_t more[4096];
        const long n = io::VirtualRigStream::read(more, sizeof(more), 0, err);
        if (n < 0) return n;
        m_held.insert(m_held.end(), more, more + n);
        if (n == 0 && Clock::now() >= deadline) return 0;
        continue;
      }
      if (!m_gate->waitBeyond(m_passed, deadline)) return 0;  // as a quiet port would
    }
  }

 private:
  // A COBS frame (without its 0x00) whose first payload byte is SAMPLE's type: the first code
  // byte is >= 2 exactly when that byte is not zero, and then it follows the code byte.
  static bool isSampleFrame(const uint8_t* frame, size_t len) {
    return len >= 2 && frame[0] >= 2 && frame[1] == proto::kTypeSample;
  }

  std::shared_ptr<SampleGate> m_gate;
  std::vector<uint8_t> m_held;  // from the rig, not yet read by the acquisition
  size_t m_ready = 0;           // how many of them may go out (whole frames)
  uint64_t m_passed = 0;        // SAMPLE frames among those that went out or may go
};

// [SECTION] The simulated wall clock

// Forwards everything to the library's sink, with the session's simulated start instead of the
// host's clock in its start time and its connection events.
class DatedSink : public engine::SessionSink {
 public:
  DatedSink(engine::SessionSink& inner, std::string started_utc, int64_t start_epoch_s)
      : m_inner(inner), m_started_utc(std::move(started_utc)), m_start_epoch_s(start_epoch_s) {}

  bool begin(const engine::SessionStart& start, std::string* why) override {
    engine::SessionStart dated = start;
    dated.started_utc = m_started_utc;
    return m_inner.begin(dated, why);
  }
  void samples(const std::vector<engine::ProcessedSample>& batch) override {
    m_inner.samples(batch);
  }
  void reZero(const core::ReZero& z) override { m_inner.reZero(z); }
  void marker(const core::Marker& m) override { m_inner.marker(m); }
  void connection(const core::ConnectionEvent& e) override {
    core::ConnectionEvent dated = e;
    if (!m_have_t0) {  // the first event (connected) is at the first sample
      m_have_t0 = true;
      m_t0_us = e.t_us;
    }
    if (!dated.wall_utc.empty()) {
      const double since_s = e.t_us >= m_t0_us ? (e.t_us - m_t0_us) / 1e6 : 0.0;
      dated.wall_utc = sim::isoUtc(m_start_epoch_s + static_cast<int64_t>(std::floor(since_s)));
    }
    m_inner.connection(dated);
  }
  void holdClosed(const core::Hold& h) override { m_inner.holdClosed(h); }
  void openHold(const std::optional<core::Hold>& h) override { m_inner.openHold(h); }
  bool commit(std::string* why) override { return m_inner.commit(why); }
  bool end(const engine::SessionEnding& ending, std::string* why) override {
    return m_inner.end(ending, why);
  }

 private:
  engine::SessionSink& m_inner;
  std::string m_started_utc;
  int64_t m_start_epoch_s;
  bool m_have_t0 = false;
  uint64_t m_t0_us = 0;
};

// [SECTION] One session

struct Recorded {
  int exit_code = kExitOk;
  std::string message;  // when exit_code != 0: what happened, a complete sentence
  int64_t id = 0;
  uint64_t samples = 0;
  double seconds = 0;  // device time recorded
  size_t holds = 0, releases = 0;
};

void giveMarker(engine::LiveSession& session, const sim::DemoMarker& m) {
  switch (m.kind) {
    case sim::DemoMarker::Kind::kSide:
      session.markSide(m.side == sim::Side::kLeft ? core::Side::kLeft : core::Side::kRight);
      break;
    case sim::DemoMarker::Kind::kPain:
      session.markPain(m.pain);
      break;
    case sim::DemoMarker::Kind::kReleased:
      session.markReleased();
      break;
    case sim::DemoMarker::Kind::kNote:
      session.addNote(m.text);
      break;
  }
}

// Waits until `done(snapshot)` or the session ended; false after kStepTimeout or on Ctrl-C.
template <typename Done>
bool waitFor(engine::LiveSession& session, Done done, engine::LiveSnapshot* snap) {
  const auto give_up = Clock::now() + kStepTimeout;
  while (true) {
    *snap = session.snapshot();
    if (done(*snap) || snap->finished) return true;
    if (g_stop || Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

Recorded recordSession(const std::string& db, const sim::DemoLibraryPlan& plan,
                       const sim::DemoSession& s) {
  Recorded out;
  store::SessionInfo user;
  user.ball = plan.ball;
  user.body_mass_kg = s.body.person->body_mass_kg;
  user.notes = s.notes;
  {
    engine::StoreSessionSink library(db, user);
    std::string why;
    store::StoreErrorKind kind = store::StoreErrorKind::kNone;
    if (!library.prepare(&why, &kind)) return {exitCodeFor(kind), why};
    DatedSink dated(library, s.started_utc, s.start_epoch_s);

    auto gate = std::make_shared<SampleGate>();
    sim::VirtualDeviceConfig cfg;
    cfg.body = s.body;
    engine::LiveSessionOptions so;
    auto opened = std::make_shared<bool>(false);
    so.open = [cfg, gate, opened](io::IoError* err) -> std::unique_ptr<io::ByteStream> {
      if (*opened) {  // reconnect is off; a second open would be a new rig
        *err = io::makeError(io::IoErrorKind::kNotFound, "the demo's virtual rig is gone.");
        return nullptr;
      }
      *opened = true;
      return std::make_unique<GatedRigStream>(cfg, gate);
    };
    so.duration_s = s.record_s;
    so.reconnect = false;
    engine::LiveSession session(so);
    session.addSink(&dated);
    session.start();

    const uint64_t total = static_cast<uint64_t>(std::ceil(s.record_s * kRate_hz));
    engine::LiveSnapshot snap;
    bool ok = true;
    size_t given = 0;
    for (const sim::DemoMarker& m : s.markers) {
      // The marker is stamped with the latest processed sample: let exactly the samples up to
      // its time through, wait until the engine has them, give it, and wait until it is applied.
      const uint64_t upto =
          std::min(total, static_cast<uint64_t>(std::floor(m.t_s * kRate_hz)) + 1);
      gate->allow(upto);
      ok = waitFor(
          session, [&](const engine::LiveSnapshot& sn) { return sn.samples_recorded >= upto; },
          &snap);
      if (!ok || snap.finished) break;
      giveMarker(session, m);
      ++given;
      ok = waitFor(
          session, [&](const engine::LiveSnapshot& sn) { return sn.markers.size() >= given; },
          &snap);
      if (!ok || snap.finished) break;
    }
    gate->allow(std::numeric_limits<uint64_t>::max());
    if (ok)
      ok = waitFor(
          session, [](const engine::LiveSnapshot&) { return false; }, &snap);
    if (!ok) {
      session.stop(g_stop ? "interrupted" : "stopped");
      session.wait();
      snap = session.snapshot();
      out.exit_code = g_stop ? kExitInterrupted : kExitFailure;
      out.message = g_stop ? "interrupted." : "the session did not advance for 5 minutes.";
    } else {
      session.wait();
      snap = session.snapshot();
      if (snap.end_reason != engine::EndReason::kDuration) {
        out.exit_code =
            snap.end_reason == engine::EndReason::kSinkFailed ? kExitOutput : kExitFailure;
        out.message = snap.last_error.empty() ? snap.stop_reason : snap.last_error;
      }
    }
    out.id = library.sessionId();
    out.samples = library.samplesCommitted();
    out.seconds =
        out.samples > 1 ? (library.lastCommitted_us() - library.firstCommitted_us()) / 1e6 : 0.0;
    out.holds = snap.holds.size();
    for (const core::Hold& h : snap.holds) out.releases += h.release_s ? 1 : 0;
  }
  if (out.id == 0) return out;
  store::SessionStore st;
  store::StoreError e = st.open(db);
  if (out.exit_code != kExitOk) {
    // A session cut short has no place in the demo: the library keeps the complete ones.
    if (!e) e = st.deleteSession(out.id);
    out.id = 0;
    return out;
  }
  // The sink ended it on the host's clock; end it again on the simulated one (start + duration).
  store::SessionRecord r;
  if (!e) e = st.loadSession(out.id, &r);
  if (!e) e = st.endSession(out.id, r.end_reason, "");
  if (e) return {exitCodeFor(e.kind), e.message};
  return out;
}

std::string megabytes(const std::string& path) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f MB", ec ? 0.0 : bytes / 1e6);
  return b;
}

}  // namespace

void addDemoLibraryCommand(CLI::App& app, DemoLibraryOptions& opt) {
  auto* sub = app.add_subcommand(
      "demo-library",
      "Make a session library of simulated sessions: one person, 2-3 sessions a week over some "
      "weeks, spots that release sooner week by week (for `rollrig history`)");
  sub->add_option("--db", opt.db,
                  std::string("The library to make (default: ") + kDefaultDemoLibrary +
                      " in the current directory; never your own library unless you name it)")
      ->type_name("PATH");
  sub->add_option("--sessions", opt.sessions, "How many sessions (default 12)")
      ->check(wholeRange(1, 728, " (at most one a day)"));
  sub->add_option("--weeks", opt.weeks, "Over how many weeks (default 6)")
      ->check(wholeRange(1, 104, " (two years)"));
  sub->add_option("--seed", opt.seed, "Seed of the whole library (default 1)");
  sub->add_option("--start-date", opt.start_date,
                  "The first week's first day, YYYY-MM-DD (default 2026-10-01)");
  sub->add_flag("--append", opt.append, "Add the sessions to a library that already has some");
  sub->add_flag("-q,--quiet", opt.quiet, "Only the summary at the end");
  sub->footer(
      "Exit codes: 0 ok, 2 usage, 8 the library already has sessions (without --append) or "
      "cannot be written, 12 not a library or made by a newer rollrig, 130 interrupted (the "
      "sessions made so far stay).");
}

int runDemoLibrary(const DemoLibraryOptions& opt) {
  const char* me = "rollrig demo-library";
  if (opt.sessions > 7 * opt.weeks) {
    std::cerr << me << ": " << opt.sessions << " sessions in " << opt.weeks
              << " week(s) is more than one a day; give more --weeks or fewer --sessions.\n";
    return kExitUsage;
  }
  const std::optional<int64_t> start_day = sim::parseIsoDate(opt.start_date);
  if (!start_day) {
    std::cerr << me << ": --start-date: must be a date as YYYY-MM-DD, e.g. 2026-10-01, not '"
              << opt.start_date << "'.\n";
    return kExitUsage;
  }
  const std::string db = opt.db.empty() ? std::string(kDefaultDemoLibrary) : opt.db;

  // An existing library with sessions is only added to when asked.
  std::error_code ec;
  if (fs::exists(db, ec)) {
    store::SessionStore st;
    store::OpenOptions ro;
    ro.mode = store::OpenMode::kReadOnly;
    store::StoreError e = st.open(db, ro);
    std::vector<store::SessionListEntry> list;
    if (!e) e = st.listSessions(&list);
    if (e && e.kind != store::StoreErrorKind::kReadOnly) {
      std::cerr << me << ": " << e.message << "\n";
      return exitCodeFor(e.kind) == kExitNoSession ? kExitLibrary : exitCodeFor(e.kind);
    }
    if (!list.empty() && !opt.append) {
      std::cerr << me << ": " << db << " already holds " << list.size() << " session"
                << (list.size() == 1 ? "" : "s")
                << "; give a new file with --db PATH, or --append to add to it.\n";
      return kExitOutput;
    }
  }

  sim::DemoLibraryOptions po;
  po.seed = opt.seed;
  po.sessions = opt.sessions;
  po.weeks = opt.weeks;
  po.start_day = *start_day;
  const sim::DemoLibraryPlan plan = sim::planDemoLibrary(po);
  std::cerr << "making " << opt.sessions << " simulated session" << (opt.sessions == 1 ? "" : "s")
            << " over " << opt.weeks << " week" << (opt.weeks == 1 ? "" : "s") << " (seed "
            << opt.seed << ", from " << opt.start_date << ") in " << db << "\n";

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  const auto t0 = Clock::now();
  size_t made = 0;
  for (const sim::DemoSession& s : plan.sessions) {
    if (g_stop) {
      std::cerr << me << ": interrupted; the " << made << " session" << (made == 1 ? "" : "s")
                << " made so far are in " << db << ".\n";
      return kExitInterrupted;
    }
    const Recorded r = recordSession(db, plan, s);
    if (r.id != 0 && r.exit_code == kExitOk) ++made;
    if (r.exit_code != kExitOk) {
      std::cerr << me << ": session " << s.index + 1 << " of " << plan.sessions.size() << ": "
                << r.message << " It was not kept; the " << made << " session"
                << (made == 1 ? "" : "s") << " made so far are in " << db << ".\n";
      return r.exit_code;
    }
    if (!opt.quiet) {
      char line[200];
      std::snprintf(line, sizeof(line),
                    "session %3lld  %s  week %d  %5.1f min  holds %zu (%zu released)\n",
                    static_cast<long long>(r.id), s.started_utc.c_str(), s.week + 1, r.seconds / 60,
                    r.holds, r.releases);
      std::cout << line << std::flush;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  char took[32];
  std::snprintf(took, sizeof(took), "%.1f s", secs);
  std::cout << "made " << made << " session" << (made == 1 ? "" : "s") << " in " << took << "; "
            << db << " is " << megabytes(db) << ". See them: rollrig history --db " << db << "\n";
  return kExitOk;
}

}  // namespace rollrig::cli

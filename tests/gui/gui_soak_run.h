// The GUI's soak (docs/RELIABILITY.md, "Soak"): rollrig-gui's own SessionController on its --fast
// virtual rig (SteppedStream: each nextStep() lets the rig advance about a second of device time),
// recording into a library as the app does, driven "frame" by frame without a window: a frame is
// nextStep(), then update() (the engine's snapshot into the SampleStore) until that step's samples
// are in. Shared by the GUI tests (a short run that checks nothing was lost) and rollrig-soak
// --gui-hours (the 2-hour run for the docs).
//
// Latency of a sample (host time): from the frame's nextStep() (the sample cannot exist before it)
// to the update() that put it in the SampleStore (what the plot draws from). A frame waits for its
// samples until an update() brings nothing for kQuiet (then the step is taken to be complete).
//
// Memory: VmRSS at the start, after a warm-up (10 minutes of device time) and at the end, against
// SampleStore::bytes() at the same moments: the samples the window keeps for the whole session on
// purpose (about 33 bytes a sample), and SQLite's heap (the library's page cache, bounded). Growth
// beyond the stored data = RSS growth - SampleStore growth - SQLite heap growth, after the warm-up.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/soak_run.h"  // residentBytes(), LatencyHistogram
#include "rollrig/store/session_store.h"
#include "session_controller.h"

namespace rollrig::testing::soak {

struct GuiPlan {
  std::string db;  // a new library
  double hours = 2;
  uint64_t seed = 1;
  double warm_up_s = 600;
  // A frame waits this long after its last new samples before it takes the step as complete
  // (latency figures only; the counts never depend on it).
  std::chrono::milliseconds quiet{3};
  std::chrono::seconds give_up{3600};  // a hang detector
};

struct GuiResult {
  std::string failure;
  uint64_t frames = 0;
  uint64_t shown = 0;       // samples in the SampleStore at the end
  uint64_t recorded = 0;    // the engine's samples_recorded at the end
  uint64_t in_library = 0;  // the session's sample_count in the library
  uint64_t frames_lost = 0;
  uint64_t rss_start = 0, rss_warm = 0, rss_end = 0;
  uint64_t store_warm = 0, store_end = 0;  // SampleStore::bytes()
  // SQLite's heap (sqlite3_memory_used()): the library's page cache, at most 2 MB by default,
  // which fills as the library passes that size (about 40 minutes of recording).
  int64_t sqlite_warm = 0, sqlite_end = 0;
  double wall_s = 0, device_s = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
};

inline GuiResult runGuiSoak(const GuiPlan& plan) {
  GuiResult r;
  auto histogram = std::make_unique<LatencyHistogram>();
  r.rss_start = residentBytes();
  std::mutex m;
  std::condition_variable woke;
  uint64_t wakes = 0;
  const HostClock::time_point t0 = HostClock::now();
  {
    gui::SessionController c(plan.db, [&] {
      {
        std::lock_guard<std::mutex> lock(m);
        ++wakes;
      }
      woke.notify_all();
    });
    gui::SourceChoice src;
    src.kind = gui::SourceChoice::Kind::kVirtualRig;
    src.seed = plan.seed;
    src.fast = true;
    if (!c.start(src)) {
      r.failure = c.errorText();
      return r;
    }
    const double target_s = plan.hours * 3600.0;
    bool warm = false;
    while (c.samples().empty() || c.samples().lastTime_s() < target_s) {
      if (HostClock::now() - t0 > plan.give_up || !c.running()) {
        r.failure = "the session stopped or stalled at " +
                    std::to_string(c.samples().lastTime_s()) + " s: " + c.snapshot().last_error +
                    c.errorText();
        break;
      }
      const HostClock::time_point granted = HostClock::now();
      c.nextStep();
      ++r.frames;
      // The frame: update until the step's samples are in (nothing new for `quiet`).
      size_t before = c.samples().size();
      HostClock::time_point last_new = granted;
      bool any = false;
      while (true) {
        {
          std::unique_lock<std::mutex> lock(m);
          const uint64_t seen = wakes;
          woke.wait_for(lock, plan.quiet, [&] { return wakes != seen; });
        }
        c.update();
        const size_t now_size = c.samples().size();
        const HostClock::time_point now = HostClock::now();
        if (now_size > before) {
          const double us = std::chrono::duration<double, std::micro>(now - granted).count();
          for (size_t i = before; i < now_size; ++i) histogram->add(us);
          before = now_size;
          last_new = now;
          any = true;
        } else if ((any && now - last_new >= plan.quiet) ||
                   now - granted > std::chrono::seconds(5)) {
          break;
        }
      }
      if (!warm && c.samples().lastTime_s() >= plan.warm_up_s) {
        warm = true;
        r.rss_warm = residentBytes();
        r.store_warm = c.samples().bytes();
        r.sqlite_warm = sqlite3_memory_used();
      }
    }
    r.rss_end = residentBytes();
    r.store_end = c.samples().bytes();
    r.sqlite_end = sqlite3_memory_used();
    if (!warm) {
      r.rss_warm = r.rss_end;
      r.store_warm = r.store_end;
      r.sqlite_warm = r.sqlite_end;
    }
    c.stop();
    const HostClock::time_point stop_at = HostClock::now();
    while (c.running() && HostClock::now() - stop_at < std::chrono::seconds(120)) {
      c.update();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    c.update();
    r.shown = c.samples().size();
    r.recorded = c.snapshot().samples_recorded;
    r.device_s = c.samples().lastTime_s();
  }
  r.wall_s = std::chrono::duration<double>(HostClock::now() - t0).count();
  r.p50_us = histogram->percentile_us(50);
  r.p99_us = histogram->percentile_us(99);
  r.max_us = histogram->max_us();

  if (!lastSessionCounts(plan.db, &r.in_library, &r.frames_lost)) {
    if (r.failure.empty()) r.failure = "the library cannot be read after the session";
    return r;
  }
  if (r.failure.empty() && (r.shown != r.recorded || r.in_library != r.recorded))
    r.failure = "samples: shown " + std::to_string(r.shown) + ", recorded " +
                std::to_string(r.recorded) + ", in the library " + std::to_string(r.in_library);
  if (r.failure.empty() && r.frames_lost != 0)
    r.failure = std::to_string(r.frames_lost) + " frames lost";
  return r;
}

inline bool runAndPrintGuiSoak(const std::string& db, double hours, uint64_t seed) {
  GuiPlan plan;
  plan.db = db;
  plan.hours = hours;
  plan.seed = seed;
  const GuiResult r = runGuiSoak(plan);
  const auto mb = [](uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
  const auto smb = [](int64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
  const int64_t rss_growth = static_cast<int64_t>(r.rss_end) - static_cast<int64_t>(r.rss_warm);
  const int64_t store_growth =
      static_cast<int64_t>(r.store_end) - static_cast<int64_t>(r.store_warm);
  const int64_t sqlite_growth = r.sqlite_end - r.sqlite_warm;
  std::printf(
      "rollrig-soak gui: %.2f h of device time in %.0f s wall, %llu frames; samples shown %llu, "
      "recorded %llu, in the library %llu, frames lost %llu\n",
      r.device_s / 3600.0, r.wall_s, static_cast<unsigned long long>(r.frames),
      static_cast<unsigned long long>(r.shown), static_cast<unsigned long long>(r.recorded),
      static_cast<unsigned long long>(r.in_library),
      static_cast<unsigned long long>(r.frames_lost));
  std::printf(
      "  RSS: at the start %.2f MB, after the warm-up %.2f MB, at the end %.2f MB; SampleStore "
      "%.2f -> %.2f MB; SQLite's heap %.2f -> %.2f MB; growth after the warm-up %+.2f MB, of "
      "which the SampleStore %+.2f MB and SQLite's cache %+.2f MB: beyond them %+.2f MB\n",
      mb(r.rss_start), mb(r.rss_warm), mb(r.rss_end), mb(r.store_warm), mb(r.store_end),
      smb(r.sqlite_warm), smb(r.sqlite_end), smb(rss_growth), smb(store_growth), smb(sqlite_growth),
      smb(rss_growth - store_growth - sqlite_growth));
  std::printf(
      "  latency, frame's grant -> in the SampleStore: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      r.p50_us / 1000, r.p99_us / 1000, r.max_us / 1000);
  if (!r.failure.empty()) std::printf("  FAILED: %s\n", r.failure.c_str());
  return r.failure.empty();
}

}  // namespace rollrig::testing::soak

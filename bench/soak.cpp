// rollrig-soak: a long session at full speed, for the figures in docs/RELIABILITY.md ("Soak").
//
//   rollrig-soak [--hours 8] [--seed 1] [--dir DIR]          the engine and the library
//   rollrig-soak --gui-hours 2 [--seed 1] [--dir DIR]        the GUI's snapshot path
//
// The engine run (tests/engine/soak_run.h): the virtual rig flat out through LiveSession into a
// new SQLite library, commits paced by device time; prints resident memory at the start, after a
// 1-hour warm-up and at the end, and each sample's latency from the rig's read to its commit.
// The GUI run (tests/gui/gui_soak_run.h): rollrig-gui's SessionController on its --fast virtual
// rig, stepped one grant per "frame" without a window, recording into a library as the app does;
// prints memory against the SampleStore's own bytes, and each step's latency from the grant to the
// frame that shows its samples. Exit 0 when the run's invariants held (every sample recorded and
// in the library), 1 otherwise. Figures only: nothing here judges speed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/soak_run.h"
#ifdef ROLLRIG_SOAK_GUI
#include "gui/gui_soak_run.h"
#endif

namespace fs = std::filesystem;
using namespace rollrig::testing::soak;

namespace {
double mb(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}
double smb(int64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}
}  // namespace

int main(int argc, char** argv) {
  double hours = 0, gui_hours = 0;
  uint64_t seed = 1;
  std::string dir =
      (fs::temp_directory_path() / ("rollrig-soak-" + std::to_string(getpid()))).string();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: rollrig-soak [--hours H] [--gui-hours H] [--seed S] [--dir DIR]\n");
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--hours")
      hours = std::atof(v.c_str());
    else if (a == "--gui-hours")
      gui_hours = std::atof(v.c_str());
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--dir")
      dir = v;
    else {
      std::fprintf(stderr, "rollrig-soak: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (hours <= 0 && gui_hours <= 0) hours = 8;
  fs::remove_all(dir);
  fs::create_directories(dir);
  bool ok = true;
  if (hours > 0) {
    EnginePlan plan;
    plan.db = dir + "/engine.db";
    plan.hours = hours;
    plan.seed = seed;
    plan.progress = [](double device_s, uint64_t rss) {
      std::printf("  ... %.1f h of device time, RSS %.2f MB\n", device_s / 3600.0, mb(rss));
      std::fflush(stdout);
    };
    const EngineResult r = runEngineSoak(plan);
    std::printf(
        "rollrig-soak engine: %.2f h of device time in %.0f s wall (%.0fx real time); samples "
        "expected %llu, recorded %llu, in the library %llu, frames lost %llu; %llu commits, %llu "
        "holds; library %.1f MB\n",
        hours, r.wall_s, hours * 3600.0 / r.wall_s,
        static_cast<unsigned long long>(r.expected_samples),
        static_cast<unsigned long long>(r.recorded), static_cast<unsigned long long>(r.in_library),
        static_cast<unsigned long long>(r.frames_lost), static_cast<unsigned long long>(r.commits),
        static_cast<unsigned long long>(r.holds), mb(r.library_bytes));
    std::printf(
        "  RSS: at the start %.2f MB, after the warm-up %.2f MB, at the end %.2f MB: growth after "
        "the warm-up %+.2f MB\n",
        mb(r.rss_start), mb(r.rss_warm), mb(r.rss_end),
        smb(static_cast<int64_t>(r.rss_end) - static_cast<int64_t>(r.rss_warm)));
    std::printf("  SQLite's heap: after the warm-up %.2f MB, at the end %.2f MB\n",
                smb(r.sqlite_warm), smb(r.sqlite_end));
    std::printf(
        "  latency, rig read -> committed: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
        r.p50_us / 1000, r.p99_us / 1000, r.p999_us / 1000, r.max_us / 1000);
    if (!r.hourly_p99_us.empty()) {
      std::printf("  p99 by hour of device time (ms):");
      for (double us : r.hourly_p99_us) std::printf(" %.2f", us / 1000);
      std::printf("\n");
    }
    if (!r.failure.empty()) {
      std::printf("  FAILED: %s\n", r.failure.c_str());
      ok = false;
    }
  }
#ifdef ROLLRIG_SOAK_GUI
  if (gui_hours > 0) ok = runAndPrintGuiSoak(dir + "/gui.db", gui_hours, seed) && ok;
#else
  if (gui_hours > 0) {
    std::printf("rollrig-soak: built without rollrig-gui; no GUI run\n");
    ok = false;
  }
#endif
  if (ok) fs::remove_all(dir);
  return ok ? 0 : 1;
}

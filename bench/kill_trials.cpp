// rollrig-kill-trials: kill -9 `rollrig record` at random moments, many times, against a rig whose
// every sent sample is known (tests/cli/kill_trial.h), and print what the library kept
// (docs/RELIABILITY.md, "Killed recorder"). Every trial must pass its checks (integrity_check ok,
// the stored samples exactly the first ones sent, the killed session still open); the lag of the
// library behind the rig is reported as a distribution and held to the 250 ms bound.
//
//   rollrig-kill-trials --trials 1000 [--seed S] [--rollrig build/bin/rollrig] [--dir DIR]
//                       [--startup-every 10] [--max-kill-s 2.0] [--recorder-nice N]
//                       [--gui build/bin/rollrig-gui]   (under xvfb-run: the GUI as the recorder)
//
// One trial in --startup-every is killed during start-up (opening the library,
// recovering the previous trial's session, the handshake) at a random host moment in [0, 0.6 s];
// the rest at a random device time in [0, --max-kill-s] after the rig sent its first sample. After
// the last trial one more `rollrig record --demo --fast --duration 1` recovers what is left, and
// every killed session must then read `interrupted (recovered)` with exactly the samples it had.
// Exit 0 when every check held and no lag exceeded 250 ms; 1 otherwise.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cli/kill_trial.h"

namespace fs = std::filesystem;
using namespace rollrig;
using namespace rollrig::testing::kill;

int main(int argc, char** argv) {
  int trials = 100;
  uint32_t seed = 20261129;
  std::string rollrig = "build/bin/rollrig";
  std::string dir =
      (fs::temp_directory_path() / ("rollrig-kill-trials-" + std::to_string(getpid()))).string();
  int startup_every = 10;
  double max_kill_s = 2.0;
  int recorder_nice = TrialPlan::kInherit;
  std::string gui;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "rollrig-kill-trials: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--trials")
      trials = std::atoi(next().c_str());
    else if (a == "--seed")
      seed = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--rollrig")
      rollrig = next();
    else if (a == "--dir")
      dir = next();
    else if (a == "--startup-every")
      startup_every = std::atoi(next().c_str());
    else if (a == "--gui")
      gui = next();
    else if (a == "--recorder-nice")
      recorder_nice = std::atoi(next().c_str());
    else if (a == "--max-kill-s")
      max_kill_s = std::atof(next().c_str());
    else {
      std::fprintf(stderr,
                   "usage: rollrig-kill-trials [--trials N] [--seed S] [--rollrig PATH] [--dir DIR]"
                   " [--startup-every N] [--max-kill-s S] [--recorder-nice N] [--gui PATH]\n");
      return 2;
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  SeriesPlan plan;
  plan.rollrig = rollrig;
  plan.dir = dir;
  plan.trials = trials;
  plan.seed = seed;
  plan.startup_every = startup_every;
  plan.max_kill_s = max_kill_s;
  plan.recorder_nice = recorder_nice;
  plan.gui = gui;
  int over_bound = 0;
  plan.on_trial = [&](int t, const TrialPlan&, const TrialResult& r) {
    if (!r.failure.empty()) std::printf("trial %d FAILED: %s\n", t, r.failure.c_str());
    if (r.failure.empty() && r.killed_streaming && r.lag_ms > 250.0) {
      ++over_bound;
      std::printf(
          "trial %d: lag %.1f ms (sent %llu, committed %llu) exceeds 250 ms; the recorder waited "
          "%.1f ms for a CPU\n",
          t, r.lag_ms, static_cast<unsigned long long>(r.sent),
          static_cast<unsigned long long>(r.committed), r.waited_ms);
    }
    if ((t + 1) % 50 == 0) std::printf("... %d trials\n", t + 1);
    std::fflush(stdout);
  };
  const SeriesResult r = runSeries(plan);
  for (const std::string& f : r.failures) std::printf("FAILED: %s\n", f.c_str());
  const double period_ms = sim::VirtualDevice::kSamplePeriod_us / 1000.0;
  const auto& lost = r.lost_samples;
  const auto& lag = r.lag_ms;
  std::printf(
      "rollrig-kill-trials: %d trials (seed %u): %zu failed checks; %d killed during start-up, "
      "%zu while streaming\n",
      trials, seed, r.failures.size(), r.startup_kills, lag.size());
  std::printf(
      "samples lost (sent by the rig, not in the library), trials killed while streaming:\n"
      "  min %.0f  median %.0f  p99 %.0f  max %.0f samples\n"
      "  min %.1f  median %.1f  p99 %.1f  max %.1f ms of device time (%.1f ms a sample)\n",
      percentile(lost, 0), percentile(lost, 50), percentile(lost, 99), percentile(lost, 100),
      percentile(lag, 0), percentile(lag, 50), percentile(lag, 99), percentile(lag, 100),
      period_ms);
  std::map<int, int> histogram;
  for (double n : lost) ++histogram[static_cast<int>(n)];
  std::printf("  histogram (samples lost: trials):");
  for (const auto& [n, count] : histogram) std::printf(" %d:%d", n, count);
  int over_unloaded = 0;
  std::vector<double> waited;
  for (const TrialResult& t : r.trials) {
    if (!t.failure.empty() || !t.killed_streaming) continue;
    if (t.waited_ms >= 0) waited.push_back(t.waited_ms);
    if (t.lag_ms > 250.0 && t.waited_ms >= 0 && t.waited_ms < 50.0) ++over_unloaded;
  }
  std::printf(
      "\nthe recorder's wait for a CPU from the first sample to the kill: median %.1f ms, p99 "
      "%.1f ms, max %.1f ms\n",
      percentile(waited, 50), percentile(waited, 99), percentile(waited, 100));
  std::printf(
      "over the 250 ms bound: %d (of which %d while the recorder waited < 50 ms for a CPU); "
      "killed sessions recovered: %zu\n",
      over_bound, over_unloaded, r.sessions_recovered);
  const bool ok = r.failures.empty() && over_bound == 0;
  if (ok) fs::remove_all(dir);
  return ok ? 0 : 1;
}

// rollrig-kill-trials: kill -9 `rollrig record` at random moments, many times, against a rig whose
// every sent sample is known (tests/cli/kill_trial.h), and print what the library kept
// (docs/RELIABILITY.md, "Killed recorder"). Every trial must pass its checks (integrity_check ok,
// the stored samples exactly the first ones sent, the killed session still open); the lag of the
// library behind the rig is reported as a distribution and held to the 250 ms bound.
//
//   rollrig-kill-trials --trials 1000 [--seed S] [--rollrig build/bin/rollrig] [--dir DIR]
//                       [--startup-share 0.1] [--max-kill-s 2.0]
//
// A share of the trials (--startup-share) are killed during start-up (opening the library,
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

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 100;
  uint32_t seed = 20261129;
  std::string rollrig = "build/bin/rollrig";
  std::string dir = (fs::temp_directory_path() / ("rollrig-kill-trials-" + std::to_string(getpid())))
                        .string();
  double startup_share = 0.1, max_kill_s = 2.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "rollrig-kill-trials: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--trials") trials = std::atoi(next().c_str());
    else if (a == "--seed") seed = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--rollrig") rollrig = next();
    else if (a == "--dir") dir = next();
    else if (a == "--startup-share") startup_share = std::atof(next().c_str());
    else if (a == "--max-kill-s") max_kill_s = std::atof(next().c_str());
    else {
      std::fprintf(stderr,
                   "usage: rollrig-kill-trials [--trials N] [--seed S] [--rollrig PATH] [--dir DIR]"
                   " [--startup-share F] [--max-kill-s S]\n");
      return 2;
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (fs::path(dir) / "sessions.db").string();

  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> lag_ms, lost;
  std::map<int64_t, uint64_t> committed_by_session;
  int failures = 0, over_bound = 0, startup_kills = 0, no_session = 0;
  int64_t newest = 0;
  for (int t = 0; t < trials; ++t) {
    TrialPlan plan;
    plan.rollrig = rollrig;
    plan.db = db;
    plan.log = (fs::path(dir) / "trial.log").string();
    plan.seed = 1 + rng() % 1000;
    plan.streaming = unit(rng) >= startup_share;
    plan.kill_after_s = plan.streaming ? unit(rng) * max_kill_s : unit(rng) * 0.6;
    const TrialResult r = runTrial(plan, newest);
    if (!r.failure.empty()) {
      ++failures;
      std::printf("trial %d FAILED: %s\n", t, r.failure.c_str());
      std::fflush(stdout);
      continue;
    }
    if (r.session_id != 0) {
      newest = r.session_id;
      committed_by_session[r.session_id] = r.committed;
    } else {
      ++no_session;
    }
    if (!r.killed_streaming) {
      ++startup_kills;
      continue;
    }
    lag_ms.push_back(r.lag_ms);
    lost.push_back(static_cast<double>(r.sent - r.committed));
    if (r.lag_ms > 250.0) {
      ++over_bound;
      std::printf("trial %d: lag %.1f ms (sent %llu, committed %llu) exceeds 250 ms\n", t, r.lag_ms,
                  static_cast<unsigned long long>(r.sent),
                  static_cast<unsigned long long>(r.committed));
    }
    if ((t + 1) % 50 == 0) {
      std::printf("... %d trials\n", t + 1);
      std::fflush(stdout);
    }
  }

  // Recovery: one ordinary start recovers every session the trials left open.
  const std::string recover_log = (fs::path(dir) / "recover.log").string();
  const pid_t pid = spawn(rollrig, {"record", "--demo", "--fast", "--duration", "1", "-q", "--db", db},
                          recover_log);
  int st = 0;
  waitpid(pid, &st, 0);
  int not_recovered = 0;
  {
    store::SessionStore s;
    store::OpenOptions ro;
    ro.mode = store::OpenMode::kReadOnly;
    std::vector<store::SessionListEntry> list;
    std::string integrity;
    if (s.open(db, ro) || s.listSessions(&list) || s.integrityCheck(&integrity) ||
        integrity != "ok") {
      std::printf("the library after recovery cannot be read or is not sound\n");
      ++failures;
    }
    for (const store::SessionListEntry& e : list) {
      const auto it = committed_by_session.find(e.id);
      if (it == committed_by_session.end()) continue;  // the recovering run's own session
      if (e.end_reason != store::kEndRecovered || e.sample_count != it->second) {
        ++not_recovered;
        std::printf("session %lld: end reason '%s', %llu samples (had %llu)\n",
                    static_cast<long long>(e.id), e.end_reason.c_str(),
                    static_cast<unsigned long long>(e.sample_count),
                    static_cast<unsigned long long>(it->second));
      }
    }
  }

  const double period_ms = sim::VirtualDevice::kSamplePeriod_us / 1000.0;
  std::printf(
      "rollrig-kill-trials: %d trials (seed %u): %d failed checks; %d killed during start-up "
      "(%d before their session began), %zu while streaming\n",
      trials, seed, failures, startup_kills, no_session, lag_ms.size());
  std::printf(
      "samples lost (sent by the rig, not in the library), trials killed while streaming:\n"
      "  min %.0f  median %.0f  p99 %.0f  max %.0f samples\n"
      "  min %.1f  median %.1f  p99 %.1f  max %.1f ms of device time (lag of the library behind "
      "the rig at the kill; %.1f ms a sample)\n",
      percentile(lost, 0.0001), percentile(lost, 50), percentile(lost, 99), percentile(lost, 100),
      percentile(lag_ms, 0.0001), percentile(lag_ms, 50), percentile(lag_ms, 99),
      percentile(lag_ms, 100), period_ms);
  std::printf("over the 250 ms bound: %d; sessions recovered: %zu, not recovered as expected: %d\n",
              over_bound, committed_by_session.size(), not_recovered);
  if (failures == 0 && over_bound == 0 && not_recovered == 0) fs::remove_all(dir);
  return failures == 0 && over_bound == 0 && not_recovered == 0 ? 0 : 1;
}

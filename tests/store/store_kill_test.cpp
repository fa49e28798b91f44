// The store's durability bound under kill -9: a child process records samples and commits every
// few milliseconds, reporting through a pipe each count it has seen committed; the parent kills it
// at a random moment and checks that the library is sound and holds every reported sample (and at
// most the one commit that finished before the child could report it).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "rollrig/store/session_store.h"
#include "store_test_util.h"

using namespace rollrig;
using namespace rollrig::store;
using rollrig::store::test::firstDifference;
using rollrig::store::test::makeSamples;
using rollrig::store::test::TempDir;

namespace {

constexpr size_t kMaxBatch = 40;  // samples per commit: 1..40 (up to 0.5 s at 80 Hz)

bool writeAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n) {
    const ssize_t w = write(fd, c, n);
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool readAll(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n) {
    const ssize_t r = read(fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// The child: records `samples` into a new session, reporting the session id and then the count
// after every commit that returned without error. Never returns.
[[noreturn]] void recordUntilKilled(const std::string& path,
                                    const std::vector<core::Sample>& samples, uint32_t seed,
                                    int fd) {
  std::mt19937 rng(seed);
  SessionStore store;
  SessionInfo info;
  info.started_utc = "2026-11-29T10:00:00Z";
  info.source = "kill test";
  int64_t id = 0;
  if (store.open(path) || store.beginSession(info, &id) || !writeAll(fd, &id, sizeof id)) _exit(2);
  uint64_t committed = 0;
  while (committed < samples.size()) {
    const size_t n = std::min<size_t>(1 + rng() % kMaxBatch, samples.size() - committed);
    store.appendSamples(id, samples.data() + committed, n);
    if (store.commit()) _exit(3);
    committed += n;
    if (!writeAll(fd, &committed, sizeof committed)) _exit(4);
    usleep(rng() % 3000);  // "every few ms"
  }
  for (;;) pause();
}

}  // namespace

TEST(StoreKill, EveryReportedCommitSurvivesKillNineAtRandomMoments) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  {
    SessionStore store;  // create the library once, so every child only opens it
    ASSERT_FALSE(store.open(path));
  }
  constexpr int kTrials = 60;
  std::mt19937 rng(20261129);
  size_t total_reported = 0, total_found = 0, unreported_commits = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto samples =
        makeSamples(20000, 1000000ull * trial, static_cast<uint16_t>(trial), trial);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const uint32_t child_seed = rng();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      recordUntilKilled(path, samples, child_seed, fds[1]);
    }
    close(fds[1]);
    int64_t id = 0;
    ASSERT_TRUE(readAll(fds[0], &id, sizeof id));
    // Kill after a random number of reported commits, plus a random delay (mid-commit, mid-sleep).
    const int wait_commits = static_cast<int>(rng() % 25);
    uint64_t reported = 0;
    for (int k = 0; k < wait_commits; ++k) ASSERT_TRUE(readAll(fds[0], &reported, sizeof reported));
    usleep(rng() % 4000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: status " << status;
    uint64_t more;
    while (readAll(fds[0], &more, sizeof more)) reported = more;  // reports sent before the kill
    close(fds[0]);

    SessionStore store;
    const StoreError e = store.open(path);
    ASSERT_FALSE(e) << e.message;
    std::string report;
    ASSERT_FALSE(store.integrityCheck(&report));
    ASSERT_EQ(report, "ok");
    std::vector<core::Sample> back;
    ASSERT_FALSE(store.loadSamples(id, &back));
    // Everything reported is there, exactly; beyond it at most the commit that finished before
    // the child could report it.
    ASSERT_GE(back.size(), reported);
    ASSERT_LE(back.size(), reported + kMaxBatch);
    ASSERT_EQ(
        firstDifference(std::vector<core::Sample>(samples.begin(),
                                                  samples.begin() + static_cast<long>(back.size())),
                        back),
        -1);
    if (back.size() > reported) ++unreported_commits;
    // The session row's counters were committed with the samples.
    SessionRecord r;
    ASSERT_FALSE(store.loadSession(id, &r));
    ASSERT_EQ(r.sample_count, back.size());
    ASSERT_FALSE(r.ended());
    std::vector<SessionRecord> to_recover;  // its recorder's lock died with it
    ASSERT_FALSE(store.unfinishedSessions(&to_recover));
    ASSERT_EQ(to_recover.size(), 1u);
    ASSERT_EQ(to_recover[0].id, id);
    ASSERT_FALSE(store.finishInterrupted(id));
    total_reported += reported;
    total_found += back.size();
  }
  std::vector<SessionRecord> unfinished;
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  ASSERT_FALSE(store.unfinishedSessions(&unfinished));
  EXPECT_TRUE(unfinished.empty());
  std::printf(
      "[ kill -9 ] %d trials: %zu samples reported committed, %zu found; %zu trials had a "
      "commit that finished unreported\n",
      kTrials, total_reported, total_found, unreported_commits);
}

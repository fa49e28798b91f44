// Session library throughput and size: sustained insert rate with the engine's commit cadence,
// and bytes per recorded hour of an 80 Hz session.
// Run: build/bin/rollrig-bench-store  (goals: >= 1 M samples/s on one core with 250 ms commits;
// <= 6 MB per recorded hour; the wire carries 7.2 MB/h, the session CSV ~29 MB/h).
//
// Samples come from the body model (sim::BodyModel) with its sensor noise and drift: how well
// counts compress depends on that noise, so synthetic ramps would flatter the codec.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "rollrig/sim/body_model.h"
#include "rollrig/store/sample_codec.h"
#include "rollrig/store/session_store.h"

using namespace rollrig;

namespace {

constexpr double kRate_hz = 80.0;
constexpr uint64_t kPeriod_us = 12500;
constexpr size_t kPerCommit = 20;  // 250 ms at 80 Hz

// `seconds` of a simulated session at 80 Hz, as the decoder would deliver them.
const std::vector<core::Sample>& bodyModelSamples(double seconds) {
  static std::vector<core::Sample> cache;
  const size_t n = static_cast<size_t>(seconds * kRate_hz);
  if (cache.size() >= n) return cache;
  sim::BodyModelConfig cfg;
  cfg.seed = 7;
  cfg.duration_s = seconds;
  cfg.rate_hz = kRate_hz;
  sim::BodyModel model(cfg);
  cache.clear();
  cache.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const sim::ModelSample m = model.next();
    core::Sample s;
    s.t_us = i * kPeriod_us;
    s.seq = static_cast<uint16_t>(i);
    s.fresh_mask = 0x0F;
    s.channel_count = core::kCellCount;
    for (int c = 0; c < core::kCellCount; ++c) s.raw_counts[c] = m.raw_counts[c];
    cache.push_back(s);
  }
  return cache;
}

class TempLibrary {
 public:
  TempLibrary() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "rollrig-store-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data())) m_dir = tmpl;
  }
  ~TempLibrary() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  std::string path() const { return m_dir + "/sessions.db"; }

 private:
  std::string m_dir;
};

store::SessionInfo benchInfo() {
  store::SessionInfo info;
  info.started_utc = "2026-11-29T10:00:00Z";
  info.source = "bench";
  info.nominal_rate_hz = kRate_hz;
  info.cell_count = core::kCellCount;
  return info;
}

// Records `samples` in commits of `per_commit` samples into a fresh library.
void record(const std::string& path, const std::vector<core::Sample>& samples, size_t n,
            size_t per_commit, benchmark::State& state) {
  store::SessionStore s;
  if (store::StoreError e = s.open(path)) {
    state.SkipWithError(e.message.c_str());
    return;
  }
  int64_t id = 0;
  if (s.beginSession(benchInfo(), &id)) {
    state.SkipWithError("beginSession failed");
    return;
  }
  for (size_t i = 0; i < n; i += per_commit) {
    s.appendSamples(id, samples.data() + i, std::min(per_commit, n - i));
    if (store::StoreError e = s.commit()) {
      state.SkipWithError(e.message.c_str());
      return;
    }
  }
  if (s.endSession(id, store::kEndStopped, "")) state.SkipWithError("endSession failed");
}

// The engine's cadence: a commit every 250 ms of samples (20 at 80 Hz), flat out. Each iteration
// records 10 minutes into a new library.
void BM_InsertWith250msCommits(benchmark::State& state) {
  const size_t per_commit = static_cast<size_t>(state.range(0));
  const auto& samples = bodyModelSamples(600);
  const size_t n = 600 * 80;
  uint64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      TempLibrary lib;
      state.ResumeTiming();
      record(lib.path(), samples, n, per_commit, state);
      state.PauseTiming();
    }
    state.ResumeTiming();
    total += n;
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["commits/s"] = benchmark::Counter(
      static_cast<double>(total) / static_cast<double>(per_commit), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_InsertWith250msCommits)->Arg(kPerCommit)->Arg(80 * 60)->Unit(benchmark::kMillisecond);

// The codec alone, per chunk of kChunkSamples.
void BM_EncodeChunk(benchmark::State& state) {
  const auto& samples = bodyModelSamples(600);
  std::vector<uint8_t> blob;
  size_t offset = 0, total = 0;
  for (auto _ : state) {
    blob.clear();
    store::encodeChunk(samples.data() + offset, store::kChunkSamples, &blob);
    benchmark::DoNotOptimize(blob.data());
    offset = (offset + store::kChunkSamples) % (samples.size() - store::kChunkSamples);
    total += store::kChunkSamples;
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeChunk);

// Reading a recorded hour back (what export, reanalyze and history do).
void BM_ReadAnHour(benchmark::State& state) {
  const auto& samples = bodyModelSamples(3600);
  TempLibrary lib;
  record(lib.path(), samples, samples.size(), kPerCommit, state);
  store::SessionStore s;
  if (s.open(lib.path(), {store::OpenMode::kReadOnly})) {
    state.SkipWithError("open failed");
    return;
  }
  std::vector<core::Sample> back;
  uint64_t total = 0;
  for (auto _ : state) {
    if (s.loadSamples(1, &back)) state.SkipWithError("load failed");
    total += back.size();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadAnHour)->Unit(benchmark::kMillisecond);

// The size of one recorded hour at 80 Hz with 250 ms commits: the library file after the writer
// closed (WAL checkpointed into it), and the chunk blobs alone.
void BM_BytesPerRecordedHour(benchmark::State& state) {
  const auto& samples = bodyModelSamples(3600);
  double file_bytes = 0, blob_bytes = 0;
  for (auto _ : state) {
    TempLibrary lib;
    record(lib.path(), samples, samples.size(), kPerCommit, state);
    file_bytes = static_cast<double>(std::filesystem::file_size(lib.path()));
    blob_bytes = 0;
    for (size_t i = 0; i < samples.size(); i += store::kChunkSamples) {
      std::vector<uint8_t> blob;
      store::encodeChunk(samples.data() + i, std::min(store::kChunkSamples, samples.size() - i),
                         &blob);
      blob_bytes += static_cast<double>(blob.size());
    }
  }
  const double n = static_cast<double>(samples.size());
  state.counters["MB_per_hour"] = file_bytes / 1e6;
  state.counters["file_B_per_sample"] = file_bytes / n;
  state.counters["blob_B_per_sample"] = blob_bytes / n;
}
BENCHMARK(BM_BytesPerRecordedHour)->Iterations(1)->Unit(benchmark::kMillisecond);

// For comparison (docs/STORE.md): the same hour stored the obvious way, one row per sample with
// an index on (session, time), in one transaction. What the chunks save is this file's size.
void BM_BytesPerHourWithARowPerSample(benchmark::State& state) {
  const auto& samples = bodyModelSamples(3600);
  double file_bytes = 0;
  for (auto _ : state) {
    TempLibrary lib;
    sqlite3* db = nullptr;
    sqlite3_open(lib.path().c_str(), &db);
    sqlite3_exec(db,
                 "CREATE TABLE samples (id INTEGER PRIMARY KEY, session_id INTEGER, t_us INTEGER, "
                 "seq INTEGER, lost_before INTEGER, flags INTEGER, fresh_mask INTEGER, c0 INTEGER, "
                 "c1 INTEGER, c2 INTEGER, c3 INTEGER);"
                 "CREATE INDEX samples_by_time ON samples(session_id, t_us); BEGIN;",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO samples VALUES (NULL, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
                       &st, nullptr);
    for (const core::Sample& s : samples) {
      sqlite3_bind_int64(st, 1, static_cast<int64_t>(s.t_us));
      sqlite3_bind_int(st, 2, s.seq);
      sqlite3_bind_int64(st, 3, s.lost_before);
      sqlite3_bind_int(st, 4, s.flags);
      sqlite3_bind_int(st, 5, s.fresh_mask);
      for (int c = 0; c < 4; ++c) sqlite3_bind_int(st, 6 + c, s.raw_counts[c]);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    file_bytes = static_cast<double>(std::filesystem::file_size(lib.path()));
  }
  state.counters["MB_per_hour"] = file_bytes / 1e6;
  state.counters["file_B_per_sample"] = file_bytes / static_cast<double>(samples.size());
}
BENCHMARK(BM_BytesPerHourWithARowPerSample)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

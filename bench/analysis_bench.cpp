// Analysis throughput: holds and releases over a synthetic 24 h, four-cell, 80 Hz recording
// (body model -> raw counts -> forces and CoP), offline; and the per-sample cost of the live path.
// Run: build/bin/rollrig-bench-analysis   (goal: >= 20 M samples/s offline on one core).
#include <benchmark/benchmark.h>

#include <vector>

#include "rollrig/core/force_model.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/sim/body_model.h"

using namespace rollrig;

namespace {

struct Day {
  std::vector<core::Sample> counts;            // the recording as stored: raw counts
  std::vector<core::AnalysisSample> analysis;  // after the force model
  core::Calibration cal;
};

const Day& day() {
  static const Day d = [] {
    Day d;
    sim::BodyModelConfig cfg;
    cfg.seed = 24;
    cfg.duration_s = 24 * 3600;
    sim::BodyModel model(cfg);
    for (int i = 0; i < core::kCellCount; ++i) {
      d.cal.cells[i].offset_counts = model.sensors()[i].offset_counts;
      d.cal.cells[i].n_per_count = 1.0 / model.sensors()[i].counts_per_n;
    }
    const core::ForceModel fm(d.cal);
    const size_t n = static_cast<size_t>(cfg.duration_s * cfg.rate_hz);
    d.counts.reserve(n);
    d.analysis.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      const auto m = model.next();
      core::Sample s;
      s.t_us = static_cast<uint64_t>(m.t_s * 1e6);
      s.channel_count = 4;
      for (int c = 0; c < 4; ++c) s.raw_counts[c] = m.raw_counts[c];
      d.counts.push_back(s);
      const auto f = fm.compute(s);
      d.analysis.push_back({m.t_s, f.total_n, f.has_cop, f.x_mm, f.y_mm});
    }
    return d;
  }();
  return d;
}

void BM_AnalyzeDayFromForces(benchmark::State& state) {
  const Day& d = day();
  size_t holds = 0;
  for (auto _ : state) {
    const auto a = core::analyzeSession(d.analysis);
    holds = a.holds.size();
    benchmark::DoNotOptimize(holds);
  }
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * d.analysis.size()), benchmark::Counter::kIsRate);
  state.counters["holds"] = static_cast<double>(holds);
}
BENCHMARK(BM_AnalyzeDayFromForces)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_AnalyzeDayFromRawCounts(benchmark::State& state) {
  const Day& d = day();
  const core::ForceModel fm(d.cal);
  for (auto _ : state) {
    core::SessionAnalyzer a;
    for (const auto& s : d.counts) {
      const auto f = fm.compute(s);
      a.push({s.t_us * 1e-6, f.total_n, f.has_cop, f.x_mm, f.y_mm});
    }
    a.finish();
    benchmark::DoNotOptimize(a.holds().size());
  }
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * d.counts.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnalyzeDayFromRawCounts)->Unit(benchmark::kMillisecond)->Iterations(3);

// The live path: one push() per arriving sample, as the GUI will do.
void BM_LivePushPerSample(benchmark::State& state) {
  const Day& d = day();
  core::SessionAnalyzer a;
  size_t i = 0;
  double t_offset = 0;
  for (auto _ : state) {
    auto s = d.analysis[i];
    s.t_s += t_offset;
    a.push(s);
    if (++i == d.analysis.size()) {
      i = 0;
      t_offset += 24 * 3600 + 1;
    }
  }
}
BENCHMARK(BM_LivePushPerSample);

}  // namespace

BENCHMARK_MAIN();

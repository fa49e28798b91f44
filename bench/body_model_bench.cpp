// Body model cost against the session's duration: construction time, plan segments held and heap
// in use after constructing a model of 10^2 .. 10^12 s, and the heap after drawing samples from a
// 10^12 s model (issue 9 item 14: the plan used to be built for the whole duration up front).
// Run: build/bin/rollrig-bench-body-model   (expect flat columns from 10^5 s on).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>

#include "rollrig/sim/body_model.h"

using namespace rollrig;

namespace {

double heapInUse_bytes() {
  return static_cast<double>(mallinfo2().uordblks);
}

// Construction, per duration 10^range(0) s.
void BM_Construct(benchmark::State& state) {
  sim::BodyModelConfig cfg;
  cfg.seed = 5;
  cfg.duration_s = std::pow(10.0, static_cast<double>(state.range(0)));
  double segments = 0, heap = 0;
  for (auto _ : state) {
    const double before = heapInUse_bytes();
    sim::BodyModel m(cfg);
    heap = heapInUse_bytes() - before;
    segments = static_cast<double>(m.plannedSegments());
    benchmark::DoNotOptimize(m);
  }
  state.counters["segments"] = segments;
  state.counters["heap_bytes"] = heap;
}
BENCHMARK(BM_Construct)->DenseRange(2, 12, 1)->Unit(benchmark::kMillisecond);

// Drawing 10^range(0) samples (80 Hz) from a 10^12 s model: the heap stays where construction
// left it however far the samples go.
void BM_DrawFromAVeryLongSession(benchmark::State& state) {
  sim::BodyModelConfig cfg;
  cfg.seed = 6;
  cfg.duration_s = 1e12;
  const auto n = static_cast<int64_t>(state.range(0));
  double growth = 0, segments = 0;
  for (auto _ : state) {
    sim::BodyModel m(cfg);
    const double before = heapInUse_bytes();
    for (int64_t k = 0; k < n; ++k) benchmark::DoNotOptimize(m.next());
    growth = heapInUse_bytes() - before;
    segments = static_cast<double>(m.plannedSegments());
  }
  state.counters["heap_growth_bytes"] = growth;
  state.counters["segments"] = segments;
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DrawFromAVeryLongSession)
    ->Arg(80 * 3600)
    ->Arg(80 * 3600 * 30)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();

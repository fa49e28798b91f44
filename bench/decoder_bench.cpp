// Decoder throughput: MB/s and frames/s of FrameDecoder over a realistic 4-cell SAMPLE stream.
// Run: build/bin/rollrig-bench-decoder  (goal: >= 100 MB/s on one core).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include <sstream>

#include "rollrig/core/force_model.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/sim/virtual_device.h"

using namespace rollrig;

namespace {

struct CountingSink : core::FrameSink {
  uint64_t n = 0;
  int64_t sum = 0;
  void onSample(const core::Sample& s) override {
    ++n;
    sum += s.raw_counts[0];
  }
};

std::vector<uint8_t> makeStream(size_t frames) {
  std::mt19937 rng(1);
  std::vector<uint8_t> out;
  out.reserve(frames * 25);
  uint8_t wire[proto::kMaxWireFrame];
  for (size_t i = 0; i < frames; ++i) {
    proto::SampleFrame f{};
    f.seq = static_cast<uint16_t>(i);
    f.t_us = static_cast<uint32_t>(i * 12500);
    f.fresh_mask = 0x0F;
    f.channel_count = 4;
    for (int c = 0; c < 4; ++c) f.raw_counts[c] = static_cast<int32_t>(rng() % 2000000) - 1000000;
    const size_t n = proto::encodeSample(f, wire, sizeof(wire));
    out.insert(out.end(), wire, wire + n);
  }
  return out;
}

void BM_DecodeSampleStream(benchmark::State& state) {
  const auto bytes = makeStream(100000);
  const size_t chunk = static_cast<size_t>(state.range(0));
  uint64_t frames = 0;
  for (auto _ : state) {
    CountingSink sink;
    core::FrameDecoder d(sink);
    for (size_t i = 0; i < bytes.size(); i += chunk)
      d.feed(bytes.data() + i, std::min(chunk, bytes.size() - i));
    benchmark::DoNotOptimize(sink.sum);
    frames += sink.n;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeSampleStream)->Arg(64)->Arg(4096)->Unit(benchmark::kMillisecond);

// What `rollrig record` does per sample after the port: decode, counts -> N and CoP, format the
// CSV row. Input: 10 minutes of a virtual-rig session (bytes generated once, outside the timing).
void BM_DecodeForceCsvPerSample(benchmark::State& state) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 5;
  cfg.body.duration_s = 600;
  sim::VirtualDevice dev(cfg);
  std::vector<uint8_t> bytes;
  uint8_t wire[proto::kMaxWireFrame];
  proto::CommandFrame start{proto::kCmdStart, 1, 0, {}};
  dev.receive(wire, proto::encodeCommand(start, wire, sizeof(wire)));
  dev.advanceTo(600000000, bytes);
  const core::ForceModel model(dev.nominalCalibration());

  struct CsvSink : core::FrameSink {
    explicit CsvSink(const core::ForceModel& m) : model(m), csv(out) {}
    void onSample(const core::Sample& s) override { csv.writeRow(s, model.compute(s)); }
    const core::ForceModel& model;
    std::ostringstream out;
    core::SessionCsvWriter csv;
  };
  uint64_t samples = 0;
  for (auto _ : state) {
    CsvSink sink(model);
    core::FrameDecoder d(sink);
    d.feed(bytes.data(), bytes.size());
    samples += sink.csv.rows();
    benchmark::DoNotOptimize(sink.out.tellp());
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["ns/sample"] = benchmark::Counter(
      static_cast<double>(samples), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeForceCsvPerSample)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

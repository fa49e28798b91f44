// The force plot's frame cost with a 2-hour session loaded (576,000 samples at 80 Hz): the plot
// model alone (ticks, autoscale, min/max per pixel column from the pyramid), and a whole frame of
// the plot panel through Dear ImGui — NewFrame, the draw lists, Render — headless: an ImGui
// context with its font atlas built and no renderer backend (nothing reaches a GPU). Zoomed out
// (the whole session) and zoomed in (30 s). Goal (issue 11): <= 1 ms a frame on one core.
//
//   build/bin/rollrig-bench-gui-frame   (or build/bench/…, wherever CMake put it)
#include <benchmark/benchmark.h>
#include <imgui.h>

#include <cmath>
#include <random>

#include "force_plot.h"
#include "layout.h"
#include "sample_store.h"

using namespace rollrig;
using namespace rollrig::gui;

namespace {

constexpr int kTwoHours = 80 * 7200;

// A 2-hour session: holds of 40-120 s at 250-550 N with breathing and noise, rolling between.
struct Session {
  SampleStore store;
  engine::LiveSnapshot snap;
  Session() {
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0, 4);
    std::uniform_real_distribution<double> u(0, 1);
    double next = 5, level = 350;
    bool holding = false;
    core::Hold h;
    for (int i = 0; i < kTwoHours; ++i) {
      const double t = i / 80.0;
      if (t >= next) {
        holding = !holding;
        if (holding) {
          level = 250 + 300 * u(rng);
          h = core::Hold{};
          h.start_s = t;
          next = t + 40 + 80 * u(rng);
        } else {
          h.end_s = t;
          h.release_s = t - 2;
          snap.holds.push_back(h);
          next = t + 10 + 10 * u(rng);
        }
      }
      const double f = holding ? level + 15 * std::sin(t * 1.3) + noise(rng)
                               : 120 + 100 * std::sin(t * 0.7) + 3 * noise(rng);
      engine::ProcessedSample s;
      s.t_s = t;
      s.force.total_n = f;
      store.append(s);
    }
    snap.samples_recorded = kTwoHours;
  }
};

const Session& session() {
  static const Session s;
  return s;
}

struct Headless {
  Fonts fonts;
  Layout lay;
  Headless() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1260, 720);
    io.DeltaTime = 1.0f / 60;
    ImFont* font = io.Fonts->AddFontDefault();
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);  // built; no texture is uploaded anywhere
    fonts.normal = fonts.large = fonts.huge = font;
    lay = computeLayout(1260, 720, 1.0f);
  }
  ~Headless() { ImGui::DestroyContext(); }
};

PlotView viewFor(int64_t zoom) {
  PlotView v;
  if (zoom == 0) {
    v.mode = PlotView::Mode::kWhole;
  } else {
    v.mode = PlotView::Mode::kFixed;
    v.span_s = 30;
    v.t1_s = 3600;
  }
  return v;
}

// arg 0: the whole session (zoomed out); arg 1: 30 s (zoomed in).
void BM_PlotModel(benchmark::State& state) {
  const Session& s = session();
  Headless hl;
  const PlotView v = viewFor(state.range(0));
  size_t points = 0;
  for (auto _ : state) {
    const ForcePlotModel m = computeForcePlot(s.store, s.snap, hl.lay.plot, hl.fonts, v);
    points = m.trace.size();
    benchmark::DoNotOptimize(m.trace.data());
  }
  state.counters["trace_points"] = static_cast<double>(points);
  state.counters["session_MB"] = static_cast<double>(s.store.bytes()) / 1e6;
  state.SetLabel(state.range(0) == 0 ? "whole session" : "30 s");
}
BENCHMARK(BM_PlotModel)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_PlotFrame(benchmark::State& state) {
  const Session& s = session();
  Headless hl;
  const PlotView v = viewFor(state.range(0));
  int vertices = 0;
  for (auto _ : state) {
    ImGui::NewFrame();
    const ForcePlotModel m = computeForcePlot(s.store, s.snap, hl.lay.plot, hl.fonts, v);
    SolidFills fills;
    drawForcePlot(m, hl.lay.plot, hl.fonts, fills);
    ImGui::Render();
    vertices = ImGui::GetDrawData()->TotalVtxCount;
    benchmark::DoNotOptimize(fills.data());
  }
  state.counters["vertices"] = vertices;
  state.SetLabel(state.range(0) == 0 ? "whole session" : "30 s");
}
BENCHMARK(BM_PlotFrame)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Appending one sample (the pyramid's amortised O(1) included).
void BM_AppendSample(benchmark::State& state) {
  SampleStore store;
  engine::ProcessedSample s;
  double t = 0;
  for (auto _ : state) {
    s.t_s = t;
    s.force.total_n = 300 + std::fmod(t, 7.0);
    t += 1 / 80.0;
    store.append(s);
    if (store.size() >= static_cast<size_t>(kTwoHours)) {
      state.PauseTiming();
      store.clear();
      t = 0;
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_AppendSample);

}  // namespace

BENCHMARK_MAIN();

// Body model implementation. Navigate by the [SECTION] markers:
//   Random numbers  - a seeded engine with our own distributions (portable draws)
//   The line        - the hip-flexor path on the plate, sampled by arc length
//   Plan types      - segments and hold parameters, planned block by block
//   Impl            - person, plate and sensor draws; the planner; per-sample evaluation
//   BodyModel       - the public shell
//   Names and JSON
//
// How a sample is made: the plan gives, for any time t, the ball's path position and a smooth
// "base" load. next() adds what varies sample to sample: breathing (load and a tiny CoP sway),
// tremor, the force-fluctuation floor, the slow CoP wander at a spot, then splits the load over
// the cells as a rigid plate does and turns each cell's force into HX711 counts with gain,
// offset, drift and noise. The plan is one block for a session up to an hour; a longer session is
// planned in half-hour blocks (the first day at construction, then as the samples reach them).
//
// Four independent engines, all derived from the seed, keep concerns apart: changing the
// duration never changes the person or the sensors, and switching sensor noise on or off never
// changes the true loads.
#include "rollrig/sim/body_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

namespace rollrig::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2 * kPi;
constexpr double kGravity_mps2 = 9.80665;
// Nominal gain of a 50 kg, 1 mV/V cell on an HX711 at gain 128 and 5 V excitation; the same
// number as rollrig::core::kNominalCountsPerNewton (not included: that header pulls in the
// decoder).
constexpr double kNominalCountsPerN = 4390.0;
constexpr double kCountsMin = -8388608.0;  // 24-bit two's complement range of the HX711
constexpr double kCountsMax = 8388607.0;

// Plan limits (see the header and docs/ANALYSIS.md).
constexpr double kMinHold_s = 20;
constexpr double kMaxHold_s = 100;
// Releases come from 8 s into a hold (well inside the settling transient) to 90 s: wider than
// what the analysis assumes on purpose, so the evaluation shows where it cannot work.
constexpr double kMinReleaseInHold_s = 8;
constexpr double kMaxReleaseInHold_s = 90;
constexpr double kMinAfterRelease_s = 5;
constexpr double kMaxAfterRelease_s = 25;
constexpr double kMaxLoadFraction = 0.58;  // cap on any instantaneous hold load, x body weight
// The band in which tremor and the force-fluctuation floor are compared (TruthHold::tremor_snr).
constexpr double kTremorBandLow_hz = 4;
constexpr double kTremorBandHigh_hz = 14;
// HX711 input noise per cell, counts rms (white at the sample rate).
constexpr double kSensorNoise_counts = 90;
// Below this duration there is no room to mount and roll: the plan is compressed; below
// kMinPlannedSession_s the plate stays empty throughout.
constexpr double kCompressedSession_s = 25;
constexpr double kMinPlannedSession_s = 10;
// Sessions up to an hour are planned as one block. Longer ones are planned in blocks of half an
// hour (the last takes the remainder), each a session of its own with an empty plate at both
// ends, drawn from its own engine: a block's plan depends only on the seed, the duration and its
// index, so blocks can be planned whenever the samples reach them (memory does not grow with the
// duration) and the samples do not depend on when that happens.
constexpr double kSingleBlockMax_s = 3600;
constexpr double kPlanBlock_s = 1800;
constexpr double kMaxBlocks = 1e15;  // unreachable in practice; keeps the index arithmetic finite

double smoothstep(double u) {
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  return u * u * (3 - 2 * u);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// [SECTION] Random numbers
// std::uniform_real_distribution / std::normal_distribution differ between standard libraries;
// drawing from the engine's raw bits ourselves keeps a seed's plan the same everywhere (up to
// libm rounding in exp/sin/log).
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_engine(seed) {}

  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    if (m_has_spare) {
      m_has_spare = false;
      return m_spare;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    m_spare = r * std::sin(kTwoPi * u2);
    m_has_spare = true;
    return r * std::cos(kTwoPi * u2);
  }

 private:
  std::mt19937_64 m_engine;
  bool m_has_spare = false;
  double m_spare = 0;
};

// [SECTION] The line
// The hip-flexor line of one side: from just inside the iliac crest (arc 0, toward +y) down
// toward the thigh, with a slant, a gentle bow and a small wobble. Sampled uniformly in arc
// length so that "roll at v mm/s" is simply "advance the arc position at v".
class LinePath {
 public:
  static constexpr int kTable = 1024;

  void build(double side_sign, Rng& rng) {
    const double y_top = 120 + rng.uniform(-10, 10);
    const double y_bottom = -150 + rng.uniform(-10, 10);
    const double offset = rng.uniform(-10, 10);
    const double slant = rng.uniform(-15, 15);
    const double bow = rng.uniform(-8, 8);
    const double wobble = rng.uniform(2, 5);
    const double wobble_cycles = rng.uniform(1.5, 3);
    const double wobble_phase = rng.uniform(0, kTwoPi);
    auto point = [&](double p, double& x, double& y) {
      y = y_top + (y_bottom - y_top) * p;
      const double lateral = offset + slant * (p - 0.5) + bow * std::sin(kPi * p) +
                             wobble * std::sin(kTwoPi * wobble_cycles * p + wobble_phase);
      x = side_sign * (120 + lateral);
    };
    // Fine parameter sampling -> cumulative arc length -> resample at equal arc steps.
    constexpr int kFine = 8192;
    std::vector<double> px(kFine + 1), py(kFine + 1), arc(kFine + 1, 0.0);
    for (int i = 0; i <= kFine; ++i) point(static_cast<double>(i) / kFine, px[i], py[i]);
    for (int i = 1; i <= kFine; ++i)
      arc[i] = arc[i - 1] + std::hypot(px[i] - px[i - 1], py[i] - py[i - 1]);
    m_length_mm = arc[kFine];
    m_step_mm = m_length_mm / (kTable - 1);
    m_x.resize(kTable);
    m_y.resize(kTable);
    int j = 0;
    for (int i = 0; i < kTable; ++i) {
      const double s = i * m_step_mm;
      while (j + 1 < kFine && arc[j + 1] < s) ++j;
      const double seg = arc[j + 1] - arc[j];
      const double f = seg > 0 ? std::clamp((s - arc[j]) / seg, 0.0, 1.0) : 0.0;
      m_x[i] = px[j] + f * (px[j + 1] - px[j]);
      m_y[i] = py[j] + f * (py[j + 1] - py[j]);
    }
  }

  double length_mm() const { return m_length_mm; }

  // The arc position where the line crosses plate y (y falls along the line); clamped to the
  // line's ends.
  double arcAtY(double y_mm) const {
    if (y_mm >= m_y.front()) return 0;
    if (y_mm <= m_y.back()) return m_length_mm;
    size_t i = 0;
    while (i + 2 < m_y.size() && m_y[i + 1] > y_mm) ++i;
    const double f = (m_y[i] - y_mm) / (m_y[i] - m_y[i + 1]);
    return (i + f) * m_step_mm;
  }

  void at(double s_mm, double& x_mm, double& y_mm) const {
    const double u = std::clamp(s_mm / m_step_mm, 0.0, static_cast<double>(kTable - 1));
    const int i = std::min(static_cast<int>(u), kTable - 2);
    const double f = u - i;
    x_mm = m_x[i] + f * (m_x[i + 1] - m_x[i]);
    y_mm = m_y[i] + f * (m_y[i + 1] - m_y[i]);
  }

 private:
  std::vector<double> m_x, m_y;
  double m_length_mm = 0;
  double m_step_mm = 1;
};

// [SECTION] Plan types

// One stretch of the plan. Position and base load are closed-form functions of t within it.
struct PlanSegment {
  double t0 = 0, t1 = 0;
  Phase phase = Phase::kEmpty;
  Side side = Side::kNone;
  double s0_mm = 0, s1_mm = 0;  // arc position on the side's line at t0 / t1 (rolling moves)
  // Rolling speed profile: arc(u) = s0 + (s1 - s0) * g(u), u = (t - t0) / (t1 - t0),
  // g(u) = u - c sin(2 pi u) / (2 pi) + b sin(2 pi m u) / (2 pi m); g(0) = 0, g(1) = 1 and
  // g' = 1 - c cos(2 pi u) + b cos(2 pi m u) > 0 (|c| + |b| < 1): slower at the ends, wavy.
  double warp_c = 0, warp_b = 0, warp_m = 2;
  double f_start_n = 0;  // base load at t0, so every segment starts where the last ended
  double blend_s = 1;    // how long the segment takes to blend from f_start_n to its own law
  int hold = -1;         // index into holds for kHold
};

struct HoldPlan {
  double level_n = 0;  // F_inf
  double settle = 0;   // A / F_inf
  double tau_s = 1;
  bool released = false;
  double release_t_s = 0;  // absolute time of the release
  double step = 0;         // load-up at the release, fraction of level (0: none)
  double ramp_s = 1;       // duration of the load-up (and of the tremor change)
  double tremor_pre = 0;   // tremor amplitude (rms), fraction of load
  double tremor_post = 0;  // after the release: tremor_pre * tremor ratio
  double tremor_hz = 9;    // centre frequency of this hold's tremor
};

Side otherSide(Side s) {
  return s == Side::kLeft ? Side::kRight : Side::kLeft;
}
int sideIndex(Side s) {
  return s == Side::kRight ? 1 : 0;
}

}  // namespace

// [SECTION] Impl

struct BodyModel::Impl {
  static constexpr int kTremorParts = 3;

  BodyModelConfig cfg;
  core::PlateGeometry geom;
  Truth truth;
  std::array<CellSensor, core::kCellCount> sensors{};
  double dt_s = 0;

  // Person.
  double bw_n = 0;
  double roll_frac = 0.3;
  double roll_var_a[2]{}, roll_var_w[2]{}, roll_var_p[2]{};
  double breath_amp = 0.03, breath_w0 = 0, breath_wm = 0, breath_beta = 0, breath_phase = 0;
  double sway_x_mm = 0, sway_y_mm = 0;
  // Tremor: kTremorParts components at (1 + trem_rel[i]) x a centre frequency (the person's
  // outside holds, the hold's own inside), phases integrated sample by sample.
  double trem_rel[kTremorParts]{}, trem_phase[kTremorParts]{}, trem_amp[kTremorParts]{};
  double trem_mod_w[kTremorParts]{}, trem_mod_p[kTremorParts]{}, trem_mod_depth[kTremorParts]{};
  double trem_peak = 1;  // max |tremor()|: bounds the loads
  double trem_base = 0.008;
  double trem_person_hz = 9;
  // Force-fluctuation floor: white relative load noise whose rms over the 4-14 Hz band is
  // fluct_band_frac of the load (real plates: 0.05-0.18 % in 6-12 Hz).
  double fluct_band_frac = 0.001;
  double fluct_sample_sd = 0.002;  // per-sample sd giving that band rms at rate_hz

  // Plate and cells.
  std::array<LinePath, 2> lines;
  std::array<std::vector<double>, 2> spots_mm;  // tender spots (arc positions) per side
  // A Person's spots' release factors, beside spots_mm (empty without a Person).
  std::array<std::vector<double>, 2> spot_release_factor;
  double hold_release_factor = 1;  // of the spot the next hold is at (a Person's)
  double drift_warm[core::kCellCount]{}, drift_tau_s[core::kCellCount]{};
  double drift_amp[core::kCellCount]{}, drift_w[core::kCellCount]{}, drift_p[core::kCellCount]{};

  // The plan.
  std::vector<PlanSegment> segs;
  std::vector<HoldPlan> holds;

  // Planner state. segs/holds hold the blocks planned at construction (up to plan_ahead_s), or,
  // once the samples have gone past those, only the block being sampled.
  Rng plan_rng{0};
  uint64_t plan_seed = 0;
  uint64_t block_count = 1;
  uint64_t next_block = 0;  // the next block to plan
  double block_len_s = 0;
  int block_holds = 0;       // holds planned in the current block
  bool record_truth = true;  // planning at construction: add to the truth
  double plan_t = 0;
  double budget_end_s = 0;

  // Per-sample state.
  uint64_t sample_index = 0;
  size_t cursor = 0;
  Rng motion_rng{0};
  Rng noise_rng{0};
  double wander_x = 0, wander_y = 0, wander_vx = 0, wander_vy = 0;
  double tremor_level = 0;
  double tremor_alpha = 0;

  Impl(const BodyModelConfig& c, const core::PlateGeometry& g) : cfg(c), geom(g) {
    assert(cfg.rate_hz > 0);
    assert(cfg.duration_s >= 0);
    dt_s = 1.0 / cfg.rate_hz;
    tremor_alpha = 1.0 - std::exp(-dt_s / 0.5);
    Rng person_rng(splitmix64(cfg.seed ^ 0x70657273ull));
    plan_seed = splitmix64(cfg.seed ^ 0x706c616eull);
    motion_rng = Rng(splitmix64(cfg.seed ^ 0x6d6f7469ull));
    noise_rng = Rng(splitmix64(cfg.seed ^ 0x6e6f6973ull));
    drawPerson(person_rng);
    drawPlate(person_rng);
    if (cfg.duration_s > kSingleBlockMax_s) {
      block_len_s = kPlanBlock_s;
      block_count =
          static_cast<uint64_t>(std::min(std::floor(cfg.duration_s / kPlanBlock_s), kMaxBlocks));
    } else {
      block_len_s = cfg.duration_s;
      block_count = 1;
    }
    // Block 0 always; then every block that starts within plan_ahead_s, into the truth.
    do {
      planBlock(next_block++, true);
    } while (next_block < block_count && blockStart(next_block) < cfg.plan_ahead_s);
    record_truth = false;
  }

  double blockStart(uint64_t k) const { return static_cast<double>(k) * block_len_s; }
  double blockEnd(uint64_t k) const {
    return k + 1 >= block_count ? cfg.duration_s : static_cast<double>(k + 1) * block_len_s;
  }

  // Plans block k. `keep`: append to what is planned (construction); otherwise the block
  // replaces the plan (the samples have left everything planned so far behind).
  void planBlock(uint64_t k, bool keep) {
    if (!keep) {
      segs.clear();
      holds.clear();
      cursor = 0;
    }
    const size_t first = segs.size();
    plan_rng = Rng(k == 0 ? plan_seed : splitmix64(plan_seed + k));
    block_holds = 0;
    buildPlan(blockStart(k), blockEnd(k), block_count == 1);
    finishPlan(first);
  }

  // ---- draws that do not depend on the duration ----

  void drawPerson(Rng& r) {
    const double mass = r.uniform(55, 110);
    truth.body_mass_kg = cfg.body_mass_kg > 0 ? cfg.body_mass_kg
                         : cfg.person         ? cfg.person->body_mass_kg
                                              : mass;
    truth.seed = cfg.seed;
    bw_n = truth.body_mass_kg * kGravity_mps2;
    roll_frac = r.uniform(0.22, 0.36);  // with the +-10 % variation: 20..40 % of body weight
    roll_var_a[0] = r.uniform(0.03, 0.06);
    roll_var_a[1] = 0.10 - roll_var_a[0] - 0.005;
    for (int i = 0; i < 2; ++i) {
      roll_var_w[i] = kTwoPi / r.uniform(i == 0 ? 12 : 5, i == 0 ? 30 : 12);
      roll_var_p[i] = r.uniform(0, kTwoPi);
    }
    // Breathing: 0.1..0.5 Hz, frequency-modulated by +-12 % over about a minute.
    const double f0 = r.uniform(0.1, 0.5), fm = r.uniform(0.01, 0.03);
    breath_w0 = kTwoPi * f0;
    breath_wm = kTwoPi * fm;
    breath_beta = 0.12 * f0 / fm;
    breath_phase = r.uniform(0, kTwoPi);
    breath_amp = r.uniform(0.005, 0.08);
    const double sway = r.uniform(1, 3), angle = kPi / 2 + r.uniform(-0.5, 0.5);
    sway_x_mm = sway * std::cos(angle);
    sway_y_mm = sway * std::sin(angle);
    // Tremor: three components within +-12 % of a centre frequency (4..14 Hz), each
    // amplitude-modulated at 0.05..0.3 Hz, normalised so that tremor() has unit rms: a tremor
    // "amplitude a" is an rms of a x the load.
    double norm = 0;
    trem_peak = 0;
    trem_person_hz = r.uniform(kTremorBandLow_hz, kTremorBandHigh_hz);
    for (int i = 0; i < kTremorParts; ++i) {
      trem_rel[i] = r.uniform(-0.12, 0.12);
      trem_phase[i] = r.uniform(0, kTwoPi);
      trem_amp[i] = r.uniform(0.5, 1.0);
      trem_mod_w[i] = kTwoPi * r.uniform(0.05, 0.3);
      trem_mod_p[i] = r.uniform(0, kTwoPi);
      trem_mod_depth[i] = r.uniform(0.1, 0.3);
      norm += trem_amp[i] * trem_amp[i];
    }
    // sum of amp^2 / 2 = 1 (the modulation averages out): tremor() has unit rms.
    norm = std::sqrt(norm / 2);
    for (int i = 0; i < kTremorParts; ++i) {
      trem_amp[i] /= norm;
      trem_peak += trem_amp[i] * (1 + trem_mod_depth[i]);
    }
    // Force-fluctuation floor 0.04..0.2 % of the load over 4-14 Hz (log-uniform), white.
    fluct_band_frac = std::exp(r.uniform(std::log(0.0004), std::log(0.002)));
    fluct_sample_sd =
        fluct_band_frac * std::sqrt(0.5 * cfg.rate_hz / (kTremorBandHigh_hz - kTremorBandLow_hz));
    // While rolling: tremor about at the floor.
    trem_base = fluct_band_frac * r.uniform(0.5, 2);
  }

  void drawPlate(Rng& r) {
    const double plate_mass_kg = r.uniform(3.6, 4.4);
    for (int i = 0; i < core::kCellCount; ++i) {
      CellSensor& c = sensors[i];
      c.counts_per_n = kNominalCountsPerN * (1 + r.uniform(-0.03, 0.03));
      const double dead_n =
          plate_mass_kg * kGravity_mps2 / core::kCellCount * r.uniform(0.95, 1.05);
      c.offset_counts = r.uniform(-60000, 60000) + dead_n * c.counts_per_n;
      // Thermal drift: a warm-up toward +-100..350 counts (time constant 7..20 min) plus a slow
      // swing of 30..120 counts (period 4..15 min). Zero at t = 0.
      drift_warm[i] = (r.chance(0.5) ? 1 : -1) * r.uniform(100, 350);
      drift_tau_s[i] = r.uniform(400, 1200);
      drift_amp[i] = r.uniform(30, 120);
      drift_w[i] = kTwoPi / r.uniform(240, 900);
      drift_p[i] = r.uniform(0, kTwoPi);
    }
    if (cfg.person) {
      placePersonSpots(*cfg.person);
      return;
    }
    lines[0].build(-1.0, r);
    lines[1].build(+1.0, r);
    for (int side = 0; side < 2; ++side) {
      const double len = lines[side].length_mm();
      const int n = 2 + static_cast<int>(r.uniform() * 3);  // 2..4 tender spots
      double s = len * r.uniform(0.12, 0.35);
      for (int i = 0; i < n && s <= 0.9 * len; ++i) {
        spots_mm[side].push_back(s);
        s += r.uniform(50, 100);
      }
    }
  }

  // A Person's lines come from their build seed (the same every session), their spots from where
  // those lines cross the spots' y, jittered by the session's own seed.
  void placePersonSpots(const Person& p) {
    Rng build(splitmix64(p.build_seed ^ 0x6275696cull));
    lines[0].build(-1.0, build);
    lines[1].build(+1.0, build);
    Rng jitter(splitmix64(cfg.seed ^ 0x6a697474ull));
    std::array<std::vector<std::pair<double, double>>, 2> placed;  // arc, release factor
    for (const TenderSpot& spot : p.spots) {
      if (spot.side == Side::kNone) continue;
      const int side = sideIndex(spot.side);
      const LinePath& line = lines[side];
      const double s =
          std::clamp(line.arcAtY(spot.y_mm) + jitter.uniform(-p.spot_jitter_mm, p.spot_jitter_mm),
                     0.0, line.length_mm());
      placed[side].emplace_back(s, spot.release_factor);
    }
    for (int side = 0; side < 2; ++side) {
      std::sort(placed[side].begin(), placed[side].end());
      for (const auto& [s, factor] : placed[side]) {
        spots_mm[side].push_back(s);
        spot_release_factor[side].push_back(factor);
      }
    }
  }

  // ---- the plan ----

  double remaining() const { return budget_end_s - plan_t; }

  PlanSegment& add(Phase phase, Side side, double duration_s, double s_mm) {
    PlanSegment seg;
    seg.t0 = plan_t;
    seg.t1 = plan_t + duration_s;
    seg.phase = phase;
    seg.side = phase == Phase::kEmpty ? Side::kNone : side;
    seg.s0_mm = seg.s1_mm = s_mm;
    segs.push_back(seg);
    plan_t = seg.t1;
    return segs.back();
  }

  void addEmptyUntil(double t_end) {
    if (t_end > plan_t) add(Phase::kEmpty, Side::kNone, t_end - plan_t, 0);
  }

  void addRoll(Side side, double s0, double s1, double duration_s) {
    PlanSegment& seg = add(Phase::kRolling, side, duration_s, s0);
    seg.s1_mm = s1;
    seg.warp_c = plan_rng.uniform(0.3, 0.6);
    seg.warp_b = plan_rng.uniform(-0.2, 0.2);
    seg.warp_m = plan_rng.chance(0.5) ? 2 : 3;
    seg.blend_s = plan_rng.uniform(1, 2);
  }

  void addPause(Side side, double s, double duration_s) {
    PlanSegment& seg = add(Phase::kPause, side, duration_s, s);
    seg.blend_s = 1;
  }

  void addMount(Side side, double s, double duration_s) {
    add(Phase::kMounting, side, duration_s, s);
  }

  void addLiftOff(Side side, double s, double duration_s) {
    add(Phase::kLiftOff, side, duration_s, s);
  }

  // Off the plate mid-side for a few seconds, then back on a little up the line.
  // Returns false (and plans nothing) if it does not leave room for another hold.
  bool midSideLiftOff(Side side, double& s) {
    const double lift = plan_rng.uniform(0.5, 1.5), off = plan_rng.uniform(2, 6);
    const double mount = plan_rng.uniform(1.5, 3), back = plan_rng.uniform(0, 20);
    if (remaining() < lift + off + mount + 30) return false;
    addLiftOff(side, s, lift);
    addEmptyUntil(plan_t + off);
    s = std::max(0.0, s - back);
    addMount(side, s, mount);
    return true;
  }

  // Rolls from s toward target in legs, with pauses (and rarely a lift-off) between them.
  // `hold_after_s` > 0 asks to arrive early enough for a hold of that length: the roll hurries
  // (faster, no pauses) if it must. Returns false if the budget ran out on the way.
  bool rollTo(Side side, double& s, double target, double hold_after_s) {
    bool hurry = false;
    double hurry_v = 0;
    if (hold_after_s > 0) {
      const double avail = remaining() - hold_after_s;
      const double need_v = avail > 0 ? (target - s) / avail : 1e9;
      if (need_v > 10 && need_v < 40) {
        hurry = true;
        hurry_v = 1.15 * need_v;
      }
    }
    while (target - s > 0.5) {
      const double rest = target - s;
      double leg = plan_rng.uniform(40, 120);
      if (rest < 1.3 * leg) leg = rest;
      double v = plan_rng.uniform(15, 35);
      if (hurry) v = std::min(45.0, std::max(v, hurry_v));
      double duration = leg / v;
      const double avail = remaining();
      if (avail < 0.25) return false;
      const bool truncated = duration > avail;
      if (truncated) {
        duration = avail;
        leg = v * duration;
      }
      addRoll(side, s, s + leg, duration);
      s += leg;
      if (truncated) return false;
      if (target - s <= 0.5) break;
      const bool lift = plan_rng.chance(0.06);
      const bool pause = plan_rng.chance(0.5);
      const double pause_s = plan_rng.uniform(1, 4);
      if (hurry) continue;
      if (lift && midSideLiftOff(side, s)) continue;
      if (pause && remaining() > pause_s + 1) addPause(side, s, pause_s);
    }
    s = target;
    return true;
  }

  // Plans a hold at arc position s (the caller checked remaining() >= kMinHold_s).
  void planHold(Side side, double s) {
    Rng& r = plan_rng;
    const double room = remaining();
    const Person* person = cfg.person ? &*cfg.person : nullptr;
    bool abandoned = r.chance(person ? person->abandon_probability : 0.25);
    // 8..90 s into the hold, denser early: about 28 % before 20 s, 26 % at 20-40 s. A Person's:
    // log-normal about the session's median for this spot.
    double release_in = kMinReleaseInHold_s +
                        (kMaxReleaseInHold_s - kMinReleaseInHold_s) * std::pow(r.uniform(), 1.5);
    if (person) {
      release_in = std::clamp(person->release_median_s * hold_release_factor *
                                  std::exp(person->release_spread * r.normal()),
                              kMinReleaseInHold_s, kMaxReleaseInHold_s);
    }
    double after =
        r.uniform(kMinAfterRelease_s, std::min(kMaxAfterRelease_s, kMaxHold_s - release_in));
    after = std::max(after, kMinHold_s - release_in);  // an early release: the hold goes on
    double length = abandoned ? kMinHold_s + 70 * std::pow(r.uniform(), 1.3) : release_in + after;
    const double split = r.uniform(0.4, 0.6);
    const double u_release = r.uniform();
    // Fit the budget: keep the drawn length if another roll + hold still fits after it; in a
    // short session share what is left between two holds; otherwise use up what is left.
    if (length > room - 25) {
      if (room >= 48 && room < 150) length = std::min(length, std::max(kMinHold_s, split * room));
      length = std::min(length, room);
    }
    if (!abandoned) {
      if (length < kMinReleaseInHold_s + kMinAfterRelease_s) {
        abandoned = true;
      } else if (std::abs(release_in + after - length) > 1e-9) {
        const double lo = std::max(kMinReleaseInHold_s, length - kMaxAfterRelease_s);
        const double hi = std::min(kMaxReleaseInHold_s, length - kMinAfterRelease_s);
        release_in = lo + (hi - lo) * u_release;
      }
    }

    // The hold's shape and the effect sizes of its release. Deliberately wider than what the
    // analysis assumes (docs/ANALYSIS.md, "Validation"): settling from none to 30 % with tau
    // 0.3..15 s; load-ups from none (15 %) through 1..15 %; a tremor change from none (15 %)
    // through x0.3..x1.1 (a little more tremor after the release happens too); tremor at
    // 4..14 Hz from a fifth of the force-fluctuation floor to 8 times it.
    HoldPlan h;
    h.settle = r.uniform(0.0, 0.30);
    h.tau_s = std::exp(r.uniform(std::log(0.3), std::log(15.0)));
    const double press_s = r.uniform(0.5, 1.5);
    const bool no_step = r.chance(0.15);
    const double step = r.uniform(0.01, 0.15);
    h.step = no_step ? 0.0 : step;
    h.ramp_s = r.uniform(1, 4);
    const bool no_tremor_change = r.chance(0.15);
    const double tremor_ratio = r.uniform(0.3, 1.1);
    const double snr = std::exp(r.uniform(std::log(0.2), std::log(8.0)));
    h.tremor_hz = r.uniform(kTremorBandLow_hz, kTremorBandHigh_hz);
    h.tremor_pre = snr * fluct_band_frac;
    h.tremor_post = h.tremor_pre * (no_tremor_change ? 1.0 : tremor_ratio);
    // Level: 20..55 % of body weight (mean ~33 %), lowered if the transient, the load-up,
    // breathing and tremor together would push the instantaneous load past kMaxLoadFraction.
    const double level_z = r.normal();
    const double level_frac =
        person ? std::clamp(person->hold_load_fraction + 0.04 * level_z, 0.15, 0.55)
               : std::clamp(0.33 + 0.07 * level_z, 0.20, 0.55);
    const double settle_left = h.settle * std::exp(-kMinReleaseInHold_s / h.tau_s);
    const double peak =
        std::max(1 + h.settle, 1 + h.step + settle_left) *
        (1 + breath_amp + std::max(h.tremor_pre, h.tremor_post) * trem_peak + 5 * fluct_sample_sd);
    h.level_n = std::min(level_frac, kMaxLoadFraction / peak) * bw_n;
    h.released = !abandoned;
    h.release_t_s = plan_t + release_in;
    if (!h.released) {  // nothing happens in an abandoned hold
      h.step = 0;
      h.tremor_post = h.tremor_pre;
    }

    ++block_holds;
    TruthHold th;
    th.start_s = plan_t;
    th.end_s = plan_t + length;
    if (h.released) th.release_s = h.release_t_s;
    th.side = side;
    lines[sideIndex(side)].at(s, th.x_mm, th.y_mm);
    th.level_n = h.level_n;
    if (h.released) th.release_in_s = release_in;
    th.load_up_fraction = h.step;
    th.tremor_ratio = h.tremor_post / h.tremor_pre;
    th.tremor_hz = h.tremor_hz;
    th.tremor_snr = snr;
    th.tremor_fraction = h.tremor_pre;
    th.fluctuation_fraction = fluct_band_frac;
    if (record_truth) truth.holds.push_back(th);

    PlanSegment& seg = add(Phase::kHold, side, length, s);
    seg.blend_s = press_s;
    seg.hold = static_cast<int>(holds.size());
    holds.push_back(h);
  }

  // One pass along one side's line: mount near the top, roll down, hold at tender spots.
  void visitSide(Side side, double mount_s, double hold_deadline_s) {
    const std::vector<double>& spots = spots_mm[sideIndex(side)];
    const double line_end = lines[sideIndex(side)].length_mm() - plan_rng.uniform(0, 10);
    double s = plan_rng.uniform(0, 15);
    addMount(side, s, mount_s);
    for (size_t next = 0; next < spots.size(); ++next) {
      if (spots[next] <= s + 5) continue;
      const bool want_hold =
          plan_t < hold_deadline_s && (block_holds == 0 || plan_rng.chance(0.85));
      if (!rollTo(side, s, spots[next], want_hold ? kMinHold_s + 0.5 : 0)) return;
      if (!want_hold || remaining() < kMinHold_s) continue;
      const std::vector<double>& factors = spot_release_factor[sideIndex(side)];
      hold_release_factor = next < factors.size() ? factors[next] : 1.0;
      planHold(side, s);
      const bool abandoned = !holds.back().released;
      if (plan_rng.chance(abandoned ? 0.3 : 0.1)) midSideLiftOff(side, s);
    }
    if (line_end > s + 5) rollTo(side, s, line_end, 0);
  }

  // Plans [t0, t1) as one session: on, along one side, maybe the other, off. `whole`: the block
  // is the whole session (only then can it be too short for a full plan).
  void buildPlan(double t0, double t1, bool whole) {
    const double duration = t1 - t0;
    Rng& r = plan_rng;
    double empty0 = r.uniform(3, 8), mount = r.uniform(1.5, 3);
    double lift = r.uniform(0.5, 1.5), empty_end = r.uniform(3, 6);
    Side side = r.chance(0.5) ? Side::kLeft : Side::kRight;
    if (cfg.person && cfg.person->first_side != Side::kNone) side = cfg.person->first_side;
    plan_t = t0;
    if (whole && duration < kMinPlannedSession_s) {
      addEmptyUntil(t1);
      return;
    }
    if (whole && duration < kCompressedSession_s) {
      // Just room to get on, roll a little and get off.
      addEmptyUntil(t0 + 0.3 * duration);
      double s = r.uniform(0, 15);
      addMount(side, s, 0.15 * duration);
      const double roll_s = 0.25 * duration;
      addRoll(side, s, s + 15 * roll_s, roll_s);
      addLiftOff(side, s + 15 * roll_s, 0.1 * duration);
      addEmptyUntil(t1);
      return;
    }
    budget_end_s = t1 - lift - empty_end;
    addEmptyUntil(t0 + empty0);
    const double active_start = plan_t;
    // Long sessions give the first side about half the time so both sides get holds.
    const bool share_sides = budget_end_s - active_start >= 240;
    bool first_visit = true;
    int visits = 0;
    while (true) {
      const double deadline = first_visit && share_sides
                                  ? active_start + 0.5 * (budget_end_s - active_start)
                                  : std::numeric_limits<double>::infinity();
      visitSide(side, mount, deadline);
      first_visit = false;
      if (cfg.person && ++visits == 2) break;  // the protocol: each side once
      // Switch sides: off, a pause on the empty plate, on again on the other side.
      const double off_lift = r.uniform(0.5, 1.5), gap = r.uniform(5, 15);
      mount = r.uniform(1.5, 3);
      if (remaining() < off_lift + gap + mount + 30) break;
      addLiftOff(side, currentArc(), off_lift);
      addEmptyUntil(plan_t + gap);
      side = otherSide(side);
    }
    addLiftOff(side, currentArc(), lift);
    addEmptyUntil(t1);
  }

  double currentArc() const { return segs.empty() ? 0 : segs.back().s1_mm; }

  // Base-load continuity within the block from segs[first] on (a block starts on an empty
  // plate), truth segments.
  void finishPlan(size_t first) {
    for (size_t i = first + 1; i < segs.size(); ++i) {
      segs[i].f_start_n = baseLoad(segs[i - 1], segs[i - 1].t1);
    }
    if (!record_truth) return;
    for (size_t i = first; i < segs.size(); ++i) {
      const PlanSegment& s = segs[i];
      if (!truth.segments.empty() && truth.segments.back().phase == s.phase &&
          truth.segments.back().side == s.side) {
        truth.segments.back().end_s = s.t1;
      } else {
        truth.segments.push_back({s.t0, s.t1, s.phase, s.side});
      }
    }
  }

  // ---- evaluation ----

  double rollingLoad(double t) const {
    return bw_n * roll_frac *
           (1 + roll_var_a[0] * std::sin(roll_var_w[0] * t + roll_var_p[0]) +
            roll_var_a[1] * std::sin(roll_var_w[1] * t + roll_var_p[1]));
  }

  // The smooth part of the total load (no breathing, no tremor), N.
  double baseLoad(const PlanSegment& seg, double t) const {
    const double tau = t - seg.t0;
    const double u = seg.t1 > seg.t0 ? (t - seg.t0) / (seg.t1 - seg.t0) : 1.0;
    switch (seg.phase) {
      case Phase::kEmpty:
        return 0;
      case Phase::kMounting:
        return rollingLoad(t) * smoothstep(u);
      case Phase::kLiftOff:
        return seg.f_start_n * (1 - smoothstep(u));
      case Phase::kRolling:
      case Phase::kPause: {
        const double own = rollingLoad(t);
        const double own0 = rollingLoad(seg.t0);
        return own + (seg.f_start_n - own0) * (1 - smoothstep(tau / seg.blend_s));
      }
      case Phase::kHold: {
        const HoldPlan& h = holds[seg.hold];
        double own = h.level_n * (1 + h.settle * std::exp(-tau / h.tau_s));
        if (h.released && t > h.release_t_s)
          own += h.level_n * h.step * smoothstep((t - h.release_t_s) / h.ramp_s);
        const double own0 = h.level_n * (1 + h.settle);
        return own + (seg.f_start_n - own0) * (1 - smoothstep(tau / seg.blend_s));
      }
    }
    return 0;
  }

  double tremorTarget(const PlanSegment& seg, double t) const {
    if (seg.phase == Phase::kEmpty) return 0;
    if (seg.phase != Phase::kHold) return trem_base;
    const HoldPlan& h = holds[seg.hold];
    if (!h.released || t <= h.release_t_s) return h.tremor_pre;
    const double f = smoothstep((t - h.release_t_s) / h.ramp_s);
    return h.tremor_pre + (h.tremor_post - h.tremor_pre) * f;
  }

  void basePosition(const PlanSegment& seg, double t, double& x, double& y) const {
    if (seg.phase == Phase::kEmpty) {
      x = y = 0;
      return;
    }
    double s = seg.s0_mm;
    if (seg.phase == Phase::kRolling) {
      const double u = std::clamp((t - seg.t0) / (seg.t1 - seg.t0), 0.0, 1.0);
      const double a = kTwoPi * u, m = seg.warp_m;
      const double g =
          u - seg.warp_c * std::sin(a) / kTwoPi + seg.warp_b * std::sin(m * a) / (kTwoPi * m);
      s = seg.s0_mm + (seg.s1_mm - seg.s0_mm) * g;
    }
    lines[sideIndex(seg.side)].at(s, x, y);
  }

  // The ball's slow wander about where the plan puts it: a critically damped spring driven by
  // noise (a random walk with a restoring force, but smooth). Wide and slow at a spot, narrow
  // during a pause, no drive while moving (any offset settles within about a second).
  void stepWander(Phase phase) {
    double k, c, sigma;  // stiffness 1/s^2, damping 1/s, drive mm/s^1.5
    switch (phase) {
      case Phase::kHold:  // natural frequency 0.05 Hz, stationary sd ~1.3 mm per axis
        k = 0.0987, c = 0.628, sigma = 0.46;
        break;
      case Phase::kPause:  // 0.15 Hz, sd ~0.5 mm
        k = 0.888, c = 1.885, sigma = 0.9;
        break;
      case Phase::kEmpty:
        wander_x = wander_y = wander_vx = wander_vy = 0;
        return;
      default:
        k = 9.87, c = 6.28, sigma = 0;
        break;
    }
    const double drive = sigma * std::sqrt(dt_s);
    const double nx = sigma > 0 ? motion_rng.normal() : 0.0;
    const double ny = sigma > 0 ? motion_rng.normal() : 0.0;
    wander_vx += (-k * wander_x - c * wander_vx) * dt_s + drive * nx;
    wander_vy += (-k * wander_y - c * wander_vy) * dt_s + drive * ny;
    wander_x += wander_vx * dt_s;
    wander_y += wander_vy * dt_s;
    constexpr double kMaxWander_mm = 5;
    const double r = std::hypot(wander_x, wander_y);
    if (r > kMaxWander_mm) {  // rare: stop at the edge, keep only the inward velocity
      const double ux = wander_x / r, uy = wander_y / r;
      wander_x = ux * kMaxWander_mm;
      wander_y = uy * kMaxWander_mm;
      const double out = wander_vx * ux + wander_vy * uy;
      if (out > 0) {
        wander_vx -= out * ux;
        wander_vy -= out * uy;
      }
    }
  }

  double breathing(double t) const {
    return std::sin(breath_w0 * t + breath_beta * std::sin(breath_wm * t) + breath_phase);
  }

  // Unit-rms tremor at sample time t; advances the component phases by one sample at centre_hz.
  double stepTremor(double t, double centre_hz) {
    double sum = 0;
    for (int i = 0; i < kTremorParts; ++i) {
      sum += trem_amp[i] * (1 + trem_mod_depth[i] * std::sin(trem_mod_w[i] * t + trem_mod_p[i])) *
             std::sin(trem_phase[i]);
      trem_phase[i] =
          std::fmod(trem_phase[i] + kTwoPi * centre_hz * (1 + trem_rel[i]) * dt_s, kTwoPi);
    }
    return sum;
  }

  double tremorHz(const PlanSegment& seg) const {
    return seg.phase == Phase::kHold ? holds[seg.hold].tremor_hz : trem_person_hz;
  }

  double drift(int cell, double t) const {
    return drift_warm[cell] * (1 - std::exp(-t / drift_tau_s[cell])) +
           drift_amp[cell] *
               (std::sin(drift_w[cell] * t + drift_p[cell]) - std::sin(drift_p[cell]));
  }

  // A scripted calibration mass replaces whatever the plan put on the plate (no randomness is
  // drawn here, so a script never changes the noise or the person).
  void applyScript(double t, ModelSample& out) const {
    for (const ScriptedLoad& l : cfg.calibration_script) {
      const double end = l.start_s + l.duration_s;
      if (t < l.start_s || t >= end) continue;
      const double ramp = std::min(kScriptedLoadRamp_s, 0.5 * l.duration_s);
      const double on = std::min(smoothstep((t - l.start_s) / ramp), smoothstep((end - t) / ramp));
      out.total_force_n = l.mass_kg * kGravity_mps2 * on;
      out.x_mm = l.x_mm;
      out.y_mm = l.y_mm;
      geom.distribute(out.total_force_n, out.x_mm, out.y_mm, out.force_n.data());
      return;
    }
  }

  ModelSample next() {
    ModelSample out;
    const double t = static_cast<double>(sample_index) / cfg.rate_hz;
    ++sample_index;
    out.t_s = t;
    static const PlanSegment kNothing{};  // a zero-length session has no plan: empty plate
    while (true) {
      while (cursor + 1 < segs.size() && t >= segs[cursor].t1) ++cursor;
      if (segs.empty() || t < segs.back().t1 || next_block >= block_count) break;
      planBlock(next_block++, false);  // past everything planned: the next block replaces it
    }
    const PlanSegment& seg = segs.empty() ? kNothing : segs[cursor];
    out.phase = seg.phase;
    out.side = seg.side;

    stepWander(seg.phase);
    tremor_level += (tremorTarget(seg, t) - tremor_level) * tremor_alpha;
    const double tremor = stepTremor(t, tremorHz(seg));
    if (seg.phase != Phase::kEmpty) {
      const double b = breathing(t);
      const double fluct = fluct_sample_sd * motion_rng.normal();
      const double load = baseLoad(seg, t) * (1 + breath_amp * b + tremor_level * tremor + fluct);
      out.total_force_n = std::max(0.0, load);
      double x, y;
      basePosition(seg, t, x, y);
      out.x_mm = x + wander_x + sway_x_mm * b;
      out.y_mm = y + wander_y + sway_y_mm * b;
      geom.distribute(out.total_force_n, out.x_mm, out.y_mm, out.force_n.data());
    }
    applyScript(t, out);

    for (int i = 0; i < core::kCellCount; ++i) {
      double counts = sensors[i].offset_counts + sensors[i].counts_per_n * out.force_n[i];
      if (cfg.drift) counts += drift(i, t);
      if (cfg.sensor_noise) counts += kSensorNoise_counts * noise_rng.normal();
      counts = std::nearbyint(counts);
      // quantise: the HX711's 24-bit range (saturation). Without it the value is still an
      // integer (raw_counts is int32); only clamped to int32 so the conversion is defined.
      if (cfg.quantise) {
        counts = std::clamp(counts, kCountsMin, kCountsMax);
      } else {
        counts = std::clamp(counts, static_cast<double>(std::numeric_limits<int32_t>::min()),
                            static_cast<double>(std::numeric_limits<int32_t>::max()));
      }
      out.raw_counts[i] = static_cast<int32_t>(counts);
    }
    return out;
  }
};

// [SECTION] BodyModel

BodyModel::BodyModel(const BodyModelConfig& config, const core::PlateGeometry& geometry)
    : m_impl(std::make_unique<Impl>(config, geometry)) {}
BodyModel::~BodyModel() = default;
BodyModel::BodyModel(BodyModel&&) noexcept = default;
BodyModel& BodyModel::operator=(BodyModel&&) noexcept = default;

ModelSample BodyModel::next() {
  return m_impl->next();
}
const Truth& BodyModel::truth() const {
  return m_impl->truth;
}
const std::array<CellSensor, core::kCellCount>& BodyModel::sensors() const {
  return m_impl->sensors;
}
const BodyModelConfig& BodyModel::config() const {
  return m_impl->cfg;
}
const core::PlateGeometry& BodyModel::geometry() const {
  return m_impl->geom;
}
size_t BodyModel::plannedSegments() const {
  return m_impl->segs.size();
}

// [SECTION] Names and JSON

const char* phaseName(Phase p) {
  switch (p) {
    case Phase::kEmpty:
      return "empty";
    case Phase::kMounting:
      return "mounting";
    case Phase::kRolling:
      return "rolling";
    case Phase::kPause:
      return "pause";
    case Phase::kHold:
      return "hold";
    case Phase::kLiftOff:
      return "liftoff";
  }
  return "unknown";
}

const char* sideName(Side s) {
  switch (s) {
    case Side::kNone:
      return "none";
    case Side::kLeft:
      return "left";
    case Side::kRight:
      return "right";
  }
  return "unknown";
}

void writeTruthJson(const Truth& truth, std::ostream& out) {
  nlohmann::json holds = nlohmann::json::array();
  for (const TruthHold& h : truth.holds) {
    holds.push_back(
        {{"start_s", h.start_s},
         {"end_s", h.end_s},
         {"release_s", h.release_s ? nlohmann::json(*h.release_s) : nlohmann::json()},
         {"side", sideName(h.side)},
         {"x_mm", h.x_mm},
         {"y_mm", h.y_mm},
         {"level_N", h.level_n},
         {"release_in_s", h.release_in_s ? nlohmann::json(*h.release_in_s) : nlohmann::json()},
         {"load_up_fraction", h.load_up_fraction},
         {"tremor_ratio", h.tremor_ratio},
         {"tremor_hz", h.tremor_hz},
         {"tremor_snr", h.tremor_snr},
         {"tremor_fraction", h.tremor_fraction},
         {"fluctuation_fraction", h.fluctuation_fraction}});
  }
  nlohmann::json segments = nlohmann::json::array();
  for (const TruthSegment& s : truth.segments) {
    segments.push_back({{"start_s", s.start_s},
                        {"end_s", s.end_s},
                        {"phase", phaseName(s.phase)},
                        {"side", sideName(s.side)}});
  }
  nlohmann::json j;
  j["seed"] = truth.seed;
  j["body_mass_kg"] = truth.body_mass_kg;
  j["holds"] = std::move(holds);
  j["segments"] = std::move(segments);
  out << j.dump(2) << '\n';
}

}  // namespace rollrig::sim

// Body model: a seeded, deterministic simulation of one person's ball-rolling session on the
// plate, producing per-cell loads and the raw HX711 counts the four cells would report, plus the
// ground truth (holds, releases, sides) used to validate the analysis.
//
// What it models (numbers and their sources in docs/ANALYSIS.md):
//   - empty plate, mounting the ball, slow rolling (1-5 cm/s) along the hip-flexor line of one
//     side, short pauses while rolling (< 5 s, not holds), holds of 20-100 s at tender spots,
//     holds abandoned without a release, lift-offs, switching sides;
//   - hold load 20-55 % of body weight with a settling transient F_inf + A*exp(-t/tau),
//     A 0-30 %, tau 0.3-15 s; breathing 0.1-0.5 Hz at 0.5-8 % of the load; a white
//     force-fluctuation floor of 0.04-0.2 % of the load over 4-14 Hz (real plates show
//     0.05-0.18 % in 6-12 Hz); tremor/guarding at 4-14 Hz from a fifth of that floor to 8 times
//     it;
//   - releases 8-90 s into a hold. The effect sizes are drawn wide on purpose, so that the
//     analysis is not tuned to the model by construction: the user sinks in by a load-up of
//     0 (15 % of releases) or 1-15 % over 1-4 s, and the tremor changes by x1 (15 %) or
//     x0.3-1.1. Each hold's draws are in its TruthHold.
//   - the plate: ball position -> per-cell forces by statics (PlateGeometry::distribute), plate
//     dead weight on every cell, per-cell gain and offset, HX711 noise, slow drift, 24-bit
//     quantisation and clipping.
//
// Time: sample k is at t_s = k / rate_hz. No clocks, no I/O; the same seed and config always give
// the same samples. Not thread-safe; one owner.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <vector>

#include "rollrig/core/plate_geometry.h"

namespace rollrig::sim {

enum class Phase {
  kEmpty,     // nothing on the plate
  kMounting,  // getting onto the ball: load ramps up
  kRolling,   // ball moving along the line
  kPause,     // brief stop while rolling (not a hold)
  kHold,      // sustained pressure on a tender spot
  kLiftOff,   // load ramps down / off the plate (incl. switching sides)
};
enum class Side { kNone, kLeft, kRight };

const char* phaseName(Phase p);
const char* sideName(Side s);

// A known mass standing still on the plate, for calibration: from start_s for duration_s it is
// lowered on (over the first kScriptedLoadRamp_s), stays, and is lifted off (over the last).
struct ScriptedLoad {
  double start_s = 0;
  double duration_s = 0;
  double mass_kg = 0;
  double x_mm = 0;  // where it stands (plate coordinates)
  double y_mm = 0;
};
inline constexpr double kScriptedLoadRamp_s = 0.5;

// [SECTION] The same person, session after session
//
// By default every seed is a different person: body, hip-flexor lines, tender spots and the way
// their holds go are all drawn from it. A Person keeps who they are fixed across sessions (a
// demo library, sim/demo_library.h) and says what changes from one session to the next (how soon
// the spots release, how often a hold is given up, how hard they press); everything else (the
// rolling, the holds' shapes, breathing, tremor, the sensors) is still drawn from the session's
// seed. Unset in BodyModelConfig (the default) it changes nothing: the same seed gives the same
// samples as it always did.

// A tender spot: a fixed place on the plate, on one side's hip-flexor line.
struct TenderSpot {
  Side side = Side::kRight;
  // How far down the line, as a plate y (mm; the lines run from y ~ +120 to ~ -150); x is where
  // the person's line crosses that y.
  double y_mm = 0;
  // This spot's time to release relative to the session's median (a stubborn spot: > 1).
  double release_factor = 1;
};

struct Person {
  // The person's build: their two hip-flexor lines on the plate (the same every session).
  uint64_t build_seed = 1;
  double body_mass_kg = 72;  // used when BodyModelConfig::body_mass_kg is 0
  // Up to 4 per side; a side without spots is rolled but not held. Held in the order the ball
  // reaches them, each with the model's usual chance (85 %, the first hold of a session always).
  std::vector<TenderSpot> spots;
  // Where the ball comes to rest on a spot this session: +- this along the line (mm), drawn from
  // the session's seed (the ball's wander during a hold, ~1.3 mm rms, comes on top).
  double spot_jitter_mm = 3;
  // The protocol's order: this side, then the other, each once (the plan ends after the second).
  Side first_side = Side::kRight;
  // This session: a released hold's time from its start to the release is
  // release_median_s x the spot's factor x a log-normal scatter of sd release_spread, kept
  // within the model's 8-90 s.
  double release_median_s = 60;
  double release_spread = 0.3;
  double abandon_probability = 0.25;  // a hold ends without a release (the model's default)
  double hold_load_fraction = 0.33;   // mean hold load, x body weight (sd 0.04 hold to hold)
};

struct BodyModelConfig {
  uint64_t seed = 1;
  // Length of the planned session. The plan fills it and ends with a lift-off and an empty plate;
  // next() keeps producing (empty-plate) samples beyond it. Up to an hour the session is planned
  // in one piece; a longer one in half-hour blocks, each a session of its own (on the plate, one
  // or both sides, off), planned when the samples reach it: memory and construction time do not
  // grow with the duration (1e12 s is fine).
  double duration_s = 120;
  // How much of a long session is planned at construction and kept in the truth: the blocks that
  // start before this time. Samples never depend on it (a block's plan depends only on the seed,
  // the duration and its index); only truth() and memory do.
  double plan_ahead_s = 24 * 3600.0;
  double rate_hz = 80.0;
  double body_mass_kg = 0;   // 0: drawn from the seed, 55..110 kg
  bool sensor_noise = true;  // HX711 input noise (~0.02 N rms per cell at the default gain)
  bool drift = true;         // slow per-cell baseline drift (counts), as from temperature
  bool quantise = true;      // round to integer counts and clip to 24 bits
  // Calibration script: while an entry is active the plate carries that mass and nothing else
  // (the planned person is set aside; sensors, drift and noise are as always, and the truth is
  // unchanged). Use with a short duration_s (< 10 s plans an empty plate) for a calibration run.
  // Empty (the default): no effect.
  std::vector<ScriptedLoad> calibration_script;
  // The same person every session (see Person). Unset (the default): drawn from the seed.
  std::optional<Person> person;
};

// Per-cell transfer: raw_counts = offset_counts + counts_per_n * force_n (+ drift + noise).
// offset_counts already includes the plate's dead weight, so these are the rig's exact
// calibration for ball load (the "nominal calibration" of the virtual rig).
struct CellSensor {
  double offset_counts = 0;
  double counts_per_n = 0;
};

struct ModelSample {
  double t_s = 0;
  std::array<double, core::kCellCount> force_n{};      // true per-cell ball load (no drift/noise)
  std::array<int32_t, core::kCellCount> raw_counts{};  // what the HX711s report
  double total_force_n = 0;                            // sum of force_n
  double x_mm = 0;                                     // ball position (CoP), meaningful when
  double y_mm = 0;                                     //   total_force_n is not tiny
  Phase phase = Phase::kEmpty;
  Side side = Side::kNone;
};

struct TruthHold {
  double start_s = 0;               // ball became still at the spot
  double end_s = 0;                 // ball moved on / load left
  std::optional<double> release_s;  // when the trigger point released; none if abandoned
  Side side = Side::kNone;
  double x_mm = 0;  // spot centre
  double y_mm = 0;
  double level_n = 0;  // settled hold load before any release
  // What the release changes, as drawn (the evaluation bins its hit rate by these; see
  // docs/ANALYSIS.md). An abandoned hold has no release: load-up 0 and tremor ratio 1.
  std::optional<double> release_in_s;  // release_s - start_s (8..90 s)
  double load_up_fraction = 0;         // load-up at the release, fraction of level_n (0..0.15)
  double tremor_ratio = 1;             // tremor rms after / before the release (0.3..1.1)
  double tremor_hz = 0;                // centre frequency of the hold's tremor (4..14 Hz)
  // Tremor rms before the release over the force-fluctuation floor's rms, both in 4-14 Hz:
  // below 1 the tremor is under the noise (0.2..8).
  double tremor_snr = 0;
  double tremor_fraction = 0;       // tremor rms before the release, fraction of the load
  double fluctuation_fraction = 0;  // the floor's 4-14 Hz rms, fraction of the load
};

struct TruthSegment {
  double start_s = 0;
  double end_s = 0;
  Phase phase = Phase::kEmpty;
  Side side = Side::kNone;
};

struct Truth {
  uint64_t seed = 0;
  double body_mass_kg = 0;
  std::vector<TruthHold> holds;  // in time order; as segments, up to plan_ahead_s
  // The plan, contiguous from 0 to duration, or for a session longer than plan_ahead_s to the end
  // of the last block planned at construction (the truth never grows after construction).
  std::vector<TruthSegment> segments;
};

class BodyModel {
 public:
  explicit BodyModel(const BodyModelConfig& config, const core::PlateGeometry& geometry = {});
  ~BodyModel();
  BodyModel(BodyModel&&) noexcept;
  BodyModel& operator=(BodyModel&&) noexcept;

  // The next sample (k = 0, 1, 2, ...).
  ModelSample next();

  const Truth& truth() const;
  const std::array<CellSensor, core::kCellCount>& sensors() const;
  const BodyModelConfig& config() const;
  const core::PlateGeometry& geometry() const;
  // Plan segments held in memory now (for tests and benchmarks: bounded by plan_ahead_s and the
  // block length, never by the duration).
  size_t plannedSegments() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Writes the truth as one JSON object:
// {"seed":..,"body_mass_kg":..,"holds":[{"start_s","end_s","release_s"|null,"side","x_mm","y_mm",
//  "level_N","release_in_s"|null,"load_up_fraction","tremor_ratio","tremor_hz","tremor_snr",
//  "tremor_fraction","fluctuation_fraction"}],"segments":[{"start_s","end_s","phase","side"}]}
void writeTruthJson(const Truth& truth, std::ostream& out);

}  // namespace rollrig::sim

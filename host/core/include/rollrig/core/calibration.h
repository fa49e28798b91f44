// Calibration math: tare (per-cell offsets from an unloaded window), span (per-cell gains by least
// squares from a known mass at known positions) and drift tracking (automatic re-zero while the
// plate is unloaded and steady). Also: reading raw counts back from a session CSV, so a recording
// can be used to calibrate or be re-processed.
//
// Navigate by the [SECTION] markers: Windows, Errors, Tare, Span, Records, Drift, Raw counts CSV.
//
// Pure: samples in, numbers and verdicts out. No I/O, no clocks (time comes from Sample::t_us;
// the caller stamps Calibration::created). Eigen is used inside calibration.cpp only. Every
// function is reentrant; DriftTracker has one owner.
//
// Units: counts are raw HX711 counts; gains are N per count (Calibration's n_per_count); forces
// N; positions mm in plate coordinates (plate_geometry.h); masses kg; times s unless named _us.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/core/force_model.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/core/session_csv_reader.h"

namespace rollrig::core {

// Standard gravity: a known mass in kg becomes a known weight in N.
inline constexpr double kStandardGravity_mps2 = 9.80665;

// [SECTION] Windows

// Per-cell statistics of a window of samples (a tare, one placement of the span mass).
struct WindowStats {
  size_t samples = 0;
  double duration_s = 0;  // device time from the first to the last sample
  std::array<double, kCellCount> mean_counts{};
  std::array<double, kCellCount> sd_counts{};  // about the mean
  // About the least-squares line through the window: the fluctuation left once a steady trend
  // is removed (noise, wobble, breathing). Equal to sd_counts for a window with no trend.
  std::array<double, kCellCount> residual_sd_counts{};
  std::array<double, kCellCount> slope_counts_per_s{};  // least-squares trend
  std::array<bool, kCellCount> saturated{};             // some sample sat at the 24-bit limit
  uint8_t flags = 0;                                    // OR of the samples' proto::SampleFlag bits
};

WindowStats windowStats(const std::vector<Sample>& window);

// What "steady" means for a window: thresholds in N, converted to counts with each cell's gain.
struct SteadinessLimits {
  size_t min_samples = 40;         // 0.5 s at 80 SPS
  double max_noise_n = 0.5;        // per-cell rms fluctuation about the trend
  double max_slope_n_per_s = 0.1;  // per-cell trend (0.3 N over a 3 s window)
};

// [SECTION] Errors

enum class CalibrationErrorKind {
  kNone = 0,
  kTooFewSamples,     // the window is too short to judge
  kBadSamples,        // a cell saturated, or an HX711 timed out or was settling, in the window
  kUnsteady,          // the reading fluctuates: someone is leaning on or touching the plate
  kDrifting,          // the reading moves steadily: still settling after a load came off
  kLoaded,            // clearly more load than at the reference tare: something is on the plate
  kBadInput,          // a mass <= 0, a placement outside the cells' footprint or without load
  kTooFewPlacements,  // fewer than kMinSpanPlacements
  kIllPosed,          // placements on one line, rank-deficient or ill-conditioned system
  kImplausibleGain,   // a gain came out negative or far from nominal
};

const char* calibrationErrorKindName(CalibrationErrorKind kind);

// A refused tare or span. `message` is a complete, user-facing sentence: which cell or placement,
// what was seen, what to do.
struct CalibrationError {
  CalibrationErrorKind kind = CalibrationErrorKind::kNone;
  std::string message;
  int cell = -1;       // the cell concerned, when one is
  int placement = -1;  // the placement concerned (0-based), when one is

  explicit operator bool() const { return kind != CalibrationErrorKind::kNone; }
};

// Checks that a window is steady enough to average: enough samples, no saturation or timeouts,
// fluctuation and trend within `limits` (converted to counts with `gains`' n_per_count).
// `what` names the window in messages, e.g. "the tare window" or "placement 2"; `mass_on_plate`
// picks the advice (an unloaded plate: someone is leaning on it; a placement: the mass is moving).
CalibrationError checkSteady(const WindowStats& w, const Calibration& gains,
                             const SteadinessLimits& limits, const std::string& what,
                             bool mass_on_plate = false);

// [SECTION] Tare

struct TareOptions {
  SteadinessLimits steady;
  // When set, the window is also compared with `current`'s offsets: a total above max_load_n is
  // refused as "something on the plate". Only meaningful when `current` came from a real tare of
  // this rig; without it a steady static load cannot be told from the plate's own weight.
  bool check_load = false;
  double max_load_n = 10.0;
};

struct TareResult {
  CalibrationError error;                          // kind kNone: accepted
  std::array<double, kCellCount> offset_counts{};  // per-cell mean counts (set when accepted)
  WindowStats stats;

  bool ok() const { return !error; }
};

// Per-cell offsets from a window with the plate unloaded. `current` supplies the gains used to
// express the thresholds in N (the nominal default is fine) and, with check_load, the reference
// offsets.
TareResult tare(const std::vector<Sample>& window, const Calibration& current = {},
                const TareOptions& options = {});

// [SECTION] Span

inline constexpr size_t kMinSpanPlacements = 3;

// One placement of the known mass: where it stood and the per-cell mean counts while it did.
struct SpanPlacement {
  double x_mm = 0;
  double y_mm = 0;
  std::array<double, kCellCount> mean_counts{};
  size_t samples = 0;  // how many samples the means are over (for the record)
};

SpanPlacement makePlacement(double x_mm, double y_mm, const WindowStats& w);

struct SpanOptions {
  double gravity_mps2 = kStandardGravity_mps2;
  // Refuse when the column-scaled system's condition number exceeds this: errors in the counts
  // and positions are amplified up to that many times into the gains. On the reference plate,
  // placements near the corners and the centre give 1.5-2.5, a triangle 4 cm across ~18.
  double max_condition = 20.0;
  // Refuse when the placements spread less than this fraction of the cells' smaller span across
  // their best-fit line. Note that placements on one line still determine the four gains by
  // statics (the system stays well conditioned), but only if the plate is ideal: nothing would
  // check the gains across that line, so such a calibration is refused as ill-posed.
  double min_spread_fraction = 0.1;
  // Refuse a gain outside [min, max] x nominal (or negative): a wiring, mass or position mistake.
  double nominal_n_per_count = 1.0 / kNominalCountsPerNewton;
  double min_gain_ratio = 0.2;
  double max_gain_ratio = 5.0;
  // Refuse a placement whose load (sum of |cell loads| at nominal gain) is below this fraction of
  // the weight: the mass was not on the plate.
  double min_load_fraction = 0.2;
};

// How well a calibration reproduces one placement.
struct PlacementResidual {
  double x_mm = 0, y_mm = 0;          // where the mass stood
  double force_n = 0;                 // total force with the calibrated gains
  double force_error_n = 0;           // force_n - weight
  double force_error_pct = 0;         // 100 * force_error_n / weight
  double cop_x_mm = 0, cop_y_mm = 0;  // centre of pressure with the calibrated gains
  double cop_error_mm = 0;            // distance from (x_mm, y_mm)
};

struct SpanReport {
  double mass_kg = 0;
  double weight_n = 0;
  std::vector<PlacementResidual> placements;
  double rms_force_error_pct = 0, max_force_error_pct = 0;  // max of |error|
  double rms_cop_error_mm = 0, max_cop_error_mm = 0;
  // Conditioning of the least-squares system (columns scaled to unit length): singular values
  // largest first, their ratio, and the numerical rank (of kCellCount).
  std::array<double, kCellCount> singular_values{};
  double condition_number = 0;
  int rank = 0;
  double max_condition = 0;  // the limit applied
  // sqrt of the smallest eigenvalue of the placements' 2x2 position covariance: how far they
  // spread across their best-fit line (0 when all on one line), and the limit applied.
  double spread_mm = 0;
  double min_spread_mm = 0;
};

struct SpanResult {
  CalibrationError error;                        // kind kNone: accepted
  std::array<double, kCellCount> n_per_count{};  // the solved gains (set whenever solved)
  bool solved = false;  // the system was solved (report complete), even if then refused
  SpanReport report;    // conditioning always; residuals when solved

  bool ok() const { return !error; }
};

// Solves for the per-cell gains k_i (N per count) from the known weight W = mass * g at each
// placement p, with d_ip = mean_counts_ip - offset_counts_i:
//   sum_i k_i d_ip = W                                   (force)
//   sum_i k_i d_ip (x_i - cx) / L = W (x_p - cx) / L     (moment about the cells' centroid)
//   sum_i k_i d_ip (y_i - cy) / L = W (y_p - cy) / L
// (L: rms distance of the cells from their centroid, so every row is in N). The 3P x 4 system
// is solved by SVD with columns scaled to unit length. Refuses (error set) when there are fewer
// than kMinSpanPlacements placements, a placement is outside the cells' footprint or shows no
// load, the placements lie on one line, the system is rank-deficient or its condition number
// exceeds max_condition, or a gain is negative or implausible.
SpanResult solveSpan(const std::vector<SpanPlacement>& placements,
                     const std::array<double, kCellCount>& offset_counts, double mass_kg,
                     const PlateGeometry& geometry, const SpanOptions& options = {});

// The residuals of any calibration against placements of a known mass (e.g. to compare an old
// calibration with a new one). Fills the residual fields of the report only.
SpanReport evaluatePlacements(const std::vector<SpanPlacement>& placements,
                              const Calibration& calibration, double mass_kg,
                              const PlateGeometry& geometry,
                              double gravity_mps2 = kStandardGravity_mps2);

// [SECTION] Records

// What a calibration was made from, as stored per device (rollrig::io::CalibrationStore).
struct TareRecord {
  size_t samples = 0;
  double duration_s = 0;
  std::array<double, kCellCount> sd_counts{};
};

struct SpanRecord {
  double mass_kg = 0;
  double gravity_mps2 = kStandardGravity_mps2;
  std::vector<SpanPlacement> placements;
  SpanReport report;
};

struct CalibrationRecord {
  Calibration calibration;  // what ForceModel uses (offsets, gains, source, serial, created)
  PlateGeometry geometry;   // the cell positions it was solved with; use them with it
  std::optional<TareRecord> tare;
  std::optional<SpanRecord> span;  // none for a tare-only calibration
};

// [SECTION] Drift

struct DriftOptions {
  double max_load_n = 2.0;     // |total force| below this counts as unloaded
  double settle_s = 1.0;       // the start of an unloaded stretch is skipped (lift-off, creep)
  double steady_s = 5.0;       // ... then for this long
  double max_sd_n = 0.3;       // ... with the total force's sd below this
  double min_change_n = 0.02;  // re-zero only if some cell's baseline moved at least this much
  double max_gap_s = 0.5;      // a gap in the samples longer than this restarts the window
};

// One automatic re-zero.
struct ReZero {
  uint64_t t_us = 0;   // device time of the sample that completed the steady window
  size_t samples = 0;  // samples averaged
  std::array<double, kCellCount> change_counts{};  // new offset - old offset
  std::array<double, kCellCount> change_n{};       // the same in N, with the cell's gain
};

// Tracks the unloaded baseline and re-zeroes: fed every sample, it watches for windows of
// `steady_s` where the plate is unloaded (|total| < max_load_n with the current calibration) and
// steady (sd of the total < max_sd_n), then moves the offsets to the window's per-cell means and
// records the change. The first settle_s of every unloaded stretch is left out (the tail of a
// lift-off is below max_load_n but not yet zero). Never re-zeroes under load: any loaded,
// saturated or timed-out sample, or a gap, ends the stretch. A light static load below max_load_n
// (a phone on the plate) is indistinguishable from drift and is zeroed away. O(1) per sample
// (running sums); the history grows by one entry per re-zero (at most one per steady_s). One owner,
// not thread-safe.
class DriftTracker {
 public:
  explicit DriftTracker(Calibration calibration, DriftOptions options = {});

  // Returns true when this sample completed a re-zero (calibration() has new offsets).
  bool add(const Sample& s);

  const Calibration& calibration() const { return m_cal; }
  const std::vector<ReZero>& reZeros() const { return m_history; }
  const DriftOptions& options() const { return m_opt; }

 private:
  void beginWindow(const Sample& s);

  Calibration m_cal;
  DriftOptions m_opt;
  std::vector<ReZero> m_history;
  // The current unloaded stretch and the candidate window in it (m_n == 0: not begun).
  bool m_open = false;
  uint64_t m_run_start_us = 0, m_start_us = 0, m_last_us = 0;
  size_t m_n = 0;
  std::array<double, kCellCount> m_first_counts{};  // sums are taken relative to these
  std::array<double, kCellCount> m_sum_counts{};
  double m_mean_n = 0, m_m2_n = 0;  // Welford running mean and sum of squares of the total
};

// [SECTION] Raw counts CSV

// The samples of a session CSV (docs/CSV_FORMAT.md): time_s (>= 0) and cell0..3_raw_counts
// (whole numbers in the HX711's 24-bit range) are required; seq, lost_before, flags and
// fresh_mask are read when present. t_us = time_s in microseconds. The rules for rows that cannot
// be used are the session CSV reader's (session_csv_reader.h), the same as `rollrig analyze`'s:
// such a row is skipped, counted and named in a warning, and is a missing sample in the windows.
struct RawCountsCsv {
  bool ok = false;
  CsvErrorKind error_kind = CsvErrorKind::kNone;
  std::string error;  // "line N: ..." when one line is at fault, when !ok
  size_t error_line = 0;
  std::vector<Sample> samples;
  CsvRowCounts counts;
  std::vector<std::string> warnings;  // the first skipped rows, each naming its line
  size_t warnings_omitted = 0;
};

RawCountsCsv readRawCountsCsv(std::istream& in);

// The samples whose time lies in [t0_s, t1_s] (t = t_us / 1e6).
std::vector<Sample> samplesBetween(const std::vector<Sample>& samples, double t0_s, double t1_s);

}  // namespace rollrig::core

#include "rollrig/core/session_analyzer.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace rollrig::core {

const char* sideName(Side s) {
  switch (s) {
    case Side::kLeft:
      return "left";
    case Side::kRight:
      return "right";
    case Side::kUnknown:
      break;
  }
  return "unknown";
}

const char* sideSourceName(SideSource s) {
  switch (s) {
    case SideSource::kUser:
      return "user";
    case SideSource::kPlateGuess:
      return "plate guess";
    case SideSource::kNone:
      break;
  }
  return "none";
}

namespace {

constexpr double kBucket_s = 0.25;         // release analysis resolution
constexpr double kHistory_s = 40;          // kept for back-dating starts and ends
constexpr double kSpeedStep_s = 0.5;       // rolling speed measured over this
constexpr double kStillSpeedStep_s = 1.0;  // stillness speed over this (less jitter-sensitive)
constexpr double kSwayReturn_s = 2.0;    // a postural sway returns within this (see trackStillness)
constexpr double kMinSmoothSamples = 5;  // CoP smoothing spans at least this many samples
constexpr double kStillSpeed_mm_s = 3;   // slower than this is a pause, not rolling
constexpr double kFitSpan_s = 30;        // the settling fit uses the first 30 s of a hold at most
constexpr double kMinPre_s = 4;          // shortest reference window for an early load-up
constexpr double kPreRiseShare = 0.7;    // see preIsLevel()
// The tremor cue (docs/ANALYSIS.md, "What counts as a release"). Physiological tremor lies at
// 4-12 Hz; above it a standing or pressing person puts next to nothing into the force, so the
// fluctuation at 18-36 Hz is the measurement's own noise (sensor, quantisation, mechanics). That
// floor, scaled to the tremor band by the two filters' noise bandwidths, is what a tremor drop is
// judged against: no fixed share of the load.
constexpr double kTremorLow_hz = 4;  // physiological / postural tremor band
constexpr double kTremorHigh_hz = 12;
constexpr double kFloorLow_hz = 18;         // noise-floor band: above tremor, with a guard for the
constexpr double kFloorHigh_hz = 36;        // filters' skirts, up to 36 Hz ...
constexpr double kBandNyquistShare = 0.45;  // ... and at most 0.45 x the sample rate
constexpr double kMinFloorWidth_hz = 4;     // a floor band narrower than this is not measured
// A drop must clear chance: kTremorZ standard errors of the difference of the two windows' band
// power, the standard error taken from the reference window's own 1 s powers (tremor waxes and
// wanes; that scatter is the hold's own, measured, not assumed).
constexpr double kTremorZ = 3;
// The breathing fit (HoldParams::breath_fit_k): breathing rates searched, 0.1-0.5 Hz, in steps
// finer than an 18 s window resolves (1/18 Hz).
constexpr double kBreathLow_hz = 0.1, kBreathHigh_hz = 0.5, kBreathStep_hz = 0.02;
// A drop of at least a quarter of the tremor rms above the floor (the steadiness indicator's
// literature figure: fluctuation easing by >= ~25 %).
constexpr double kTremorDropRatio = 0.75;
// A tremor drop with no load-up: tremor waxes and wanes over tens of seconds, so the later window
// must be quieter (relative to its load) by the same quarter in rms than the quietest window of
// its length seen earlier in the hold, and the hold must have been measured for kTremorHistory_s
// before the reference window ends (chosen on simulation: shorter histories let waxing and
// waning tremor through as releases).
constexpr double kQuietestShare = kTremorDropRatio * kTremorDropRatio;  // in power
constexpr double kTremorHistory_s = 30;
// Steadiness: the CoP low-pass is designed from the median of the first few steps, and a step
// longer than this many nominal periods (a missing sample or more) breaks the path.
constexpr size_t kCopDesignSteps = 8;
constexpr double kCopBreakPeriods = 2.5;
// The steady part of a hold: its start and end are back-dated to when the ball was within 8 and
// 10 mm of the centre, so the first and last second hold the ball rolling in and out; the
// figures leave them out (measured on the virtual rig: docs/ANALYSIS.md, "Steadiness").
constexpr double kSteadyTrim_s = 1.0;

// RBJ biquads (Butterworth sections) — a few lines, so hand-written rather than a DSP dependency.
struct Biquad {
  double b0 = 0, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
  double z1 = 0, z2 = 0;  // transposed direct form II state (short dependency chain)
  void design(double fs, double f0, bool high) {
    const double w0 = 2 * M_PI * f0 / fs;
    const double alpha = std::sin(w0) / (2 * M_SQRT1_2);  // Q = 1/sqrt(2)
    const double c = std::cos(w0), a0 = 1 + alpha;
    b0 = (high ? (1 + c) : (1 - c)) / 2 / a0;
    b1 = (high ? -(1 + c) : (1 - c)) / a0;
    b2 = b0;
    a1 = -2 * c / a0;
    a2 = (1 - alpha) / a0;
  }
  double step(double x) {
    const double y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return y;
  }
};

// A band-pass: a 4th-order high-pass (two sections: breathing at 0.1-0.5 Hz and a load-up's ramp
// are 80 dB down or more at 4 Hz) and a 2nd-order low-pass.
struct BandPass {
  std::array<Biquad, 3> s;
  bool enabled = false;
  double noise_gain = 0;  // output variance per unit input variance of white noise (sum of h^2)
  void design(double fs, double f_lo, double f_hi) {
    s[0].design(fs, f_lo, true);
    s[1].design(fs, f_lo, true);
    s[2].design(fs, f_hi, false);
    enabled = true;
    // Noise gain from the impulse response (it has decayed long before 20 s).
    BandPass probe = *this;
    noise_gain = 0;
    const int n = static_cast<int>(20 * fs);
    for (int i = 0; i < n; ++i) {
      const double h = probe.step(i == 0 ? 1.0 : 0.0);
      noise_gain += h * h;
    }
  }
  double step(double x) {
    if (!enabled) return 0;
    return s[2].step(s[1].step(s[0].step(x)));
  }
};

// Force only: the smoothed load's "position" is kLogUnits * ln(force), so a distance d is a load
// ratio of exp(d / kLogUnits); 10 units = 1 % (see Geometry).
constexpr double kLogUnits = 1000;

// The stillness and hold radii in the units of the analyser's "position": millimetres of CoP
// with position; kLogUnits * ln(load ratio) force only.
struct Geometry {
  double enter_radius, still_speed, exit_radius, start_radius, start_margin, end_radius;
  static Geometry of(const HoldParams& p, bool force_only) {
    if (!force_only)
      return {p.enter_radius_mm, p.still_speed_mm_s, p.exit_radius_mm, p.start_radius_mm, 2.0,
              p.end_radius_mm};
    auto u = [](double fraction) { return kLogUnits * std::log1p(fraction); };
    return {u(p.force_enter_band), u(p.force_still_rate_per_s), u(p.force_exit_band),
            u(p.force_start_band), u(p.force_start_band) / 4,   u(p.force_end_band)};
  }
};

struct HistEntry {
  double t;
  double force;
  double bp;   // tremor band (4-12 Hz) of the force
  double nb;   // noise-floor band (18-36 Hz) of the force
  bool valid;  // smoothed position valid (loaded, has x/y)
  double x, y;
  // Steadiness (hold_steadiness.h): the CoP low-passed by CopLowPass, valid when loaded with x/y
  // (never force only); joined: continues the filtered stretch of the sample before it.
  bool cop, cop_joined;
  double fx, fy;
};

// A CoP point of the steadiness trace (see HistEntry) and a FIFO of them: a power-of-two ring
// that grows when full, so a steady stream costs a store and a load per point.
struct CopPoint {
  double t, x, y;
  bool joined;
};
class CopRing {
 public:
  bool empty() const { return m_n == 0; }
  const CopPoint& front() const { return m_buf[m_head]; }
  const CopPoint& operator[](size_t i) const { return m_buf[(m_head + i) & (m_buf.size() - 1)]; }
  size_t size() const { return m_n; }
  void pop() {
    m_head = (m_head + 1) & (m_buf.size() - 1);
    --m_n;
  }
  void push(const CopPoint& c) {
    if (m_n == m_buf.size()) {
      std::vector<CopPoint> b(m_buf.size() * 2);
      for (size_t i = 0; i < m_n; ++i) b[i] = (*this)[i];
      m_buf.swap(b);
      m_head = 0;
    }
    m_buf[(m_head + m_n) & (m_buf.size() - 1)] = c;
    ++m_n;
  }
  void clear() { m_head = m_n = 0; }

 private:
  std::vector<CopPoint> m_buf = std::vector<CopPoint>(64);
  size_t m_head = 0, m_n = 0;
};

struct Bucket {
  double t0 = 0;
  double sum = 0, sum2 = 0, bp2 = 0, nb2 = 0, peak = 0;
  int n = 0;
  double mean() const { return n ? sum / n : 0; }
};

// Millimetre-scale distances: no overflow to guard against, so not std::hypot (slow).
double dist(double ax, double ay, double bx, double by) {
  const double dx = ax - bx, dy = ay - by;
  return std::sqrt(dx * dx + dy * dy);
}

}  // namespace

struct SessionAnalyzer::Impl {
  HoldParams p;
  bool force_only = false;
  Geometry g{};
  bool have_last = false;
  bool finished = false;
  double last_t = 0;
  double first_t = 0;
  uint64_t n = 0;
  double dt_sum = 0;  // over regular steps, for the sample rate
  uint64_t dt_n = 0;
  uint64_t gaps = 0;
  BandPass bp;                 // tremor band
  BandPass nb;                 // noise-floor band
  double floor_to_tremor = 0;  // noise-band power -> the same white noise's tremor-band power
  bool bp_designed = false;
  std::vector<double> early_dt;
  double nominal_dt = 0;  // the median of the early steps, s (0 until designFilter())

  // CoP smoothing
  std::deque<std::array<double, 3>> smooth;  // t, x, y
  double sx = 0, sy = 0;

  std::deque<HistEntry> hist;

  // Steadiness: the CoP low-pass over the whole session, and the open hold's figures over its
  // steady part [start + kSteadyTrim_s, end - kSteadyTrim_s] twice. Live (for currentHold(), the
  // end being the latest sample): live_lag holds the hold's points until they are
  // kSteadyTrim_s old. Final: min/max cannot be taken back, so it is only ever fed samples known
  // to lie inside the steady part: entries leaving the history wait in st_pending until they are
  // kSteadyTrim_s older than the oldest entry kept (the end is back-dated no further than that),
  // and the rest up to the end is fed when the hold closes. Memory: fixed, plus kSteadyTrim_s of
  // samples.
  CopLowPass cop_lp;
  double cop_dt = 0;  // the nominal step the low-pass was designed for
  bool cop_prev = false;
  double cop_raw_x = 0, cop_raw_y = 0;
  SteadinessAccumulator st_live, st_final;
  CopRing st_pending, live_lag;

  // stillness tracking
  bool still_cp_valid = false;
  double still_cp_t = 0, still_cp_x = 0, still_cp_y = 0;
  bool anchor_valid = false;
  // A brief excursion inside the dwell (see trackStillness): when it began (-1: none), the time
  // spent in excursions, whether the dwell's one excursion is used, and where the ball rests.
  double sway_since = -1, sway_s = 0;
  bool sway_used = false, rested = false;
  double rest_sum_x = 0, rest_sum_y = 0;
  uint64_t rest_n = 0;
  double ax = 0, ay = 0, still_since = 0;
  double end_radius = 0;  // back-dating radius of the open hold (adapted to its wander)
  // A hold's start is never back-dated before this: the first sample after the last gap longer
  // than max_gap_s, or just after the previous hold's end.
  double min_start_t = -HUGE_VAL;

  // hold state
  bool in_hold = false;
  Hold cur;
  double cx = 0, cy = 0;  // hold centre
  double level_sum = 0;
  uint64_t level_n = 0;
  double out_since = -1, low_since = -1;
  std::vector<Bucket> buckets;
  // release detection
  bool release_found = false;
  double qualify_since = -1;
  double best_step = 0;

  std::vector<Hold> holds;
  std::vector<double> markers;
  std::vector<SideMark> side_marks;

  // summary
  SessionSummary sum;
  std::array<double, 501> speed_hist{};             // 1 mm/s bins, seconds in each
  std::deque<std::array<double, 3>> pending_speed;  // t, dt, speed: not yet committed
  bool cp_valid = false;
  double cp_t = 0, cp_x = 0, cp_y = 0;

  double level() const { return level_n ? level_sum / level_n : 0; }
  double rate() const { return dt_n ? dt_n / dt_sum : 0; }

  void push(const AnalysisSample& s) {
    if (finished) return;
    if (have_last && !(s.t_s > last_t)) return;
    const double dt = have_last ? s.t_s - last_t : 0;
    if (!have_last) first_t = s.t_s;
    const bool gap = have_last && dt > p.max_gap_s;
    if (have_last) {
      const double r = rate();
      if (r > 0 && dt > 3.0 / r) ++gaps;
      // The measured rate averages the regular steps only: a step over 1.5 periods holds a
      // missing sample (a skipped row, a lost frame), which is not a slower device.
      if (!gap && (nominal_dt == 0 || dt <= 1.5 * nominal_dt)) {
        dt_sum += dt;
        ++dt_n;
      }
      if (!bp_designed && early_dt.size() < 64 && !gap) early_dt.push_back(dt);
      if (!cop_lp.designed() && early_dt.size() >= kCopDesignSteps) designCopFilter();
      if (!bp_designed && early_dt.size() == 64) designFilter();
    }
    ++n;

    // Loaded time and side.
    const bool loaded = s.force_n >= p.min_load_n;
    if (have_last && !gap && loaded) {
      sum.loaded_s += dt;
      if (s.has_xy) (s.x_mm < 0 ? sum.loaded_left_s : sum.loaded_right_s) += dt;
    }
    sum.peak_force_n = std::max(sum.peak_force_n, s.force_n);

    // Smoothed position, valid only under load with x/y. Force only: the "position" is the
    // smoothed load on a log scale (see Geometry), valid under load.
    bool valid = false;
    if (gap) clearSmooth();
    if (loaded && (force_only || s.has_xy)) {
      smooth.push_back({s.t_s, force_only ? s.force_n : s.x_mm, force_only ? 0.0 : s.y_mm});
      sx += smooth.back()[1];
      sy += smooth.back()[2];
      // At low sample rates average at least kMinSmoothSamples, so jitter stays small.
      const double window = std::max(force_only ? p.force_smoothing_s : p.smoothing_s,
                                     rate() > 0 ? kMinSmoothSamples / rate() : 0.0);
      while (!smooth.empty() && s.t_s - smooth.front()[0] > window) {
        sx -= smooth.front()[1];
        sy -= smooth.front()[2];
        smooth.pop_front();
      }
      valid = true;
    } else {
      clearSmooth();
    }
    double px = valid ? sx / smooth.size() : 0;
    const double py = valid ? sy / smooth.size() : 0;
    if (valid && force_only) px = kLogUnits * std::log(std::max(px, 1e-9));
    const double bpv = bp.step(s.force_n);
    const double nbv = nb.step(s.force_n);

    HistEntry e{s.t_s, s.force_n, bpv, nbv, valid, px, py, false, false, 0, 0};
    filterCop(s, loaded, have_last ? dt : 0, gap, &e);
    hist.push_back(e);
    while (!hist.empty() && s.t_s - hist.front().t > kHistory_s) {
      const HistEntry& old = hist.front();
      if (in_hold && old.cop && old.t >= cur.start_s + kSteadyTrim_s)
        st_pending.push({old.t, old.fx, old.fy, old.cop_joined});
      hist.pop_front();
    }
    while (!st_pending.empty() && st_pending.front().t <= hist.front().t - kSteadyTrim_s) {
      const CopPoint& c = st_pending.front();
      st_final.add(c.t, c.x, c.y, c.joined);
      st_pending.pop();
    }

    if (gap && in_hold) endHold(last_t, last_t);
    if (gap) min_start_t = s.t_s;
    if (in_hold) {
      updateHold(s, valid, px, py, bpv);
    } else {
      trackStillness(s.t_s, valid, px, py, gap);
    }
    updateSpeed(s.t_s, valid && !in_hold && !force_only, px, py, gap);

    have_last = true;
    last_t = s.t_s;
  }

  void designFilter() {
    std::vector<double> d = early_dt;
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    const double fs = 1.0 / d[d.size() / 2];
    bp_designed = true;
    // From now on the rate leaves out the steps that hold a missing sample; recount the early
    // steps by the same rule (their median is robust to the few that did).
    nominal_dt = d[d.size() / 2];
    dt_sum = 0;
    dt_n = 0;
    for (double step : early_dt) {
      if (step <= 1.5 * nominal_dt) {
        dt_sum += step;
        ++dt_n;
      }
    }
    // The tremor band needs 12 Hz well under Nyquist (fs >= 30 Hz); the noise floor needs at
    // least kMinFloorWidth_hz above 18 Hz (fs >= ~49 Hz). Without a measured floor there is no
    // tremor cue at all: the band's power cannot be told from the sensor's own noise.
    const double floor_hi = std::min(kFloorHigh_hz, kBandNyquistShare * fs);
    if (fs >= 30 && floor_hi - kFloorLow_hz >= kMinFloorWidth_hz) {
      bp.design(fs, kTremorLow_hz, kTremorHigh_hz);
      nb.design(fs, kFloorLow_hz, floor_hi);
      floor_to_tremor = bp.noise_gain / nb.noise_gain;
    }
  }

  // [SECTION] Steadiness (hold_steadiness.h; docs/ANALYSIS.md "Steadiness")
  void designCopFilter() {
    std::vector<double> d(early_dt.begin(), early_dt.begin() + kCopDesignSteps);
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    cop_dt = d[d.size() / 2];
    cop_lp.design(1.0 / cop_dt);
    // Continue the current stretch from the last raw point (the trace so far was unfiltered).
    if (cop_prev) cop_lp.reset(cop_raw_x, cop_raw_y);
  }

  void filterCop(const AnalysisSample& s, bool loaded, double dt, bool gap, HistEntry* e) {
    if (force_only || !loaded || !s.has_xy) {
      cop_prev = false;
      return;
    }
    const bool joined = cop_prev && !gap && (cop_dt == 0 || dt <= kCopBreakPeriods * cop_dt);
    if (!joined) cop_lp.reset(s.x_mm, s.y_mm);
    e->cop = true;
    e->cop_joined = joined;
    cop_lp.step(s.x_mm, s.y_mm, &e->fx, &e->fy);
    cop_prev = true;
    cop_raw_x = s.x_mm;
    cop_raw_y = s.y_mm;
  }

  static void addSteadiness(SteadinessAccumulator& a, const HistEntry& e) {
    if (e.cop) a.add(e.t, e.fx, e.fy, e.cop_joined);
  }

  // The open hold's live figures: e joins the points waiting their kSteadyTrim_s; those old
  // enough are fed.
  void liveSteadiness(const HistEntry& e, double now) {
    if (e.cop && e.t >= cur.start_s + kSteadyTrim_s) live_lag.push({e.t, e.fx, e.fy, e.cop_joined});
    while (!live_lag.empty() && live_lag.front().t <= now - kSteadyTrim_s) {
      const CopPoint& c = live_lag.front();
      st_live.add(c.t, c.x, c.y, c.joined);
      live_lag.pop();
    }
  }

  void finishSteadiness(double end) {
    const double from = cur.start_s + kSteadyTrim_s, to = end - kSteadyTrim_s;
    for (size_t i = 0; i < st_pending.size(); ++i)
      if (st_pending[i].t <= to)
        st_final.add(st_pending[i].t, st_pending[i].x, st_pending[i].y, st_pending[i].joined);
    st_pending.clear();
    for (const HistEntry& e : hist) {
      if (e.t > to) break;
      if (e.t >= from) addSteadiness(st_final, e);
    }
  }

  void clearSmooth() {
    smooth.clear();
    sx = sy = 0;
  }

  // [SECTION] Stillness -> hold start
  void trackStillness(double t, bool valid, double px, double py, bool gap) {
    if (!valid || gap) {
      anchor_valid = false;
      still_cp_valid = false;
      return;
    }
    // Still = near the anchor *and* slow: a creep slower than the radius allows for a whole
    // dwell is still movement (< 1 cm/s over 1 s steps, docs/ANALYSIS.md).
    bool too_fast = false, stepped = false;
    if (!still_cp_valid || t - still_cp_t >= kStillSpeedStep_s) {
      if (still_cp_valid)
        too_fast = dist(px, py, still_cp_x, still_cp_y) / (t - still_cp_t) > g.still_speed;
      stepped = still_cp_valid;
      still_cp_valid = true;
      still_cp_t = t;
      still_cp_x = px;
      still_cp_y = py;
    }
    if (!anchor_valid || dist(px, py, ax, ay) > g.enter_radius) {
      resetAnchor(t, px, py);
      return;
    }
    // One brief excursion per dwell is forgiven: once the ball has rested a whole slow step at the
    // spot, a sway that leaves the spot too fast but comes
    // back within kSwayReturn_s to where the ball had been resting (and is slow again there)
    // pauses the dwell instead of
    // restarting it. A second one, or one that does not come back (a roll on), restarts it; so
    // rolling to and fro over the spot and rolling through a pause are still not holds.
    if (sway_since >= 0) {
      const double rx = rest_sum_x / rest_n, ry = rest_sum_y / rest_n;
      if (stepped && !too_fast && dist(px, py, rx, ry) <= g.start_radius) {
        sway_s += t - sway_since;
        sway_since = -1;
        sway_used = true;
      } else if (t - sway_since > kSwayReturn_s + 2 * kStillSpeedStep_s) {
        resetAnchor(t, px, py);
        return;
      } else {
        return;
      }
    } else if (too_fast) {
      if (sway_used || !rested) {
        resetAnchor(t, px, py);
      } else {
        sway_since = t - kStillSpeedStep_s;
      }
      return;
    }
    if (stepped) rested = true;  // a whole slow step at the spot: the ball is resting there
    rest_sum_x += px;
    rest_sum_y += py;
    ++rest_n;
    if (t - still_since - sway_s >= p.dwell_s) startHold(t);
  }

  void resetAnchor(double t, double px, double py) {
    anchor_valid = true;
    ax = px;
    ay = py;
    still_since = t;
    sway_since = -1;
    sway_s = 0;
    sway_used = false;
    rested = false;
    rest_sum_x = px;
    rest_sum_y = py;
    rest_n = 1;
  }

  void startHold(double t) {
    // Centre: mean position over the dwell.
    double mx = 0, my = 0;
    int k = 0;
    for (auto it = hist.rbegin(); it != hist.rend() && it->t >= still_since; ++it) {
      if (!it->valid) continue;
      mx += it->x;
      my += it->y;
      ++k;
    }
    cx = k ? mx / k : ax;
    cy = k ? my / k : ay;
    // How much the ball wanders at this spot sets the back-dating radii (a restless user moves
    // more than the defaults assume; a still one keeps them).
    double d2 = 0;
    for (auto it = hist.rbegin(); it != hist.rend() && it->t >= still_since; ++it) {
      if (it->valid) d2 += (it->x - cx) * (it->x - cx) + (it->y - cy) * (it->y - cy);
    }
    const double wander = k ? std::sqrt(d2 / k) : 0;
    const double start_radius =
        std::clamp(2 * wander, g.start_radius, g.enter_radius - g.start_margin);
    end_radius = std::clamp(2 * wander, g.end_radius, g.enter_radius);
    // Back-date: from when the anchor was set, walk back while the ball was already at the spot,
    // or forward past the last of the approach. Never back across missing data (the rig saw
    // nothing there) nor into the previous hold.
    size_t i = hist.size();
    while (i > 0 && hist[i - 1].t >= still_since) --i;  // i: first entry at/after still_since
    size_t start = i;
    while (start > 0 && hist[start - 1].t >= min_start_t && hist[start - 1].valid &&
           dist(hist[start - 1].x, hist[start - 1].y, cx, cy) <= start_radius)
      --start;
    if (start == i) {
      while (start + 1 < hist.size() &&
             (!hist[start].valid || dist(hist[start].x, hist[start].y, cx, cy) > start_radius))
        ++start;
    }
    in_hold = true;
    cur = Hold{};
    cur.start_s = hist[start].t;
    dropSpeedsFrom(cur.start_s);
    cur.has_xy = !force_only;
    level_sum = 0;
    level_n = 0;
    out_since = low_since = -1;
    buckets.clear();
    release_found = false;
    qualify_since = -1;
    last_qualified = -1;
    best_step = 0;
    best_ratio = 0;
    last_checked_bucket = 0;
    fit_valid = false;
    fits.clear();
    st_live = {};
    st_final = {};
    st_pending.clear();
    live_lag.clear();
    for (size_t j = start; j < hist.size(); ++j) {
      addToHold(hist[j]);
      liveSteadiness(hist[j], t);
      if (hist[j].t < t) checkRelease(hist[j].t);
    }
  }

  // [SECTION] Inside a hold
  void addToHold(const HistEntry& e) {
    level_sum += e.force;
    ++level_n;
    const double rel = e.t - cur.start_s;
    const size_t k = static_cast<size_t>(std::max(0.0, rel) / kBucket_s);
    while (buckets.size() <= k) {
      Bucket b;
      b.t0 = cur.start_s + buckets.size() * kBucket_s;
      buckets.push_back(b);
    }
    Bucket& b = buckets[k];
    b.sum += e.force;
    b.sum2 += e.force * e.force;
    b.bp2 += e.bp * e.bp;
    b.nb2 += e.nb * e.nb;
    b.peak = std::max(b.peak, e.force);
    ++b.n;
  }

  void updateHold(const AnalysisSample& s, bool valid, double px, double py, double bpv) {
    addToHold(hist.back());
    liveSteadiness(hist.back(), s.t_s);
    (void)bpv;
    // Ball leaving the spot.
    if (valid && dist(px, py, cx, cy) > g.exit_radius) {
      if (out_since < 0) out_since = s.t_s;
    } else {
      out_since = -1;
    }
    // Load falling away (or too small to place the ball at all).
    if (s.force_n < p.load_drop_fraction * level() || !valid) {
      if (low_since < 0) low_since = s.t_s;
    } else {
      low_since = -1;
    }
    checkRelease(s.t_s);
    if (out_since >= 0 && s.t_s - out_since >= p.exit_grace_s) {
      endHold(out_since, s.t_s);
    } else if (low_since >= 0 && s.t_s - low_since >= p.load_drop_grace_s) {
      endHold(low_since, s.t_s);
    }
  }

  // Mean force (and 6-12 Hz RMS) over the buckets wholly inside [a, b].
  double windowMean(double a, double b, double* bp_rms) const {
    double sumf = 0, sbp = 0;
    int cnt = 0;
    const double k0 = std::ceil((a - cur.start_s) / kBucket_s - 1e-9);
    const double k1 = std::floor((b - cur.start_s) / kBucket_s + 1e-9);
    for (long k = std::max(0L, static_cast<long>(k0));
         k < static_cast<long>(k1) && k < static_cast<long>(buckets.size()); ++k) {
      const Bucket& bk = buckets[static_cast<size_t>(k)];
      sumf += bk.sum;
      sbp += bk.bp2;
      cnt += bk.n;
    }
    if (bp_rms) *bp_rms = cnt ? std::sqrt(sbp / cnt) : 0;
    return cnt ? sumf / cnt : 0;
  }

  // [SECTION] Settling
  // The settling transient F_inf + A*exp(-t/tau) (soft tissue under the ball: tau ~0.5-9 s,
  // docs/ANALYSIS.md) fitted to the hold's 0.25 s means up to t1 (at most its first kFitSpan_s;
  // used only for onsets before release_min_s): tau on a log grid, F_inf and A by
  // least squares for each. `ok` only when the data span at least 3 tau (under 5 % of A left), so
  // the transient's end has been seen rather than guessed.
  struct SettlingFit {
    bool ok = false;
    double f_inf = 0, a = 0, tau = 1;
    double settled_t = HUGE_VAL;  // start + 3 tau
    // Mean of the fitted transient A*exp(-t/tau) over [t0, t1] (file time).
    double meanTransient(double start, double t0, double t1) const {
      if (!ok || t1 <= t0) return 0;
      const double u0 = (t0 - start) / tau, u1 = (t1 - start) / tau;
      return a * tau * (std::exp(-u0) - std::exp(-u1)) / (t1 - t0);
    }
  };
  SettlingFit fitSettling(double t1) const {
    SettlingFit f;
    const double span_s = std::min(t1 - cur.start_s, kFitSpan_s);
    const size_t nb =
        std::min(buckets.size(), static_cast<size_t>(std::max(0.0, span_s / kBucket_s)));
    if (nb < static_cast<size_t>(kMinPre_s / kBucket_s)) return f;
    double best_sse = HUGE_VAL;
    for (double tau = 0.3; tau <= 60; tau *= 1.4) {
      double se = 0, sf = 0, see = 0, sef = 0, sff = 0, w = 0;
      const double ratio = std::exp(-kBucket_s / tau);  // e at bucket k+1 over e at bucket k
      double e = std::exp(-0.5 * kBucket_s / tau);
      for (size_t k = 0; k < nb; ++k, e *= ratio) {
        const Bucket& b = buckets[k];
        if (b.n == 0) continue;
        const double y = b.mean();
        se += e;
        sf += y;
        see += e * e;
        sef += e * y;
        sff += y * y;
        w += 1;
      }
      const double det = w * see - se * se;
      if (w < 8 || det <= 1e-12 * w * w) continue;
      const double a = (w * sef - se * sf) / det, c = (sf - a * se) / w;
      const double sse = sff - 2 * c * sf - 2 * a * sef + c * c * w + 2 * c * a * se + a * a * see;
      if (sse < best_sse) {
        best_sse = sse;
        f.f_inf = c;
        f.a = a;
        f.tau = tau;
      }
    }
    f.ok = best_sse < HUGE_VAL && 3 * f.tau < nb * kBucket_s;
    if (f.ok) f.settled_t = cur.start_s + 3 * f.tau;
    return f;
  }

  // The reference window for a load-up starting at `onset`: the usual step_pre_s before it from
  // release_min_s into the hold on; earlier (from release_earliest_s) only once the settling fit
  // says the transient is over, with the window starting there (at least kMinPre_s long). NaN: no
  // test at this onset. Refits the settling (at most once a second of data).
  double preWindowStart(double onset) {
    const double pre1 = onset - p.step_gap_s / 2;
    double pre0 = pre1 - p.step_pre_s;
    fit_in_use = false;
    if (onset - cur.start_s >= p.release_min_s) return pre0 < cur.start_s ? NAN : pre0;
    if (onset - cur.start_s < p.release_earliest_s) return NAN;
    if (!fit_valid || pre1 > fit_t + 1.0 || pre1 < fit_t) {
      // One fit per whole second of data, kept: the end-of-hold pass reuses the live ones.
      const size_t sec = static_cast<size_t>(std::max(0.0, pre1 - cur.start_s));
      if (fits.size() <= sec) fits.resize(sec + 1);
      if (!fits[sec].first) fits[sec] = {true, fitSettling(cur.start_s + sec)};
      fit = fits[sec].second;
      fit_t = pre1;
      fit_valid = true;
    }
    if (!fit.ok) return NAN;
    fit_in_use = true;
    pre0 = std::max(pre0, fit.settled_t);
    return pre1 - pre0 >= kMinPre_s ? pre0 : NAN;
  }

  // The rms of the 1 s means over [a, b] about their least-squares line (N).
  double slowNoise(double a, double b) const {
    const int w = static_cast<int>(1.0 / kBucket_s);
    const long k0 =
        std::max(0L, static_cast<long>(std::ceil((a - cur.start_s) / kBucket_s - 1e-9)));
    const long k1 = std::min(static_cast<long>(buckets.size()),
                             static_cast<long>(std::floor((b - cur.start_s) / kBucket_s + 1e-9)));
    double st = 0, sy = 0, stt = 0, sty = 0, syy = 0, n = 0;
    for (long k = k0; k + w <= k1; k += w) {
      double sum = 0;
      int c = 0;
      for (int j = 0; j < w; ++j) {
        sum += buckets[static_cast<size_t>(k + j)].sum;
        c += buckets[static_cast<size_t>(k + j)].n;
      }
      if (!c) continue;
      const double t = static_cast<double>(k), y = sum / c;
      st += t;
      sy += y;
      stt += t * t;
      sty += t * y;
      syy += y * y;
      n += 1;
    }
    if (n < 3) return 0;
    const double det = n * stt - st * st;
    const double slope = det > 0 ? (n * sty - st * sy) / det : 0;
    const double icpt = (sy - slope * st) / n;
    const double sse = syy - 2 * icpt * sy - 2 * slope * sty + icpt * icpt * n +
                       2 * icpt * slope * st + slope * slope * stt;
    return std::sqrt(std::max(0.0, sse) / (n - 2));
  }

  // A real load-up rises out of a level stretch: if the reference window itself already climbs
  // by most of the step, the rise happened earlier (e.g. before release_min_s) and this is its
  // tail, not a release.
  // A load-up with breathing taken out: the 1 s means over [pre0, pre1] and [post0, post1] fitted
  // as a level, a step between the windows and one sinusoid at the breathing rate (0.1-0.5 Hz, the
  // best of a grid). Returns the step (share of the level) and the rms of the fit's residuals
  // (share of the level) in *resid; NaN when there is too little data.
  double breathFreeStep(double pre0, double pre1, double post0, double post1, double m_pre,
                        double* resid) const {
    const int w = static_cast<int>(1.0 / kBucket_s);
    double ts[64], ys[64], hs[64];
    int n = 0;
    auto collect = [&](double a, double b, double h) {
      const long k0 =
          std::max(0L, static_cast<long>(std::ceil((a - cur.start_s) / kBucket_s - 1e-9)));
      const long k1 = std::min(static_cast<long>(buckets.size()),
                               static_cast<long>(std::floor((b - cur.start_s) / kBucket_s + 1e-9)));
      for (long k = k0; k + w <= k1 && n < 64; k += w) {
        double sum = 0;
        int c = 0;
        for (int j = 0; j < w; ++j) {
          sum += buckets[static_cast<size_t>(k + j)].sum;
          c += buckets[static_cast<size_t>(k + j)].n;
        }
        if (!c) continue;
        ts[n] = cur.start_s + (k + 0.5 * w) * kBucket_s;
        ys[n] = sum / c / m_pre - 1;
        hs[n] = h;
        ++n;
      }
    };
    collect(pre0, pre1, 0);
    collect(post0, post1, 1);
    if (n < 10) return NAN;
    double yy = 0;
    for (int i = 0; i < n; ++i) yy += ys[i] * ys[i];
    double best_sse = HUGE_VAL, best_step = NAN;
    for (double f = kBreathLow_hz; f <= kBreathHigh_hz + 1e-9; f += kBreathStep_hz) {
      // Normal equations for [1, h, sin, cos] (4x4), solved by Gaussian elimination; the 1 s
      // means are 1 s apart within a window, so sin/cos advance by a fixed rotation.
      double A[4][5] = {};
      const double w = 2 * M_PI * f, cr = std::cos(w), sr = std::sin(w);
      double sn = 0, cs = 1, last_t = -HUGE_VAL;
      for (int i = 0; i < n; ++i) {
        if (std::abs(ts[i] - last_t - 1.0) < 1e-6) {
          const double s2 = sn * cr + cs * sr;
          cs = cs * cr - sn * sr;
          sn = s2;
        } else {
          sn = std::sin(w * ts[i]);
          cs = std::cos(w * ts[i]);
        }
        last_t = ts[i];
        const double x[4] = {1, hs[i], sn, cs};
        for (int r = 0; r < 4; ++r) {
          for (int c = r; c < 4; ++c) A[r][c] += x[r] * x[c];
          A[r][4] += x[r] * ys[i];
        }
      }
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < r; ++c) A[r][c] = A[c][r];
      double rhs[4];
      for (int r = 0; r < 4; ++r) rhs[r] = A[r][4];
      bool ok = true;
      for (int c = 0; c < 4 && ok; ++c) {
        int piv = c;
        for (int r = c + 1; r < 4; ++r)
          if (std::abs(A[r][c]) > std::abs(A[piv][c])) piv = r;
        if (std::abs(A[piv][c]) < 1e-12) {
          ok = false;
          break;
        }
        for (int j = 0; j < 5; ++j) std::swap(A[c][j], A[piv][j]);
        for (int r = 0; r < 4; ++r) {
          if (r == c) continue;
          const double m = A[r][c] / A[c][c];
          for (int j = c; j < 5; ++j) A[r][j] -= m * A[c][j];
        }
      }
      if (!ok) continue;
      // Least squares: the residual sum of squares is y'y - beta'X'y.
      double sse = yy;
      double beta[4];
      for (int r = 0; r < 4; ++r) beta[r] = A[r][4] / A[r][r];
      for (int r = 0; r < 4; ++r) sse -= beta[r] * rhs[r];
      if (sse < best_sse) {
        best_sse = sse;
        best_step = beta[1];
      }
    }
    *resid = std::sqrt(std::max(0.0, best_sse) / std::max(1, n - 4));
    return best_step;
  }

  bool preIsLevel(double pre0, double pre1, double m_pre, double m_post) const {
    const double mid = 0.5 * (pre0 + pre1);
    const double first = windowMean(pre0, mid, nullptr);
    const double second = windowMean(mid, pre1, nullptr);
    return second - first <= kPreRiseShare * (m_post - m_pre);
  }

  // The tremor cue between a reference window [pre0, pre1] and a window [post0, post1]: the
  // tremor band's power against the noise floor measured in the same windows (18-36 Hz, scaled
  // to the tremor band), and the drop against the scatter of the reference window's 1 s powers.
  struct TremorTest {
    bool usable = false;  // tremor stands out of the floor (band power >= twice the floor)
    bool drop = false;    // a drop clear of chance and of the floor, from a level reference
    double ratio = 0;     // post / pre tremor rms above the floor (0: not usable)
    double p_pre = 0, p_post = 0;  // band power (N^2) in the two windows
    bool alone = false;            // ... clear enough to count with no load-up
  };
  struct BandSums {
    double sum = 0, bp2 = 0, nb2 = 0, c2 = 0, c1 = 0;  // c: 1 s chunk powers (sum, sum of sq.)
    long n = 0, chunks = 0;
    double mean() const { return n ? sum / n : 0; }
  };
  BandSums bandSums(double a, double b) const {
    BandSums r;
    const int w = static_cast<int>(1.0 / kBucket_s);
    const long k0 =
        std::max(0L, static_cast<long>(std::ceil((a - cur.start_s) / kBucket_s - 1e-9)));
    const long k1 = std::min(static_cast<long>(buckets.size()),
                             static_cast<long>(std::floor((b - cur.start_s) / kBucket_s + 1e-9)));
    double cb = 0;
    long cn = 0;
    int in_chunk = 0;
    for (long k = k0; k < k1; ++k) {
      const Bucket& bk = buckets[static_cast<size_t>(k)];
      r.sum += bk.sum;
      r.bp2 += bk.bp2;
      r.nb2 += bk.nb2;
      r.n += bk.n;
      cb += bk.bp2;
      cn += bk.n;
      if (++in_chunk == w) {
        if (cn) {
          const double c = cb / cn;
          r.c1 += c;
          r.c2 += c * c;
          ++r.chunks;
        }
        cb = 0;
        cn = 0;
        in_chunk = 0;
      }
    }
    return r;
  }
  // The lowest tremor band power relative to the load squared over windows of length len_s
  // sliding (by 0.25 s) over [a, b].
  double quietestWindow(double a, double b, double len_s) const {
    const long w = std::lround(len_s / kBucket_s);
    const long k0 =
        std::max(0L, static_cast<long>(std::ceil((a - cur.start_s) / kBucket_s - 1e-9)));
    const long k1 = std::min(static_cast<long>(buckets.size()),
                             static_cast<long>(std::floor((b - cur.start_s) / kBucket_s + 1e-9)));
    double sp = 0, sf = 0, best = HUGE_VAL;
    long n = 0;
    for (long k = k0; k < k1; ++k) {
      const Bucket& bk = buckets[static_cast<size_t>(k)];
      sp += bk.bp2;
      sf += bk.sum;
      n += bk.n;
      if (k - k0 >= w) {
        const Bucket& old = buckets[static_cast<size_t>(k - w)];
        sp -= old.bp2;
        sf -= old.sum;
        n -= old.n;
      }
      if (k - k0 + 1 >= w && n > 0 && sf > 0) best = std::min(best, sp * n / (sf * sf));
    }
    return best;
  }
  // pre, post: bandSums over [pre0, pre1] and [post0, post1]; m_pre, m_post their mean loads.
  TremorTest tremorTest(double pre0, double pre1, double post0, double post1, const BandSums& pre,
                        const BandSums& post, double m_pre, double m_post) const {
    TremorTest r;
    if (!bp.enabled) return r;
    if (pre.chunks < 3 || post.chunks < 2) return r;
    r.p_pre = pre.bp2 / pre.n;
    // Tremor grows with the force that carries it: the later window's power is compared at the
    // reference window's load (a settling or easing load lowers tremor; that is no release).
    if (m_post <= 0) return r;
    const double load_scale = (m_pre * m_pre) / (m_post * m_post);
    r.p_post = post.bp2 / post.n * load_scale;
    const double floor_p = (pre.nb2 + post.nb2) / (pre.n + post.n) * floor_to_tremor;
    const double t_pre = r.p_pre - floor_p;
    r.usable = t_pre >= floor_p && t_pre > 0;
    if (!r.usable) return r;
    r.ratio = std::sqrt(std::max(0.0, r.p_post - floor_p) / t_pre);
    const double m = pre.c1 / pre.chunks;
    const double sd =
        std::sqrt(std::max(0.0, pre.c2 / pre.chunks - m * m) * pre.chunks / (pre.chunks - 1));
    const double se = sd * std::sqrt(1.0 / pre.chunks + 1.0 / post.chunks);
    const double d = r.p_pre - r.p_post;
    if (r.ratio > kTremorDropRatio || d < kTremorZ * se) return r;
    // Tremor waxes and wanes: the later window must also be quieter, relative to its load, than
    // every earlier window of its length in the hold (see kQuietestShare).
    if (post.bp2 / post.n / (m_post * m_post) >=
        kQuietestShare * quietestWindow(cur.start_s, pre1, post1 - post0))
      return r;
    // As for a load-up: a drop already under way in the reference window is an earlier one's
    // tail.
    const double mid = 0.5 * (pre0 + pre1);
    const BandSums first = bandSums(pre0, mid), second = bandSums(mid, pre1);
    if (first.n && second.n && first.bp2 / first.n - second.bp2 / second.n > kPreRiseShare * d)
      return r;
    r.drop = true;
    // On its own (no load-up) only after a long enough look at the hold (kTremorHistory_s).
    r.alone = pre1 - cur.start_s >= kTremorHistory_s;
    return r;
  }

  // The release test between a reference window [pre0, pre1] and a window [post0, post1].
  struct StepTest {
    bool valid = false;                                 // enough data for a verdict
    bool qualifies = false;                             // a release, if it persists
    double m_pre = 0, m_post = 0, step = 0, ratio = 0;  // ratio 0: tremor not usable
    double p_pre = 0, p_post = 0;                       // tremor band power (see TremorTest)
    double noise = 0;  // slow fluctuation in the reference window, share of the load
    const char* source = "";
  };
  // allow_alone: a tremor drop may count with no load-up (not in the end-of-hold pass, which
  // cannot see the drop persist).
  StepTest stepTest(double pre0, double pre1, double post0, double post1,
                    bool allow_alone = true) const {
    StepTest r;
    // One pass over each window for the load and the tremor band.
    const BandSums pre = bandSums(pre0, pre1), post = bandSums(post0, post1);
    r.m_pre = pre.mean();
    r.m_post = post.mean();
    if (r.m_pre <= 0) return r;
    r.valid = true;
    // Early in a hold, what is left of the settling decay still lowers the later window: count
    // the load-up from the fitted transient's course, not from a level it has not reached yet.
    const double drift = fit_in_use ? fit.meanTransient(cur.start_s, post0, post1) -
                                          fit.meanTransient(cur.start_s, pre0, pre1)
                                    : 0.0;
    r.step = (r.m_post - r.m_pre - drift) / r.m_pre;
    // The tremor cue (only where the sample rate allows a measured noise floor).
    const TremorTest tt = tremorTest(pre0, pre1, post0, post1, pre, post, r.m_pre, r.m_post);
    r.ratio = tt.ratio;
    r.p_pre = tt.p_pre;
    r.p_post = tt.p_post;
    // The slow fluctuation of the load in the reference window (breathing, sway): the rms of its
    // 1 s means about their straight line, as a share of the load. A breathing cycle moves the
    // difference between the two window means by up to about this much, so a load-up must clear
    // it with margin (step_noise_k) — measured per hold, not assumed.
    // (Below the floor, and with no tremor drop, nothing can qualify: skip the measurement.)
    if (!tt.drop && r.step < p.step_floor_fraction) return r;
    r.noise = slowNoise(pre0, pre1) / r.m_pre;
    const double thr = std::max(p.step_floor_fraction, p.step_noise_k * r.noise);
    bool load_alone = r.step >= thr;
    // Breathing moves the two window means; with it fitted out, the step must clear what is left.
    // (Opt-in, HoldParams::breath_fit_k; not during the settling fit.)
    if (!load_alone && p.breath_fit_k > 0 && !fit_in_use && r.step >= p.step_floor_fraction) {
      double resid = 0;
      const double st = breathFreeStep(pre0, pre1, post0, post1, r.m_pre, &resid);
      if (!std::isnan(st) && st >= std::max(p.step_floor_fraction, p.breath_fit_k * resid))
        load_alone = true;
    }
    // A tremor drop confirms a smaller load-up (still above the fluctuation) ...
    const double thr_tremor = std::max(p.step_floor_fraction, p.step_tremor_noise_k * r.noise);
    const bool load_and_tremor = tt.drop && !load_alone && r.step >= thr_tremor;
    const bool level = (load_alone || load_and_tremor) && preIsLevel(pre0, pre1, r.m_pre, r.m_post);
    // ... and counts on its own when the load does not clearly fall (easing off lowers tremor
    // too; that is not a release).
    const bool tremor_alone =
        p.tremor_alone && allow_alone && tt.alone && !level && r.step >= -thr_tremor;
    r.qualifies = level || tremor_alone;
    r.source = tremor_alone ? "tremor" : (tt.drop ? "load-up+tremor" : "load-up");
    return r;
  }

  // Runs at each completed bucket: the load-up / tremor test for a step ending at t.
  void checkRelease(double t) {
    if (release_found || buckets.empty()) return;
    const double rel = t - cur.start_s;
    const size_t done = static_cast<size_t>(rel / kBucket_s);  // buckets [0, done) complete
    if (done == 0 || done == last_checked_bucket) return;
    last_checked_bucket = done;
    const double t_end = cur.start_s + done * kBucket_s;
    const double post0 = t_end - p.step_post_s;
    const double pre1 = post0 - p.step_gap_s;
    const double onset = post0 - p.step_gap_s / 2;
    const double pre0 = preWindowStart(onset);
    if (std::isnan(pre0)) return;
    const StepTest st = stepTest(pre0, pre1, post0, t_end);
    if (!st.valid) return;
    if (st.step > best_step) {
      best_step = st.step;
      best_ratio = st.ratio;
    }
    if (!st.qualifies) {
      // Breathing can dip a real step below the line for a moment: forgive up to a second.
      if (qualify_since >= 0 && t_end - last_qualified > 1.0) qualify_since = -1;
      return;
    }
    last_qualified = t_end;
    if (qualify_since < 0) {
      qualify_since = t_end;
      q_pre = st.m_pre;
      q_post = st.m_post;
      q_ratio = st.ratio;
      q_source = st.source;
      q_step = st.step;
      q_p_pre = st.p_pre;
      q_p_post = st.p_post;
    }
    // The step keeps developing while it persists (a 1-4 s ramp entering the window): time it
    // against the highest level reached, not the first that qualified.
    q_post = std::max(q_post, st.m_post);
    q_p_post = std::min(q_p_post, st.p_post);
    q_ratio = st.ratio;
    q_source = st.source;
    if (t_end - qualify_since >= p.step_persist_s) {
      release_found = true;
      cur.release_s = refineOnset(qualify_since);
      cur.release_source = q_source;
      cur.step_fraction = q_step;
      cur.tremor_ratio = q_ratio;
    }
  }

  // The load-up's start: where the 1 s mean (leading window) first crosses halfway from the pre
  // to the post level — about where a 1-3 s ramp begins.
  double refineOnset(double t_qualified) const {
    const double post0 = t_qualified - p.step_post_s;
    const double from = post0 - p.step_gap_s - 1.0;
    const double half = q_pre + 0.5 * (q_post - q_pre);
    const int w = static_cast<int>(1.0 / kBucket_s);
    if (q_source == std::string("tremor")) {
      // No load-up to time: the change point of the tremor band's power (0.25 s buckets, the
      // split that best separates a higher level before from a lower one after) over the
      // reference and later windows. 1 s powers scatter too much (tremor beats) for a crossing.
      const double a = t_qualified - p.step_post_s - p.step_gap_s - p.step_pre_s / 2;
      size_t k0 = 0;
      while (k0 < buckets.size() && buckets[k0].t0 < a) ++k0;
      size_t k1 = k0;
      double total = 0;
      while (k1 < buckets.size() && buckets[k1].t0 + kBucket_s <= t_qualified) {
        if (buckets[k1].n) total += buckets[k1].bp2 / buckets[k1].n;
        ++k1;
      }
      double acc = 0, best = -HUGE_VAL, best_t = post0 - p.step_gap_s / 2;
      const double nk = static_cast<double>(k1 - k0);
      for (size_t k = k0; k < k1; ++k) {
        if (buckets[k].n) acc += buckets[k].bp2 / buckets[k].n;
        const double cusum = acc - total * static_cast<double>(k + 1 - k0) / nk;
        if (cusum > best) {
          best = cusum;
          best_t = buckets[k].t0 + kBucket_s;
        }
      }
      return std::max(cur.start_s + p.release_earliest_s, best_t);
    }
    for (size_t k = 0; k + w <= buckets.size(); ++k) {
      if (buckets[k].t0 < from) continue;
      if (buckets[k].t0 > t_qualified) break;
      double s = 0;
      int c = 0;
      for (int j = 0; j < w; ++j) {
        s += buckets[k + j].sum;
        c += buckets[k + j].n;
      }
      if (c && s / c >= half && q_post > q_pre)
        return std::max(cur.start_s + p.release_earliest_s, buckets[k].t0);
    }
    return std::max(cur.start_s + p.release_earliest_s, post0 - p.step_gap_s / 2);
  }

  // A release shortly before the user moves on leaves no time for the full post window and the
  // persistence check: at the end of a hold, test the onsets the live check could not finish,
  // with the post window cut at the hold's end (at least step_persist_s long).
  void lateRelease() {
    const double first = cur.start_s + p.release_earliest_s;
    fit_valid = false;
    const double last = cur.end_s - p.step_gap_s / 2 - p.step_persist_s;
    double best = -1, best_onset = 0, best_pre = 0, best_post = 0, best_r = 1;
    double best_p_pre = 0, best_p_post = 0;
    std::string best_src;
    for (double o = first; o <= last; o += kBucket_s) {
      const double pre1 = o - p.step_gap_s / 2, pre0 = preWindowStart(o);
      const double post0 = o + p.step_gap_s / 2, post1 = std::min(post0 + p.step_post_s, cur.end_s);
      if (std::isnan(pre0)) continue;
      const StepTest st = stepTest(pre0, pre1, post0, post1, false);
      if (!st.qualifies || st.step <= best) continue;
      best = st.step;
      best_onset = o;
      best_pre = st.m_pre;
      best_post = st.m_post;
      best_r = st.ratio;
      best_src = st.source;
      best_p_pre = st.p_pre;
      best_p_post = st.p_post;
    }
    if (best < 0) return;
    q_pre = best_pre;
    q_post = best_post;
    q_p_pre = best_p_pre;
    q_p_post = best_p_post;
    q_source = best_src;
    release_found = true;
    cur.release_s = refineOnset(best_onset + p.step_gap_s / 2 + p.step_post_s);
    cur.release_source = best_src;
    cur.step_fraction = best;
    cur.tremor_ratio = best_r;
  }

  void endHold(double leave_t, double now_t) {
    (void)now_t;
    // Back-date: the last moment the ball was at the spot with its load.
    const double lvl = level();
    double end = cur.start_s;
    for (auto it = hist.rbegin(); it != hist.rend(); ++it) {
      if (it->t > leave_t) continue;
      if (it->t <= cur.start_s) break;
      // Force only, the load test alone (a load-up moves the "position" but not the ball).
      if (it->valid && (force_only || dist(it->x, it->y, cx, cy) <= end_radius) &&
          it->force >= p.end_load_fraction * lvl) {
        end = it->t;
        break;
      }
    }
    if (end <= cur.start_s) end = leave_t;
    cur.end_s = end;
    finishSteadiness(end);
    // The next hold starts after this one ends.
    min_start_t = std::max(min_start_t, std::nextafter(end, HUGE_VAL));
    if (!release_found) lateRelease();
    finalizeHold();
    in_hold = false;
    anchor_valid = false;
  }

  void finalizeHold() {
    // Statistics over [start, end] from the buckets.
    double s = 0, s2 = 0, peak = 0;
    uint64_t c = 0;
    const double rel_t = cur.release_s ? *cur.release_s : cur.end_s;
    double sb = 0, sb2 = 0, sa = 0, sa2 = 0;
    uint64_t cb = 0, ca = 0;
    for (const Bucket& b : buckets) {
      if (b.t0 >= cur.end_s || b.n == 0) continue;
      s += b.sum;
      s2 += b.sum2;
      c += b.n;
      peak = std::max(peak, b.peak);
      if (b.t0 >= cur.start_s + 5 && b.t0 + kBucket_s <= rel_t) {
        sb += b.sum;
        sb2 += b.sum2;
        cb += b.n;
      } else if (cur.release_s && b.t0 >= rel_t + 3) {
        sa += b.sum;
        sa2 += b.sum2;
        ca += b.n;
      }
    }
    auto cv = [](double sum, double sum2, uint64_t k) {
      if (k < 2) return 0.0;
      const double m = sum / k;
      const double var = std::max(0.0, sum2 / k - m * m);
      return m > 0 ? std::sqrt(var) / m : 0.0;
    };
    cur.mean_force_n = c ? s / c : 0;
    cur.peak_force_n = peak;
    cur.cv_before = cv(sb, sb2, cb);
    cur.cv_after = cv(sa, sa2, ca);
    cur.x_mm = force_only ? 0 : cx;
    cur.y_mm = force_only ? 0 : cy;
    cur.steadiness = force_only ? std::nullopt : st_final.result();
    assignSide(cur);
    if (cur.release_s && *cur.release_s >= cur.end_s) {
      cur.release_s.reset();
      cur.release_source.clear();
    }
    if (!cur.release_s) {
      cur.step_fraction = best_step;
      cur.tremor_ratio = best_ratio;
    }
    for (double m : markers) {
      if (m >= cur.start_s && m <= cur.end_s) {
        cur.release_s = m;
        cur.release_source = "marker";
        break;
      }
    }
    cur.reached_protocol_min = cur.duration_s() >= p.protocol_min_s || cur.release_s.has_value();
    cur.exceeded_protocol_max = cur.duration_s() > p.protocol_max_s;
    sum.hold_s += cur.duration_s();
    if (cur.release_s) ++sum.releases;
    holds.push_back(cur);
  }

  // The user's side: the last mark up to dwell_s after the start (live, the hold shows up about
  // then, so a mark made while the ball settles counts), else the first inside the hold; else the
  // plate half, as a labelled guess (none force only).
  void assignSide(Hold& h) const {
    const SideMark* mark = nullptr;
    for (const SideMark& m : side_marks) {
      if (m.t_s <= h.start_s + p.dwell_s && (!mark || mark->t_s <= m.t_s)) mark = &m;
    }
    if (!mark) {
      for (const SideMark& m : side_marks)
        if (m.t_s <= h.end_s && (!mark || m.t_s < mark->t_s)) mark = &m;
    }
    if (mark && mark->side != Side::kUnknown) {
      h.side = mark->side;
      h.side_source = SideSource::kUser;
    } else if (!force_only) {
      h.side = cx < 0 ? Side::kLeft : Side::kRight;
      h.side_source = SideSource::kPlateGuess;
    } else {
      h.side = Side::kUnknown;
      h.side_source = SideSource::kNone;
    }
  }

  // [SECTION] Rolling speed
  void updateSpeed(double t, bool rolling, double px, double py, bool gap) {
    if (!rolling || gap) {
      cp_valid = false;
      return;
    }
    if (!cp_valid) {
      cp_valid = true;
      cp_t = t;
      cp_x = px;
      cp_y = py;
      return;
    }
    const double dt = t - cp_t;
    if (dt < kSpeedStep_s) return;
    const double v = dist(px, py, cp_x, cp_y) / dt;
    // Held back until it cannot turn out to be the start of a hold (back-dated up to a dwell).
    pending_speed.push_back({cp_t, dt, v});
    commitSpeeds(t - p.dwell_s - 2 * kSpeedStep_s);
    cp_t = t;
    cp_x = px;
    cp_y = py;
  }

  void commitSpeeds(double before_t) {
    while (!pending_speed.empty() && pending_speed.front()[0] < before_t) {
      const auto& e = pending_speed.front();
      // Below 3 mm/s the ball is paused, not rolling: counted as rolling time, not as a speed.
      sum.rolling_s += e[1];
      // Clamped as a double: a wild position (a glitch, a foreign CSV) can make the speed
      // 1e56 mm/s or inf, and converting that to an integer is undefined (found by fuzzing).
      if (e[2] >= kStillSpeed_mm_s) speed_hist[static_cast<size_t>(std::min(500.0, e[2]))] += e[1];
      pending_speed.pop_front();
    }
  }
  void dropSpeedsFrom(double t) {
    while (!pending_speed.empty() && pending_speed.back()[0] + pending_speed.back()[1] > t)
      pending_speed.pop_back();
  }

  SessionSummary summary() const {
    SessionSummary s = sum;
    s.start_s = first_t;
    s.end_s = last_t;
    s.samples = n;
    s.sample_rate_hz = rate();
    s.gaps = gaps;
    double total = 0;
    for (double v : speed_hist) total += v;
    if (total > 0) {
      double acc = 0;
      bool got_med = false, got_p90 = false;
      double fast = 0;
      for (size_t i = 0; i < speed_hist.size(); ++i) {
        acc += speed_hist[i];
        if (!got_med && acc >= 0.5 * total) {
          s.roll_speed_median_mm_s = i + 0.5;
          got_med = true;
        }
        if (!got_p90 && acc >= 0.9 * total) {
          s.roll_speed_p90_mm_s = i + 0.5;
          got_p90 = true;
        }
        if (i >= p.slow_roll_mm_s) fast += speed_hist[i];
      }
      s.roll_fast_share = fast / total;
    }
    return s;
  }

  size_t last_checked_bucket = 0;
  // The open hold's settling fit (see fitSettling), made with data up to fit_t.
  bool fit_valid = false, fit_in_use = false;      // fit_in_use: the current test is an early one
  std::vector<std::pair<bool, SettlingFit>> fits;  // by whole seconds of data into the hold
  double fit_t = 0;
  SettlingFit fit;
  double q_pre = 0, q_post = 0, q_ratio = 1, q_step = 0, best_ratio = 0;
  double q_p_pre = 0, q_p_post = 0;  // tremor band power before / after (tremor-timed releases)
  double last_qualified = -1;
  std::string q_source;
};

SessionAnalyzer::SessionAnalyzer(HoldParams params, AnalyzerInput input) : m_impl(new Impl) {
  m_impl->p = params;
  m_impl->force_only = input == AnalyzerInput::kForceOnly;
  m_impl->g = Geometry::of(params, m_impl->force_only);
}
SessionAnalyzer::~SessionAnalyzer() {
  delete m_impl;
}
SessionAnalyzer::SessionAnalyzer(SessionAnalyzer&& o) noexcept : m_impl(o.m_impl) {
  o.m_impl = nullptr;
}
SessionAnalyzer& SessionAnalyzer::operator=(SessionAnalyzer&& o) noexcept {
  std::swap(m_impl, o.m_impl);
  return *this;
}

void SessionAnalyzer::push(const AnalysisSample& s) {
  m_impl->push(s);
}
void SessionAnalyzer::markReleased(double t_s) {
  m_impl->markers.push_back(t_s);
}
void SessionAnalyzer::markSide(double t_s, Side side) {
  m_impl->side_marks.push_back({t_s, side});
}
void SessionAnalyzer::finish() {
  if (m_impl->finished) return;
  if (m_impl->in_hold) m_impl->endHold(m_impl->last_t, m_impl->last_t);
  m_impl->commitSpeeds(m_impl->last_t + 1);
  m_impl->finished = true;
}
const std::vector<Hold>& SessionAnalyzer::holds() const {
  return m_impl->holds;
}
std::optional<Hold> SessionAnalyzer::currentHold() const {
  if (!m_impl->in_hold) return std::nullopt;
  Hold h = m_impl->cur;
  h.end_s = m_impl->last_t;
  h.x_mm = m_impl->cx;
  h.y_mm = m_impl->cy;
  h.mean_force_n = m_impl->level();
  if (!m_impl->force_only) h.steadiness = m_impl->st_live.result();
  m_impl->assignSide(h);
  return h;
}
SessionSummary SessionAnalyzer::summary() const {
  return m_impl->summary();
}

SessionAnalysis analyzeSession(const std::vector<AnalysisSample>& samples,
                               const SessionMarkers& markers, const HoldParams& params) {
  // A recording in which no sample places the ball (no x/y columns, or a rig with fewer cells)
  // is analysed from its force alone.
  const bool any_xy =
      std::any_of(samples.begin(), samples.end(), [](const AnalysisSample& s) { return s.has_xy; });
  SessionAnalyzer a(params, any_xy ? AnalyzerInput::kForceAndPosition : AnalyzerInput::kForceOnly);
  for (double m : markers.released_s) a.markReleased(m);
  for (const SideMark& m : markers.sides) a.markSide(m.t_s, m.side);
  for (const auto& s : samples) a.push(s);
  a.finish();
  return SessionAnalysis{a.holds(), a.summary()};
}

}  // namespace rollrig::core

#include "rollrig/sim/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <utility>

#include "rollrig/core/force_model.h"

namespace rollrig::sim {

std::vector<core::AnalysisSample> recordSession(const BodyModelConfig& cfg, double missing_share,
                                                uint64_t missing_seed, Truth* truth,
                                                const CalibrationError& error) {
  BodyModel model(cfg);
  if (truth) *truth = model.truth();
  // The rig's calibration as a user would have it: gains from a span calibration that is off by
  // up to +-gain_error per cell, offsets from a tare on the first second.
  std::mt19937_64 err_rng(cfg.seed * 0x9E3779B97F4A7C15ull + 0x63616c);
  std::uniform_real_distribution<double> pm1(-1, 1);
  core::Calibration cal;
  std::array<double, core::kCellCount> span_drift_per_s{};
  for (int i = 0; i < core::kCellCount; ++i) {
    const double gain = 1 + error.gain_error * pm1(err_rng);
    span_drift_per_s[i] = error.span_drift_per_h * pm1(err_rng) / 3600.0;
    cal.cells[i].offset_counts = model.sensors()[i].offset_counts;
    cal.cells[i].n_per_count = gain / model.sensors()[i].counts_per_n;
  }
  std::mt19937_64 rng(missing_seed);
  std::uniform_real_distribution<double> u(0, 1);
  const size_t n = static_cast<size_t>(cfg.duration_s * cfg.rate_hz);
  const size_t tare_n =
      error.tare_first_second ? std::min(n, static_cast<size_t>(std::ceil(cfg.rate_hz))) : 0;
  std::vector<core::AnalysisSample> out;
  out.reserve(n);
  std::vector<std::pair<double, core::Sample>> pending;  // counts until the tare is known
  std::optional<core::ForceModel> fm;
  if (tare_n == 0) fm.emplace(cal);
  auto emit = [&](double t_s, const core::Sample& s) {
    const core::ForceSample f = fm->compute(s);
    core::AnalysisSample a;
    a.t_s = t_s;
    a.force_n = f.total_n;
    a.has_xy = f.has_cop;
    a.x_mm = f.x_mm;
    a.y_mm = f.y_mm;
    out.push_back(a);
  };
  // Missing stretches start at random with a rate that loses `missing_share` of the time.
  const double mean_len_s = 1.05;
  const double p_start = missing_share > 0 ? missing_share / (mean_len_s * cfg.rate_hz) : 0;
  size_t skip = 0;
  std::array<double, core::kCellCount> tare_sum{};
  for (size_t k = 0; k < n; ++k) {
    const ModelSample m = model.next();
    core::Sample s;
    s.channel_count = core::kCellCount;
    for (int i = 0; i < core::kCellCount; ++i) {
      // The cell's span drifts away from its calibration (temperature, creep).
      const double off = model.sensors()[i].offset_counts;
      s.raw_counts[i] = static_cast<int32_t>(
          std::lround(off + (m.raw_counts[i] - off) * (1 + span_drift_per_s[i] * m.t_s)));
    }
    if (k < tare_n) {  // the tare sees every sample: the rig reads before recording starts
      for (int i = 0; i < core::kCellCount; ++i) tare_sum[i] += s.raw_counts[i];
    }
    if (k + 1 == tare_n) {
      for (int i = 0; i < core::kCellCount; ++i) cal.cells[i].offset_counts = tare_sum[i] / tare_n;
      fm.emplace(cal);
    }
    if (skip > 0) {
      --skip;
      continue;
    }
    if (p_start > 0 && u(rng) < p_start) {
      skip = static_cast<size_t>((0.1 + 1.9 * u(rng)) * cfg.rate_hz);
      continue;
    }
    if (!fm) {
      pending.emplace_back(m.t_s, s);
      continue;
    }
    for (const auto& [t, p] : pending) emit(t, p);
    pending.clear();
    emit(m.t_s, s);
  }
  if (fm)
    for (const auto& [t, p] : pending) emit(t, p);
  return out;
}

namespace {

double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  return v[i];
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}

// Bin edges of the effect sizes (docs/ANALYSIS.md uses the same).
size_t loadUpBin(double f) {
  if (f <= 0) return 0;
  if (f < 0.02) return 1;
  if (f < 0.05) return 2;
  if (f < 0.10) return 3;
  return 4;
}
size_t tremorRatioBin(double r) {
  return r < 0.6 ? 0 : r < 0.9 ? 1 : 2;
}
size_t tremorSnrBin(double snr) {
  return snr < 1 ? 0 : snr < 3 ? 1 : 2;
}
size_t releaseInBin(double s) {
  return s < 20 ? 0 : s < 40 ? 1 : 2;
}
bool tremorDropVisible(const TruthHold& h) {
  return h.tremor_snr >= 1 && h.tremor_ratio <= 0.9;
}

std::vector<HitBin> bins(std::initializer_list<const char*> labels) {
  std::vector<HitBin> v;
  for (const char* l : labels) v.push_back({l, 0, 0});
  return v;
}

void count(HitBin& b, bool hit) {
  ++b.releases;
  b.hits += hit;
}

}  // namespace

EvalReport evaluate(const EvalConfig& cfg, const core::HoldParams& params) {
  EvalReport r;
  r.by_load_up = bins({"none", "1-2 %", "2-5 %", "5-10 %", "10-15 %"});
  r.by_tremor_ratio = bins({"x0.3-0.6", "x0.6-0.9", "x0.9-1.1"});
  r.by_tremor_snr = bins({"under the noise", "1-3x the noise", "over 3x the noise"});
  r.by_release_in = bins({"8-20 s", "20-40 s", "40-90 s"});
  for (const HitBin& b : r.by_load_up)
    r.by_load_up_and_tremor.push_back({HitBin{b.label, 0, 0}, HitBin{b.label, 0, 0}});
  std::vector<double> start_err, end_err, rel_err_abs, rel_err;
  std::mt19937_64 pick(cfg.first_seed * 31 + 7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < cfg.sessions; ++i) {
    BodyModelConfig bc;
    bc.seed = cfg.first_seed + static_cast<uint64_t>(i);
    bc.duration_s = cfg.min_duration_s + (cfg.max_duration_s - cfg.min_duration_s) * u(pick);
    bc.rate_hz = cfg.rate_hz;
    Truth truth;
    auto samples =
        recordSession(bc, cfg.missing_share, bc.seed ^ 0xABCDEF, &truth, cfg.calibration_error);
    if (cfg.cop_noise_mm > 0) {
      std::mt19937_64 jr(bc.seed * 977);
      std::normal_distribution<double> j(0, cfg.cop_noise_mm);
      for (auto& s : samples) {
        s.x_mm += j(jr);
        s.y_mm += j(jr);
      }
    }
    if (cfg.cop_wander_mm > 0) {
      std::mt19937_64 wr(bc.seed * 1223);
      std::normal_distribution<double> w(0, 1);
      const double a = std::exp(-1.0 / (2.0 * cfg.rate_hz));  // AR(1), tau = 2 s
      const double k = cfg.cop_wander_mm * std::sqrt(1 - a * a);
      double ox = 0, oy = 0;
      for (auto& s : samples) {
        ox = a * ox + k * w(wr);
        oy = a * oy + k * w(wr);
        s.x_mm += ox;
        s.y_mm += oy;
      }
    }
    if (cfg.drop_xy) {
      // A recording without position: the analyser goes force only by itself.
      for (auto& s : samples) s.has_xy = false;
    }
    const core::SessionAnalysis a = core::analyzeSession(samples, {}, params);
    ++r.sessions;
    r.hours += bc.duration_s / 3600.0;
    r.truth_holds += truth.holds.size();
    r.detected_holds += a.holds.size();
    // Greedy one-to-one matching by overlap.
    struct Pair {
      double ov;
      size_t t, d;
    };
    std::vector<Pair> pairs;
    for (size_t t = 0; t < truth.holds.size(); ++t)
      for (size_t d = 0; d < a.holds.size(); ++d) {
        const double ov = overlap(truth.holds[t].start_s, truth.holds[t].end_s, a.holds[d].start_s,
                                  a.holds[d].end_s);
        if (ov > 0) pairs.push_back({ov, t, d});
      }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.ov > y.ov; });
    std::vector<int> match_of_det(a.holds.size(), -1), match_of_truth(truth.holds.size(), -1);
    for (const Pair& p : pairs) {
      if (match_of_det[p.d] >= 0 || match_of_truth[p.t] >= 0) continue;
      match_of_det[p.d] = static_cast<int>(p.t);
      match_of_truth[p.t] = static_cast<int>(p.d);
    }
    for (size_t t = 0; t < truth.holds.size(); ++t) {
      const TruthHold& th = truth.holds[t];
      if (!th.release_s) continue;
      ++r.truth_releases;
      const int d = match_of_truth[t];
      const bool hit =
          d >= 0 && a.holds[static_cast<size_t>(d)].release_s &&
          std::abs(*a.holds[static_cast<size_t>(d)].release_s - *th.release_s) <= cfg.hit_window_s;
      count(r.by_load_up[loadUpBin(th.load_up_fraction)], hit);
      count(r.by_tremor_ratio[tremorRatioBin(th.tremor_ratio)], hit);
      count(r.by_tremor_snr[tremorSnrBin(th.tremor_snr)], hit);
      count(r.by_release_in[releaseInBin(*th.release_in_s)], hit);
      count(r.by_load_up_and_tremor[loadUpBin(th.load_up_fraction)][tremorDropVisible(th)], hit);
    }
    for (size_t d = 0; d < a.holds.size(); ++d) {
      const core::Hold& dh = a.holds[d];
      if (dh.release_s) ++r.detected_releases;
      if (match_of_det[d] < 0) {
        if (dh.release_s) ++r.false_releases;
        continue;
      }
      ++r.matched_holds;
      const TruthHold& th = truth.holds[static_cast<size_t>(match_of_det[d])];
      start_err.push_back(std::abs(dh.start_s - th.start_s));
      end_err.push_back(std::abs(dh.end_s - th.end_s));
      if (dh.release_s) {
        if (th.release_s && std::abs(*dh.release_s - *th.release_s) <= cfg.hit_window_s) {
          ++r.release_hits;
          rel_err.push_back(*dh.release_s - *th.release_s);
          rel_err_abs.push_back(std::abs(*dh.release_s - *th.release_s));
        } else {
          ++r.false_releases;
          r.false_in_abandoned += !th.release_s;
        }
      }
    }
  }
  r.precision = r.detected_holds ? static_cast<double>(r.matched_holds) / r.detected_holds : 0;
  r.recall = r.truth_holds ? static_cast<double>(r.matched_holds) / r.truth_holds : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  r.start_err_mean_s = mean(start_err);
  r.start_err_p90_s = percentile(start_err, 0.9);
  r.end_err_mean_s = mean(end_err);
  r.end_err_p90_s = percentile(end_err, 0.9);
  r.release_hit_rate =
      r.truth_releases ? static_cast<double>(r.release_hits) / r.truth_releases : 0;
  r.false_release_rate =
      r.detected_releases ? static_cast<double>(r.false_releases) / r.detected_releases : 0;
  r.false_per_hold = r.truth_holds ? static_cast<double>(r.false_releases) / r.truth_holds : 0;
  r.release_err_mean_s = mean(rel_err);
  r.release_err_p90_s = percentile(rel_err_abs, 0.9);
  return r;
}

std::string EvalReport::text() const {
  char b[2048];
  std::snprintf(
      b, sizeof(b),
      "sessions %d (%.1f h)\n"
      "holds: truth %zu, detected %zu, matched %zu -> precision %.3f, recall %.3f, F1 %.3f\n"
      "hold start error: mean %.2f s, p90 %.2f s; end error: mean %.2f s, p90 %.2f s\n"
      "releases: truth %zu, detected %zu, hits (within 5 s) %zu = %.1f %% of true releases;\n"
      "          false %zu = %.1f %% of detected, %.3f per hold (%zu in abandoned holds);\n"
      "          timing error mean %+.2f s, |p90| %.2f s\n",
      sessions, hours, truth_holds, detected_holds, matched_holds, precision, recall, f1,
      start_err_mean_s, start_err_p90_s, end_err_mean_s, end_err_p90_s, truth_releases,
      detected_releases, release_hits, 100 * release_hit_rate, false_releases,
      100 * false_release_rate, false_per_hold, false_in_abandoned, release_err_mean_s,
      release_err_p90_s);
  std::string out = b;
  auto table = [&](const char* title, const std::vector<HitBin>& v) {
    out += title;
    out += '\n';
    for (const HitBin& h : v) {
      std::snprintf(b, sizeof(b), "  %-18s %5zu releases, %5.1f %% hit\n", h.label.c_str(),
                    h.releases, 100 * h.rate());
      out += b;
    }
  };
  table("release hits by load-up:", by_load_up);
  table("release hits by tremor change (after / before):", by_tremor_ratio);
  table("release hits by tremor before the release vs the 4-14 Hz noise floor:", by_tremor_snr);
  table("release hits by release time into the hold:", by_release_in);
  // Nothing to see: a load-up under 2 % and no tremor drop over the noise.
  size_t blind = 0, blind_hits = 0;
  for (size_t i = 0; i < 2 && i < by_load_up_and_tremor.size(); ++i)
    blind += by_load_up_and_tremor[i][0].releases, blind_hits += by_load_up_and_tremor[i][0].hits;
  const size_t seen = truth_releases - blind, seen_hits = release_hits - blind_hits;
  std::snprintf(b, sizeof(b),
                "releases with nothing in the force to see (load-up under 2 %%, no visible tremor "
                "drop): %zu = %.1f %%;\n  hits among the others: %zu of %zu = %.1f %%\n",
                blind, truth_releases ? 100.0 * blind / truth_releases : 0.0, seen_hits, seen,
                seen ? 100.0 * seen_hits / seen : 0.0);
  out += b;
  out += "release hits by load-up and tremor drop (visible: over the noise and to x0.9 or less):\n";
  out += "  load-up            no visible drop        visible drop\n";
  for (const auto& row : by_load_up_and_tremor) {
    std::snprintf(b, sizeof(b), "  %-18s %4zu: %5.1f %%      %4zu: %5.1f %%\n",
                  row[0].label.c_str(), row[0].releases, 100 * row[0].rate(), row[1].releases,
                  100 * row[1].rate());
    out += b;
  }
  return out;
}

}  // namespace rollrig::sim

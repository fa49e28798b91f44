#include "rollrig/sim/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "rollrig/core/force_model.h"

namespace rollrig::sim {

std::vector<core::AnalysisSample> recordSession(const BodyModelConfig& cfg, double missing_share,
                                                uint64_t missing_seed, Truth* truth) {
  BodyModel model(cfg);
  if (truth) *truth = model.truth();
  core::Calibration cal;
  for (int i = 0; i < core::kCellCount; ++i) {
    cal.cells[i].offset_counts = model.sensors()[i].offset_counts;
    cal.cells[i].n_per_count = 1.0 / model.sensors()[i].counts_per_n;
  }
  const core::ForceModel fm(cal);
  std::mt19937_64 rng(missing_seed);
  std::uniform_real_distribution<double> u(0, 1);
  const size_t n = static_cast<size_t>(cfg.duration_s * cfg.rate_hz);
  std::vector<core::AnalysisSample> out;
  out.reserve(n);
  // Missing stretches start at random with a rate that loses `missing_share` of the time.
  const double mean_len_s = 1.05;
  const double p_start = missing_share > 0 ? missing_share / (mean_len_s * cfg.rate_hz) : 0;
  size_t skip = 0;
  for (size_t k = 0; k < n; ++k) {
    const ModelSample m = model.next();
    if (skip > 0) {
      --skip;
      continue;
    }
    if (p_start > 0 && u(rng) < p_start) {
      skip = static_cast<size_t>((0.1 + 1.9 * u(rng)) * cfg.rate_hz);
      continue;
    }
    core::Sample s;
    s.channel_count = core::kCellCount;
    for (int i = 0; i < core::kCellCount; ++i) s.raw_counts[i] = m.raw_counts[i];
    const core::ForceSample f = fm.compute(s);
    core::AnalysisSample a;
    a.t_s = m.t_s;
    a.force_n = f.total_n;
    a.has_xy = f.has_cop;
    a.x_mm = f.x_mm;
    a.y_mm = f.y_mm;
    out.push_back(a);
  }
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

}  // namespace

EvalReport evaluate(const EvalConfig& cfg, const core::HoldParams& params) {
  EvalReport r;
  std::vector<double> start_err, end_err, rel_err_abs, rel_err;
  std::mt19937_64 pick(cfg.first_seed * 31 + 7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < cfg.sessions; ++i) {
    BodyModelConfig bc;
    bc.seed = cfg.first_seed + static_cast<uint64_t>(i);
    bc.duration_s = cfg.min_duration_s + (cfg.max_duration_s - cfg.min_duration_s) * u(pick);
    bc.rate_hz = cfg.rate_hz;
    Truth truth;
    auto samples = recordSession(bc, cfg.missing_share, bc.seed ^ 0xABCDEF, &truth);
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
    for (const auto& h : truth.holds) r.truth_releases += h.release_s.has_value();
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
      "          false %zu = %.1f %% of detected; timing error mean %+.2f s, |p90| %.2f s\n",
      sessions, hours, truth_holds, detected_holds, matched_holds, precision, recall, f1,
      start_err_mean_s, start_err_p90_s, end_err_mean_s, end_err_p90_s, truth_releases,
      detected_releases, release_hits, 100 * release_hit_rate, false_releases,
      100 * false_release_rate, release_err_mean_s, release_err_p90_s);
  return b;
}

}  // namespace rollrig::sim

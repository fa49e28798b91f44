// The demo library's plan (demo_library.h). Navigate by the [SECTION] markers:
//   Dates   - civil dates <-> days (Howard Hinnant's algorithms), ISO 8601
//   Draws   - a seeded engine with our own distributions (portable, as in the body model)
//   Plan    - the person, the calendar, the trend, the markers from each session's truth
#include "rollrig/sim/demo_library.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <random>

namespace rollrig::sim {

namespace {

// [SECTION] Dates

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// [SECTION] Draws
// From the engine's raw bits, so a seed's plan is the same with every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_engine(seed) {}
  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int below(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }  // 0..n-1
  bool chance(double p) { return uniform() < p; }
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
  }

 private:
  std::mt19937_64 m_engine;
};

constexpr double kFirstWeekMedian_s = 70;  // the session median time to release, first session
constexpr double kLastWeekMedian_s = 30;   // ... and last
constexpr double kPlanBudget_s = 1200;     // room for both sides' holds; the plan ends earlier
constexpr double kTail_s = 4;              // recorded after the last lift-off
// The share of releases the person also marks with the "released" key (the marker wins over the
// detector; the others are left to the detector, which misses some: docs/ANALYSIS.md).
constexpr double kPressReleased = 0.85;

const char* const kBalls[] = {"lacrosse ball (6.4 cm)", "massage ball, firm (8 cm)",
                              "spiky massage ball (9 cm)"};

// What a person jots down now and then, and when (which side it is about does not matter here).
const char* const kNotes[] = {
    "stiff after a long drive",         "slept badly; kept the pressure lower",
    "sore from yesterday's run",        "easier today",
    "the low spot took ages to let go", "felt the hip flexor let go clearly",
    "back much better this week",
};

}  // namespace

// [SECTION] Dates (public)

std::optional<int64_t> parseIsoDate(const std::string& text) {
  int y = 0, m = 0, d = 0, used = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 ||
      used != 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) return std::nullopt;
  const int64_t days = daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  int64_t yy;
  unsigned mm, dd;
  civilFromDays(days, &yy, &mm, &dd);
  if (yy != y || static_cast<int>(mm) != m || static_cast<int>(dd) != d) return std::nullopt;
  return days;  // e.g. 2026-02-30 came back as March: refused above
}

std::string isoUtc(int64_t epoch_s) {
  const int64_t days = epoch_s >= 0 ? epoch_s / 86400 : (epoch_s - 86399) / 86400;
  const int64_t secs = epoch_s - days * 86400;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, &y, &m, &d);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

// [SECTION] Plan

DemoLibraryPlan planDemoLibrary(const DemoLibraryOptions& o) {
  assert(o.sessions >= 1 && o.weeks >= 1 && o.sessions <= 7 * o.weeks);
  Rng rng(splitmix64(o.seed ^ 0x64656d6f6c6962ull));
  DemoLibraryPlan plan;

  // Who: body, ball, lines (build seed) and tender spots, fixed for every session.
  Person& person = plan.person;
  person.build_seed = splitmix64(o.seed ^ 0x6275696c64ull);
  person.body_mass_kg = std::round(rng.uniform(58, 92) * 2) / 2;
  person.first_side = Side::kRight;
  person.spot_jitter_mm = 3;
  plan.ball = kBalls[rng.below(3)];
  for (Side side : {Side::kRight, Side::kLeft}) {
    const int n = side == Side::kRight ? 3 : 2 + rng.below(2);
    double y = rng.uniform(55, 85);
    for (int i = 0; i < n; ++i) {
      person.spots.push_back({side, y, rng.uniform(0.8, 1.25)});
      y -= rng.uniform(55, 80);
    }
  }

  // When: the sessions spread evenly over the weeks, on distinct days of a week, mostly in the
  // evening, sometimes before work.
  struct When {
    int week;
    int64_t epoch_s;
  };
  std::vector<When> when;
  for (int w = 0; w < o.weeks; ++w) {
    const int first = w * o.sessions / o.weeks, last = (w + 1) * o.sessions / o.weeks;
    const int k = last - first;
    for (int j = 0; j < k; ++j) {
      const int lo = j * 7 / k, hi = (j + 1) * 7 / k;  // disjoint day ranges within the week
      const int day = w * 7 + lo + rng.below(hi - lo);
      const bool morning = rng.chance(0.3);
      const int minute_of_day =
          morning ? 6 * 60 + 30 + rng.below(100) : 17 * 60 + 30 + rng.below(240);
      when.push_back({w, (o.start_day + day) * 86400 + minute_of_day * 60});
    }
  }
  const double span_s = std::max<double>(1, when.back().epoch_s - when.front().epoch_s);

  for (int i = 0; i < o.sessions; ++i) {
    DemoSession s;
    s.index = i;
    s.week = when[i].week;
    s.start_epoch_s = when[i].epoch_s;
    s.started_utc = isoUtc(s.start_epoch_s);
    // How far along: 0 at the first session, 1 at the last. The spots release sooner, fewer holds
    // are given up, and the person dares to press a little harder.
    const double p = o.sessions > 1 ? (when[i].epoch_s - when.front().epoch_s) / span_s : 0.0;
    Person today = person;
    today.release_median_s = kFirstWeekMedian_s *
                             std::pow(kLastWeekMedian_s / kFirstWeekMedian_s, p) *
                             std::exp(0.08 * rng.normal());
    today.release_spread = 0.22;
    today.abandon_probability = 0.30 - 0.22 * p;
    today.hold_load_fraction = 0.27 + 0.08 * p + 0.015 * rng.normal();
    s.body.seed = o.seed * 1000 + static_cast<uint64_t>(i) + 1;
    s.body.duration_s = kPlanBudget_s;
    s.body.person = today;

    const Truth truth = BodyModel(s.body).truth();
    double active_end = 0;
    for (const TruthSegment& seg : truth.segments)
      if (seg.phase != Phase::kEmpty) active_end = seg.end_s;
    s.record_s = std::min(kPlanBudget_s, active_end + kTail_s);

    // What the person says. The side first (the protocol guide marks it as the step starts), the
    // other side in the pause before getting on again.
    auto add = [&](DemoMarker m) { s.markers.push_back(std::move(m)); };
    DemoMarker side;
    side.kind = DemoMarker::Kind::kSide;
    side.side = person.first_side;
    add(side);
    const Side other = person.first_side == Side::kRight ? Side::kLeft : Side::kRight;
    for (const TruthSegment& seg : truth.segments) {
      if (seg.side != other) continue;
      side.side = other;
      side.t_s = std::max(0.0, seg.start_s - rng.uniform(1, 3));
      add(side);
      break;
    }
    std::vector<const TruthHold*> holds;
    for (const TruthHold& h : truth.holds)
      if (h.end_s < s.record_s) holds.push_back(&h);
    for (const TruthHold* h : holds) {
      if (rng.chance(0.5)) {
        DemoMarker pain;
        pain.kind = DemoMarker::Kind::kPain;
        pain.t_s = std::min(h->end_s - 1, h->start_s + rng.uniform(4, 12));
        pain.pain =
            static_cast<int>(std::clamp(std::lround(6.5 - 3 * p + 0.8 * rng.normal()), 1L, 10L));
        add(pain);
      }
      if (h->release_s && rng.chance(kPressReleased)) {
        DemoMarker released;
        released.kind = DemoMarker::Kind::kReleased;
        released.t_s = *h->release_s + rng.uniform(0.5, 2.5);
        if (released.t_s < h->end_s - 0.5) add(released);
      }
    }
    const bool note = i == 0 || rng.chance(0.25);
    if (note && !holds.empty()) {
      const TruthHold* h = holds[static_cast<size_t>(rng.below(static_cast<int>(holds.size())))];
      DemoMarker n;
      n.kind = DemoMarker::Kind::kNote;
      n.t_s = h->end_s + 0.5;
      n.text = i == 0 ? "first session on the rig; the right side is very tender"
                      : kNotes[rng.below(static_cast<int>(std::size(kNotes)))];
      add(n);
    }
    std::stable_sort(s.markers.begin(), s.markers.end(),
                     [](const DemoMarker& a, const DemoMarker& b) { return a.t_s < b.t_s; });
    s.notes = "simulated: rollrig demo-library --seed " + std::to_string(o.seed) + ", session " +
              std::to_string(i + 1) + " of " + std::to_string(o.sessions) + " (week " +
              std::to_string(s.week + 1) + ")";
    plan.sessions.push_back(std::move(s));
  }
  return plan;
}

}  // namespace rollrig::sim

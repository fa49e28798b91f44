// History across sessions. Navigate by the [SECTION] markers: Time, Spots, Statistics, History,
// Text, JSON.
#include "rollrig/core/history.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

namespace rollrig::core {

namespace {

// [SECTION] Time

bool digits(const std::string& s, size_t at, size_t n, int* v) {
  if (at + n > s.size()) return false;
  int x = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<double> parseUtcSeconds(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
      !digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' ||
      !digits(s, 17, 2, &sec))
    return std::nullopt;
  static const int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kMonthDays[mo - 1] || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  size_t i = 19;
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    size_t start = ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
      frac += (s[i] - '0') * scale;
    if (i == start) return std::nullopt;
  }
  int offset_s = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, &om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt;  // no zone: local time of an unknown place, not UTC
  }
  if (i != s.size()) return std::nullopt;
  const int64_t days = daysFromCivil(y, mo, d);
  return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec - offset_s) + frac;
}

// [SECTION] Spots

namespace {

// A hold with a usable centre (a non-finite one is treated as no position at all).
bool placed(const Hold& h) {
  return h.has_xy && std::isfinite(h.x_mm) && std::isfinite(h.y_mm);
}

}  // namespace

std::vector<SpotCluster> findSpots(const std::vector<HistoryHold>& holds, double radius_mm) {
  assert(radius_mm > 0);
  // The canonical order of the placed holds: what the result may depend on, besides positions.
  std::vector<size_t> idx;
  for (size_t i = 0; i < holds.size(); ++i)
    if (placed(holds[i].hold)) idx.push_back(i);
  auto key = [&](size_t i) {
    const HistoryHold& h = holds[i];
    return std::make_tuple(h.hold.x_mm, h.hold.y_mm, h.session_start_utc, h.session_id,
                           h.hold.start_s, h.hold.end_s);
  };
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const auto ka = key(a), kb = key(b);
    return ka != kb ? ka < kb : a < b;  // identical holds: interchangeable, any order will do
  });
  const size_t n = idx.size();
  const double r2 = radius_mm * radius_mm;

  // Neighbours within the radius through a grid of radius-sized cells (3 x 3 cells to look at).
  std::unordered_map<int64_t, std::vector<size_t>> grid;  // cell -> positions in idx
  auto cellOf = [&](double v) { return static_cast<int64_t>(std::floor(v / radius_mm)); };
  auto cellKey = [](int64_t cx, int64_t cy) { return cx * 2000003 + cy; };
  for (size_t k = 0; k < n; ++k) {
    const Hold& h = holds[idx[k]].hold;
    grid[cellKey(cellOf(h.x_mm), cellOf(h.y_mm))].push_back(k);
  }
  auto forNeighbours = [&](size_t k, auto&& fn) {
    const Hold& h = holds[idx[k]].hold;
    const int64_t cx = cellOf(h.x_mm), cy = cellOf(h.y_mm);
    for (int64_t gx = cx - 1; gx <= cx + 1; ++gx)
      for (int64_t gy = cy - 1; gy <= cy + 1; ++gy) {
        auto it = grid.find(cellKey(gx, gy));
        if (it == grid.end()) continue;
        for (size_t j : it->second) {
          if (j == k) continue;
          const Hold& o = holds[idx[j]].hold;
          const double dx = o.x_mm - h.x_mm, dy = o.y_mm - h.y_mm;
          if (dx * dx + dy * dy <= r2) fn(j);
        }
      }
  };
  std::vector<size_t> count(n, 0);
  for (size_t k = 0; k < n; ++k) forNeighbours(k, [&](size_t) { ++count[k]; });

  std::vector<char> taken(n, 0);
  std::vector<SpotCluster> spots;
  size_t left = n;
  while (left > 0) {
    size_t seed = n;
    for (size_t k = 0; k < n; ++k)  // the first in canonical order wins a tie
      if (!taken[k] && (seed == n || count[k] > count[seed])) seed = k;
    std::vector<size_t> members{seed};
    forNeighbours(seed, [&](size_t j) {
      if (!taken[j]) members.push_back(j);
    });
    for (size_t k : members) {
      taken[k] = 1;
      --left;
    }
    for (size_t k : members)  // the holds left lose these as neighbours
      forNeighbours(k, [&](size_t j) {
        if (!taken[j]) --count[j];
      });
    SpotCluster c;
    for (size_t k : members) {
      c.x_mm += holds[idx[k]].hold.x_mm;
      c.y_mm += holds[idx[k]].hold.y_mm;
      c.members.push_back(idx[k]);
    }
    c.x_mm /= static_cast<double>(members.size());
    c.y_mm /= static_cast<double>(members.size());
    for (size_t k : members)
      c.spread_mm = std::max(c.spread_mm, std::hypot(holds[idx[k]].hold.x_mm - c.x_mm,
                                                     holds[idx[k]].hold.y_mm - c.y_mm));
    std::sort(c.members.begin(), c.members.end());
    spots.push_back(std::move(c));
  }
  std::stable_sort(spots.begin(), spots.end(), [](const SpotCluster& a, const SpotCluster& b) {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    if (a.x_mm != b.x_mm) return a.x_mm < b.x_mm;
    return a.y_mm < b.y_mm;
  });
  return spots;
}

// [SECTION] Statistics

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  if (n == 0) return 0;
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Observation {
  double t_s;
  bool released;
};

// The Kaplan-Meier median of time to release; nullopt when it is not reached.
std::optional<double> kaplanMeierMedian(std::vector<Observation> obs) {
  // Releases before censorings at equal times (a hold released at 40 s was at risk at 40 s).
  std::sort(obs.begin(), obs.end(), [](const Observation& a, const Observation& b) {
    return a.t_s != b.t_s ? a.t_s < b.t_s : a.released > b.released;
  });
  constexpr double kEps = 1e-12;
  double surviving = 1;
  size_t at_risk = obs.size();
  for (size_t i = 0; i < obs.size();) {
    const double t = obs[i].t_s;
    size_t released = 0, gone = 0;
    for (; i < obs.size() && obs[i].t_s == t; ++i, ++gone) released += obs[i].released;
    if (released) {
      surviving *= 1.0 - static_cast<double>(released) / static_cast<double>(at_risk);
      if (std::abs(surviving - 0.5) < kEps) {
        for (size_t j = i; j < obs.size(); ++j)  // flat at one half until the next release
          if (obs[j].released) return 0.5 * (t + obs[j].t_s);
        return t;
      }
      if (surviving < 0.5) return t;
    }
    at_risk -= gone;
  }
  return std::nullopt;
}

Trend fitTrend(const std::vector<std::pair<double, double>>& pts, size_t min_n, const char* what) {
  Trend tr;
  tr.n = pts.size();
  if (pts.size() < min_n) {
    tr.note = "needs " + std::to_string(min_n) + " sessions" + what + ", has " +
              std::to_string(pts.size());
    return tr;
  }
  double mx = 0, my = 0;
  for (const auto& p : pts) mx += p.first, my += p.second;
  mx /= static_cast<double>(pts.size());
  my /= static_cast<double>(pts.size());
  double sxx = 0, sxy = 0;
  for (const auto& p : pts) {
    sxx += (p.first - mx) * (p.first - mx);
    sxy += (p.first - mx) * (p.second - my);
  }
  const double kOneDayInWeeks = 1.0 / 7.0;
  double lo = pts[0].first, hi = pts[0].first;
  for (const auto& p : pts) lo = std::min(lo, p.first), hi = std::max(hi, p.first);
  if (hi - lo < kOneDayInWeeks || sxx <= 0) {
    tr.note = "its sessions span less than a day";
    return tr;
  }
  tr.per_week = sxy / sxx;
  return tr;
}

int sideOrder(Side s) {
  return s == Side::kLeft ? 0 : s == Side::kRight ? 1 : 2;
}

// One spot's history from its holds (indices into the input), filtered by side.
Spot makeSpot(const std::vector<HistoryHold>& in, const std::vector<size_t>& members,
              const std::optional<Side>& side_filter, const std::optional<double>& t_first,
              const HistoryParams& params) {
  Spot spot;
  spot.holds = members.size();
  std::map<int, std::vector<size_t>> by_side;
  for (size_t i : members) {
    const Side s = in[i].hold.side;
    if (side_filter && *side_filter != s) continue;
    by_side[sideOrder(s)].push_back(i);
  }
  for (auto& [order, list] : by_side) {
    SideHistory sh;
    sh.side = in[list.front()].hold.side;
    // Sessions in start order: parsed times first, by time; then by start text; then by id.
    struct SessionKey {
      bool unparsed;
      double t;
      std::string start;
      int64_t id;
      bool operator<(const SessionKey& o) const {
        return std::tie(unparsed, t, start, id) < std::tie(o.unparsed, o.t, o.start, o.id);
      }
    };
    std::map<SessionKey, std::vector<size_t>> sessions;
    for (size_t i : list) {
      const std::optional<double> t = parseUtcSeconds(in[i].session_start_utc);
      sessions[{!t.has_value(), t.value_or(0), in[i].session_start_utc, in[i].session_id}]
          .push_back(i);
    }
    std::vector<std::pair<double, double>> release_pts, force_pts;
    for (const auto& [key, holds] : sessions) {
      SessionPoint p;
      p.session_id = key.id;
      p.start_utc = key.start;
      if (!key.unparsed && t_first) p.weeks = (key.t - *t_first) / (7 * 86400.0);
      std::vector<Observation> obs;
      std::vector<double> forces;
      double longest = 0;
      for (size_t i : holds) {
        const Hold& h = in[i].hold;
        ++p.holds;
        forces.push_back(h.mean_force_n);
        if (h.side_source == SideSource::kPlateGuess) ++sh.side_guessed;
        const bool released = h.release_s.has_value();
        const double t = released ? *h.release_s - h.start_s : h.duration_s();
        obs.push_back({t, released});
        longest = std::max(longest, t);
        if (released)
          ++p.released;
        else
          p.censored_s.push_back(t);
      }
      std::sort(p.censored_s.begin(), p.censored_s.end());
      p.release_share = static_cast<double>(p.released) / static_cast<double>(p.holds);
      p.median_force_n = median(forces);
      p.median_release_s = kaplanMeierMedian(obs);
      if (!p.median_release_s) p.release_at_least_s = longest;
      if (p.weeks) {
        if (p.median_release_s) release_pts.push_back({*p.weeks, *p.median_release_s});
        force_pts.push_back({*p.weeks, p.median_force_n});
      }
      sh.holds += p.holds;
      sh.released += p.released;
      sh.sessions.push_back(std::move(p));
    }
    sh.release_trend = fitTrend(release_pts, params.min_trend_sessions, " with a median");
    sh.force_trend = fitTrend(force_pts, params.min_trend_sessions, "");
    spot.sides.push_back(std::move(sh));
  }
  return spot;
}

}  // namespace

// [SECTION] History

History buildHistory(const std::vector<HistoryHold>& in, const HistoryFilter& filter,
                     const HistoryParams& params) {
  History out;
  out.holds = in.size();
  out.spot_radius_mm = params.spot_radius_mm;
  std::optional<double> t_first;
  {
    std::vector<std::pair<std::string, int64_t>> ids;
    for (const HistoryHold& h : in) {
      ids.emplace_back(h.session_start_utc, h.session_id);
      if (const auto t = parseUtcSeconds(h.session_start_utc))
        t_first = t_first ? std::min(*t_first, *t) : *t;
    }
    std::sort(ids.begin(), ids.end());
    out.sessions = static_cast<size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }

  const std::vector<SpotCluster> clusters = findSpots(in, params.spot_radius_mm);
  std::vector<Spot> spots;
  for (size_t c = 0; c < clusters.size(); ++c) {
    Spot s = makeSpot(in, clusters[c].members, filter.side, t_first, params);
    s.id = static_cast<int>(c + 1);
    s.has_centre = true;
    s.x_mm = clusters[c].x_mm;
    s.y_mm = clusters[c].y_mm;
    s.spread_mm = clusters[c].spread_mm;
    spots.push_back(std::move(s));
  }

  if (filter.has_spot) {
    const double reach = 2 * params.spot_radius_mm;
    const Spot* nearest = nullptr;
    double best = std::numeric_limits<double>::infinity();
    for (const Spot& s : spots) {
      const double d = std::hypot(s.x_mm - filter.spot_x_mm, s.y_mm - filter.spot_y_mm);
      if (d < best) best = d, nearest = &s;
    }
    auto mm = [](double v) {
      char b[32];
      auto r =
          std::to_chars(b, b + sizeof(b), std::round(v * 10) / 10, std::chars_format::fixed, 1);
      return std::string(b, r.ptr);
    };
    const std::string asked = "(" + mm(filter.spot_x_mm) + ", " + mm(filter.spot_y_mm) + ") mm";
    if (!nearest || best > reach) {
      out.ok = false;
      out.error = "no spot within " + mm(reach) + " mm of " + asked;
      if (nearest)
        out.error += "; the nearest is spot " + std::to_string(nearest->id) + " at (" +
                     mm(nearest->x_mm) + ", " + mm(nearest->y_mm) + ") mm, " + mm(best) +
                     " mm away";
      else
        out.error += "; no hold has a position";
      return out;
    }
    Spot only = *nearest;
    spots = {only};
  }
  for (Spot& s : spots)
    if (!s.sides.empty()) out.spots.push_back(std::move(s));

  if (!filter.has_spot) {
    std::vector<size_t> unplaced;
    for (size_t i = 0; i < in.size(); ++i)
      if (!placed(in[i].hold)) unplaced.push_back(i);
    if (!unplaced.empty()) {
      Spot u = makeSpot(in, unplaced, filter.side, t_first, params);
      if (!u.sides.empty()) out.unplaced = std::move(u);
    }
  }
  return out;
}

// [SECTION] Text

namespace {

std::string fixed(double v, int decimals) {
  if (std::abs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0;  // never "-0.0"
  char b[48];
  auto r = std::to_chars(b, b + sizeof(b), v, std::chars_format::fixed, decimals);
  return std::string(b, r.ptr);
}

std::string signedFixed(double v, int decimals) {
  const std::string s = fixed(v, decimals);
  return s[0] == '-' || s.find_first_not_of("0.") == std::string::npos ? s : "+" + s;
}

std::string pad(std::string s, size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string trendText(const Trend& t, const char* unit) {
  if (!t.per_week) return "none (" + t.note + ")";
  return signedFixed(*t.per_week, 1) + " " + unit + "/week (n=" + std::to_string(t.n) + ")";
}

void writeSpotText(std::ostream& out, const Spot& s) {
  if (s.has_centre)
    out << "Spot " << s.id << " at (" << fixed(s.x_mm, 1) << ", " << fixed(s.y_mm, 1)
        << ") mm: " << s.holds << (s.holds == 1 ? " hold" : " holds") << ", within "
        << fixed(s.spread_mm, 1) << " mm of its centre\n";
  else
    out << "No position (force-only sessions): " << s.holds << (s.holds == 1 ? " hold" : " holds")
        << "\n";
  for (const SideHistory& sh : s.sides) {
    out << "  " << sideName(sh.side) << ": " << sh.holds << (sh.holds == 1 ? " hold, " : " holds, ")
        << sh.released << " released";
    if (sh.side_guessed) out << "; side guessed from the plate half for " << sh.side_guessed;
    out << "\n";
    out << "    " << pad("session", 9) << pad("start", 22) << pad("holds", 6, true)
        << pad("released", 10, true) << pad("to release", 12, true) << pad("force", 10, true)
        << "  not released (held)\n";
    for (const SessionPoint& p : sh.sessions) {
      const std::string to_release = p.median_release_s
                                         ? fixed(*p.median_release_s, 1) + " s"
                                         : "> " + fixed(p.release_at_least_s, 1) + " s";
      std::string censored;
      for (double c : p.censored_s) censored += (censored.empty() ? "" : ", ") + fixed(c, 1) + " s";
      out << "    " << pad(std::to_string(p.session_id), 9) << pad(p.start_utc, 22)
          << pad(std::to_string(p.holds), 6, true)
          << pad(std::to_string(p.released) + "/" + std::to_string(p.holds), 10, true)
          << pad(to_release, 12, true) << pad(fixed(p.median_force_n, 1) + " N", 10, true) << "  "
          << (censored.empty() ? "-" : censored) << "\n";
    }
    out << "    trend: time to release " << trendText(sh.release_trend, "s") << "; hold force "
        << trendText(sh.force_trend, "N") << "\n";
  }
}

}  // namespace

void writeHistoryText(std::ostream& out, const History& h) {
  if (!h.ok) {
    out << h.error << "\n";
    return;
  }
  out << "History: " << h.sessions << (h.sessions == 1 ? " session, " : " sessions, ") << h.holds
      << (h.holds == 1 ? " hold" : " holds") << "; a spot is the holds within "
      << fixed(h.spot_radius_mm, 0) << " mm of its busiest hold, " << fixed(2 * h.spot_radius_mm, 0)
      << " mm across at most (docs/HISTORY.md)\n";
  if (h.spots.empty() && !h.unplaced) {
    out << "No holds to show.\n";
    return;
  }
  for (const Spot& s : h.spots) {
    out << "\n";
    writeSpotText(out, s);
  }
  if (h.unplaced) {
    out << "\n";
    writeSpotText(out, *h.unplaced);
  }
}

// [SECTION] JSON

namespace {

class Json {
 public:
  explicit Json(std::ostream& out) : m_out(out) {}
  void raw(const char* s) { m_s += s; }
  void str(const std::string& s) {
    m_s += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          m_s += "\\\"";
          break;
        case '\\':
          m_s += "\\\\";
          break;
        case '\n':
          m_s += "\\n";
          break;
        case '\r':
          m_s += "\\r";
          break;
        case '\t':
          m_s += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            static const char* kHex = "0123456789abcdef";
            m_s += "\\u00";
            m_s += kHex[c >> 4];
            m_s += kHex[c & 15];
          } else {
            m_s += static_cast<char>(c);
          }
      }
    }
    m_s += '"';
  }
  void num(double v) {
    if (!std::isfinite(v)) {
      m_s += "null";
      return;
    }
    if (v == 0) v = 0;  // no "-0"
    char b[48];
    auto r = std::to_chars(b, b + sizeof(b), v);  // shortest round-trip form, locale-free
    m_s.append(b, r.ptr);
  }
  void num(std::optional<double> v) {
    if (v)
      num(*v);
    else
      m_s += "null";
  }
  void count(uint64_t v) { m_s += std::to_string(v); }
  void id(int64_t v) { m_s += std::to_string(v); }
  void key(const char* k) {
    str(k);
    m_s += ':';
  }
  void flush() { m_out.write(m_s.data(), static_cast<std::streamsize>(m_s.size())); }

 private:
  std::ostream& m_out;
  std::string m_s;
};

void trendJson(Json& j, const Trend& t, const char* slope_key) {
  j.raw("{");
  j.key("n");
  j.count(t.n);
  j.raw(",");
  j.key(slope_key);
  j.num(t.per_week);
  j.raw(",");
  j.key("note");
  if (t.per_week)
    j.raw("null");
  else
    j.str(t.note);
  j.raw("}");
}

void spotJson(Json& j, const Spot& s) {
  j.raw("{");
  j.key("id");
  j.id(s.id);
  j.raw(",");
  j.key("x_mm");
  j.num(s.has_centre ? std::optional<double>(s.x_mm) : std::nullopt);
  j.raw(",");
  j.key("y_mm");
  j.num(s.has_centre ? std::optional<double>(s.y_mm) : std::nullopt);
  j.raw(",");
  j.key("spread_mm");
  j.num(s.has_centre ? std::optional<double>(s.spread_mm) : std::nullopt);
  j.raw(",");
  j.key("holds");
  j.count(s.holds);
  j.raw(",");
  j.key("sides");
  j.raw("[");
  for (size_t k = 0; k < s.sides.size(); ++k) {
    const SideHistory& sh = s.sides[k];
    if (k) j.raw(",");
    j.raw("{");
    j.key("side");
    j.str(sideName(sh.side));
    j.raw(",");
    j.key("holds");
    j.count(sh.holds);
    j.raw(",");
    j.key("released");
    j.count(sh.released);
    j.raw(",");
    j.key("side_guessed");
    j.count(sh.side_guessed);
    j.raw(",");
    j.key("sessions");
    j.raw("[");
    for (size_t i = 0; i < sh.sessions.size(); ++i) {
      const SessionPoint& p = sh.sessions[i];
      if (i) j.raw(",");
      j.raw("{");
      j.key("session_id");
      j.id(p.session_id);
      j.raw(",");
      j.key("start_utc");
      j.str(p.start_utc);
      j.raw(",");
      j.key("weeks");
      j.num(p.weeks);
      j.raw(",");
      j.key("holds");
      j.count(p.holds);
      j.raw(",");
      j.key("released");
      j.count(p.released);
      j.raw(",");
      j.key("release_share");
      j.num(p.release_share);
      j.raw(",");
      j.key("median_release_s");
      j.num(p.median_release_s);
      j.raw(",");
      j.key("release_at_least_s");
      j.num(p.median_release_s ? std::nullopt : std::optional<double>(p.release_at_least_s));
      j.raw(",");
      j.key("censored_s");
      j.raw("[");
      for (size_t c = 0; c < p.censored_s.size(); ++c) {
        if (c) j.raw(",");
        j.num(p.censored_s[c]);
      }
      j.raw("],");
      j.key("median_force_N");
      j.num(p.median_force_n);
      j.raw("}");
    }
    j.raw("],");
    j.key("release_trend");
    trendJson(j, sh.release_trend, "s_per_week");
    j.raw(",");
    j.key("force_trend");
    trendJson(j, sh.force_trend, "N_per_week");
    j.raw("}");
  }
  j.raw("]}");
}

}  // namespace

void writeHistoryJson(std::ostream& out, const History& h) {
  Json j(out);
  j.raw("{");
  j.key("ok");
  j.raw(h.ok ? "true" : "false");
  j.raw(",");
  j.key("error");
  if (h.ok)
    j.raw("null");
  else
    j.str(h.error);
  j.raw(",");
  j.key("sessions");
  j.count(h.sessions);
  j.raw(",");
  j.key("holds");
  j.count(h.holds);
  j.raw(",");
  j.key("spot_radius_mm");
  j.num(h.spot_radius_mm);
  j.raw(",");
  j.key("spots");
  j.raw("[");
  for (size_t i = 0; i < h.spots.size(); ++i) {
    if (i) j.raw(",");
    spotJson(j, h.spots[i]);
  }
  j.raw("],");
  j.key("unplaced");
  if (h.unplaced)
    spotJson(j, *h.unplaced);
  else
    j.raw("null");
  j.raw("}\n");
  j.flush();
}

}  // namespace rollrig::core

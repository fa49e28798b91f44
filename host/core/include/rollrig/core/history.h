// History: how time to release and hold force change, session by session, per spot on the plate
// and per side (`rollrig history`; the user's version is docs/HISTORY.md).
//
// In: the holds of many sessions, each with its session's id and start time. Out: spots (places
// on the plate found by clustering the hold centres of all sessions together), and per spot and
// side one row per session, with a least-squares trend per week once there are enough sessions.
//
// Spots (findSpots): a deterministic greedy clustering with a fixed radius. Every placed hold
// counts the other holds whose centres lie within spot_radius_mm (15 mm) of its own; the hold
// with the most such neighbours (ties: smaller x, then smaller y, then the earlier session, then
// the earlier start) seeds a spot, which takes every hold not yet in a spot within spot_radius_mm
// of the seed; then the same again over the holds left. So any two holds of one spot lie at most
// 30 mm apart: the distance at which the analyser ends a hold because the ball has left its spot
// (HoldParams::exit_radius_mm), so what the analyser calls one place the history does too. Two
// holds 60 mm apart are never one spot. The result depends only on the set of holds, never on
// their order in the input. Holds without a centre (force-only sessions) are not clustered: they
// are reported apart, as History::unplaced.
//
// Time to release (per session, per spot and side): release_s - start_s of each hold; a hold that
// never released is censored at its duration (it lasted that long without releasing, which is
// information, not a release). The median is the Kaplan-Meier median: the first time at which
// the estimated share of holds not yet released falls to one half (when it is exactly one half
// over an interval, the middle of that interval, so with every hold released it is the ordinary
// median). When censored holds keep that share above one half, there is no median: only a lower
// bound, the longest time seen (`> 62 s`).
//
// Pure and reentrant: plain data in, plain data out; no clock (times arrive as ISO 8601 text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"

namespace rollrig::core {

// [SECTION] Input

struct HistoryHold {
  int64_t session_id = 0;
  std::string session_start_utc;  // ISO 8601 UTC, e.g. "2026-11-29T09:50:00Z" (orders sessions)
  Hold hold;                      // times in the session's own seconds; centre in plate mm
};

inline constexpr double kSpotRadius_mm = 15;  // seed to member; so 30 mm across at most
inline constexpr size_t kMinTrendSessions = 3;

struct HistoryParams {
  double spot_radius_mm = kSpotRadius_mm;
  size_t min_trend_sessions = kMinTrendSessions;  // sessions with a value, for a trend
};

struct HistoryFilter {
  std::optional<Side> side;  // only holds of this side (kUnknown: holds with no side at all)
  // Only the spot whose centre is nearest to (x, y), if it lies within 2 x spot_radius_mm (the
  // widest a spot can be); none nearer: History::ok is false and error says which is nearest.
  bool has_spot = false;
  double spot_x_mm = 0;
  double spot_y_mm = 0;
};

// [SECTION] Spots

struct SpotCluster {
  double x_mm = 0;  // the mean of its holds' centres
  double y_mm = 0;
  double spread_mm = 0;         // the largest distance of a hold's centre from that mean
  std::vector<size_t> members;  // indices into the input, ascending
};

// The clustering described above, over the holds with has_xy and a finite centre (others are in
// no cluster). Spots come most holds first (ties: smaller x, then smaller y). spot_radius_mm > 0.
// Cost: about n x (holds within reach of each) + n x spots: 20,000 holds at 8 places take about
// 0.35 s on one core.
std::vector<SpotCluster> findSpots(const std::vector<HistoryHold>& holds,
                                   double spot_radius_mm = kSpotRadius_mm);

// [SECTION] Output

// Seconds since 1970-01-01T00:00:00Z of "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]" (a space
// may stand for the T); nullopt for anything else. Pure arithmetic, no time zone database.
std::optional<double> parseUtcSeconds(const std::string& iso8601);

// A session's holds at one spot, on one side.
struct SessionPoint {
  int64_t session_id = 0;
  std::string start_utc;
  std::optional<double> weeks;  // since the first session of the history; none if start unparsed
  size_t holds = 0;
  size_t released = 0;
  std::optional<double> median_release_s;  // Kaplan-Meier median time to release (see above)
  double release_at_least_s = 0;   // without a median: the longest time seen (a lower bound)
  std::vector<double> censored_s;  // durations of the holds that never released, ascending
  double release_share = 0;        // released / holds
  double median_force_n = 0;       // median of the holds' mean forces
};

// A least-squares line through (weeks, value) over the sessions that have a value.
struct Trend {
  size_t n = 0;                    // sessions used
  std::optional<double> per_week;  // the slope; none when n < min_trend_sessions, or one day
  std::string note;  // why there is none, e.g. "needs 3 sessions with a median, has 2"
};

struct SideHistory {
  Side side = Side::kUnknown;
  size_t holds = 0;
  size_t released = 0;
  size_t side_guessed = 0;  // holds whose side is only the plate half (SideSource::kPlateGuess)
  std::vector<SessionPoint> sessions;  // in start order (unparsed starts last, then by id)
  Trend release_trend;  // s per week, over the sessions with a median time to release
  Trend force_trend;    // N per week, over all sessions
};

struct Spot {
  int id = 0;               // 1.. by hold count (most first); 0: the holds without a position
  bool has_centre = false;  // false for History::unplaced
  double x_mm = 0;
  double y_mm = 0;
  double spread_mm = 0;
  size_t holds = 0;                // all sides, before the side filter
  std::vector<SideHistory> sides;  // left, right, then unknown; only sides with holds (filtered)
};

struct History {
  bool ok = true;
  std::string error;  // when !ok: e.g. no spot near the asked position
  size_t sessions = 0;
  size_t holds = 0;  // all holds in, before the filters
  double spot_radius_mm = kSpotRadius_mm;
  std::vector<Spot> spots;       // after the filters (a spot with no hold of the side is left out)
  std::optional<Spot> unplaced;  // holds with no position (force-only sessions), if any (filtered)
};

History buildHistory(const std::vector<HistoryHold>& holds, const HistoryFilter& filter = {},
                     const HistoryParams& params = {});

// [SECTION] Writers (for `rollrig history`; '.' decimals whatever the stream's locale)

// A plain text table per spot and side, one line per session, then the trends.
void writeHistoryText(std::ostream& out, const History& h);
// One JSON object (written by hand: core has no JSON library; strings are escaped, numbers are
// locale-free, absent values are null). Keys: docs/HISTORY.md.
void writeHistoryJson(std::ostream& out, const History& h);

}  // namespace rollrig::core

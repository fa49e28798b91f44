// History across sessions (issue 10, `rollrig history`): spots found by clustering hold centres,
// time to release with censored holds, side and spot filters, trends, and the writers.
#include "rollrig/core/history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <locale>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "comma_locale.h"

using namespace rollrig::core;

namespace {

// A hold of `session` at (x, y): starts at start_s, lasts duration_s, releases after release_after
// seconds (< 0: never).
HistoryHold hold(int64_t session, const std::string& start_utc, double x, double y,
                 Side side = Side::kLeft, double start_s = 10, double duration_s = 60,
                 double release_after = 30, double force_n = 300) {
  HistoryHold h;
  h.session_id = session;
  h.session_start_utc = start_utc;
  h.hold.start_s = start_s;
  h.hold.end_s = start_s + duration_s;
  if (release_after >= 0) h.hold.release_s = start_s + release_after;
  h.hold.has_xy = true;
  h.hold.x_mm = x;
  h.hold.y_mm = y;
  h.hold.side = side;
  h.hold.side_source = SideSource::kUser;
  h.hold.mean_force_n = force_n;
  return h;
}

HistoryHold unplacedHold(int64_t session, const std::string& start_utc, double release_after) {
  HistoryHold h = hold(session, start_utc, 0, 0, Side::kRight, 5, 50, release_after);
  h.hold.has_xy = false;
  h.hold.x_mm = h.hold.y_mm = 0;
  return h;
}

// The week-`w` session's start (2026-11-02 is a Monday).
std::string week(int w, int day = 0) {
  const int d = 2 + 7 * w + day;  // November has 30 days; stay inside it for w <= 3
  char b[32];
  std::snprintf(b, sizeof(b), "2026-11-%02dT18:00:00Z", d);
  return b;
}

// A hold's identity that survives shuffling: its session and start.
using HoldKey = std::tuple<int64_t, double>;

std::set<std::set<HoldKey>> clustersAsSets(const std::vector<HistoryHold>& in) {
  std::set<std::set<HoldKey>> out;
  for (const SpotCluster& c : findSpots(in)) {
    std::set<HoldKey> members;
    for (size_t i : c.members) members.insert({in[i].session_id, in[i].hold.start_s});
    out.insert(members);
  }
  return out;
}

// Holds scattered around a few spots over many sessions, each with a distinct (session, start).
std::vector<HistoryHold> scatteredHolds(unsigned seed, size_t n) {
  std::mt19937 rng(seed);
  const double centres[][2] = {{-150, 40}, {-120, 60}, {140, 35}, {0, -80}, {-150, 5}};
  std::normal_distribution<double> wander(0, 9);
  std::uniform_int_distribution<int> which(0, 4);
  std::vector<HistoryHold> holds;
  for (size_t k = 0; k < n; ++k) {
    const int c = which(rng);
    holds.push_back(hold(static_cast<int64_t>(k / 6), week(0), centres[c][0] + wander(rng),
                         centres[c][1] + wander(rng), c < 2 ? Side::kLeft : Side::kRight,
                         10.0 + static_cast<double>(k % 6) * 100));
  }
  return holds;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

using rollrig::testing::CommaDecimals;
using rollrig::testing::CommaLocale;

}  // namespace

// [SECTION] Spots

TEST(History, ClusteringIsDeterministicAndOrderIndependent) {
  std::vector<HistoryHold> holds = scatteredHolds(11, 240);
  const auto reference = clustersAsSets(holds);
  EXPECT_EQ(clustersAsSets(holds), reference) << "the same input twice";
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::shuffle(holds.begin(), holds.end(), rng);
    ASSERT_EQ(clustersAsSets(holds), reference) << "shuffle " << trial;
  }
  // And the spots' order and centres do not depend on it either.
  const std::vector<SpotCluster> a = findSpots(holds);
  std::reverse(holds.begin(), holds.end());
  const std::vector<SpotCluster> b = findSpots(holds);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_NEAR(a[k].x_mm, b[k].x_mm, 1e-9);
    EXPECT_NEAR(a[k].y_mm, b[k].y_mm, 1e-9);
    EXPECT_EQ(a[k].members.size(), b[k].members.size());
  }
}

TEST(History, NoTwoHoldsOfASpotLieMoreThanTwoRadiiApartAndEveryPlacedHoldIsInOne) {
  const std::vector<HistoryHold> holds = scatteredHolds(23, 300);
  size_t members = 0;
  for (const SpotCluster& c : findSpots(holds)) {
    members += c.members.size();
    for (size_t i : c.members)
      for (size_t j : c.members)
        EXPECT_LE(std::hypot(holds[i].hold.x_mm - holds[j].hold.x_mm,
                             holds[i].hold.y_mm - holds[j].hold.y_mm),
                  2 * kSpotRadius_mm + 1e-9);
  }
  EXPECT_EQ(members, holds.size());
}

TEST(History, TwoSessionsHoldsAtNearlyTheSameSpotLandInOneSpot) {
  const std::vector<HistoryHold> holds = {hold(1, week(0), -120, 40), hold(2, week(1), -112, 45)};
  const History h = buildHistory(holds);
  ASSERT_EQ(h.spots.size(), 1u);
  EXPECT_EQ(h.spots[0].holds, 2u);
  EXPECT_NEAR(h.spots[0].x_mm, -116, 1e-9);
  EXPECT_NEAR(h.spots[0].y_mm, 42.5, 1e-9);
  ASSERT_EQ(h.spots[0].sides.size(), 1u);
  EXPECT_EQ(h.spots[0].sides[0].sessions.size(), 2u) << "one row per session";
  EXPECT_EQ(h.sessions, 2u);
}

TEST(History, HoldsSixtyMillimetresApartAreTwoSpots) {
  const std::vector<HistoryHold> holds = {hold(1, week(0), -120, 40), hold(2, week(1), -60, 40),
                                          hold(3, week(2), -121, 41)};
  const History h = buildHistory(holds);
  ASSERT_EQ(h.spots.size(), 2u);
  EXPECT_EQ(h.spots[0].id, 1);
  EXPECT_EQ(h.spots[0].holds, 2u) << "most holds first";
  EXPECT_NEAR(h.spots[0].x_mm, -120.5, 1e-9);
  EXPECT_EQ(h.spots[1].holds, 1u);
  EXPECT_NEAR(h.spots[1].x_mm, -60, 1e-9);
}

TEST(History, HoldsWithoutAPositionAreReportedApartNotDropped) {
  const std::vector<HistoryHold> holds = {hold(1, week(0), -120, 40), unplacedHold(2, week(1), 20),
                                          unplacedHold(2, week(1), -1)};
  const History h = buildHistory(holds);
  EXPECT_EQ(h.holds, 3u);
  ASSERT_EQ(h.spots.size(), 1u);
  ASSERT_TRUE(h.unplaced.has_value());
  EXPECT_FALSE(h.unplaced->has_centre);
  EXPECT_EQ(h.unplaced->id, 0);
  EXPECT_EQ(h.unplaced->holds, 2u);
  ASSERT_EQ(h.unplaced->sides.size(), 1u);
  EXPECT_EQ(h.unplaced->sides[0].released, 1u);
}

// [SECTION] Time to release

TEST(History, CensoredHoldsAreNotCountedAsReleases) {
  // One session: released after 10 s and 20 s; one hold ended after 15 s without release. As if
  // released, the median would be 15 s; the hold that never released only says "not before 15 s".
  std::vector<HistoryHold> holds = {
      hold(1, week(0), -120, 40, Side::kLeft, 0, 60, 10),
      hold(1, week(0), -121, 40, Side::kLeft, 100, 15, -1),
      hold(1, week(0), -119, 40, Side::kLeft, 200, 60, 20),
  };
  History h = buildHistory(holds);
  ASSERT_EQ(h.spots.size(), 1u);
  const SessionPoint& p = h.spots[0].sides[0].sessions.at(0);
  EXPECT_EQ(p.holds, 3u);
  EXPECT_EQ(p.released, 2u);
  EXPECT_NEAR(p.release_share, 2.0 / 3, 1e-12);
  ASSERT_EQ(p.censored_s.size(), 1u);
  EXPECT_NEAR(p.censored_s[0], 15, 1e-9);
  ASSERT_TRUE(p.median_release_s.has_value());
  EXPECT_NEAR(*p.median_release_s, 20, 1e-9) << "Kaplan-Meier: half not released until 20 s";

  // Mostly censored: released after 30 s, two held 50 s and 60 s without release. No median:
  // more than half were still unreleased when last seen, so only "more than 60 s".
  holds = {hold(2, week(0), 0, 0, Side::kLeft, 0, 60, 30),
           hold(2, week(0), 0, 1, Side::kLeft, 100, 50, -1),
           hold(2, week(0), 1, 0, Side::kLeft, 200, 60, -1)};
  h = buildHistory(holds);
  const SessionPoint& q = h.spots.at(0).sides.at(0).sessions.at(0);
  EXPECT_EQ(q.released, 1u);
  EXPECT_FALSE(q.median_release_s.has_value());
  EXPECT_NEAR(q.release_at_least_s, 60, 1e-9);
  EXPECT_EQ(h.spots[0].sides[0].released, 1u);
}

TEST(History, WithEveryHoldReleasedTheMedianIsTheOrdinaryMedian) {
  std::vector<HistoryHold> holds;
  for (int k = 0; k < 4; ++k)
    holds.push_back(
        hold(1, week(0), 10, 10, Side::kRight, 100.0 * k, 90, 10.0 * (k + 1), 200.0 + 10 * k));
  const History h = buildHistory(holds);
  const SessionPoint& p = h.spots.at(0).sides.at(0).sessions.at(0);
  ASSERT_TRUE(p.median_release_s.has_value());
  EXPECT_NEAR(*p.median_release_s, 25, 1e-9);
  EXPECT_NEAR(p.median_force_n, 215, 1e-9);
  EXPECT_NEAR(p.release_share, 1.0, 1e-12);
  EXPECT_TRUE(p.censored_s.empty());
}

// [SECTION] Filters

TEST(History, SideFilterKeepsOnlyThatSidesHoldsAndTheSpotsStayTheSame) {
  const std::vector<HistoryHold> holds = {
      hold(1, week(0), -120, 40, Side::kLeft), hold(1, week(0), -118, 40, Side::kRight),
      hold(2, week(1), -121, 41, Side::kLeft), hold(2, week(1), 130, 40, Side::kRight)};
  const History all = buildHistory(holds);
  ASSERT_EQ(all.spots.size(), 2u);
  ASSERT_EQ(all.spots[0].sides.size(), 2u);
  EXPECT_EQ(all.spots[0].sides[0].side, Side::kLeft) << "left, then right";
  EXPECT_EQ(all.spots[0].sides[1].side, Side::kRight);

  HistoryFilter left;
  left.side = Side::kLeft;
  const History l = buildHistory(holds, left);
  ASSERT_EQ(l.spots.size(), 1u) << "the right-only spot is left out";
  EXPECT_EQ(l.spots[0].id, all.spots[0].id);
  ASSERT_EQ(l.spots[0].sides.size(), 1u);
  EXPECT_EQ(l.spots[0].sides[0].side, Side::kLeft);
  EXPECT_EQ(l.spots[0].sides[0].holds, 2u);

  HistoryFilter right;
  right.side = Side::kRight;
  const History r = buildHistory(holds, right);
  ASSERT_EQ(r.spots.size(), 2u);
  for (const Spot& s : r.spots) {
    ASSERT_EQ(s.sides.size(), 1u);
    EXPECT_EQ(s.sides[0].side, Side::kRight);
    EXPECT_EQ(s.sides[0].holds, 1u);
  }
}

TEST(History, SideGuessedFromThePlateHalfIsCounted) {
  std::vector<HistoryHold> holds = {hold(1, week(0), -120, 40), hold(2, week(1), -120, 41)};
  holds[1].hold.side_source = SideSource::kPlateGuess;
  const History h = buildHistory(holds);
  EXPECT_EQ(h.spots.at(0).sides.at(0).side_guessed, 1u);
}

TEST(History, SpotFilterPicksTheNearestSpotWithinItsReachAndNamesTheNearestOtherwise) {
  const std::vector<HistoryHold> holds = {hold(1, week(0), -120, 40), hold(2, week(1), -60, 40),
                                          hold(3, week(2), -121, 41)};
  HistoryFilter f;
  f.has_spot = true;
  f.spot_x_mm = -70;
  f.spot_y_mm = 30;
  const History h = buildHistory(holds, f);
  ASSERT_TRUE(h.ok) << h.error;
  ASSERT_EQ(h.spots.size(), 1u);
  EXPECT_NEAR(h.spots[0].x_mm, -60, 1e-9);
  EXPECT_EQ(h.spots[0].id, 2) << "the id it has without the filter";

  f.spot_x_mm = 100;
  f.spot_y_mm = 40;
  const History far = buildHistory(holds, f);
  EXPECT_FALSE(far.ok);
  EXPECT_TRUE(far.spots.empty());
  EXPECT_TRUE(contains(far.error, "no spot within 30.0 mm of (100.0, 40.0) mm")) << far.error;
  EXPECT_TRUE(contains(far.error, "the nearest is spot 2 at (-60.0, 40.0) mm, 160.0 mm away"))
      << far.error;
  std::ostringstream json;
  writeHistoryJson(json, far);
  const nlohmann::json j = nlohmann::json::parse(json.str());
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"], far.error);
  EXPECT_TRUE(j["spots"].empty());
}

// [SECTION] Trends

TEST(History, ATrendNeedsThreeSessions) {
  std::vector<HistoryHold> holds = {hold(1, week(0), 0, 0, Side::kLeft, 0, 90, 60, 300),
                                    hold(2, week(1), 1, 0, Side::kLeft, 0, 90, 50, 310)};
  History h = buildHistory(holds);
  const SideHistory* s = &h.spots.at(0).sides.at(0);
  EXPECT_FALSE(s->release_trend.per_week.has_value());
  EXPECT_EQ(s->release_trend.n, 2u);
  EXPECT_TRUE(contains(s->release_trend.note, "needs 3 sessions")) << s->release_trend.note;
  EXPECT_FALSE(s->force_trend.per_week.has_value());

  holds.push_back(hold(3, week(2), 0, 1, Side::kLeft, 0, 90, 40, 320));
  h = buildHistory(holds);
  s = &h.spots.at(0).sides.at(0);
  ASSERT_TRUE(s->release_trend.per_week.has_value()) << s->release_trend.note;
  EXPECT_EQ(s->release_trend.n, 3u);
  EXPECT_NEAR(*s->release_trend.per_week, -10, 1e-9);
  ASSERT_TRUE(s->force_trend.per_week.has_value());
  EXPECT_NEAR(*s->force_trend.per_week, 10, 1e-9);
  ASSERT_EQ(s->sessions.size(), 3u);
  EXPECT_NEAR(*s->sessions[2].weeks, 2, 1e-12);
}

TEST(History, ATrendLeavesOutSessionsWithoutAMedianAndSaysHowMany) {
  // Three sessions, but in the second nothing released: the release trend has n = 2, none.
  const std::vector<HistoryHold> holds = {hold(1, week(0), 0, 0, Side::kLeft, 0, 90, 60),
                                          hold(2, week(1), 0, 0, Side::kLeft, 0, 90, -1),
                                          hold(3, week(2), 0, 0, Side::kLeft, 0, 90, 40)};
  const History h = buildHistory(holds);
  const SideHistory& s = h.spots.at(0).sides.at(0);
  EXPECT_EQ(s.release_trend.n, 2u);
  EXPECT_FALSE(s.release_trend.per_week.has_value());
  EXPECT_EQ(s.force_trend.n, 3u);
  EXPECT_TRUE(s.force_trend.per_week.has_value());
}

TEST(History, SessionsAreInStartOrderWhateverTheirIds) {
  const std::vector<HistoryHold> holds = {hold(9, week(2), 0, 0), hold(3, week(0), 0, 0),
                                          hold(5, week(1), 0, 0)};
  const History h = buildHistory(holds);
  const auto& sessions = h.spots.at(0).sides.at(0).sessions;
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions[0].session_id, 3);
  EXPECT_EQ(sessions[1].session_id, 5);
  EXPECT_EQ(sessions[2].session_id, 9);
}

TEST(History, ReadsIso8601UtcTimesAndRefusesOthers) {
  EXPECT_EQ(parseUtcSeconds("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(parseUtcSeconds("2000-03-01T00:00:00Z"), 951868800.0);
  EXPECT_EQ(parseUtcSeconds("2026-11-29T09:50:00Z"), 1795945800.0);
  EXPECT_EQ(parseUtcSeconds("2026-11-29 11:50:00+02:00"), 1795945800.0);
  EXPECT_NEAR(*parseUtcSeconds("2026-11-29T09:50:00.250Z"), 1795945800.25, 1e-6);
  EXPECT_FALSE(parseUtcSeconds("2026-11-29T09:50:00"));  // no zone: not UTC
  EXPECT_FALSE(parseUtcSeconds("2026-02-29T09:50:00Z"));
  EXPECT_FALSE(parseUtcSeconds("29.11.2026 09:50"));
  EXPECT_FALSE(parseUtcSeconds(""));
}

TEST(History, AStartThatCannotBeReadStillShowsTheSessionButNoTrendFromIt) {
  const std::vector<HistoryHold> holds = {hold(1, "yesterday", 0, 0), hold(2, week(0), 0, 0)};
  const History h = buildHistory(holds);
  const auto& sessions = h.spots.at(0).sides.at(0).sessions;
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].session_id, 2) << "readable starts first";
  EXPECT_FALSE(sessions[1].weeks.has_value());
}

// [SECTION] Writers

TEST(History, JsonParsesEscapesItsStringsAndUsesPointDecimalsUnderACommaLocale) {
  std::vector<HistoryHold> holds = {
      hold(1, week(0), -120.25, 40, Side::kLeft, 0, 90, 12.5),
      hold(2, "a \"quoted\"\\ start\n", -120, 40.5, Side::kLeft, 0, 95.5, -1),
      unplacedHold(3, week(1), 20)};
  const History h = buildHistory(holds);
  std::ostringstream out;
  bool comma_in_force = false;
  {
    const CommaLocale comma;
    comma_in_force = comma.active;
    out.imbue(std::locale());
    writeHistoryJson(out, h);
  }
  ASSERT_TRUE(comma_in_force) << "the locale under test has comma decimals";

  const nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["sessions"], 3);
  EXPECT_EQ(j["holds"], 3);
  ASSERT_EQ(j["spots"].size(), 1u);
  const auto& side = j["spots"][0]["sides"][0];
  EXPECT_EQ(side["side"], "left");
  ASSERT_EQ(side["sessions"].size(), 2u);
  EXPECT_EQ(side["sessions"][0]["median_release_s"], 12.5);
  EXPECT_TRUE(side["sessions"][1]["median_release_s"].is_null());
  EXPECT_EQ(side["sessions"][1]["release_at_least_s"], 95.5);
  EXPECT_EQ(side["sessions"][1]["censored_s"][0], 95.5);
  EXPECT_EQ(side["sessions"][1]["start_utc"], "a \"quoted\"\\ start\n");
  EXPECT_EQ(j["spots"][0]["x_mm"], -120.125);
  EXPECT_TRUE(side["release_trend"]["s_per_week"].is_null());
  EXPECT_TRUE(j["unplaced"]["x_mm"].is_null());
  EXPECT_EQ(j["unplaced"]["holds"], 1);
}

TEST(History, TextShowsEachSessionsCensoredHoldsAndTheTrend) {
  const std::vector<HistoryHold> holds = {hold(1, week(0), 0, 0, Side::kLeft, 0, 90, 60, 300),
                                          hold(2, week(1), 1, 0, Side::kLeft, 0, 90, 50, 310),
                                          hold(3, week(2), 0, 1, Side::kLeft, 0, 70.25, -1, 320),
                                          hold(3, week(2), 0, 1, Side::kLeft, 100, 90, 40, 320)};
  std::ostringstream out;
  out.imbue(std::locale(std::locale::classic(), new CommaDecimals));
  writeHistoryText(out, buildHistory(holds));
  const std::string t = out.str();
  EXPECT_TRUE(contains(t, "Spot 1 at (0.2, 0.5) mm: 4 holds")) << t;
  EXPECT_TRUE(contains(t, "left: 4 holds, 3 released")) << t;
  EXPECT_TRUE(contains(t, "1/2")) << t;
  EXPECT_TRUE(contains(t, "70.2 s")) << "the censored hold's duration\n" << t;
  EXPECT_TRUE(contains(t, "trend: time to release -10.0 s/week (n=3)")) << t;
  EXPECT_FALSE(contains(t, "0,")) << "no comma decimals\n" << t;
}

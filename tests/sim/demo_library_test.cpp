// The demo library's plan (rollrig/sim/demo_library.h): one person over several weeks.
#include "rollrig/sim/demo_library.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

using namespace rollrig::sim;

namespace {

DemoLibraryPlan plan(uint64_t seed = 1, int sessions = 12, int weeks = 6) {
  DemoLibraryOptions o;
  o.seed = seed;
  o.sessions = sessions;
  o.weeks = weeks;
  o.start_day = *parseIsoDate("2026-10-01");
  return planDemoLibrary(o);
}

}  // namespace

TEST(DemoLibrary, ReadsRealCalendarDatesOnlyAndWritesIso8601) {
  EXPECT_EQ(parseIsoDate("1970-01-01"), 0);
  EXPECT_EQ(parseIsoDate("2026-10-01"), 20727);
  EXPECT_EQ(parseIsoDate("2028-02-29"), 21243);
  for (const char* bad : {"2026-02-30", "2027-02-29", "2026-13-01", "2026-1-01", "2026/10/01",
                          "2026-10-01x", "1969-12-31", "", "tomorrow"})
    EXPECT_FALSE(parseIsoDate(bad).has_value()) << bad;
  EXPECT_EQ(isoUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(isoUtc(20727LL * 86400 + 18 * 3600 + 40 * 60 + 5), "2026-10-01T18:40:05Z");
}

TEST(DemoLibrary, SpreadsTheSessionsOverTheWeeksOnDistinctDaysAtPlausibleHours) {
  for (auto [sessions, weeks] :
       {std::pair{12, 6}, std::pair{10, 4}, std::pair{3, 1}, std::pair{14, 2}, std::pair{5, 5}}) {
    const DemoLibraryPlan p = plan(3, sessions, weeks);
    ASSERT_EQ(p.sessions.size(), static_cast<size_t>(sessions));
    std::map<int, int> per_week;
    int64_t last = 0;
    for (const DemoSession& s : p.sessions) {
      const int64_t day = s.start_epoch_s / 86400 - 20727;
      EXPECT_GE(day, 0);
      EXPECT_LT(day, 7 * weeks);
      EXPECT_EQ(s.week, day / 7);
      EXPECT_GT(s.start_epoch_s / 86400, last / 86400) << "one a day, in time order";
      last = s.start_epoch_s;
      const int minute = static_cast<int>(s.start_epoch_s % 86400 / 60);
      const bool morning = minute >= 6 * 60 + 30 && minute < 8 * 60 + 10;
      const bool evening = minute >= 17 * 60 + 30 && minute < 21 * 60 + 30;
      EXPECT_TRUE(morning || evening) << s.started_utc;
      EXPECT_EQ(s.started_utc, isoUtc(s.start_epoch_s));
      ++per_week[s.week];
    }
    for (const auto& [week, n] : per_week) {
      EXPECT_GE(n, sessions / weeks) << "week " << week;
      EXPECT_LE(n, (sessions + weeks - 1) / weeks) << "week " << week;
    }
  }
}

TEST(DemoLibrary, IsOnePersonWithTwoOrThreeSpotsPerSideAndTheSameBuildEverySession) {
  const DemoLibraryPlan p = plan();
  int right = 0, left = 0;
  for (const TenderSpot& s : p.person.spots) (s.side == Side::kRight ? right : left)++;
  EXPECT_EQ(right, 3);
  EXPECT_TRUE(left == 2 || left == 3);
  EXPECT_FALSE(p.ball.empty());
  for (const DemoSession& s : p.sessions) {
    ASSERT_TRUE(s.body.person.has_value());
    EXPECT_EQ(s.body.person->build_seed, p.person.build_seed);
    EXPECT_EQ(s.body.person->body_mass_kg, p.person.body_mass_kg);
    EXPECT_EQ(s.body.person->spots.size(), p.person.spots.size());
    EXPECT_EQ(s.body.person->first_side, Side::kRight);
  }
  // Each session is its own seed.
  EXPECT_NE(p.sessions[0].body.seed, p.sessions[1].body.seed);
}

TEST(DemoLibrary, SpotsReleaseSoonerFewerHoldsAreGivenUpAndTheLoadCreepsUpOverTheWeeks) {
  const DemoLibraryPlan p = plan();
  const Person& first = *p.sessions.front().body.person;
  const Person& last = *p.sessions.back().body.person;
  EXPECT_NEAR(first.release_median_s, 70, 15);
  EXPECT_NEAR(last.release_median_s, 30, 7);
  EXPECT_GT(first.abandon_probability, 0.25);
  EXPECT_LT(last.abandon_probability, 0.1);
  EXPECT_LT(first.hold_load_fraction, last.hold_load_fraction);
  // Week by week (the mean of each week's sessions), never slower than two weeks before.
  std::map<int, std::pair<double, int>> by_week;
  for (const DemoSession& s : p.sessions) {
    by_week[s.week].first += s.body.person->release_median_s;
    by_week[s.week].second++;
  }
  std::vector<double> means;
  for (const auto& [w, v] : by_week) means.push_back(v.first / v.second);
  for (size_t i = 2; i < means.size(); ++i) EXPECT_LT(means[i], means[i - 2]);
}

TEST(DemoLibrary, MarksTheRightSideFirstAndTheLeftInThePauseBeforeGettingOnAgain) {
  const DemoLibraryPlan p = plan();
  int pains = 0, released = 0, notes = 0;
  for (const DemoSession& s : p.sessions) {
    ASSERT_FALSE(s.markers.empty());
    EXPECT_EQ(s.markers[0].kind, DemoMarker::Kind::kSide);
    EXPECT_EQ(s.markers[0].side, Side::kRight);
    EXPECT_EQ(s.markers[0].t_s, 0);
    EXPECT_TRUE(
        std::is_sorted(s.markers.begin(), s.markers.end(),
                       [](const DemoMarker& a, const DemoMarker& b) { return a.t_s < b.t_s; }));
    const Truth truth = BodyModel(s.body).truth();
    double last_right_end = 0, first_left_start = 1e9;
    for (const TruthSegment& seg : truth.segments) {
      if (seg.side == Side::kRight) last_right_end = seg.end_s;
      if (seg.side == Side::kLeft) first_left_start = std::min(first_left_start, seg.start_s);
    }
    int left_marks = 0;
    for (const DemoMarker& m : s.markers) {
      EXPECT_GE(m.t_s, 0);
      EXPECT_LT(m.t_s, s.record_s);
      if (m.kind == DemoMarker::Kind::kSide && m.side == Side::kLeft) {
        ++left_marks;
        EXPECT_GE(m.t_s, last_right_end);
        EXPECT_LT(m.t_s, first_left_start);
      }
      if (m.kind == DemoMarker::Kind::kPain) {
        ++pains;
        EXPECT_GE(m.pain, 1);
        EXPECT_LE(m.pain, 10);
      }
      if (m.kind == DemoMarker::Kind::kReleased) {
        // Shortly after a true release, inside its hold.
        bool inside = false;
        for (const TruthHold& h : truth.holds)
          inside = inside || (h.release_s && m.t_s > *h.release_s && m.t_s < *h.release_s + 3 &&
                              m.t_s < h.end_s);
        EXPECT_TRUE(inside) << "released at " << m.t_s;
        ++released;
      }
      notes += m.kind == DemoMarker::Kind::kNote;
    }
    EXPECT_EQ(left_marks, 1);
    // The recording runs to the plan's last lift-off and a little beyond.
    EXPECT_GT(s.record_s, truth.holds.back().end_s);
  }
  EXPECT_GT(pains, 12);
  EXPECT_GT(released, 12);
  EXPECT_GE(notes, 1);
}

TEST(DemoLibrary, TheSameSeedGivesTheSamePlanAndAnotherSeedAnother) {
  const DemoLibraryPlan a = plan(9), b = plan(9), c = plan(10);
  ASSERT_EQ(a.sessions.size(), b.sessions.size());
  for (size_t i = 0; i < a.sessions.size(); ++i) {
    EXPECT_EQ(a.sessions[i].started_utc, b.sessions[i].started_utc);
    EXPECT_EQ(a.sessions[i].body.seed, b.sessions[i].body.seed);
    EXPECT_EQ(a.sessions[i].record_s, b.sessions[i].record_s);
    EXPECT_EQ(a.sessions[i].markers.size(), b.sessions[i].markers.size());
    EXPECT_EQ(a.sessions[i].body.person->release_median_s,
              b.sessions[i].body.person->release_median_s);
  }
  bool differs = a.person.body_mass_kg != c.person.body_mass_kg;
  for (size_t i = 0; i < a.sessions.size(); ++i)
    differs = differs || a.sessions[i].started_utc != c.sessions[i].started_utc;
  EXPECT_TRUE(differs);
}

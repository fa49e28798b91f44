// The coaching gauges (coach_gauges.h): the model from scripted snapshots, without a window, and
// their place in the layout with every text inside its gauge at the sizes people use.
#include "coach_gauges.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "layout.h"
#include "scaled_ui.h"

using namespace rollrig;
using namespace rollrig::gui;

namespace {

constexpr double kG = 9.80665;

// A session `elapsed_s` long whose last 10 s rolled at `speed_mm_s` under `load_n` (one point a
// tenth of a second, as the engine makes them).
engine::LiveSnapshot rolling(double elapsed_s, double speed_mm_s, double load_n) {
  engine::LiveSnapshot s;
  s.samples_recorded = static_cast<uint64_t>(elapsed_s * 80);
  s.elapsed_s = elapsed_s;
  s.roll_speed_mm_s = speed_mm_s;
  s.last_force.total_n = load_n;
  for (int i = 100; i >= 1; --i) {
    engine::RecentPoint p;
    p.t_s = elapsed_s - (i - 1) * 0.1;
    p.load_n = load_n;
    p.roll_speed_mm_s = speed_mm_s;
    s.recent.push_back(p);
  }
  return s;
}

engine::LiveSnapshot holding(double elapsed_s, double load_n) {
  engine::LiveSnapshot s = rolling(elapsed_s, 2, load_n);
  s.open_hold = engine::OpenHoldView{};
  s.open_hold->elapsed_s = 12;
  for (auto& p : s.recent) p.roll_speed_mm_s.reset();  // the engine gives none in a hold
  return s;
}

}  // namespace

// [SECTION] Rolling speed

TEST(CoachGauges, TheSpeedIsGreenUnderTheLimitAndWarmAboveIt) {
  const core::CueSettings cues;  // the limit is the caller's
  core::CueSettings at30 = cues;
  at30.too_fast_mm_s = 30;
  const CoachGaugesModel slow = computeCoachGauges(rolling(60, 22.4, 300), at30, 70);
  EXPECT_EQ(slow.speed.value, "22");
  EXPECT_EQ(slow.speed.unit, "mm/s");
  EXPECT_EQ(slow.speed.state, GaugeModel::State::kGood);
  EXPECT_EQ(slow.speed.value_colour, kOk);
  EXPECT_EQ(slow.speed.words, "slowly");
  ASSERT_TRUE(slow.speed.now.has_value());
  EXPECT_DOUBLE_EQ(*slow.speed.now, 22.4);
  EXPECT_EQ(slow.speed.limit_text, "slowly: under 30 mm/s");
  EXPECT_TRUE(slow.speed.has_band);
  EXPECT_EQ(slow.speed.band_hi, 30);
  EXPECT_GT(slow.speed.scale_max, 30) << "room above the limit for a fast roll";

  const CoachGaugesModel fast = computeCoachGauges(rolling(60, 41, 300), at30, 70);
  EXPECT_EQ(fast.speed.value, "41");
  EXPECT_EQ(fast.speed.state, GaugeModel::State::kWarn);
  EXPECT_EQ(fast.speed.value_colour, kWarning);
  EXPECT_EQ(fast.speed.words, "TOO FAST");
  EXPECT_NE(kOk, kWarning);
}

TEST(CoachGauges, TheSpeedLimitIsTheOneTheCallerPasses) {
  core::CueSettings cues;
  cues.too_fast_mm_s = 45;
  const CoachGaugesModel m = computeCoachGauges(rolling(60, 41, 300), cues, 70);
  EXPECT_EQ(m.speed.state, GaugeModel::State::kGood) << "41 is slow enough under 45";
  EXPECT_EQ(m.speed.limit_text, "slowly: under 45 mm/s");
  EXPECT_EQ(m.speed.band_hi, 45);
}

TEST(CoachGauges, TheSpeedShownIsTheNewestTenthOfASecondsSoItChangesTenTimesASecond) {
  engine::LiveSnapshot s = rolling(60, 22, 300);
  s.roll_speed_mm_s = 23.7;  // the engine's latest sample: changes every frame
  EXPECT_EQ(computeCoachGauges(s, {}, 70).speed.value, "22");
  // A history that stopped (the rig away) shows no speed rather than an old one.
  s.elapsed_s += 1.0;
  const CoachGaugesModel away = computeCoachGauges(s, {}, 70);
  EXPECT_EQ(away.speed.value, "");
  EXPECT_EQ(away.speed.words, "not rolling");
}

TEST(CoachGauges, InAHoldTheSpeedGaugeSaysHoldingAndShowsNoSpeed) {
  const CoachGaugesModel m = computeCoachGauges(holding(60, 300), core::CueSettings{}, 70);
  EXPECT_EQ(m.speed.words, "holding");
  EXPECT_EQ(m.speed.value, "");
  EXPECT_FALSE(m.speed.now.has_value());
  EXPECT_EQ(m.speed.state, GaugeModel::State::kIdle);
  EXPECT_TRUE(m.speed.runs.empty()) << "a held ball draws no rolling trace";
  // The pressure gauge still judges the load in a hold (the band cue is a hold's).
  EXPECT_NE(m.pressure.state, GaugeModel::State::kIdle);
}

TEST(CoachGauges, SaysTheShareOfTheSessionsRollingThatWasTooFast) {
  engine::LiveSnapshot s = rolling(120, 25, 300);
  s.rolling.rolling_s = 80;
  s.rolling.fast_share = 0.124;
  EXPECT_EQ(computeCoachGauges(s, {}, 70).speed.footer, "too fast 12 % of rolling");
  s.rolling.fast_share.reset();
  EXPECT_EQ(computeCoachGauges(s, {}, 70).speed.footer, "too fast: nothing rolled yet");
  EXPECT_EQ(computeCoachGauges(engine::LiveSnapshot{}, {}, 70).speed.footer, "")
      << "no session, no figure";
}

TEST(CoachGauges, WithoutDataBothGaugesSaySoAndShowNoNumber) {
  const CoachGaugesModel m = computeCoachGauges(engine::LiveSnapshot{}, {}, 70);
  EXPECT_EQ(m.speed.state, GaugeModel::State::kNoData);
  EXPECT_EQ(m.pressure.state, GaugeModel::State::kNoData);
  EXPECT_EQ(m.speed.value, "");
  EXPECT_EQ(m.pressure.value, "");
  EXPECT_EQ(m.speed.words, "no data yet");
}

// [SECTION] Pressure

TEST(CoachGauges, ThePressureIsThePercentOfBodyWeightAgainstTheBand) {
  const double bw_n = 70 * kG;
  const core::CueSettings cues;  // 20-50 %
  const auto at = [&](double fraction) {
    return computeCoachGauges(rolling(60, 20, fraction * bw_n), cues, 70).pressure;
  };
  const GaugeModel in = at(0.33);
  EXPECT_EQ(in.value, "33");
  EXPECT_EQ(in.unit, "% BW");
  EXPECT_EQ(in.state, GaugeModel::State::kGood);
  EXPECT_EQ(in.words, "in the band");
  EXPECT_EQ(in.limit_text, "band 20\u201350 % of body weight");
  EXPECT_TRUE(in.has_band);
  EXPECT_DOUBLE_EQ(in.band_lo, 20);
  EXPECT_DOUBLE_EQ(in.band_hi, 50);
  ASSERT_TRUE(in.now.has_value());
  EXPECT_NEAR(*in.now, 33, 1e-9);
  EXPECT_EQ(at(0.12).words, "too light");
  EXPECT_EQ(at(0.12).state, GaugeModel::State::kWarn);
  EXPECT_EQ(at(0.62).words, "TOO HEAVY");
  EXPECT_EQ(at(0.62).value_colour, kWarning);
  EXPECT_EQ(at(0.005).words, "off the ball") << "nobody on it is not 'too light'";
  EXPECT_EQ(at(0.005).state, GaugeModel::State::kIdle);
  EXPECT_GE(at(0.62).scale_max, 62) << "the chart reaches the load";
}

TEST(CoachGauges, TheBandIsTheOneTheCallerPassesAndTheNumberIsTheReadoutGiven) {
  core::CueSettings cues;
  cues.band_low = 0.30;
  cues.band_high = 0.40;
  const double bw_n = 80 * kG;
  const CoachGaugesModel m =
      computeCoachGauges(rolling(60, 20, 0.45 * bw_n), cues, 80, 0.35 * bw_n);
  EXPECT_EQ(m.pressure.value, "35") << "the readout, not the latest sample";
  EXPECT_EQ(m.pressure.state, GaugeModel::State::kGood);
  EXPECT_EQ(m.pressure.limit_text, "band 30\u201340 % of body weight");
  // The trace is the engine's history in % of this body weight.
  ASSERT_EQ(m.pressure.runs.size(), 1u);
  EXPECT_NEAR(m.pressure.runs[0].back().value, 45, 1e-9);
}

TEST(CoachGauges, WithoutABodyMassItAsksForItInsteadOfInventingAPercent) {
  const CoachGaugesModel m = computeCoachGauges(rolling(60, 20, 312.4), {}, 0);
  EXPECT_EQ(m.pressure.unit, "N");
  EXPECT_EQ(m.pressure.value, "312");
  EXPECT_EQ(m.pressure.words, "set your body mass in Settings");
  EXPECT_FALSE(m.pressure.has_band);
  EXPECT_EQ(m.pressure.state, GaugeModel::State::kIdle) << "no judgement without a band";
  ASSERT_FALSE(m.pressure.runs.empty());
  EXPECT_NEAR(m.pressure.runs[0].back().value, 312.4, 1e-9) << "the trace in newtons";
}

// [SECTION] The last 10 s

TEST(CoachGauges, TheTraceIsTheLastTenSecondsAndBreaksWhereTheBallWasHeld) {
  engine::LiveSnapshot s = rolling(100, 25, 300);
  // 3 s held in the middle (no speed), and a point older than 10 s that must not show.
  for (auto& p : s.recent)
    if (p.t_s > 94 && p.t_s < 97) p.roll_speed_mm_s.reset();
  engine::RecentPoint old;
  old.t_s = 89.5;
  old.roll_speed_mm_s = 25;
  s.recent.insert(s.recent.begin(), old);
  const CoachGaugesModel m = computeCoachGauges(s, {}, 70);
  ASSERT_EQ(m.speed.runs.size(), 2u) << "before and after the hold";
  EXPECT_NEAR(m.speed.runs[0].front().age_s, 9.9, 1e-9) << "the oldest shown is 9.9 s back";
  EXPECT_NEAR(m.speed.runs[1].back().age_s, 0, 1e-9) << "the newest is now";
  for (const auto& run : m.speed.runs)
    for (const auto& p : run) {
      EXPECT_LE(p.age_s, engine::kRecent_s);
      EXPECT_TRUE(p.age_s <= 100 - 97 + 1e-9 || p.age_s >= 100 - 94 - 1e-9) << p.age_s;
    }
  // The load is traced through the hold.
  EXPECT_EQ(m.pressure.runs.size(), 1u);
}

TEST(CoachGauges, AGapInTheDataBreaksTheTrace) {
  engine::LiveSnapshot s = rolling(100, 25, 300);
  s.recent.erase(s.recent.begin() + 40, s.recent.begin() + 50);  // a second lost
  EXPECT_EQ(computeCoachGauges(s, {}, 70).pressure.runs.size(), 2u);
}

// [SECTION] In the layout

TEST(CoachGaugesLayout, TheGaugesSitBesideThePlotWithoutCrampingTheTimerOrThePlate) {
  struct Size {
    float w, h;
  };
  for (float scale : {1.0f, 2.0f})
    for (const Size sz : {Size{1260, 720}, Size{1920, 1080}}) {
      SCOPED_TRACE(std::to_string(sz.w) + "x" + std::to_string(sz.h) + " scale " +
                   std::to_string(scale));
      const Layout l = computeLayout(sz.w * scale, sz.h * scale, scale);
      EXPECT_LE(l.plot.x1, l.gauges.x0) << "the plot ends before the gauges";
      EXPECT_LE(l.gauges.x1, l.plate.x0);
      EXPECT_LE(l.gauges.x1, l.protocol.x0);
      EXPECT_GE(l.gauges.y0, l.hold.y1) << "below the hold panel";
      EXPECT_LE(l.gauges.y1, sz.h * scale);
      EXPECT_EQ(l.gauges.y0, l.plot.y0);
      EXPECT_GE(l.hold.height(), kFontHuge_px * scale) << "the timer keeps its room";
      EXPECT_GE(l.plate.height(), 300 * scale);
      EXPECT_GE(l.plot.width(), 400 * scale) << "the plot stays a plot";
      EXPECT_GE(l.gauges.width(), 270 * scale);
      EXPECT_GE(l.gauges.height(), 260 * scale) << "two gauges of about 130 px";
    }
}

TEST(CoachGaugesLayout, EveryTextLiesInsideItsGaugeAndTheNumbersAreLargerThanTheLargeFont) {
  if (!std::filesystem::exists(rollrig::testing::kDejaVu))
    GTEST_SKIP() << rollrig::testing::kDejaVu << " is missing (fonts-dejavu-core)";
  engine::LiveSnapshot s = rolling(600, 148, 0.62 * 70 * kG);  // three digits, out of the band
  s.rolling.fast_share = 1.0;                                  // the longest footer
  struct Size {
    float w, h;
  };
  for (float scale : {1.0f, 2.0f}) {
    rollrig::testing::ScaledUi ui(scale);
    const Fonts& f = ui.fonts;
    for (const Size sz : {Size{1000, 640}, Size{1260, 720}, Size{1920, 1080}}) {
      SCOPED_TRACE(std::to_string(sz.w) + "x" + std::to_string(sz.h) + " scale " +
                   std::to_string(scale));
      ImGuiIO& io = ImGui::GetIO();
      io.DisplaySize = ImVec2(sz.w * scale, sz.h * scale);
      io.DeltaTime = 1.0f / 60;
      const Layout lay = computeLayout(io.DisplaySize.x, io.DisplaySize.y, scale);
      Rect speed, pressure;
      splitCoachGauges(lay.gauges, scale, &speed, &pressure);
      for (double mass : {70.0, 0.0}) {
        const CoachGaugesModel m = computeCoachGauges(s, core::CueSettings{}, mass);
        ImGui::NewFrame();
        SolidFills fills;
        std::vector<DrawnText> log;
        g_drawn_text = &log;
        drawCoachGauges(m, lay.gauges, f, fills);
        g_drawn_text = nullptr;
        ImGui::EndFrame();
        ASSERT_FALSE(log.empty());
        float digits_px = 0;
        for (const DrawnText& t : log) {
          const Rect& in = t.box.y0 < speed.y1 ? speed : pressure;
          EXPECT_GE(t.box.x0, in.x0 - 1) << t.s;
          EXPECT_LE(t.box.x1, in.x1 + 1) << t.s;
          EXPECT_GE(t.box.y0, in.y0 - 1) << t.s;
          EXPECT_LE(t.box.y1, in.y1 + 1) << t.s;
          if (t.s == "148") digits_px = t.box.y1 - t.box.y0;
        }
        for (size_t i = 0; i < log.size(); ++i)
          for (size_t j = i + 1; j < log.size(); ++j) {
            const Rect& a = log[i].box;
            const Rect& b = log[j].box;
            EXPECT_FALSE(a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1)
                << "\"" << log[i].s << "\" and \"" << log[j].s << "\" overlap";
          }
        // Read from the floor: at the window's default size and larger, the speed's number is
        // drawn well above the large font (at 1000x640 the plot's row leaves less height).
        if (sz.w >= 1260) {
          EXPECT_GT(digits_px, f.large_px * 1.2f);
        }
        EXPECT_GT(digits_px, f.normal_px * 1.3f);
        // The band and the meter are drawn as solid fills in their colours.
        bool band = false, meter = false;
        for (const SolidFill& fill : fills) {
          band = band || fill.c == gaugeBandColour();
          meter = meter || fill.c == kWarning;
        }
        EXPECT_TRUE(band);
        EXPECT_TRUE(meter) << "148 mm/s and 62 % are both warm";
      }
    }
  }
}

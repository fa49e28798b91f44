// Session exports (issue 10, `rollrig export` / `rollrig import`): holds.csv, markers.csv and
// events.csv written and read back byte for byte, RFC 4180 quoting, '.' decimals under any
// locale, line-numbered errors; and reading either form of session CSV for import.
#include "rollrig/core/session_export.h"

#include <gtest/gtest.h>

#include <cmath>
#include <locale>
#include <random>
#include <sstream>
#include <string>

#include "comma_locale.h"
#include "rollrig/core/session_csv.h"

using namespace rollrig::core;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

using rollrig::testing::CommaLocale;

std::vector<Hold> awkwardHolds() {
  std::vector<Hold> holds;
  Hold a;  // released, with a position; times that are not whole microseconds
  a.start_s = 12.3456784;
  a.end_s = 75.0000006;
  a.release_s = 44.1234565;
  a.release_source = "load-up+tremor";
  a.mean_force_n = 312.123456;
  a.peak_force_n = 350.25;
  a.has_xy = true;
  a.x_mm = -120.004;
  a.y_mm = -0.004;  // rounds to zero: never "-0.00"
  a.side = Side::kLeft;
  a.side_source = SideSource::kUser;
  a.step_fraction = 0.0512345;
  a.tremor_ratio = 0.61;
  a.cv_before = 0.0301;
  a.cv_after = 0.02;
  a.reached_protocol_min = true;
  HoldSteadiness st;
  st.path_mm = 104.5049;  // rounds to 104.50
  st.mean_velocity_mm_s = 2.59251;
  st.ml_range_mm = 4.725;
  st.ap_range_mm = 0.001;  // rounds to zero
  st.rms_mm = 2.0914;
  st.ellipse95_mm2 = 31.66666;
  st.measured_s = 40.3125004;
  a.steadiness = st;
  holds.push_back(a);
  Hold b;  // never released, no position (force only), side a plate guess
  b.start_s = 100;
  b.end_s = 196.5;
  b.mean_force_n = 1e-9;
  b.peak_force_n = 250;
  b.side = Side::kRight;
  b.side_source = SideSource::kPlateGuess;
  b.exceeded_protocol_max = true;
  b.reached_protocol_min = true;
  b.release_source = "a source, with \"quotes\"";
  holds.push_back(b);
  Hold c;  // all defaults
  holds.push_back(c);
  return holds;
}

std::vector<Marker> awkwardMarkers() {
  std::vector<Marker> m(7);
  m[0].t_us = 5'000'000 - 250'000;  // before the first sample
  m[0].kind = MarkerKind::kNote;
  m[0].text = "warming up, slowly";
  m[1].t_us = 5'000'000 + 1'234'567;
  m[1].kind = MarkerKind::kSide;
  m[1].side = Side::kLeft;
  m[2].t_us = 5'000'000 + 31'000'000;
  m[2].kind = MarkerKind::kPain;
  m[2].pain = 7;
  m[3].t_us = 5'000'000 + 40'000'001;
  m[3].kind = MarkerKind::kReleased;
  m[4].t_us = 5'000'000 + 41'000'000;
  m[4].kind = MarkerKind::kNote;
  m[4].text = "she said \"now\", then\nit went\r\nsoft";
  m[5].t_us = 5'000'000 + 42'000'000;
  m[5].kind = MarkerKind::kNote;
  m[5].text = "Schmerz \xC3\xBC \xE2\x80\x93 \"\"";
  m[6].t_us = 5'000'000 + 43'000'000;
  m[6].kind = MarkerKind::kPain;
  m[6].pain = 0;
  m[6].text = "none at all\x01";
  return m;
}

std::vector<ConnectionEvent> awkwardEvents() {
  std::vector<ConnectionEvent> e(4);
  e[0].t_us = 1000;
  e[0].kind = ConnectionEventKind::kConnected;
  e[0].detail = "/dev/ttyACM0";
  e[0].wall_utc = "2026-11-29T09:50:00Z";
  e[1].t_us = 1000 + 61'000'000;
  e[1].kind = ConnectionEventKind::kDisconnected;
  e[1].detail = "read failed: Input/output error, errno 5";
  e[2].t_us = 1000 + 61'012'500;
  e[2].kind = ConnectionEventKind::kReconnected;
  e[2].frames_lost = 480;
  e[2].gap_s = 6.0123456789;
  e[3].t_us = 1000 + 70'000'000;
  e[3].kind = ConnectionEventKind::kGap;
  e[3].frames_lost = 3;
  return e;
}

template <class Writer>
std::string written(Writer&& w) {
  std::ostringstream out;
  w(out);
  return out.str();
}

}  // namespace

// [SECTION] RFC 4180

TEST(SessionExport, QuotesOnlyTheFieldsThatNeedIt) {
  EXPECT_EQ(csvField("plain text"), "plain text");
  EXPECT_EQ(csvField(""), "");
  EXPECT_EQ(csvField("a, b"), "\"a, b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csvField("bell\a"), "\"bell\a\"") << "a reader refuses control bytes unquoted";
  EXPECT_EQ(csvField("tab\there"), "tab\there");
}

TEST(SessionExport, NotesWithCommasQuotesAndNewlinesRoundTrip) {
  const std::vector<Marker> markers = awkwardMarkers();
  const std::string csv = written([&](std::ostream& o) { writeMarkersCsv(o, markers, 5'000'000); });
  EXPECT_TRUE(contains(csv, "\n41.000000,note,,,\"she said \"\"now\"\", then\nit went\r\nsoft\"\n"))
      << csv;
  std::istringstream in(csv);
  const MarkersCsv back = readMarkersCsv(in, 5'000'000);
  ASSERT_TRUE(back.ok()) << back.error;
  ASSERT_EQ(back.markers.size(), markers.size());
  for (size_t i = 0; i < markers.size(); ++i) {
    EXPECT_EQ(back.markers[i].t_us, markers[i].t_us) << i;
    EXPECT_EQ(back.markers[i].kind, markers[i].kind) << i;
    EXPECT_EQ(back.markers[i].text, markers[i].text) << i;
  }
  EXPECT_EQ(back.markers[1].side, Side::kLeft);
  EXPECT_EQ(back.markers[2].pain, 7);
  EXPECT_EQ(back.markers[6].pain, 0);
  EXPECT_EQ(back.markers[0].t_us, 4'750'000u) << "a marker before the first sample";
}

// [SECTION] Byte-identical round trips

TEST(SessionExport, HoldsWriteReadWriteIsByteIdentical) {
  const std::string first = written([](std::ostream& o) { writeHoldsCsv(o, awkwardHolds()); });
  std::istringstream in(first);
  const HoldsCsv back = readHoldsCsv(in);
  ASSERT_TRUE(back.ok()) << back.error;
  ASSERT_EQ(back.holds.size(), 3u);
  const std::string second = written([&](std::ostream& o) { writeHoldsCsv(o, back.holds); });
  EXPECT_EQ(second, first);

  const Hold& a = back.holds[0];
  EXPECT_DOUBLE_EQ(a.start_s, 12.345678);
  EXPECT_DOUBLE_EQ(a.end_s, 75.000001);
  ASSERT_TRUE(a.release_s.has_value());
  EXPECT_DOUBLE_EQ(*a.release_s, 44.123457);
  EXPECT_EQ(a.release_source, "load-up+tremor");
  EXPECT_TRUE(a.has_xy);
  EXPECT_EQ(a.side, Side::kLeft);
  EXPECT_EQ(a.side_source, SideSource::kUser);
  EXPECT_FALSE(back.holds[1].release_s.has_value());
  EXPECT_FALSE(back.holds[1].has_xy);
  EXPECT_EQ(back.holds[1].side_source, SideSource::kPlateGuess);
  EXPECT_TRUE(back.holds[1].exceeded_protocol_max);
  EXPECT_EQ(back.holds[1].release_source, "a source, with \"quotes\"");

  // The first row as documented: derived columns from the printed microseconds, no "-0.00".
  const size_t nl = first.find('\n');
  EXPECT_EQ(first.substr(0, nl), holdsCsvHeader());
  EXPECT_EQ(first.substr(nl + 1, first.find('\n', nl + 1) - nl - 1),
            "1,12.345678,75.000001,62.654323,44.123457,31.777779,load-up+tremor,312.1235,"
            "350.2500,-120.00,0.00,left,user,0.0512,0.6100,0.0301,0.0200,true,false,"
            "104.50,2.593,4.72,0.00,2.091,31.67,40.312500");
  // No steadiness (force only): empty, never zeros.
  const size_t nl2 = first.find('\n', nl + 1);
  const std::string row2 = first.substr(nl2 + 1, first.find('\n', nl2 + 1) - nl2 - 1);
  EXPECT_EQ(row2.substr(row2.size() - 12), ",true,,,,,,,") << row2;
  ASSERT_TRUE(a.steadiness.has_value());
  EXPECT_DOUBLE_EQ(a.steadiness->path_mm, 104.50);
  EXPECT_DOUBLE_EQ(a.steadiness->measured_s, 40.3125);
  EXPECT_FALSE(back.holds[1].steadiness.has_value());
}

TEST(SessionExport, HoldsCsvWrittenBeforeTheSteadinessColumnsStillReads) {
  const std::string old =
      "hold,start_s,end_s,duration_s,release_s,time_to_release_s,release_source,mean_force_N,"
      "peak_force_N,x_mm,y_mm,side,side_source,step_fraction,tremor_ratio,cv_before,cv_after,"
      "reached_protocol_min,exceeded_protocol_max\n"
      "1,10.000000,50.000000,40.000000,,,,300.0000,310.0000,-12.00,3.00,left,plate guess,0.0100,"
      "0.0000,0.0200,0.0000,true,false\n";
  std::istringstream in(old);
  const HoldsCsv r = readHoldsCsv(in);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.holds.size(), 1u);
  EXPECT_DOUBLE_EQ(r.holds[0].x_mm, -12);
  EXPECT_FALSE(r.holds[0].steadiness.has_value()) << "not measured: none, not zeros";
  // Written again, the hold gets the new columns, empty.
  const std::string again = written([&](std::ostream& o) { writeHoldsCsv(o, r.holds); });
  EXPECT_TRUE(contains(again, ",true,false,,,,,,,\n")) << again;
}

TEST(SessionExport, SteadinessColumnsAreAllOrNone) {
  const std::string h = holdsCsvHeader() + "\n";
  const std::string base = "1,10.0,50.0,40,,,,300,300,1,1,left,user,0,0,0,0,true,false,";
  struct Case {
    std::string tail;
    std::string says;
  };
  const Case cases[] = {
      {"100,2.5,4,5,2,30,\n", "the cop_* steadiness columns must all have a value or all be empty"},
      {"100,2.5,4,-5,2,30,40\n", "cop_ap_range_mm '-5' is negative"},
      {"100,fast,4,5,2,30,40\n", "cop_mean_velocity_mm_s 'fast' is not a number"},
  };
  for (const Case& c : cases) {
    std::istringstream in(h + base + c.tail);
    const HoldsCsv r = readHoldsCsv(in);
    EXPECT_FALSE(r.ok()) << c.tail;
    EXPECT_TRUE(contains(r.error, "line 2: " + c.says)) << r.error;
  }
  std::istringstream ok(h + base + "100,2.5,4,5,2,30,40\n");
  const HoldsCsv r = readHoldsCsv(ok);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.holds.at(0).steadiness.has_value());
  EXPECT_DOUBLE_EQ(r.holds[0].steadiness->ap_range_mm, 5);
  EXPECT_DOUBLE_EQ(r.holds[0].steadiness->measured_s, 40);
}

TEST(SessionExport, HoldTimesOnTheDeviceClockAreWrittenSinceTheFirstSample) {
  Hold h;  // fed to the analyser in device seconds; the first sample was at 1000.5 s
  h.start_s = 1012.25;
  h.end_s = 1072.5;
  h.release_s = 1050.0000004;
  const std::string csv = written([&](std::ostream& o) { writeHoldsCsv(o, {h}, 1'000'500'000); });
  EXPECT_TRUE(contains(csv, "\n1,11.750000,72.000000,60.250000,49.500000,37.750000,")) << csv;
  std::istringstream in(csv);
  const HoldsCsv back = readHoldsCsv(in, 1'000'500'000);
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_DOUBLE_EQ(back.holds.at(0).start_s, 1012.25);
  EXPECT_DOUBLE_EQ(*back.holds[0].release_s, 1050.0);
  EXPECT_EQ(written([&](std::ostream& o) { writeHoldsCsv(o, back.holds, 1'000'500'000); }), csv);
}

TEST(SessionExport, HoldsWriteReadWriteIsByteIdenticalForManyRandomHolds) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> t(0, 7200), f(0, 900), xy(-300, 300), r(0, 2);
  std::vector<Hold> holds;
  for (int k = 0; k < 500; ++k) {
    Hold h;
    h.start_s = t(rng);
    h.end_s = h.start_s + t(rng) / 50;
    if (k % 3) h.release_s = h.start_s + (h.end_s - h.start_s) * r(rng) / 2;
    h.mean_force_n = f(rng);
    h.peak_force_n = f(rng);
    h.has_xy = k % 5 != 0;
    h.x_mm = h.has_xy ? xy(rng) : 0;
    h.y_mm = h.has_xy ? xy(rng) : 0;
    h.step_fraction = r(rng) / 10;
    h.tremor_ratio = r(rng);
    h.cv_before = r(rng) / 20;
    h.cv_after = r(rng) / 20;
    if (h.has_xy && k % 4) {
      HoldSteadiness st;
      st.path_mm = f(rng) / 3;
      st.measured_s = h.end_s - h.start_s;
      st.mean_velocity_mm_s = st.measured_s > 0 ? st.path_mm / st.measured_s : 0;
      st.ml_range_mm = r(rng) * 10;
      st.ap_range_mm = r(rng) * 10;
      st.rms_mm = r(rng) * 3;
      st.ellipse95_mm2 = f(rng) / 7;
      h.steadiness = st;
    }
    holds.push_back(h);
  }
  const std::string first = written([&](std::ostream& o) { writeHoldsCsv(o, holds); });
  std::istringstream in(first);
  const HoldsCsv back = readHoldsCsv(in);
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(written([&](std::ostream& o) { writeHoldsCsv(o, back.holds); }), first);
}

TEST(SessionExport, MarkersWriteReadWriteIsByteIdentical) {
  const std::string first =
      written([](std::ostream& o) { writeMarkersCsv(o, awkwardMarkers(), 5'000'000); });
  std::istringstream in(first);
  const MarkersCsv back = readMarkersCsv(in, 5'000'000);
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(written([&](std::ostream& o) { writeMarkersCsv(o, back.markers, 5'000'000); }), first);
  EXPECT_TRUE(contains(first, "\n-0.250000,note,,,\"warming up, slowly\"\n")) << first;
  EXPECT_TRUE(contains(first, "\n1.234567,side,,left,\n")) << first;
  EXPECT_TRUE(contains(first, "\n31.000000,pain,7,,\n")) << first;
}

TEST(SessionExport, EventsWriteReadWriteIsByteIdentical) {
  const std::string first =
      written([](std::ostream& o) { writeEventsCsv(o, awkwardEvents(), 1000); });
  std::istringstream in(first);
  const EventsCsv back = readEventsCsv(in, 1000);
  ASSERT_TRUE(back.ok()) << back.error;
  ASSERT_EQ(back.events.size(), 4u);
  EXPECT_EQ(back.events[2].kind, ConnectionEventKind::kReconnected);
  EXPECT_EQ(back.events[2].frames_lost, 480u);
  EXPECT_EQ(back.events[1].detail, "read failed: Input/output error, errno 5");
  EXPECT_EQ(written([&](std::ostream& o) { writeEventsCsv(o, back.events, 1000); }), first);
  EXPECT_TRUE(contains(first, "\n61.012500,reconnected,480,6.012346,,\n")) << first;
}

// [SECTION] Locale

TEST(SessionExport, DecimalsArePointsUnderACommaLocale) {
  CommaLocale comma;
  ASSERT_TRUE(comma.active) << "the locale under test has comma decimals";
  std::ostringstream holds, markers, events;
  holds.imbue(std::locale());
  markers.imbue(std::locale());
  events.imbue(std::locale());
  writeHoldsCsv(holds, awkwardHolds());
  writeMarkersCsv(markers, awkwardMarkers(), 5'000'000);
  writeEventsCsv(events, awkwardEvents(), 1000);
  EXPECT_TRUE(contains(holds.str(), ",312.1235,")) << holds.str();
  EXPECT_TRUE(contains(events.str(), ",6.012346,")) << events.str();
  EXPECT_TRUE(contains(markers.str(), "\n31.000000,")) << markers.str();
  // And what was written reads back the same under it.
  std::istringstream in(holds.str());
  in.imbue(std::locale());
  const HoldsCsv back = readHoldsCsv(in);
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_DOUBLE_EQ(back.holds[0].mean_force_n, 312.1235);
}

// [SECTION] Reading what others wrote

TEST(SessionExport, ReadsCrLfAByteOrderMarkBlankLinesAndColumnsInAnyOrder) {
  const std::string csv =
      "\xEF\xBB\xBFnote,kind,time_s,extra\r\n"
      "\r\n"
      "\"a, b\",note,1.5,x\r\n"
      ",released,2.25,y\r\n";
  std::istringstream in(csv);
  const MarkersCsv m = readMarkersCsv(in);
  ASSERT_TRUE(m.ok()) << m.error;
  ASSERT_EQ(m.markers.size(), 2u);
  EXPECT_EQ(m.markers[0].text, "a, b");
  EXPECT_EQ(m.markers[0].t_us, 1'500'000u);
  EXPECT_EQ(m.markers[1].kind, MarkerKind::kReleased);
  EXPECT_EQ(m.markers[1].t_us, 2'250'000u);
}

TEST(SessionExport, MalformedRowsNameTheirLine) {
  struct Case {
    std::string csv;
    size_t line;
    std::string says;
  };
  const std::string h = markersCsvHeader() + "\n";
  const Case cases[] = {
      {h + "1.0,note,,,ok\n2.0,note,,\n", 3, "has 4 fields where the header has 5"},
      {h + "1.0,note,,,ok\nsoon,note,,,x\n", 3, "time_s 'soon' is not a number"},
      {h + "1.0,note,,,\"two\nlines\"\n2.0,pain,11,,\n", 4, "pain '11' is outside 0 to 10"},
      {h + "1.0,pain,,,\n", 2, "pain is empty"},
      {h + "1.0,shout,,,\n", 2, "kind 'shout' is not released, pain, side or note"},
      {h + "1.0,side,,middle,\n", 2, "side 'middle' is not left, right or unknown"},
      {h + "1.0,note,,,ok\n2.0,note,,,\"never closed\n3.0,note,,,x\n", 3,
       "a quoted field starts on this line and is never closed"},
      {h + "1.0,note,,,say \"hi\"\n", 2, "a double quote inside an unquoted field"},
      {h + "1.0,note,,,\"quoted\" then text\n", 2, "followed by more text"},
      {h + "1.0,note,,,bad \xFF byte\n", 2, "is not UTF-8 text"},
      {"time_s,note\n1.0,x\n", 1, "the header has no kind"},
      {"time_s,kind,kind\n", 1, "the header names kind twice"},
      {h + "-6.0,note,,,\n", 2, "before the session's clock began"},
  };
  for (const Case& c : cases) {
    std::istringstream in(c.csv);
    const MarkersCsv m = readMarkersCsv(in, 5'000'000);
    EXPECT_FALSE(m.ok()) << c.csv;
    EXPECT_TRUE(m.markers.empty());
    EXPECT_EQ(m.error_line, c.line) << m.error;
    EXPECT_TRUE(contains(m.error, "line " + std::to_string(c.line) + ": ")) << m.error;
    EXPECT_TRUE(contains(m.error, c.says)) << m.error;
  }
  // A NUL byte (a literal would end the string there).
  const std::string nul = h + std::string("1.0,note,,,a\0b\n", 15);
  std::istringstream in(nul);
  const MarkersCsv m = readMarkersCsv(in);
  EXPECT_EQ(m.error_line, 2u) << m.error;
  EXPECT_TRUE(contains(m.error, "NUL")) << m.error;

  std::istringstream empty("");
  const HoldsCsv e = readHoldsCsv(empty);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error_line, 0u);
  EXPECT_TRUE(contains(e.error, "holds.csv is empty")) << e.error;
}

TEST(SessionExport, MalformedHoldsNameTheirLine) {
  const std::string h = holdsCsvHeader() + "\n";
  std::string good = written([](std::ostream& o) { writeHoldsCsv(o, awkwardHolds()); });
  good = good.substr(good.find('\n') + 1);
  const std::string row1 = good.substr(0, good.find('\n') + 1);
  struct Case {
    std::string row;
    std::string says;
  };
  const Case cases[] = {
      {"1,10.0,5.0,0,,,,300,300,1,1,left,user,0,0,0,0,true,false\n", "end_s 5.0 is before start_s"},
      {"1,10.0,50.0,40,60.0,50,,300,300,1,1,left,user,0,0,0,0,true,false\n",
       "release_s 60.0 is outside the hold"},
      {"1,10.0,50.0,40,,,,300,300,1,,left,user,0,0,0,0,true,false\n", "x_mm and y_mm"},
      {"1,10.0,50.0,40,,,,300,300,1,1,middle,user,0,0,0,0,true,false\n", "side 'middle'"},
      {"1,10.0,50.0,40,,,,300,300,1,1,left,user,0,0,0,0,maybe,false\n",
       "reached_protocol_min 'maybe' is not true or false"},
      {"1,10.0,50.0,40,,,,nan,300,1,1,left,user,0,0,0,0,true,false\n", "mean_force_N 'nan'"},
  };
  for (const Case& c : cases) {
    // The rows as written before the steadiness columns, with them appended empty.
    std::istringstream in(h + row1 + c.row.substr(0, c.row.size() - 1) + ",,,,,,,\n");
    const HoldsCsv r = readHoldsCsv(in);
    EXPECT_FALSE(r.ok()) << c.row;
    EXPECT_EQ(r.error_line, 3u) << r.error;
    EXPECT_TRUE(contains(r.error, "line 3: " + c.says)) << r.error;
  }
}

// [SECTION] Import of a session CSV

namespace {

// A session CSV as rollrig record writes it: n samples at 80 Hz from device time t0_us.
std::string recordedCsv(int n, uint64_t t0_us = 123'456'789) {
  std::ostringstream out;
  SessionCsvWriter w(out);
  w.writeHeader();
  for (int k = 0; k < n; ++k) {
    Sample s;
    s.t_us = t0_us + static_cast<uint64_t>(k) * 12'500;
    s.seq = static_cast<uint16_t>(65530 + k);
    s.lost_before = k == 3 ? 2 : 0;
    s.flags = k == 0 ? 16 : 0;
    s.fresh_mask = k == 4 ? 7 : 15;
    s.channel_count = 4;
    for (int i = 0; i < 4; ++i) s.raw_counts[i] = (k * 1000 + i * 37) * (i % 2 ? -1 : 1);
    ForceSample f;
    for (int i = 0; i < 4; ++i) f.force_n[i] = k * 0.123456 + i;
    f.total_n = k * 0.49382 + 6;
    f.has_cop = k % 2 == 0;
    f.x_mm = -k * 1.005;
    f.y_mm = k * 2.3333;
    w.writeRow(s, f);
  }
  return out.str();
}

}  // namespace

TEST(SessionImport, OurSessionCsvIsReadWithRawCountsAndWritesBackByteIdentical) {
  const std::string csv = recordedCsv(50);
  std::istringstream in(csv);
  const SessionImportCsv imp = readSessionCsvForImport(in);
  ASSERT_TRUE(imp.ok) << imp.error;
  EXPECT_EQ(imp.form, ImportForm::kRawCounts);
  EXPECT_TRUE(imp.has_xy_columns);
  EXPECT_TRUE(imp.has_cell_forces);
  ASSERT_EQ(imp.samples.size(), 50u);
  EXPECT_EQ(imp.samples[0].t_us, 0u) << "the file's time: seconds since its first sample";
  EXPECT_EQ(imp.samples[1].t_us, 12'500u);
  EXPECT_EQ(imp.samples[0].seq, 65530);
  EXPECT_EQ(imp.samples[3].lost_before, 2u);
  EXPECT_EQ(imp.samples[4].fresh_mask, 7);
  EXPECT_EQ(imp.samples[0].flags, 16);
  EXPECT_EQ(imp.samples[7].raw_counts[1], -7037);
  EXPECT_FALSE(imp.forces[1].has_cop);
  EXPECT_TRUE(imp.forces[2].has_cop);

  std::ostringstream again;
  SessionCsvWriter w(again);
  w.writeHeader();
  for (size_t k = 0; k < imp.samples.size(); ++k) w.writeRow(imp.samples[k], imp.forces[k]);
  EXPECT_EQ(again.str(), csv);
}

TEST(SessionImport, TheMinimalFormIsReadForceOnly) {
  std::istringstream in("time_s,force_N\n0.0,10.5\n0.0125,11\n0.025,12\n");
  const SessionImportCsv imp = readSessionCsvForImport(in);
  ASSERT_TRUE(imp.ok) << imp.error;
  EXPECT_EQ(imp.form, ImportForm::kForceOnly);
  EXPECT_FALSE(imp.has_xy_columns);
  EXPECT_FALSE(imp.has_cell_forces);
  ASSERT_EQ(imp.samples.size(), 3u);
  EXPECT_EQ(imp.samples[2].t_us, 25'000u);
  EXPECT_EQ(imp.samples[2].seq, 2) << "seq counts rows";
  EXPECT_EQ(imp.samples[2].channel_count, 0);
  EXPECT_DOUBLE_EQ(imp.forces[0].total_n, 10.5);

  std::istringstream xy(
      "time_s,force_N,x_mm,y_mm,marker\n0,50,1.5,2.5,\n0.5,60,,,released\n"
      "1,70,3,4,pain=4\n1.5,70,3,4,side=right\n2,70,3,4,cramp\n");
  const SessionImportCsv p = readSessionCsvForImport(xy);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.has_xy_columns);
  EXPECT_TRUE(p.forces[0].has_cop);
  EXPECT_DOUBLE_EQ(p.forces[0].y_mm, 2.5);
  EXPECT_FALSE(p.forces[1].has_cop);
  ASSERT_EQ(p.markers.size(), 4u);
  EXPECT_EQ(p.markers[0].kind, MarkerKind::kReleased);
  EXPECT_EQ(p.markers[0].t_us, 500'000u);
  EXPECT_EQ(p.markers[1].kind, MarkerKind::kPain);
  EXPECT_EQ(p.markers[1].pain, 4);
  EXPECT_EQ(p.markers[2].kind, MarkerKind::kSide);
  EXPECT_EQ(p.markers[2].side, Side::kRight);
  EXPECT_EQ(p.markers[3].kind, MarkerKind::kNote);
  EXPECT_EQ(p.markers[3].text, "cramp");
  EXPECT_EQ(importFormName(p.form), std::string("force only"));
}

TEST(SessionImport, SomeButNotAllRawCountColumnsAreReadForceOnlyWithAWarning) {
  std::istringstream in(
      "# exported by hand\ntime_s,force_N,cell0_raw_counts,cell1_raw_counts\n"
      "0,1,5,6\n1,2,5,6\n");
  const SessionImportCsv imp = readSessionCsvForImport(in);
  ASSERT_TRUE(imp.ok) << imp.error;
  EXPECT_EQ(imp.form, ImportForm::kForceOnly);
  ASSERT_FALSE(imp.warnings.empty());
  EXPECT_TRUE(contains(imp.warnings[0],
                       "line 2: the header has cell0_raw_counts, "
                       "cell1_raw_counts but not cell2_raw_counts, "
                       "cell3_raw_counts; read as force only"))
      << imp.warnings[0];
  EXPECT_EQ(imp.samples.size(), 2u);
}

TEST(SessionImport, MalformedRowsAndFilesNameTheirLine) {
  std::istringstream rows("time_s,force_N\n0,1\n0.1,abc\n0.2,3\n0.3,4\n0.3000001,5\n");
  const SessionImportCsv r = readSessionCsvForImport(rows);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.samples.size(), 3u);
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_TRUE(contains(r.warnings[0], "line 3: force_N 'abc' is not a number")) << r.warnings[0];
  EXPECT_TRUE(contains(r.warnings[1], "line 6: time_s rounds to the same microsecond as line 5"))
      << r.warnings[1];
  EXPECT_EQ(r.counts.used_rows, 3u);
  EXPECT_EQ(r.counts.skippedTotal(), 2u);

  std::istringstream no_force("\ntime_s,load\n0,1\n");
  const SessionImportCsv n = readSessionCsvForImport(no_force);
  EXPECT_FALSE(n.ok);
  EXPECT_EQ(n.error_line, 2u);
  EXPECT_TRUE(contains(n.error, "line 2: the header has no force_N column")) << n.error;

  std::istringstream raw_bad(
      "time_s,force_N,cell0_raw_counts,cell1_raw_counts,cell2_raw_counts,"
      "cell3_raw_counts\n0,1,1,2,3,4\n0.1,1,1,2,3.5,4\n0.2,1,1,2,,4\n"
      "0.3,1,1,2,3,4\n0.4,1,1,2,3,4\n");
  const SessionImportCsv rb = readSessionCsvForImport(raw_bad);
  ASSERT_TRUE(rb.ok) << rb.error;
  EXPECT_EQ(rb.form, ImportForm::kRawCounts);
  EXPECT_EQ(rb.samples.size(), 3u);
  ASSERT_EQ(rb.warnings.size(), 2u);
  EXPECT_TRUE(contains(rb.warnings[0], "line 3: cell2_raw_counts '3.5' is not a whole number"))
      << rb.warnings[0];
  EXPECT_TRUE(contains(rb.warnings[1], "line 4: cell2_raw_counts is empty")) << rb.warnings[1];

  std::istringstream neg("time_s,force_N\n-1,1\n-0.5,2\n0,3\n");
  const SessionImportCsv ng = readSessionCsvForImport(neg);
  EXPECT_FALSE(ng.ok);
  EXPECT_TRUE(contains(ng.warnings.at(0), "line 2: time_s '-1' is below 0")) << ng.warnings[0];
}

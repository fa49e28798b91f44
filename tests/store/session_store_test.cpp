// The session library (SQLite): see rollrig/store/session_store.h and docs/STORE.md.
#include "rollrig/store/session_store.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>

#include "rollrig/core/calibration_json.h"
#include "store_test_util.h"

using namespace rollrig;
using namespace rollrig::store;
using rollrig::store::test::firstDifference;
using rollrig::store::test::makeSamples;
using rollrig::store::test::RawDb;
using rollrig::store::test::readText;
using rollrig::store::test::TempDir;

namespace {

SessionInfo someInfo() {
  SessionInfo info;
  info.started_utc = "2026-11-29T09:51:45Z";
  info.source = "virtual rig";
  info.device_serial = 0xD3E0;
  info.firmware_version = "0.1.0";
  info.protocol_version = "1.0";
  info.nominal_rate_hz = 80;
  info.cell_count = 4;
  info.sides = "left";
  info.ball = "lacrosse ball";
  info.body_mass_kg = 72.5;
  info.notes = "Hüfte links, \"tight\"";
  return info;
}

core::CalibrationRecord someCalibration() {
  core::CalibrationRecord r;
  for (int c = 0; c < core::kCellCount; ++c) {
    r.calibration.cells[c].offset_counts = 1000.25 * (c + 1) - 0.1;
    r.calibration.cells[c].n_per_count = 1.0 / (4390.0 + 10.0 * c) + 1e-12;
  }
  r.calibration.source = "span 2026-11-28";
  r.calibration.device_serial = 0xD3E0;
  r.calibration.created = "2026-11-28T20:00:00Z";
  r.geometry.cells[1].x_mm = 271.5;
  core::TareRecord tare;
  tare.samples = 240;
  tare.duration_s = 3.0;
  tare.sd_counts = {10.5, 11, 12, 13};
  r.tare = tare;
  core::SpanRecord span;
  span.mass_kg = 10.0;
  core::SpanPlacement p;
  p.x_mm = 100;
  p.y_mm = -50;
  p.samples = 160;
  p.mean_counts = {1, 2, 3, 4.5};
  span.placements = {p, p};
  span.report.mass_kg = 10;
  span.report.weight_n = 98.0665;
  core::PlacementResidual res;
  res.force_n = 98.1;
  res.cop_error_mm = 1.25;
  span.report.placements = {res};
  span.report.condition_number = std::numeric_limits<double>::infinity();
  span.report.rank = 3;
  span.report.singular_values = {2, 1, 0.5, 0};
  r.span = span;
  return r;
}

std::vector<core::Hold> someHolds() {
  core::Hold a;
  a.start_s = 12.5;
  a.end_s = 70.25;
  a.release_s = 48.0;
  a.release_source = "load-up+tremor";
  a.mean_force_n = 301.5;
  a.peak_force_n = 340;
  a.has_xy = true;
  a.x_mm = -120.5;
  a.y_mm = 33;
  a.side = core::Side::kLeft;
  a.side_source = core::SideSource::kUser;
  a.step_fraction = 0.07;
  a.tremor_ratio = 0.6;
  a.cv_before = 0.05;
  a.cv_after = 0.03;
  a.reached_protocol_min = true;
  core::HoldSteadiness st;
  st.path_mm = 104.25;
  st.mean_velocity_mm_s = 2.5;
  st.ml_range_mm = 4.75;
  st.ap_range_mm = 7.5;
  st.rms_mm = 2.125;
  st.ellipse95_mm2 = 31.5;
  st.measured_s = 41.7;
  a.steadiness = st;
  core::Hold b;  // no steadiness: none, stored as NULL
  b.start_s = 100;
  b.end_s = 200;
  b.mean_force_n = 250;
  b.peak_force_n = 260;
  b.side = core::Side::kRight;
  b.side_source = core::SideSource::kPlateGuess;
  b.exceeded_protocol_max = true;
  return {a, b};
}

void expectSameHold(const core::Hold& a, const core::Hold& b) {
  EXPECT_EQ(a.start_s, b.start_s);
  EXPECT_EQ(a.end_s, b.end_s);
  EXPECT_EQ(a.release_s, b.release_s);
  EXPECT_EQ(a.release_source, b.release_source);
  EXPECT_EQ(a.mean_force_n, b.mean_force_n);
  EXPECT_EQ(a.peak_force_n, b.peak_force_n);
  EXPECT_EQ(a.has_xy, b.has_xy);
  EXPECT_EQ(a.x_mm, b.x_mm);
  EXPECT_EQ(a.y_mm, b.y_mm);
  EXPECT_EQ(a.side, b.side);
  EXPECT_EQ(a.side_source, b.side_source);
  EXPECT_EQ(a.step_fraction, b.step_fraction);
  EXPECT_EQ(a.tremor_ratio, b.tremor_ratio);
  EXPECT_EQ(a.cv_before, b.cv_before);
  EXPECT_EQ(a.cv_after, b.cv_after);
  EXPECT_EQ(a.reached_protocol_min, b.reached_protocol_min);
  EXPECT_EQ(a.exceeded_protocol_max, b.exceeded_protocol_max);
  ASSERT_EQ(a.steadiness.has_value(), b.steadiness.has_value());
  if (a.steadiness) {
    EXPECT_EQ(a.steadiness->path_mm, b.steadiness->path_mm);
    EXPECT_EQ(a.steadiness->mean_velocity_mm_s, b.steadiness->mean_velocity_mm_s);
    EXPECT_EQ(a.steadiness->ml_range_mm, b.steadiness->ml_range_mm);
    EXPECT_EQ(a.steadiness->ap_range_mm, b.steadiness->ap_range_mm);
    EXPECT_EQ(a.steadiness->rms_mm, b.steadiness->rms_mm);
    EXPECT_EQ(a.steadiness->ellipse95_mm2, b.steadiness->ellipse95_mm2);
    EXPECT_EQ(a.steadiness->measured_s, b.steadiness->measured_s);
  }
}

// Commits samples in 250 ms batches (20 samples at 80 Hz), as the engine does.
void recordInBatches(SessionStore& store, int64_t id, const std::vector<core::Sample>& samples) {
  for (size_t i = 0; i < samples.size(); i += 20) {
    store.appendSamples(id, samples.data() + i, std::min<size_t>(20, samples.size() - i));
    const StoreError e = store.commit();
    ASSERT_FALSE(e) << e.message;
  }
}

}  // namespace

// [SECTION] Round trips

TEST(SessionStore, RoundTripsEverythingASessionHolds) {
  TempDir dir;
  const std::string path = dir.file("lib/sessions.db");
  const auto samples = makeSamples(1000, 5000000, 65000);
  const core::CalibrationRecord cal = someCalibration();
  core::ReZero rz;
  rz.t_us = 5100000;
  rz.samples = 400;
  rz.change_counts = {1.5, -2, 3, -4.25};
  rz.change_n = {0.001, -0.002, 0.003, -0.004};
  std::vector<core::Marker> markers(4);
  markers[0] = {5200000, core::MarkerKind::kSide, -1, core::Side::kLeft, ""};
  markers[1] = {5300000, core::MarkerKind::kPain, 7, core::Side::kUnknown, ""};
  markers[2] = {5400000, core::MarkerKind::kReleased, -1, core::Side::kUnknown, ""};
  markers[3] = {5500000, core::MarkerKind::kNote, -1, core::Side::kUnknown, "zieht, 2 cm höher"};
  std::vector<core::ConnectionEvent> events;
  using K = core::ConnectionEventKind;
  for (K k :
       {K::kConnected, K::kGap, K::kDisconnected, K::kRefused, K::kReconnected, K::kDeviceReset}) {
    core::ConnectionEvent ev;
    ev.t_us = 5000000 + 1000 * events.size();
    ev.kind = k;
    ev.frames_lost = static_cast<uint64_t>(k) * 3;
    ev.gap_s = 0.5 * static_cast<double>(k);
    ev.detail = "/dev/ttyACM0";
    ev.wall_utc = "2026-11-29T09:52:00Z";
    events.push_back(ev);
  }

  int64_t id = 0;
  {
    SessionStore store;
    StoreError e = store.open(path);
    ASSERT_FALSE(e) << e.message;
    EXPECT_EQ(store.schemaVersion(), kSchemaVersion);
    ASSERT_FALSE(store.beginSession(someInfo(), &id));
    store.addCalibration(id, 5000000, cal);
    store.addConnectionEvent(id, events[0]);
    // Uneven batches, as a reader thread delivers them.
    size_t i = 0, step = 1;
    while (i < samples.size()) {
      const size_t n = std::min(step, samples.size() - i);
      store.appendSamples(id, samples.data() + i, n);
      i += n;
      step = step * 3 % 97 + 1;
      if (step % 2) {
        ASSERT_FALSE(store.commit());
      }
    }
    store.addReZero(id, rz);
    for (const auto& m : markers) store.addMarker(id, m);
    for (size_t k = 1; k < events.size(); ++k) store.addConnectionEvent(id, events[k]);
    store.replaceHolds(id, {someHolds()[0]});
    store.replaceHolds(id, someHolds());  // the latest view wins
    SessionPatch patch;
    patch.sides = "left,right";
    patch.notes = "after the stretch";
    patch.body_mass_kg = std::optional<double>(73.0);
    store.updateSession(id, patch);
    EXPECT_TRUE(store.hasPending());
    e = store.endSession(id, kEndStopped, "2026-11-29T10:05:00Z");
    ASSERT_FALSE(e) << e.message;
    EXPECT_FALSE(store.hasPending());
  }

  SessionStore store;
  ASSERT_FALSE(store.open(path, {OpenMode::kReadOnly}));
  SessionRecord r;
  ASSERT_FALSE(store.loadSession(id, &r));
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.info.started_utc, "2026-11-29T09:51:45Z");
  EXPECT_EQ(r.ended_utc, "2026-11-29T10:05:00Z");
  EXPECT_EQ(r.end_reason, kEndStopped);
  EXPECT_TRUE(r.ended());
  EXPECT_EQ(r.info.source, "virtual rig");
  EXPECT_EQ(r.info.device_serial, 0xD3E0u);
  EXPECT_EQ(r.info.firmware_version, "0.1.0");
  EXPECT_EQ(r.info.protocol_version, "1.0");
  EXPECT_EQ(r.info.nominal_rate_hz, 80);
  EXPECT_EQ(r.info.cell_count, 4);
  EXPECT_EQ(r.info.sides, "left,right");
  EXPECT_EQ(r.info.ball, "lacrosse ball");
  EXPECT_EQ(r.info.body_mass_kg, 73.0);
  EXPECT_EQ(r.info.notes, "after the stretch");
  EXPECT_EQ(r.first_t_us, samples.front().t_us);
  EXPECT_EQ(r.last_t_us, samples.back().t_us);
  EXPECT_EQ(r.sample_count, samples.size());
  EXPECT_EQ(r.frames_lost, 0u);
  EXPECT_DOUBLE_EQ(r.duration_s(), 999 * 0.0125);

  std::vector<core::Sample> back;
  ASSERT_FALSE(store.loadSamples(id, &back));
  EXPECT_EQ(firstDifference(samples, back), -1);

  std::vector<StoredCalibration> cals;
  ASSERT_FALSE(store.loadCalibrations(id, &cals));
  ASSERT_EQ(cals.size(), 1u);
  EXPECT_EQ(cals[0].from_t_us, 5000000u);
  const core::CalibrationRecord& c = cals[0].record;
  for (int k = 0; k < core::kCellCount; ++k) {
    EXPECT_EQ(c.calibration.cells[k].offset_counts, cal.calibration.cells[k].offset_counts);
    EXPECT_EQ(c.calibration.cells[k].n_per_count, cal.calibration.cells[k].n_per_count);
    EXPECT_EQ(c.geometry.cells[k].x_mm, cal.geometry.cells[k].x_mm);
  }
  EXPECT_EQ(c.calibration.source, cal.calibration.source);
  EXPECT_EQ(c.calibration.device_serial, cal.calibration.device_serial);
  EXPECT_EQ(c.calibration.created, cal.calibration.created);
  ASSERT_TRUE(c.tare && c.span);
  EXPECT_EQ(c.tare->sd_counts, cal.tare->sd_counts);
  EXPECT_EQ(c.span->placements.size(), 2u);
  EXPECT_EQ(c.span->placements[1].mean_counts, cal.span->placements[1].mean_counts);
  EXPECT_TRUE(std::isinf(c.span->report.condition_number));
  EXPECT_EQ(c.span->report.placements[0].cop_error_mm, 1.25);
  EXPECT_EQ(c.span->report.rank, 3);

  std::vector<core::ReZero> rzs;
  ASSERT_FALSE(store.loadReZeros(id, &rzs));
  ASSERT_EQ(rzs.size(), 1u);
  EXPECT_EQ(rzs[0].t_us, rz.t_us);
  EXPECT_EQ(rzs[0].samples, rz.samples);
  EXPECT_EQ(rzs[0].change_counts, rz.change_counts);
  EXPECT_EQ(rzs[0].change_n, rz.change_n);

  std::vector<core::Hold> holds;
  ASSERT_FALSE(store.loadHolds(id, &holds));
  ASSERT_EQ(holds.size(), 2u);
  expectSameHold(holds[0], someHolds()[0]);
  expectSameHold(holds[1], someHolds()[1]);

  std::vector<core::Marker> ms;
  ASSERT_FALSE(store.loadMarkers(id, &ms));
  ASSERT_EQ(ms.size(), markers.size());
  for (size_t k = 0; k < ms.size(); ++k) {
    EXPECT_EQ(ms[k].t_us, markers[k].t_us);
    EXPECT_EQ(ms[k].kind, markers[k].kind);
    EXPECT_EQ(ms[k].pain, markers[k].pain);
    EXPECT_EQ(ms[k].side, markers[k].side);
    EXPECT_EQ(ms[k].text, markers[k].text);
  }

  std::vector<core::ConnectionEvent> evs;
  ASSERT_FALSE(store.loadConnectionEvents(id, &evs));
  ASSERT_EQ(evs.size(), events.size());
  for (size_t k = 0; k < evs.size(); ++k) {
    EXPECT_EQ(evs[k].t_us, events[k].t_us);
    EXPECT_EQ(evs[k].kind, events[k].kind);
    EXPECT_EQ(evs[k].frames_lost, events[k].frames_lost);
    EXPECT_EQ(evs[k].gap_s, events[k].gap_s);
    EXPECT_EQ(evs[k].detail, events[k].detail);
    EXPECT_EQ(evs[k].wall_utc, events[k].wall_utc);
  }
}

namespace {

// Opens a library at `path` and commits one session with someCalibration(); the session's id.
int64_t sessionWithACalibration(SessionStore& store, const std::string& path) {
  int64_t id = 0;
  EXPECT_FALSE(store.open(path));
  EXPECT_FALSE(store.beginSession(someInfo(), &id));
  store.addCalibration(id, 0, someCalibration());
  EXPECT_FALSE(store.commit());
  return id;
}

}  // namespace

// One calibration format: the library keeps a record as the calibration file's own text.
TEST(SessionStore, KeepsACalibrationAsTheTextOfItsCalibrationFile) {
  TempDir dir;
  SessionStore store;
  sessionWithACalibration(store, dir.file("sessions.db"));
  std::string quoted = core::calibrationToJson(someCalibration());
  for (size_t at = quoted.find('\''); at != std::string::npos; at = quoted.find('\'', at + 2))
    quoted.insert(at, 1, '\'');
  RawDb raw(dir.file("sessions.db"));
  EXPECT_EQ(raw.queryInt("SELECT count(*) FROM calibrations WHERE record_json = '" + quoted + "'"),
            1);
}

TEST(SessionStore, NamesAStoredCalibrationThatIsNotACalibration) {
  TempDir dir;
  SessionStore store;
  const int64_t id = sessionWithACalibration(store, dir.file("sessions.db"));
  RawDb(dir.file("sessions.db"))
      .exec("UPDATE calibrations SET record_json = '{\"format\": \"something else\"}'");
  std::vector<StoredCalibration> cals;
  const StoreError e = store.loadCalibrations(id, &cals);
  EXPECT_EQ(e.kind, StoreErrorKind::kNotALibrary);
  EXPECT_NE(e.message.find("(calibration 1: not a rollrig calibration"), std::string::npos)
      << e.message;
}

TEST(SessionStore, GrowsTheLastChunkAcrossCommitsUpToTheChunkSize) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  const auto samples = makeSamples(1000);
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &id));
  recordInBatches(store, id, samples);  // 50 commits of 20 samples
  RawDb raw(path);
  // ceil(1000 / 128) chunks, not one per commit.
  EXPECT_EQ(raw.queryInt("SELECT count(*) FROM sample_chunks"),
            static_cast<int64_t>((samples.size() + kChunkSamples - 1) / kChunkSamples));
  EXPECT_EQ(raw.queryInt("SELECT max(count) FROM sample_chunks"),
            static_cast<int64_t>(kChunkSamples));
  EXPECT_EQ(raw.queryInt("SELECT sum(count) FROM sample_chunks"), 1000);
  std::vector<core::Sample> back;
  ASSERT_FALSE(store.loadSamples(id, &back));
  EXPECT_EQ(firstDifference(samples, back), -1);
}

TEST(SessionStore, ReadsATimeRangeAndStreamsChunkByChunk) {
  TempDir dir;
  SessionStore store;
  ASSERT_FALSE(store.open(dir.file("sessions.db")));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &id));
  auto samples = makeSamples(2000, 1000000);
  samples[700].lost_before = 5;  // losses are counted per chunk and per session
  samples[700].seq = static_cast<uint16_t>(samples[700].seq + 5);
  recordInBatches(store, id, samples);

  const uint64_t from = samples[333].t_us, to = samples[1444].t_us;
  std::vector<core::Sample> part;
  ASSERT_FALSE(store.loadSamples(id, &part, from, to));
  ASSERT_EQ(part.size(), 1444u - 333u + 1u);
  EXPECT_TRUE(test::sameSample(part.front(), samples[333]));
  EXPECT_TRUE(test::sameSample(part.back(), samples[1444]));
  // Between two samples: nothing.
  ASSERT_FALSE(store.loadSamples(id, &part, samples[5].t_us + 1, samples[6].t_us - 1));
  EXPECT_TRUE(part.empty());

  size_t chunks = 0, seen = 0;
  ASSERT_FALSE(store.forEachSampleChunk(id, 0, UINT64_MAX, [&](const auto& c) {
    EXPECT_LE(c.size(), kChunkSamples);
    ++chunks;
    seen += c.size();
    return chunks < 3;  // stop early
  }));
  EXPECT_EQ(chunks, 3u);
  EXPECT_EQ(seen, 3 * kChunkSamples);

  SessionRecord r;
  ASSERT_FALSE(store.loadSession(id, &r));
  EXPECT_EQ(r.frames_lost, 5u);
  EXPECT_EQ(store.loadSamples(999, &part).kind, StoreErrorKind::kNotFound);
}

TEST(SessionStore, ListsSessionsWithTheirHoldsAndReleases) {
  TempDir dir;
  SessionStore store;
  ASSERT_FALSE(store.open(dir.file("sessions.db")));
  int64_t a = 0, b = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &a));
  recordInBatches(store, a, makeSamples(801));
  store.replaceHolds(a, someHolds());  // one released, one not
  ASSERT_FALSE(store.endSession(a, kEndStopped, ""));
  SessionInfo other = someInfo();
  other.device_serial = 7;
  other.started_utc = "2026-11-30T23:59:55.5Z";
  ASSERT_FALSE(store.beginSession(other, &b));
  recordInBatches(store, b, makeSamples(801));

  std::vector<SessionListEntry> list;
  ASSERT_FALSE(store.listSessions(&list));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, a);
  EXPECT_EQ(list[0].holds, 2);
  EXPECT_EQ(list[0].releases, 1);
  EXPECT_DOUBLE_EQ(list[0].duration_s, 10.0);
  EXPECT_EQ(list[0].sample_count, 801u);
  EXPECT_EQ(list[0].end_reason, kEndStopped);
  // The end time was derived from the start plus the samples' 10 s.
  EXPECT_EQ(list[0].ended_utc, "2026-11-29T09:51:55Z");
  EXPECT_EQ(list[1].id, b);
  EXPECT_EQ(list[1].device_serial, 7u);
  EXPECT_EQ(list[1].holds, 0);
  EXPECT_EQ(list[1].end_reason, "");  // still recording
  ASSERT_FALSE(store.endSession(b, kEndStopped, ""));
  SessionRecord r;
  ASSERT_FALSE(store.loadSession(b, &r));
  EXPECT_EQ(r.ended_utc, "2026-12-01T00:00:05Z");  // across midnight and a month's end
}

TEST(SessionStore, DeletesASessionWithAllItsRows) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  int64_t a = 0, b = 0;
  for (int64_t* id : {&a, &b}) {
    ASSERT_FALSE(store.beginSession(someInfo(), id));
    store.addCalibration(*id, 0, someCalibration());
    store.addReZero(*id, core::ReZero{});
    store.addMarker(*id, core::Marker{});
    store.addConnectionEvent(*id, core::ConnectionEvent{});
    store.replaceHolds(*id, someHolds());
    recordInBatches(store, *id, makeSamples(300));
  }
  ASSERT_FALSE(store.deleteSession(a));
  RawDb raw(path);
  for (const char* table :
       {"sample_chunks", "calibrations", "rezeroes", "markers", "connection_events", "holds"}) {
    EXPECT_EQ(raw.queryInt(std::string("SELECT count(*) FROM ") + table +
                           " WHERE session_id = " + std::to_string(a)),
              0)
        << table;
    EXPECT_GT(raw.queryInt(std::string("SELECT count(*) FROM ") + table +
                           " WHERE session_id = " + std::to_string(b)),
              0)
        << table;
  }
  SessionRecord r;
  EXPECT_EQ(store.loadSession(a, &r).kind, StoreErrorKind::kNotFound);
  EXPECT_EQ(store.deleteSession(a).kind, StoreErrorKind::kNotFound);
  EXPECT_FALSE(store.loadSession(b, &r));
}

TEST(SessionStore, ReportsDataForAMissingSessionAsNotFoundAndKeepsTheRest) {
  TempDir dir;
  SessionStore store;
  ASSERT_FALSE(store.open(dir.file("sessions.db")));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &id));
  const auto samples = makeSamples(10);
  store.appendSamples(id, samples);
  store.appendSamples(id + 100, samples);
  const StoreError e = store.commit();
  EXPECT_EQ(e.kind, StoreErrorKind::kNotFound);
  EXPECT_NE(e.message.find(std::to_string(id + 100)), std::string::npos) << e.message;
  EXPECT_FALSE(store.hasPending());
  std::vector<core::Sample> back;
  ASSERT_FALSE(store.loadSamples(id, &back));
  EXPECT_EQ(back.size(), 10u);
}

TEST(SessionStore, ASessionDeletedByAnotherConnectionIsReportedOnTheWritersNextCommit) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  SessionStore writer, other;
  ASSERT_FALSE(writer.open(path));
  int64_t id = 0;
  ASSERT_FALSE(writer.beginSession(someInfo(), &id));
  const auto samples = makeSamples(100);
  writer.appendSamples(id, samples.data(), 50);  // leaves a growing last chunk
  ASSERT_FALSE(writer.commit());
  ASSERT_FALSE(other.open(path));
  ASSERT_FALSE(other.deleteSession(id));
  writer.appendSamples(id, samples.data() + 50, 50);
  EXPECT_EQ(writer.commit().kind, StoreErrorKind::kNotFound);
  EXPECT_FALSE(writer.hasPending());  // dropped, so later commits are not stuck on it
  int64_t next = 0;
  ASSERT_FALSE(writer.beginSession(someInfo(), &next));
  EXPECT_GT(next, id);  // an id once shown never names another session
  writer.appendSamples(next, samples);
  ASSERT_FALSE(writer.commit());
  std::vector<core::Sample> back;
  ASSERT_FALSE(other.loadSamples(next, &back));
  EXPECT_EQ(back.size(), 100u);
}

TEST(SessionStore, ALibraryLockedByAnotherProgramIsReportedAsBusyAndTheBufferKept) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  SessionStore store;
  OpenOptions quick;
  quick.busy_timeout_ms = 20;
  ASSERT_FALSE(store.open(path, quick));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &id));
  const auto samples = makeSamples(60);
  store.appendSamples(id, samples);
  {
    RawDb other(path);
    other.exec("BEGIN IMMEDIATE");  // holds the write lock
    const StoreError e = store.commit();
    EXPECT_EQ(e.kind, StoreErrorKind::kBusy);
    EXPECT_NE(e.message.find("locked by another program"), std::string::npos) << e.message;
    EXPECT_EQ(store.pendingSamples(), 60u);
    other.exec("ROLLBACK");
  }
  ASSERT_FALSE(store.commit());
  std::vector<core::Sample> back;
  ASSERT_FALSE(store.loadSamples(id, &back));
  EXPECT_EQ(firstDifference(samples, back), -1);
}

TEST(SessionStore, ADamagedChunkIsReportedWithoutCrashingAndTheRestStaysReadable) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(someInfo(), &id));
  const auto samples = makeSamples(3 * kChunkSamples, 1000000);
  recordInBatches(store, id, samples);
  {
    RawDb raw(path);
    // The middle chunk loses its tail.
    raw.exec(
        "UPDATE sample_chunks SET data = substr(data, 1, 40) WHERE id = (SELECT id FROM "
        "sample_chunks ORDER BY first_t_us LIMIT 1 OFFSET 1)");
  }
  std::vector<core::Sample> back;
  const StoreError e = store.loadSamples(id, &back);
  EXPECT_EQ(e.kind, StoreErrorKind::kNotALibrary);
  EXPECT_NE(e.message.find("cannot be read"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("session " + std::to_string(id)), std::string::npos) << e.message;
  ASSERT_FALSE(store.loadSamples(id, &back, 0, samples[kChunkSamples - 1].t_us));
  EXPECT_EQ(back.size(), kChunkSamples);
  ASSERT_FALSE(store.loadSamples(id, &back, samples[2 * kChunkSamples].t_us));
  EXPECT_EQ(back.size(), kChunkSamples);
}

// [SECTION] Opening: paths and files that are not libraries

TEST(SessionStore, DefaultPathFollowsRollrigDbThenXdgDataHomeThenHome) {
  const char* keep_db = std::getenv("ROLLRIG_DB");
  const char* keep_xdg = std::getenv("XDG_DATA_HOME");
  const char* keep_home = std::getenv("HOME");
  const std::string saved_db = keep_db ? keep_db : "", saved_xdg = keep_xdg ? keep_xdg : "",
                    saved_home = keep_home ? keep_home : "";
  setenv("ROLLRIG_DB", "/x/mine.db", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(defaultLibraryPath(), "/x/mine.db");
  unsetenv("ROLLRIG_DB");
  EXPECT_EQ(defaultLibraryPath(), "/xdg/rollrig/sessions.db");
  setenv("XDG_DATA_HOME", "relative", 1);  // the XDG spec: relative paths are ignored
  EXPECT_EQ(defaultLibraryPath(), "/home/u/.local/share/rollrig/sessions.db");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(defaultLibraryPath(), "/home/u/.local/share/rollrig/sessions.db");
  auto restore = [](const char* name, const char* was, const std::string& value) {
    if (was)
      setenv(name, value.c_str(), 1);
    else
      unsetenv(name);
  };
  restore("ROLLRIG_DB", keep_db, saved_db);
  restore("XDG_DATA_HOME", keep_xdg, saved_xdg);
  restore("HOME", keep_home, saved_home);
}

TEST(SessionStore, CreatesItsDirectoryAndUsesWal) {
  TempDir dir;
  const std::string path = dir.file("a/b/c/sessions.db");
  SessionStore store;
  const StoreError e = store.open(path);
  ASSERT_FALSE(e) << e.message;
  EXPECT_TRUE(std::filesystem::exists(path));
  RawDb raw(path);
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.queryInt("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.queryInt("PRAGMA application_id"), kApplicationId);
}

TEST(SessionStore, RefusesAFileThatIsNotSqliteAndLeavesItUntouched) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i) out << "time_s,force_N\n" << i << ",1.5\n";
  }
  const std::string before = readText(path);
  SessionStore store;
  const StoreError e = store.open(path);
  EXPECT_EQ(e.kind, StoreErrorKind::kNotALibrary);
  EXPECT_NE(e.message.find("not an SQLite database"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(path), std::string::npos) << e.message;
  EXPECT_FALSE(store.isOpen());
  EXPECT_EQ(readText(path), before);
  EXPECT_EQ(store.open(path, {OpenMode::kReadOnly}).kind, StoreErrorKind::kNotALibrary);
}

TEST(SessionStore, RefusesAnotherProgramsDatabase) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada');");
  }
  const std::string before = readText(path);
  SessionStore store;
  const StoreError e = store.open(path);
  EXPECT_EQ(e.kind, StoreErrorKind::kNotALibrary);
  EXPECT_NE(e.message.find("another program"), std::string::npos) << e.message;
  EXPECT_EQ(readText(path), before);
}

TEST(SessionStore, RefusesALibraryFromANewerRollrigAndLeavesItUntouched) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  {
    SessionStore store;
    ASSERT_FALSE(store.open(path));
    int64_t id = 0;
    ASSERT_FALSE(store.beginSession(someInfo(), &id));
  }
  {
    RawDb raw(path);
    raw.exec("PRAGMA journal_mode = DELETE; PRAGMA user_version = " +
             std::to_string(kSchemaVersion + 1) + "; CREATE TABLE future (x);");
  }
  const std::string before = readText(path);
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    SessionStore store;
    const StoreError e = store.open(path, {mode});
    EXPECT_EQ(e.kind, StoreErrorKind::kNewerSchema);
    EXPECT_NE(e.message.find("newer rollrig"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("schema " + std::to_string(kSchemaVersion + 1)), std::string::npos);
    EXPECT_FALSE(store.isOpen());
  }
  EXPECT_EQ(readText(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SessionStore, RefusesAReadOnlyOpenOfAMissingFile) {
  TempDir dir;
  SessionStore store;
  const StoreError e = store.open(dir.file("none.db"), {OpenMode::kReadOnly});
  EXPECT_EQ(e.kind, StoreErrorKind::kCannotOpen);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
}

TEST(SessionStore, ReportsADirectoryThatCannotBeCreated) {
  TempDir dir;
  { std::ofstream(dir.file("plain-file")) << "x"; }
  SessionStore store;
  const StoreError e = store.open(dir.file("plain-file/rollrig/sessions.db"));
  EXPECT_EQ(e.kind, StoreErrorKind::kCannotOpen);
  EXPECT_NE(e.message.find("Cannot create the directory"), std::string::npos) << e.message;
}

// [SECTION] Readers and writers

TEST(SessionStore, AReaderSeesCommittedDataWhileTheWriterIsOpen) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  SessionStore writer;
  ASSERT_FALSE(writer.open(path));
  int64_t id = 0;
  ASSERT_FALSE(writer.beginSession(someInfo(), &id));
  const auto samples = makeSamples(300);
  writer.appendSamples(id, samples.data(), 100);
  ASSERT_FALSE(writer.commit());

  SessionStore reader;
  const StoreError e = reader.open(path, {OpenMode::kReadOnly});
  ASSERT_FALSE(e) << e.message;
  std::vector<core::Sample> seen;
  ASSERT_FALSE(reader.loadSamples(id, &seen));
  EXPECT_EQ(seen.size(), 100u);

  writer.appendSamples(id, samples.data() + 100, 150);  // buffered, not committed
  ASSERT_FALSE(reader.loadSamples(id, &seen));
  EXPECT_EQ(seen.size(), 100u);
  std::vector<SessionListEntry> list;
  ASSERT_FALSE(reader.listSessions(&list));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].sample_count, 100u);
  EXPECT_EQ(list[0].end_reason, "");
  EXPECT_TRUE(list[0].recording);
  std::vector<SessionRecord> to_recover;
  ASSERT_FALSE(reader.unfinishedSessions(&to_recover));
  EXPECT_TRUE(to_recover.empty());  // its recorder is alive

  ASSERT_FALSE(writer.commit());
  ASSERT_FALSE(reader.loadSamples(id, &seen));
  EXPECT_EQ(
      firstDifference(std::vector<core::Sample>(samples.begin(), samples.begin() + 250), seen), -1);

  // The reader cannot write.
  int64_t other = 0;
  EXPECT_EQ(reader.beginSession(someInfo(), &other).kind, StoreErrorKind::kReadOnly);
  EXPECT_EQ(reader.deleteSession(id).kind, StoreErrorKind::kReadOnly);
}

// [SECTION] Full disk, read-only location

TEST(SessionStore, AFullLibraryStopsRecordingWithKFullAndKeepsWhatWasCommitted) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  const auto samples = makeSamples(200000);
  int64_t id = 0;
  size_t committed = 0;
  {
    SessionStore store;
    OpenOptions small;
    small.max_pages = 60;  // 240 kB: room for ~20,000 samples
    ASSERT_FALSE(store.open(path, small));
    ASSERT_FALSE(store.beginSession(someInfo(), &id));
    StoreError e;
    while (committed < samples.size()) {
      store.appendSamples(id, samples.data() + committed, 20);
      e = store.commit();
      if (e) break;
      committed += 20;
    }
    ASSERT_EQ(e.kind, StoreErrorKind::kFull) << e.message;
    EXPECT_NE(e.message.find("full"), std::string::npos);
    EXPECT_NE(e.message.find("everything saved before is kept"), std::string::npos);
    EXPECT_GT(committed, 1000u);
    EXPECT_EQ(store.pendingSamples(), 20u);  // kept for a retry
    EXPECT_EQ(store.commit().kind, StoreErrorKind::kFull);
    EXPECT_EQ(store.endSession(id, kEndError, "").kind, StoreErrorKind::kFull);
    // Reading still works on the full library.
    std::vector<core::Sample> back;
    ASSERT_FALSE(store.loadSamples(id, &back));
    EXPECT_EQ(back.size(), committed);
  }
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  std::string report;
  ASSERT_FALSE(store.integrityCheck(&report));
  EXPECT_EQ(report, "ok");
  std::vector<core::Sample> back;
  ASSERT_FALSE(store.loadSamples(id, &back));
  EXPECT_EQ(firstDifference(std::vector<core::Sample>(
                                samples.begin(), samples.begin() + static_cast<long>(committed)),
                            back),
            -1);
  SessionRecord r;
  ASSERT_FALSE(store.loadSession(id, &r));
  EXPECT_EQ(r.sample_count, committed);
  EXPECT_FALSE(r.ended());
}

namespace {

// Runs `body` in a child process with its own mount namespace (so a mount is private to it and
// vanishes with it). Returns the child's exit code; 77 when namespaces or mounts are not
// permitted here (the caller skips).
int inPrivateMountNamespace(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(77);
    if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

}  // namespace

// Tests run as root, for whom chmod does not make anything read-only: a read-only tmpfs does.
TEST(SessionStore, ARealReadOnlyFileSystemIsReportedAsReadOnlyAndItsLibraryStaysReadable) {
  TempDir dir;
  const std::string mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  const int code = inPrivateMountNamespace([&]() -> int {
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") != 0) return 77;
    const std::string path = mnt + "/sessions.db";
    int64_t id = 0;
    {
      SessionStore store;
      if (store.open(path) || store.beginSession(someInfo(), &id)) return 1;
      store.appendSamples(id, makeSamples(500));
      if (store.commit()) return 2;
    }
    if (mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) != 0) return 77;
    SessionStore writer;
    StoreError e = writer.open(path);
    if (e.kind != StoreErrorKind::kReadOnly) return 3;
    if (e.message.find(path) == std::string::npos ||
        e.message.find("Read-only file system") == std::string::npos)
      return 4;
    // A new library in a directory on the read-only file system.
    e = writer.open(mnt + "/sub/sessions.db");
    if (e.kind != StoreErrorKind::kReadOnly) return 5;
    SessionStore reader;
    if (reader.open(path, {OpenMode::kReadOnly})) return 6;
    std::vector<core::Sample> back;
    if (reader.loadSamples(id, &back) || back.size() != 500) return 7;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "no mount namespace here (not root?)";
  EXPECT_EQ(code, 0) << "step that failed (see the test body)";
}

TEST(SessionStore, ARealFullFileSystemIsReportedAsFull) {
  TempDir dir;
  const std::string mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  const int code = inPrivateMountNamespace([&]() -> int {
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=2m") != 0) return 77;
    const std::string path = mnt + "/sessions.db";
    const auto samples = makeSamples(400000);
    int64_t id = 0;
    size_t committed = 0;
    {
      SessionStore store;
      if (store.open(path) || store.beginSession(someInfo(), &id)) return 1;
      StoreError e;
      while (committed < samples.size()) {
        store.appendSamples(id, samples.data() + committed, 20);
        if ((e = store.commit())) break;
        committed += 20;
      }
      if (e.kind != StoreErrorKind::kFull) return 2;
      if (committed < 1000) return 3;
    }
    SessionStore reader;
    if (reader.open(path, {OpenMode::kReadOnly})) return 4;
    std::vector<core::Sample> back;
    if (reader.loadSamples(id, &back)) return 5;
    if (firstDifference(std::vector<core::Sample>(samples.begin(),
                                                  samples.begin() + static_cast<long>(committed)),
                        back) != -1)
      return 6;
    std::string report;
    if (reader.integrityCheck(&report) || report != "ok") return 7;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "no mount namespace here (not root?)";
  EXPECT_EQ(code, 0) << "step that failed (see the test body)";
}

// [SECTION] Recovery

TEST(SessionStore, RecoversASessionWhoseRecorderDiedFromItsChunks) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  const auto samples = makeSamples(1000, 2000000);
  int64_t id = 0;
  {
    SessionStore store;
    ASSERT_FALSE(store.open(path));
    ASSERT_FALSE(store.beginSession(someInfo(), &id));
    recordInBatches(store, id, std::vector<core::Sample>(samples.begin(), samples.begin() + 640));
    store.appendSamples(id, samples.data() + 640, 360);  // never committed: the recorder "dies"
  }
  // The counters on the session row are as of a recorder that died mid-way: make them stale to
  // show recovery rebuilds them from the chunks.
  {
    RawDb raw(path);
    raw.exec("UPDATE sessions SET sample_count = 3, last_t_us = NULL, frames_lost = 99");
  }
  SessionStore store;
  ASSERT_FALSE(store.open(path));
  std::vector<SessionRecord> open_ones;
  ASSERT_FALSE(store.unfinishedSessions(&open_ones));
  ASSERT_EQ(open_ones.size(), 1u);
  EXPECT_EQ(open_ones[0].id, id);
  store.replaceHolds(id, someHolds());  // the engine re-derives them from the samples
  ASSERT_FALSE(store.finishInterrupted(id));
  ASSERT_FALSE(store.unfinishedSessions(&open_ones));
  EXPECT_TRUE(open_ones.empty());
  SessionRecord r;
  ASSERT_FALSE(store.loadSession(id, &r));
  EXPECT_EQ(r.end_reason, kEndRecovered);
  EXPECT_EQ(r.sample_count, 640u);
  EXPECT_EQ(r.frames_lost, 0u);
  EXPECT_EQ(r.first_t_us, samples[0].t_us);
  EXPECT_EQ(r.last_t_us, samples[639].t_us);
  EXPECT_EQ(r.ended_utc, "2026-11-29T09:51:52Z");  // start + 7.9875 s, whole seconds
  std::vector<core::Hold> holds;
  ASSERT_FALSE(store.loadHolds(id, &holds));
  EXPECT_EQ(holds.size(), 2u);
  EXPECT_EQ(store.finishInterrupted(id + 1).kind, StoreErrorKind::kNotFound);
}

TEST(SessionStore, ASessionRecordedByALiveProcessIsNotOfferedForRecoveryUntilThatProcessDies) {
  TempDir dir;
  const std::string path = dir.file("sessions.db");
  {
    SessionStore create;
    ASSERT_FALSE(create.open(path));
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    SessionStore store;
    int64_t id = 0;
    if (store.open(path) || store.beginSession(someInfo(), &id)) _exit(2);
    store.appendSamples(id, makeSamples(40));
    if (store.commit()) _exit(3);
    if (write(fds[1], &id, sizeof id) != sizeof id) _exit(4);
    for (;;) pause();
  }
  close(fds[1]);
  int64_t id = 0;
  ASSERT_EQ(read(fds[0], &id, sizeof id), static_cast<ssize_t>(sizeof id));
  close(fds[0]);

  SessionStore store;
  ASSERT_FALSE(store.open(path));
  std::vector<SessionRecord> to_recover;
  ASSERT_FALSE(store.unfinishedSessions(&to_recover));
  EXPECT_TRUE(to_recover.empty());
  std::vector<SessionListEntry> list;
  ASSERT_FALSE(store.listSessions(&list));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].recording);
  EXPECT_EQ(list[0].sample_count, 40u);

  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_FALSE(store.unfinishedSessions(&to_recover));
  ASSERT_EQ(to_recover.size(), 1u);
  EXPECT_EQ(to_recover[0].id, id);
  EXPECT_EQ(to_recover[0].sample_count, 40u);
  ASSERT_FALSE(store.listSessions(&list));
  EXPECT_FALSE(list[0].recording);
}

// [SECTION] Migrations

namespace {

std::string fixture(const std::string& name) {
  return std::string(ROLLRIG_STORE_FIXTURES) + "/" + name;
}

// The schema objects (tables and indexes) of a file, one "type name sql" per line.
std::string schemaOf(const std::string& path) {
  RawDb raw(path);
  return raw.query(
      "SELECT type || ' ' || name || ' ' || sql FROM sqlite_master WHERE name NOT LIKE "
      "'sqlite_%' ORDER BY name");
}

}  // namespace

TEST(StoreMigration, UpgradesAVersion1LibraryWithItsDataIntact) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.exec(readText(fixture("schema_v1.sql"))));
    ASSERT_EQ(raw.queryInt("PRAGMA user_version"), 1);
  }
  // Read-only, an old library cannot be upgraded: refused with a clear message, not misread.
  {
    SessionStore ro;
    const StoreError e = ro.open(path, {OpenMode::kReadOnly});
    EXPECT_EQ(e.kind, StoreErrorKind::kReadOnly);
    EXPECT_NE(e.message.find("older rollrig"), std::string::npos) << e.message;
  }
  SessionStore store;
  StoreError e = store.open(path);
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(store.schemaVersion(), kSchemaVersion);

  SessionRecord r;
  ASSERT_FALSE(store.loadSession(1, &r));
  EXPECT_EQ(r.info.started_utc, "2026-03-02T18:04:05Z");
  EXPECT_EQ(r.end_reason, "stopped");
  EXPECT_EQ(r.info.device_serial, 54240u);
  EXPECT_EQ(r.info.ball, "lacrosse ball");
  EXPECT_EQ(r.info.body_mass_kg, 72.5);
  EXPECT_EQ(r.sample_count, 6u);
  EXPECT_EQ(r.frames_lost, 1u);

  std::vector<core::Sample> s;
  ASSERT_FALSE(store.loadSamples(1, &s));
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].t_us, 1000000u);
  EXPECT_EQ(s[0].seq, 65533);
  EXPECT_EQ(s[0].raw_counts[0], 8388607);
  EXPECT_EQ(s[0].raw_counts[1], -8388608);
  EXPECT_EQ(s[3].seq, 0);  // wrapped
  EXPECT_EQ(s[4].seq, 2);
  EXPECT_EQ(s[4].lost_before, 1u);
  EXPECT_EQ(s[4].flags, 0x04);
  EXPECT_EQ(s[4].t_us, 1062500u);
  EXPECT_EQ(s[5].raw_counts[3], 99);

  std::vector<StoredCalibration> cals;
  ASSERT_FALSE(store.loadCalibrations(1, &cals));
  ASSERT_EQ(cals.size(), 1u);
  EXPECT_EQ(cals[0].record.calibration.cells[1].offset_counts, -2000.25);
  EXPECT_EQ(cals[0].record.calibration.cells[3].n_per_count, 0.00023);
  ASSERT_TRUE(cals[0].record.tare.has_value());
  EXPECT_EQ(cals[0].record.tare->samples, 240u);
  EXPECT_FALSE(cals[0].record.span.has_value());
  std::vector<core::ReZero> rz;
  ASSERT_FALSE(store.loadReZeros(1, &rz));
  ASSERT_EQ(rz.size(), 1u);
  EXPECT_EQ(rz[0].change_counts[3], 7.25);
  std::vector<core::ConnectionEvent> ev;
  ASSERT_FALSE(store.loadConnectionEvents(1, &ev));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].kind, core::ConnectionEventKind::kGap);
  EXPECT_EQ(ev[1].frames_lost, 1u);

  // The new tables work on the old sessions, and the unfinished one is found for recovery.
  std::vector<core::Hold> holds;
  ASSERT_FALSE(store.loadHolds(1, &holds));
  EXPECT_TRUE(holds.empty());
  store.replaceHolds(1, someHolds());
  store.addMarker(1, core::Marker{1050000, core::MarkerKind::kPain, 4, core::Side::kUnknown, ""});
  ASSERT_FALSE(store.commit());
  std::vector<SessionListEntry> list;
  ASSERT_FALSE(store.listSessions(&list));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].holds, 2);
  EXPECT_EQ(list[0].releases, 1);
  std::vector<SessionRecord> unfinished;
  ASSERT_FALSE(store.unfinishedSessions(&unfinished));
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].id, 2);
  std::string report;
  ASSERT_FALSE(store.integrityCheck(&report));
  EXPECT_EQ(report, "ok");
  store.close();

  // An upgraded library has exactly the schema of a new one.
  const std::string fresh = dir.file("new.db");
  {
    SessionStore s2;
    ASSERT_FALSE(s2.open(fresh));
  }
  EXPECT_EQ(schemaOf(path), schemaOf(fresh));
  RawDb raw(path);
  EXPECT_EQ(raw.queryInt("PRAGMA user_version"), kSchemaVersion);
}

TEST(StoreMigration, UpgradesAVersion2LibraryKeepingItsHoldsAndMarkers) {
  TempDir dir;
  const std::string path = dir.file("v2.db");
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.exec(readText(fixture("schema_v2.sql"))));
    ASSERT_EQ(raw.queryInt("PRAGMA user_version"), 2);
  }
  {
    SessionStore ro;
    const StoreError e = ro.open(path, {OpenMode::kReadOnly});
    EXPECT_EQ(e.kind, StoreErrorKind::kReadOnly);
  }
  SessionStore store;
  StoreError e = store.open(path);
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(store.schemaVersion(), kSchemaVersion);

  // Every version-2 row is there, as it was; the stored holds have no steadiness (none) until a
  // reanalysis fills it.
  SessionRecord r;
  ASSERT_FALSE(store.loadSession(1, &r));
  EXPECT_EQ(r.info.ball, "lacrosse ball");
  EXPECT_EQ(r.sample_count, 6u);
  std::vector<core::Sample> s;
  ASSERT_FALSE(store.loadSamples(1, &s));
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[5].raw_counts[3], 99);
  std::vector<core::Hold> holds;
  ASSERT_FALSE(store.loadHolds(1, &holds));
  ASSERT_EQ(holds.size(), 2u);
  EXPECT_EQ(holds[0].start_s, 0.0125);
  EXPECT_EQ(holds[0].end_s, 0.0625);
  EXPECT_EQ(holds[0].release_s, std::optional<double>(0.05));
  EXPECT_EQ(holds[0].release_source, "load-up+tremor");
  EXPECT_EQ(holds[0].mean_force_n, 250.5);
  EXPECT_TRUE(holds[0].has_xy);
  EXPECT_EQ(holds[0].x_mm, -112.5);
  EXPECT_EQ(holds[0].side, core::Side::kLeft);
  EXPECT_EQ(holds[0].side_source, core::SideSource::kUser);
  EXPECT_EQ(holds[0].cv_after, 0.015625);
  EXPECT_TRUE(holds[0].reached_protocol_min);
  EXPECT_FALSE(holds[0].steadiness.has_value());
  EXPECT_FALSE(holds[1].release_s.has_value());
  EXPECT_FALSE(holds[1].has_xy);
  EXPECT_FALSE(holds[1].steadiness.has_value());
  std::vector<core::Marker> markers;
  ASSERT_FALSE(store.loadMarkers(1, &markers));
  ASSERT_EQ(markers.size(), 3u);
  EXPECT_EQ(markers[0].kind, core::MarkerKind::kSide);
  EXPECT_EQ(markers[0].side, core::Side::kLeft);
  EXPECT_EQ(markers[2].kind, core::MarkerKind::kPain);
  EXPECT_EQ(markers[2].pain, 6);
  EXPECT_EQ(markers[2].text, "sharp, then easing");

  // The new columns take a hold's steadiness, and keep none as none.
  store.replaceHolds(1, someHolds());
  ASSERT_FALSE(store.commit());
  ASSERT_FALSE(store.loadHolds(1, &holds));
  ASSERT_EQ(holds.size(), 2u);
  expectSameHold(holds[0], someHolds()[0]);
  expectSameHold(holds[1], someHolds()[1]);
  std::string report;
  ASSERT_FALSE(store.integrityCheck(&report));
  EXPECT_EQ(report, "ok");
  store.close();

  const std::string fresh = dir.file("new.db");
  {
    SessionStore s2;
    ASSERT_FALSE(s2.open(fresh));
  }
  EXPECT_EQ(schemaOf(path), schemaOf(fresh));
  RawDb raw(path);
  EXPECT_EQ(raw.queryInt("PRAGMA user_version"), kSchemaVersion);
}

TEST(StoreMigration, UpgradesAVersion3LibraryKeepingItsSteadinessAndTakesEdits) {
  TempDir dir;
  const std::string path = dir.file("v3.db");
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.exec(readText(fixture("schema_v3.sql"))));
    ASSERT_EQ(raw.queryInt("PRAGMA user_version"), 3);
  }
  {
    SessionStore ro;
    EXPECT_EQ(ro.open(path, {OpenMode::kReadOnly}).kind, StoreErrorKind::kReadOnly);
  }
  SessionStore store;
  StoreError e = store.open(path);
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(store.schemaVersion(), 4);

  // Every version-3 row as it was: the holds with their steadiness, the markers said live.
  std::vector<core::Hold> holds;
  ASSERT_FALSE(store.loadHolds(1, &holds));
  ASSERT_EQ(holds.size(), 2u);
  ASSERT_TRUE(holds[0].steadiness.has_value());
  EXPECT_EQ(holds[0].steadiness->path_mm, 104.5);
  EXPECT_EQ(holds[0].steadiness->measured_s, 46.0);
  EXPECT_FALSE(holds[1].steadiness.has_value());
  EXPECT_EQ(holds[0].release_s, std::optional<double>(0.05));
  std::vector<StoredMarker> rows;
  ASSERT_FALSE(store.loadMarkerRows(1, &rows));
  ASSERT_EQ(rows.size(), 3u);
  for (const StoredMarker& r : rows) {
    EXPECT_TRUE(r.effective());
    EXPECT_EQ(r.added_utc, "");  // said during the session
  }
  std::vector<ReleaseEdit> edits;
  ASSERT_FALSE(store.loadReleaseEdits(1, &edits));
  EXPECT_TRUE(edits.empty());

  // The new table and columns work on the upgraded file.
  ReleaseEdit moved;
  moved.hold_start_s = 0.0125;
  moved.kind = ReleaseEditKind::kMoved;
  moved.release_s = 0.055;
  moved.edited_utc = "2026-03-05T10:00:00Z";
  ASSERT_FALSE(store.addReleaseEdit(1, moved));
  ASSERT_FALSE(store.loadReleaseEdits(1, &edits));
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].release_s, std::optional<double>(0.055));
  ASSERT_FALSE(store.deleteMarker(1, 2, "2026-03-05T10:01:00Z"));
  std::vector<core::Marker> markers;
  ASSERT_FALSE(store.loadMarkers(1, &markers));
  EXPECT_EQ(markers.size(), 2u);
  std::string report;
  ASSERT_FALSE(store.integrityCheck(&report));
  EXPECT_EQ(report, "ok");
  store.close();

  const std::string fresh = dir.file("new.db");
  {
    SessionStore s2;
    ASSERT_FALSE(s2.open(fresh));
  }
  EXPECT_EQ(schemaOf(path), schemaOf(fresh));
}

// [SECTION] Edits

namespace {
SessionInfo startedAt(const char* utc) {
  SessionInfo info;
  info.started_utc = utc;
  return info;
}
}  // namespace

TEST(StoreEdits, ReleaseEditsRoundTripBesideTheDetectorsHoldsWhichStayAsTheyWere) {
  TempDir dir;
  SessionStore store;
  ASSERT_FALSE(store.open(dir.file("lib.db")));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(startedAt("2026-11-02T18:00:00Z"), &id));
  store.replaceHolds(id, someHolds());
  ASSERT_FALSE(store.commit());

  ReleaseEdit confirm{0, someHolds()[0].start_s, ReleaseEditKind::kConfirmed, std::nullopt,
                      "2026-11-03T09:00:00Z"};
  ReleaseEdit move{0, someHolds()[1].start_s, ReleaseEditKind::kMoved, 77.5,
                   "2026-11-03T09:01:00Z"};
  ReleaseEdit del{0, someHolds()[1].start_s, ReleaseEditKind::kDeleted, std::nullopt,
                  "2026-11-03T09:02:00Z"};
  int64_t a = 0, b = 0, c = 0;
  ASSERT_FALSE(store.addReleaseEdit(id, confirm, &a));
  ASSERT_FALSE(store.addReleaseEdit(id, move, &b));
  ASSERT_FALSE(store.addReleaseEdit(id, del, &c));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);

  SessionStore reader;
  ASSERT_FALSE(reader.open(dir.file("lib.db"), {OpenMode::kReadOnly}));
  std::vector<ReleaseEdit> edits;
  ASSERT_FALSE(reader.loadReleaseEdits(id, &edits));
  ASSERT_EQ(edits.size(), 3u);
  EXPECT_EQ(edits[0].kind, ReleaseEditKind::kConfirmed);
  EXPECT_EQ(edits[0].hold_start_s, someHolds()[0].start_s);
  EXPECT_FALSE(edits[0].release_s.has_value());
  EXPECT_EQ(edits[0].edited_utc, "2026-11-03T09:00:00Z");
  EXPECT_EQ(edits[1].kind, ReleaseEditKind::kMoved);
  EXPECT_EQ(edits[1].release_s, std::optional<double>(77.5));
  EXPECT_EQ(edits[2].kind, ReleaseEditKind::kDeleted);
  std::vector<core::Hold> holds;
  ASSERT_FALSE(reader.loadHolds(id, &holds));
  expectSameHold(holds[0], someHolds()[0]);
  expectSameHold(holds[1], someHolds()[1]);

  // The listing counts the releases in effect: hold 0 released (confirmed), hold 1 deleted.
  std::vector<SessionListEntry> list;
  ASSERT_FALSE(reader.listSessions(&list));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].releases, 1);
  ReleaseEdit moved_back{0, someHolds()[1].start_s + 0.5, ReleaseEditKind::kMoved, 80.0,
                         "2026-11-03T09:03:00Z"};
  ASSERT_FALSE(store.addReleaseEdit(id, moved_back));
  ASSERT_FALSE(reader.listSessions(&list));
  EXPECT_EQ(list[0].releases, 2);
  ReleaseEdit del0{0, someHolds()[0].start_s, ReleaseEditKind::kDeleted, std::nullopt,
                   "2026-11-03T09:04:00Z"};
  ASSERT_FALSE(store.addReleaseEdit(id, del0));
  ASSERT_FALSE(reader.listSessions(&list));
  EXPECT_EQ(list[0].releases, 1);
  ASSERT_FALSE(reader.loadReleaseEdits(id, &edits));
  EXPECT_EQ(edits.size(), 5u);

  // Errors as values: a moved release without its time, a session that does not exist.
  ReleaseEdit bad = move;
  bad.release_s.reset();
  EXPECT_EQ(store.addReleaseEdit(id, bad).kind, StoreErrorKind::kBadInput);
  EXPECT_EQ(store.addReleaseEdit(id + 7, confirm).kind, StoreErrorKind::kNotFound);
  EXPECT_EQ(reader.addReleaseEdit(id, confirm).kind, StoreErrorKind::kReadOnly);
  // Reanalysis replaces the holds; the edits stay (they name holds by their start).
  store.replaceHolds(id, {someHolds()[0]});
  ASSERT_FALSE(store.commit());
  ASSERT_FALSE(store.loadReleaseEdits(id, &edits));
  EXPECT_EQ(edits.size(), 5u);
  // Deleting the session deletes its edits with it.
  ASSERT_FALSE(store.deleteSession(id));
  RawDb raw(dir.file("lib.db"));
  EXPECT_EQ(raw.queryInt("SELECT count(*) FROM release_edits"), 0);
}

TEST(StoreEdits, MarkersAddedChangedAndDeletedAfterTheSessionKeepTheOriginals) {
  TempDir dir;
  SessionStore store;
  ASSERT_FALSE(store.open(dir.file("lib.db")));
  int64_t id = 0;
  ASSERT_FALSE(store.beginSession(startedAt("2026-11-02T18:00:00Z"), &id));
  core::Marker pain;
  pain.t_us = 5'000'000;
  pain.kind = core::MarkerKind::kPain;
  pain.pain = 6;
  core::Marker note;
  note.t_us = 9'000'000;
  note.kind = core::MarkerKind::kNote;
  note.text = "tender";
  store.addMarker(id, pain);
  store.addMarker(id, note);
  ASSERT_FALSE(store.commit());
  std::vector<StoredMarker> rows;
  ASSERT_FALSE(store.loadMarkerRows(id, &rows));
  ASSERT_EQ(rows.size(), 2u);
  const int64_t pain_id = rows[0].id, note_id = rows[1].id;

  core::Marker later = pain;
  later.t_us = 7'000'000;
  later.pain = 3;
  int64_t added = 0;
  ASSERT_FALSE(store.addMarkerAfter(id, later, "2026-11-03T09:00:00Z", &added));
  core::Marker changed = pain;
  changed.pain = 4;
  int64_t v2 = 0, v3 = 0;
  ASSERT_FALSE(store.changeMarker(id, pain_id, changed, "2026-11-03T09:01:00Z", &v2));
  changed.pain = 5;
  // Changing the original again follows it to its newest version.
  ASSERT_FALSE(store.changeMarker(id, pain_id, changed, "2026-11-03T09:02:00Z", &v3));
  ASSERT_FALSE(store.deleteMarker(id, note_id, "2026-11-03T09:03:00Z"));

  std::vector<core::Marker> effective;
  ASSERT_FALSE(store.loadMarkers(id, &effective));
  ASSERT_EQ(effective.size(), 2u);
  EXPECT_EQ(effective[0].t_us, 5'000'000u);
  EXPECT_EQ(effective[0].pain, 5);
  EXPECT_EQ(effective[1].t_us, 7'000'000u);
  EXPECT_EQ(effective[1].pain, 3);

  ASSERT_FALSE(store.loadMarkerRows(id, &rows));
  ASSERT_EQ(rows.size(), 5u);  // nothing was lost: the original 6, both changes, the note
  std::map<int64_t, StoredMarker> by_id;
  for (const StoredMarker& r : rows) by_id[r.id] = r;
  EXPECT_EQ(by_id[pain_id].marker.pain, 6);
  EXPECT_TRUE(by_id[pain_id].superseded);
  EXPECT_FALSE(by_id[pain_id].effective());
  EXPECT_EQ(by_id[v2].replaces, std::optional<int64_t>(pain_id));
  EXPECT_EQ(by_id[v3].replaces, std::optional<int64_t>(v2));
  EXPECT_TRUE(by_id[v3].effective());
  EXPECT_EQ(by_id[added].added_utc, "2026-11-03T09:00:00Z");
  EXPECT_EQ(by_id[note_id].deleted_utc, "2026-11-03T09:03:00Z");
  EXPECT_EQ(by_id[note_id].marker.text, "tender");

  // A deleted marker cannot be changed; unknown ids are kNotFound.
  EXPECT_EQ(store.changeMarker(id, note_id, note, "2026-11-03T09:04:00Z").kind,
            StoreErrorKind::kBadInput);
  EXPECT_EQ(store.deleteMarker(id, 9999, "2026-11-03T09:04:00Z").kind, StoreErrorKind::kNotFound);
  EXPECT_EQ(store.deleteMarker(id, pain_id, "").kind, StoreErrorKind::kBadInput);
}

TEST(StoreEdits, AnEditWaitsForALiveRecordersCommitAndNeverLosesItsSamples) {
  TempDir dir;
  SessionStore recorder;
  ASSERT_FALSE(recorder.open(dir.file("lib.db")));
  int64_t id = 0;
  ASSERT_FALSE(recorder.beginSession(startedAt("2026-11-02T18:00:00Z"), &id));
  recorder.appendSamples(id, makeSamples(100));
  ASSERT_FALSE(recorder.commit());
  recorder.appendSamples(id, makeSamples(50, 100 * 12500, 100));  // buffered, not committed

  // The editor is another connection (the replay's), editing the same session while it records.
  SessionStore editor;
  ASSERT_FALSE(editor.open(dir.file("lib.db")));
  core::Marker m;
  m.t_us = 200'000;
  m.kind = core::MarkerKind::kNote;
  m.text = "after";
  ASSERT_FALSE(editor.addMarkerAfter(id, m, "2026-11-03T09:00:00Z"));
  ASSERT_FALSE(recorder.commit());
  std::vector<core::Sample> s;
  ASSERT_FALSE(editor.loadSamples(id, &s));
  EXPECT_EQ(s.size(), 150u);
  std::vector<core::Marker> markers;
  ASSERT_FALSE(recorder.loadMarkers(id, &markers));
  ASSERT_EQ(markers.size(), 1u);
  EXPECT_EQ(markers[0].text, "after");
}

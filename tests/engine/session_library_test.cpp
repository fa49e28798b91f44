// The session library's operations (engine/session_library.h): reanalysis against the live
// pipeline, recovery of a session whose recorder died, export -> import -> export byte for byte
// (a virtual-rig session and a minimal-form CSV), malformed imports, and pandas reading exports.
#include "rollrig/engine/session_library.h"
#include "rollrig/engine/session_replay.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "rollrig/core/force_model.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/sim/body_model.h"
#include "test_files.h"

namespace rollrig::engine {
namespace {

namespace fs = std::filesystem;

using rollrig::testing::readText;
using rollrig::testing::writeText;

using rollrig::testing::TempDir;

// A body-model session as the virtual rig would record it: device time from 7.3 s, 80 Hz, a few
// frames lost, the rig's exact calibration, and the user's markers.
struct RigSession {
  std::vector<core::Sample> samples;
  core::CalibrationRecord calibration;
  std::vector<core::Marker> markers;
};

RigSession makeRigSession(uint64_t seed, double duration_s) {
  sim::BodyModelConfig cfg;
  cfg.seed = seed;
  cfg.duration_s = duration_s;
  sim::BodyModel model(cfg);
  RigSession r;
  for (int c = 0; c < core::kCellCount; ++c) {
    r.calibration.calibration.cells[c].offset_counts = model.sensors()[c].offset_counts;
    r.calibration.calibration.cells[c].n_per_count = 1.0 / model.sensors()[c].counts_per_n;
  }
  r.calibration.calibration.source = "virtual rig nominal";
  r.calibration.calibration.device_serial = 0xD3E0;
  r.calibration.calibration.created = "2026-11-29T09:00:00Z";
  r.calibration.geometry = model.geometry();
  const size_t n = static_cast<size_t>(duration_s * 80);
  uint16_t seq = 65000;  // wraps during the session
  uint32_t lost = 0;
  for (size_t k = 0; k < n; ++k) {
    const sim::ModelSample m = model.next();
    seq = static_cast<uint16_t>(seq + 1);
    if (k % 997 == 500) {  // a frame lost on the wire now and then
      ++lost;
      continue;
    }
    core::Sample s;
    s.t_us = 7300000 + static_cast<uint64_t>(std::llround(m.t_s * 1e6));
    s.seq = seq;
    s.fresh_mask = 15;
    s.flags = k == 0 ? 16 : 0;
    s.channel_count = 4;
    for (int c = 0; c < core::kCellCount; ++c) s.raw_counts[c] = m.raw_counts[c];
    s.lost_before = lost;
    lost = 0;
    r.samples.push_back(s);
  }
  // Markers at sample times, as the engine stamps them (the latest sample's time).
  auto at = [&](double t_s) { return r.samples[static_cast<size_t>(t_s * 80)].t_us; };
  for (const sim::TruthHold& h : model.truth().holds) {
    if (h.release_s && *h.release_s < duration_s - 1) {
      r.markers.push_back(
          {at(*h.release_s + 0.5), core::MarkerKind::kReleased, -1, core::Side::kUnknown, ""});
      break;
    }
  }
  r.markers.push_back({at(1.0), core::MarkerKind::kSide, -1, core::Side::kLeft, ""});
  r.markers.push_back({at(2.0), core::MarkerKind::kPain, 6, core::Side::kUnknown, ""});
  r.markers.push_back(
      {at(3.0), core::MarkerKind::kNote, -1, core::Side::kUnknown, "left hip, \"sharp\", then ok"});
  std::sort(r.markers.begin(), r.markers.end(),
            [](const auto& a, const auto& b) { return a.t_us < b.t_us; });
  return r;
}

// What a live recording does with each sample (rollrig record's loop): force with the current
// model, then the DriftTracker (a re-zero applies from the next sample), the analyser fed session
// time, and a marker pressed after the sample it is stamped with.
struct LiveResult {
  std::vector<core::Hold> holds;
  std::vector<core::ReZero> rezeros;
};

LiveResult runLive(const RigSession& r) {
  core::ForceModel model(r.calibration.calibration, r.calibration.geometry);
  core::DriftTracker drift(r.calibration.calibration);
  core::SessionAnalyzer analyzer;
  const uint64_t t0 = r.samples.front().t_us;
  size_t next_mark = 0;
  for (const core::Sample& s : r.samples) {
    const core::ForceSample f = model.compute(s);
    if (drift.add(s)) model = core::ForceModel(drift.calibration(), r.calibration.geometry);
    analyzer.push({(static_cast<double>(s.t_us) - static_cast<double>(t0)) / 1e6, f.total_n,
                   f.has_cop, f.x_mm, f.y_mm});
    while (next_mark < r.markers.size() && r.markers[next_mark].t_us <= s.t_us) {
      const core::Marker& m = r.markers[next_mark++];
      const double t_s = (static_cast<double>(m.t_us) - static_cast<double>(t0)) / 1e6;
      if (m.kind == core::MarkerKind::kReleased) analyzer.markReleased(t_s);
      if (m.kind == core::MarkerKind::kSide) analyzer.markSide(t_s, m.side);
    }
  }
  analyzer.finish();
  return {analyzer.holds(), drift.reZeros()};
}

// Records `r` into the library as the live engine would (commits every 20 samples), with the
// live pipeline's holds and re-zeroes, and ends it.
int64_t recordIntoStore(store::SessionStore& st, const RigSession& r, const LiveResult& live) {
  store::SessionInfo info;
  info.started_utc = "2026-11-29T09:50:00Z";
  info.source = "virtual rig (seed 7)";
  info.device_serial = 0xD3E0;
  info.firmware_version = "0.1.0";
  info.protocol_version = "1.0";
  info.nominal_rate_hz = 80;
  info.cell_count = 4;
  info.sides = "left";
  info.ball = "lacrosse";
  info.body_mass_kg = 72.5;
  info.notes = "first session, \"easy\"";
  int64_t id = 0;
  EXPECT_FALSE(st.beginSession(info, &id));
  st.addCalibration(id, r.samples.front().t_us, r.calibration);
  st.addConnectionEvent(id, {r.samples.front().t_us, core::ConnectionEventKind::kConnected, 0, 0,
                             "virtual rig", "2026-11-29T09:50:00Z"});
  for (size_t i = 0; i < r.samples.size(); i += 20) {
    st.appendSamples(id, r.samples.data() + i, std::min<size_t>(20, r.samples.size() - i));
    EXPECT_FALSE(st.commit());
  }
  for (const core::Marker& m : r.markers) st.addMarker(id, m);
  for (const core::ReZero& z : live.rezeros) st.addReZero(id, z);
  // Sample 5000 (62.5 s in), or the middle of a shorter session: indexing past the end was a
  // heap overflow AddressSanitizer found in the 30 s sessions.
  const size_t gap_at = std::min<size_t>(5000, r.samples.size() / 2);
  st.addConnectionEvent(id,
                        {r.samples[gap_at].t_us, core::ConnectionEventKind::kGap, 1, 0, "", ""});
  st.replaceHolds(id, live.holds);
  EXPECT_FALSE(st.endSession(id, store::kEndStopped, "2026-11-29T09:55:00Z"));
  return id;
}

void expectSameHolds(const std::vector<core::Hold>& a, const std::vector<core::Hold>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("hold " + std::to_string(i));
    EXPECT_EQ(a[i].start_s, b[i].start_s);
    EXPECT_EQ(a[i].end_s, b[i].end_s);
    EXPECT_EQ(a[i].release_s, b[i].release_s);
    EXPECT_EQ(a[i].release_source, b[i].release_source);
    EXPECT_EQ(a[i].mean_force_n, b[i].mean_force_n);
    EXPECT_EQ(a[i].peak_force_n, b[i].peak_force_n);
    EXPECT_EQ(a[i].has_xy, b[i].has_xy);
    EXPECT_EQ(a[i].x_mm, b[i].x_mm);
    EXPECT_EQ(a[i].y_mm, b[i].y_mm);
    EXPECT_EQ(a[i].side, b[i].side);
    EXPECT_EQ(a[i].side_source, b[i].side_source);
  }
}

const char* const kExportFiles[] = {"samples.csv", "holds.csv", "markers.csv", "events.csv"};

// session.json without the keys that name the session (its id).
nlohmann::json withoutId(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(readText(path));
  j.erase("id");
  return j;
}

class SessionLibrary : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(m_store.open(m_dir.file("sessions.db"))); }
  TempDir m_dir;
  store::SessionStore m_store;
};

TEST_F(SessionLibrary, ReanalysisGivesTheLivePipelinesHoldsFromTheStoredRawCounts) {
  const RigSession r = makeRigSession(7, 300);
  const LiveResult live = runLive(r);
  ASSERT_GE(live.holds.size(), 2u);
  ASSERT_FALSE(live.rezeros.empty()) << "the session should exercise the drift re-zero";
  const int64_t id = recordIntoStore(m_store, r, live);

  ReanalyzeOptions opt;
  opt.write = false;
  ReanalyzeResult res;
  ASSERT_FALSE(reanalyzeSession(m_store, id, opt, &res));
  EXPECT_TRUE(res.kind.auto_zero);
  EXPECT_EQ(res.rezeros, live.rezeros.size());
  EXPECT_EQ(res.samples, r.samples.size());
  expectSameHolds(res.holds, live.holds);
  bool marker_release = false;
  for (const core::Hold& h : res.holds) marker_release |= h.release_source == "marker";
  EXPECT_TRUE(marker_release) << "the stored `released` marker reached the analyser";

  // Written back: a session whose holds were lost gets them again.
  m_store.replaceHolds(id, {});
  ASSERT_FALSE(m_store.commit());
  ASSERT_FALSE(reanalyzeSession(m_store, id, {}, &res));
  std::vector<core::Hold> stored;
  ASSERT_FALSE(m_store.loadHolds(id, &stored));
  expectSameHolds(stored, live.holds);
}

TEST_F(SessionLibrary, ReanalysisWithAnotherCalibrationUsesItAndKeepsIt) {
  const RigSession r = makeRigSession(3, 120);
  const int64_t id = recordIntoStore(m_store, r, runLive(r));
  ReanalyzeOptions opt;
  opt.calibration = r.calibration;
  for (auto& c : opt.calibration->calibration.cells) c.n_per_count *= 1.5;  // 50 % more force
  opt.calibration->calibration.source = "recalibrated";
  ReanalyzeResult before, after;
  ReanalyzeOptions dry;
  dry.write = false;
  ASSERT_FALSE(reanalyzeSession(m_store, id, dry, &before));
  ASSERT_FALSE(reanalyzeSession(m_store, id, opt, &after));
  ASSERT_FALSE(before.holds.empty());
  ASSERT_FALSE(after.holds.empty());
  EXPECT_NEAR(after.summary.peak_force_n / before.summary.peak_force_n, 1.5, 0.05);
  std::vector<store::StoredCalibration> cals;
  ASSERT_FALSE(m_store.loadCalibrations(id, &cals));
  ASSERT_EQ(cals.size(), 2u);
  EXPECT_EQ(cals.back().record.calibration.source, "recalibrated");
}

TEST_F(SessionLibrary, RecoversASessionWhoseRecorderDiedWithHoldsAndMarksItInterrupted) {
  const RigSession r = makeRigSession(7, 200);
  const std::string path = m_dir.file("crashed.db");
  int64_t id = 0;
  {
    store::SessionStore recorder;
    ASSERT_FALSE(recorder.open(path));
    store::SessionInfo info;
    info.started_utc = "2026-11-29T10:00:00Z";
    ASSERT_FALSE(recorder.beginSession(info, &id));
    recorder.addCalibration(id, r.samples.front().t_us, r.calibration);
    for (size_t i = 0; i < r.samples.size(); i += 20) {
      recorder.appendSamples(id, r.samples.data() + i, std::min<size_t>(20, r.samples.size() - i));
      ASSERT_FALSE(recorder.commit());
    }
    // The recorder dies: no endSession(), no holds written; its lock goes with it.
  }
  int64_t empty_id = 0;
  {
    store::SessionStore recorder;  // another one that died before its first sample
    ASSERT_FALSE(recorder.open(path));
    ASSERT_FALSE(recorder.beginSession({}, &empty_id));
  }
  store::SessionStore st;
  ASSERT_FALSE(st.open(path));
  std::vector<RecoveredSession> rec;
  ASSERT_FALSE(recoverInterruptedSessions(st, &rec));
  ASSERT_EQ(rec.size(), 2u);
  EXPECT_EQ(rec[0].session_id, id);
  EXPECT_EQ(rec[0].samples, r.samples.size());
  EXPECT_GE(rec[0].holds, 1u);
  EXPECT_EQ(rec[1].session_id, empty_id);
  EXPECT_EQ(rec[1].samples, 0u);
  EXPECT_EQ(rec[1].holds, 0u);
  store::SessionRecord s;
  ASSERT_FALSE(st.loadSession(id, &s));
  EXPECT_EQ(s.end_reason, store::kEndRecovered);
  EXPECT_EQ(s.sample_count, r.samples.size());
  std::vector<core::Hold> holds;
  ASSERT_FALSE(st.loadHolds(id, &holds));
  EXPECT_EQ(holds.size(), rec[0].holds);
  // Nothing left to recover; a second pass changes nothing.
  ASSERT_FALSE(recoverInterruptedSessions(st, &rec));
  EXPECT_TRUE(rec.empty());
}

TEST_F(SessionLibrary, ARecordingInProgressIsNotRecovered) {
  store::SessionStore recorder;
  ASSERT_FALSE(recorder.open(m_dir.file("sessions.db")));
  int64_t id = 0;
  ASSERT_FALSE(recorder.beginSession({}, &id));
  const RigSession r = makeRigSession(2, 20);
  recorder.appendSamples(id, r.samples);
  ASSERT_FALSE(recorder.commit());
  std::vector<RecoveredSession> rec;
  ASSERT_FALSE(recoverInterruptedSessions(m_store, &rec));
  EXPECT_TRUE(rec.empty());
}

TEST_F(SessionLibrary, ExportImportExportOfAVirtualRigSessionIsByteIdentical) {
  const RigSession r = makeRigSession(7, 300);
  const LiveResult live = runLive(r);
  const int64_t id = recordIntoStore(m_store, r, live);
  ExportResult ex;
  ASSERT_FALSE(exportSession(m_store, id, m_dir.file("one"), {}, &ex));
  EXPECT_EQ(ex.samples, r.samples.size());
  ASSERT_EQ(ex.files.size(), 5u);

  ImportResult im;
  ASSERT_FALSE(importSessionCsv(m_store, m_dir.file("one/samples.csv"), {}, &im));
  EXPECT_NE(im.session_id, id);
  EXPECT_EQ(im.form, core::ImportForm::kRawCounts);
  EXPECT_EQ(im.samples, r.samples.size());
  EXPECT_EQ(im.holds, live.holds.size());
  EXPECT_EQ(im.markers, r.markers.size());
  ASSERT_FALSE(exportSession(m_store, im.session_id, m_dir.file("two"), {}, &ex));
  for (const char* f : kExportFiles) {
    SCOPED_TRACE(f);
    const std::string a = readText(m_dir.file(std::string("one/") + f));
    EXPECT_GT(a.size(), 30u);
    EXPECT_TRUE(a == readText(m_dir.file(std::string("two/") + f)));
  }
  EXPECT_EQ(withoutId(m_dir.file("one/session.json")), withoutId(m_dir.file("two/session.json")));
  // The raw samples themselves came back, device time included.
  std::vector<core::Sample> back;
  ASSERT_FALSE(m_store.loadSamples(im.session_id, &back));
  ASSERT_EQ(back.size(), r.samples.size());
  EXPECT_EQ(back.front().t_us, r.samples.front().t_us);
  EXPECT_EQ(back[5000].raw_counts, r.samples[5000].raw_counts);
  EXPECT_EQ(back[5000].seq, r.samples[5000].seq);
}

// A minimal-form CSV as another tool writes it: more decimals than ours, a first row not at 0,
// positions missing under light load, markers.
std::string minimalCsv(bool with_xy) {
  sim::BodyModelConfig cfg;
  cfg.seed = 11;
  cfg.duration_s = 240;
  sim::BodyModel model(cfg);
  std::string out = with_xy ? "time_s,force_N,x_mm,y_mm,marker\n" : "time_s,force_N,marker\n";
  char line[160];
  for (int k = 0; k < 240 * 80; ++k) {
    const sim::ModelSample m = model.next();
    const char* marker = k == 800 ? "side=left" : (k == 1604 ? "pain=3" : "");
    if (with_xy && m.total_force_n >= 20)
      std::snprintf(line, sizeof(line), "%.6f,%.6f,%.3f,%.3f,%s\n", 3.5 + m.t_s, m.total_force_n,
                    m.x_mm, m.y_mm, marker);
    else if (with_xy)
      std::snprintf(line, sizeof(line), "%.6f,%.6f,,,%s\n", 3.5 + m.t_s, m.total_force_n, marker);
    else
      std::snprintf(line, sizeof(line), "%.6f,%.6f,%s\n", 3.5 + m.t_s, m.total_force_n, marker);
    out += line;
  }
  return out;
}

void roundTripMinimal(store::SessionStore& st, const TempDir& dir, bool with_xy) {
  writeText(dir.file("other.csv"), minimalCsv(with_xy));
  ImportResult im;
  ASSERT_FALSE(importSessionCsv(st, dir.file("other.csv"), {"2026-11-29T11:00:00Z", {}}, &im));
  EXPECT_EQ(im.form, core::ImportForm::kForceOnly);
  EXPECT_EQ(im.has_position, with_xy);
  EXPECT_EQ(im.markers, 2u);
  EXPECT_GE(im.holds, 1u);
  std::vector<core::Hold> holds;
  ASSERT_FALSE(st.loadHolds(im.session_id, &holds));
  for (const core::Hold& h : holds) EXPECT_EQ(h.has_xy, with_xy);  // no made-up position

  ExportResult ex;
  ASSERT_FALSE(exportSession(st, im.session_id, dir.file("a"), {}, &ex));
  const std::string samples = readText(dir.file("a/samples.csv"));
  EXPECT_EQ(samples.rfind(
                with_xy ? "time_s,force_N,x_mm,y_mm\n0.000000," : "time_s,force_N\n0.000000,", 0),
            0u)
      << samples.substr(0, 80);
  ImportResult im2;
  ASSERT_FALSE(importSessionCsv(st, dir.file("a/samples.csv"), {}, &im2));
  ASSERT_FALSE(exportSession(st, im2.session_id, dir.file("b"), {}, &ex));
  for (const char* f : kExportFiles) {
    SCOPED_TRACE(f);
    EXPECT_TRUE(readText(dir.file(std::string("a/") + f)) ==
                readText(dir.file(std::string("b/") + f)));
  }
  EXPECT_EQ(withoutId(dir.file("a/session.json")), withoutId(dir.file("b/session.json")));
  // And a third time from the second export: still the same.
  ImportResult im3;
  ASSERT_FALSE(importSessionCsv(st, dir.file("b/samples.csv"), {}, &im3));
  EXPECT_EQ(im3.holds, im2.holds);
}

TEST_F(SessionLibrary, ExportImportExportOfAnImportedMinimalCsvWithPositionsIsByteIdentical) {
  roundTripMinimal(m_store, m_dir, true);
}

TEST_F(SessionLibrary, ExportImportExportOfAnImportedForceOnlyCsvIsByteIdentical) {
  roundTripMinimal(m_store, m_dir, false);
}

TEST_F(SessionLibrary, AForceOnlySessionCannotBeRecalibrated) {
  writeText(m_dir.file("f.csv"), "time_s,force_N\n0,1\n0.1,2\n0.2,3\n");
  ImportResult im;
  ASSERT_FALSE(importSessionCsv(m_store, m_dir.file("f.csv"), {}, &im));
  ReanalyzeOptions opt;
  opt.calibration = core::CalibrationRecord{};
  ReanalyzeResult res;
  const LibraryError e = reanalyzeSession(m_store, im.session_id, opt, &res);
  EXPECT_EQ(e.kind, LibraryErrorKind::kRefused);
  EXPECT_NE(e.message.find("cannot be re-calibrated"), std::string::npos) << e.message;
}

TEST_F(SessionLibrary, AMalformedImportNamesItsLineAndAddsNothing) {
  writeText(m_dir.file("bad.csv"), "time_s,force_N\nx,y\nz,w\n0.1,2\n");
  ImportResult im;
  LibraryError e = importSessionCsv(m_store, m_dir.file("bad.csv"), {}, &im);
  EXPECT_EQ(e.kind, LibraryErrorKind::kInput);
  EXPECT_NE(e.message.find("line 2: "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("line 3: "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("bad.csv"), std::string::npos) << e.message;
  // A header without force_N: refused before any row.
  writeText(m_dir.file("bad2.csv"), "time_s,x_mm\n0,1\n");
  e = importSessionCsv(m_store, m_dir.file("bad2.csv"), {}, &im);
  EXPECT_EQ(e.kind, LibraryErrorKind::kInput);
  EXPECT_NE(e.message.find("force_N"), std::string::npos) << e.message;

  // An export directory whose markers.csv is damaged: refused with that file's line.
  fs::create_directories(m_dir.file("exp"));
  const RigSession r = makeRigSession(5, 30);
  const int64_t id = recordIntoStore(m_store, r, runLive(r));
  ExportResult ex;
  ASSERT_FALSE(exportSession(m_store, id, m_dir.file("exp"), {}, &ex));
  writeText(m_dir.file("exp/markers.csv"), "time_s,kind,pain,side,note\n1.0,pain,11,,\n");
  e = importSessionCsv(m_store, m_dir.file("exp/samples.csv"), {}, &im);
  EXPECT_EQ(e.kind, LibraryErrorKind::kInput);
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("markers.csv: line 2"), std::string::npos) << e.message;

  std::vector<store::SessionListEntry> list;
  ASSERT_FALSE(m_store.listSessions(&list));
  ASSERT_EQ(list.size(), 1u);  // only the recorded one
  EXPECT_EQ(list[0].id, id);
}

TEST_F(SessionLibrary, ExportRefusesANonEmptyDirectoryUnlessForcedAndNeverLeavesHalfAFile) {
  const RigSession r = makeRigSession(5, 30);
  const int64_t id = recordIntoStore(m_store, r, runLive(r));
  fs::create_directories(m_dir.file("out"));
  writeText(m_dir.file("out/samples.csv"), "precious\n");
  ExportResult ex;
  LibraryError e = exportSession(m_store, id, m_dir.file("out"), {}, &ex);
  EXPECT_EQ(e.kind, LibraryErrorKind::kOutput);
  EXPECT_NE(e.message.find("--force"), std::string::npos);
  EXPECT_EQ(readText(m_dir.file("out/samples.csv")), "precious\n");
  ExportOptions force;
  force.force = true;
  ASSERT_FALSE(exportSession(m_store, id, m_dir.file("out"), force, &ex));
  EXPECT_EQ(readText(m_dir.file("out/samples.csv")).rfind("time_s,seq,lost_before,", 0), 0u);
  for (const auto& entry : fs::directory_iterator(m_dir.file("out")))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "a temporary file was left: " << entry.path();
  EXPECT_EQ(exportSession(m_store, id + 100, m_dir.file("x"), {}, &ex).kind,
            LibraryErrorKind::kNotFound);
  writeText(m_dir.file("plain"), "a file\n");
  e = exportSession(m_store, id, m_dir.file("plain"), force, &ex);
  EXPECT_EQ(e.kind, LibraryErrorKind::kOutput);
  EXPECT_NE(e.message.find("not a directory"), std::string::npos) << e.message;
}

TEST_F(SessionLibrary, ARecalibrationMidSessionTakesOverAtItsTimeInExportsAndAnalysis) {
  const RigSession r = makeRigSession(9, 60);
  store::SessionInfo info;
  info.started_utc = "2026-11-29T09:00:00Z";
  int64_t id = 0;
  ASSERT_FALSE(m_store.beginSession(info, &id));
  const uint64_t switch_us = r.samples[2400].t_us;  // 30 s in
  core::CalibrationRecord doubled = r.calibration;
  for (auto& c : doubled.calibration.cells) c.n_per_count *= 2;
  m_store.addCalibration(id, r.samples.front().t_us, r.calibration);
  m_store.addCalibration(id, switch_us, doubled);
  m_store.appendSamples(id, r.samples);
  ASSERT_FALSE(m_store.endSession(id, store::kEndStopped, ""));
  ExportResult ex;
  ASSERT_FALSE(exportSession(m_store, id, m_dir.file("e"), {}, &ex));
  // Row k of samples.csv (line k + 2) against each calibration's ForceModel.
  std::istringstream in(readText(m_dir.file("e/samples.csv")));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), r.samples.size() + 1);
  auto row = [&](size_t k, const core::CalibrationRecord& c) {
    std::ostringstream o;
    core::SessionCsvWriter w(o);
    w.writeRow(r.samples[k], core::ForceModel(c.calibration, c.geometry).compute(r.samples[k]));
    std::string text = o.str();
    text.pop_back();
    return text.substr(text.find(','));  // time_s aside: the writer's t0 is this row
  };
  auto tail = [&](size_t k) { return lines[k + 1].substr(lines[k + 1].find(',')); };
  EXPECT_EQ(tail(2399), row(2399, r.calibration));
  EXPECT_EQ(tail(2400), row(2400, doubled));
  EXPECT_EQ(tail(4000), row(4000, doubled));
}

TEST_F(SessionLibrary, OurCsvWithoutMetadataGetsACalibrationThatReproducesItsForceColumns) {
  const RigSession r = makeRigSession(9, 60);
  std::ostringstream o;
  core::SessionCsvWriter w(o);
  w.writeHeader();
  const core::ForceModel model(r.calibration.calibration, r.calibration.geometry);
  for (const core::Sample& s : r.samples) w.writeRow(s, model.compute(s));
  writeText(m_dir.file("bare.csv"), o.str());
  ImportResult im;
  ASSERT_FALSE(importSessionCsv(m_store, m_dir.file("bare.csv"), {}, &im));
  EXPECT_EQ(im.form, core::ImportForm::kRawCounts);
  EXPECT_TRUE(im.used.empty());
  ExportResult ex;
  ASSERT_FALSE(exportSession(m_store, im.session_id, m_dir.file("e"), {}, &ex));
  // Same raw counts; forces within the columns' rounding (4 decimals).
  std::istringstream a(o.str()), b(readText(m_dir.file("e/samples.csv")));
  std::string la, lb;
  size_t rows = 0;
  double worst = 0;
  std::getline(a, la);
  std::getline(b, lb);
  while (std::getline(a, la) && std::getline(b, lb)) {
    std::vector<std::string> fa, fb;
    std::istringstream sa(la), sb(lb);
    std::string f;
    while (std::getline(sa, f, ',')) fa.push_back(f);
    while (std::getline(sb, f, ',')) fb.push_back(f);
    ASSERT_GE(fa.size(), 12u);
    for (int c = 0; c < 7; ++c) ASSERT_EQ(fa[c], fb[c]) << la << "\n" << lb;  // time .. counts
    for (int c = 7; c < 12; ++c)
      worst = std::max(worst, std::fabs(std::stod(fa[c]) - std::stod(fb[c])));
    ++rows;
  }
  EXPECT_EQ(rows, r.samples.size());
  EXPECT_LT(worst, 0.002);
}

TEST_F(SessionLibrary, HistoryHoldsGathersEveryStoredHoldWithItsSession) {
  const RigSession a = makeRigSession(7, 200), b = makeRigSession(8, 200);
  const LiveResult la = runLive(a), lb = runLive(b);
  const int64_t ia = recordIntoStore(m_store, a, la), ib = recordIntoStore(m_store, b, lb);
  std::vector<core::HistoryHold> hh;
  ASSERT_FALSE(historyHolds(m_store, &hh));
  ASSERT_EQ(hh.size(), la.holds.size() + lb.holds.size());
  EXPECT_EQ(hh.front().session_id, ia);
  EXPECT_EQ(hh.back().session_id, ib);
  EXPECT_EQ(hh.front().session_start_utc, "2026-11-29T09:50:00Z");
  const core::History h = core::buildHistory(hh);
  EXPECT_EQ(h.holds, hh.size());
}

// [SECTION] Edits

TEST(ReleaseEdits, TheNewestEditOfAHoldWinsAndAnEditWhoseHoldIsGoneIsReported) {
  std::vector<core::Hold> detected(3);
  for (int i = 0; i < 3; ++i) {
    detected[i].start_s = 10.0 + 100.0 * i;
    detected[i].end_s = detected[i].start_s + 40.0;
  }
  detected[0].release_s = 38.0, detected[0].release_source = "load-up";
  detected[1].release_s = 140.0, detected[1].release_source = "tremor";
  auto edit = [](int64_t id, double start, store::ReleaseEditKind k, std::optional<double> t) {
    store::ReleaseEdit e;
    e.id = id, e.hold_start_s = start, e.kind = k, e.release_s = t;
    return e;
  };
  using K = store::ReleaseEditKind;
  // Given out of order: ids say which is newest. Hold 0 moved, then moved again (start off by a
  // sample, as after a reanalysis); hold 1 deleted then undone; hold 2 (no release) confirmed;
  // one edit names a hold at 500 s that no longer exists.
  const EffectiveHolds eff = applyReleaseEdits(
      detected, {edit(4, 10.0125, K::kMoved, 42.0), edit(1, 10.0, K::kMoved, 30.0),
                 edit(2, 110.0, K::kDeleted, {}), edit(5, 110.0, K::kReverted, {}),
                 edit(3, 210.0, K::kConfirmed, {}), edit(6, 500.0, K::kDeleted, {})});
  ASSERT_EQ(eff.holds.size(), 3u);
  EXPECT_EQ(eff.holds[0].release_s, std::optional<double>(42.0));
  EXPECT_EQ(eff.holds[0].release_source, kEditedSource);
  EXPECT_EQ(eff.states[0].detected_release_s, std::optional<double>(38.0));
  EXPECT_EQ(eff.states[0].detected_source, "load-up");
  EXPECT_EQ(eff.states[0].edit->id, 4);
  EXPECT_TRUE(eff.states[0].edited());
  EXPECT_EQ(eff.holds[1].release_s, std::optional<double>(140.0));  // reverted: as detected
  EXPECT_FALSE(eff.states[1].edited());
  EXPECT_FALSE(eff.holds[2].release_s.has_value());
  EXPECT_EQ(eff.states[2].edit->kind, K::kConfirmed);
  ASSERT_EQ(eff.orphaned.size(), 1u);
  EXPECT_EQ(eff.orphaned[0].id, 6);
  // The detector's holds are untouched.
  EXPECT_EQ(detected[0].release_s, std::optional<double>(38.0));
  // A deleted release: the hold no longer counts as worked through unless it lasted 30 s.
  detected[0].end_s = 25.0;
  const EffectiveHolds del = applyReleaseEdits(detected, {edit(1, 10.0, K::kDeleted, {})});
  EXPECT_FALSE(del.holds[0].release_s.has_value());
  EXPECT_FALSE(del.holds[0].reached_protocol_min);
}

TEST_F(SessionLibrary, EditsAreStoredBesideTheDetectorsHoldsAndTheDetailsShowBoth) {
  const RigSession r = makeRigSession(7, 300);
  const LiveResult live = runLive(r);
  ASSERT_GE(live.holds.size(), 2u);
  const int64_t id = recordIntoStore(m_store, r, live);
  const core::Hold h0 = live.holds[0], h1 = live.holds[1];
  const double moved_to = h0.start_s + 0.5 * h0.duration_s();

  ASSERT_FALSE(editRelease(m_store, id, h0.start_s + 0.3, store::ReleaseEditKind::kMoved, moved_to,
                           "2026-11-30T08:00:00Z"));
  ASSERT_FALSE(editRelease(m_store, id, h1.start_s, store::ReleaseEditKind::kDeleted, 0,
                           "2026-11-30T08:01:00Z"));
  // Refused: a release outside its hold, a hold that does not exist, a session that does not.
  EXPECT_EQ(editRelease(m_store, id, h0.start_s, store::ReleaseEditKind::kMoved, h0.end_s + 5).kind,
            LibraryErrorKind::kRefused);
  EXPECT_EQ(editRelease(m_store, id, h0.start_s + 3.5, store::ReleaseEditKind::kConfirmed).kind,
            LibraryErrorKind::kNotFound);
  EXPECT_EQ(editRelease(m_store, id + 9, h0.start_s, store::ReleaseEditKind::kConfirmed).kind,
            LibraryErrorKind::kNotFound);

  SessionDetails d;
  ASSERT_FALSE(loadSessionDetails(m_store, id, &d));
  expectSameHolds(d.detected_holds, live.holds);
  ASSERT_EQ(d.holds.size(), live.holds.size());
  EXPECT_EQ(d.holds[0].release_s, std::optional<double>(moved_to));
  EXPECT_EQ(d.hold_edits[0].detected_release_s, h0.release_s);
  EXPECT_EQ(d.hold_edits[0].edit->hold_start_s, h0.start_s);  // the stored start, exactly
  EXPECT_EQ(d.hold_edits[0].edit->edited_utc, "2026-11-30T08:00:00Z");
  EXPECT_FALSE(d.holds[1].release_s.has_value());
  EXPECT_EQ(d.release_edits.size(), 2u);
  EXPECT_TRUE(d.orphaned_edits.empty());
}

TEST_F(SessionLibrary, MarkersAddedChangedAndDeletedAfterwardsAreInTheDetailsWithTheirOriginals) {
  const RigSession r = makeRigSession(7, 120);
  const int64_t id = recordIntoStore(m_store, r, runLive(r));
  core::Marker pain;
  pain.kind = core::MarkerKind::kPain;
  pain.pain = 7;
  int64_t added = 0, changed = 0;
  ASSERT_FALSE(addMarkerAfter(m_store, id, 61.25, pain, "2026-11-30T08:00:00Z", &added));
  MarkerChange c;
  c.pain = 4;
  ASSERT_FALSE(editMarker(m_store, id, added, c, "2026-11-30T08:01:00Z", &changed));
  core::Marker note;
  note.kind = core::MarkerKind::kNote;
  note.text = "physio: tender spot";
  int64_t note_id = 0;
  ASSERT_FALSE(addMarkerAfter(m_store, id, 70, note, "2026-11-30T08:02:00Z", &note_id));
  ASSERT_FALSE(deleteMarker(m_store, id, note_id, "2026-11-30T08:03:00Z"));
  // Refused: a pain of 11, a time past the session's end, an unknown marker.
  pain.pain = 11;
  EXPECT_EQ(addMarkerAfter(m_store, id, 10, pain).kind, LibraryErrorKind::kRefused);
  pain.pain = 2;
  EXPECT_EQ(addMarkerAfter(m_store, id, 1e6, pain).kind, LibraryErrorKind::kRefused);
  EXPECT_EQ(deleteMarker(m_store, id, 99999).kind, LibraryErrorKind::kNotFound);

  SessionDetails d;
  ASSERT_FALSE(loadSessionDetails(m_store, id, &d));
  ASSERT_EQ(d.markers.size(), r.markers.size() + 1);
  const uint64_t at_us = r.samples.front().t_us + 61'250'000;
  bool found = false;
  for (const core::Marker& m : d.markers) {
    EXPECT_NE(m.text, "physio: tender spot");
    if (m.t_us == at_us && m.kind == core::MarkerKind::kPain) {
      found = true;
      EXPECT_EQ(m.pain, 4);
    }
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(d.marker_rows.size(), r.markers.size() + 3);  // originals kept
}

TEST_F(SessionLibrary, HistoryUsesTheEditedReleasesAndReanalysisKeepsTheEdits) {
  const RigSession r = makeRigSession(7, 300);
  const LiveResult live = runLive(r);
  ASSERT_GE(live.holds.size(), 2u);
  const int64_t id = recordIntoStore(m_store, r, live);
  const core::Hold h0 = live.holds[0];
  const double moved_to = h0.start_s + 12.0;
  ASSERT_FALSE(editRelease(m_store, id, h0.start_s, store::ReleaseEditKind::kMoved, moved_to,
                           "2026-11-30T08:00:00Z"));
  std::vector<core::HistoryHold> hh;
  ASSERT_FALSE(historyHolds(m_store, &hh));
  ASSERT_EQ(hh.size(), live.holds.size());
  EXPECT_EQ(hh[0].hold.release_s, std::optional<double>(moved_to));

  // An edit naming a hold no analysis finds (a hold at 1 s that is not there) is kept and reported.
  store::ReleaseEdit stray;
  stray.hold_start_s = 1.0;
  stray.kind = store::ReleaseEditKind::kDeleted;
  stray.edited_utc = "2026-11-30T08:05:00Z";
  ASSERT_FALSE(m_store.addReleaseEdit(id, stray));

  ReanalyzeResult res;
  ASSERT_FALSE(reanalyzeSession(m_store, id, {}, &res));
  ASSERT_EQ(res.orphaned_edits.size(), 1u);
  EXPECT_EQ(res.orphaned_edits[0].hold_start_s, 1.0);
  SessionDetails d;
  ASSERT_FALSE(loadSessionDetails(m_store, id, &d));
  EXPECT_EQ(d.release_edits.size(), 2u);
  EXPECT_EQ(d.orphaned_edits.size(), 1u);
  EXPECT_EQ(d.holds[0].release_s, std::optional<double>(moved_to));
  ASSERT_FALSE(historyHolds(m_store, &hh));
  EXPECT_EQ(hh[0].hold.release_s, std::optional<double>(moved_to));
}

TEST_F(SessionLibrary, ExportsLoadInPandasAsTheyAreWithTheRightDtypes) {
  if (std::system("/usr/bin/python3 -c 'import pandas' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 cannot import pandas (apt-get install python3-pandas)";
  const RigSession r = makeRigSession(7, 200);
  const int64_t id = recordIntoStore(m_store, r, runLive(r));
  ExportResult ex;
  ASSERT_FALSE(exportSession(m_store, id, m_dir.file("p"), {}, &ex));
  const std::string script = R"PY(
import sys, pandas as pd
d = sys.argv[1]
want = {
  "samples.csv": {"time_s": "float64", "seq": "int64", "lost_before": "int64",
                  "cell0_raw_counts": "int64", "cell0_force_N": "float64", "force_N": "float64",
                  "x_mm": "float64", "y_mm": "float64", "flags": "int64", "fresh_mask": "int64"},
  "holds.csv": {"hold": "int64", "start_s": "float64", "end_s": "float64",
                "duration_s": "float64", "release_s": "float64", "mean_force_N": "float64",
                "x_mm": "float64", "side": "object", "reached_protocol_min": "bool",
                "exceeded_protocol_max": "bool"},
  "markers.csv": {"time_s": "float64", "kind": "object", "pain": "float64", "note": "object"},
  "events.csv": {"time_s": "float64", "event": "object", "frames_lost": "int64",
                 "gap_s": "float64"},
}
bad = []
for name, cols in want.items():
    df = pd.read_csv(d + "/" + name)
    if len(df) == 0:
        bad.append(name + ": no rows")
    for col, dtype in cols.items():
        got = str(df[col].dtype) if col in df.columns else "missing"
        if got != dtype:
            bad.append("%s %s: %s, want %s" % (name, col, got, dtype))
print("\n".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
)PY";
  writeText(m_dir.file("check.py"), script);
  const std::string cmd =
      "/usr/bin/python3 " + m_dir.file("check.py") + " " + m_dir.file("p") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out, "ok\n");
}

// [SECTION] Replay

TEST_F(SessionLibrary, ReplayGetsEverySampleWithTheForceTheLivePipelineComputed) {
  const RigSession r = makeRigSession(7, 120);
  const LiveResult live = runLive(r);
  const int64_t id = recordIntoStore(m_store, r, live);
  SessionDetails d;
  ASSERT_FALSE(loadSessionDetails(m_store, id, &d));

  // The live pipeline's forces, re-zeroes included.
  core::ForceModel model(r.calibration.calibration, r.calibration.geometry);
  core::DriftTracker drift(r.calibration.calibration);
  std::vector<core::ForceSample> expected;
  for (const core::Sample& s : r.samples) {
    expected.push_back(model.compute(s));
    if (drift.add(s)) model = core::ForceModel(drift.calibration(), r.calibration.geometry);
  }
  size_t n = 0, batches = 0;
  double last_t = -1;
  ASSERT_FALSE(forEachProcessedSample(m_store, d, [&](const std::vector<ProcessedSample>& b) {
    ++batches;
    for (const ProcessedSample& p : b) {
      EXPECT_EQ(p.sample.t_us, r.samples[n].t_us);
      EXPECT_NEAR(p.force.total_n, expected[n].total_n, 1e-9) << n;
      EXPECT_NEAR(p.force.x_mm, expected[n].x_mm, 1e-9) << n;
      EXPECT_GT(p.t_s, last_t);
      last_t = p.t_s;
      ++n;
    }
    return true;
  }));
  EXPECT_EQ(n, r.samples.size());
  EXPECT_GT(batches, 1u);  // chunk by chunk, not one vector of the whole session
  EXPECT_NEAR(last_t, (r.samples.back().t_us - r.samples.front().t_us) / 1e6, 1e-9);

  // Stopping early is not an error.
  size_t seen = 0;
  EXPECT_FALSE(forEachProcessedSample(m_store, d, [&](const std::vector<ProcessedSample>& b) {
    seen += b.size();
    return false;
  }));
  EXPECT_LT(seen, r.samples.size());
}

TEST(SessionReplay, TheSnapshotShowsTheHoldOpenAtThatTimeAndItsReleaseOnlyOnceReached) {
  SessionDetails d;
  d.record.id = 3;
  d.record.first_t_us = 10'000'000;
  core::Hold a;
  a.start_s = 10, a.end_s = 50, a.mean_force_n = 300, a.release_s = 42,
  a.release_source = "load-up";
  core::Hold b;
  b.start_s = 80, b.end_s = 200, b.mean_force_n = 250;
  d.holds = {a, b};
  core::Marker pain;
  pain.t_us = 10'000'000 + 30'000'000, pain.kind = core::MarkerKind::kPain, pain.pain = 6;
  d.markers = {pain};
  const core::ForceSample f{};

  LiveSnapshot s = replaySnapshotAt(d, 25, 300, f, 2000);
  ASSERT_TRUE(s.open_hold);
  EXPECT_DOUBLE_EQ(s.open_hold->elapsed_s, 15);
  EXPECT_EQ(s.open_hold->window, OpenHoldView::Window::kBefore);
  EXPECT_FALSE(s.open_hold->released);  // 42 s is still to come
  EXPECT_FALSE(s.open_hold->hold.release_s);
  EXPECT_TRUE(s.holds.empty());
  EXPECT_TRUE(s.markers.empty());  // the pain mark is at 30 s of session time
  EXPECT_EQ(s.state, ConnectionState::kStreaming);
  EXPECT_DOUBLE_EQ(s.elapsed_s, 25);
  EXPECT_TRUE(s.replay);

  s = replaySnapshotAt(d, 45, 300, f, 3600);
  ASSERT_TRUE(s.open_hold);
  EXPECT_EQ(s.open_hold->window, OpenHoldView::Window::kInside);
  EXPECT_TRUE(s.open_hold->released);
  EXPECT_DOUBLE_EQ(s.open_hold->release_s, 42);
  EXPECT_EQ(s.open_hold->release_source, "load-up");
  EXPECT_EQ(s.markers.size(), 1u);

  s = replaySnapshotAt(d, 60, 300, f, 4800);
  EXPECT_FALSE(s.open_hold);
  ASSERT_EQ(s.holds.size(), 1u);

  s = replaySnapshotAt(d, 175, 300, f, 14000);
  ASSERT_TRUE(s.open_hold);
  EXPECT_EQ(s.open_hold->window, OpenHoldView::Window::kPast);

  s = replaySnapshotAt(d, 300, 300, f, 24000);
  EXPECT_EQ(s.state, ConnectionState::kEnded);
  EXPECT_EQ(s.holds.size(), 2u);
}

}  // namespace
}  // namespace rollrig::engine

// Calibration files and the recording sidecar: round trips, one file per device, clear errors.
#include "rollrig/io/calibration_store.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rollrig/core/calibration_json.h"
#include "rollrig/io/session_meta.h"

using namespace rollrig;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("rollrig-store-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  return d;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A complete record, solved from synthetic placements, as `rollrig calibrate` would save it.
core::CalibrationRecord sampleRecord(uint32_t serial) {
  core::PlateGeometry g;
  core::Calibration truth;
  for (int i = 0; i < 4; ++i) {
    truth.cells[i].offset_counts = -20000.0 + 12345.678 * i;
    truth.cells[i].n_per_count = 1.0 / (4390.0 * (1 + 0.01 * (i - 1.5)));
  }
  std::vector<core::SpanPlacement> places;
  for (auto [x, y] : std::vector<std::pair<double, double>>{
           {-200, 110}, {200, 110}, {-200, -110}, {200, -110}, {0, 0}}) {
    double f[4];
    g.distribute(10 * core::kStandardGravity_mps2, x, y, f);
    core::SpanPlacement p;
    p.x_mm = x;
    p.y_mm = y;
    p.samples = 240;
    for (int i = 0; i < 4; ++i)
      p.mean_counts[i] = truth.cells[i].offset_counts + f[i] / truth.cells[i].n_per_count + 0.3;
    places.push_back(p);
  }
  std::array<double, 4> offsets{};
  for (int i = 0; i < 4; ++i) offsets[i] = truth.cells[i].offset_counts;
  const core::SpanResult span = core::solveSpan(places, offsets, 10.0, g);
  EXPECT_TRUE(span.ok()) << span.error.message;

  core::CalibrationRecord rec;
  rec.geometry = g;
  for (int i = 0; i < 4; ++i) {
    rec.calibration.cells[i].offset_counts = offsets[i];
    rec.calibration.cells[i].n_per_count = span.n_per_count[i];
  }
  rec.calibration.source = "span 10 kg at 5 placements";
  rec.calibration.device_serial = serial;
  rec.calibration.created = "2024-05-01T10:00:00Z";
  rec.tare = core::TareRecord{240, 2.9875, {91.5, 88.25, 90, 89}};
  rec.span = core::SpanRecord{10.0, core::kStandardGravity_mps2, places, span.report};
  return rec;
}

void expectSameRecord(const core::CalibrationRecord& a, const core::CalibrationRecord& b) {
  EXPECT_EQ(a.calibration.source, b.calibration.source);
  EXPECT_EQ(a.calibration.device_serial, b.calibration.device_serial);
  EXPECT_EQ(a.calibration.created, b.calibration.created);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.calibration.cells[i].offset_counts, b.calibration.cells[i].offset_counts);
    EXPECT_EQ(a.calibration.cells[i].n_per_count, b.calibration.cells[i].n_per_count);
    EXPECT_EQ(a.geometry.cells[i].x_mm, b.geometry.cells[i].x_mm);
    EXPECT_EQ(a.geometry.cells[i].y_mm, b.geometry.cells[i].y_mm);
  }
  ASSERT_EQ(a.tare.has_value(), b.tare.has_value());
  if (a.tare) {
    EXPECT_EQ(a.tare->samples, b.tare->samples);
    EXPECT_EQ(a.tare->sd_counts, b.tare->sd_counts);
  }
  ASSERT_EQ(a.span.has_value(), b.span.has_value());
  if (a.span) {
    EXPECT_EQ(a.span->mass_kg, b.span->mass_kg);
    ASSERT_EQ(a.span->placements.size(), b.span->placements.size());
    for (size_t p = 0; p < a.span->placements.size(); ++p) {
      EXPECT_EQ(a.span->placements[p].mean_counts, b.span->placements[p].mean_counts);
      EXPECT_EQ(a.span->placements[p].x_mm, b.span->placements[p].x_mm);
    }
    const core::SpanReport &ra = a.span->report, &rb = b.span->report;
    EXPECT_EQ(ra.condition_number, rb.condition_number);
    EXPECT_EQ(ra.rank, rb.rank);
    EXPECT_EQ(ra.rms_cop_error_mm, rb.rms_cop_error_mm);
    EXPECT_EQ(ra.singular_values, rb.singular_values);
    ASSERT_EQ(ra.placements.size(), rb.placements.size());
    EXPECT_EQ(ra.placements[2].force_error_pct, rb.placements[2].force_error_pct);
    EXPECT_EQ(ra.placements[2].cop_error_mm, rb.placements[2].cop_error_mm);
  }
}

// Sets an environment variable for one scope, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

}  // namespace

TEST(CalibrationStore, RoundTripsACalibrationWithItsPlacementsAndResidualReport) {
  const fs::path dir = freshDir("roundtrip");
  io::CalibrationStore store(dir.string());
  const core::CalibrationRecord rec = sampleRecord(0x0000D3E0);
  io::IoError err;
  std::string path;
  ASSERT_TRUE(store.save(rec, &err, &path)) << err.message;
  EXPECT_EQ(path, (dir / "device-0000D3E0.json").string());
  EXPECT_TRUE(fs::exists(path));
  core::CalibrationRecord back;
  ASSERT_TRUE(store.load(0x0000D3E0, &back, &err)) << err.message;
  expectSameRecord(rec, back);
  fs::remove_all(dir);
}

TEST(CalibrationStore, KeepsOneFilePerDeviceSerialAndReplacesItOnSave) {
  const fs::path dir = freshDir("per-device");
  io::CalibrationStore store(dir.string());
  io::IoError err;
  core::CalibrationRecord a = sampleRecord(0x00000001), b = sampleRecord(0xCAFE0042);
  b.span.reset();  // a tare-only calibration
  b.calibration.source = "tare only";
  ASSERT_TRUE(store.save(a, &err)) << err.message;
  ASSERT_TRUE(store.save(b, &err)) << err.message;
  a.calibration.source = "second calibration";
  ASSERT_TRUE(store.save(a, &err)) << err.message;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".json") << "no temporary files left behind";
  }
  EXPECT_EQ(files, 2u);
  core::CalibrationRecord back;
  ASSERT_TRUE(store.load(0x00000001, &back, &err));
  EXPECT_EQ(back.calibration.source, "second calibration");
  ASSERT_TRUE(store.load(0xCAFE0042, &back, &err));
  expectSameRecord(b, back);
  EXPECT_TRUE(fs::exists(dir / "device-CAFE0042.json"));
  fs::remove_all(dir);
}

TEST(CalibrationStore, ReportsADeviceWithoutACalibrationAsNotFound) {
  io::CalibrationStore store(freshDir("empty").string());
  io::IoError err;
  core::CalibrationRecord back;
  EXPECT_FALSE(store.load(0x12345678, &back, &err));
  EXPECT_EQ(err.kind, io::IoErrorKind::kNotFound);
  EXPECT_TRUE(contains(err.message, "12345678")) << err.message;
  EXPECT_TRUE(contains(err.message, "rollrig calibrate")) << err.message;
}

TEST(CalibrationStore, ReportsAMalformedFileWithItsPathLineAndColumn) {
  const fs::path dir = freshDir("malformed");
  fs::create_directories(dir);
  const fs::path file = dir / "device-0000D3E0.json";
  std::ofstream(file) << "{\n  \"format\": \"rollrig calibration\",\n  \"cells\": [1, 2,,\n";
  io::CalibrationStore store(dir.string());
  io::IoError err;
  core::CalibrationRecord back;
  EXPECT_FALSE(store.load(0x0000D3E0, &back, &err));
  EXPECT_EQ(err.kind, io::IoErrorKind::kMalformed);
  EXPECT_TRUE(contains(err.message, file.string())) << err.message;
  EXPECT_TRUE(contains(err.message, "line 3")) << err.message;
  EXPECT_TRUE(contains(err.message, "column")) << err.message;
  fs::remove_all(dir);
}

TEST(CalibrationStore, NamesTheFieldThatIsWrong) {
  const fs::path dir = freshDir("bad-field");
  fs::create_directories(dir);
  const fs::path file = dir / "cal.json";
  std::string text = core::calibrationToJson(sampleRecord(7));
  const size_t at = text.find("\"n_per_count\"", text.find("\"n_per_count\"") + 1);
  text.replace(at, std::string("\"n_per_count\"").size(), "\"gain\"");
  std::ofstream(file) << text;
  io::IoError err;
  core::CalibrationRecord back;
  EXPECT_FALSE(io::readCalibrationFile(file.string(), &back, &err));
  EXPECT_EQ(err.kind, io::IoErrorKind::kMalformed);
  EXPECT_TRUE(contains(err.message, file.string())) << err.message;
  EXPECT_TRUE(contains(err.message, "n_per_count")) << err.message;
  EXPECT_TRUE(contains(err.message, "cells[1]")) << err.message;

  std::ofstream(file) << "{\"format\": \"something else\"}";
  EXPECT_FALSE(io::readCalibrationFile(file.string(), &back, &err));
  EXPECT_TRUE(contains(err.message, "not a rollrig calibration")) << err.message;
  fs::remove_all(dir);
}

TEST(CalibrationStore, FindsItsDirectoryFromTheEnvironment) {
  {
    ScopedEnv own("ROLLRIG_CONFIG_DIR", "/tmp/rr-conf");
    EXPECT_EQ(io::defaultCalibrationDir(), "/tmp/rr-conf/calibrations");
  }
  ScopedEnv own("ROLLRIG_CONFIG_DIR", nullptr);
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/tmp/xdg");
    EXPECT_EQ(io::defaultCalibrationDir(), "/tmp/xdg/rollrig/calibrations");
  }
  ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
  ScopedEnv home("HOME", "/home/someone");
  EXPECT_EQ(io::defaultCalibrationDir(), "/home/someone/.config/rollrig/calibrations");
}

TEST(SessionMeta, RoundTripsTheDeviceCalibrationAndReZeroes) {
  const fs::path dir = freshDir("meta");
  fs::create_directories(dir);
  io::SessionMeta m;
  m.csv_file = "s.csv";
  m.started = "2024-05-01T10:00:00Z";
  m.source = "virtual rig (seed 3)";
  m.info.device_serial = 0x0000D3E0;
  m.info.fw_major = 0;
  m.info.fw_minor = 1;
  m.info.fw_patch = 2;
  m.info.proto_major = 1;
  m.info.channel_count = 4;
  m.info.rate_hz = 80;
  m.calibration = sampleRecord(0x0000D3E0);
  m.auto_zero = true;
  m.t0_us = 1000000;
  core::ReZero z;
  z.t_us = 6000000;
  z.samples = 401;
  z.change_counts = {10, -20, 30.5, 0};
  m.rezeros.push_back(z);
  m.stats.samples = 4800;
  m.rows = 4800;
  m.duration_s = 59.9875;
  m.stop_reason = "duration reached";
  const std::string path = io::sessionMetaPath((dir / "s.csv").string());
  EXPECT_EQ(path, (dir / "s.csv.meta.json").string());
  io::IoError err;
  ASSERT_TRUE(io::writeSessionMeta(path, m, &err)) << err.message;
  io::SessionMeta back;
  ASSERT_TRUE(io::readSessionMeta(path, &back, &err)) << err.message;
  EXPECT_EQ(back.info.device_serial, 0x0000D3E0u);
  EXPECT_EQ(back.info.fw_patch, 2);
  EXPECT_EQ(back.source, m.source);
  EXPECT_TRUE(back.auto_zero);
  ASSERT_EQ(back.rezeros.size(), 1u);
  EXPECT_EQ(back.rezeros[0].t_us, 5000000u) << "re-zero times are session times";
  EXPECT_EQ(back.rezeros[0].change_counts, z.change_counts);
  EXPECT_EQ(back.rows, 4800u);
  EXPECT_EQ(back.stop_reason, "duration reached");
  expectSameRecord(m.calibration, back.calibration);
  fs::remove_all(dir);
}

// Issue 9, item 10: on a full disk the final sidecar cannot be written beside the old one; it
// must still replace the "rows 0" written at the start. (A directory in the way of the temporary
// file stands in for the full disk: no second file can be created, the existing one can be
// rewritten.)
TEST(SessionMeta, IsFinalisedInPlaceWhenNoNewFileCanBeCreated) {
  const fs::path dir = freshDir("meta-full");
  fs::create_directories(dir);
  const std::string path = io::sessionMetaPath((dir / "s.csv").string());
  io::SessionMeta m;
  m.csv_file = "s.csv";
  m.calibration = sampleRecord(0x0000D3E0);
  io::IoError err;
  ASSERT_TRUE(io::writeSessionMeta(path, m, &err)) << err.message;  // at the start: rows 0
  fs::create_directories(path + ".tmp-" + std::to_string(getpid()));
  m.rows = 658;
  m.duration_s = 8.2125;
  m.stop_reason = "output failed";
  for (int i = 0; i < 40; ++i) m.rezeros.push_back(core::ReZero{});  // longer than at the start
  ASSERT_TRUE(io::writeSessionMeta(path, m, &err)) << err.message;
  io::SessionMeta back;
  ASSERT_TRUE(io::readSessionMeta(path, &back, &err)) << err.message;
  EXPECT_EQ(back.rows, 658u);
  EXPECT_EQ(back.stop_reason, "output failed");
  EXPECT_EQ(back.rezeros.size(), 40u);
  fs::remove_all(dir);
}

// Issue 9, item 2 follow-up: samples dropped for a cell count other than INFO's were shown in
// record's summary but missing from the sidecar. Every decoder statistic is written (under the
// name docs/CSV_FORMAT.md gives it) and read back.
TEST(SessionMeta, WritesEveryDecoderStatisticIncludingSamplesWithTheWrongCellCount) {
  using S = core::DecoderStats;
  const std::vector<std::pair<std::string, uint64_t S::*>> fields = {
      {"bytes", &S::bytes},
      {"frames_ok", &S::frames_ok},
      {"samples", &S::samples},
      {"crc_errors", &S::crc_errors},
      {"malformed", &S::malformed},
      {"oversized", &S::oversized},
      {"unknown_types", &S::unknown_types},
      {"seq_gaps", &S::seq_gaps},
      {"frames_lost", &S::frames_lost},
      {"duplicates", &S::duplicates},
      {"out_of_order", &S::out_of_order},
      {"time_wraps", &S::time_wraps},
      {"device_resets", &S::device_resets},
      {"wrong_channel_count", &S::wrong_channel_count},
      {"implausible", &S::implausible},
  };
  ASSERT_EQ(fields.size() * sizeof(uint64_t), sizeof(S))
      << "a DecoderStats counter this test does not know: add it here and to the sidecar";
  const fs::path dir = freshDir("meta-decoder");
  fs::create_directories(dir);
  const std::string path = io::sessionMetaPath((dir / "s.csv").string());
  io::SessionMeta m;
  m.csv_file = "s.csv";
  m.calibration = sampleRecord(0x0000D3E0);
  uint64_t value = 1001;  // a different value for each counter
  for (const auto& f : fields) m.stats.*f.second = value++;
  io::IoError err;
  ASSERT_TRUE(io::writeSessionMeta(path, m, &err)) << err.message;
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  io::SessionMeta back;
  ASSERT_TRUE(io::readSessionMeta(path, &back, &err)) << err.message;
  value = 1001;
  for (const auto& f : fields) {
    EXPECT_TRUE(contains(text, "\"" + f.first + "\": " + std::to_string(value))) << f.first;
    EXPECT_EQ(back.stats.*f.second, value) << f.first << " read back";
    ++value;
  }
  fs::remove_all(dir);
}

// Found by fuzzing (fuzz/session_meta; the input is fuzz/corpus/session_meta/
// crash-number-overflow.csv.meta.json): a number too large for a double (1e6829957382) made the
// JSON reader throw an exception the sidecar reader did not catch, and `rollrig calibrate --from`
// or the library's import died on it. It is a malformed file, reported as one.
TEST(SessionMeta, AFileWithANumberBeyondADoubleIsMalformedNotACrash) {
  const fs::path dir = freshDir("meta-overflow");
  fs::create_directories(dir);
  const std::string path = (dir / "s.csv.meta.json").string();
  std::ofstream(path) << R"({"format": "rollrig session metadata", "version": 1,
    "recording": {"rows": 10, "duration_s": 2.6e6829957382}})";
  io::SessionMeta back;
  io::IoError err;
  EXPECT_FALSE(io::readSessionMeta(path, &back, &err));
  EXPECT_EQ(err.kind, io::IoErrorKind::kMalformed);
  EXPECT_NE(err.message.find(path + " is not valid JSON"), std::string::npos) << err.message;
  fs::remove_all(dir);
}

// Found by fuzzing, as above: a count or a byte-sized field given as -1 or 1e300 was converted to
// an integer (undefined behaviour). Such a value is not one rollrig wrote: it reads as missing.
TEST(SessionMeta, ReadsACountOutOfItsRangeAsMissing) {
  const fs::path dir = freshDir("meta-range");
  fs::create_directories(dir);
  const std::string path = (dir / "s.csv.meta.json").string();
  std::ofstream(path) << R"({"format": "rollrig session metadata", "version": 1,
    "device": {"channels": 1e300, "rate_hz": -1},
    "auto_zero": {"enabled": true, "rezeros": [{"time_s": 1, "samples": -5}]},
    "decoder": {"samples": 2.5, "crc_errors": 3},
    "recording": {"rows": 18446744073709551616, "duration_s": 2}})";
  io::SessionMeta back;
  io::IoError err;
  ASSERT_TRUE(io::readSessionMeta(path, &back, &err)) << err.message;
  EXPECT_EQ(back.info.channel_count, 0);
  EXPECT_EQ(back.info.rate_hz, 0);
  ASSERT_EQ(back.rezeros.size(), 1u);
  EXPECT_EQ(back.rezeros[0].samples, 0u);
  EXPECT_EQ(back.stats.samples, 0u);
  EXPECT_EQ(back.stats.crc_errors, 3u);
  EXPECT_EQ(back.rows, 0u);
  EXPECT_EQ(back.duration_s, 2.0);
  fs::remove_all(dir);
}

// `rollrig calibrate` as a user runs it: the guided flow on the virtual rig, the report, the
// saved calibration, `rollrig record` applying it (from a port, by device serial), calibrating
// from a recording, and the refusals.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"
#include "pty_rig.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/sim/body_model.h"
#include "rollrig/sim/virtual_device.h"

namespace fs = std::filesystem;
using namespace rollrig;

namespace {

using rollrig::testing::CliRun;

// Runs rollrig with its calibrations in `config_dir` (ROLLRIG_CONFIG_DIR).
CliRun run(const fs::path& config_dir, const std::string& args) {
  return rollrig::testing::runRollrig(args, "ROLLRIG_CONFIG_DIR='" + config_dir.string() + "' ");
}

fs::path freshDir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("rollrig-calcli-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

using rollrig::testing::splitCsvLine;

// The report's summary line: "force error: rms A %, max B %;  CoP error: rms C mm, max D mm".
bool reportErrors(const std::string& out, double* max_force_pct, double* max_cop_mm) {
  const std::regex re(
      R"(force error: rms [0-9.]+ %, max ([0-9.]+) %;  CoP error: rms [0-9.]+ mm, max ([0-9.]+) mm)");
  std::smatch m;
  if (!std::regex_search(out, m, re)) return false;
  *max_force_pct = std::stod(m[1]);
  *max_cop_mm = std::stod(m[2]);
  return true;
}

using rollrig::testing::PtyRig;

// Compares a recording's forces with the body model's truth: mean |force error| (N) over all
// rows and the worst CoP error (mm) where the load is meaningful.
void compareWithTruth(const fs::path& csv, const sim::BodyModelConfig& cfg, double* mean_abs_n,
                      double* worst_cop_mm, size_t* rows_out) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  sim::BodyModel model(cfg);
  double sum = 0, worst = 0;
  size_t rows = 0;
  while (std::getline(in, line)) {
    const auto c = splitCsvLine(line);
    const auto m = model.next();
    sum += std::abs(std::stod(c[11]) - m.total_force_n);
    if (m.total_force_n > 50 && !c[12].empty())
      worst = std::max(worst, std::hypot(std::stod(c[12]) - m.x_mm, std::stod(c[13]) - m.y_mm));
    ++rows;
  }
  *mean_abs_n = rows ? sum / rows : 1e9;
  *worst_cop_mm = worst;
  *rows_out = rows;
}

}  // namespace

TEST(CalibrateCli, DemoCalibrationReportsSmallErrorsAndSavesUnderTheDeviceSerial) {
  const fs::path conf = freshDir("demo");
  const CliRun r = run(conf, "calibrate --demo --mass 10 --yes --fast --seed 5");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Clear the plate")) << r.output;
  EXPECT_TRUE(contains(r.output, "[1/5] Place the 10 kg at (+0, +0) mm")) << r.output;
  EXPECT_TRUE(contains(r.output, "[2/5] Place the 10 kg at (-200, +120) mm")) << r.output;
  double max_force_pct = 1e9, max_cop_mm = 1e9;
  ASSERT_TRUE(reportErrors(r.output, &max_force_pct, &max_cop_mm)) << r.output;
  EXPECT_LT(max_force_pct, 1.0);
  EXPECT_LT(max_cop_mm, 5.0);
  EXPECT_TRUE(contains(r.output, "condition number")) << r.output;

  const fs::path file = conf / "calibrations" / "device-0000D3E0.json";
  ASSERT_TRUE(fs::exists(file)) << r.output;
  core::CalibrationRecord rec;
  io::IoError err;
  ASSERT_TRUE(io::readCalibrationFile(file.string(), &rec, &err)) << err.message;
  EXPECT_EQ(rec.calibration.device_serial, 0x0000D3E0u);
  ASSERT_TRUE(rec.span.has_value());
  EXPECT_EQ(rec.span->placements.size(), 5u);
  // The virtual rig's true gains (body model sensors of seed 5) within half a percent.
  sim::BodyModelConfig body;
  body.seed = 5;
  const sim::BodyModel truth(body);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(rec.calibration.cells[i].n_per_count * truth.sensors()[i].counts_per_n, 1.0, 0.005)
        << "cell " << i;
    EXPECT_NEAR(rec.calibration.cells[i].offset_counts, truth.sensors()[i].offset_counts, 50.0);
  }
  fs::remove_all(conf);
}

TEST(CalibrateCli, ARecordingFromThePortAppliesTheCalibrationSavedForItsSerial) {
  const fs::path conf = freshDir("apply");
  ASSERT_EQ(run(conf, "calibrate --demo --mass 10 --yes --fast --seed 21").code, 0);
  sim::VirtualDeviceConfig cfg;  // the same serial (0000D3E0) and sensors (seed 21)
  cfg.body.seed = 21;
  cfg.body.duration_s = 30;
  PtyRig rig(cfg);
  ASSERT_FALSE(rig.path().empty());
  const fs::path out = conf / "port.csv";
  const CliRun r =
      run(conf, "record --port " + rig.path() + " --duration 30 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "calibration: tare + span 10 kg at 5 placements")) << r.output;
  EXPECT_TRUE(contains(r.output, "device-0000D3E0.json")) << r.output;
  double mean_abs_n = 0, worst_cop_mm = 0;
  size_t rows = 0;
  compareWithTruth(out, cfg.body, &mean_abs_n, &worst_cop_mm, &rows);
  EXPECT_EQ(rows, 2400u);
  EXPECT_LT(mean_abs_n, 0.5) << "calibrated forces match the body model's";
  EXPECT_LT(worst_cop_mm, 5.0);

  // The sidecar says which calibration made the force columns.
  std::ifstream meta_in(out.string() + ".meta.json");
  ASSERT_TRUE(meta_in.good());
  const nlohmann::json meta = nlohmann::json::parse(meta_in);
  EXPECT_EQ(meta["device"]["serial"], "0000D3E0");
  EXPECT_TRUE(contains(meta["calibration"]["source"].get<std::string>(), "tare + span"));
  EXPECT_EQ(meta["calibration"]["cells"].size(), 4u);
  EXPECT_EQ(meta["recording"]["rows"], 2400);
  EXPECT_EQ(meta["decoder"]["frames_lost"], 0);
  fs::remove_all(conf);
}

TEST(CalibrateCli, RecordDemoUsesACalibrationFileWhenGivenOne) {
  const fs::path conf = freshDir("file");
  const fs::path cal = conf / "mine.json";
  ASSERT_EQ(
      run(conf, "calibrate --demo --mass 20 --yes --fast --seed 8 --dry-run --out " + cal.string())
          .code,
      0);
  EXPECT_TRUE(fs::exists(cal));
  EXPECT_FALSE(fs::exists(conf / "calibrations")) << "--dry-run saves nothing for the device";
  const fs::path out = conf / "demo.csv";
  const CliRun r = run(conf, "record --demo --fast --seed 8 --duration 40 --calibration " +
                                 cal.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "calibration: tare + span 20 kg")) << r.output;
  sim::BodyModelConfig body;
  body.seed = 8;
  body.duration_s = 40;
  double mean_abs_n = 0, worst_cop_mm = 0;
  size_t rows = 0;
  compareWithTruth(out, body, &mean_abs_n, &worst_cop_mm, &rows);
  EXPECT_LT(mean_abs_n, 0.5);
  EXPECT_LT(worst_cop_mm, 5.0);
  fs::remove_all(conf);
}

TEST(CalibrateCli, TareOnlyKeepsThePreviousGains) {
  const fs::path conf = freshDir("tare-only");
  ASSERT_EQ(run(conf, "calibrate --demo --mass 10 --yes --fast --seed 4").code, 0);
  const fs::path file = conf / "calibrations" / "device-0000D3E0.json";
  core::CalibrationRecord before, after;
  io::IoError err;
  ASSERT_TRUE(io::readCalibrationFile(file.string(), &before, &err));
  const CliRun r = run(conf, "calibrate --demo --tare-only --yes --fast --seed 4");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(io::readCalibrationFile(file.string(), &after, &err));
  EXPECT_TRUE(contains(after.calibration.source, "gains from: tare + span"))
      << after.calibration.source;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(after.calibration.cells[i].n_per_count, before.calibration.cells[i].n_per_count);
  EXPECT_TRUE(after.span.has_value()) << "the span that made the gains stays on record";
  fs::remove_all(conf);
}

TEST(CalibrateCli, CalibratesFromARecordingByTimeWindows) {
  const fs::path dir = freshDir("from");
  // A recording of a calibration: plate empty, then 10 kg at four places.
  sim::BodyModelConfig body;
  body.seed = 12;
  body.duration_s = 0;
  const std::vector<std::array<double, 2>> at = {{-200, 130}, {200, 130}, {0, -130}, {0, 0}};
  for (size_t p = 0; p < at.size(); ++p)
    body.calibration_script.push_back({5.0 + 8.0 * p, 6.0, 10.0, at[p][0], at[p][1]});
  sim::BodyModel model(body);
  const fs::path csv = dir / "cal.csv";
  {
    std::ofstream f(csv);
    core::SessionCsvWriter w(f);
    w.writeHeader();
    for (int k = 0; k < 40 * 80; ++k) {
      const sim::ModelSample m = model.next();
      core::Sample s;
      s.t_us = static_cast<uint64_t>(std::llround(m.t_s * 1e6));
      s.seq = static_cast<uint16_t>(k);
      s.channel_count = 4;
      s.fresh_mask = 15;
      for (int i = 0; i < 4; ++i) s.raw_counts[i] = m.raw_counts[i];
      w.writeRow(s, core::ForceSample{});
    }
  }
  std::string args =
      "calibrate --from " + csv.string() + " --mass 10 --serial 0000AB12 --tare-window 0.5,4.5";
  for (size_t p = 0; p < at.size(); ++p) {
    const double t0 = 5.0 + 8.0 * p;
    args += " --placement " + std::to_string(t0 + 1.5) + "," + std::to_string(t0 + 5.0) + "," +
            std::to_string(at[p][0]) + "," + std::to_string(at[p][1]);
  }
  const CliRun r = run(dir, args);
  ASSERT_EQ(r.code, 0) << r.output;
  double max_force_pct = 1e9, max_cop_mm = 1e9;
  ASSERT_TRUE(reportErrors(r.output, &max_force_pct, &max_cop_mm)) << r.output;
  EXPECT_LT(max_force_pct, 1.0);
  EXPECT_LT(max_cop_mm, 5.0);
  core::CalibrationRecord rec;
  io::IoError err;
  ASSERT_TRUE(
      io::readCalibrationFile((dir / "calibrations" / "device-0000AB12.json").string(), &rec, &err))
      << err.message << "\n"
      << r.output;
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(rec.calibration.cells[i].n_per_count * model.sensors()[i].counts_per_n, 1.0, 0.005);

  // A placement window while the mass was being set down is refused, naming it.
  const CliRun moving =
      run(dir, "calibrate --from " + csv.string() +
                   " --mass 10 --dry-run --tare-window 0.5,4.5 --placement 4.8,8,-200,130 "
                   "--placement 14,18,200,130 --placement 22,26,0,-130");
  EXPECT_EQ(moving.code, 11) << moving.output;
  EXPECT_TRUE(contains(moving.output, "Placement 1 (4.8..8 s) is not steady")) << moving.output;
  EXPECT_TRUE(contains(moving.output, "the mass is still moving")) << moving.output;

  // A tare window with the mass on the plate is refused when it is not steady.
  const CliRun bad_tare =
      run(dir, "calibrate --from " + csv.string() + " --tare-only --dry-run --tare-window 3,7");
  EXPECT_EQ(bad_tare.code, 11) << bad_tare.output;
  EXPECT_TRUE(contains(bad_tare.output, "tare refused")) << bad_tare.output;
  fs::remove_all(dir);
}

TEST(CalibrateCli, NamesTheLineOfAMalformedRecording) {
  const fs::path dir = freshDir("malformed");
  const fs::path csv = dir / "bad.csv";
  std::ofstream(csv) << core::SessionCsvWriter::header() << "\n"
                     << "0.000000,0,0,1,2,3,4,0,0,0,0,0,,,0,15\n"
                     << "0.012500,1,0,1,2\n"
                     << "0.025000,2,0,1,2\n";
  const CliRun r = run(dir, "calibrate --from " + csv.string() +
                                " --tare-only --dry-run "
                                "--tare-window 0,1");
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_TRUE(contains(r.output, "only 1 of 3 data rows can be used")) << r.output;
  EXPECT_TRUE(contains(r.output, "line 3: has 5 fields where the header has 16")) << r.output;
  EXPECT_TRUE(contains(r.output, csv.string())) << r.output;
  fs::remove_all(dir);
}

namespace {

// A recording of an empty plate: 10 s at 80 Hz, as `rollrig record` writes it.
fs::path emptyPlateRecording(const fs::path& dir,
                             const std::function<void(int, std::string&)>& edit = nullptr) {
  sim::BodyModelConfig body;
  body.seed = 4;
  body.duration_s = 0;
  sim::BodyModel model(body);
  const fs::path csv = dir / "plate.csv";
  std::ostringstream text;
  core::SessionCsvWriter w(text);
  w.writeHeader();
  for (int k = 0; k < 10 * 80; ++k) {
    const sim::ModelSample m = model.next();
    core::Sample s;
    s.t_us = static_cast<uint64_t>(k) * 12500;  // 80 Hz
    s.seq = static_cast<uint16_t>(k);
    s.channel_count = 4;
    s.fresh_mask = 15;
    for (int i = 0; i < 4; ++i) s.raw_counts[i] = m.raw_counts[i];
    w.writeRow(s, core::ForceSample{});
  }
  std::istringstream lines(text.str());
  std::string all, line;
  for (int k = -1; std::getline(lines, line); ++k) {
    line += "\n";
    if (edit && k >= 0) edit(k, line);
    all += line;
  }
  std::ofstream(csv) << all;
  return csv;
}

}  // namespace

// Issue 9, item 16: calibrating from a recording follows the same rules as analyze: a repeated
// row, a comment or a cut-off last row is a skipped row named by its line, not a refusal.
TEST(CalibrateCli, SkipsTheRowsAnalyzeSkipsAndNamesThem) {
  const fs::path dir = freshDir("rules");
  const fs::path csv = emptyPlateRecording(dir, [](int k, std::string& line) {
    if (k == 100) line += line;                // a repeated row
    if (k == 200) line = "# a note\n" + line;  // a comment
    if (k == 799) line += line.substr(0, 12);  // a cut-off last row
  });
  const CliRun r =
      run(dir, "calibrate --from " + csv.string() + " --tare-only --dry-run --tare-window 0.5,4.5");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "line 103: time_s 1.25 repeats line 102's")) << r.output;
  EXPECT_TRUE(contains(r.output, "line 804: has 2 fields")) << r.output;
  EXPECT_TRUE(contains(r.output, "2 of 802 rows skipped")) << r.output;
  EXPECT_TRUE(contains(r.output, "tare accepted")) << r.output;
  fs::remove_all(dir);
}

// Issue 9, item 15: a tare window outside the recording or reversed, and a mass that is not a
// number, are said to be just that (they said "hold still a little longer" and "needs --mass").
TEST(CalibrateCli, SaysWhatIsWrongWithAWindowOrAMass) {
  const fs::path dir = freshDir("windows");
  const fs::path csv = emptyPlateRecording(dir);
  const std::string from = "calibrate --from " + csv.string() + " --dry-run ";
  CliRun r = run(dir, from + "--tare-only --tare-window 5,2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--tare-window 5,2 is reversed")) << r.output;
  r = run(dir, from + "--tare-only --tare-window 20,30");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--tare-window 20,30 is outside the recording")) << r.output;
  EXPECT_TRUE(contains(r.output, "runs from 0.00 to 9.99 s")) << r.output;
  r = run(dir, from + "--tare-only --tare-window 9.9,12");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "holds only 8 samples")) << r.output;
  r = run(dir, from + "--mass 10 --tare-window 0.5,4.5 --placement 6,5,0,0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--placement 6,5,0,0 is reversed")) << r.output;
  // The mass is checked with every other numeric option (main.cpp): named, in plain numbers.
  for (const char* bad : {"nan", "inf", "ten", "-2", "0"}) {
    r = run(dir, from + "--mass " + bad + " --tare-window 0.5,4.5 --placement 5,6,0,0");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "--mass: must be a number of kilograms from 0.1 to 500, not '" +
                                       std::string(bad) + "'"))
        << r.output;
    EXPECT_FALSE(contains(r.output, "needs --mass")) << r.output;
  }

  // The file itself: a directory, a missing file, a header with no rows.
  r = run(dir, "calibrate --from " + dir.string() + " --tare-only --dry-run --tare-window 0,1");
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_TRUE(contains(r.output, "is a directory")) << r.output;
  EXPECT_TRUE(contains(r.output, "plate.csv")) << r.output;
  r = run(dir, "calibrate --from " + (dir / "nope.csv").string() +
                   " --tare-only --dry-run --tare-window 0,1");
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_TRUE(contains(r.output, "does not exist")) << r.output;
  std::ofstream(dir / "header.csv") << core::SessionCsvWriter::header() << "\n";
  r = run(dir, "calibrate --from " + (dir / "header.csv").string() +
                   " --tare-only --dry-run --tare-window 0,1");
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_TRUE(contains(r.output, "no data rows")) << r.output;
  fs::remove_all(dir);
}

TEST(CalibrateCli, RefusesPositionsOnOneLineOrTooFewBeforeAnythingIsPlaced) {
  const fs::path conf = freshDir("layout");
  CliRun r = run(conf, "calibrate --demo --fast --yes --mass 10 --positions '-200,0;0,0;200,0'");
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "one line")) << r.output;
  EXPECT_TRUE(contains(r.output, "three corners and the centre")) << r.output;
  r = run(conf, "calibrate --demo --fast --yes --mass 10 --positions '-200,100;200,-100'");
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "at least 3")) << r.output;
  EXPECT_FALSE(fs::exists(conf / "calibrations"));
  fs::remove_all(conf);
}

TEST(CalibrateCli, SaysWhatItNeedsOnABadCommandLine) {
  const fs::path conf = freshDir("usage");
  CliRun r = run(conf, "calibrate --demo --yes --fast");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--mass")) << r.output;
  r = run(conf, "calibrate --mass 10");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--demo, --port PATH or --from FILE.csv")) << r.output;
  r = run(conf, "calibrate --from x.csv --mass 10 --placement 1,2,3,4");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--tare-window")) << r.output;
  // Interactive on a port with nobody at the keyboard: it says to pass --yes.
  sim::VirtualDeviceConfig cfg;
  PtyRig rig(cfg);
  r = run(conf, "calibrate --port " + rig.path() + " --mass 10");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--yes")) << r.output;
  fs::remove_all(conf);
}

TEST(CalibrateCli, RecordWarnsAboutABrokenStoredCalibrationAndKeepsRecording) {
  const fs::path conf = freshDir("broken");
  fs::create_directories(conf / "calibrations");
  const fs::path broken = conf / "calibrations" / "device-0000D3E0.json";
  std::ofstream(broken) << "{\"format\": \"rollrig calibration\", \"version\": 1,\n \"cells\": [";
  sim::VirtualDeviceConfig cfg;
  cfg.body.duration_s = 10;
  PtyRig rig(cfg);
  const fs::path out = conf / "s.csv";
  CliRun r = run(conf, "record --port " + rig.path() + " --duration 5 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, broken.string())) << r.output;
  EXPECT_TRUE(contains(r.output, "line 2")) << r.output;
  EXPECT_TRUE(contains(r.output, "uncalibrated default")) << r.output;
  EXPECT_TRUE(fs::exists(out.string() + ".meta.json"));

  // An explicit --calibration that cannot be read stops before recording (exit 10).
  const fs::path out2 = conf / "s2.csv";
  r = run(conf, "record --demo --fast --duration 1 --calibration " + (conf / "nope.json").string() +
                    " --out " + out2.string());
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_TRUE(contains(r.output, "nope.json")) << r.output;
  EXPECT_FALSE(fs::exists(out2));
  fs::remove_all(conf);
}

// [SECTION] Ctrl-C: wherever it comes, the calibration stops at once, saves nothing, exits 130.

namespace {

struct Interrupted {
  int code = -1;
  std::string output;
};

// Starts `calibrate <args> --out DIR/cal.json` with its calibrations in `conf`, waits until the
// rig says `cue` (or, for an empty cue, until the port has been written to), sends SIGINT and
// collects the outcome.
Interrupted interruptAt(const fs::path& conf, std::vector<std::string> args, const std::string& cue,
                        int stdin_fd = -1, const rollrig::testing::SilentPort* port = nullptr) {
  Interrupted r;
  const std::string log = (conf / "calibrate.log").string();
  args.insert(args.begin(), "calibrate");
  args.push_back("--out");
  args.push_back((conf / "cal.json").string());
  const pid_t pid =
      rollrig::testing::spawnRollrig(args, log, {{"ROLLRIG_CONFIG_DIR", conf.string()}}, stdin_fd);
  if (pid <= 0) return r;
  bool reached = false;
  if (port) {
    reached = port->waitForBytes();
  } else {
    // Until the cue appears, or rollrig ended without it (then its output says why).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    while (!(reached = contains(rollrig::testing::readText(log), cue)) &&
           std::chrono::steady_clock::now() < give_up) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.output = "(ended before '" + cue + "') " + rollrig::testing::readText(log);
        return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  kill(pid, SIGINT);
  r.code = rollrig::testing::waitRollrig(pid);
  r.output = rollrig::testing::readText(log);
  if (!reached) r.output = "(never reached '" + cue + "') " + r.output;
  return r;
}

void expectStoppedAndNothingSaved(const Interrupted& r, const fs::path& conf) {
  EXPECT_EQ(r.code, 130) << r.output;
  EXPECT_TRUE(contains(r.output, "rollrig calibrate: interrupted")) << r.output;
  EXPECT_TRUE(contains(r.output, "nothing was saved")) << r.output;
  EXPECT_FALSE(fs::exists(conf / "cal.json")) << "no --out file";
  EXPECT_FALSE(fs::exists(conf / "calibrations")) << "nothing saved for the device";
  for (const auto& e : fs::directory_iterator(conf))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace

TEST(CalibrateCli, CtrlCDuringTheHandshakeStopsAtOnceAndSavesNothing) {
  const fs::path conf = freshDir("ctrl-c-handshake");
  rollrig::testing::SilentPort port;
  ASSERT_FALSE(port.path.empty());
  const Interrupted r =
      interruptAt(conf, {"--port", port.path, "--mass", "10", "--yes"}, "", -1, &port);
  expectStoppedAndNothingSaved(r, conf);
  EXPECT_TRUE(contains(r.output, "handshake")) << r.output;
  EXPECT_FALSE(contains(r.output, "no rollrig answered"))
      << "Ctrl-C must end the handshake, not wait for its timeout: " << r.output;
  fs::remove_all(conf);
}

TEST(CalibrateCli, CtrlCAtAPromptStopsAtOnceAndSavesNothing) {
  const fs::path conf = freshDir("ctrl-c-prompt");
  sim::VirtualDeviceConfig cfg;
  PtyRig rig(cfg);
  ASSERT_FALSE(rig.path().empty());
  int keyboard[2];  // stdin: a pipe nobody types into, so the prompt waits
  ASSERT_EQ(pipe2(keyboard, O_CLOEXEC), 0);
  const Interrupted r = interruptAt(conf, {"--port", rig.path(), "--mass", "10"},
                                    "Press Enter when the plate is clear", keyboard[0]);
  close(keyboard[0]);
  close(keyboard[1]);
  expectStoppedAndNothingSaved(r, conf);
  fs::remove_all(conf);
}

TEST(CalibrateCli, CtrlCWhileWaitingForTheMassStopsAtOnceAndSavesNothing) {
  const fs::path conf = freshDir("ctrl-c-waiting");
  // The virtual rig in real time: the tare takes 3 s, the five placements about 45 s more, so the
  // interrupt lands while it waits for the mass however slowly the test gets to send it.
  const Interrupted r = interruptAt(conf, {"--demo", "--mass", "10", "--yes"},
                                    "[1/5] Place the 10 kg at (+0, +0) mm");
  expectStoppedAndNothingSaved(r, conf);
  EXPECT_TRUE(contains(r.output, "tare accepted")) << r.output;
  fs::remove_all(conf);
}

// [SECTION] One set of rules: a window from a recording is judged as a live window is.

namespace {

// A recording of a calibration (as CalibratesFromARecordingByTimeWindows makes): the plate empty
// for 5 s, then 10 kg at each of `at` for 6 s, every 8 s.
fs::path calibrationRecording(const fs::path& dir, const std::vector<std::array<double, 2>>& at) {
  sim::BodyModelConfig body;
  body.seed = 12;
  body.duration_s = 0;
  for (size_t p = 0; p < at.size(); ++p)
    body.calibration_script.push_back({5.0 + 8.0 * p, 6.0, 10.0, at[p][0], at[p][1]});
  sim::BodyModel model(body);
  const fs::path csv = dir / "cal.csv";
  std::ofstream f(csv);
  core::SessionCsvWriter w(f);
  w.writeHeader();
  for (int k = 0; k < 40 * 80; ++k) {
    const sim::ModelSample m = model.next();
    core::Sample s;
    s.t_us = static_cast<uint64_t>(std::llround(m.t_s * 1e6));
    s.seq = static_cast<uint16_t>(k);
    s.channel_count = 4;
    s.fresh_mask = 15;
    for (int i = 0; i < 4; ++i) s.raw_counts[i] = m.raw_counts[i];
    w.writeRow(s, core::ForceSample{});
  }
  return csv;
}

}  // namespace

// Issue 10: a live capture only takes 3 s windows with the mass on the plate throughout, and
// compares a tare with the device's last one; a recorded window is now held to the same rules.
TEST(CalibrateCli, RefusesARecordedWindowALiveRunWouldRefuse) {
  const fs::path dir = freshDir("same-rules");
  const std::vector<std::array<double, 2>> at = {{-200, 130}, {200, 130}, {0, -130}, {0, 0}};
  const fs::path csv = calibrationRecording(dir, at);
  const std::string from = "calibrate --from " + csv.string() + " --mass 10 ";

  // A steady window with no mass on the plate (before the first placement).
  CliRun r = run(dir, from +
                          "--dry-run --tare-window 0.5,4.5 --placement 1,4.5,-200,130 "
                          "--placement 14,18,200,130 --placement 22,26,0,-130");
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "Placement 1 (1..4.5 s) does not have the mass on the plate"))
      << r.output;

  // Shorter than the 3 s a live window averages.
  r = run(dir, from +
                   "--dry-run --tare-window 0.5,2.5 --placement 6.5,10,-200,130 "
                   "--placement 14,18,200,130 --placement 22,26,0,-130");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--tare-window 0.5,2.5 holds only 161 samples")) << r.output;
  EXPECT_TRUE(contains(r.output, "at least 240 are needed")) << r.output;

  // Positions that cannot solve are refused before any window is judged.
  r = run(dir, from +
                   "--dry-run --tare-window 0.5,4.5 --placement 6.5,10,-200,0 "
                   "--placement 14,18,0,0 --placement 22,26,200,0");
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "these positions cannot calibrate the plate")) << r.output;
  EXPECT_FALSE(contains(r.output, "tare accepted")) << r.output;

  // Calibrated once for device 0000AB12, a tare taken with the mass on the plate is refused
  // against that calibration's tare, as it is live; --ignore-last-tare lets it through.
  std::string args = from + "--serial 0000AB12 --tare-window 0.5,4.5";
  for (size_t p = 0; p < at.size(); ++p) {
    const double t0 = 5.0 + 8.0 * p;
    args += " --placement " + std::to_string(t0 + 1.5) + "," + std::to_string(t0 + 5.0) + "," +
            std::to_string(at[p][0]) + "," + std::to_string(at[p][1]);
  }
  ASSERT_EQ(run(dir, args).code, 0);
  const std::string loaded_tare =
      "calibrate --from " + csv.string() + " --serial 0000AB12 --tare-only --tare-window 7,10.5";
  r = run(dir, loaded_tare + " --dry-run");
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "tare refused: the plate carries")) << r.output;
  EXPECT_TRUE(contains(r.output, "--ignore-last-tare")) << r.output;
  r = run(dir, loaded_tare + " --dry-run --ignore-last-tare");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "tare accepted")) << r.output;
  fs::remove_all(dir);
}

TEST(CalibrateCli, InteractiveTareWaitsForEnterThenTaresAndSaves) {
  const fs::path conf = freshDir("interactive");
  sim::VirtualDeviceConfig cfg;
  cfg.body.duration_s = 0;  // an empty plate
  PtyRig rig(cfg);
  ASSERT_FALSE(rig.path().empty());
  int keyboard[2];
  ASSERT_EQ(pipe2(keyboard, O_CLOEXEC), 0);
  const std::string log = (conf / "calibrate.log").string();
  const pid_t pid =
      rollrig::testing::spawnRollrig({"calibrate", "--port", rig.path(), "--tare-only"}, log,
                                     {{"ROLLRIG_CONFIG_DIR", conf.string()}}, keyboard[0]);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(rollrig::testing::waitForText(log, "Press Enter when the plate is clear"))
      << rollrig::testing::readText(log);
  EXPECT_FALSE(contains(rollrig::testing::readText(log), "tare accepted")) << "waits for Enter";
  ASSERT_EQ(write(keyboard[1], "\n", 1), 1);
  const int code = rollrig::testing::waitRollrig(pid);
  close(keyboard[0]);
  close(keyboard[1]);
  const std::string out = rollrig::testing::readText(log);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(contains(out, "tare accepted: 240 samples")) << out;
  EXPECT_TRUE(contains(out, "nominal gains (no span yet)")) << out;
  EXPECT_TRUE(fs::exists(conf / "calibrations" / "device-0000D3E0.json")) << out;
  fs::remove_all(conf);
}

// [SECTION] --json

namespace {

using rollrig::testing::SplitRun;

// `rollrig <args>` with its calibrations in `config_dir`, stdout and stderr apart.
SplitRun runSplit(const fs::path& config_dir, const std::string& args) {
  return rollrig::testing::runRollrigSplit(args, (config_dir / "split-stderr.txt").string(),
                                           "ROLLRIG_CONFIG_DIR='" + config_dir.string() + "' ");
}

bool isFourNumbers(const nlohmann::json& v) {
  if (!v.is_array() || v.size() != 4) return false;
  for (const auto& x : v)
    if (!x.is_number()) return false;
  return true;
}

}  // namespace

TEST(CalibrateCli, JsonDryRunPrintsTheResultWithTheSpanReportAndSendsTheRestToStderr) {
  const fs::path conf = freshDir("json-dry-run");
  const SplitRun r = runSplit(conf, "calibrate --demo --fast --mass 10 --yes --dry-run --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;  // stdout is the JSON only
  // The prompts, the progress and the text report went to stderr.
  EXPECT_TRUE(contains(r.err, "Step 1: tare")) << r.err;
  EXPECT_TRUE(contains(r.err, "force error: rms")) << r.err;

  EXPECT_EQ(j["result"], "accepted");
  EXPECT_TRUE(j["refusal"].is_null());
  EXPECT_EQ(j["device_serial"], "0000D3E0");
  EXPECT_EQ(j["mass_kg"], 10.0);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_TRUE(j["saved_to"].is_null());
  EXPECT_FALSE(fs::exists(conf / "calibrations" / "device-0000D3E0.json"));

  // The tare: offsets and noise per cell.
  ASSERT_TRUE(j["tare"].is_object()) << j.dump(2);
  EXPECT_EQ(j["tare"]["samples"], 240);
  EXPECT_TRUE(isFourNumbers(j["tare"]["offset_counts"])) << j["tare"].dump();
  EXPECT_TRUE(isFourNumbers(j["tare"]["noise_rms_N"])) << j["tare"].dump();

  // The span: the gains and the residual report, matching the text report's summary line.
  const nlohmann::json& span = j["span"];
  ASSERT_TRUE(span.is_object()) << j.dump(2);
  EXPECT_EQ(span["solved"], true);
  ASSERT_TRUE(isFourNumbers(span["n_per_count"])) << span.dump();
  for (const auto& g : span["n_per_count"])  // within 10 % of the nominal 4390 counts per N
    EXPECT_NEAR(1.0 / g.get<double>(), 4390.0, 439.0);
  ASSERT_EQ(span["placements"].size(), 5u);
  for (const auto& p : span["placements"]) {
    EXPECT_TRUE(p["force_error_N"].is_number() && p["cop_error_mm"].is_number()) << p.dump();
  }
  EXPECT_NEAR(span["weight_N"].get<double>(), 98.0665, 1e-9);
  EXPECT_LT(span["rms_force_error_N"].get<double>(), 1.0);
  EXPECT_LE(span["rms_force_error_N"].get<double>(), span["max_force_error_N"].get<double>());
  EXPECT_NEAR(span["rms_force_error_N"].get<double>(),
              span["rms_force_error_pct"].get<double>() * 98.0665 / 100, 1e-6);
  double max_pct = 0, max_cop = 0;
  ASSERT_TRUE(reportErrors(r.err, &max_pct, &max_cop)) << r.err;
  EXPECT_NEAR(span["max_force_error_pct"].get<double>(), max_pct, 0.0005);
  EXPECT_NEAR(span["max_cop_error_mm"].get<double>(), max_cop, 0.005);
  EXPECT_EQ(span["rank"], 4);

  // What `rollrig record` would apply: the span's gains with the tare's offsets.
  ASSERT_TRUE(j["calibration"].is_object());
  ASSERT_EQ(j["calibration"]["cells"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(j["calibration"]["cells"][i]["n_per_count"], span["n_per_count"][i]);
    EXPECT_EQ(j["calibration"]["cells"][i]["offset_counts"], j["tare"]["offset_counts"][i]);
  }
  fs::remove_all(conf);
}

TEST(CalibrateCli, JsonSaysWhereTheCalibrationWasSaved) {
  const fs::path conf = freshDir("json-saved");
  const SplitRun r = runSplit(conf, "calibrate --demo --fast --tare-only --yes --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["result"], "accepted");
  EXPECT_EQ(j["tare_only"], true);
  EXPECT_TRUE(j["span"].is_null());
  EXPECT_TRUE(j["mass_kg"].is_null());
  ASSERT_TRUE(j["saved_to"].is_string()) << j.dump(2);
  EXPECT_TRUE(fs::equivalent(j["saved_to"].get<std::string>(),
                             conf / "calibrations" / "device-0000D3E0.json"));
  EXPECT_EQ(j["dry_run"], false);
  fs::remove_all(conf);
}

TEST(CalibrateCli, JsonOfARefusedCalibrationSaysRefusedWithTheStepAndTheReason) {
  const fs::path conf = freshDir("json-refused");
  // Positions on one line: refused before anything is placed.
  SplitRun r = runSplit(conf,
                        "calibrate --demo --fast --mass 10 --yes --json --positions "
                        "\"0,0;100,0;200,0\"");
  EXPECT_EQ(r.code, 11) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["result"], "refused");
  ASSERT_TRUE(j["refusal"].is_object()) << j.dump(2);
  EXPECT_EQ(j["refusal"]["kind"], "ill_posed");
  EXPECT_TRUE(contains(j["refusal"]["message"].get<std::string>(),
                       "these positions cannot calibrate the plate"))
      << j["refusal"];
  EXPECT_TRUE(j["calibration"].is_null());
  EXPECT_TRUE(j["saved_to"].is_null());
  EXPECT_TRUE(contains(r.err, "these positions cannot calibrate the plate")) << r.err;

  // A recorded placement window without the mass: refused at that placement, with the tare that
  // was accepted before it.
  const std::vector<std::array<double, 2>> at = {{-200, 130}, {200, 130}, {0, -130}, {0, 0}};
  const fs::path csv = calibrationRecording(conf, at);
  r = runSplit(conf, "calibrate --from " + csv.string() +
                         " --mass 10 --dry-run --json --tare-window 0.5,4.5 "
                         "--placement 6.5,10,-200,130 --placement 14,18,200,130 "
                         "--placement 1,4.5,0,-130");
  EXPECT_EQ(r.code, 11) << r.err;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["result"], "refused");
  EXPECT_EQ(j["refusal"]["step"], "placement");
  EXPECT_EQ(j["refusal"]["placement"], 3);
  EXPECT_TRUE(contains(j["refusal"]["message"].get<std::string>(), "placement 3 refused"))
      << j["refusal"];
  EXPECT_TRUE(j["device_serial"].is_null());  // no sidecar, no --serial
  ASSERT_TRUE(j["tare"].is_object());
  EXPECT_TRUE(isFourNumbers(j["tare"]["offset_counts"]));
  EXPECT_TRUE(j["span"].is_null());

  // Any other failure prints nothing on stdout.
  r = runSplit(conf, "calibrate --port /nonexistent/ttyACM9 --mass 10 --json");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out, "");
  fs::remove_all(conf);
}

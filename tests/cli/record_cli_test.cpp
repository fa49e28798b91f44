// `rollrig` as a user runs it: the binary in build/bin, its output, exit codes and CSV.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <atomic>
#include <thread>

#include "cli_run.h"
#include "pty_rig.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/sim/body_model.h"
#include "rollrig/sim/virtual_device.h"

namespace fs = std::filesystem;

namespace {

using rollrig::testing::CliRun;

CliRun run(const std::string& args) {
  return rollrig::testing::runRollrig(args);
}

fs::path tempDir() {
  fs::path d = fs::temp_directory_path() / ("rollrig-cli-" + std::to_string(getpid()));
  fs::create_directories(d);
  return d;
}

using rollrig::testing::splitCsvLine;

using rollrig::testing::PtyRig;

}  // namespace

TEST(RecordCli, RecordsFromASerialPortEndToEnd) {
  rollrig::sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 21;
  cfg.body.duration_s = 30;
  PtyRig rig(cfg);
  ASSERT_FALSE(rig.path().empty());
  const fs::path out = tempDir() / "port.csv";
  fs::remove(out);
  const CliRun r = run("record --port " + rig.path() + " --duration 30 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("frames lost 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("serial 0000D3E0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("uncalibrated"), std::string::npos)
      << "a real port has no calibration yet";
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  rollrig::sim::BodyModel model(cfg.body);
  size_t rows = 0;
  while (std::getline(in, line)) {
    const auto c = splitCsvLine(line);
    ASSERT_EQ(c.size(), 16u);
    const auto m = model.next();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(std::stol(c[3 + i]), m.raw_counts[i]) << "row " << rows;
    ++rows;
  }
  EXPECT_EQ(rows, 2400u);
}

TEST(RecordCli, DemoFastSixtySecondsWritesFourThousandEightHundredRowsMatchingTheBodyModel) {
  const fs::path out = tempDir() / "s.csv";
  fs::remove(out);
  const CliRun r = run("record --demo --seed 7 --duration 60 --fast --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("frames lost 0"), std::string::npos) << r.output;

  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  const auto header = splitCsvLine(line);
  ASSERT_EQ(header.size(), 16u);
  EXPECT_EQ(header[0], "time_s");
  EXPECT_EQ(header[11], "force_N");

  rollrig::sim::BodyModelConfig cfg;
  cfg.seed = 7;
  cfg.duration_s = 60;
  rollrig::sim::BodyModel model(cfg);
  size_t rows = 0;
  double prev_t = -1, worst_force = 0, sum_abs = 0, worst_cop = 0;
  size_t loaded = 0;
  while (std::getline(in, line)) {
    const auto c = splitCsvLine(line);
    ASSERT_EQ(c.size(), 16u) << "row " << rows << ": " << line;
    const double t = std::stod(c[0]);
    if (rows > 0) {
      EXPECT_NEAR(t - prev_t, 0.0125, 1e-6) << "row " << rows;
    }
    EXPECT_EQ(c[2], "0") << "no frame lost before row " << rows;
    prev_t = t;
    const auto m = model.next();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(std::stol(c[3 + i]), m.raw_counts[i]) << "row " << rows;
    const double f = std::stod(c[11]);
    worst_force = std::max(worst_force, std::abs(f - m.total_force_n));
    sum_abs += std::abs(f - m.total_force_n);
    if (m.total_force_n > 50) {
      ASSERT_FALSE(c[12].empty()) << "ball placed under load, row " << rows;
      worst_cop =
          std::max(worst_cop, std::hypot(std::stod(c[12]) - m.x_mm, std::stod(c[13]) - m.y_mm));
      ++loaded;
    }
    ++rows;
  }
  EXPECT_NEAR(static_cast<double>(rows), 4800.0, 5.0);
  EXPECT_GT(loaded, 1000u) << "the demo session puts weight on the ball";
  // Sensor noise is ~0.02 N rms per cell; drift adds a little: the recorded force is the model's.
  EXPECT_LT(sum_abs / rows, 0.1);
  EXPECT_LT(worst_force, 1.0);
  EXPECT_LT(worst_cop, 3.0);
}

TEST(RecordCli, RefusesToOverwriteARecordingAndLeavesItAlone) {
  const fs::path out = tempDir() / "keep.csv";
  { std::ofstream(out) << "precious\n"; }
  const CliRun r = run("record --demo --fast --duration 1 --out " + out.string());
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  std::ifstream in(out);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "precious");
}

TEST(RecordCli, SaysTheDiskIsFullWhenWritingFails) {
  const CliRun r = run("record --demo --fast --duration 5 --force --quiet --out /dev/full");
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("disk is full"), std::string::npos) << r.output;
}

TEST(RecordCli, NamesAMissingPortAndHowToListPorts) {
  const fs::path out = tempDir() / "missing.csv";
  fs::remove(out);
  const CliRun r = run("record --port /dev/ttyNOPE42 --out " + out.string());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("/dev/ttyNOPE42"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rollrig ports"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "no empty file left behind";
}

TEST(RecordCli, ReportsNotARollrigWhenThePortStaysSilent) {
  int master = -1, slave = -1;
  char name[256];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  close(slave);  // the port stays open on our side through `master`
  const fs::path out = tempDir() / "silent.csv";
  fs::remove(out);
  const CliRun r = run(std::string("record --port ") + name + " --out " + out.string());
  close(master);
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("no rollrig answered"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(RecordCli, RejectsARecordingWithoutASource) {
  const CliRun r = run("record --out /tmp/x.csv");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--demo"), std::string::npos) << r.output;
}

TEST(RecordCli, PrintsHelpVersionAndPorts) {
  const CliRun help = run("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("record"), std::string::npos);
  EXPECT_NE(help.output.find("Exit codes"), std::string::npos);
  const CliRun version = run("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.output.find("protocol v1"), std::string::npos) << version.output;
  const CliRun ports = run("ports");
  EXPECT_EQ(ports.code, 0) << ports.output;
}

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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iterator>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <utility>

#include "cli_run.h"
#include "pty_rig.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/core/session_analyzer.h"
#include "rollrig/sim/body_model.h"
#include "rollrig/sim/virtual_device.h"
#include "rollrig/store/session_store.h"

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
  EXPECT_NE(help.output.find("START refused"), std::string::npos) << help.output;
  const CliRun version = run("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.output.find("protocol v1"), std::string::npos) << version.output;
  const CliRun ports = run("ports");
  EXPECT_EQ(ports.code, 0) << ports.output;
}

// [SECTION] Issue 9, item 9: a recording that fails to start changes no file.

namespace {

using rollrig::testing::readText;
using rollrig::testing::SilentPort;

// A recording and its sidecar from an earlier session.
struct PreviousSession {
  explicit PreviousSession(const std::string& name) : csv((tempDir() / name).string()) {
    fs::remove_all(tempDir() / name);
    std::ofstream(csv) << "time_s,force_N\n0.0,1.0\n";
    std::ofstream(csv + ".meta.json") << "{\"earlier\": true}\n";
  }
  bool untouched() const {
    return readText(csv) == "time_s,force_N\n0.0,1.0\n" &&
           readText(csv + ".meta.json") == "{\"earlier\": true}\n";
  }
  bool noTemporaryFilesLeft() const {
    for (const auto& e : fs::directory_iterator(fs::path(csv).parent_path()))
      if (e.path().filename().string().rfind(fs::path(csv).filename().string() + ".tmp", 0) == 0)
        return false;
    return true;
  }
  std::string csv;
};

}  // namespace

TEST(RecordCli, ForceKeepsThePreviousSessionWhenTheNewOneFailsToStart) {
  const PreviousSession prev("force-kept.csv");
  SilentPort port;
  ASSERT_FALSE(port.path.empty());
  const CliRun silent = run("record --port " + port.path + " --force --out " + prev.csv);
  EXPECT_EQ(silent.code, 6) << silent.output;
  EXPECT_TRUE(prev.untouched()) << "a port that never answers must not cost the old session";

  const fs::path bad_cal = tempDir() / "bad-cal.json";
  std::ofstream(bad_cal) << "{ not json";
  const CliRun cal = run("record --demo --fast --duration 1 --force --calibration " +
                         bad_cal.string() + " --out " + prev.csv);
  EXPECT_EQ(cal.code, 10) << cal.output;
  EXPECT_TRUE(prev.untouched()) << "a broken calibration file must not cost the old session";
  EXPECT_TRUE(prev.noTemporaryFilesLeft());
}

TEST(RecordCli, ForceReplacesThePreviousSessionOnceTheNewOneHasRows) {
  const PreviousSession prev("force-replaced.csv");
  const CliRun r = run("record --demo --fast --duration 2 --force --quiet --out " + prev.csv);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(prev.csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("time_s,seq,lost_before", 0), 0u) << header;
  EXPECT_NE(readText(prev.csv + ".meta.json").find("\"rows\": 160"), std::string::npos)
      << readText(prev.csv + ".meta.json");
  EXPECT_TRUE(prev.noTemporaryFilesLeft());
}

TEST(RecordCli, CtrlCDuringTheHandshakeStopsAtOnceAndChangesNothing) {
  const PreviousSession prev("ctrl-c.csv");
  SilentPort port;
  ASSERT_FALSE(port.path.empty());
  const std::string log = (tempDir() / "ctrl-c.log").string();
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"record", "--port", port.path, "--force", "--out", prev.csv}, log);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(port.waitForBytes()) << "rollrig never sent IDENTIFY";
  kill(pid, SIGINT);
  const int code = rollrig::testing::waitRollrig(pid);
  const std::string output = readText(log);
  EXPECT_EQ(code, 130) << output;
  EXPECT_NE(output.find("interrupted before any sample"), std::string::npos) << output;
  EXPECT_EQ(output.find("no rollrig answered"), std::string::npos)
      << "Ctrl-C must end the handshake, not wait for its timeout: " << output;
  EXPECT_TRUE(prev.untouched());
  EXPECT_TRUE(prev.noTemporaryFilesLeft());
}

TEST(RecordCli, RefusesATruthFileThatIsTheRecordingItsSidecarOrAnExistingFile) {
  const fs::path dir = tempDir() / "truth";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  const std::string out = (dir / "s.csv").string();
  fs::create_symlink(dir / "s.csv", dir / "link.csv");
  // The same file under other spellings: through `..`, through a symlink, the sidecar.
  for (const std::string& truth :
       {(dir / "sub" / ".." / "s.csv").string(), (dir / "link.csv").string(), out + ".meta.json"}) {
    const CliRun r =
        run("record --demo --fast --duration 1 --force --quiet --out " + out + " --truth " + truth);
    EXPECT_EQ(r.code, 2) << truth << ": " << r.output;
    EXPECT_NE(r.output.find("same file"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << truth;
  }
  const fs::path existing = dir / "keep.json";
  std::ofstream(existing) << "precious\n";
  const CliRun r = run("record --demo --fast --duration 1 --quiet --out " + out + " --truth " +
                       existing.string());
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  EXPECT_EQ(readText(existing.string()), "precious\n");
  EXPECT_FALSE(fs::exists(out)) << "refused before anything was recorded";
}

// README: for a demo longer than 24 h, --truth holds the first day only (the body model plans the
// rest as the samples reach it). A real-time demo, stopped as soon as it has rows.
TEST(RecordCli, TheTruthOfADemoLongerThanADayCoversItsFirstDay) {
  const fs::path dir = tempDir() / "long-truth";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "s.csv", truth = dir / "t.json";
  const std::string log = (dir / "log").string();
  const pid_t pid =
      rollrig::testing::spawnRollrig({"record", "--demo", "--duration", "100000", "--out",
                                      out.string(), "--truth", truth.string()},
                                     log);
  ASSERT_GT(pid, 0);
  // The CSV takes its name once rows are on disk: wait on that (generously), then stop.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(out) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGINT);
  ASSERT_EQ(rollrig::testing::waitRollrig(pid), 0) << readText(log);
  const nlohmann::json t = nlohmann::json::parse(readText(truth.string()), nullptr, false);
  ASSERT_TRUE(t.is_object()) << readText(log);
  ASSERT_FALSE(t["segments"].empty());
  EXPECT_EQ(t["segments"].front()["start_s"], 0.0);
  EXPECT_DOUBLE_EQ(t["segments"].back()["end_s"].get<double>(), 86400.0);
  ASSERT_FALSE(t["holds"].empty());
  EXPECT_LE(t["holds"].back()["end_s"].get<double>(), 86400.0);
}

// [SECTION] Issue 9, item 10: a full disk or a closed terminal leaves a file analyze accepts.

namespace {

// The rows of a session CSV; fails the test on a line that is not a whole row.
size_t wholeRows(const std::string& path) {
  const std::string text = readText(path);
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the file ends mid-row";
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  size_t rows = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(splitCsvLine(line).size(), 16u) << "row " << rows << ": " << line;
    ++rows;
  }
  return rows;
}

nlohmann::json sidecarOf(const std::string& csv) {
  return nlohmann::json::parse(readText(csv + ".meta.json"), nullptr, false);
}

}  // namespace

TEST(RecordCli, AFullDiskKeepsWholeRowsAndTheCountsAgree) {
  if (std::system("command -v prlimit >/dev/null") != 0) GTEST_SKIP() << "needs prlimit";
  const fs::path out = tempDir() / "full.csv";
  fs::remove(out);
  // A file-size limit makes writes fail with EFBIG exactly where a full disk fails with ENOSPC.
  // The CSV alone (--no-library): the limit would hit the session library too, and this test is
  // about the CSV's rows (the library's full disk: LibraryCli tests).
  const CliRun r = rollrig::testing::runRollrig(
      "record --demo --fast --duration 60 --no-library --out " + out.string(),
      "prlimit --fsize=100000 ");
  EXPECT_EQ(r.code, 8) << r.output;
  const size_t rows = wholeRows(out.string());
  EXPECT_GT(rows, 100u);
  EXPECT_NE(r.output.find("recorded " + std::to_string(rows) + " samples"), std::string::npos)
      << rows << " rows on disk; " << r.output;
  EXPECT_NE(r.output.find(std::to_string(rows) + " whole rows"), std::string::npos) << r.output;
  const nlohmann::json meta = sidecarOf(out.string());
  ASSERT_TRUE(meta.is_object());
  EXPECT_EQ(meta["recording"]["rows"], rows);
  EXPECT_EQ(meta["recording"]["stop_reason"], "output failed");
  const CliRun analyze = run("analyze " + out.string());
  EXPECT_EQ(analyze.code, 0) << analyze.output;
}

TEST(RecordCli, ClosingTheTerminalFinishesTheRecordingLikeCtrlC) {
  const fs::path out = tempDir() / "hangup.csv";
  fs::remove(out);
  const std::string log = (tempDir() / "hangup.log").string();
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"record", "--demo", "--duration", "600", "--out", out.string()}, log);
  ASSERT_GT(pid, 0);
  // Wait on device time (rows in the file), with a generous overall limit.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::count(std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(out)),
                    std::istreambuf_iterator<char>(), '\n') < 40 &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGHUP);
  const int code = rollrig::testing::waitRollrig(pid);
  const std::string output = readText(log);
  EXPECT_EQ(code, 0) << output;
  const size_t rows = wholeRows(out.string());
  EXPECT_GT(rows, 30u);
  EXPECT_NE(output.find("recorded " + std::to_string(rows) + " samples"), std::string::npos)
      << output;
  const nlohmann::json meta = sidecarOf(out.string());
  ASSERT_TRUE(meta.is_object());
  EXPECT_EQ(meta["recording"]["rows"], rows);
  EXPECT_EQ(meta["recording"]["stop_reason"], "terminal closed");
}

// [SECTION] Issue 9, items 14 and 15: options and messages.

TEST(RecordCli, RefusesNumericOptionsOutsideTheirRangeInPlainNumbers) {
  // The out directory does not exist, so a command line that slips through fails later with 8.
  const std::string rec = "record --demo --fast --out /nonexistent-rollrig-dir/x.csv ";
  const std::string cal = "calibrate --demo --fast --yes --dry-run ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {rec + "--duration 0", "--duration"},
      {rec + "--duration nan", "--duration"},
      {rec + "--duration 1e-9", "--duration"},
      {rec + "--duration -5", "--duration"},
      {rec + "--duration inf", "--duration"},
      {rec + "--duration 1e12", "--duration"},
      {rec + "--baud 0", "--baud"},
      {rec + "--baud -1", "--baud"},
      {rec + "--baud 115200.5", "--baud"},
      {rec + "--seed -1", "--seed"},
      {rec + "--seed 1.5", "--seed"},
      {cal + "--mass nan", "--mass"},
      {cal + "--mass -5", "--mass"},
      {cal + "--mass inf", "--mass"},
      {cal + "--mass 10 --baud 0", "--baud"},
      {cal + "--mass 10 --seed -1", "--seed"},
  };
  for (const auto& [args, option] : cases) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(option + ": must be a"), std::string::npos) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(" from "), std::string::npos) << args << "\n" << r.output;
    size_t longest_number = 0, run_length = 0;
    for (char c : r.output) {
      run_length = std::isdigit(static_cast<unsigned char>(c)) ? run_length + 1 : 0;
      longest_number = std::max(longest_number, run_length);
    }
    EXPECT_LE(longest_number, 10u) << "a range in plain numbers: " << r.output;
  }
}

TEST(RecordCli, SuggestsTheNearestCommandForATypo) {
  const CliRun r = run("recrod --demo");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown command 'recrod'; did you mean 'record'?"), std::string::npos)
      << r.output;
}

TEST(RecordCli, SaysThePortNeedsAPathWhenAnotherOptionFollowsIt) {
  const CliRun r = run("record --port --out x.csv");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--port: needs the path of a serial port"), std::string::npos)
      << r.output;
}

TEST(RecordCli, SaysTheOutputIsADirectory) {
  const fs::path dir = tempDir() / "a-directory";
  fs::create_directories(dir);
  const CliRun r = run("record --demo --fast --duration 1 --force --out " + dir.string());
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("is a directory"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST(RecordCli, AnUnreadableCalibrationFileIsAnInputError) {
  const fs::path dir = tempDir() / "unreadable";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  const fs::path cal = dir / "cal.json";
  std::ofstream(cal) << "{}\n";
  fs::permissions(cal, fs::perms::none);
  // Root reads anything: run as nobody then.
  std::string as_user;
  if (geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null") != 0) GTEST_SKIP() << "needs setpriv as root";
    as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  const CliRun r =
      rollrig::testing::runRollrig("record --demo --fast --duration 1 --calibration " +
                                       cal.string() + " --out " + (dir / "x.csv").string(),
                                   as_user);
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_NE(r.output.find(cal.string()), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("dialout"), std::string::npos) << r.output;
}

// [SECTION] Issue 10: record drives the session engine; a rig that goes away and comes back.

namespace {

// A terminal for a spawned rollrig's output (so it draws its live status line), read from the
// master side by a thread of the test.
class TestTerminal {
 public:
  TestTerminal() {
    char name[256];
    if (openpty(&m_master, &m_slave, name, nullptr, nullptr) != 0) return;
    m_path = name;
    fcntl(m_master, F_SETFL, fcntl(m_master, F_GETFL) | O_NONBLOCK);
    m_thread = std::thread([this] {
      char buf[4096];
      while (!m_stop) {
        pollfd p{m_master, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        const ssize_t n = read(m_master, buf, sizeof(buf));
        if (n <= 0) continue;
        std::lock_guard<std::mutex> lock(m_mutex);
        m_text.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~TestTerminal() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_master >= 0) close(m_master);
    if (m_slave >= 0) close(m_slave);
  }
  const std::string& path() const { return m_path; }
  std::string text() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_text;
  }
  bool waitFor(const std::string& what) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (text().find(what) == std::string::npos) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

 private:
  int m_master = -1, m_slave = -1;
  std::string m_path;
  std::thread m_thread;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::string m_text;
};

// Marks every open descriptor of this process close-on-exec, so a spawned rollrig holds no end of
// the test's ptys (a rig's master kept open by the child would never hang up).
void closeOnExecAll() {
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(e.path().filename().c_str());
    if (fd > 2) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  }
}

// The end of a long output (a failing test's message stays readable).
std::string tail(const std::string& s) {
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

size_t csvRows(const fs::path& p) {
  const std::string t = readText(p.string());
  const size_t lines = static_cast<size_t>(std::count(t.begin(), t.end(), '\n'));
  return lines > 0 ? lines - 1 : 0;
}

bool waitForRows(const fs::path& p, size_t rows) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (csvRows(p) < rows) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

TEST(RecordCli, ARigThatIsUnpluggedAndComesBackContinuesTheSameRecording) {
  const fs::path dir = tempDir() / "reconnect";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path link = dir / "rig", out = dir / "s.csv";
  TestTerminal terminal;
  ASSERT_FALSE(terminal.path().empty());
  rollrig::sim::VirtualDeviceConfig cfg_a, cfg_b;
  cfg_a.body.seed = 21;
  cfg_a.body.duration_s = 600;
  cfg_b.body.seed = 22;  // the same device (serial) after a power cycle: a new boot, new data
  cfg_b.body.duration_s = 600;
  auto rig = std::make_unique<PtyRig>(cfg_a);
  ASSERT_FALSE(rig->path().empty());
  fs::create_symlink(rig->path(), link);
  closeOnExecAll();
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"record", "--port", link.string(), "--out", out.string()}, terminal.path());
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(waitForRows(out, 200)) << tail(terminal.text());
  // Unplugged: the port hangs up and its path disappears.
  rig.reset();
  fs::remove(link);
  ASSERT_TRUE(terminal.waitFor("reconnecting\u2026")) << tail(terminal.text());
  const size_t rows_at_cut = csvRows(out);
  // Plugged back in (a new pty behind the same path, as udev's by-id link would be).
  rig = std::make_unique<PtyRig>(cfg_b);
  fs::create_symlink(rig->path(), link);
  ASSERT_TRUE(waitForRows(out, rows_at_cut + 200)) << tail(terminal.text());
  kill(pid, SIGINT);
  ASSERT_EQ(rollrig::testing::waitRollrig(pid), 0) << tail(terminal.text());
  EXPECT_TRUE(terminal.waitFor("reconnected 1 time")) << tail(terminal.text());
  EXPECT_TRUE(terminal.waitFor("Waiting for it to come back")) << tail(terminal.text());

  // One recording: every row of the first connection, then the second's from its first sample,
  // time running on across the gap.
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  rollrig::sim::BodyModel a(cfg_a.body), b(cfg_b.body);
  size_t row = 0;
  double prev_t = -1;
  while (std::getline(in, line)) {
    const auto c = splitCsvLine(line);
    ASSERT_EQ(c.size(), 16u) << "row " << row;
    const double t = std::stod(c[0]);
    ASSERT_GT(t, prev_t) << "row " << row;
    prev_t = t;
    const auto m = row < rows_at_cut ? a.next() : b.next();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(std::stol(c[3 + i]), m.raw_counts[i]) << "row " << row;
    ++row;
  }
  EXPECT_GT(row, rows_at_cut + 200);
}

TEST(RecordCli, StoppingWhileTheRigIsAwayKeepsTheRowsAndSaysTheDeviceWentAway) {
  const fs::path dir = tempDir() / "away";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path link = dir / "rig", out = dir / "s.csv";
  const std::string log = (dir / "log").string();
  rollrig::sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 23;
  cfg.body.duration_s = 600;
  auto rig = std::make_unique<PtyRig>(cfg);
  ASSERT_FALSE(rig->path().empty());
  fs::create_symlink(rig->path(), link);
  closeOnExecAll();
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"record", "--port", link.string(), "--out", out.string()}, log);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(waitForRows(out, 200)) << tail(readText(log));
  rig.reset();
  fs::remove(link);
  ASSERT_TRUE(rollrig::testing::waitForText(log, "Waiting for it to come back"))
      << tail(readText(log));
  kill(pid, SIGINT);
  EXPECT_EQ(rollrig::testing::waitRollrig(pid), 9) << tail(readText(log));
  const std::string output = readText(log);
  EXPECT_NE(output.find("still away when the recording ended (interrupted)"), std::string::npos)
      << tail(output);
  const size_t rows = wholeRows(out.string());
  EXPECT_GE(rows, 200u);
  EXPECT_NE(output.find("recorded " + std::to_string(rows) + " samples"), std::string::npos)
      << tail(output);
  const nlohmann::json meta = sidecarOf(out.string());
  ASSERT_TRUE(meta.is_object());
  EXPECT_EQ(meta["recording"]["rows"], rows);
  EXPECT_EQ(meta["recording"]["stop_reason"], "interrupted");
}

TEST(RecordCli, ADemoRigUnpluggedForAMomentContinuesTheSameRecordingAndTheSameRig) {
  const fs::path out = tempDir() / "unplug.csv";
  fs::remove(out);
  const CliRun r =
      run("record --demo --fast --seed 7 --duration 40 --unplug 10,0.5 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("reconnected 1 time"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the virtual rig was unplugged"), std::string::npos) << r.output;
  // The rows before the cut are the body model's first samples; after it the same model goes
  // on (the rig's clock ran on while it was away): one jump in the model and in time, no other.
  rollrig::sim::BodyModelConfig cfg;
  cfg.seed = 7;
  cfg.duration_s = 40;
  rollrig::sim::BodyModel model(cfg);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  size_t row = 0, jumps = 0;
  double prev_t = -1;
  while (std::getline(in, line)) {
    const auto c = splitCsvLine(line);
    ASSERT_EQ(c.size(), 16u) << "row " << row;
    const double t = std::stod(c[0]);
    ASSERT_GT(t, prev_t) << "row " << row;
    if (row > 0 && t - prev_t > 0.0126) ++jumps;
    prev_t = t;
    const auto sameCounts = [&](const auto& m) {
      for (int i = 0; i < 4; ++i)
        if (std::stol(c[3 + i]) != m.raw_counts[i]) return false;
      return true;
    };
    auto m = model.next();
    if (!sameCounts(m)) {
      // Skip the model forward to this row (the samples the rig made while unplugged).
      size_t skipped = 0;
      while (skipped < 100000 && !sameCounts(m)) {
        m = model.next();
        ++skipped;
      }
      ASSERT_GT(row, 700u) << "the cut is at 10 s";
      ASSERT_LT(skipped, 100000u) << "row " << row << " is not the same rig's";
    }
    for (int i = 0; i < 4; ++i) ASSERT_EQ(std::stol(c[3 + i]), m.raw_counts[i]) << "row " << row;
    ++row;
  }
  EXPECT_EQ(jumps, 1u) << "one gap in time, at the reconnect";
  EXPECT_GT(row, 2000u);
  EXPECT_LT(row, 3200u);
}

TEST(RecordCli, TheStatusLineShowsTheHoldInProgressAgainstTheProtocolWindow) {
  // Where the session has a hold: the offline analysis of the same counts, turned into force as
  // record does for a rig without a calibration (the uncalibrated default).
  rollrig::sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 7;
  cfg.body.duration_s = 300;
  rollrig::sim::BodyModel model(cfg.body);
  const rollrig::core::ForceModel forces;
  std::vector<rollrig::core::AnalysisSample> samples;
  for (size_t k = 0; k < 24000; ++k) {
    const auto m = model.next();
    rollrig::core::Sample s;
    s.channel_count = 4;
    for (int i = 0; i < 4; ++i) s.raw_counts[i] = m.raw_counts[i];
    const auto f = forces.compute(s);
    samples.push_back({k * 0.0125, f.total_n, f.has_cop, f.x_mm, f.y_mm});
  }
  const auto analysis = rollrig::core::analyzeSession(samples);
  const auto hold = std::find_if(analysis.holds.begin(), analysis.holds.end(),
                                 [](const auto& h) { return h.duration_s() > 15; });
  ASSERT_NE(hold, analysis.holds.end());
  // Hold the rig 12 s into that hold: the status line must show it open, under 30 s.
  const double at_s = hold->start_s + 12;
  rollrig::testing::PtyRig rig(cfg, static_cast<uint64_t>(at_s / 0.0125) + 1);
  ASSERT_FALSE(rig.path().empty());
  TestTerminal terminal;
  ASSERT_FALSE(terminal.path().empty());
  const fs::path out = tempDir() / "hold-status.csv";
  fs::remove(out);
  closeOnExecAll();
  const pid_t pid = rollrig::testing::spawnRollrig(
      {"record", "--port", rig.path(), "--out", out.string()}, terminal.path());
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(terminal.waitFor("HOLD 0:1")) << tail(terminal.text());
  EXPECT_TRUE(terminal.waitFor(" (30\u201390 s) ")) << tail(terminal.text());
  kill(pid, SIGINT);
  EXPECT_EQ(rollrig::testing::waitRollrig(pid), 0) << tail(terminal.text());
}

// [SECTION] --json

namespace {

using rollrig::testing::SplitRun;

// `rollrig <args>` with stdout and stderr apart (runRollrigSplit); `prefix` runs it under another
// command (e.g. prlimit).
SplitRun runSplit(const std::string& args, const std::string& prefix = "") {
  return rollrig::testing::runRollrigSplit(args, (tempDir() / "split-stderr.txt").string(), prefix);
}

// The samples the library at `db` holds for session `id` (0 when there is no such session).
uint64_t librarySamples(const std::string& db, int64_t id) {
  rollrig::store::SessionStore s;
  rollrig::store::OpenOptions ro;
  ro.mode = rollrig::store::OpenMode::kReadOnly;
  std::vector<rollrig::store::SessionListEntry> list;
  if (s.open(db, ro) || s.listSessions(&list)) return 0;
  for (const auto& e : list)
    if (e.id == id) return e.sample_count;
  return 0;
}

}  // namespace

TEST(RecordCli, JsonSummaryIsOneObjectOnStdoutWhoseCountsMatchTheLibraryAndTheCsv) {
  const fs::path dir = tempDir() / "json-summary";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "sessions.db").string();
  const std::string csv = (dir / "s.csv").string();
  const SplitRun r =
      runSplit("record --demo --fast --seed 7 --duration 60 --json --db " + db + " --out " + csv);
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;  // nothing else on stdout
  ASSERT_TRUE(j.is_object());

  // Where it went, and the same count everywhere.
  ASSERT_TRUE(j["library"].is_object()) << j.dump(2);
  EXPECT_EQ(j["library"]["path"], db);
  ASSERT_TRUE(j["library"]["session_id"].is_number_integer());
  ASSERT_TRUE(j["samples"].is_number_unsigned());
  const uint64_t samples = j["samples"].get<uint64_t>();
  EXPECT_EQ(samples, 4800u);  // 60 s at 80 Hz
  EXPECT_EQ(samples, librarySamples(db, j["library"]["session_id"].get<int64_t>()));
  EXPECT_EQ(j["library"]["samples"].get<uint64_t>(), samples);
  ASSERT_TRUE(j["csv"].is_object()) << j.dump(2);
  EXPECT_EQ(j["csv"]["path"], csv);
  EXPECT_EQ(j["csv"]["sidecar"], csv + ".meta.json");
  EXPECT_TRUE(fs::exists(j["csv"]["sidecar"].get<std::string>()));
  EXPECT_EQ(j["csv"]["samples"].get<uint64_t>(), samples);
  EXPECT_EQ(wholeRows(csv), samples);

  // Device time, the rate, how it ended.
  ASSERT_TRUE(j["duration_s"].is_number());
  EXPECT_NEAR(j["duration_s"].get<double>(), (samples - 1) * 0.0125, 0.002);
  EXPECT_NEAR(j["mean_rate_Hz"].get<double>(), 80.0, 0.01);
  EXPECT_EQ(j["stop_reason"], "duration reached");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["exit_status"], "success");
  ASSERT_TRUE(j["started_utc"].is_string());
  EXPECT_TRUE(std::regex_match(j["started_utc"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << j["started_utc"];

  // Every decoder counter, as a number.
  const std::vector<std::string> counters = {
      "bytes",        "frames_ok",     "samples",       "crc_errors",          "malformed",
      "oversized",    "unknown_types", "seq_gaps",      "frames_lost",         "duplicates",
      "out_of_order", "time_wraps",    "device_resets", "wrong_channel_count", "implausible"};
  ASSERT_TRUE(j["decoder"].is_object());
  EXPECT_EQ(j["decoder"].size(), counters.size()) << j["decoder"].dump();
  for (const std::string& c : counters)
    EXPECT_TRUE(j["decoder"][c].is_number_unsigned()) << c << ": " << j["decoder"].dump();
  EXPECT_GE(j["decoder"]["samples"].get<uint64_t>(), samples);
  EXPECT_EQ(j["decoder"]["frames_lost"], 0);

  // The device and the calibration.
  EXPECT_EQ(j["device"]["serial"], "0000D3E0");
  EXPECT_TRUE(j["device"]["source"].is_string());
  EXPECT_TRUE(
      std::regex_match(j["device"]["firmware"].get<std::string>(), std::regex(R"(\d+\.\d+\.\d+)")));
  EXPECT_TRUE(
      std::regex_match(j["device"]["protocol"].get<std::string>(), std::regex(R"(\d+\.\d+)")));
  EXPECT_EQ(j["device"]["cells"], 4);
  EXPECT_EQ(j["device"]["rate_Hz"], 80);
  EXPECT_EQ(j["calibration"]["source"], "virtual rig nominal");
  EXPECT_TRUE(j["calibration"]["from"].is_string());
  EXPECT_EQ(j["calibration"]["auto_zero"], true);
  EXPECT_TRUE(j["calibration"]["rezeros"].is_number_unsigned());
  EXPECT_TRUE(j["calibration"]["largest_rezero_change_N"].is_number());
  EXPECT_EQ(j["reconnects"]["count"], 0);
  EXPECT_TRUE(j["reconnects"]["refused_devices"].is_array());

  // The holds: what the live analysis found, in the fields `analyze --json` uses.
  ASSERT_TRUE(j["holds"].is_array());
  ASSERT_FALSE(j["holds"].empty()) << "seed 7 holds the ball within the first minute";
  EXPECT_EQ(j["hold_count"].get<size_t>(), j["holds"].size());
  size_t released = 0;
  for (const auto& h : j["holds"]) {
    EXPECT_TRUE(h["start_s"].is_number() && h["end_s"].is_number() && h["duration_s"].is_number())
        << h.dump();
    EXPECT_NEAR(h["duration_s"].get<double>(),
                h["end_s"].get<double>() - h["start_s"].get<double>(), 0.002);
    EXPECT_TRUE(h["mean_force_N"].is_number());
    EXPECT_TRUE(h["x_mm"].is_number() && h["y_mm"].is_number()) << h.dump();
    EXPECT_TRUE(h["side"].is_string());
    if (h["release_s"].is_null()) {
      EXPECT_TRUE(h["release_source"].is_null()) << h.dump();
    } else {
      ++released;
      EXPECT_TRUE(h["release_source"].is_string()) << h.dump();
      EXPECT_GE(h["release_s"].get<double>(), h["start_s"].get<double>());
    }
  }
  EXPECT_EQ(j["releases"].get<size_t>(), released);
  EXPECT_TRUE(j["warnings"].is_array());
  fs::remove_all(dir);
}

TEST(RecordCli, JsonCountsAReconnectAndTheTimeAway) {
  const fs::path dir = tempDir() / "json-reconnect";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const SplitRun r = runSplit("record --demo --fast --duration 30 --unplug 10,2 --json -q --db " +
                              (dir / "sessions.db").string());
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;  // -q does not silence --json
  EXPECT_EQ(j["reconnects"]["count"], 1) << j["reconnects"].dump();
  EXPECT_GT(j["reconnects"]["away_s"].get<double>(), 0.0);
  EXPECT_TRUE(j["reconnects"]["refused_devices"].empty());
  fs::remove_all(dir);
}

TEST(RecordCli, JsonPrintsNothingOnStdoutWhenTheRecordingFailsBeforeAnySample) {
  const fs::path dir = tempDir() / "json-no-port";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "sessions.db").string();
  const SplitRun r = runSplit("record --port /nonexistent/ttyACM9 --json --db " + db);
  EXPECT_EQ(r.code, 3) << r.err;  // port not found
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("rollrig record: "), std::string::npos) << r.err;
  fs::remove_all(dir);
}

// A library on a full disk (a file-size limit fails writes as ENOSPC does): the JSON still comes,
// with the samples actually committed and the exit code in number and words.
TEST(RecordCli, JsonOfARecordingStoppedByAFullLibraryGivesTheCommittedSamplesAndExitCodeEight) {
  if (std::system("command -v prlimit >/dev/null") != 0) GTEST_SKIP() << "needs prlimit";
  const fs::path dir = tempDir() / "json-full";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "sessions.db").string();
  const SplitRun r = runSplit("record --demo --fast --duration 36000 --json --db " + db,
                              "prlimit --fsize=3000000 ");
  EXPECT_EQ(r.code, 8) << r.err;
  EXPECT_NE(r.err.find("samples committed before"), std::string::npos) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["exit_code"], 8);
  EXPECT_EQ(j["exit_status"], "output file error");
  ASSERT_TRUE(j["library"].is_object()) << j.dump(2);
  const uint64_t samples = j["samples"].get<uint64_t>();
  EXPECT_GT(samples, 1000u);
  EXPECT_EQ(samples, librarySamples(db, j["library"]["session_id"].get<int64_t>()));
  EXPECT_TRUE(j["csv"].is_null());
  fs::remove_all(dir);
}

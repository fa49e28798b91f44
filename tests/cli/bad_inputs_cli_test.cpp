// The bad-inputs catalogue (issue 13): every error a user can reach from the command line — ports,
// files, options, environment, configuration, a full disk, a read-only library, a library from a
// newer rollrig — run for real, each checked for its exit code and the message the user sees.
//
// docs/RELIABILITY.md ("Bad inputs") lists the same cases, one table row each, with the message
// exactly as it comes out; each case fails when its row and the program disagree, and prints the
// row as it should read. To regenerate the table after changing a message (one process, in order):
//   rm -f /tmp/rows.md
//   ROLLRIG_CATALOGUE_OUT=/tmp/rows.md ROLLRIG_BIN=build/bin build/tests/cli_tests
//     --gtest_filter='Catalogue/BadInputs.*'   (one command line)
// then paste /tmp/rows.md over the table.
#include <grp.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "pty_rig.h"

namespace fs = std::filesystem;
using rollrig::testing::CliRun;

namespace {

// One way a user can get it wrong.
struct BadInput {
  const char* id;         // the row's key in docs/RELIABILITY.md
  const char* situation;  // what the user did, in words
  // The command line after `rollrig` (or `rollrig-gui` when it starts with "gui "), with
  // placeholders: {D} the scratch folder, {rig} a rig on a pty, {silent} a port whose device never
  // answers, {busy} a port another program holds, {pts} a port only root and group tty may open,
  // {rig3} a rig with 3 load cells. An "env: A=B ;" prefix sets the environment.
  const char* command;
  int exit_code;
  const char* excerpt;     // in the line the user sees (the docs show that whole line)
  bool as_nobody = false;  // run as an unprivileged user (root opens and writes anything)
  // The line holds figures that vary from run to run: the docs show them as N.
  bool varying_figures = false;
};

// For gtest's messages: the case's id, not its bytes.
void PrintTo(const BadInput& c, std::ostream* os) {
  *os << c.id;
}

// clang-format off
const BadInput kCatalogue[] = {
  // Ports
  {"port-missing", "a port that does not exist", "record --port /dev/ttyNOPE0", 3,
   "no serial port at /dev/ttyNOPE0"},
  {"port-busy", "a port another program holds (a serial monitor)", "record --port {busy}", 5,
   "another program is using"},
  {"port-permission", "a port the user may not open (not in its group)",
   "record --port {pts} --no-library --out {D}/anyone/p.csv", 4, "usermod -aG dialout", true},
  {"port-silent", "a port whose device never answers (not a rollrig, or no firmware)",
   "record --port {silent} --no-library --out {D}/silent.csv", 6, "{silent}"},
  {"port-three-cells", "a rollrig-like device with 3 load cells, not 4", "record --port {rig3}", 6,
   "load cells"},
  {"port-file", "a path that is not a serial port (a regular file)", "record --port {D}/notes.txt",
   3, "is not a serial port"},
  {"port-calibration-malformed",
   "a malformed stored calibration for the device: a warning, then it records uncalibrated",
   "env: ROLLRIG_CONFIG_DIR={D}/badcal ; record --port {rig} --duration 1 --no-library --out {D}/cal.csv",
   0, "not valid JSON"},
  // Options
  {"option-unknown", "an option rollrig does not have", "record --bogus", 2,
   "--bogus"},
  {"option-not-a-number", "a number that is not one", "record --demo --duration abc", 2,
   "must be a number of seconds"},
  {"option-out-of-range", "a number out of range", "record --demo --duration -5", 2,
   "must be a number of seconds"},
  {"option-conflict", "two options that exclude each other", "record --demo --port /dev/ttyACM0",
   2, "--demo excludes --port"},
  {"option-pain-range", "a pain rating outside 0-10", "mark 1 --at 1 --pain 11 --db {D}/lib.db",
   2, "--pain"},
  {"option-band", "a load band that is not LOW-HIGH in 5-100 % of body weight",
   "record --demo --cues tones --body-mass 70 --band 50-20", 2, "--band"},
  {"option-cue-unknown", "switching off a cue rollrig does not have",
   "record --demo --cues tones --no-cue loud", 2, "no cue 'loud'"},
  {"option-no-subcommand", "no command at all", "", 2, "subcommand is required"},
  // Input files
  {"file-missing", "a CSV that is not there", "analyze {D}/nope.csv", 10, "does not exist"},
  {"file-empty", "an empty CSV", "analyze {D}/empty.csv", 10, "the file is empty"},
  {"file-binary", "a file that is not text", "analyze {D}/binary.csv", 10,
   "not a CSV text file"},
  {"file-no-header", "a CSV without the columns analyze needs", "analyze {D}/noheader.csv", 10,
   "time_s"},
  {"file-bad-row", "a row that is not a number (line 7): skipped with its line, the rest analysed",
   "analyze {D}/badrow.csv", 0, "line 7"},
  {"file-nan", "NaN in a force column: each such row skipped with its line",
   "analyze {D}/nan.csv", 0, "not a finite number"},
  {"file-mostly-bad", "a CSV whose rows are mostly unusable", "analyze {D}/mostlybad.csv", 10,
   "can be used"},
  {"file-unreadable", "a CSV the user may not read", "analyze {D}/locked/s.csv", 10,
   "permission denied", true},
  {"import-mostly-bad", "importing a CSV whose rows are mostly unusable",
   "import {D}/mostlybad.csv --db {D}/import.db", 10, "can be used"},
  {"calibrate-ill-posed", "calibration placements all on one line",
   "calibrate --from {D}/s.csv --mass 10 --tare-window 0,2 --placement 5,8,0,0 "
   "--placement 10,13,0,0 --placement 14,17,0,0 --serial 0000D3E0 --dry-run", 11,
   "on one line"},
  // Output files and the disk
  {"out-exists", "an output file that exists (never overwritten without --force)",
   "record --demo --fast --duration 1 --no-library --out {D}/s.csv", 8, "already exists"},
  {"out-no-folder", "an output file in a folder that does not exist",
   "record --demo --fast --duration 1 --no-library --out {D}/nofolder/x.csv", 8,
   "does the directory exist"},
  {"out-disk-full", "a disk that fills up while recording the CSV",
   "record --demo --fast --duration 1 --no-library --force --out /dev/full", 8, "disk is full"},
  {"export-not-empty", "exporting into a folder that holds other files",
   "export 1 --out {D}/notempty --db {D}/lib.db", 8, "--force"},
  {"library-disk-full",
   "a disk that fills up while recording into the library (here a file-size limit, which SQLite "
   "reports as an I/O error; a full disk says \"full\")",
   "env: prlimit --fsize=3000000 ; record --demo --fast --duration 36000 --db {D}/full.db", 8,
   "samples committed before", false, true},
  {"library-read-only", "a library the user may read but not write",
   "mark 1 --at 1 --pain 3 --db {D}/readonly/lib.db", 8, "cannot be written", true},
  // The session library
  {"library-missing", "a library that does not exist yet", "sessions --db {D}/none.db", 12,
   "no session library"},
  {"library-not-sqlite", "a file that is not a library", "sessions --db {D}/notes.txt", 12,
   "not a rollrig session library"},
  {"library-newer", "a library from a newer rollrig", "sessions --db {D}/newer.db", 12,
   "made by a newer rollrig"},
  {"library-damaged", "a damaged library (cut short)", "show 1 --db {D}/damaged.db", 12,
   "is damaged"},
  {"library-under-a-file", "ROLLRIG_DB inside a path that is a file",
   "env: ROLLRIG_DB={D}/notes.txt/lib.db ; record --demo --fast --duration 1", 12,
   "Not a directory"},
  {"session-missing", "a session id that is not in the library", "show 99 --db {D}/lib.db", 13,
   "no session 99"},
  {"hold-missing", "a hold number the session does not have",
   "edit 1 --hold 9 --confirm --db {D}/lib.db", 13, "no hold 9"},
  {"marker-missing", "a marker id the session does not have",
   "mark 1 --edit-marker 999 --pain 3 --db {D}/lib.db", 13, "no marker 999"},
  {"mark-outside", "a mark after the session's end", "mark 1 --at 9999 --pain 3 --db {D}/lib.db",
   2, "lies outside it"},
  // The window
  {"gui-no-display", "the window without a display (no DISPLAY, e.g. over ssh)",
   "env: env -u DISPLAY -u WAYLAND_DISPLAY ; gui --demo", 1, "no display"},
  {"gui-bad-view", "the window with a view it does not have", "gui --view nope", 2, "--view"},
};
// clang-format on

// A pty pair that stays open for the test's lifetime. `hold_exclusive`: the slave made exclusive
// (TIOCEXCL), as a serial monitor does; else the slave is given to root and group dialout, mode
// 0660, as udev gives a USB serial port (where the test may do that), so an unprivileged user who
// is not in dialout is refused as on a real machine.
struct HeldPty {
  int master = -1, slave = -1;
  std::string path;
  explicit HeldPty(bool hold_exclusive) {
    char name[256];
    if (openpty(&master, &slave, name, nullptr, nullptr) != 0) return;
    path = name;
    if (hold_exclusive) {
      ioctl(slave, TIOCEXCL);
    } else if (const group* g = getgrnam("dialout"); g && geteuid() == 0) {
      if (fchown(slave, 0, g->gr_gid) != 0 || fchmod(slave, 0660) != 0) path.clear();
    }
  }
  ~HeldPty() {
    if (slave >= 0) close(slave);
    if (master >= 0) close(master);
  }
};

void replaceAll(std::string* s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size()))
    s->replace(at, from.size(), to);
}

// Everything the cases need, made once: a recording, a library, broken files, held ports.
class Catalogue {
 public:
  Catalogue() {
    fs::permissions(m_dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read |
                                      fs::perms::others_exec);
    const std::string d = m_dir.path();
    m_ok = rollrig::testing::runRollrig("record --demo --fast --duration 20 -q --out " + d +
                                        "/s.csv --db " + d + "/lib.db")
               .code == 0;
    const std::string csv = rollrig::testing::readText(d + "/s.csv");
    std::vector<std::string> lines;
    std::stringstream ss(csv);
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
    m_ok = m_ok && lines.size() > 100;
    if (!m_ok) return;
    // Column 11 (0-based) is force_N (docs/CSV_FORMAT.md).
    const auto withForce = [&](size_t row, const std::string& v) {
      std::vector<std::string> f = rollrig::testing::splitCsvLine(lines[row]);
      f[11] = v;
      std::string out;
      for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
      return out;
    };
    std::string badrow, nan, mostly;
    for (size_t i = 0; i < lines.size(); ++i) {
      badrow += (i == 6 ? withForce(i, "oops") : lines[i]) + "\n";  // line 7
      nan += (i > 0 && i % 3 == 0 ? withForce(i, "nan") : lines[i]) + "\n";
      mostly += (i > 0 && i % 4 != 0 ? withForce(i, "x") : lines[i]) + "\n";
    }
    rollrig::testing::writeText(d + "/badrow.csv", badrow);
    rollrig::testing::writeText(d + "/nan.csv", nan);
    rollrig::testing::writeText(d + "/mostlybad.csv", mostly);
    rollrig::testing::writeText(d + "/empty.csv", "");
    rollrig::testing::writeText(d + "/binary.csv", std::string("\x7f"
                                                               "ELF\x02\x01\0\0\n",
                                                               9));
    rollrig::testing::writeText(d + "/noheader.csv", "1,2,3\n4,5,6\n");
    rollrig::testing::writeText(d + "/notes.txt", "my notes\n");
    fs::create_directories(d + "/notempty");
    rollrig::testing::writeText(d + "/notempty/mine.txt", "keep me\n");
    // Unreadable / unwritable for the unprivileged user.
    // A folder anyone may write, for what the unprivileged user's cases write.
    fs::create_directories(d + "/anyone");
    fs::permissions(d + "/anyone", fs::perms::all);
    fs::create_directories(d + "/locked");
    fs::copy_file(d + "/s.csv", d + "/locked/s.csv");
    fs::permissions(d + "/locked/s.csv", fs::perms::owner_read | fs::perms::owner_write);
    fs::create_directories(d + "/readonly");
    fs::copy_file(d + "/lib.db", d + "/readonly/lib.db");
    // A library from a newer rollrig: the schema version above any this one knows.
    fs::copy_file(d + "/lib.db", d + "/newer.db");
    sqlite3* db = nullptr;
    m_ok = sqlite3_open((d + "/newer.db").c_str(), &db) == SQLITE_OK &&
           sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    // A damaged library: cut after its first pages.
    const std::string whole = rollrig::testing::readText(d + "/lib.db");
    m_ok = m_ok && whole.size() > 16384;
    rollrig::testing::writeText(d + "/damaged.db", whole.substr(0, 8192));
    // A malformed stored calibration for the virtual device's serial.
    fs::create_directories(d + "/badcal/calibrations");
    rollrig::testing::writeText(d + "/badcal/calibrations/device-0000D3E0.json",
                                "{ \"version\": 1, \"gains\": [1, 2,\n");
    m_rig = std::make_unique<rollrig::testing::PtyRig>(rollrig::sim::VirtualDeviceConfig{});
    rollrig::sim::VirtualDeviceConfig three;
    three.cell_count = 3;
    m_rig3 = std::make_unique<rollrig::testing::PtyRig>(three);
    m_ok = m_ok && !m_rig->path().empty() && !m_rig3->path().empty() && !m_busy.path.empty() &&
           !m_pts.path.empty() && !m_silent.path.empty();
  }

  bool ok() const { return m_ok; }

  // The placeholders' values.
  std::map<std::string, std::string> values() const {
    return {{"{D}", m_dir.path()},       {"{rig3}", m_rig3->path()}, {"{rig}", m_rig->path()},
            {"{silent}", m_silent.path}, {"{busy}", m_busy.path},    {"{pts}", m_pts.path}};
  }

  std::string expand(std::string s) const {
    for (const auto& [k, v] : values()) replaceAll(&s, k, v);
    return s;
  }
  // The other way: what the user saw, with the scratch paths put back as placeholders.
  std::string generalise(std::string s) const {
    // Longest path first, so /dev/pts/1 never eats the start of /dev/pts/12.
    std::vector<std::pair<std::string, std::string>> by_length;
    for (const auto& [k, v] : values()) by_length.emplace_back(v, k);
    std::sort(by_length.begin(), by_length.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& [v, k] : by_length) replaceAll(&s, v, k);
    return s;
  }

 private:
  rollrig::testing::TempDir m_dir{"rollrig-bad-inputs"};
  bool m_ok = false;
  std::unique_ptr<rollrig::testing::PtyRig> m_rig, m_rig3;
  rollrig::testing::SilentPort m_silent;
  HeldPty m_busy{true};
  HeldPty m_pts{false};
};

Catalogue& catalogue() {
  static Catalogue c;
  return c;
}

const std::string& docText() {
  static const std::string doc =
      rollrig::testing::readText(std::string(ROLLRIG_SOURCE_DIR) + "/docs/RELIABILITY.md");
  return doc;
}

std::string tableRow(const BadInput& c, int code, const std::string& line) {
  std::string cmd = c.command, msg = line;
  replaceAll(&msg, "|", "\\|");
  replaceAll(&cmd, "|", "\\|");
  std::string prog = "rollrig";
  if (cmd.rfind("env: ", 0) == 0) {
    const size_t semi = cmd.find(" ; ");
    prog = cmd.substr(5, semi - 5) + " rollrig";
    cmd = cmd.substr(semi + 3);
  }
  if (cmd.rfind("gui", 0) == 0) {
    replaceAll(&prog, "rollrig", "rollrig-gui");
    cmd = cmd.size() > 4 ? cmd.substr(4) : "";
  }
  return "| " + std::string(c.id) + " | " + c.situation + " | `" + prog + (cmd.empty() ? "" : " ") +
         cmd + "` | " + std::to_string(code) + " | " + msg + " |";
}

class BadInputs : public ::testing::TestWithParam<BadInput> {};

}  // namespace

TEST_P(BadInputs, GivesTheDocumentedExitCodeAndSaysWhatHappened) {
  const BadInput& c = GetParam();
  Catalogue& cat = catalogue();
  ASSERT_TRUE(cat.ok()) << "the catalogue's files and ports could not be made";
  const bool root = geteuid() == 0;
  if (c.as_nobody && !root)
    GTEST_SKIP() << "runs as an unprivileged user through setpriv, which needs root";
  std::string cmd = cat.expand(c.command), prefix;
  if (cmd.rfind("env: ", 0) == 0) {
    const size_t semi = cmd.find(" ; ");
    prefix = cmd.substr(5, semi - 5) + " ";
    cmd = cmd.substr(semi + 3);
  }
  std::string program = rollrig::testing::rollrigBinary();
  if (cmd.rfind("gui", 0) == 0) {
    program = rollrig::testing::binary("rollrig-gui");
    cmd = cmd.size() > 4 ? cmd.substr(4) : "";
  }
  if (c.as_nobody) prefix += "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  const CliRun r = rollrig::testing::runProgram(program, cmd, prefix);
  EXPECT_EQ(r.code, c.exit_code) << cmd << "\n" << r.output;
  // The line that says it: the first one with the excerpt.
  std::string line;
  std::stringstream ss(r.output);
  for (std::string l; std::getline(ss, l);)
    if (l.find(cat.expand(c.excerpt)) != std::string::npos) {
      line = l;
      break;
    }
  EXPECT_FALSE(line.empty()) << "expected '" << c.excerpt << "' in:\n" << r.output;
  // The docs show this very line (and code); ROLLRIG_CATALOGUE_OUT collects the rows.
  std::string shown = cat.generalise(line);
  if (c.varying_figures) shown = std::regex_replace(shown, std::regex("[0-9]+(\\.[0-9]+)?"), "N");
  const std::string row = tableRow(c, r.code, shown);
  if (const char* out = std::getenv("ROLLRIG_CATALOGUE_OUT"))
    std::ofstream(out, std::ios::app) << row << "\n";
  EXPECT_NE(docText().find(row), std::string::npos)
      << "docs/RELIABILITY.md (\"Bad inputs\") should have the row\n"
      << row << "\n(see the top of " << __FILE__ << " to regenerate the table)";
  // Nothing of the user's was harmed.
  EXPECT_EQ(rollrig::testing::readText(cat.expand("{D}/notes.txt")), "my notes\n");
  EXPECT_EQ(rollrig::testing::readText(cat.expand("{D}/notempty/mine.txt")), "keep me\n");
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInputs, ::testing::ValuesIn(kCatalogue),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           std::string n = info.param.id;
                           replaceAll(&n, "-", "_");
                           return n;
                         });

// The docs' table has no row for a case that is gone.
TEST(BadInputsDocs, TheReliabilityDocListsNoCaseThatIsNotInTheCatalogue) {
  const std::string doc = docText();
  const size_t from = doc.find("<!-- section: bad inputs -->");
  const size_t to = doc.find("<!-- end section: bad inputs -->");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  std::stringstream ss(doc.substr(from, to - from));
  size_t rows = 0;
  for (std::string line; std::getline(ss, line);) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| id ", 0) == 0 || line.rfind("|--", 0) == 0)
      continue;
    const std::string id = line.substr(2, line.find(' ', 2) - 2);
    bool known = false;
    for (const BadInput& c : kCatalogue) known = known || id == c.id;
    EXPECT_TRUE(known) << "docs/RELIABILITY.md lists '" << id << "', which no test runs";
    ++rows;
  }
  EXPECT_EQ(rows, std::size(kCatalogue));
}

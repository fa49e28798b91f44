// Running the built rollrig-gui from GUI tests: under a fresh Xvfb screen (or plain), with its
// stdout and stderr captured, in a per-process temporary directory removed when the tests end.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_files.h"

namespace rollrig::testing {

struct GuiRun {
  int exit_code = -1;
  std::string out, err;
};

// This test process's directory for screenshots, libraries and captured output.
inline std::filesystem::path guiTempPath() {
  return std::filesystem::temp_directory_path() / ("rollrig-gui-" + std::to_string(getpid()));
}
inline std::filesystem::path guiTempDir() {
  std::filesystem::create_directories(guiTempPath());
  return guiTempPath();
}

// The directory goes when the test process ends.
class RemoveGuiTempDir : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(guiTempPath(), ec);
  }
};
inline const ::testing::Environment* const kRemoveGuiTempDir =
    ::testing::AddGlobalTestEnvironment(new RemoveGuiTempDir);

inline bool haveXvfbRun() {
  return std::system("command -v xvfb-run >/dev/null 2>&1") == 0;
}

// Runs build/bin/rollrig-gui with `args` under a fresh Xvfb screen (or without one: plain).
// `env`: "NAME=value ..." set for the app only.
// The command that starts the built rollrig-gui. Under scripts/test-sanitizers,
// ROLLRIG_GUI_LD_PRELOAD names Mesa's driver, preloaded into rollrig-gui alone (so LeakSanitizer
// still sees the driver's globals at exit; see that script): never into xvfb-run and the tools it
// runs, whose clean-up it upsets.
inline std::string guiCommand() {
  const char* bin = std::getenv("ROLLRIG_BIN");
  const std::string gui = std::string(bin ? bin : "build/bin") + "/rollrig-gui";
  const char* preload = std::getenv("ROLLRIG_GUI_LD_PRELOAD");
  return preload && *preload ? "env LD_PRELOAD='" + std::string(preload) + "' " + gui : gui;
}

inline GuiRun runGui(const std::string& args, bool under_xvfb = true, const std::string& env = "") {
  const std::string gui = guiCommand();
  const std::string out_file = (guiTempDir() / "stdout.txt").string();
  const std::string err_file = (guiTempDir() / "stderr.txt").string();
  // -a finds a free display; starting the search at a number of our own keeps two tests that run
  // at once (ctest -j) from racing for the same one.
  const std::string xvfb =
      "xvfb-run -a -n " + std::to_string(100 + getpid() % 1600) + " -s \"-screen 0 1280x800x24\" ";
  const std::string cmd = (env.empty() ? std::string() : "env " + env + " ") +
                          (under_xvfb ? xvfb : std::string()) + gui + " " + args + " >" + out_file +
                          " 2>" + err_file;
  GuiRun r;
  // xvfb-run -a picks a free display by its lock file; two runs starting at the same moment can
  // pick the same one, and one of them finds no X server. That is the test machine, not the app:
  // try again (a few times) when the display never came up.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readText(out_file);
    r.err = readText(err_file);
    const bool no_display = r.err.find("Xvfb failed to start") != std::string::npos ||
                            r.err.find("cannot open a window: no display") != std::string::npos ||
                            r.err.find("Failed to open display") != std::string::npos;
    if (!under_xvfb || r.exit_code == 0 || !no_display) break;
  }
  return r;
}

}  // namespace rollrig::testing

// Running the built `rollrig` (and `rollrig-eval`) from CLI tests: build/bin/ (ROLLRIG_BIN, set
// by ctest), stdout and stderr captured together, the exit code decoded.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "child_process.h"
#include "test_files.h"

namespace rollrig::testing {

// `rollrig record` records into the session library by default: tests that run it must never
// write into the developer's own library. Unless a test or ctest says otherwise, ROLLRIG_DB
// points at a library beside the tests' empty config directory (shared by the tests, as a
// user's library is shared by their programs), and every spawned rollrig inherits it.
inline const bool kTestLibrarySet = [] {
  if (!std::getenv("ROLLRIG_DB")) {
    const char* config = std::getenv("ROLLRIG_CONFIG_DIR");
    const std::string dir = config ? std::string(config) + "/../test-library" : "/tmp";
    setenv("ROLLRIG_DB", (dir + "/sessions.db").c_str(), 1);
  }
  return true;
}();

// A program of build/bin: "rollrig", "rollrig-eval".
inline std::string binary(const std::string& name) {
  const char* d = std::getenv("ROLLRIG_BIN");
  return std::string(d ? d : "build/bin") + "/" + name;
}

inline std::string rollrigBinary() {
  return binary("rollrig");
}

struct CliRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line; `output` is what it writes to stdout.
inline CliRun runShell(const std::string& cmd) {
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Runs `program <args>` through the shell; `env` is prepended (e.g. "ROLLRIG_CONFIG_DIR='x' ").
inline CliRun runProgram(const std::string& program, const std::string& args,
                         const std::string& env = "") {
  return runShell(env + program + " " + args + " 2>&1 </dev/null");
}

// Runs `rollrig <args>` (see runProgram).
inline CliRun runRollrig(const std::string& args, const std::string& env = "") {
  return runProgram(rollrigBinary(), args, env);
}

// `rollrig <args>` started in the background, so a test can send it signals. stdin is /dev/null
// unless `stdin_fd` is given (e.g. a pipe nobody writes to: a prompt that waits); stdout and
// stderr go to `log_path`; `env` is added to the environment. Returns the pid (or -1).
inline pid_t spawnRollrig(const std::vector<std::string>& args, const std::string& log_path,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          int stdin_fd = -1) {
  return spawnLogged(rollrigBinary(), args, log_path, env, stdin_fd);
}

// Waits for a spawned rollrig to finish (up to `timeout_s`, generous: it is a hang detector, not
// a speed test). Returns the exit code, or -1 if it was killed by a signal or had to be killed.
inline int waitRollrig(pid_t pid, int timeout_s = 120) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// `rollrig <args>` with stdout and stderr kept apart (runRollrig merges them): what --json
// promises is about stdout alone.
struct SplitRun {
  int code = -1;
  std::string out;  // stdout only
  std::string err;  // stderr only
};

// stderr goes through the file `err_path`; `prefix` goes before the command line (environment
// assignments such as "ROLLRIG_CONFIG_DIR='x' ", or a command such as prlimit).
inline SplitRun runRollrigSplit(const std::string& args, const std::string& err_path,
                                const std::string& prefix = "") {
  const CliRun r =
      runShell(prefix + rollrigBinary() + " " + args + " 2>'" + err_path + "' </dev/null");
  return {r.code, r.output, readText(err_path)};
}

// Waits until the file at `path` contains `text` (generous: a hang detector, not a speed test).
inline bool waitForText(const std::string& path, const std::string& text, int timeout_s = 120) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (readText(path).find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The fields of one CSV row (the project's CSV never quotes); a trailing comma is an empty field.
inline std::vector<std::string> splitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

}  // namespace rollrig::testing

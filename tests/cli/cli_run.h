// Running the built `rollrig` binary from CLI tests: build/bin/rollrig (ROLLRIG_BIN, set by
// ctest), stdout and stderr captured together, the exit code decoded.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace rollrig::testing {

inline std::string rollrigBinary() {
  const char* d = std::getenv("ROLLRIG_BIN");
  return std::string(d ? d : "build/bin") + "/rollrig";
}

struct CliRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs `rollrig <args>` through the shell; `env` is prepended (e.g. "ROLLRIG_CONFIG_DIR='x' ").
inline CliRun runRollrig(const std::string& args, const std::string& env = "") {
  CliRun r;
  const std::string cmd = env + rollrigBinary() + " " + args + " 2>&1 </dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
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

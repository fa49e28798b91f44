// The rollrig subcommands. Each registers its options on the CLI11 app and runs when chosen;
// run functions return an ExitCode (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace rollrig::cli {

struct RecordOptions {
  bool demo = false;
  std::string port;
  int baud = 0;  // 0: the default (io::kDefaultBaud)
  uint64_t seed = 1;
  double duration_s = 0;  // 0: demo default (120 s) / until Ctrl-C on a port
  bool fast = false;
  std::string out;
  std::string truth;   // demo only: write the body model's ground truth JSON here
  bool force = false;  // overwrite --out
  bool quiet = false;
};

void addRecordCommand(CLI::App& app, RecordOptions& opt);
int runRecord(const RecordOptions& opt);

struct AnalyzeOptions {
  std::string file;
  bool json = false;
};
void addAnalyzeCommand(CLI::App& app, AnalyzeOptions& opt);
int runAnalyze(const AnalyzeOptions& opt);

void addPortsCommand(CLI::App& app, bool& json);
int runPorts(bool json);

}  // namespace rollrig::cli

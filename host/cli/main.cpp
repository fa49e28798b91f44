// rollrig — command-line entry point. Subcommands live in *_command.cpp; exit codes in
// exit_codes.h (documented in README.md).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "protocol/protocol.h"
#include "rollrig_version.h"

int main(int argc, char** argv) {
  using namespace rollrig::cli;
  CLI::App app{"rollrig — pressure-sensing ball-rolling rig: record, analyse and export sessions"};
  app.set_version_flag("--version", std::string("rollrig ") + ROLLRIG_VERSION +
                                        " (wire protocol v" +
                                        std::to_string(rollrig::proto::kProtocolMajor) + "." +
                                        std::to_string(rollrig::proto::kProtocolMinor) + ")");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 other failure, 2 usage, 3 port not found, 4 permission denied,\n"
      "5 port busy, 6 not a rollrig, 7 unsupported protocol version, 8 output file error,\n"
      "9 device disconnected while recording, 10 input file missing or malformed,\n"
      "11 calibration refused (plate not steady, placements ill-posed).");

  RecordOptions record;
  addRecordCommand(app, record);
  bool ports_json = false;
  addPortsCommand(app, ports_json);
  AnalyzeOptions analyze;
  addAnalyzeCommand(app, analyze);
  CalibrateOptions calibrate;
  addCalibrateCommand(app, calibrate);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    if (app.got_subcommand("record")) return runRecord(record);
    if (app.got_subcommand("ports")) return runPorts(ports_json);
    if (app.got_subcommand("analyze")) return runAnalyze(analyze);
    if (app.got_subcommand("calibrate")) return runCalibrate(calibrate);
  } catch (const std::exception& e) {
    std::cerr << "rollrig: unexpected error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}

// rollrig — command-line entry point. Subcommands live in *_command.cpp; exit codes in
// exit_codes.h (documented in README.md). The ranges of the numeric options (checked by
// numeric_options.h, shared with rollrig-eval), and the check that an option which takes a value
// got one, live here, once for every subcommand.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "exit_codes.h"
#include "numeric_options.h"
#include "protocol/protocol.h"
#include "rollrig_version.h"

namespace {

using namespace rollrig::cli;

// Every numeric option of every subcommand, by name.
void addNumericChecks(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (CLI::Option* o = sub->get_option_no_throw("--duration"))
      o->check(realRange(0.1, 604800, "seconds", "0.1 to 604800", " (7 days)"));
    if (CLI::Option* o = sub->get_option_no_throw("--baud"))
      o->check(wholeRange(300, 4000000, " (the rollrig firmware uses 250000)"));
    if (CLI::Option* o = sub->get_option_no_throw("--seed"))
      o->check(wholeRange(0, 4294967295ull, ""));
    if (CLI::Option* o = sub->get_option_no_throw("--mass"))
      o->check(realRange(0.1, 500, "kilograms", "0.1 to 500"));
    if (CLI::Option* o = sub->get_option_no_throw("--body-mass"))
      o->check(realRange(10, 400, "kilograms", "10 to 400"));
  }
}

// `--port --out x.csv`: CLI11 hands "--out" to --port as its value. Refuse a value that is
// another option's name (or looks like one), saying what the first option needs.
void addNeedsValueChecks(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* o : sub->get_options()) {
      if (!o->nonpositional() || o->get_items_expected_min() == 0) continue;
      const std::string name = o->get_name();
      std::string what = "a value";
      if (name == "--port")
        what = "the path of a serial port, e.g. /dev/ttyACM0 (`rollrig ports`)";
      else if (name == "--out" || name == "--truth" || name == "--calibration" ||
               name == "--from" || name == "--db")
        what = "a file name";
      o->check(CLI::Validator(
          [sub, what](std::string& text) -> std::string {
            const bool looks_like_option =
                text.rfind("--", 0) == 0 ||
                (text.size() == 2 && text[0] == '-' && sub->get_option_no_throw(text) != nullptr);
            if (looks_like_option) return "needs " + what + ", but was followed by " + text;
            return std::string();
          },
          "", "NEEDS_VALUE"));
    }
  }
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// `rollrig recrod`: name the command that was meant instead of "A subcommand is required".
// Returns false (after saying so) when the first word is not a subcommand.
bool knownCommand(CLI::App& app, int argc, char** argv) {
  std::string word;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') {
      word = argv[i];
      break;
    }
  }
  if (word.empty()) return true;
  std::string names, nearest;
  size_t best = 3;  // suggest only within two edits
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    const std::string& n = sub->get_name();
    if (n == word) return true;
    names += (names.empty() ? "" : ", ") + n;
    const size_t d = editDistance(word, n);
    if (d < best) {
      best = d;
      nearest = n;
    }
  }
  std::cerr << "rollrig: unknown command '" << word << "'";
  if (!nearest.empty()) std::cerr << "; did you mean '" << nearest << "'?";
  std::cerr << "\nThe commands are " << names << " (rollrig --help).\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rollrig — pressure-sensing ball-rolling rig: record, analyse and export sessions"};
  app.set_version_flag("--version", std::string("rollrig ") + ROLLRIG_VERSION +
                                        " (wire protocol v" +
                                        std::to_string(rollrig::proto::kProtocolMajor) + "." +
                                        std::to_string(rollrig::proto::kProtocolMinor) + ")");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 other failure, 2 usage, 3 port not found, 4 permission denied,\n"
      "5 port busy, 6 not a rollrig (no answer, or START refused), 7 unsupported protocol\n"
      "version, 8 output file error, 9 device disconnected while recording, 10 input file\n"
      "missing, unreadable or malformed, 11 calibration refused (plate not steady, placements\n"
      "ill-posed; or re-calibrating a force-only session), 12 session library missing,\n"
      "unreadable or made by a newer rollrig, 13 no such session, hold or marker (history: no\n"
      "spot near --spot),\n"
      "130 interrupted before anything was recorded or saved.");

  RecordOptions record;
  addRecordCommand(app, record);
  bool ports_json = false;
  addPortsCommand(app, ports_json);
  FlashOptions flash;
  addFlashCommand(app, flash);
  DoctorOptions doctor;
  addDoctorCommand(app, doctor);
  AnalyzeOptions analyze;
  addAnalyzeCommand(app, analyze);
  CalibrateOptions calibrate;
  addCalibrateCommand(app, calibrate);
  LibraryOptions library;
  addLibraryCommands(app, library);
  DemoLibraryOptions demo_library;
  addDemoLibraryCommand(app, demo_library);
  EditOptions edit;
  addEditCommands(app, edit);
  addNeedsValueChecks(app);
  addNumericChecks(app);

  if (!knownCommand(app, argc, argv)) return kExitUsage;
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
    if (app.got_subcommand("flash")) return runFlash(flash);
    if (app.got_subcommand("doctor")) return runDoctor(doctor);
    if (app.got_subcommand("analyze")) return runAnalyze(analyze);
    if (app.got_subcommand("calibrate")) return runCalibrate(calibrate);
    if (app.got_subcommand("sessions")) return runSessions(library);
    if (app.got_subcommand("show")) return runShow(library);
    if (app.got_subcommand("export")) return runExport(library);
    if (app.got_subcommand("import")) return runImport(library);
    if (app.got_subcommand("reanalyze")) return runReanalyze(library);
    if (app.got_subcommand("history")) return runHistory(library);
    if (app.got_subcommand("demo-library")) return runDemoLibrary(demo_library);
    if (app.got_subcommand("edit")) return runEdit(edit);
    if (app.got_subcommand("mark")) return runMark(edit);
  } catch (const std::exception& e) {
    std::cerr << "rollrig: unexpected error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}

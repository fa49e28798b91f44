// The rollrig subcommands. Each registers its options on the CLI11 app and runs when chosen;
// run functions return an ExitCode (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rollrig/io/serial_port.h"

namespace rollrig::engine {
struct SessionDetails;
}

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
  std::string calibration;    // a calibration file to use instead of the device's stored one
  bool no_auto_zero = false;  // keep the offsets fixed (no DriftTracker re-zero)
  std::string db;             // the session library ("": ROLLRIG_DB, else the default path)
  bool no_library = false;    // do not record into the library (then --out is needed)
  std::string ball;           // the ball used, free text (stored with the session)
  double body_mass_kg = 0;    // 0: not given
  std::string notes;          // free text stored with the session
  std::string unplug;         // demo only: "AT,FOR" seconds: unplug the virtual rig for a while
  bool json = false;          // the summary as one JSON object on stdout (README.md)
  std::string cues = "off";   // off, tones or voice: cues for the person on the ball

  // With --cues: the load band ("LOW-HIGH" % body weight; "": 20-50), the "slowly" limit (mm/s;
  // 0: 60) and the cue kinds switched off (by record_command.cpp's names).
  std::string band;
  double slow_limit_mm_s = 0;
  std::vector<std::string> no_cues;
};

void addRecordCommand(CLI::App& app, RecordOptions& opt);
int runRecord(const RecordOptions& opt);

struct AnalyzeOptions {
  std::string file;
  bool json = false;
};
void addAnalyzeCommand(CLI::App& app, AnalyzeOptions& opt);
int runAnalyze(const AnalyzeOptions& opt);

struct CalibrateOptions {
  bool demo = false;
  std::string port;
  std::string from;  // a recording (session CSV)
  int baud = 0;      // 0: the default (io::kDefaultBaud)
  uint64_t seed = 1;
  bool fast = false;
  double mass_kg = 0;
  std::string positions;  // "x1,y1;x2,y2;..." mm; "": the default layout
  std::string cells;      // "x0,y0;...;x3,y3" mm; "": the reference build
  bool tare_only = false;
  bool yes = false;
  bool dry_run = false;
  bool ignore_last_tare = false;
  std::string out;
  std::string tare_window;              // --from: "T0,T1"
  std::vector<std::string> placements;  // --from: "T0,T1,x,y" each
  std::string serial;                   // --from: device serial (hex)
  bool json = false;  // the result as one JSON object on stdout; prompts and progress to stderr
};
void addCalibrateCommand(CLI::App& app, CalibrateOptions& opt);
int runCalibrate(const CalibrateOptions& opt);

void addPortsCommand(CLI::App& app, bool& json);
int runPorts(bool json);

// The ports that may be the rig: /dev/rollrig (the udev rule's name) when it exists, else the USB
// serial ports with an Arduino's (2341, 2a03) or a Nano clone's (CH340 1a86:7523, FTDI 0403:6001)
// USB IDs, in `ports`' order.
std::vector<std::string> rigPortCandidates(const std::vector<io::PortInfo>& ports);

// `rollrig doctor` (doctor_command.cpp): checks this machine for the rig (engine/doctor.h).
struct DoctorOptions {
  std::string port;  // "": rigPortCandidates()
  std::string db;
  bool no_probe = false;
  bool json = false;
};
void addDoctorCommand(CLI::App& app, DoctorOptions& opt);
int runDoctor(const DoctorOptions& opt);

// `rollrig flash` (flash_command.cpp): the bundled firmware to the rig with avrdude, then a
// handshake to check it.
struct FlashOptions {
  std::string port;           // "": /dev/rollrig, else the one Arduino-like USB port
  std::string board = "uno";  // uno, nano, nano-old
  std::string hex;            // "": the bundled rollrig.hex
  bool no_verify = false;
};
void addFlashCommand(CLI::App& app, FlashOptions& opt);
int runFlash(const FlashOptions& opt);
// Where the bundled rollrig.hex may be, in order: installed (<prefix>/share/rollrig/firmware/),
// then a build tree (build/firmware/), both relative to the running executable.
std::vector<std::string> bundledFirmwareCandidates();
// The first executable `program` in $PATH's directories, or "".
std::string findOnPath(const std::string& program);
// avrdude's arguments for an upload of `hex` (an absolute path) to `port`.
std::vector<std::string> avrdudeArguments(const std::string& port, const std::string& board,
                                          const std::string& hex);

// The session library's commands (library_commands.cpp): sessions, show, export, import,
// reanalyze, history. One struct for all of them: each uses the fields it registers.
struct LibraryOptions {
  std::string db;  // --db; "": $ROLLRIG_DB, else store::defaultLibraryPath()
  bool json = false;
  int64_t id = 0;           // show, export, reanalyze
  std::string out;          // export --out DIR
  bool force = false;       // export --force
  std::string file;         // import FILE.csv
  std::string calibration;  // reanalyze --calibration FILE
  std::string side;         // history --side left|right
  std::string spot;         // history --spot X,Y
};
void addLibraryCommands(CLI::App& app, LibraryOptions& opt);
int runSessions(const LibraryOptions& opt);
int runShow(const LibraryOptions& opt);
int runExport(const LibraryOptions& opt);
int runImport(const LibraryOptions& opt);
int runReanalyze(const LibraryOptions& opt);
int runHistory(const LibraryOptions& opt);

// `rollrig edit` and `rollrig mark` (edit_command.cpp): edits made after a session.
struct EditOptions {
  std::string db;
  int64_t id = 0;
  bool json = false;
  int hold = 0;  // edit --hold N (1-based)
  bool confirm = false, no_release = false, undo = false;
  std::optional<double> release_at_s;  // edit --release-at S
  std::optional<double> at_s;          // mark --at S
  std::optional<int> pain;
  std::optional<std::string> note;
  bool released = false;
  std::string side;
  std::optional<int64_t> edit_marker, delete_marker;
};
void addEditCommands(CLI::App& app, EditOptions& opt);
int runEdit(const EditOptions& opt);
int runMark(const EditOptions& opt);
// For `rollrig show`: the markers in effect with their ids, then the edits (text), or the edits as
// one JSON object's text.
void printMarkersAndEdits(std::ostream& out, const engine::SessionDetails& d);
std::string editsJsonText(const engine::SessionDetails& d);

// `rollrig demo-library` (demo_library_command.cpp): a library of simulated sessions.
struct DemoLibraryOptions {
  std::string db;  // "": rollrig-demo-library.db in the current directory (never the user's own)
  int sessions = 12;
  int weeks = 6;
  uint64_t seed = 1;
  std::string start_date = "2026-10-01";
  bool append = false;  // add to a library that already has sessions
  bool quiet = false;
};
void addDemoLibraryCommand(CLI::App& app, DemoLibraryOptions& opt);
int runDemoLibrary(const DemoLibraryOptions& opt);

}  // namespace rollrig::cli

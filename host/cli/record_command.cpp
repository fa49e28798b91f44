// `rollrig record`: a thin driver of the session engine (rollrig::engine::LiveSession) with its
// sinks — the session library (StoreSessionSink, by default) and/or a session CSV (CsvSessionSink,
// --out): options in, a status line every 250 ms from the session's snapshot, the summary at the
// end (or, with --json, the same as one JSON object on stdout). The pipeline (source, handshake,
// calibration choice, forces, re-zero, live analysis, reconnect, commits) is the engine's; the
// files are the sinks'.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "marker_input.h"
#include "numeric_options.h"
#ifdef ROLLRIG_HAVE_AUDIO
#include "rollrig/audio/cue_player.h"
#endif
#include "rollrig/core/calibration.h"
#include "rollrig/core/cue_planner.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/output_file.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/engine/store_sink.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/sim/body_model.h"

namespace rollrig::cli {

namespace {

namespace fs = std::filesystem;

constexpr double kDemoDefaultDuration_s = 120.0;

// Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed) all end a recording the same way:
// the rows so far stay, the sidecar is finalised. g_stop is lock-free, so the handler may set it
// and the handshake may poll it (HandshakeOptions::cancel).
std::atomic<bool> g_stop{false};
volatile std::sig_atomic_t g_signal = 0;
void onSignal(int signo) {
  g_signal = signo;
  g_stop.store(true);
}

const char* stopReasonFor(int signo) {
  switch (signo) {
    case SIGHUP:
      return "terminal closed";
    case SIGTERM:
      return "terminated";
    default:
      return "interrupted";
  }
}

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "%08X", v);
  return b;
}

// The absolute path of the file `p` names: symlinks followed even when they dangle (the file
// they point at is the one that would be written), `.` and `..` resolved.
fs::path resolvedPath(const std::string& p) {
  std::error_code ec;
  fs::path path = fs::absolute(p, ec);
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(path, ec)); ++hops) {
    const fs::path target = fs::read_symlink(path, ec);
    if (ec) break;
    path = target.is_absolute() ? target : path.parent_path() / target;
  }
  return fs::weakly_canonical(path, ec).lexically_normal();
}

// True when a and b name the same file: through different spellings, `..`, symlinks or hard
// links (fs::equivalent when both exist).
bool sameFile(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2, ec;
  if (fs::exists(a, ec1) && fs::exists(b, ec2)) return fs::equivalent(a, b, ec);
  return resolvedPath(a) == resolvedPath(b);
}

// The live status line (to a terminal, redrawn every 250 ms): device time, the measured rate,
// losses, force, ball, and then what the session is doing: the open hold against the protocol
// window, a release, or reconnecting.
std::string statusLine(const engine::LiveSnapshot& snap) {
  char line[320];
  const double force_shown =
      std::abs(snap.last_force.total_n) < 0.05 ? 0.0 : snap.last_force.total_n;
  int n = std::snprintf(
      line, sizeof(line), "\r\033[K%7.1f s  %5.1f Hz  lost %llu  bad %llu  force %7.1f N",
      snap.elapsed_s, snap.rate_hz, static_cast<unsigned long long>(snap.stats.frames_lost),
      static_cast<unsigned long long>(snap.stats.badFrames()), force_shown);
  auto more = [&](const char* fmt, auto... args) {
    if (n > 0 && n < static_cast<int>(sizeof(line)))
      n += std::snprintf(line + n, sizeof(line) - n, fmt, args...);
  };
  const bool reconnecting = snap.state == engine::ConnectionState::kReconnecting;
  if (snap.last_force.has_cop && !reconnecting)
    more("  ball %+6.0f,%+6.0f mm", snap.last_force.x_mm, snap.last_force.y_mm);
  if (snap.stats.wrong_channel_count > 0)
    more("  wrong cell count %llu",
         static_cast<unsigned long long>(snap.stats.wrong_channel_count));
  if (reconnecting) {
    more("  reconnecting\u2026");
  } else if (snap.since_last_sample_s >= 1.0) {
    more("  no data for %.0f s", std::floor(snap.since_last_sample_s));
  }
  if (snap.open_hold && !reconnecting) {
    const engine::OpenHoldView& h = *snap.open_hold;
    const int secs = static_cast<int>(h.elapsed_s);
    more("  HOLD %d:%02d (%.0f\u2013%.0f s) %.0f N", secs / 60, secs % 60, h.protocol_min_s,
         h.protocol_max_s, h.mean_force_n);
    if (h.released) more("  released");
  }
  return std::string(line, static_cast<size_t>(std::min<int>(n, sizeof(line) - 1)));
}

// [SECTION] --json

// The exit code in words, as README.md's table names it.
const char* exitStatusName(int code) {
  switch (code) {
    case kExitOk:
      return "success";
    case kExitUsage:
      return "bad command line";
    case kExitPortNotFound:
      return "port not found";
    case kExitPermission:
      return "permission denied";
    case kExitPortBusy:
      return "port busy";
    case kExitNotRollrig:
      return "not a rollrig";
    case kExitProtocolVersion:
      return "unsupported protocol version";
    case kExitOutput:
      return "output file error";
    case kExitDisconnected:
      return "device disconnected";
    case kExitInput:
      return "input file error";
    case kExitCalibrationRefused:
      return "calibration refused";
    case kExitInterrupted:
      return "interrupted";
    default:
      return "failure";
  }
}

double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

// Every counter of the decoder, by its field name (scripts may rely on the keys).
nlohmann::json decoderJson(const core::DecoderStats& st) {
  return nlohmann::json{{"bytes", st.bytes},
                        {"frames_ok", st.frames_ok},
                        {"samples", st.samples},
                        {"crc_errors", st.crc_errors},
                        {"malformed", st.malformed},
                        {"oversized", st.oversized},
                        {"unknown_types", st.unknown_types},
                        {"seq_gaps", st.seq_gaps},
                        {"frames_lost", st.frames_lost},
                        {"duplicates", st.duplicates},
                        {"out_of_order", st.out_of_order},
                        {"time_wraps", st.time_wraps},
                        {"device_resets", st.device_resets},
                        {"wrong_channel_count", st.wrong_channel_count},
                        {"implausible", st.implausible}};
}

// One hold, with the keys `rollrig analyze --json` gives the same fields (session seconds).
nlohmann::json holdJson(const core::Hold& h) {
  const auto orNull = [](bool has, double v) {
    return has ? nlohmann::json(round3(v)) : nlohmann::json(nullptr);
  };
  return nlohmann::json{
      {"start_s", round3(h.start_s)},
      {"end_s", round3(h.end_s)},
      {"duration_s", round3(h.duration_s())},
      {"release_s", orNull(h.release_s.has_value(), h.release_s.value_or(0))},
      {"time_to_release_s", orNull(h.release_s.has_value(), h.release_s.value_or(0) - h.start_s)},
      {"release_source", h.release_s ? nlohmann::json(h.release_source) : nlohmann::json(nullptr)},
      {"mean_force_N", round3(h.mean_force_n)},
      {"peak_force_N", round3(h.peak_force_n)},
      {"x_mm", orNull(h.has_xy, h.x_mm)},
      {"y_mm", orNull(h.has_xy, h.y_mm)},
      {"side", core::sideName(h.side)},
      {"side_source", core::sideSourceName(h.side_source)}};
}

// [SECTION] The cues' settings: --band, --slow-limit, --no-cue

using core::cueKindFromKey;
using core::cueKindKeys;
using core::kMaxBand_pct;
using core::kMaxSlowLimit_mm_s;
using core::kMinBand_pct;
using core::kMinSlowLimit_mm_s;

// "20-50" as percentages of body weight; false when it is not LOW-HIGH in range with LOW < HIGH.
bool parseBand(const std::string& text, double* low_pct, double* high_pct) {
  const size_t dash = text.find('-', 1);  // not a leading minus
  if (dash == std::string::npos) return false;
  const std::string a = text.substr(0, dash), b = text.substr(dash + 1);
  char* end = nullptr;
  const double lo = std::strtod(a.c_str(), &end);
  if (a.empty() || *end != '\0') return false;
  const double hi = std::strtod(b.c_str(), &end);
  if (b.empty() || *end != '\0') return false;
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo < kMinBand_pct || hi > kMaxBand_pct ||
      !(lo < hi))
    return false;
  *low_pct = lo;
  *high_pct = hi;
  return true;
}

// The planner's settings from the options (checked by their validators already).
core::CueSettings cueSettingsFor(const RecordOptions& opt) {
  core::CueSettings c;
  double lo = 0, hi = 0;
  if (!opt.band.empty() && parseBand(opt.band, &lo, &hi)) {
    c.band_low = lo / 100.0;
    c.band_high = hi / 100.0;
  }
  if (opt.slow_limit_mm_s > 0) c.too_fast_mm_s = opt.slow_limit_mm_s;
  for (const std::string& name : opt.no_cues)
    if (const auto k = cueKindFromKey(name)) c.enabled[static_cast<size_t>(*k)] = false;
  return c;
}

}  // namespace

void addRecordCommand(CLI::App& app, RecordOptions& opt) {
  auto* rec = app.add_subcommand(
      "record",
      "Record a session from a rig, or from the virtual rig, into the session library (and/or a "
      "CSV file)");
  // A later option wins (scripts/demo passes defaults that the user's arguments override).
  rec->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto* demo =
      rec->add_flag("--demo", opt.demo, "Use the built-in virtual rig (no hardware needed)");
  auto* port = rec->add_option("--port", opt.port, "Serial port of the rig, e.g. /dev/ttyACM0");
  demo->excludes(port);
  rec->add_option("--baud", opt.baud, "Baud rate (default 250000, the firmware's)");
  rec->add_option("--seed", opt.seed, "Virtual rig: body-model seed (default 1)");
  // The ranges of the numeric options are checked in main.cpp, once for every subcommand.
  rec->add_option(
      "--duration", opt.duration_s,
      "Seconds of device time to record (default: 120 for --demo, until Ctrl-C for a port)");
  rec->add_flag("--fast", opt.fast, "Virtual rig: run as fast as possible instead of in real time");
  rec->add_option("--out", opt.out, "Also write the session CSV to this file (docs/CSV_FORMAT.md)");
  rec->add_option("--db", opt.db,
                  "The session library (default: $ROLLRIG_DB, else "
                  "$XDG_DATA_HOME/rollrig/sessions.db)");
  rec->add_flag("--no-library", opt.no_library,
                "Do not record into the session library (then --out is needed)");
  rec->add_option("--ball", opt.ball, "The ball used (free text, kept with the session)");
  rec->add_option("--body-mass", opt.body_mass_kg, "Your body mass in kg (kept with the session)");
  rec->add_option("--notes", opt.notes, "Notes kept with the session (free text)");
  rec->add_option("--cues", opt.cues,
                  "Cues for the person on the ball: off (default), tones, or voice (spoken "
                  "prompts): the hold confirmed, 30 s, released, 90 s, rolling too fast, with "
                  "--body-mass the load outside the band (--band), and no more than --no-cue "
                  "leaves")
      ->check(CLI::IsMember({"off", "tones", "voice"}));
  rec->add_option("--band", opt.band,
                  "With --cues: the load band during a hold, LOW-HIGH in % of body weight "
                  "(default 20-50; each from 5 to 100; needs --body-mass)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double lo = 0, hi = 0;
            if (parseBand(text, &lo, &hi)) return std::string();
            return "must be LOW-HIGH in % of body weight, each from 5 to 100 and LOW below HIGH, "
                   "e.g. 20-50, not '" +
                   text + "'";
          },
          "LOW-HIGH", "BAND"));
  rec->add_option("--slow-limit", opt.slow_limit_mm_s,
                  "Rolling faster than this many mm/s between holds is \"rolling too fast\": for "
                  "the share of rolling too fast and the too-fast cue (default 30; 10 to 300)")
      ->check(realRange(kMinSlowLimit_mm_s, kMaxSlowLimit_mm_s, "mm/s", "10 to 300"));
  rec->add_option("--no-cue", opt.no_cues,
                  "With --cues: switch one kind of cue off (repeat it for more): " + cueKindKeys())
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (cueKindFromKey(text)) return std::string();
            return "there is no cue '" + text + "'; the cues are " + cueKindKeys();
          },
          "KIND", "CUE_KIND"));
  rec->add_flag("--force", opt.force, "Overwrite --out if it exists");
  rec->add_option(
      "--truth", opt.truth,
      "Virtual rig: also write the body model's ground truth (JSON; the first 24 h of a "
      "longer demo)");
  rec->add_flag("-q,--quiet", opt.quiet, "No live status line and no summary");
  rec->add_option("--calibration", opt.calibration,
                  "Use this calibration file (default: the one `rollrig calibrate` saved for the "
                  "device; the virtual rig uses its exact nominal calibration)");
  rec->add_option("--unplug", opt.unplug,
                  "Virtual rig: pull its cable at AT s of device time for FOR s (AT,FOR), to see "
                  "the recording reconnect");
  rec->add_flag("--no-auto-zero", opt.no_auto_zero,
                "Keep the offsets fixed (default: re-zero while the plate is unloaded and steady)");
  rec->add_flag("--json", opt.json,
                "Print the summary as one JSON object on stdout (even with -q); the status line "
                "and warnings stay on stderr. A recording that fails before its first sample "
                "prints nothing on stdout");
}

int runRecord(const RecordOptions& opt) {
  if (!opt.demo && opt.port.empty()) {
    std::cerr
        << "rollrig record: say where the data comes from: --demo (virtual rig) or --port PATH.\n";
    return kExitUsage;
  }
  if (!opt.demo && (opt.fast || !opt.truth.empty() || !opt.unplug.empty())) {
    std::cerr << "rollrig record: --fast, --truth and --unplug only apply to --demo.\n";
    return kExitUsage;
  }
  const bool cues_on = opt.cues != "off";
  if (!cues_on && (!opt.band.empty() || !opt.no_cues.empty())) {
    std::cerr << "rollrig record: --band and --no-cue choose what the cues say, and the cues are "
                 "off; add --cues tones or --cues voice.\n";
    return kExitUsage;
  }
  if (!opt.band.empty() && opt.body_mass_kg <= 0) {
    std::cerr << "rollrig record: --band is in % of body weight: give your --body-mass KG too, or "
                 "the load band cannot be told.\n";
    return kExitUsage;
  }
  engine::VirtualRigUnplug unplug;
  if (!opt.unplug.empty()) {
    char* end = nullptr;
    unplug.at_s = std::strtod(opt.unplug.c_str(), &end);
    const bool comma = end && *end == ',';
    if (comma) unplug.for_s = std::strtod(end + 1, &end);
    if (!comma || !end || *end != '\0' || !std::isfinite(unplug.at_s) ||
        !std::isfinite(unplug.for_s) || unplug.at_s <= 0 || unplug.for_s <= 0 ||
        unplug.at_s > 1e6 || unplug.for_s > 3600) {
      std::cerr << "rollrig record: --unplug: must be AT,FOR in seconds, e.g. 20,3 (AT from 0 to "
                   "1000000 of device time, FOR from 0 to 3600), not \""
                << opt.unplug << "\".\n";
      return kExitUsage;
    }
  }
  if (opt.no_library && opt.out.empty()) {
    std::cerr << "rollrig record: --no-library needs --out FILE.csv: the session has to go "
                 "somewhere.\n";
    return kExitUsage;
  }
  if (opt.no_library && !opt.db.empty()) {
    std::cerr << "rollrig record: --db and --no-library contradict each other; give one.\n";
    return kExitUsage;
  }
  const double duration_s =
      opt.duration_s > 0 ? opt.duration_s : (opt.demo ? kDemoDefaultDuration_s : 0);
  const bool to_library = !opt.no_library;
  const bool to_csv = !opt.out.empty();
  const std::string db_path =
      to_library ? (opt.db.empty() ? store::defaultLibraryPath() : opt.db) : std::string();
  if (to_library && db_path.empty()) {
    std::cerr << "rollrig record: cannot tell where the session library goes: set HOME, "
                 "XDG_DATA_HOME or ROLLRIG_DB, or give --db PATH.\n";
    return kExitUsage;
  }

  // Files that must not be written over one another.
  const std::string meta_path = to_csv ? io::sessionMetaPath(opt.out) : std::string();
  if (to_library) {
    for (const std::string& other : {opt.out, meta_path, opt.calibration, opt.truth}) {
      if (!other.empty() && sameFile(db_path, other)) {
        std::cerr << "rollrig record: the session library " << db_path << " is the same file as "
                  << other << "; give the library (--db) and the other files names of their own.\n";
        return kExitUsage;
      }
    }
  }
  if (to_csv && !opt.calibration.empty() && sameFile(opt.out, opt.calibration)) {
    std::cerr << "rollrig record: --out and --calibration name the same file (" << opt.out
              << "); the recording would replace the calibration. Choose another --out.\n";
    return kExitUsage;
  }
  if (!opt.truth.empty()) {
    for (const std::string& other : {opt.out, meta_path, opt.calibration}) {
      if (!other.empty() && sameFile(opt.truth, other)) {
        std::cerr << "rollrig record: --truth " << opt.truth << " is the same file as "
                  << (other == opt.out     ? "--out"
                      : other == meta_path ? "the recording's sidecar"
                                           : "--calibration")
                  << " (" << other << "); give the ground truth a file of its own.\n";
        return kExitUsage;
      }
    }
  }

  // A calibration file given on the command line is read before anything starts. Whatever goes
  // wrong with it is an input-file problem (exit 10), never the port's.
  std::optional<core::CalibrationRecord> cal_record;
  if (!opt.calibration.empty()) {
    io::IoError cal_err;
    cal_record.emplace();
    if (!io::readCalibrationFile(opt.calibration, &*cal_record, &cal_err)) {
      std::cerr << "rollrig record: " << cal_err.message << "\n";
      return kExitInput;
    }
  }

  // The outputs: the library is opened (created) now, so a library that cannot take the session
  // fails before the port is touched; the CSV is created under a temporary name, and an existing
  // file is only replaced once the new session has rows for it (engine::OutputFile).
  store::SessionInfo user;
  user.ball = opt.ball;
  if (opt.body_mass_kg > 0) user.body_mass_kg = opt.body_mass_kg;
  user.notes = opt.notes;
  std::optional<engine::StoreSessionSink> library;
  std::optional<engine::CsvSessionSink> csv;
  engine::OutputFile truth_out;
  std::string why;
  if (to_library) {
    library.emplace(db_path, user);
    store::StoreErrorKind kind = store::StoreErrorKind::kNone;
    if (!library->prepare(&why, &kind)) {
      std::cerr << "rollrig record: " << why << "\n";
      return exitCodeFor(kind);
    }
    for (const engine::RecoveredSession& r : library->recovered()) {
      std::cerr << "rollrig record: session " << r.session_id << " (started " << r.started_utc
                << ") was interrupted; recovered its " << r.samples << " samples and " << r.holds
                << " hold" << (r.holds == 1 ? "" : "s") << ".\n";
    }
    if (!library->warning().empty())
      std::cerr << "rollrig record: warning: " << library->warning() << "\n";
  }
  if (to_csv) csv.emplace(opt.out, opt.force);
  if ((csv && !csv->prepare(&why)) ||
      (!opt.truth.empty() && !truth_out.prepare(opt.truth, opt.force, "--truth", &why))) {
    if (csv) csv->discard();
    std::cerr << "rollrig record: " << why << "\n";
    return kExitOutput;
  }

  // From here on Ctrl-C, SIGTERM and a closed terminal end the session cleanly, even during the
  // handshake. A file-size limit or a vanished reader of a FIFO become write errors.
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGHUP, onSignal);
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  const auto nothingRecorded = [&](int code, const std::string& message) {
    if (csv) csv->discard();
    truth_out.discard();
    std::cerr << "rollrig record: " << message << "\n";
    return code;
  };
  const auto interrupted = [&] {
    return nothingRecorded(kExitInterrupted, std::string(stopReasonFor(g_signal)) +
                                                 " before any sample was recorded; nothing was "
                                                 "written and no file was changed.");
  };

  // The session: the virtual rig or a port, the same engine either way.
  engine::LiveSessionOptions so;
  sim::VirtualDeviceConfig cfg;
  if (opt.demo) {
    cfg.body.seed = opt.seed;
    cfg.body.duration_s = duration_s;
    so.open = engine::virtualRigOpener(
        cfg,
        opt.fast ? io::VirtualRigStream::Pacing::kFast : io::VirtualRigStream::Pacing::kRealTime,
        unplug);
  } else {
    so.open = engine::portOpener(opt.port, opt.baud);
  }
  so.calibration = cal_record;
  so.calibration_path = opt.calibration;
  so.auto_zero = !opt.no_auto_zero;
  so.duration_s = duration_s;
  if (cues_on) so.cues = cueSettingsFor(opt);
  // The session's one "slowly": the share of rolling too fast and the too-fast cue.
  if (opt.slow_limit_mm_s > 0) so.hold_params.slow_roll_mm_s = opt.slow_limit_mm_s;
  so.body_mass_kg = opt.body_mass_kg;
  engine::LiveSession session(so);
  if (library) session.addSink(&*library);
  if (csv) session.addSink(&*csv);
  if (g_stop) return interrupted();
  session.start();

  const bool live = !opt.quiet && isatty(STDERR_FILENO);
  // The user's markers: keys on a terminal, lines from a script (marker_input.h).
  MarkerInput markers(STDIN_FILENO);
  if (live && markers.terminal())
    std::cerr << "keys: space released · 0-9, x pain 0-10 · l / r side · n note · Ctrl-C stop\n";
  bool said_recording = false, stop_sent = false, line_open = false;
  size_t warnings_shown = 0;
  // Cues: planned by the engine on every sample (LiveSessionOptions::cues), sounded here by the
  // player (host/audio). Without an audio device the player says so once; the recording goes on.
#ifdef ROLLRIG_HAVE_AUDIO
  audio::CueSound sound = audio::CueSound::kOff;
  audio::parseCueSound(opt.cues, &sound);
  audio::CuePlayer player(sound);
  if (cues_on && !player.status().empty())
    std::cerr << "rollrig record: " << player.status() << "\n";
#else
  if (cues_on)
    std::cerr << "rollrig record: the cues are silent: this rollrig was built without sound "
                 "(PortAudio and espeak-ng)\n";
#endif
  std::string last_message;
  engine::LiveSnapshot snap;
  auto next_status = std::chrono::steady_clock::now();
  while (true) {
    if (g_stop && !stop_sent) {
      stop_sent = true;
      session.stop(stopReasonFor(g_signal));
    }
    const bool done = session.wait(std::chrono::milliseconds(opt.fast ? 5 : 20));
    for (const MarkerCommand& m : markers.poll()) {
      std::string said;
      switch (m.kind) {
        case MarkerCommand::Kind::kReleased:
          session.markReleased();
          said = "released";
          break;
        case MarkerCommand::Kind::kPain:
          session.markPain(m.pain);
          said = "pain " + std::to_string(m.pain);
          break;
        case MarkerCommand::Kind::kSide:
          session.markSide(m.side);
          said = std::string("side ") + core::sideName(m.side);
          break;
        case MarkerCommand::Kind::kNote:
          session.addNote(m.text);
          said = "note \"" + m.text + "\"";
          break;
        case MarkerCommand::Kind::kInvalid:
          std::cerr << (line_open ? "\n" : "") << "rollrig record: ignored the marker line \""
                    << m.text
                    << "\": say released, pain N (0 to 10), side left|right or note TEXT\n";
          line_open = false;
          break;
      }
      if (!said.empty() && !opt.quiet) {
        char at[32];
        std::snprintf(at, sizeof(at), "%.1f", snap.elapsed_s);
        std::cerr << (line_open ? "\n" : "") << "marked " << said << " at " << at << " s\n";
        line_open = false;
      }
    }
    snap = session.snapshot();
    for (; warnings_shown < snap.warnings.size(); ++warnings_shown) {
      std::cerr << (line_open ? "\n" : "")
                << "rollrig record: warning: " << snap.warnings[warnings_shown] << "\n";
      line_open = false;
    }
    // While the device is away: why, and each refused device, once per distinct message.
    if (snap.state == engine::ConnectionState::kReconnecting && !opt.quiet &&
        snap.state_message != last_message) {
      last_message = snap.state_message;
      std::cerr << (line_open ? "\n" : "") << "rollrig record: " << snap.state_message << "\n";
      line_open = false;
    }
    if (!said_recording && snap.info) {
      said_recording = true;
      if (!opt.quiet && !live)
        std::cerr << "recording from " << snap.source << " to "
                  << (to_csv ? opt.out : "the session library " + db_path) << "\n";
    }
    for (const core::Cue& cue : snap.new_cues) {
#ifdef ROLLRIG_HAVE_AUDIO
      player.play(cue);
#endif
      if (!opt.quiet) {
        char at[32];
        std::snprintf(at, sizeof(at), "%.1f", cue.t_s);
        std::cerr << (line_open ? "\n" : "") << "cue: " << cue.words << " (" << at << " s)\n";
        line_open = false;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (live && snap.info && (now >= next_status || done)) {
      next_status = now + std::chrono::milliseconds(250);
      std::cerr << statusLine(snap)
                << (markers.typingNote() ? "  note: " + markers.noteSoFar() + "_" : "")
                << std::flush;
      line_open = true;
    }
    if (done) break;
  }
  if (line_open) std::cerr << "\n";

  // How it ended.
  int exit_code = kExitOk;
  switch (snap.end_reason) {
    case engine::EndReason::kStartFailed:
      return nothingRecorded(exitCodeFor(snap.device_error.kind), snap.device_error.message);
    case engine::EndReason::kStopped: {
      if (snap.samples_recorded == 0 && !(csv && csv->committed())) return interrupted();
      // Stopped while the device was away: the recording is complete up to the disconnect, and
      // the exit code says the device had gone.
      bool away = false;
      for (const core::ConnectionEvent& e : snap.events) {
        if (e.kind == core::ConnectionEventKind::kDisconnected) away = true;
        if (e.kind == core::ConnectionEventKind::kReconnected) away = false;
      }
      if (away) {
        std::cerr << "rollrig record: the device was still away when the recording ended ("
                  << snap.stop_reason << "); everything received before it went is in the file.\n";
        exit_code = kExitDisconnected;
      }
      break;
    }
    case engine::EndReason::kSinkFailed:
      std::cerr << "rollrig record: " << snap.last_error << "\n";
      exit_code = kExitOutput;
      break;
    case engine::EndReason::kDeviceLost:
      std::cerr << "rollrig record: " << snap.device_error.message << "\n";
      exit_code = exitCodeFor(snap.device_error.kind);
      break;
    default:
      break;
  }

  const bool in_library = library && library->samplesCommitted() > 0;
  if (!(csv && csv->committed()) && !in_library) {
    // No row reached a file: the session never really started. Leave every file as it was.
    if (csv && csv->rowsOnDisk() > 0) {  // the commit failed and said where the rows are
      truth_out.discard();
      return exit_code;
    }
    if (exit_code != kExitOk)
      return nothingRecorded(exit_code, "no sample was recorded; no file was changed.");
    if (g_stop) return interrupted();
    return nothingRecorded(kExitDisconnected,
                           "no sample arrived from " + snap.source + "; no file was changed.");
  }

  if (opt.demo && !opt.truth.empty()) {
    // The body model's truth never grows after construction, so a fresh model of the same
    // configuration holds exactly the rig's.
    std::ostringstream tj;
    sim::writeTruthJson(sim::BodyModel(cfg.body).truth(), tj);
    std::string truth_why;
    if (!truth_out.write(tj.str(), &truth_why) || !truth_out.commit(&truth_why)) {
      truth_out.discard();
      std::cerr << "rollrig record: could not write the ground truth: " << truth_why << "\n";
      if (exit_code == kExitOk) exit_code = kExitOutput;
    }
    truth_out.close();
  }
  if (!snap.end_error.empty() && snap.end_error != snap.last_error) {
    std::cerr << "rollrig record: " << snap.end_error << "\n";
    if (exit_code == kExitOk) exit_code = kExitOutput;
  }

  // What is on disk, not what was received: after a failed write the last rows may be gone.
  const uint64_t rows = csv ? csv->rowsOnDisk() : library->samplesCommitted();
  const double secs =
      csv ? csv->secondsOnDisk()
          : (rows > 1 ? (library->lastCommitted_us() - library->firstCommitted_us()) / 1e6 : 0.0);
  const auto& st = snap.stats;
  const proto::InfoFrame info = snap.info.value_or(proto::InfoFrame{});
  const double mean_rate = (rows > 1 && secs > 0) ? (rows - 1) / secs : 0.0;
  size_t reconnects = 0, refused = 0;
  double away_s = 0;
  nlohmann::json refused_devices = nlohmann::json::array();
  for (const core::ConnectionEvent& e : snap.events) {
    if (e.kind == core::ConnectionEventKind::kReconnected) {
      ++reconnects;
      away_s += e.gap_s;
    }
    if (e.kind == core::ConnectionEventKind::kRefused) {
      ++refused;
      refused_devices.push_back(e.detail);
    }
  }
  double largest_rezero_n = 0;
  for (const core::ReZero& z : snap.rezeros)
    for (double c : z.change_n) largest_rezero_n = std::max(largest_rezero_n, std::abs(c));
  size_t released = 0;
  for (const core::Hold& h : snap.holds) released += h.release_s.has_value() ? 1 : 0;
  const bool sidecar = csv && csv->hasSidecar();

  if (opt.json) {
    nlohmann::json j;
    std::string started_utc;
    for (const core::ConnectionEvent& e : snap.events) {
      if (e.kind == core::ConnectionEventKind::kConnected && !e.wall_utc.empty()) {
        started_utc = e.wall_utc;
        break;
      }
    }
    j["started_utc"] = started_utc.empty() ? nlohmann::json(nullptr) : nlohmann::json(started_utc);
    j["library"] = in_library ? nlohmann::json{{"path", db_path},
                                               {"session_id", library->sessionId()},
                                               {"samples", library->samplesCommitted()}}
                              : nlohmann::json(nullptr);
    j["csv"] = (csv && csv->committed())
                   ? nlohmann::json{{"path", opt.out},
                                    {"sidecar",
                                     sidecar ? nlohmann::json(meta_path) : nlohmann::json(nullptr)},
                                    {"samples", csv->rowsOnDisk()}}
                   : nlohmann::json(nullptr);
    j["samples"] = rows;
    j["duration_s"] = round3(secs);
    j["mean_rate_Hz"] = round3(mean_rate);
    j["stop_reason"] = snap.stop_reason;
    j["exit_code"] = exit_code;
    j["exit_status"] = exitStatusName(exit_code);
    j["decoder"] = decoderJson(st);
    j["device"] = {
        {"source", snap.source},
        {"serial", hex32(info.device_serial)},
        {"firmware", std::to_string(info.fw_major) + "." + std::to_string(info.fw_minor) + "." +
                         std::to_string(info.fw_patch)},
        {"protocol", std::to_string(info.proto_major) + "." + std::to_string(info.proto_minor)},
        {"cells", info.channel_count},
        {"rate_Hz", info.rate_hz}};
    j["calibration"] = {{"source", snap.calibration.calibration.source},
                        {"from", snap.calibration_from},
                        {"auto_zero", snap.auto_zero},
                        {"rezeros", snap.rezeros.size()},
                        {"largest_rezero_change_N", round3(largest_rezero_n)}};
    j["reconnects"] = {
        {"count", reconnects}, {"away_s", round3(away_s)}, {"refused_devices", refused_devices}};
    nlohmann::json holds = nlohmann::json::array();
    for (const core::Hold& h : snap.holds) holds.push_back(holdJson(h));
    j["hold_count"] = snap.holds.size();
    j["releases"] = released;
    j["holds"] = holds;
    // The live analysis's figure (the same as `rollrig analyze` makes of the recording).
    j["rolling"] = {
        {"rolling_s", round3(snap.rolling.rolling_s)},
        {"slow_roll_mm_s", snap.rolling.slow_roll_mm_s},
        {"fast_share", snap.rolling.fast_share ? nlohmann::json(round3(*snap.rolling.fast_share))
                                               : nlohmann::json(nullptr)}};
    j["warnings"] = snap.warnings;
    std::cout << j.dump(2) << "\n" << std::flush;
  } else if (!opt.quiet) {
    const std::string where =
        csv ? opt.out : "session " + std::to_string(library->sessionId()) + " in " + db_path;
    std::printf("recorded %llu samples (%.3f s of device time) to %s (%s)\n",
                static_cast<unsigned long long>(rows), secs, where.c_str(),
                snap.stop_reason.c_str());
    if (csv && in_library)
      std::printf("  in the session library: session %lld in %s (%llu samples)\n",
                  static_cast<long long>(library->sessionId()), db_path.c_str(),
                  static_cast<unsigned long long>(library->samplesCommitted()));
    std::printf(
        "  rate %.2f Hz from device time; frames lost %llu in %llu gaps; CRC errors %llu; "
        "malformed %llu; device resets %llu; clock wraps %llu\n",
        mean_rate, static_cast<unsigned long long>(st.frames_lost),
        static_cast<unsigned long long>(st.seq_gaps),
        static_cast<unsigned long long>(st.crc_errors),
        static_cast<unsigned long long>(st.malformed + st.oversized),
        static_cast<unsigned long long>(st.device_resets),
        static_cast<unsigned long long>(st.time_wraps));
    if (st.wrong_channel_count > 0)
      std::printf("  %llu samples dropped: their cell count differed from the device's INFO (%u)\n",
                  static_cast<unsigned long long>(st.wrong_channel_count), info.channel_count);
    if (reconnects > 0 || refused > 0)
      std::printf("  reconnected %zu time%s (%.1f s away in all); %zu other device%s refused\n",
                  reconnects, reconnects == 1 ? "" : "s", away_s, refused, refused == 1 ? "" : "s");
    std::printf("  device: %s, firmware %u.%u.%u, protocol %u.%u, serial %s, %u cells at %u Hz\n",
                snap.source.c_str(), info.fw_major, info.fw_minor, info.fw_patch, info.proto_major,
                info.proto_minor, hex32(info.device_serial).c_str(), info.channel_count,
                info.rate_hz);
    std::printf("  calibration: %s (from %s); auto-zero %s",
                snap.calibration.calibration.source.c_str(), snap.calibration_from.c_str(),
                snap.auto_zero ? "on" : (opt.no_auto_zero ? "off" : "off (no tare yet)"));
    if (snap.auto_zero)
      std::printf(", %zu re-zero%s (largest %.3f N per cell)", snap.rezeros.size(),
                  snap.rezeros.size() == 1 ? "" : "s", largest_rezero_n);
    std::printf("%s%s\n", sidecar ? "; metadata in " : "", sidecar ? meta_path.c_str() : "");
    std::printf("  holds %zu (%zu released)\n", snap.holds.size(), released);
    if (snap.rolling.fast_share)
      std::printf("  rolling %.0f s, %.0f %% of it faster than %.0f mm/s (\"rolling slowly\")\n",
                  snap.rolling.rolling_s, 100 * *snap.rolling.fast_share,
                  snap.rolling.slow_roll_mm_s);
  }
  return exit_code;
}

}  // namespace rollrig::cli

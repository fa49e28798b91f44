// `rollrig calibrate`: a guided tare and span calibration from a port, the virtual rig or a
// recording; prints the residual report and saves the result for the device's serial
// (io::CalibrationStore), where `rollrig record` finds it. The maths is core/calibration.h.
// docs/CALIBRATION.md is the user's guide.
//
// The procedure itself (steps, waits, timeouts, the one set of acceptance rules for live and
// recorded windows, the record to save) is engine::CalibrationProcedure; this file is its thin
// driver: options, the port or the virtual rig, prompts and Enter / --yes, printing the
// procedure's state and report, saving, and exit codes. With --json the result is one JSON object
// on stdout and everything a person reads (prompts, progress, the report) goes to stderr.
//
// Navigate by the [SECTION] markers: Options, Parsing, Live samples, Report, JSON, Saving, Live
// run, Recording run.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "input_file.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/calibration_json.h"
#include "rollrig/engine/calibration_procedure.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/io/virtual_rig_stream.h"

namespace rollrig::cli {

namespace {

using Position = engine::MassPosition;

constexpr double kStall_s = 3.0;  // wall-clock seconds without a sample: the device stopped

// Ctrl-C (SIGINT), SIGTERM and SIGHUP stop a calibration at once wherever it is (opening the
// port, the handshake, a prompt, waiting for the plate or the mass) and nothing is saved: exit 130
// (exit_codes.h). g_interrupted is lock-free, so the handler may set it and the handshake may poll
// it (HandshakeOptions::cancel).
std::atomic<bool> g_interrupted{false};
void onSignal(int) {
  g_interrupted.store(true);
}

// Without SA_RESTART, so a wait at a prompt returns (EINTR) at once.
void installSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaction(signo, &sa, nullptr);
}

// Where the text for a person goes: stdout, or stderr under --json (stdout is then the JSON only).
FILE* g_human = stdout;

__attribute__((format(printf, 1, 2))) void say(const char* f, ...) {
  va_list args;
  va_start(args, f);
  std::vfprintf(g_human, f, args);
  va_end(args);
}

std::string fmt(const char* f, double a) {
  char b[64];
  std::snprintf(b, sizeof(b), f, a);
  return b;
}

// A failure on the way: what to print and the exit code.
struct Failure {
  int code = kExitOk;
  std::string message;
  explicit operator bool() const { return code != kExitOk; }
};

Failure fail(int code, std::string message) {
  return Failure{code, std::move(message)};
}

Failure interrupted(const std::string& during = "") {
  return fail(kExitInterrupted,
              "interrupted" + during + "; nothing was saved and no calibration file was changed.");
}

// [SECTION] Parsing

// "x1,y1;x2,y2;..." -> positions. False with *why on a malformed list.
bool parsePairs(const std::string& text, std::vector<Position>* out, std::string* why) {
  out->clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ';')) {
    if (item.find_first_not_of(" \t") == std::string::npos) continue;
    double x = 0, y = 0;
    char comma = 0, extra = 0;
    std::istringstream is(item);
    if (!(is >> x >> comma >> y) || comma != ',' || (is >> extra)) {
      *why = "'" + item + "' is not a position \"x,y\" in mm";
      return false;
    }
    out->push_back({x, y});
  }
  if (out->empty()) {
    *why = "no positions given";
    return false;
  }
  return true;
}

// "a,b[,c,d]" -> exactly n numbers.
bool parseNumbers(const std::string& text, size_t n, std::vector<double>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::istringstream is(item);
    double v = 0;
    char extra = 0;
    if (!(is >> v) || (is >> extra) || !std::isfinite(v)) return false;
    out->push_back(v);
  }
  return out->size() == n;
}

// "--tare-window 5,2" style checks on a window "T0,T1[,...]" (seconds of the recording's time_s):
// both finite, T0 before T1. Empty when fine, else the complaint.
std::string checkWindowOrder(const std::string& option, const std::string& text,
                             const std::vector<double>& v) {
  if (v[0] < v[1]) return "";
  return option + " " + text + (v[0] == v[1] ? " is an empty window" : " is reversed") +
         ": give T0,T1 with T0 before T1 (seconds of the recording's time_s)";
}

// A window of the recording that holds fewer samples than a calibration window (`need`, the
// procedure's: 3 s at the recording's rate): outside it, in a gap, or too short. Empty when fine.
std::string checkWindowInRecording(const std::string& option, const std::string& text, double t0,
                                   double t1, const std::vector<core::Sample>& all,
                                   size_t in_window, size_t need) {
  if (in_window >= need) return "";
  const double first = static_cast<double>(all.front().t_us) / 1e6;
  const double last = static_cast<double>(all.back().t_us) / 1e6;
  char range[96];
  std::snprintf(range, sizeof(range), "the recording runs from %.2f to %.2f s (time_s)", first,
                last);
  if (t1 < first || t0 > last) return option + " " + text + " is outside the recording: " + range;
  return option + " " + text + " holds only " + std::to_string(in_window) +
         " samples of the recording (at least " + std::to_string(need) + " are needed): " + range +
         "; choose a longer stretch inside it";
}

// [SECTION] Live samples

// Pulls samples from the acquisition one at a time, waiting as needed; stops on Ctrl-C, when the
// stream ends, or when the device goes silent.
class LiveFeed {
 public:
  LiveFeed(io::Acquisition& acq, bool fast) : m_acq(acq), m_fast(fast) {}

  bool next(core::Sample* out) {
    if (g_interrupted) {
      m_failure = interrupted();
      return false;
    }
    const auto last = std::chrono::steady_clock::now();
    while (m_pos >= m_buf.size()) {
      // Taken before take(): an empty take then means nothing arrived in all that time, however
      // late this thread was scheduled.
      const auto asked = std::chrono::steady_clock::now();
      m_buf.clear();
      m_pos = 0;
      m_acq.take(m_buf, &m_snap);
      if (!m_buf.empty()) break;
      if (g_interrupted) {
        m_failure = interrupted();
        return false;
      }
      if (!m_snap.running) {
        m_failure = m_snap.error ? fail(exitCodeFor(m_snap.error.kind), m_snap.error.message)
                                 : fail(kExitDisconnected, "the device stopped streaming");
        return false;
      }
      if (asked - last > std::chrono::duration<double>(kStall_s)) {
        m_failure = fail(kExitDisconnected, "no samples from " + m_acq.stream().describe() +
                                                " for 3 s — is the device still running?");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(m_fast ? 1 : 10));
    }
    *out = m_buf[m_pos++];
    return true;
  }

  // Drops everything queued (e.g. what arrived while a prompt waited for Enter).
  void discardQueued() {
    m_buf.clear();
    m_pos = 0;
    m_acq.take(m_buf, &m_snap);
    m_buf.clear();
  }

  const Failure& failure() const { return m_failure; }

 private:
  io::Acquisition& m_acq;
  bool m_fast;
  std::vector<core::Sample> m_buf;
  size_t m_pos = 0;
  io::AcquisitionSnapshot m_snap;
  Failure m_failure;
};

// Reads a line from stdin. False on EOF (no terminal, no --yes) and on Ctrl-C; the caller tells
// the two apart by g_interrupted. It waits in poll() slices and checks the flag between them, so
// a Ctrl-C is seen within 0.1 s even when it lands just before the wait (a blocking read would
// then wait for Enter). Reads a byte at a time, so nothing past the line is consumed.
bool waitForEnter() {
  std::fflush(g_human);
  while (!g_interrupted) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // end of input (or a read error): nobody will answer
    if (c == '\n') return true;
  }
  return false;
}

// The failure for a prompt that got no answer.
Failure noAnswer() {
  if (g_interrupted) return interrupted();
  return fail(kExitUsage, "no answer on stdin; pass --yes to calibrate without prompts");
}

// [SECTION] Report

void printTare(const core::TareResult& t, const core::Calibration& gains) {
  say("  tare accepted: %zu samples over %.2f s; noise", t.stats.samples, t.stats.duration_s);
  for (int i = 0; i < core::kCellCount; ++i)
    say(" %.3f", t.stats.sd_counts[i] * gains.cells[i].n_per_count);
  say(" N rms per cell\n");
}

void printReport(const core::SpanResult& r, size_t placements, const core::PlateGeometry& g,
                 const std::array<double, core::kCellCount>& offsets) {
  const core::SpanReport& rep = r.report;
  say("\nSpan calibration: %.3f kg (%.3f N) at %zu placements; cells at", rep.mass_kg, rep.weight_n,
      placements);
  for (const auto& c : g.cells) say(" (%+.0f, %+.0f)", c.x_mm, c.y_mm);
  say(" mm\n");
  if (r.solved) {
    say("  %2s %8s %8s %9s %8s %8s %9s %9s %8s\n", "#", "x_mm", "y_mm", "force_N", "err_N", "err_%",
        "cop_x_mm", "cop_y_mm", "cop_err");
    int k = 0;
    for (const core::PlacementResidual& p : rep.placements) {
      say("  %2d %+8.1f %+8.1f %9.3f %+8.3f %+8.3f %+9.1f %+9.1f %6.1f mm\n", ++k, p.x_mm, p.y_mm,
          p.force_n, p.force_error_n, p.force_error_pct, p.cop_x_mm, p.cop_y_mm, p.cop_error_mm);
    }
    say("  force error: rms %.3f %%, max %.3f %%;  CoP error: rms %.2f mm, max %.2f mm\n",
        rep.rms_force_error_pct, rep.max_force_error_pct, rep.rms_cop_error_mm,
        rep.max_cop_error_mm);
  }
  say("  conditioning: rank %d of %d, condition number %.2f (limit %.0f); placements spread "
      "%.0f mm across their best-fit line (at least %.0f mm)\n",
      rep.rank, core::kCellCount, rep.condition_number, rep.max_condition, rep.spread_mm,
      rep.min_spread_mm);
  if (r.solved) {
    say("  %4s %14s %13s %13s  %s\n", "cell", "offset_counts", "N_per_count", "counts_per_N",
        "vs nominal 4390");
    for (int i = 0; i < core::kCellCount; ++i) {
      const double g_i = r.n_per_count[i];
      say("  %4d %14.1f %13.6e %13.1f  %+7.2f %%\n", i, offsets[i], g_i, 1.0 / g_i,
          100.0 * (1.0 / (g_i * core::kNominalCountsPerNewton) - 1.0));
    }
  }
  std::fflush(g_human);
}

// [SECTION] JSON

// Where the result went (saveResult fills it in).
struct Saved {
  std::string path;  // the device's calibration file; "" when not saved for the device
};

nlohmann::json perCell(const std::array<double, core::kCellCount>& v) {
  return nlohmann::json(std::vector<double>(v.begin(), v.end()));
}

nlohmann::json spanJson(const core::SpanResult& r) {
  const core::SpanReport& rep = r.report;
  const auto solvedOr = [&](nlohmann::json v) { return r.solved ? v : nlohmann::json(nullptr); };
  // The placements as the calibration file writes them (one set of keys).
  const nlohmann::json places = nlohmann::json::parse(core::spanReportToJson(rep)).at("placements");
  double sum_sq_n = 0, max_n = 0;
  for (const core::PlacementResidual& p : rep.placements) {
    sum_sq_n += p.force_error_n * p.force_error_n;
    max_n = std::max(max_n, std::abs(p.force_error_n));
  }
  const double rms_n = rep.placements.empty() ? 0 : std::sqrt(sum_sq_n / rep.placements.size());
  std::array<double, core::kCellCount> counts_per_n{}, vs_nominal_pct{};
  for (int i = 0; i < core::kCellCount; ++i) {
    counts_per_n[i] = r.n_per_count[i] > 0 ? 1.0 / r.n_per_count[i] : 0.0;
    vs_nominal_pct[i] =
        r.n_per_count[i] > 0
            ? 100.0 * (1.0 / (r.n_per_count[i] * core::kNominalCountsPerNewton) - 1.0)
            : 0.0;
  }
  return nlohmann::json{{"mass_kg", rep.mass_kg},
                        {"weight_N", rep.weight_n},
                        {"solved", r.solved},
                        {"n_per_count", solvedOr(perCell(r.n_per_count))},
                        {"counts_per_N", solvedOr(perCell(counts_per_n))},
                        {"vs_nominal_pct", solvedOr(perCell(vs_nominal_pct))},
                        {"placements", places},
                        {"rms_force_error_N", solvedOr(rms_n)},
                        {"max_force_error_N", solvedOr(max_n)},
                        {"rms_force_error_pct", solvedOr(rep.rms_force_error_pct)},
                        {"max_force_error_pct", solvedOr(rep.max_force_error_pct)},
                        {"rms_cop_error_mm", solvedOr(rep.rms_cop_error_mm)},
                        {"max_cop_error_mm", solvedOr(rep.max_cop_error_mm)},
                        {"rank", rep.rank},
                        {"condition_number", rep.condition_number},
                        {"max_condition", rep.max_condition},
                        {"singular_values", perCell(rep.singular_values)},
                        {"spread_mm", rep.spread_mm},
                        {"min_spread_mm", rep.min_spread_mm}};
}

// The result of a procedure that finished (accepted or refused) as `calibrate --json` prints it
// (README.md). `rec`: the record when accepted; `saved`: where it went; `serial`: the device's,
// when known.
nlohmann::json resultJson(const CalibrateOptions& opt, const engine::CalibrationProcedure& proc,
                          const core::CalibrationRecord* rec, const Saved& saved,
                          std::optional<uint32_t> serial) {
  const engine::CalibrationPlan& plan = proc.plan();
  const bool accepted = proc.status().step == engine::CalibrationStep::kAccepted;
  nlohmann::json j;
  j["result"] = accepted ? "accepted" : "refused";
  j["refusal"] = nullptr;
  if (!accepted && proc.lastRefusal()) {
    const engine::CalibrationRefusal& r = *proc.lastRefusal();
    j["refusal"] = {
        {"step", engine::calibrationStepName(r.step)},
        {"placement", r.reason.placement >= 0 ? nlohmann::json(r.reason.placement + 1)
                                              : nlohmann::json(nullptr)},
        {"cell", r.reason.cell >= 0 ? nlohmann::json(r.reason.cell) : nlohmann::json(nullptr)},
        {"kind", core::calibrationErrorKindName(r.reason.kind)},
        {"message", r.message}};
  }
  j["device_serial"] = serial ? nlohmann::json(core::serialHex(*serial)) : nlohmann::json(nullptr);
  j["source"] = plan.source;
  j["tare_only"] = plan.tare_only;
  j["mass_kg"] = plan.tare_only ? nlohmann::json(nullptr) : nlohmann::json(plan.mass_kg);
  j["tare"] = nullptr;
  if (proc.tareAccepted()) {
    const core::TareResult& t = proc.tare();
    std::array<double, core::kCellCount> noise_n{};
    for (int i = 0; i < core::kCellCount; ++i)
      noise_n[i] = t.stats.sd_counts[i] * plan.gains.cells[i].n_per_count;
    j["tare"] = {{"samples", t.stats.samples},
                 {"duration_s", t.stats.duration_s},
                 {"offset_counts", perCell(t.offset_counts)},
                 {"noise_rms_N", perCell(noise_n)}};
  }
  j["span"] = proc.span() ? spanJson(*proc.span()) : nlohmann::json(nullptr);
  // What `rollrig record` applies from now on: the record's cells (for --tare-only, the new
  // offsets with the gains kept).
  j["calibration"] = nullptr;
  if (rec) {
    nlohmann::json cells = nlohmann::json::array();
    for (const core::CellCalibration& c : rec->calibration.cells)
      cells.push_back({{"offset_counts", c.offset_counts}, {"n_per_count", c.n_per_count}});
    j["calibration"] = {{"source", rec->calibration.source},
                        {"created", rec->calibration.created},
                        {"cells", cells}};
  }
  j["saved_to"] = saved.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(saved.path);
  j["out"] = (rec && !opt.out.empty()) ? nlohmann::json(opt.out) : nlohmann::json(nullptr);
  j["dry_run"] = opt.dry_run;
  return j;
}

void printJson(const nlohmann::json& j) {
  std::fflush(g_human);
  std::cout << j.dump(2) << "\n" << std::flush;
}

// [SECTION] Saving

struct Previous {
  bool found = false;
  core::CalibrationRecord record;
};

Previous loadPrevious(const io::CalibrationStore& store, uint32_t serial) {
  Previous p;
  io::IoError err;
  if (store.load(serial, &p.record, &err)) {
    p.found = true;
  } else if (err.kind != io::IoErrorKind::kNotFound) {
    std::fprintf(stderr, "rollrig calibrate: warning: %s (ignoring it)\n", err.message.c_str());
  }
  return p;
}

// Saves to the store (unless dry-run) and to --out. Prints where; *saved says it too.
Failure saveResult(const CalibrateOptions& opt, const io::CalibrationStore& store,
                   const core::CalibrationRecord& rec, bool have_serial, Saved* saved) {
  io::IoError err;
  if (!opt.out.empty()) {
    if (!io::writeCalibrationFile(opt.out, rec, &err)) return fail(kExitOutput, err.message);
    say("written to %s\n", opt.out.c_str());
  }
  if (opt.dry_run) {
    say("dry run: nothing saved for the device\n");
    return {};
  }
  if (!have_serial) return {};
  std::string path;
  if (!store.save(rec, &err, &path)) return fail(kExitOutput, err.message);
  saved->path = path;
  say("saved to %s — `rollrig record` applies it to device %s\n", path.c_str(),
      core::serialHex(rec.calibration.device_serial).c_str());
  return {};
}

// The gains used for thresholds and for the "load on the plate" tests before the span is
// solved: the previous calibration's when there is one, else nominal.
core::Calibration thresholdGains(const Previous& prev) {
  core::Calibration c;
  if (prev.found) c = prev.record.calibration;
  return c;
}

// [SECTION] Live run

// Prints what the procedure does as it happens: the tare accepted, each placement's steady
// window, the hands-free cues, why a window is not steady yet, refused windows that are asked
// again. Called after every change the driver makes (a sample, Enter).
class Narrator {
 public:
  explicit Narrator(const engine::CalibrationProcedure& proc) : m_proc(proc) {}

  void show() {
    const engine::CalibrationProcedure& p = m_proc;
    const engine::CalibrationStatus& st = p.status();
    const engine::CalibrationPlan& plan = p.plan();
    if (!m_tare_shown && p.tareAccepted()) {
      m_tare_shown = true;
      printTare(p.tare(), plan.gains);
      if (!plan.tare_only) {
        say("\nStep 2: span with %g kg (%.2f N) at %zu positions.\n", plan.mass_kg,
            plan.mass_kg * core::kStandardGravity_mps2, plan.positions.size());
      }
    }
    if (p.placements().size() > m_places) {
      m_places = p.placements().size();
      say("    steady: %zu samples averaged over %.2f s\n", p.lastWindow().samples,
          p.lastWindow().duration_s);
    }
    if (st.refusals != m_refusals) {
      m_refusals = st.refusals;
      // A refusal that stops the calibration is the driver's to report (on stderr).
      if (!p.finished() && p.lastRefusal()) {
        say("%s%s\n", p.lastRefusal()->step == engine::CalibrationStep::kTare ? "  " : "    ",
            p.lastRefusal()->message.c_str());
      }
    }
    if (st.waiting_for != m_wait || st.placement != m_placement || st.step != m_step) {
      m_wait = st.waiting_for;
      m_placement = st.placement;
      m_step = st.step;
      m_shown = core::CalibrationErrorKind::kNone;
      if (m_wait == engine::CalibrationWait::kMassOff) {
        say("  Lift the mass off.\n");
      } else if (m_wait == engine::CalibrationWait::kMassOn) {
        printPlacePrompt(".\n");
      }
    }
    // A window that still holds the mass being set down is not news: say why only once the wait
    // is longer than settling takes.
    if (st.waiting_for == engine::CalibrationWait::kSteady && st.unsteady &&
        st.unsteady.kind != m_shown && st.unsteady_for_s >= engine::kQuietSettle_s) {
      m_shown = st.unsteady.kind;
      say("    waiting: %s\n", st.unsteady.message.c_str());
    }
    std::fflush(g_human);
  }

  // "  [2/5] Place the 10 kg at (-200, +120) mm" + tail.
  void printPlacePrompt(const char* tail) const {
    const engine::CalibrationStatus& st = m_proc.status();
    say("  [%zu/%zu] Place the %g kg at (%+.0f, %+.0f) mm%s", st.placement + 1, st.placement_count,
        m_proc.plan().mass_kg, st.position.x_mm, st.position.y_mm, tail);
  }

 private:
  const engine::CalibrationProcedure& m_proc;
  bool m_tare_shown = false;
  size_t m_places = 0;
  size_t m_refusals = 0;
  engine::CalibrationWait m_wait = engine::CalibrationWait::kNothing;
  engine::CalibrationStep m_step = engine::CalibrationStep::kTare;
  size_t m_placement = 0;
  core::CalibrationErrorKind m_shown = core::CalibrationErrorKind::kNone;
};

int runLive(const CalibrateOptions& opt, const core::PlateGeometry& geom,
            const std::vector<Position>& positions) {
  const char* me = "rollrig calibrate: ";
  // From here on Ctrl-C stops the calibration cleanly, the handshake included.
  installSignalHandlers();

  std::unique_ptr<io::ByteStream> stream;
  if (opt.demo) {
    sim::VirtualDeviceConfig cfg;
    cfg.body.seed = opt.seed;
    cfg.body.duration_s = 0;  // no person: an empty plate, apart from the scripted mass
    if (!opt.tare_only)
      cfg.body.calibration_script = engine::demoCalibrationScript(positions, opt.mass_kg);
    stream = std::make_unique<io::VirtualRigStream>(
        cfg,
        opt.fast ? io::VirtualRigStream::Pacing::kFast : io::VirtualRigStream::Pacing::kRealTime);
  } else {
    io::IoError err;
    stream = io::openPort(opt.port, opt.baud > 0 ? opt.baud : io::kDefaultBaud, &err);
    if (!stream) {
      std::cerr << me << err.message << "\n";
      return exitCodeFor(err.kind);
    }
  }
  const std::string port_name = stream->describe();
  const auto interruptedDuringHandshake = [&] {
    std::cerr << me << interrupted(" during the handshake with " + port_name).message << "\n";
    return kExitInterrupted;
  };
  if (g_interrupted) return interruptedDuringHandshake();
  io::Acquisition acq(std::move(stream));
  io::IoError err;
  io::HandshakeOptions handshake;
  handshake.cancel = &g_interrupted;
  if (!acq.start(&err, handshake)) {
    if (g_interrupted) return interruptedDuringHandshake();
    std::cerr << me << err.message << "\n";
    return exitCodeFor(err.kind);
  }
  const proto::InfoFrame info = acq.info();
  const std::string where = acq.stream().describe();
  const io::CalibrationStore store;
  const Previous prev = loadPrevious(store, info.device_serial);
  say("calibrating %s: device %s, %u cells at %u Hz\n", where.c_str(),
      core::serialHex(info.device_serial).c_str(), info.channel_count, info.rate_hz);
  say("  previous calibration: %s\n", prev.found ? prev.record.calibration.source.c_str() : "none");
  if (opt.demo) say("(virtual rig: it places the mass itself, on a schedule)\n");

  engine::CalibrationPlan plan;
  plan.mass_kg = opt.mass_kg;
  plan.tare_only = opt.tare_only;
  plan.positions = positions;
  plan.geometry = geom;
  plan.rate_hz = info.rate_hz;
  plan.hands_free = opt.yes || opt.demo;
  plan.gains = thresholdGains(prev);
  // The virtual rig is a different "device" for every seed, so its last tare says nothing.
  plan.compare_with_last_tare = prev.found && !opt.demo && !opt.ignore_last_tare;
  if (prev.found) plan.previous = prev.record;
  plan.device_serial = info.device_serial;
  plan.source = where;
  engine::CalibrationProcedure proc(plan);
  Narrator narrator(proc);

  LiveFeed feed(acq, opt.fast);
  auto finish = [&](const Failure& f) {
    acq.stop();
    if (f) {
      std::fflush(g_human);
      std::cerr << "rollrig calibrate: " << f.message << "\n";
    }
    return f.code;
  };

  say("\nStep 1: tare. Clear the plate: nothing on it, nobody touching it.\n");
  narrator.show();
  while (!proc.finished()) {
    if (proc.status().waiting_for == engine::CalibrationWait::kUser) {
      if (proc.status().step == engine::CalibrationStep::kTare)
        say("  Press Enter when the plate is clear (Ctrl-C to stop). ");
      else
        narrator.printPlacePrompt(", then press Enter. ");
      if (!waitForEnter()) return finish(noAnswer());
      feed.discardQueued();  // what arrived while the prompt waited is not the window
      proc.proceed();
      narrator.show();
      continue;
    }
    core::Sample s;
    if (!feed.next(&s)) return finish(feed.failure());
    proc.add(s);
    narrator.show();
  }
  acq.stop();
  if (proc.span())
    printReport(*proc.span(), proc.placements().size(), geom, proc.tare().offset_counts);
  if (proc.status().step != engine::CalibrationStep::kAccepted) {
    if (opt.json) printJson(resultJson(opt, proc, nullptr, Saved{}, info.device_serial));
    return finish(fail(kExitCalibrationRefused, proc.lastRefusal()->message));
  }
  // The last moment Ctrl-C can stop it: once saving begins, each file is written whole (under a
  // temporary name, then renamed), the signal only sets a flag.
  if (g_interrupted) return finish(interrupted());
  const core::CalibrationRecord rec = proc.record(io::isoUtcNow());
  say("\ncalibration: %s\n", rec.calibration.source.c_str());
  Saved saved;
  const Failure f = saveResult(opt, store, rec, true, &saved);
  if (opt.json && !f) printJson(resultJson(opt, proc, &rec, saved, info.device_serial));
  return finish(f);
}

// [SECTION] Recording run

// "4.8..8 s": a window of the recording, as messages name it.
std::string timeRange(double t0, double t1) {
  return fmt("%g", t0) + ".." + fmt("%g", t1) + " s";
}

int runFromRecording(const CalibrateOptions& opt, const core::PlateGeometry& geom) {
  const char* me = "rollrig calibrate: ";
  std::ifstream in;
  std::string why;
  if (!openInputFile(opt.from, in, &why)) {
    std::cerr << me << "--from: " << why << "\n";
    return kExitInput;
  }
  const core::RawCountsCsv csv = core::readRawCountsCsv(in);
  if (!csv.ok) {
    std::cerr << me << opt.from << ": " << csv.error;
    if (csv.error_kind == core::CsvErrorKind::kEmpty ||
        csv.error_kind == core::CsvErrorKind::kNoRows)
      std::cerr << "; there are no samples to calibrate from";
    else if (csv.error_kind == core::CsvErrorKind::kNotText)
      std::cerr << "; --from wants a session CSV that `rollrig record` wrote (docs/CSV_FORMAT.md)";
    std::cerr << "\n";
    printSkippedRows(me, opt.from, csv.warnings, csv.warnings_omitted);
    return kExitInput;
  }
  printSkippedRows(me, opt.from, csv.warnings, csv.warnings_omitted);
  if (csv.counts.skippedTotal())
    std::cerr << me << opt.from << ": " << csv.counts.describeSkipped()
              << "; each is a missing sample in the windows\n";
  // The device: --serial, else the recording's sidecar.
  uint32_t serial = 0;
  bool have_serial = false;
  io::SessionMeta meta;
  io::IoError err;
  const std::string meta_path = io::sessionMetaPath(opt.from);
  const bool have_meta = io::readSessionMeta(meta_path, &meta, &err);
  if (!have_meta && err.kind != io::IoErrorKind::kNotFound) {
    std::cerr << "rollrig calibrate: " << err.message << "\n";
    return kExitInput;
  }
  if (!opt.serial.empty()) {
    char* end = nullptr;
    serial = static_cast<uint32_t>(std::strtoul(opt.serial.c_str(), &end, 16));
    if (*end != '\0') {
      std::cerr << "rollrig calibrate: --serial wants the device serial in hex, e.g. 0000D3E0\n";
      return kExitUsage;
    }
    have_serial = true;
  } else if (have_meta) {
    serial = meta.info.device_serial;
    have_serial = true;
  }
  if (!have_serial && !opt.dry_run && opt.out.empty()) {
    std::cerr << "rollrig calibrate: " << opt.from << " does not say which device recorded it (no "
              << meta_path << "); pass --serial HEX, --out FILE.json or --dry-run\n";
    return kExitUsage;
  }
  const io::CalibrationStore store;
  const Previous prev = have_serial ? loadPrevious(store, serial) : Previous{};
  core::Calibration gains = thresholdGains(prev);
  if (!prev.found && have_meta) gains = meta.calibration.calibration;

  // The windows, as given: the tare's, then each placement's (validated by the caller).
  std::vector<double> tw;
  parseNumbers(opt.tare_window, 2, &tw);
  std::vector<std::vector<double>> pw;
  engine::CalibrationPlan plan;
  if (!opt.tare_only) {
    for (const std::string& text : opt.placements) {
      pw.emplace_back();
      parseNumbers(text, 4, &pw.back());
      plan.positions.push_back({pw.back()[2], pw.back()[3]});
    }
  }
  // The same procedure as a live run, hands-free: each window is handed to it whole and judged by
  // the rules a live window is judged by.
  plan.mass_kg = opt.mass_kg;
  plan.tare_only = opt.tare_only;
  plan.geometry = geom;
  plan.rate_hz = engine::recordingRate_hz(csv.samples);
  plan.hands_free = true;
  plan.gains = gains;
  plan.compare_with_last_tare = prev.found && !opt.ignore_last_tare;
  if (prev.found) plan.previous = prev.record;
  plan.device_serial = serial;
  plan.source = "recording " + opt.from;
  engine::CalibrationProcedure proc(plan);
  const std::optional<uint32_t> json_serial =
      have_serial ? std::optional<uint32_t>(serial) : std::nullopt;
  const auto refused = [&] {
    if (opt.json) printJson(resultJson(opt, proc, nullptr, Saved{}, json_serial));
    std::cerr << me << proc.lastRefusal()->message << "\n";
    return kExitCalibrationRefused;
  };
  if (proc.finished()) return refused();  // a layout that cannot solve

  say("calibrating from %s (%zu samples)%s\n", opt.from.c_str(), csv.samples.size(),
      have_serial ? (", device " + core::serialHex(serial)).c_str() : "");
  const auto submit = [&](const std::string& option, const std::string& text, double t0,
                          double t1) -> int {
    const std::vector<core::Sample> window = core::samplesBetween(csv.samples, t0, t1);
    const std::string bad = checkWindowInRecording(option, text, t0, t1, csv.samples, window.size(),
                                                   proc.windowSamples());
    if (!bad.empty()) {
      std::cerr << me << bad << "\n";
      return kExitUsage;
    }
    if (!proc.submitWindow(window, timeRange(t0, t1)).ok()) return refused();
    return kExitOk;
  };
  if (const int code = submit("--tare-window", opt.tare_window, tw[0], tw[1])) return code;
  printTare(proc.tare(), gains);
  for (size_t p = 0; p < pw.size(); ++p) {
    if (const int code = submit("--placement", opt.placements[p], pw[p][0], pw[p][1])) return code;
  }
  if (proc.span())
    printReport(*proc.span(), proc.placements().size(), geom, proc.tare().offset_counts);
  if (proc.status().step != engine::CalibrationStep::kAccepted) return refused();
  const core::CalibrationRecord rec = proc.record(io::isoUtcNow());
  say("\ncalibration: %s\n", rec.calibration.source.c_str());
  Saved saved;
  const Failure f = saveResult(opt, store, rec, have_serial, &saved);
  if (opt.json && !f) printJson(resultJson(opt, proc, &rec, saved, json_serial));
  if (f) std::cerr << "rollrig calibrate: " << f.message << "\n";
  return f.code;
}
}  // namespace

// [SECTION] Options

void addCalibrateCommand(CLI::App& app, CalibrateOptions& opt) {
  auto* cal = app.add_subcommand(
      "calibrate",
      "Tare and span-calibrate the plate from a rig, the virtual rig or a recording; saves the "
      "calibration for the device (docs/CALIBRATION.md)");
  cal->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto* demo = cal->add_flag("--demo", opt.demo, "Use the built-in virtual rig");
  auto* port = cal->add_option("--port", opt.port, "Serial port of the rig, e.g. /dev/ttyACM0");
  auto* from = cal->add_option("--from", opt.from,
                               "A recording (session CSV) to calibrate from; windows by "
                               "--tare-window and --placement");
  demo->excludes(port)->excludes(from);
  port->excludes(from);
  cal->add_option("--baud", opt.baud, "Baud rate (default 250000, the firmware's)");
  cal->add_option("--seed", opt.seed, "Virtual rig: its seed (default 1)");
  cal->add_flag("--fast", opt.fast, "Virtual rig: run as fast as possible instead of in real time");
  cal->add_option("--mass", opt.mass_kg, "The known mass in kg (required for the span)");
  cal->add_option("--positions", opt.positions,
                  "Where the mass goes, \"x1,y1;x2,y2;...\" in mm (default: the centre and "
                  "(+-200, +-120), the marks of hardware/README.md)");
  cal->add_option("--cells", opt.cells,
                  "Cell positions \"x0,y0;x1,y1;x2,y2;x3,y3\" in mm (default: the reference "
                  "build's, docs/CSV_FORMAT.md); saved with the calibration");
  cal->add_flag("--tare-only", opt.tare_only, "Only tare (keep the previous gains)");
  cal->add_flag("-y,--yes", opt.yes,
                "No prompts: tare at once, then wait for the mass to be set down at each "
                "position and lifted off again");
  cal->add_flag("--dry-run", opt.dry_run, "Do not save for the device (--out still writes)");
  cal->add_option("--out", opt.out, "Also write the calibration to this JSON file");
  cal->add_flag("--ignore-last-tare", opt.ignore_last_tare,
                "Do not compare the tare with the previous calibration's (after changing the "
                "plate or the cells)");
  cal->add_option("--tare-window", opt.tare_window,
                  "With --from: the unloaded stretch \"T0,T1\" (time_s)");
  cal->add_option("--placement", opt.placements,
                  "With --from: \"T0,T1,x,y\": the mass stood at (x, y) mm from T0 to T1 s "
                  "(repeat for each placement)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cal->add_option("--serial", opt.serial,
                  "With --from: the device serial (hex) to save under (default: from the "
                  "recording's .meta.json)");
  cal->add_flag("--json", opt.json,
                "Print the result, accepted or refused, as one JSON object on stdout; prompts, "
                "progress and the report go to stderr. Any other failure prints nothing on "
                "stdout");
}

int runCalibrate(const CalibrateOptions& opt) {
  const char* me = "rollrig calibrate: ";
  g_human = opt.json ? stderr : stdout;
  const int sources =
      (opt.demo ? 1 : 0) + (!opt.port.empty() ? 1 : 0) + (!opt.from.empty() ? 1 : 0);
  if (sources != 1) {
    std::cerr << me << "say where the data comes from: --demo, --port PATH or --from FILE.csv\n";
    return kExitUsage;
  }
  if (!opt.tare_only && !(opt.mass_kg > 0)) {
    std::cerr << me << "the span needs the known mass: --mass KG (or --tare-only)\n";
    return kExitUsage;
  }
  const bool from = !opt.from.empty();
  if (!from && (!opt.tare_window.empty() || !opt.placements.empty() || !opt.serial.empty())) {
    std::cerr << me << "--tare-window, --placement and --serial only apply to --from\n";
    return kExitUsage;
  }
  if (from && !opt.positions.empty()) {
    std::cerr << me << "with --from the positions come with each --placement T0,T1,x,y\n";
    return kExitUsage;
  }
  if (!opt.demo && opt.fast) {
    std::cerr << me << "--fast only applies to --demo\n";
    return kExitUsage;
  }
  std::vector<double> nums;
  if (from && opt.tare_window.empty()) {
    std::cerr << me << "--from needs --tare-window T0,T1 (seconds of the recording's time_s)\n";
    return kExitUsage;
  }
  if (from && !parseNumbers(opt.tare_window, 2, &nums)) {
    std::cerr << me << "--tare-window '" << opt.tare_window
              << "' is not T0,T1: two numbers, seconds of the recording's time_s (e.g. 0.5,4.5)\n";
    return kExitUsage;
  }
  if (from && !checkWindowOrder("--tare-window", opt.tare_window, nums).empty()) {
    std::cerr << me << checkWindowOrder("--tare-window", opt.tare_window, nums) << "\n";
    return kExitUsage;
  }
  if (from && !opt.tare_only && opt.placements.empty()) {
    std::cerr << me << "--from needs a --placement T0,T1,x,y for each placement of the mass\n";
    return kExitUsage;
  }
  for (const std::string& p : opt.placements) {
    if (!parseNumbers(p, 4, &nums)) {
      std::cerr << me << "--placement '" << p
                << "' is not T0,T1,x,y: four numbers, the window in seconds of time_s and where "
                   "the mass stood in mm\n";
      return kExitUsage;
    }
    if (!checkWindowOrder("--placement", p, nums).empty()) {
      std::cerr << me << checkWindowOrder("--placement", p, nums) << "\n";
      return kExitUsage;
    }
  }
  core::PlateGeometry geom;
  std::string why;
  if (!opt.cells.empty()) {
    std::vector<Position> cells;
    if (!parsePairs(opt.cells, &cells, &why) || cells.size() != core::kCellCount) {
      std::cerr << me << "--cells wants four positions \"x0,y0;x1,y1;x2,y2;x3,y3\" in mm"
                << (why.empty() ? "" : ": " + why) << "\n";
      return kExitUsage;
    }
    for (int i = 0; i < core::kCellCount; ++i) geom.cells[i] = {cells[i].x_mm, cells[i].y_mm};
  }
  std::vector<Position> positions = engine::defaultMassPositions(geom);
  if (!opt.positions.empty() && !parsePairs(opt.positions, &positions, &why)) {
    std::cerr << me << "--positions: " << why << "\n";
    return kExitUsage;
  }
  if (!from && !opt.tare_only) {
    const core::CalibrationError e = engine::checkLayout(positions, geom);
    if (e) {
      if (opt.json) {  // the procedure refuses the same layout the same way
        engine::CalibrationPlan plan;
        plan.mass_kg = opt.mass_kg;
        plan.positions = positions;
        plan.geometry = geom;
        plan.source = opt.demo ? "virtual rig" : opt.port;
        printJson(resultJson(opt, engine::CalibrationProcedure(plan), nullptr, Saved{}, {}));
      }
      std::cerr << me << "these positions cannot calibrate the plate: " << e.message << "\n";
      return kExitCalibrationRefused;
    }
  }
  if (from) return runFromRecording(opt, geom);
  return runLive(opt, geom, positions);
}

}  // namespace rollrig::cli

// `rollrig calibrate`: a guided tare and span calibration from a port, the virtual rig or a
// recording; prints the residual report and saves the result for the device's serial
// (io::CalibrationStore), where `rollrig record` finds it. The maths is core/calibration.h; this
// file only gathers the windows of samples and talks to the user. docs/CALIBRATION.md is the
// user's guide.
//
// Navigate by the [SECTION] markers: Options, Parsing, Live samples, Capturing windows, Report,
// Saving, Live run, Recording run.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "input_file.h"
#include "rollrig/core/calibration.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/io/virtual_rig_stream.h"

namespace rollrig::cli {

namespace {

using Position = std::pair<double, double>;  // x_mm, y_mm

constexpr double kWindow_s = 3.0;  // averaged for the tare and for each placement
// Device time to wait for a steady window once waiting starts: interactively the question is
// asked again after this; hands-free it is a failure.
constexpr double kInteractiveWait_s = 10.0;
constexpr double kHandsFreeWait_s = 30.0;
constexpr double kHandsFreeWaitForMass_s = 120.0;  // time to lift the mass and set it down again
// Fractions of the mass's weight (at the gains in use): on the plate / off the plate.
constexpr double kLoadedFraction = 0.3;
constexpr double kUnloadedFraction = 0.15;
constexpr double kStall_s = 3.0;        // wall-clock seconds without a sample: the device stopped
constexpr double kQuietSettle_s = 2.0;  // unsteady windows not worth a word for this long
// The virtual rig's scripted placements (body-model time): the plate stays empty for the tare,
// then the mass stands at each position for kDemoHold_s, lifted off for the rest of the period.
constexpr double kDemoFirst_s = 5.0;
constexpr double kDemoPeriod_s = 9.0;
constexpr double kDemoHold_s = 7.0;
// Default positions on a plate other than the reference build: each cell's position pulled this
// far toward the cells' centroid, plus the centroid.
constexpr double kDefaultInset = 0.75;

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

// A window of the recording that holds too few samples to judge: outside it, in a gap, or too
// short. Empty when fine.
std::string checkWindowInRecording(const std::string& option, const std::string& text, double t0,
                                   double t1, const std::vector<core::Sample>& all,
                                   size_t in_window) {
  const size_t need = core::SteadinessLimits{}.min_samples;
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

// The reference build: the marks hardware/README.md has the maker draw on the plate (the centre,
// then front-left, front-right, rear-left, rear-right). Other cell layouts: the centre and each
// cell pulled kDefaultInset of the way toward the centre.
std::vector<Position> defaultPositions(const core::PlateGeometry& g) {
  const core::PlateGeometry reference;
  bool is_reference = true;
  for (int i = 0; i < core::kCellCount; ++i) {
    is_reference = is_reference && g.cells[i].x_mm == reference.cells[i].x_mm &&
                   g.cells[i].y_mm == reference.cells[i].y_mm;
  }
  if (is_reference) return {{0, 0}, {-200, 120}, {200, 120}, {-200, -120}, {200, -120}};
  double cx = 0, cy = 0;
  for (const auto& c : g.cells) cx += c.x_mm / core::kCellCount, cy += c.y_mm / core::kCellCount;
  std::vector<Position> out = {{std::round(cx), std::round(cy)}};
  for (const auto& c : g.cells) {
    // Rounded to 10 mm so the positions are easy to mark on the plate.
    out.push_back({std::round((cx + kDefaultInset * (c.x_mm - cx)) / 10) * 10,
                   std::round((cy + kDefaultInset * (c.y_mm - cy)) / 10) * 10});
  }
  return out;
}

// Refuses a layout the solver would refuse, before anyone carries a mass around: synthetic
// placements at nominal gains through the real solver.
core::CalibrationError checkLayout(const std::vector<Position>& positions,
                                   const core::PlateGeometry& g) {
  std::vector<core::SpanPlacement> places;
  for (const Position& p : positions) {
    double f[core::kCellCount];
    g.distribute(100.0, p.first, p.second, f);
    core::SpanPlacement s;
    s.x_mm = p.first;
    s.y_mm = p.second;
    for (int i = 0; i < core::kCellCount; ++i)
      s.mean_counts[i] = f[i] * core::kNominalCountsPerNewton;
    places.push_back(s);
  }
  return core::solveSpan(places, {}, 100.0 / core::kStandardGravity_mps2, g).error;
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

// [SECTION] Capturing windows

double totalForce(const core::Sample& s, const std::array<double, core::kCellCount>& offsets,
                  const core::Calibration& gains) {
  double f = 0;
  for (int i = 0; i < core::kCellCount; ++i)
    f += (s.raw_counts[i] - offsets[i]) * gains.cells[i].n_per_count;
  return f;
}

struct CaptureRules {
  size_t window_samples = 240;  // kWindow_s at the device's rate
  double wait_s = kHandsFreeWait_s;
  // Placements only: the mass must be on the plate throughout (total >= min_total_n).
  bool need_load = false;
  double min_total_n = 0;
  std::array<double, core::kCellCount> offsets{};
};

// Slides a window over the live samples until it is steady (checkSteady) or wait_s of device
// time pass. Prints why it is waiting when that changes. Returns the accepted window (*samples,
// *stats), or false with *last_reason (timeout) or a feed failure.
bool captureSteady(LiveFeed& feed, const core::Calibration& gains, const CaptureRules& rules,
                   const std::string& what, std::vector<core::Sample>* samples,
                   core::WindowStats* stats, core::CalibrationError* last_reason) {
  std::deque<core::Sample> window;
  core::Sample s;
  bool have_start = false;
  uint64_t start_us = 0;
  core::CalibrationErrorKind shown = core::CalibrationErrorKind::kNone;
  bool have_full = false;
  uint64_t full_us = 0;
  std::vector<core::Sample>& copy = *samples;
  *last_reason = {};
  while (feed.next(&s)) {
    if (!have_start) have_start = true, start_us = s.t_us;
    const bool loaded =
        !rules.need_load || totalForce(s, rules.offsets, gains) >= rules.min_total_n;
    if (!loaded) {
      window.clear();  // the mass came off: start again
    } else {
      window.push_back(s);
      if (window.size() > rules.window_samples) window.pop_front();
    }
    if (window.size() == rules.window_samples) {
      copy.assign(window.begin(), window.end());
      const core::WindowStats w = core::windowStats(copy);
      core::CalibrationError e = core::checkSteady(w, gains, {}, what, rules.need_load);
      if (!e) {
        *stats = w;
        return true;
      }
      *last_reason = e;
      if (!have_full) have_full = true, full_us = s.t_us;
      // A window that still holds the mass being set down is not news: say why only once the
      // wait is longer than settling takes.
      if (e.kind != shown && static_cast<double>(s.t_us - full_us) / 1e6 >= kQuietSettle_s) {
        shown = e.kind;
        std::printf("    waiting: %s\n", e.message.c_str());
        std::fflush(stdout);
      }
    }
    if (static_cast<double>(s.t_us - start_us) / 1e6 > rules.wait_s) {
      if (!*last_reason) {
        last_reason->kind = core::CalibrationErrorKind::kTooFewSamples;
        last_reason->message =
            rules.need_load
                ? "the mass never stood still on the plate for " + fmt("%.0f", kWindow_s) + " s"
                : "the plate never stayed steady for " + fmt("%.0f", kWindow_s) + " s";
      }
      return false;
    }
  }
  return false;
}

// Waits (device time) until the total force crosses a threshold: above (the mass is on) or
// below (it is off). False on timeout or a feed failure.
bool waitForLoad(LiveFeed& feed, const std::array<double, core::kCellCount>& offsets,
                 const core::Calibration& gains, bool above, double threshold_n, double wait_s) {
  core::Sample s;
  bool have_start = false;
  uint64_t start_us = 0;
  while (feed.next(&s)) {
    if (!have_start) have_start = true, start_us = s.t_us;
    const double f = totalForce(s, offsets, gains);
    if (above ? f >= threshold_n : f < threshold_n) return true;
    if (static_cast<double>(s.t_us - start_us) / 1e6 > wait_s) return false;
  }
  return false;
}

// Reads a line from stdin. False on EOF (no terminal, no --yes) and on Ctrl-C; the caller tells
// the two apart by g_interrupted. It waits in poll() slices and checks the flag between them, so
// a Ctrl-C is seen within 0.1 s even when it lands just before the wait (a blocking read would
// then wait for Enter). Reads a byte at a time, so nothing past the line is consumed.
bool waitForEnter() {
  std::fflush(stdout);
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
  std::printf("  tare accepted: %zu samples over %.2f s; noise", t.stats.samples,
              t.stats.duration_s);
  for (int i = 0; i < core::kCellCount; ++i)
    std::printf(" %.3f", t.stats.sd_counts[i] * gains.cells[i].n_per_count);
  std::printf(" N rms per cell\n");
}

void printReport(const core::SpanResult& r, size_t placements, const core::PlateGeometry& g,
                 const std::array<double, core::kCellCount>& offsets) {
  const core::SpanReport& rep = r.report;
  std::printf("\nSpan calibration: %.3f kg (%.3f N) at %zu placements; cells at", rep.mass_kg,
              rep.weight_n, placements);
  for (const auto& c : g.cells) std::printf(" (%+.0f, %+.0f)", c.x_mm, c.y_mm);
  std::printf(" mm\n");
  if (r.solved) {
    std::printf("  %2s %8s %8s %9s %8s %8s %9s %9s %8s\n", "#", "x_mm", "y_mm", "force_N", "err_N",
                "err_%", "cop_x_mm", "cop_y_mm", "cop_err");
    int k = 0;
    for (const core::PlacementResidual& p : rep.placements) {
      std::printf("  %2d %+8.1f %+8.1f %9.3f %+8.3f %+8.3f %+9.1f %+9.1f %6.1f mm\n", ++k, p.x_mm,
                  p.y_mm, p.force_n, p.force_error_n, p.force_error_pct, p.cop_x_mm, p.cop_y_mm,
                  p.cop_error_mm);
    }
    std::printf("  force error: rms %.3f %%, max %.3f %%;  CoP error: rms %.2f mm, max %.2f mm\n",
                rep.rms_force_error_pct, rep.max_force_error_pct, rep.rms_cop_error_mm,
                rep.max_cop_error_mm);
  }
  std::printf(
      "  conditioning: rank %d of %d, condition number %.2f (limit %.0f); placements spread "
      "%.0f mm across their best-fit line (at least %.0f mm)\n",
      rep.rank, core::kCellCount, rep.condition_number, rep.max_condition, rep.spread_mm,
      rep.min_spread_mm);
  if (r.solved) {
    std::printf("  %4s %14s %13s %13s  %s\n", "cell", "offset_counts", "N_per_count",
                "counts_per_N", "vs nominal 4390");
    for (int i = 0; i < core::kCellCount; ++i) {
      const double g_i = r.n_per_count[i];
      std::printf("  %4d %14.1f %13.6e %13.1f  %+7.2f %%\n", i, offsets[i], g_i, 1.0 / g_i,
                  100.0 * (1.0 / (g_i * core::kNominalCountsPerNewton) - 1.0));
    }
  }
  std::fflush(stdout);
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

// Saves to the store (unless dry-run) and to --out. Prints where.
Failure saveResult(const CalibrateOptions& opt, const io::CalibrationStore& store,
                   const core::CalibrationRecord& rec, bool have_serial) {
  io::IoError err;
  if (!opt.out.empty()) {
    if (!io::writeCalibrationFile(opt.out, rec, &err)) return fail(kExitOutput, err.message);
    std::printf("written to %s\n", opt.out.c_str());
  }
  if (opt.dry_run) {
    std::printf("dry run: nothing saved for the device\n");
    return {};
  }
  if (!have_serial) return {};
  std::string path;
  if (!store.save(rec, &err, &path)) return fail(kExitOutput, err.message);
  std::printf("saved to %s — `rollrig record` applies it to device %s\n", path.c_str(),
              io::serialHex(rec.calibration.device_serial).c_str());
  return {};
}

// The record for a tare (and a span, when there is one). Without a span the gains come from
// the previous calibration (and so does its span record), or are nominal.
core::CalibrationRecord makeRecord(const core::TareResult& t, const core::SpanResult* span,
                                   const std::vector<core::SpanPlacement>& places, double mass_kg,
                                   const core::PlateGeometry& g, const Previous& prev,
                                   uint32_t serial, const std::string& where) {
  core::CalibrationRecord rec;
  rec.geometry = g;
  rec.calibration.device_serial = serial;
  rec.calibration.created = io::isoUtcNow();
  rec.tare = core::TareRecord{t.stats.samples, t.stats.duration_s, t.stats.sd_counts};
  for (int i = 0; i < core::kCellCount; ++i)
    rec.calibration.cells[i].offset_counts = t.offset_counts[i];
  char mass[32];
  std::snprintf(mass, sizeof(mass), "%g", mass_kg);
  if (span) {
    for (int i = 0; i < core::kCellCount; ++i)
      rec.calibration.cells[i].n_per_count = span->n_per_count[i];
    rec.span = core::SpanRecord{mass_kg, core::kStandardGravity_mps2, places, span->report};
    rec.calibration.source = "tare + span " + std::string(mass) + " kg at " +
                             std::to_string(places.size()) + " placements, " +
                             rec.calibration.created + " (" + where + ")";
  } else if (prev.found) {
    for (int i = 0; i < core::kCellCount; ++i)
      rec.calibration.cells[i].n_per_count = prev.record.calibration.cells[i].n_per_count;
    rec.span = prev.record.span;
    rec.calibration.source = "tare " + rec.calibration.created + " (" + where +
                             "); gains from: " + prev.record.calibration.source;
  } else {
    rec.calibration.source =
        "tare " + rec.calibration.created + " (" + where + "); nominal gains (no span yet)";
  }
  return rec;
}

// The gains used for thresholds and for the "load on the plate" tests before the span is
// solved: the previous calibration's when there is one, else nominal.
core::Calibration thresholdGains(const Previous& prev) {
  core::Calibration c;
  if (prev.found) c = prev.record.calibration;
  return c;
}

// [SECTION] Live run

int runLive(const CalibrateOptions& opt, const core::PlateGeometry& geom,
            const std::vector<Position>& positions) {
  const bool hands_free = opt.yes || opt.demo;
  const double weight_n = opt.mass_kg * core::kStandardGravity_mps2;
  const char* me = "rollrig calibrate: ";
  // From here on Ctrl-C stops the calibration cleanly, the handshake included.
  installSignalHandlers();

  std::unique_ptr<io::ByteStream> stream;
  if (opt.demo) {
    sim::VirtualDeviceConfig cfg;
    cfg.body.seed = opt.seed;
    cfg.body.duration_s = 0;  // no person: an empty plate, apart from the scripted mass
    if (!opt.tare_only) {
      for (size_t p = 0; p < positions.size(); ++p) {
        cfg.body.calibration_script.push_back({kDemoFirst_s + kDemoPeriod_s * p, kDemoHold_s,
                                               opt.mass_kg, positions[p].first,
                                               positions[p].second});
      }
    }
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
  const core::Calibration gains = thresholdGains(prev);
  std::printf("calibrating %s: device %s, %u cells at %u Hz\n", where.c_str(),
              io::serialHex(info.device_serial).c_str(), info.channel_count, info.rate_hz);
  std::printf("  previous calibration: %s\n",
              prev.found ? prev.record.calibration.source.c_str() : "none");
  if (opt.demo) std::printf("(virtual rig: it places the mass itself, on a schedule)\n");

  LiveFeed feed(acq, opt.fast);
  auto finish = [&](const Failure& f) {
    acq.stop();
    if (f) {
      std::fflush(stdout);
      std::cerr << "rollrig calibrate: " << f.message << "\n";
    }
    return f.code;
  };
  CaptureRules rules;
  rules.window_samples =
      static_cast<size_t>(std::lround(kWindow_s * (info.rate_hz > 0 ? info.rate_hz : 80)));

  // Step 1: tare.
  std::printf("\nStep 1: tare. Clear the plate: nothing on it, nobody touching it.\n");
  core::TareResult tare_result;
  core::TareOptions tare_opt;
  // The virtual rig is a different "device" for every seed, so its last tare says nothing.
  tare_opt.check_load = prev.found && !opt.demo && !opt.ignore_last_tare;
  while (true) {
    if (!hands_free) {
      std::printf("  Press Enter when the plate is clear (Ctrl-C to stop). ");
      if (!waitForEnter()) return finish(noAnswer());
      feed.discardQueued();
    }
    rules.wait_s = hands_free ? kHandsFreeWait_s : kInteractiveWait_s;
    std::vector<core::Sample> window;
    core::WindowStats w;
    core::CalibrationError why;
    if (captureSteady(feed, gains, rules, "the tare window", &window, &w, &why)) {
      // The steady window, judged as a tare (which adds the comparison with the last tare).
      tare_result = core::tare(window, gains, tare_opt);
      if (tare_result.ok()) break;
      why = tare_result.error;
      if (why.kind == core::CalibrationErrorKind::kLoaded)
        why.message +=
            " (if the plate itself changed since the last calibration, pass "
            "--ignore-last-tare)";
    } else if (feed.failure()) {
      return finish(feed.failure());
    }
    if (hands_free) return finish(fail(kExitCalibrationRefused, "tare refused: " + why.message));
    std::printf("  tare refused: %s\n", why.message.c_str());
  }
  printTare(tare_result, gains);

  // Step 2: span.
  std::vector<core::SpanPlacement> places;
  core::SpanResult span;
  if (!opt.tare_only) {
    std::printf("\nStep 2: span with %g kg (%.2f N) at %zu positions.\n", opt.mass_kg, weight_n,
                positions.size());
    rules.need_load = true;
    rules.offsets = tare_result.offset_counts;
    rules.min_total_n = kLoadedFraction * weight_n;
    for (size_t p = 0; p < positions.size(); ++p) {
      const auto [x, y] = positions[p];
      const std::string what = "placement " + std::to_string(p + 1);
      if (hands_free && p > 0) {
        std::printf("  Lift the mass off.\n");
        std::fflush(stdout);
        if (!waitForLoad(feed, rules.offsets, gains, false, kUnloadedFraction * weight_n,
                         kHandsFreeWaitForMass_s)) {
          if (feed.failure()) return finish(feed.failure());
          return finish(fail(
              kExitCalibrationRefused,
              "the mass was not lifted off within " + fmt("%.0f", kHandsFreeWaitForMass_s) + " s"));
        }
      }
      while (true) {
        std::printf("  [%zu/%zu] Place the %g kg at (%+.0f, %+.0f) mm%s", p + 1, positions.size(),
                    opt.mass_kg, x, y, hands_free ? ".\n" : ", then press Enter. ");
        if (!hands_free) {
          if (!waitForEnter()) return finish(noAnswer());
          feed.discardQueued();
        } else {
          std::fflush(stdout);
          if (!waitForLoad(feed, rules.offsets, gains, true, rules.min_total_n,
                           kHandsFreeWaitForMass_s)) {
            if (feed.failure()) return finish(feed.failure());
            return finish(
                fail(kExitCalibrationRefused, what + ": no mass appeared on the plate within " +
                                                  fmt("%.0f", kHandsFreeWaitForMass_s) + " s"));
          }
        }
        rules.wait_s = hands_free ? kHandsFreeWait_s : kInteractiveWait_s;
        std::vector<core::Sample> window;
        core::WindowStats w;
        core::CalibrationError why;
        if (captureSteady(feed, gains, rules, what, &window, &w, &why)) {
          places.push_back(core::makePlacement(x, y, w));
          std::printf("    steady: %zu samples averaged over %.2f s\n", w.samples, w.duration_s);
          break;
        }
        if (feed.failure()) return finish(feed.failure());
        if (hands_free) return finish(fail(kExitCalibrationRefused, what + ": " + why.message));
        std::printf("    %s refused: %s\n", what.c_str(), why.message.c_str());
      }
    }
    acq.stop();
    span = core::solveSpan(places, tare_result.offset_counts, opt.mass_kg, geom);
    printReport(span, places.size(), geom, tare_result.offset_counts);
    if (!span.ok())
      return finish(fail(kExitCalibrationRefused, "calibration refused: " + span.error.message));
  }
  acq.stop();
  // The last moment Ctrl-C can stop it: once saving begins, each file is written whole (under a
  // temporary name, then renamed), the signal only sets a flag.
  if (g_interrupted) return finish(interrupted());
  const core::CalibrationRecord rec =
      makeRecord(tare_result, opt.tare_only ? nullptr : &span, places, opt.mass_kg, geom, prev,
                 info.device_serial, where);
  std::printf("\ncalibration: %s\n", rec.calibration.source.c_str());
  return finish(saveResult(opt, store, rec, true));
}

// [SECTION] Recording run

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

  std::vector<double> tw;
  parseNumbers(opt.tare_window, 2, &tw);  // validated by the caller
  std::printf("calibrating from %s (%zu samples)%s\n", opt.from.c_str(), csv.samples.size(),
              have_serial ? (", device " + io::serialHex(serial)).c_str() : "");
  const std::vector<core::Sample> tare_window = core::samplesBetween(csv.samples, tw[0], tw[1]);
  why = checkWindowInRecording("--tare-window", opt.tare_window, tw[0], tw[1], csv.samples,
                               tare_window.size());
  if (!why.empty()) {
    std::cerr << me << why << "\n";
    return kExitUsage;
  }
  const core::TareResult t = core::tare(tare_window, gains);
  if (!t.ok()) {
    std::cerr << "rollrig calibrate: tare refused (" << tw[0] << ".." << tw[1]
              << " s): " << t.error.message << "\n";
    return kExitCalibrationRefused;
  }
  printTare(t, gains);

  std::vector<core::SpanPlacement> places;
  core::SpanResult span;
  if (!opt.tare_only) {
    for (size_t p = 0; p < opt.placements.size(); ++p) {
      std::vector<double> v;
      parseNumbers(opt.placements[p], 4, &v);  // validated by the caller
      const std::string what = "placement " + std::to_string(p + 1) + " (" + fmt("%g", v[0]) +
                               ".." + fmt("%g", v[1]) + " s)";
      const std::vector<core::Sample> window = core::samplesBetween(csv.samples, v[0], v[1]);
      why = checkWindowInRecording("--placement", opt.placements[p], v[0], v[1], csv.samples,
                                   window.size());
      if (!why.empty()) {
        std::cerr << me << why << "\n";
        return kExitUsage;
      }
      const core::WindowStats w = core::windowStats(window);
      const core::CalibrationError e = core::checkSteady(w, gains, {}, what, true);
      if (e) {
        std::cerr << "rollrig calibrate: " << e.message << "\n";
        return kExitCalibrationRefused;
      }
      places.push_back(core::makePlacement(v[2], v[3], w));
    }
    span = core::solveSpan(places, t.offset_counts, opt.mass_kg, geom);
    printReport(span, places.size(), geom, t.offset_counts);
    if (!span.ok()) {
      std::cerr << "rollrig calibrate: calibration refused: " << span.error.message << "\n";
      return kExitCalibrationRefused;
    }
  }
  const core::CalibrationRecord rec =
      makeRecord(t, opt.tare_only ? nullptr : &span, places, opt.mass_kg, geom, prev, serial,
                 "recording " + opt.from);
  std::printf("\ncalibration: %s\n", rec.calibration.source.c_str());
  const Failure f = saveResult(opt, store, rec, have_serial);
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
}

int runCalibrate(const CalibrateOptions& opt) {
  const char* me = "rollrig calibrate: ";
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
    for (int i = 0; i < core::kCellCount; ++i) geom.cells[i] = {cells[i].first, cells[i].second};
  }
  std::vector<Position> positions = defaultPositions(geom);
  if (!opt.positions.empty() && !parsePairs(opt.positions, &positions, &why)) {
    std::cerr << me << "--positions: " << why << "\n";
    return kExitUsage;
  }
  if (!from && !opt.tare_only) {
    const core::CalibrationError e = checkLayout(positions, geom);
    if (e) {
      std::cerr << me << "these positions cannot calibrate the plate: " << e.message << "\n";
      return kExitCalibrationRefused;
    }
  }
  if (from) return runFromRecording(opt, geom);
  return runLive(opt, geom, positions);
}

}  // namespace rollrig::cli

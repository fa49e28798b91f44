// `rollrig record`: handshake with a port or the virtual rig, then write every sample to CSV.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/rate_meter.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/io/virtual_rig_stream.h"

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

// A file rollrig writes, made so that nothing the user already has is lost:
// - prepare() creates it under a temporary name beside the target (TARGET.tmp-PID) before the
//   port is even opened, so a directory that cannot take it fails at once, and nothing else is
//   touched;
// - commit() gives it its name once there is data for it: with --force a rename replaces the old
//   file in one step; without, link() refuses to replace a file that appeared meanwhile. A session
//   that fails to start or records no sample never commits, and the temporary file is removed;
// - write() uses write(2) in whole batches of whole lines. When it fails (disk full, file-size
//   limit) the file is cut back to its last whole line, so every line on disk is complete and
//   lines() counts exactly what is there.
// A target that exists but is not a regular file (/dev/null, /dev/full, a FIFO) holds nothing to
// keep: with --force it is opened directly. Symlinks are followed: the file they point at is
// replaced, the link stays.
class OutputFile {
 public:
  // `what` names the option in messages ("--out", "--truth").
  bool prepare(const std::string& path, bool overwrite, const std::string& what, std::string* why) {
    m_path = path;
    m_overwrite = overwrite;
    if (path.empty()) {
      *why = what + " needs a file name.";
      return false;
    }
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    const fs::file_status lst = fs::symlink_status(path, ec);
    if (fs::is_directory(st)) {
      *why = path + " is a directory; " + what + " needs a file name, e.g. " +
             (fs::path(path) / (what == "--out" ? "session.csv" : "truth.json")).string() + ".";
      return false;
    }
    if (fs::exists(lst) && !overwrite) {
      *why = path + " already exists; choose another name or pass --force to overwrite it.";
      return false;
    }
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      m_fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
      if (m_fd < 0) {
        *why = "cannot open " + path + ": " + std::strerror(errno) + ".";
        return false;
      }
      m_committed = true;
      return true;
    }
    m_target = path;
    if (fs::is_symlink(lst)) {
      const fs::path real = fs::canonical(path, ec);
      if (!ec) m_target = real.string();
    }
    m_tmp = m_target + ".tmp-" + std::to_string(::getpid());
    m_fd = ::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (m_fd < 0) {
      const int e = errno;
      *why = "cannot create " + path + ": " + std::strerror(e) +
             (e == ENOENT ? " (does the directory exist?)." : ".");
      m_tmp.clear();
      return false;
    }
    m_regular = true;
    return true;
  }

  bool write(const std::string& data, std::string* why) {
    size_t done = 0;
    int e = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        e = n < 0 ? errno : ENOSPC;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (done == data.size()) {
      m_bytes += done;
      m_lines += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
      return true;
    }
    // Keep whole lines only: cut back to the last newline that reached the file.
    const size_t nl = data.rfind('\n', done == 0 ? std::string::npos : done - 1);
    const size_t keep = (done == 0 || nl == std::string::npos) ? 0 : nl + 1;
    if (keep < done && m_regular) {
      if (::ftruncate(m_fd, static_cast<off_t>(m_bytes + keep)) == 0) {
        ::lseek(m_fd, static_cast<off_t>(m_bytes + keep), SEEK_SET);
      }
    }
    m_bytes += keep;
    m_lines += static_cast<uint64_t>(std::count(data.begin(), data.begin() + keep, '\n'));
    std::string hint = ".";
    if (e == ENOSPC || e == EDQUOT) {
      hint = " (the disk is full; free some space and record again).";
    } else if (e == EFBIG) {
      hint = " (the file reached the size limit set for this process: ulimit -f).";
    }
    *why = "writing " + m_path + " failed: " + std::strerror(e) + hint;
    return false;
  }

  // Gives the file its name (see the class comment). On failure the data stays in tmpPath().
  bool commit(std::string* why) {
    if (m_committed) return true;
    if (m_overwrite) {
      if (std::rename(m_tmp.c_str(), m_target.c_str()) != 0) {
        *why = "cannot replace " + m_path + ": " + std::strerror(errno) + "; the new data is in " +
               m_tmp + ".";
        return false;
      }
    } else if (::link(m_tmp.c_str(), m_target.c_str()) == 0) {
      ::unlink(m_tmp.c_str());
    } else {
      const int e = errno;
      std::error_code ec;
      // File systems without hard links (FAT): a plain rename where nothing is in the way.
      const bool no_links = e == EPERM || e == EOPNOTSUPP || e == ENOSYS;
      if (!no_links || fs::exists(fs::symlink_status(m_target, ec)) ||
          std::rename(m_tmp.c_str(), m_target.c_str()) != 0) {
        *why = (e == EEXIST ? m_path + " appeared while recording"
                            : "cannot create " + m_path + ": " + std::strerror(e)) +
               "; the new data is in " + m_tmp + ".";
        return false;
      }
    }
    m_committed = true;
    return true;
  }

  void close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }
  // Removes the temporary file of a session that never committed (nothing recorded).
  void discard() {
    close();
    if (!m_committed && !m_tmp.empty()) ::unlink(m_tmp.c_str());
    m_tmp.clear();
  }
  ~OutputFile() { close(); }

  bool committed() const { return m_committed; }
  bool regular() const { return m_regular; }  // a sidecar belongs beside it
  uint64_t lines() const { return m_lines; }  // whole lines on disk
  const std::string& tmpPath() const { return m_tmp; }

 private:
  std::string m_path, m_target, m_tmp;
  bool m_overwrite = false;
  bool m_regular = false;
  bool m_committed = false;
  int m_fd = -1;
  uint64_t m_bytes = 0;
  uint64_t m_lines = 0;
};

}  // namespace

void addRecordCommand(CLI::App& app, RecordOptions& opt) {
  auto* rec =
      app.add_subcommand("record", "Record a session to CSV from a rig, or from the virtual rig");
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
  rec->add_option("--out", opt.out, "Output CSV file (docs/CSV_FORMAT.md)")->required();
  rec->add_flag("--force", opt.force, "Overwrite --out if it exists");
  rec->add_option(
      "--truth", opt.truth,
      "Virtual rig: also write the body model's ground truth (JSON; the first 24 h of a "
      "longer demo)");
  rec->add_flag("-q,--quiet", opt.quiet, "No live status line and no summary");
  rec->add_option("--calibration", opt.calibration,
                  "Use this calibration file (default: the one `rollrig calibrate` saved for the "
                  "device; the virtual rig uses its exact nominal calibration)");
  rec->add_flag("--no-auto-zero", opt.no_auto_zero,
                "Keep the offsets fixed (default: re-zero while the plate is unloaded and steady)");
}

int runRecord(const RecordOptions& opt) {
  if (!opt.demo && opt.port.empty()) {
    std::cerr
        << "rollrig record: say where the data comes from: --demo (virtual rig) or --port PATH.\n";
    return kExitUsage;
  }
  if (!opt.demo && (opt.fast || !opt.truth.empty())) {
    std::cerr << "rollrig record: --fast and --truth only apply to --demo.\n";
    return kExitUsage;
  }
  const double duration_s =
      opt.duration_s > 0 ? opt.duration_s : (opt.demo ? kDemoDefaultDuration_s : 0);

  // Files that must not be written over one another.
  const std::string meta_path = io::sessionMetaPath(opt.out);
  if (!opt.calibration.empty() && sameFile(opt.out, opt.calibration)) {
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
  core::CalibrationRecord cal_record;
  if (!opt.calibration.empty()) {
    io::IoError cal_err;
    if (!io::readCalibrationFile(opt.calibration, &cal_record, &cal_err)) {
      std::cerr << "rollrig record: " << cal_err.message << "\n";
      return kExitInput;
    }
  }

  // The outputs: checked and created under temporary names now; an existing file is only
  // replaced once the new session has rows for it (OutputFile).
  OutputFile out;
  OutputFile truth_out;
  std::string why;
  if (!out.prepare(opt.out, opt.force, "--out", &why) ||
      (!opt.truth.empty() && !truth_out.prepare(opt.truth, opt.force, "--truth", &why))) {
    out.discard();
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
    out.discard();
    truth_out.discard();
    std::cerr << "rollrig record: " << message << "\n";
    return code;
  };
  const auto interrupted = [&] {
    return nothingRecorded(kExitInterrupted, std::string(stopReasonFor(g_signal)) +
                                                 " before any sample was recorded; nothing was "
                                                 "written and no file was changed.");
  };

  // Source: the virtual rig or a port. Either way the same handshake, decoder and recorder.
  core::Calibration calibration;
  std::unique_ptr<io::ByteStream> stream;
  std::unique_ptr<sim::Truth> truth;
  if (opt.demo) {
    sim::VirtualDeviceConfig cfg;
    cfg.body.seed = opt.seed;
    cfg.body.duration_s = duration_s;
    auto rig = std::make_unique<io::VirtualRigStream>(
        cfg,
        opt.fast ? io::VirtualRigStream::Pacing::kFast : io::VirtualRigStream::Pacing::kRealTime);
    calibration = rig->nominalCalibration();
    truth = std::make_unique<sim::Truth>(rig->device().body().truth());
    stream = std::move(rig);
  } else {
    io::IoError err;
    stream = io::openPort(opt.port, opt.baud > 0 ? opt.baud : io::kDefaultBaud, &err);
    if (!stream) return nothingRecorded(exitCodeFor(err.kind), err.message);
  }
  if (g_stop) return interrupted();

  io::Acquisition acq(std::move(stream));
  io::IoError err;
  io::HandshakeOptions handshake;
  handshake.cancel = &g_stop;
  if (!acq.start(&err, handshake)) {
    if (g_stop) return interrupted();
    return nothingRecorded(exitCodeFor(err.kind), err.message);
  }
  const proto::InfoFrame info = acq.info();

  // Calibration: --calibration FILE, else the one stored for this device (real rigs and the
  // twin), else the virtual rig's exact nominal one or the uncalibrated default. Auto-zero needs
  // real offsets, so it only runs with one of the first three.
  std::string cal_from = opt.demo ? "the virtual rig's own" : "nothing stored for this device";
  bool have_offsets = opt.demo;
  if (!opt.calibration.empty()) {
    cal_from = opt.calibration;
    have_offsets = true;
    if (cal_record.calibration.device_serial != 0 &&
        cal_record.calibration.device_serial != info.device_serial) {
      std::cerr << "rollrig record: warning: " << opt.calibration << " was made for device "
                << io::serialHex(cal_record.calibration.device_serial) << ", this is device "
                << io::serialHex(info.device_serial) << "\n";
    }
  } else if (!opt.demo) {
    const io::CalibrationStore store;
    io::IoError cal_err;
    if (store.load(info.device_serial, &cal_record, &cal_err)) {
      cal_from = store.pathFor(info.device_serial);
      have_offsets = true;
    } else if (cal_err.kind != io::IoErrorKind::kNotFound) {
      std::cerr << "rollrig record: warning: " << cal_err.message
                << "; recording with the uncalibrated default (the raw counts are kept)\n";
    }
  }
  if (!opt.calibration.empty() || (!opt.demo && have_offsets)) calibration = cal_record.calibration;
  if (calibration.device_serial == 0) calibration.device_serial = info.device_serial;
  cal_record.calibration = calibration;
  const core::PlateGeometry geometry = cal_record.geometry;
  std::optional<core::DriftTracker> drift;
  if (have_offsets && !opt.no_auto_zero) drift.emplace(calibration);

  // The sidecar (docs/CSV_FORMAT.md, "Sidecar"): written when the first rows are on disk and
  // again at the end, so a crash still leaves the calibration next to the rows. Only beside a
  // regular file (not /dev/...).
  io::SessionMeta meta;
  const bool sidecar = out.regular();
  meta.csv_file = fs::path(opt.out).filename().string();
  meta.started = io::isoUtcNow();
  meta.source = acq.stream().describe();
  meta.info = info;
  meta.calibration = cal_record;
  meta.auto_zero = drift.has_value();
  if (drift) meta.auto_zero_options = drift->options();

  core::ForceModel model(calibration, geometry);
  std::ostringstream batch_text;
  core::SessionCsvWriter csv(batch_text);
  csv.writeHeader();
  const bool live = !opt.quiet && isatty(STDERR_FILENO);
  if (!opt.quiet && !live) {
    std::cerr << "recording from " << acq.stream().describe() << " to " << opt.out << "\n";
  }

  core::RateMeter rate;
  std::vector<core::Sample> samples;
  std::vector<uint64_t> batch_t_us;  // device time of each row in batch_text
  io::AcquisitionSnapshot snap;
  bool have_t0 = false;
  uint64_t t0_us = 0, t_last_us = 0;
  uint64_t rows_on_disk = 0, t_last_on_disk_us = 0;
  const uint64_t duration_us = static_cast<uint64_t>(duration_s * 1e6 + 0.5);
  bool done = false;
  int exit_code = kExitOk;
  std::string stop_reason = "duration reached";
  core::ForceSample last_force;
  auto next_status = std::chrono::steady_clock::now();

  while (!done) {
    samples.clear();
    acq.take(samples, &snap);
    for (const core::Sample& s : samples) {
      if (!have_t0) {
        have_t0 = true;
        t0_us = s.t_us;
      }
      if (duration_us > 0 && s.t_us - t0_us >= duration_us) {
        done = true;
        break;
      }
      last_force = model.compute(s);
      csv.writeRow(s, last_force);
      batch_t_us.push_back(s.t_us);
      // A re-zero applies from the next sample on; the sidecar lists it.
      if (drift && drift->add(s)) model = core::ForceModel(drift->calibration(), geometry);
      rate.add(s.t_us);
      t_last_us = s.t_us;
    }
    if (!batch_t_us.empty() || out.committed()) {
      const bool wrote = out.write(batch_text.str(), &why);
      // Every whole line on disk past the header is a row; the batch's rows landed in order.
      const uint64_t rows_now = out.lines() > 0 ? out.lines() - 1 : 0;
      if (rows_now > rows_on_disk) {
        t_last_on_disk_us = batch_t_us[static_cast<size_t>(rows_now - rows_on_disk) - 1];
        rows_on_disk = rows_now;
      }
      batch_text.str("");
      batch_t_us.clear();
      if (rows_on_disk > 0 && !out.committed()) {
        std::string commit_why;
        if (!out.commit(&commit_why)) {
          std::cerr << (live ? "\n" : "") << "rollrig record: " << commit_why << "\n";
          exit_code = kExitOutput;
          stop_reason = "output failed";
          break;
        }
        if (sidecar) io::writeSessionMeta(meta_path, meta, &err);  // again at the end
      }
      if (!wrote) {
        std::cerr << (live ? "\n" : "") << "rollrig record: " << why << " The " << rows_on_disk
                  << " whole rows written so far are kept.\n";
        exit_code = kExitOutput;
        stop_reason = "output failed";
        break;
      }
    }
    if (g_stop) {
      done = true;
      stop_reason = stopReasonFor(g_signal);
    }
    if (!snap.running && samples.empty()) {
      // The I/O thread has ended and everything it queued is written.
      if (snap.error) {
        std::cerr << (live ? "\n" : "") << "rollrig record: " << snap.error.message << "\n";
        exit_code = exitCodeFor(snap.error.kind);
        stop_reason = "device lost";
      }
      done = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (live && (now >= next_status || done)) {
      next_status = now + std::chrono::milliseconds(250);
      char line[200];
      const double el = have_t0 ? (t_last_us - t0_us) / 1e6 : 0.0;
      const double force_shown = std::abs(last_force.total_n) < 0.05 ? 0.0 : last_force.total_n;
      // The rate over the 2 s ending "now" (the last sample's device time plus how long nothing
      // has arrived), so a stalled device shows a falling rate instead of a frozen 80 Hz.
      const double idle_s = snap.since_last_sample_s;
      const double rate_now_hz =
          have_t0 ? rate.rateAt_hz(t_last_us + static_cast<uint64_t>(idle_s * 1e6)) : 0.0;
      int n = std::snprintf(line, sizeof(line),
                            "\r\033[K%7.1f s  %5.1f Hz  lost %llu  bad %llu  force %7.1f N", el,
                            rate_now_hz, static_cast<unsigned long long>(snap.stats.frames_lost),
                            static_cast<unsigned long long>(snap.stats.badFrames()), force_shown);
      auto more = [&](const char* fmt, auto... args) {
        if (n > 0 && n < static_cast<int>(sizeof(line)))
          n += std::snprintf(line + n, sizeof(line) - n, fmt, args...);
      };
      if (last_force.has_cop) more("  ball %+6.0f,%+6.0f mm", last_force.x_mm, last_force.y_mm);
      if (snap.stats.wrong_channel_count > 0)
        more("  wrong cell count %llu",
             static_cast<unsigned long long>(snap.stats.wrong_channel_count));
      if (idle_s >= 1.0) more("  no data for %.0f s", std::floor(idle_s));
      std::cerr << line << std::flush;
    }
    if (!done && samples.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(opt.fast ? 1 : 20));
  }
  acq.stop();
  acq.take(samples, &snap);  // final statistics
  if (live) std::cerr << "\n";

  if (!out.committed()) {
    // No row reached the file: the session never really started. Leave every file as it was.
    if (rows_on_disk > 0) {  // the commit failed and said where the rows are
      truth_out.discard();
      return exit_code;
    }
    if (exit_code != kExitOk)
      return nothingRecorded(exit_code, "no sample was recorded; no file was changed.");
    if (g_stop) return interrupted();
    return nothingRecorded(kExitDisconnected, "no sample arrived from " + acq.stream().describe() +
                                                  "; no file was changed.");
  }
  out.close();

  if (truth && !opt.truth.empty()) {
    std::ostringstream tj;
    sim::writeTruthJson(*truth, tj);
    std::string truth_why;
    if (!truth_out.write(tj.str(), &truth_why) || !truth_out.commit(&truth_why)) {
      truth_out.discard();
      std::cerr << "rollrig record: could not write the ground truth: " << truth_why << "\n";
      if (exit_code == kExitOk) exit_code = kExitOutput;
    }
    truth_out.close();
  }

  // What is on disk, not what was received: after a failed write the last rows may be gone.
  const double secs = rows_on_disk > 0 ? (t_last_on_disk_us - t0_us) / 1e6 : 0.0;
  if (sidecar) {
    meta.t0_us = t0_us;
    if (drift) {
      for (const core::ReZero& z : drift->reZeros())
        if (z.t_us <= t_last_on_disk_us) meta.rezeros.push_back(z);
    }
    meta.stats = snap.stats;
    meta.rows = rows_on_disk;
    meta.duration_s = secs;
    meta.stop_reason = stop_reason;
    if (!io::writeSessionMeta(meta_path, meta, &err)) {
      std::cerr << "rollrig record: " << err.message << "\n";
      if (exit_code == kExitOk) exit_code = kExitOutput;
    }
  }

  if (!opt.quiet) {
    const auto& st = snap.stats;
    const double mean_rate = (rows_on_disk > 1 && secs > 0) ? (rows_on_disk - 1) / secs : 0.0;
    std::printf("recorded %llu samples (%.3f s of device time) to %s (%s)\n",
                static_cast<unsigned long long>(rows_on_disk), secs, opt.out.c_str(),
                stop_reason.c_str());
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
    std::printf("  device: %s, firmware %u.%u.%u, protocol %u.%u, serial %s, %u cells at %u Hz\n",
                acq.stream().describe().c_str(), info.fw_major, info.fw_minor, info.fw_patch,
                info.proto_major, info.proto_minor, hex32(info.device_serial).c_str(),
                info.channel_count, info.rate_hz);
    std::printf("  calibration: %s (from %s); auto-zero %s", calibration.source.c_str(),
                cal_from.c_str(), drift ? "on" : (opt.no_auto_zero ? "off" : "off (no tare yet)"));
    if (drift) {
      double largest_n = 0;
      for (const core::ReZero& z : drift->reZeros())
        for (double c : z.change_n) largest_n = std::max(largest_n, std::abs(c));
      std::printf(", %zu re-zero%s (largest %.3f N per cell)", drift->reZeros().size(),
                  drift->reZeros().size() == 1 ? "" : "s", largest_n);
    }
    std::printf("%s%s\n", sidecar ? "; metadata in " : "", sidecar ? meta_path.c_str() : "");
  }
  return exit_code;
}

}  // namespace rollrig::cli

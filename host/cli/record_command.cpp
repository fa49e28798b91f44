// `rollrig record`: handshake with a port or the virtual rig, then write every sample to CSV.
#include <unistd.h>

#include <algorithm>
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

constexpr double kDemoDefaultDuration_s = 120.0;
volatile std::sig_atomic_t g_interrupted = 0;
void onSignal(int) {
  g_interrupted = 1;
}

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "%08X", v);
  return b;
}

// The output file: created exclusively (never overwrites a recording unless asked), written in
// batches with fwrite so errno (e.g. ENOSPC) is reliable, flushed after every batch so a crash or
// an unplugged rig keeps everything received so far.
class OutputFile {
 public:
  bool open(const std::string& path, bool overwrite, std::string* why) {
    m_path = path;
    m_file = std::fopen(path.c_str(), overwrite ? "w" : "wx");
    if (!m_file) {
      const int e = errno;
      if (e == EEXIST) {
        *why = path + " already exists; choose another name or pass --force to overwrite it.";
      } else {
        *why = "cannot create " + path + ": " + std::strerror(e) + ".";
      }
      return false;
    }
    return true;
  }
  bool write(const std::string& data, std::string* why) {
    if (data.empty()) return true;
    if (std::fwrite(data.data(), 1, data.size(), m_file) != data.size() ||
        std::fflush(m_file) != 0) {
      const int e = errno;
      *why = "writing " + m_path + " failed: " + std::strerror(e) +
             (e == ENOSPC ? " (the disk is full; free some space and record again — the rows "
                            "written so far are kept)."
                          : ".");
      return false;
    }
    m_bytes += data.size();
    return true;
  }
  void close() {
    if (m_file) std::fclose(m_file);
    m_file = nullptr;
  }
  void remove() {
    close();
    std::remove(m_path.c_str());
  }
  uint64_t bytes() const { return m_bytes; }
  ~OutputFile() { close(); }

 private:
  std::string m_path;
  std::FILE* m_file = nullptr;
  uint64_t m_bytes = 0;
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
  rec->add_option(
         "--duration", opt.duration_s,
         "Seconds of device time to record (default: 120 for --demo, until Ctrl-C for a port)")
      ->check(CLI::NonNegativeNumber);
  rec->add_flag("--fast", opt.fast, "Virtual rig: run as fast as possible instead of in real time");
  rec->add_option("--out", opt.out, "Output CSV file (docs/CSV_FORMAT.md)")->required();
  rec->add_flag("--force", opt.force, "Overwrite --out if it exists");
  rec->add_option("--truth", opt.truth,
                  "Virtual rig: also write the body model's ground truth (JSON)");
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

  OutputFile out;
  std::string why;
  if (!out.open(opt.out, opt.force, &why)) {
    std::cerr << "rollrig record: " << why << "\n";
    return kExitOutput;
  }

  // A calibration file given on the command line is read before anything starts.
  core::CalibrationRecord cal_record;
  if (!opt.calibration.empty()) {
    io::IoError cal_err;
    if (!io::readCalibrationFile(opt.calibration, &cal_record, &cal_err)) {
      out.remove();
      std::cerr << "rollrig record: " << cal_err.message << "\n";
      return cal_err.kind == io::IoErrorKind::kNotFound ? kExitInput : exitCodeFor(cal_err.kind);
    }
  }

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
    if (!stream) {
      out.remove();
      std::cerr << "rollrig record: " << err.message << "\n";
      return exitCodeFor(err.kind);
    }
  }

  io::Acquisition acq(std::move(stream));
  io::IoError err;
  if (!acq.start(&err)) {
    out.remove();
    std::cerr << "rollrig record: " << err.message << "\n";
    return exitCodeFor(err.kind);
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

  // The sidecar (docs/CSV_FORMAT.md, "Sidecar"): written now and again at the end, so a crash
  // still leaves the calibration next to the rows. Only beside a regular file (not /dev/...).
  io::SessionMeta meta;
  std::error_code fs_err;
  const bool sidecar = std::filesystem::is_regular_file(opt.out, fs_err);
  const std::string meta_path = io::sessionMetaPath(opt.out);
  meta.csv_file = std::filesystem::path(opt.out).filename().string();
  meta.started = io::isoUtcNow();
  meta.source = acq.stream().describe();
  meta.info = info;
  meta.calibration = cal_record;
  meta.auto_zero = drift.has_value();
  if (drift) meta.auto_zero_options = drift->options();
  bool meta_ok = true;
  if (sidecar) meta_ok = io::writeSessionMeta(meta_path, meta, &err);

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

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
  io::AcquisitionSnapshot snap;
  bool have_t0 = false;
  uint64_t t0_us = 0, t_last_us = 0;
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
      // A re-zero applies from the next sample on; the sidecar lists it.
      if (drift && drift->add(s)) model = core::ForceModel(drift->calibration(), geometry);
      rate.add(s.t_us);
      t_last_us = s.t_us;
    }
    if (!out.write(batch_text.str(), &why)) {
      std::cerr << (live ? "\n" : "") << "rollrig record: " << why << "\n";
      exit_code = kExitOutput;
      stop_reason = "output failed";
      break;
    }
    batch_text.str("");
    if (g_interrupted) {
      done = true;
      stop_reason = "interrupted";
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
  out.close();
  if (live) std::cerr << "\n";

  if (!opt.truth.empty() && truth) {
    std::ofstream tf(opt.truth);
    sim::writeTruthJson(*truth, tf);
    if (!tf) {
      std::cerr << "rollrig record: could not write the ground truth to " << opt.truth << "\n";
      if (exit_code == kExitOk) exit_code = kExitOutput;
    }
  }

  if (sidecar) {
    meta.t0_us = t0_us;
    if (drift) meta.rezeros = drift->reZeros();
    meta.stats = snap.stats;
    meta.rows = csv.rows();
    meta.duration_s = have_t0 ? (t_last_us - t0_us) / 1e6 : 0.0;
    meta.stop_reason = stop_reason;
    if (meta_ok) meta_ok = io::writeSessionMeta(meta_path, meta, &err);
    if (!meta_ok) {
      std::cerr << "rollrig record: " << err.message << "\n";
      if (exit_code == kExitOk) exit_code = kExitOutput;
    }
  }

  if (!opt.quiet) {
    const auto& st = snap.stats;
    const double secs = have_t0 ? (t_last_us - t0_us) / 1e6 : 0.0;
    const double mean_rate = (csv.rows() > 1 && secs > 0) ? (csv.rows() - 1) / secs : 0.0;
    std::printf("recorded %llu samples (%.3f s of device time) to %s (%s)\n",
                static_cast<unsigned long long>(csv.rows()), secs, opt.out.c_str(),
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

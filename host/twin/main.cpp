// rollrig-twin: the real firmware in simavr with simulated HX711s, on a pseudo-terminal.
// The first line on stdout is the pty path; `rollrig record --port <path>` records from it.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "rollrig/twin/twin.h"

namespace {
rollrig::twin::Twin* g_twin = nullptr;
void onSignal(int) {
  if (g_twin) g_twin->stop();
}

// "N@T": chip N at T seconds.
bool parseChipAt(const std::string& s, int* chip, double* at) {
  const auto pos = s.find('@');
  try {
    *chip = std::stoi(s.substr(0, pos));
    *at = pos == std::string::npos ? 0.0 : std::stod(s.substr(pos + 1));
  } catch (...) {
    return false;
  }
  return *chip >= 0 && *chip < 4 && *at >= 0;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace rollrig::twin;
  CLI::App app{"rollrig-twin — the rollrig firmware running in simavr, streaming over a pty"};
  TwinOptions opt;
  std::string dead, stretch, report_path;
  bool quiet = false;
  app.add_option("--firmware", opt.firmware_elf, "Firmware ELF (build/firmware/rollrig.elf)")
      ->required();
  app.add_option("--seed", opt.body.seed, "Body-model seed (default 1)");
  app.add_option("--duration", opt.duration_s,
                 "Seconds of device time to run (default: until killed)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--fast", opt.fast, "Run as fast as the simulation goes instead of in real time");
  app.add_option("--pty-link", opt.pty_link, "Also make this symlink to the pty");
  app.add_option("--report", report_path, "Write the run's measurements as JSON to this file");
  app.add_flag("-q,--quiet", quiet, "Do not print the measurements on stderr at exit");
  auto* faults = app.add_option_group("Fault injection", "Times are device seconds since boot");
  faults->add_option("--fault-dead-chip", dead, "N@T: HX711 N stops answering at T s");
  faults->add_option("--fault-sck-stretch", stretch,
                     "N@T: HX711 N sees an SCK high > 60 us at T s");
  faults->add_option("--fault-reset-at", opt.faults.reset_at_s, "T: the board resets at T s");
  faults->add_option("--fault-stall-at", opt.faults.stall_at_s,
                     "T: the firmware's main loop hangs at T s (the watchdog resets the board)");
  faults->add_option("--fault-uart-drop", opt.faults.uart_drop_probability,
                     "P: device->host bytes lost");
  faults->add_option("--fault-uart-flip", opt.faults.uart_flip_probability,
                     "P: device->host bytes corrupted");
  faults->add_option("--fault-host-corrupt", opt.faults.host_corrupt_probability,
                     "P: host->device bytes corrupted");
  faults->add_option("--fault-seed", opt.faults.seed, "Seed of the fault injection");
  CLI11_PARSE(app, argc, argv);
  if (!dead.empty() && !parseChipAt(dead, &opt.faults.dead_chip, &opt.faults.dead_chip_at_s)) {
    std::cerr << "rollrig-twin: --fault-dead-chip wants N@T with N in 0..3, e.g. 2@5\n";
    return 2;
  }
  if (!stretch.empty() &&
      !parseChipAt(stretch, &opt.faults.sck_stretch_chip, &opt.faults.sck_stretch_at_s)) {
    std::cerr << "rollrig-twin: --fault-sck-stretch wants N@T with N in 0..3, e.g. 1@3\n";
    return 2;
  }
  // The body model plans the session to the twin's duration (or 20 minutes when open-ended).
  opt.body.duration_s = opt.duration_s > 0 ? opt.duration_s : 1200;

  Twin twin(opt);
  std::string error;
  if (!twin.start(&error)) {
    std::cerr << "rollrig-twin: " << error << "\n";
    return 1;
  }
  std::cout << twin.ptyPath() << std::endl;  // first line: the pty, for scripts and tests
  g_twin = &twin;
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  const TwinReport r = twin.run();
  g_twin = nullptr;
  const std::string json = reportJson(r);
  if (!report_path.empty()) std::ofstream(report_path) << json << "\n";
  if (!quiet) {
    std::fprintf(
        stderr,
        "rollrig-twin: %.1f s simulated in %.1f s (%.1fx); %llu HX711 reads, longest SCK high "
        "%.2f us, longest interrupts-off in a read %.2f us (any %.2f us); firmware dropped %u "
        "frames; %llu samples sent; %llu board resets\n",
        r.simulated_s, r.wall_s, r.speedup, static_cast<unsigned long long>(r.hx711_reads),
        r.max_sck_high_us, r.max_irq_off_in_read_us, r.max_irq_off_us, r.firmware_frames_dropped,
        static_cast<unsigned long long>(r.samples_sent),
        static_cast<unsigned long long>(r.board_resets));
  }
  return 0;
}

// Twin: the real rollrig firmware ELF running in simavr as an ATmega328P at 16 MHz, with four
// simulated HX711 chips fed by the body model, and its UART bridged to a pseudo-terminal that
// the host opens exactly like a USB serial port.
//
// Licence: links simavr (GPL-3.0). Only rollrig-twin and the tests link this module.
//
// Threads: start() creates the pty and loads the firmware; run() simulates on the calling thread
// until the duration (device time) is reached or stop() is called from any thread. All
// simulation state is touched by the run() thread only; stop() and deviceTimeS() may be called
// from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rollrig/sim/body_model.h"

namespace rollrig::twin {

// Fault injection. Times are device (simulated) seconds since boot; a negative time means off.
struct Faults {
  int dead_chip = -1;            // this HX711 stops answering (DOUT stays high) ...
  double dead_chip_at_s = -1;    // ... from this time on
  int sck_stretch_chip = -1;     // this HX711 sees one SCK high > 60 us (powers down, resets)
  double sck_stretch_at_s = -1;  //   at its first read after this time
  double reset_at_s = -1;        // the board resets (as when a port is re-opened)
  // The firmware's main loop stalls at this time: the CPU spins in place with interrupts still
  // running, as a hung loop does, until the watchdog resets the board (~0.5 s later). The
  // firmware's loop has nothing outside the CPU it could wait on (poll() never waits), so the
  // twin holds the CPU itself rather than needing a stall command in the firmware.
  double stall_at_s = -1;
  double uart_drop_probability = 0;     // device->host bytes lost
  double uart_flip_probability = 0;     // device->host bytes XOR-ed with a random non-zero value
  double host_corrupt_probability = 0;  // host->device bytes XOR-ed
  uint64_t seed = 1234;
};

struct TwinOptions {
  std::string firmware_elf;
  sim::BodyModelConfig body;  // seed, duration_s (the body model's plan)
  double duration_s = 0;      // stop after this much device time; 0 = until stop()
  bool fast = false;          // false: paced to real time
  std::string pty_link;       // optional symlink to the pty slave (removed at exit)
  Faults faults;
};

// What the run measured.
struct TwinReport {
  double simulated_s = 0;
  double wall_s = 0;
  double speedup = 0;                 // simulated_s / wall_s
  double max_irq_off_in_read_us = 0;  // longest interrupts-off window overlapping an HX711 SCK-high
  double max_irq_off_us = 0;          // longest interrupts-off window after boot, ISRs included
  double max_sck_high_us = 0;         // longest SCK-high pulse seen by any HX711
  double max_read_us = 0;             // longest complete 25-pulse read
  uint64_t hx711_reads = 0;
  uint64_t hx711_power_downs = 0;
  uint64_t bytes_to_host = 0;
  uint64_t bytes_from_host = 0;
  uint64_t uart_bytes_dropped = 0;  // by fault injection
  uint64_t uart_bytes_flipped = 0;
  uint64_t samples_sent = 0;             // SAMPLE frames the firmware sent (decoded at the UART)
  uint32_t firmware_frames_dropped = 0;  // from the firmware's last STATUS
  uint16_t firmware_hx711_timeouts = 0;
  uint64_t board_resets = 0;  // AVR resets after power-on: injected, watchdog, REBOOT
  // proto::ResetCause of each boot as the firmware announced it in its boot INFO, power-on first.
  std::vector<uint8_t> boot_reset_causes;
};

class Twin {
 public:
  explicit Twin(TwinOptions options);
  ~Twin();
  Twin(const Twin&) = delete;
  Twin& operator=(const Twin&) = delete;

  // Creates the pty, loads the ELF. Returns false with a message in *error.
  bool start(std::string* error);
  // The pty slave the host opens, e.g. /dev/pts/7 (valid after start()).
  const std::string& ptyPath() const;

  // Simulates until the duration or stop(). Returns the report.
  TwinReport run();
  void stop();
  // Device (simulated) seconds since power-on, updated every simulated millisecond. Safe from any
  // thread: tests wait on this, never on the wall clock.
  double deviceTimeS() const;

  const sim::BodyModel& body() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

std::string reportJson(const TwinReport& r);

}  // namespace rollrig::twin

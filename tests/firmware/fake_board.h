// A fake Uno for the firmware's host tests: implements hal.h over plain state — a clock the
// test advances, a UART whose TX drains at the baud rate (or not at all), scripted HX711 chips
// with their own conversion phase, an EEPROM, and a watchdog/reboot recorder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace fakeboard {

struct Hx711Chip {
  bool present = true;         // false: DOUT stays high (unplugged / dead)
  bool stuck_low = false;      // DOUT stuck low: always "ready", shifts out zeros
  uint32_t period_us = 12500;  // 80 SPS
  uint32_t phase_us = 0;       // first conversion ready at this time
  int32_t value = 0;           // what the next conversion reads (24-bit two's complement)
  uint64_t next_ready_us = 0;  // when the next conversion completes
  bool ready = false;
  uint32_t reads = 0;
  uint32_t last_pulses = 0;
};

struct Board {
  uint64_t now_us = 0;
  // UART
  std::deque<uint8_t> rx;
  std::vector<uint8_t> tx;  // everything the firmware sent
  size_t tx_capacity = 63;  // Arduino core: 64-byte ring, one slot kept free
  size_t tx_queued = 0;     // bytes not yet on the wire
  uint64_t tx_drained_to_us = 0;
  bool tx_stalled = false;    // true: nothing drains (to force drops)
  uint32_t us_per_byte = 40;  // 250000 baud, 10 bits per byte
  uint32_t baud = 0;
  // HX711s
  Hx711Chip hx[4];
  // EEPROM
  uint8_t eeprom[1024];
  uint32_t eeprom_writes = 0;
  // System
  uint8_t reset_cause = 2;
  uint32_t entropy = 0x12345678;
  bool watchdog_enabled = false;
  uint64_t watchdog_kicks = 0;
  bool rebooted = false;
  bool led = false;
};

Board& board();
// Fresh board: blank EEPROM (0xFF), chips at 80 SPS with the given phases, time 0.
void reset();
// Advances time and brings chip readiness and the UART drain up to date.
void advance(uint64_t us);
void sendToDevice(const std::vector<uint8_t>& bytes);

}  // namespace fakeboard

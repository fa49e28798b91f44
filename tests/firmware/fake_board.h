// A fake Uno for the firmware's host tests: implements hal.h over plain state — a clock the
// test advances, a UART whose TX drains at the baud rate (or not at all), scripted HX711 chips
// with their own conversion phase, an EEPROM, and a watchdog/reboot recorder.
//
// The UART is the ATmega328P's as the Arduino core drives it (HardwareSerial, 2 KB of SRAM):
// a 64-byte TX ring that keeps one slot free, so availableForWrite() — the firmware's
// hal::txRoom() — is at most 63; behind it the data register (UDR0) and the shift register
// each hold one byte, filled first when the line is idle. One byte leaves every 10 bit times
// (8N1) at the baud the firmware passed to hal::begin(), in fake device time (now_us, which
// hal::hx711Shift() and hal::rxRead() advance too: code takes time, as on the board). hal.h allows
// txWrite() at most txRoom() bytes; on the board more makes Serial.write() spin until the ring has
// room — the firmware blocking on TX. The fake makes any such write a test failure (ADD_FAILURE,
// and counted in tx_overruns), never a silent wrap of txRoom().
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
  std::vector<uint8_t> tx;        // everything the firmware sent
  size_t tx_ring_capacity = 63;   // SERIAL_TX_BUFFER_SIZE 64, one slot kept free
  size_t tx_hardware_bytes = 2;   // UDR0 + the shift register
  size_t tx_in_flight = 0;        // bytes written and not yet fully on the wire
  uint64_t tx_bit_progress = 0;   // of the byte on the wire, in bit-microseconds (us x baud)
  uint64_t tx_accounted_us = 0;   // drain accounted up to this device time
  bool tx_stalled = false;        // true: nothing drains (to force drops)
  uint32_t baud = 0;              // from hal::begin(); 0 = UART not started
  uint64_t tx_overruns = 0;       // txWrite() calls given more than txRoom() (test failures)
  uint64_t tx_overrun_bytes = 0;  // bytes beyond txRoom() in those calls
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
  uint64_t rebooted_at_us = 0;        // the first hal::reboot()
  size_t tx_ring_used_at_reboot = 0;  // bytes a board would lose then (interrupts go off)
  size_t tx_size_at_reboot = 0;       // what had been written by then (tx.size())
  bool led = false;
};

Board& board();
// Fresh board: blank EEPROM (0xFF), chips at 80 SPS with the given phases, time 0.
void reset();
// Advances time and brings chip readiness and the UART drain up to date.
void advance(uint64_t us);
// Bytes of the TX ring in use right now (what availableForWrite() subtracts from 63).
size_t txRingUsed();
void sendToDevice(const std::vector<uint8_t>& bytes);

}  // namespace fakeboard

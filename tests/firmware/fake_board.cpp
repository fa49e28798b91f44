#include "fake_board.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "hal.h"

namespace fakeboard {

namespace {
Board g_board;

// 8N1: a start bit, eight data bits, a stop bit.
constexpr uint64_t kBitsPerByte = 10;
constexpr uint64_t kUsPerSecond = 1000000;

// Brings the TX drain up to now_us: bytes leave one per 10 bit times at the configured baud.
void drainUart() {
  Board& b = g_board;
  const uint64_t dt_us = b.now_us > b.tx_accounted_us ? b.now_us - b.tx_accounted_us : 0;
  b.tx_accounted_us = b.now_us;
  if (b.tx_in_flight == 0 || b.tx_stalled || b.baud == 0) {
    if (b.tx_in_flight == 0) b.tx_bit_progress = 0;  // an idle line starts the next byte afresh
    return;
  }
  b.tx_bit_progress += dt_us * b.baud;
  const uint64_t per_byte = kBitsPerByte * kUsPerSecond;
  const uint64_t done = std::min<uint64_t>(b.tx_bit_progress / per_byte, b.tx_in_flight);
  b.tx_in_flight -= done;
  b.tx_bit_progress -= done * per_byte;
  if (b.tx_in_flight == 0) b.tx_bit_progress = 0;
}

void update() {
  Board& b = g_board;
  for (auto& c : b.hx) {
    if (!c.present || c.stuck_low) continue;
    if (b.now_us >= c.next_ready_us) {
      c.ready = true;
      while (c.next_ready_us <= b.now_us) c.next_ready_us += c.period_us;
    }
  }
  drainUart();
}
}  // namespace

Board& board() {
  return g_board;
}

void reset() {
  Board fresh;
  g_board = fresh;
  std::memset(g_board.eeprom, 0xFF, sizeof(g_board.eeprom));
  for (auto& c : g_board.hx) c.next_ready_us = c.phase_us;
}

void advance(uint64_t us) {
  g_board.now_us += us;
  update();
}

size_t txRingUsed() {
  drainUart();
  const Board& b = g_board;
  return b.tx_in_flight > b.tx_hardware_bytes ? b.tx_in_flight - b.tx_hardware_bytes : 0;
}

void sendToDevice(const std::vector<uint8_t>& bytes) {
  g_board.rx.insert(g_board.rx.end(), bytes.begin(), bytes.end());
}

}  // namespace fakeboard

// [SECTION] hal.h over the fake board
namespace rollrig {
namespace hal {

void begin(uint32_t baud) {
  fakeboard::board().baud = baud;
}

uint32_t micros() {
  return static_cast<uint32_t>(fakeboard::board().now_us);
}

size_t txRoom() {
  auto& b = fakeboard::board();
  const size_t used = fakeboard::txRingUsed();
  return used < b.tx_ring_capacity ? b.tx_ring_capacity - used : 0;
}

void txWrite(const uint8_t* data, size_t len) {
  auto& b = fakeboard::board();
  if (b.baud == 0) ADD_FAILURE() << "hal::txWrite() before hal::begin(): the UART is not on yet";
  const size_t room = txRoom();
  if (len > room) {
    // On the board Serial.write() would now spin until the ring has room: the firmware blocks.
    ++b.tx_overruns;
    b.tx_overrun_bytes += len - room;
    ADD_FAILURE() << "hal::txWrite() of " << len << " bytes with room for " << room
                  << " (hal.h: at most txRoom()); on the board Serial.write() would block"
                  << (b.tx_stalled ? " until the watchdog resets it" : "");
    if (!b.tx_stalled && b.baud != 0) {
      // Model the spin: time passes until the excess has left, so later timing stays honest.
      const uint64_t per_byte = fakeboard::kBitsPerByte * fakeboard::kUsPerSecond;
      const uint64_t bits_us = (len - room) * per_byte - b.tx_bit_progress;
      fakeboard::advance((bits_us + b.baud - 1) / b.baud);
    }
  }
  b.tx.insert(b.tx.end(), data, data + len);
  b.tx_in_flight += len;
  const size_t most = b.tx_ring_capacity + b.tx_hardware_bytes;
  if (b.tx_in_flight > most) b.tx_in_flight = most;  // stalled: a board would hang right here
}

int rxRead() {
  auto& b = fakeboard::board();
  // Serial.read() is some 30 cycles: about 2 us of a pass of the loop goes on each call.
  b.now_us += 2;
  if (b.rx.empty()) return -1;
  const int v = b.rx.front();
  b.rx.pop_front();
  return v;
}

bool hx711Ready(uint8_t ch) {
  const auto& c = fakeboard::board().hx[ch];
  if (!c.present) return false;
  return c.stuck_low || c.ready;
}

uint32_t hx711Shift(uint8_t ch, uint8_t pulses) {
  // A 25-pulse read takes ~75 us on the real board (measured in the twin): time moves on during
  // a pass of the main loop, so the firmware must not assume one timestamp per pass.
  fakeboard::board().now_us += 75;
  auto& c = fakeboard::board().hx[ch];
  c.reads++;
  c.last_pulses = pulses;
  if (!c.present) return 0xFFFFFF;  // DOUT high: all ones
  if (c.stuck_low) return 0;
  c.ready = false;
  return static_cast<uint32_t>(c.value) & 0xFFFFFFu;
}

void eepromRead(uint16_t addr, uint8_t* dst, size_t len) {
  std::memcpy(dst, fakeboard::board().eeprom + addr, len);
}

void eepromWrite(uint16_t addr, const uint8_t* src, size_t len) {
  std::memcpy(fakeboard::board().eeprom + addr, src, len);
  fakeboard::board().eeprom_writes++;
}

uint8_t resetCause() {
  return fakeboard::board().reset_cause;
}
uint32_t entropy() {
  return fakeboard::board().entropy;
}
void watchdogEnable() {
  fakeboard::board().watchdog_enabled = true;
}
void watchdogKick() {
  fakeboard::board().watchdog_kicks++;
}
void reboot() {
  // On the board this does not return: interrupts go off, so what is still in the TX ring
  // never leaves, and the watchdog restarts the chip. The fake records the moment.
  auto& b = fakeboard::board();
  if (b.rebooted) return;
  b.rebooted = true;
  b.rebooted_at_us = b.now_us;
  b.tx_ring_used_at_reboot = fakeboard::txRingUsed();
  b.tx_size_at_reboot = b.tx.size();
}
void setLed(bool on) {
  fakeboard::board().led = on;
}

}  // namespace hal
}  // namespace rollrig

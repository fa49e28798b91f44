#include "fake_board.h"

#include <algorithm>
#include <cstring>

#include "hal.h"

namespace fakeboard {

namespace {
Board g_board;

void update() {
  Board& b = g_board;
  for (auto& c : b.hx) {
    if (!c.present || c.stuck_low) continue;
    if (b.now_us >= c.next_ready_us) {
      c.ready = true;
      while (c.next_ready_us <= b.now_us) c.next_ready_us += c.period_us;
    }
  }
  if (!b.tx_stalled && b.now_us > b.tx_drained_to_us) {
    const uint64_t bytes = (b.now_us - b.tx_drained_to_us) / b.us_per_byte;
    b.tx_queued -= std::min<uint64_t>(bytes, b.tx_queued);
    b.tx_drained_to_us += bytes * b.us_per_byte;
  }
  if (b.tx_stalled) b.tx_drained_to_us = b.now_us;
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
  return b.tx_capacity - b.tx_queued;
}

void txWrite(const uint8_t* data, size_t len) {
  auto& b = fakeboard::board();
  b.tx.insert(b.tx.end(), data, data + len);
  b.tx_queued += len;
}

int rxRead() {
  auto& b = fakeboard::board();
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
  fakeboard::board().rebooted = true;
}
void setLed(bool on) {
  fakeboard::board().led = on;
}

}  // namespace hal
}  // namespace rollrig

#include "hx711.h"

#include "config.h"

namespace rollrig {

int32_t hx711ToCounts(uint32_t raw24) {
  raw24 &= 0xFFFFFFUL;
  if (raw24 & 0x800000UL) raw24 |= 0xFF000000UL;
  return static_cast<int32_t>(raw24);
}

bool hx711Saturated(uint32_t raw24) {
  raw24 &= 0xFFFFFFUL;
  return raw24 == 0x7FFFFFUL || raw24 == 0x800000UL;
}

Hx711Monitor::Hx711Monitor()
    : m_last_good_us(0),
      m_last_read_us(0),
      m_settle_start_us(0),
      m_stuck_reads(0),
      m_timed_out(false),
      m_settling(true),
      m_awaiting_first(true) {}

void Hx711Monitor::start(uint32_t now_us) {
  m_last_good_us = now_us;
  m_last_read_us = now_us;
  m_settle_start_us = now_us;
  m_stuck_reads = 0;
  m_timed_out = false;
  m_settling = true;
  m_awaiting_first = true;
}

bool Hx711Monitor::onRead(uint32_t now_us, bool dout_low_after) {
  m_last_read_us = now_us;
  if (dout_low_after) {
    // A working chip holds DOUT high after the last pulse until its next conversion, 12.5 ms
    // later; low right away means the value is not trustworthy (stuck or floating line). The
    // value is dropped; after a few in a row the chip is polled only once per period.
    if (m_stuck_reads < config::kHx711StuckReads) ++m_stuck_reads;
    return false;
  }
  m_stuck_reads = 0;
  // Back after an outage, or after skipping conversions (an HX711 that powered down — SCK held
  // high > 60 us — or browned out restarts and needs its settling time): flag what follows.
  // (The first conversion after start() comes after the power-up settling time anyway.)
  const bool skipped = !m_awaiting_first && static_cast<int32_t>(now_us - m_last_good_us) >
                                                static_cast<int32_t>(config::kHx711Restart_us);
  m_awaiting_first = false;
  if (m_timed_out || skipped) {
    m_timed_out = false;
    m_settle_start_us = now_us;
    m_settling = true;
  }
  m_last_good_us = now_us;
  return true;
}

bool Hx711Monitor::checkTimeout(uint32_t now_us) {
  // Latch the end of settling here (called every loop) so the micros() wrap cannot revive it.
  if (m_settling && static_cast<uint32_t>(now_us - m_settle_start_us) >= config::kHx711Settling_us)
    m_settling = false;
  if (m_timed_out) return false;
  // Signed: the last read may be stamped after now_us (taken earlier in the caller's pass).
  if (static_cast<int32_t>(now_us - m_last_good_us) >
      static_cast<int32_t>(config::kHx711Timeout_us)) {
    m_timed_out = true;
    return true;
  }
  return false;
}

bool Hx711Monitor::shouldPoll(uint32_t now_us) const {
  if (m_stuck_reads < config::kHx711StuckReads) return true;
  return static_cast<int32_t>(now_us - m_last_read_us) >=
         static_cast<int32_t>(config::kConversionPeriod_us);
}

bool Hx711Monitor::settling(uint32_t now_us) const {
  return m_settling &&
         static_cast<uint32_t>(now_us - m_settle_start_us) < config::kHx711Settling_us;
}

}  // namespace rollrig

// DeviceClock: unwraps the device's u32 microsecond counter (wraps every 2^32 us ≈ 71.6 min) into
// a monotonic 64-bit session clock.
//
// unwrap() decides by itself: forward steps of less than 2^31 us (≈ 35.8 min) are taken as elapsed
// time, so a wrap is just a small forward step modulo 2^32. A step backwards means the device
// restarted (its counter began again at zero): the clock then continues from the last time seen
// plus the device's time since its new boot (so the gap shows in session time), and the caller is
// told; a reset never makes session time run backwards. That rule alone mistakes a reset after more
// than 2^31 us of uptime for a wrap; FrameDecoder therefore decides with the sequence number as
// well and uses advance() and unwrapAfterRestart() (see frame_decoder.h).
//
// Thread safety: none; plain value.
#pragma once

#include <cstdint>

namespace rollrig::core {

class DeviceClock {
 public:
  enum class Step { kFirst, kForward, kWrapped, kRestarted };

  // Unwraps one device timestamp. `*step` (optional) says what happened.
  uint64_t unwrap(uint32_t t_us, Step* step = nullptr) {
    Step s;
    if (!m_started) {
      m_started = true;
      m_t64 = t_us;
      s = Step::kFirst;
    } else {
      const uint32_t delta = t_us - m_last;  // modulo 2^32
      if (delta < 0x80000000UL) {
        s = (t_us < m_last) ? Step::kWrapped : Step::kForward;
        m_t64 += delta;
      } else {
        s = Step::kRestarted;
        // The device rebooted: its counter restarted at 0, so t_us is the time since that boot,
        // the best (lower-bound) estimate of the gap. +1 keeps time strictly increasing.
        m_t64 += uint64_t{t_us} + 1;  // in 64 bits: t_us may be 2^32 - 1
      }
    }
    m_last = t_us;
    if (step) *step = s;
    return m_t64;
  }

  // Adds the time from the last timestamp to `t_us`, modulo 2^32, whatever its size: the caller
  // (FrameDecoder) has decided the clock ran forward (possibly across 2^32).
  uint64_t advance(uint32_t t_us) {
    if (!m_started) return unwrap(t_us);
    m_t64 += static_cast<uint32_t>(t_us - m_last);
    m_last = t_us;
    return m_t64;
  }

  // The device says it restarted (SAMPLE flag RESET_SEEN) and t_us is its first timestamp of
  // the new boot: start a new epoch just after the current time, whichever way t_us moved.
  uint64_t unwrapAfterRestart(uint32_t t_us) {
    if (!m_started) return unwrap(t_us);
    m_last = t_us;
    m_t64 += uint64_t{t_us} + 1;  // the time since the new boot (the gap, as far as the device
                                  // knows), in 64 bits: t_us may be 2^32 - 1
    return m_t64;
  }

  bool started() const { return m_started; }
  uint32_t lastRaw() const { return m_last; }
  uint64_t now() const { return m_t64; }

 private:
  bool m_started = false;
  uint32_t m_last = 0;
  uint64_t m_t64 = 0;
};

}  // namespace rollrig::core

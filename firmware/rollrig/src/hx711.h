// HX711 logic that does not touch hardware: decoding the 24-bit output and tracking each chip's
// health (timeout, stuck DOUT, settling after power-up or a reset). Plain C++; host-tested.
// The bit-banging itself is hal::hx711Shift() (hal_avr.cpp).
#ifndef ROLLRIG_HX711_H
#define ROLLRIG_HX711_H

#include <stdint.h>

namespace rollrig {

// Sign-extends the HX711's 24-bit two's complement output to int32.
int32_t hx711ToCounts(uint32_t raw24);
// The HX711 clamps to 0x7FFFFF / 0x800000 when the input is beyond its range.
bool hx711Saturated(uint32_t raw24);

// Health of one chip, fed by the main loop. Times are hal::micros() values (wrap-safe).
class Hx711Monitor {
 public:
  Hx711Monitor();

  // The chip was (re)powered at now_us: its output settles for config::kHx711Settling_us.
  void start(uint32_t now_us);

  // A conversion was shifted out at now_us. dout_low_after: DOUT was still low right after the
  // read, which a working chip never does (it raises DOUT until the next conversion), so that
  // value is rejected; a few in a row mean DOUT is stuck low (unplugged, shorted) and the chip is
  // then polled only once per period. Returns true if the value is usable.
  bool onRead(uint32_t now_us, bool dout_low_after);

  // Call every loop (it also ends the settling window). Returns true once, at the moment the
  // chip is declared timed out (so the caller counts each outage once).
  bool checkTimeout(uint32_t now_us);

  // Whether to poll this chip now: a stuck-low chip is only polled once per conversion period
  // so it cannot hog the loop.
  bool shouldPoll(uint32_t now_us) const;

  bool timedOut() const { return m_timed_out; }
  bool settling(uint32_t now_us) const;

 private:
  uint32_t m_last_good_us;
  uint32_t m_last_read_us;
  uint32_t m_settle_start_us;
  uint8_t m_stuck_reads;
  bool m_timed_out;
  bool m_settling;
  bool m_awaiting_first;  // no conversion read since start()
};

}  // namespace rollrig

#endif  // ROLLRIG_HX711_H

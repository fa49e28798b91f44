// Pin assignment of the rollrig board: the one place that knows pins. Must match
// hardware/wiring.csv (a host test checks it). Arduino digital pin numbers; hal_avr.cpp turns
// them into port registers once at start-up so reads use direct port I/O.
//
// Each HX711 has its own SCK, so each chip is read the moment it is ready and a stuck chip
// never holds up the others. DOUT lines are plain INPUT (no pull-up): the HX711 drives them.
//
//   HX711 / cell   corner        DOUT   SCK
//   0              front-left    D2     D3
//   1              front-right   D4     D5
//   2              rear-left     D6     D7
//   3              rear-right    D8     D9
#ifndef ROLLRIG_PINS_H
#define ROLLRIG_PINS_H

#include <stdint.h>

namespace rollrig {
namespace pins {

const uint8_t kHx711Count = 4;
const uint8_t kHx711Dout[kHx711Count] = {2, 4, 6, 8};
const uint8_t kHx711Sck[kHx711Count] = {3, 5, 7, 9};
// Status LED (the Uno's "L"): lit while streaming.
const uint8_t kLed = 13;

}  // namespace pins
}  // namespace rollrig

#endif  // ROLLRIG_PINS_H

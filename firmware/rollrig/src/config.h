// Compile-time options of the rollrig firmware. Pins live in pins.h; the wire format in
// protocol/protocol.h. Plain C++ (no Arduino.h) so the host tests see the same values.
#ifndef ROLLRIG_CONFIG_H
#define ROLLRIG_CONFIG_H

#include <stdint.h>

namespace rollrig {
namespace config {

const uint8_t kFirmwareMajor = 0;
const uint8_t kFirmwareMinor = 1;
const uint8_t kFirmwarePatch = 0;

// Serial link. 250000 baud is exact on a 16 MHz AVR (UBRR = 7 with U2X): 0 % error, where
// 115200 is 2.1 % off. 4 cells x 80 SPS x 25 bytes = 2 kB/s, 8 % of the link.
const uint32_t kDefaultBaud = 250000UL;

// Cells streamed by default (pins.h wires four). A SET_SETTING can lower it for smaller rigs.
const uint8_t kDefaultCellCount = 4;
const uint8_t kMaxCells = 4;
const char kDefaultBoardName[] = "rollrig";

// HX711 at 80 SPS (RATE pin high): one conversion every 12.5 ms.
const uint16_t kNominalRateHz = 80;
const uint32_t kConversionPeriod_us = 12500UL;
// A set waits at most this long after its first fresh channel before it is sent with whatever
// arrived (chips run on their own oscillators, so they drift in and out of phase).
const uint32_t kSetTimeout_us = 2UL * kConversionPeriod_us;
// A chip silent for this long is flagged HX711_TIMEOUT (DOUT stuck high, unplugged, powered down).
const uint32_t kHx711Timeout_us = 100000UL;
// Output settling after power-up or reset: 50 ms at 80 SPS (datasheet); flagged SETTLING.
const uint32_t kHx711Settling_us = 50000UL;
// A chip whose conversions stop for longer than this (2.5 periods; power-up settling takes 4)
// has restarted: its next values are flagged SETTLING.
const uint32_t kHx711Restart_us = 31250UL;
// Consecutive reads after which DOUT still low right after shifting out means "stuck low".
const uint8_t kHx711StuckReads = 3;
// 25 SCK pulses: channel A, gain 128 for the next conversion.
const uint8_t kHx711Pulses = 25;

const uint32_t kStatusPeriod_us = 1000000UL;

// Watchdog: resets the board if the main loop stalls. Boards with the old Nano bootloader loop
// on watchdog resets: flash Optiboot ("Arduino Uno" bootloader) or set this to false.
const bool kWatchdogEnabled = true;

}  // namespace config
}  // namespace rollrig

#endif  // ROLLRIG_CONFIG_H

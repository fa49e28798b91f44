// The firmware's hardware seam: the few free functions the logic needs from the board.
// hal_avr.cpp implements them for the ATmega328P (direct port I/O, Arduino core for the UART
// and the clock); the host tests link a fake with scripted HX711s, UART and EEPROM.
// All functions are called from the main loop only (never from an ISR).
#ifndef ROLLRIG_HAL_H
#define ROLLRIG_HAL_H

#include <stddef.h>
#include <stdint.h>

namespace rollrig {
namespace hal {

// Board start-up: UART at `baud` (8N1), HX711 pins (DOUT input, SCK output low = powered up),
// LED. Must be quick: the watchdog is armed afterwards.
void begin(uint32_t baud);

// Microseconds since boot (wraps every 2^32 us). 4 us resolution on a 16 MHz AVR.
uint32_t micros();

// UART. txRoom(): bytes that can be written now without blocking. txWrite() must only be given
// at most txRoom() bytes. rxRead(): next received byte, or -1 if none.
size_t txRoom();
void txWrite(const uint8_t* data, size_t len);
int rxRead();

// HX711 channel `ch` (0..pins::kHx711Count-1).
// hx711Ready(): DOUT is low (a conversion is waiting).
// hx711Shift(): clocks out 24 data bits MSB first, then (pulses - 24) more to select the next
// gain, with interrupts disabled only while SCK is high; returns the raw 24-bit value.
bool hx711Ready(uint8_t ch);
uint32_t hx711Shift(uint8_t ch, uint8_t pulses);

// EEPROM (1 KB on the 328P). eepromWrite() only rewrites bytes that differ.
void eepromRead(uint16_t addr, uint8_t* dst, size_t len);
void eepromWrite(uint16_t addr, const uint8_t* src, size_t len);

// Why the board last reset: a proto::ResetCause value, captured before anything else ran.
uint8_t resetCause();
// A few bits of physical noise (ADC LSBs, clock jitter) for the one-time device serial.
uint32_t entropy();

void watchdogEnable();
void watchdogKick();
// Restarts the board through the watchdog (does not return on hardware).
void reboot();

void setLed(bool on);

}  // namespace hal
}  // namespace rollrig

#endif  // ROLLRIG_HAL_H

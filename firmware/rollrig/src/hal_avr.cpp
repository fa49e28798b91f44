// The board layer for the ATmega328P (Arduino Uno / Nano): the only firmware file that touches
// registers or the Arduino core. Everything here implements hal.h.
#ifdef __AVR__

#include <Arduino.h>
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/wdt.h>

#include "hal.h"
#include "pins.h"
#include "protocol/protocol.h"

// [SECTION] Reset cause
// MCUSR must be read before anything else runs: .init3 comes before the C runtime clears .bss,
// so the copy lives in .noinit. Optiboot clears MCUSR and passes it in r2 instead.
// Optiboot also starts the application through its own watchdog timeout after an external
// reset, so WDRF alone cannot tell "our loop stalled" from "the port was opened": our watchdog
// runs in interrupt-then-reset mode and its ISR leaves a marker in .noinit RAM first.
namespace {
const uint16_t kMarkerWatchdog = 0xD06E;
const uint16_t kMarkerReboot = 0xB007;
}  // namespace

// volatile: the marker is written just before the CPU spins into a reset (reboot()) or returns
// from an ISR; nothing in this run reads it again, so without volatile the compiler (with LTO)
// dropped reboot()'s store and a REBOOT was reported as an external reset.
uint8_t g_rollrig_mcusr __attribute__((section(".noinit")));
volatile uint16_t g_rollrig_marker __attribute__((section(".noinit")));
uint16_t g_rollrig_boot_marker __attribute__((section(".noinit")));

extern "C" void rollrigCaptureResetCause(void) __attribute__((naked, used, section(".init3")));
extern "C" void rollrigCaptureResetCause(void) {
  uint8_t r2;
  __asm__ __volatile__("mov %0, r2" : "=r"(r2));
  const uint8_t m = MCUSR;
  MCUSR = 0;
  wdt_disable();  // after a watchdog reset it stays on at 16 ms: disable before the core boots
  g_rollrig_mcusr = m ? m : r2;
  g_rollrig_boot_marker = g_rollrig_marker;
  g_rollrig_marker = 0;
}

ISR(WDT_vect) {
  // First watchdog timeout: the main loop has stalled. Mark it; the second timeout resets.
  g_rollrig_marker = kMarkerWatchdog;
}

namespace rollrig {
namespace hal {

namespace {
struct Hx711Io {
  volatile uint8_t* dout_in;
  uint8_t dout_mask;
  volatile uint8_t* sck_out;
  uint8_t sck_mask;
};
Hx711Io g_hx[pins::kHx711Count];
}  // namespace

void begin(uint32_t baud) {
  Serial.begin(baud);  // 250000: UBRR 7 with U2X, exact at 16 MHz
  for (uint8_t ch = 0; ch < pins::kHx711Count; ++ch) {
    const uint8_t dout = pins::kHx711Dout[ch];
    const uint8_t sck = pins::kHx711Sck[ch];
    pinMode(dout, INPUT);  // no pull-up: the HX711 drives DOUT
    pinMode(sck, OUTPUT);
    digitalWrite(sck, LOW);  // SCK low = powered up
    g_hx[ch].dout_in = portInputRegister(digitalPinToPort(dout));
    g_hx[ch].dout_mask = digitalPinToBitMask(dout);
    g_hx[ch].sck_out = portOutputRegister(digitalPinToPort(sck));
    g_hx[ch].sck_mask = digitalPinToBitMask(sck);
  }
  pinMode(pins::kLed, OUTPUT);
  digitalWrite(pins::kLed, LOW);
}

uint32_t micros() {
  return ::micros();
}

size_t txRoom() {
  const int n = Serial.availableForWrite();
  return n > 0 ? static_cast<size_t>(n) : 0;
}

void txWrite(const uint8_t* data, size_t len) {
  Serial.write(data, len);
}

int rxRead() {
  return Serial.read();
}

bool hx711Ready(uint8_t ch) {
  return (*g_hx[ch].dout_in & g_hx[ch].dout_mask) == 0;
}

// noinline: inlined into the main loop under LTO, register pressure made the compiler reload the
// DOUT pointer from the stack inside the interrupts-off window (24 cycles instead of 16).
__attribute__((noinline)) uint32_t hx711Shift(uint8_t ch, uint8_t pulses) {
  volatile uint8_t* const sck = g_hx[ch].sck_out;
  volatile uint8_t* const din = g_hx[ch].dout_in;
  const uint8_t on = g_hx[ch].sck_mask;
  const uint8_t off = static_cast<uint8_t>(~on);
  const uint8_t dmask = g_hx[ch].dout_mask;
  uint32_t v = 0;
  for (uint8_t i = 0; i < pulses; ++i) {
    // Interrupts are off only while SCK is high (~1 us): an ISR here could stretch SCK high
    // past 60 us and power the chip down. With SCK low, interrupts run freely.
    const uint8_t sreg = SREG;
    cli();
    *sck |= on;
    __asm__ __volatile__("nop\n\tnop\n\t");  // DOUT is valid 0.1 us after the rising edge
    const uint8_t bit = *din & dmask;
    *sck &= off;
    SREG = sreg;
    if (i < 24) v = (v << 1) | (bit ? 1UL : 0UL);
  }
  return v;
}

void eepromRead(uint16_t addr, uint8_t* dst, size_t len) {
  eeprom_read_block(dst, reinterpret_cast<const void*>(addr), len);
}

void eepromWrite(uint16_t addr, const uint8_t* src, size_t len) {
  eeprom_update_block(src, reinterpret_cast<void*>(addr), len);
}

uint8_t resetCause() {
  if (g_rollrig_boot_marker == kMarkerWatchdog) return proto::kResetWatchdog;
  if (g_rollrig_boot_marker == kMarkerReboot) return proto::kResetRequested;
  const uint8_t m = g_rollrig_mcusr;
  if (m & _BV(PORF)) return proto::kResetPowerOn;
  if (m & _BV(BORF)) return proto::kResetBrownOut;
  // WDRF without our marker: Optiboot's own timeout after an external reset (port opened).
  if (m & (_BV(EXTRF) | _BV(WDRF))) return proto::kResetExternal;
  return proto::kResetUnknown;
}

uint32_t entropy() {
  // FNV-1a over ADC LSBs of the analog inputs (floating or noisy) and timer jitter. Not for
  // cryptography: only to make device serials differ between boards.
  uint32_t h = 2166136261UL;
  for (uint8_t i = 0; i < 64; ++i) {
    const int a = analogRead(A0 + (i % 6));
    h = (h ^ static_cast<uint8_t>(a)) * 16777619UL;
    h = (h ^ static_cast<uint8_t>(::micros())) * 16777619UL;
  }
  return h;
}

void watchdogEnable() {
  // Interrupt-then-reset mode, 250 ms each: a stalled loop is marked, then reset at ~0.5 s.
  cli();
  wdt_reset();
  WDTCSR = _BV(WDCE) | _BV(WDE);
  WDTCSR = _BV(WDIE) | _BV(WDE) | _BV(WDP2);
  sei();
}

void watchdogKick() {
  wdt_reset();
  if (!(WDTCSR & _BV(WDIE))) {
    // The interrupt fired but the loop came back in time: not a stall after all. Re-arm.
    g_rollrig_marker = 0;
    WDTCSR |= _BV(WDIE);
  }
}

void reboot() {
  cli();
  g_rollrig_marker = kMarkerReboot;
  wdt_reset();
  WDTCSR = _BV(WDCE) | _BV(WDE);
  WDTCSR = _BV(WDE);  // reset-only, 16 ms
  for (;;) {
  }
}

void setLed(bool on) {
  digitalWrite(pins::kLed, on ? HIGH : LOW);
}

}  // namespace hal
}  // namespace rollrig

#endif  // __AVR__

// rollrig firmware — streams four HX711 load cells at 80 SPS over USB serial.
//
// This file is only the shell the Arduino IDE expects. The logic is in src/ (compiled by the
// IDE as part of the sketch): src/firmware.cpp, the board layer src/hal_avr.cpp, the pins in
// src/pins.h, options in src/config.h, the wire protocol in src/protocol/ (firmware/PROTOCOL.md).
//
// Board: Arduino Uno or Nano (ATmega328P, 16 MHz). Serial: 250000 baud.
#include "src/firmware.h"

static rollrig::Firmware g_firmware;

void setup() {
  g_firmware.setup();
}

void loop() {
  g_firmware.poll();
}

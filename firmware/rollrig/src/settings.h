// Settings kept in EEPROM: a versioned little-endian record with a CRC, written field by field.
// If the magic, version or CRC do not match (new board, older firmware, worn cell), defaults are
// restored, stored, and reported (INFO status_flags, SETTINGS defaults_restored).
// Plain C++; host-tested.
//
// EEPROM layout at kSettingsAddress (kSettingsBlobSize bytes):
//   0 magic 'R','S' | 2 version u8 | 3 device_serial u32 | 7 baud u32 | 11 cell_count u8 |
//   12 board_name[12] | 24 crc16 (CRC-16/CCITT-FALSE over bytes 0..23)
#ifndef ROLLRIG_SETTINGS_H
#define ROLLRIG_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"

namespace rollrig {

const uint8_t kSettingsVersion = 1;
const uint16_t kSettingsAddress = 0;
const size_t kSettingsBlobSize = 26;

struct Settings {
  uint32_t device_serial;
  uint32_t baud;
  uint8_t cell_count;
  char board_name[proto::kBoardNameSize];  // NUL-padded
};

// Defaults with the given serial.
void settingsDefaults(Settings* s, uint32_t device_serial);
// Writes the EEPROM record; blob must hold kSettingsBlobSize bytes.
void settingsEncode(const Settings& s, uint8_t* blob);
// Reads a record; false (and *s untouched) if magic, version, CRC or a value is wrong.
bool settingsDecode(const uint8_t* blob, Settings* s);

bool settingsBaudAllowed(uint32_t baud);

// Applies one SET_SETTING (key + value bytes) to *s; returns a proto::AckResult. *s is unchanged
// unless the result is kAckOk.
uint8_t settingsApply(Settings* s, uint8_t key, const uint8_t* value, uint8_t len);

// A device serial from noise: never 0 or 0xFFFFFFFF (erased EEPROM reads as all ones).
uint32_t makeDeviceSerial(uint32_t noise);

}  // namespace rollrig

#endif  // ROLLRIG_SETTINGS_H

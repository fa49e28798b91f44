#include "settings.h"

#include "config.h"

namespace rollrig {

namespace {
const uint8_t kMagic0 = 'R';
const uint8_t kMagic1 = 'S';
}  // namespace

void settingsDefaults(Settings* s, uint32_t device_serial) {
  s->device_serial = device_serial;
  s->baud = config::kDefaultBaud;
  s->cell_count = config::kDefaultCellCount;
  for (uint8_t i = 0; i < proto::kBoardNameSize; ++i) s->board_name[i] = 0;
  for (uint8_t i = 0; i < proto::kBoardNameSize && config::kDefaultBoardName[i]; ++i)
    s->board_name[i] = config::kDefaultBoardName[i];
}

void settingsEncode(const Settings& s, uint8_t* blob) {
  uint8_t* p = blob;
  proto::putU8(p, kMagic0);
  proto::putU8(p, kMagic1);
  proto::putU8(p, kSettingsVersion);
  proto::putU32(p, s.device_serial);
  proto::putU32(p, s.baud);
  proto::putU8(p, s.cell_count);
  for (uint8_t i = 0; i < proto::kBoardNameSize; ++i)
    proto::putU8(p, static_cast<uint8_t>(s.board_name[i]));
  proto::putU16(p, proto::crc16(blob, kSettingsBlobSize - 2));
}

bool settingsBaudAllowed(uint32_t baud) {
  return baud == 115200UL || baud == 250000UL || baud == 500000UL || baud == 1000000UL;
}

bool settingsDecode(const uint8_t* blob, Settings* s) {
  if (blob[0] != kMagic0 || blob[1] != kMagic1 || blob[2] != kSettingsVersion) return false;
  const uint8_t* c = blob + kSettingsBlobSize - 2;
  if (proto::getU16(c) != proto::crc16(blob, kSettingsBlobSize - 2)) return false;
  Settings t;
  const uint8_t* p = blob + 3;
  t.device_serial = proto::getU32(p);
  t.baud = proto::getU32(p);
  t.cell_count = proto::getU8(p);
  for (uint8_t i = 0; i < proto::kBoardNameSize; ++i)
    t.board_name[i] = static_cast<char>(proto::getU8(p));
  if (!settingsBaudAllowed(t.baud) || t.cell_count < 1 || t.cell_count > config::kMaxCells)
    return false;
  if (t.device_serial == 0 || t.device_serial == 0xFFFFFFFFUL) return false;
  *s = t;
  return true;
}

uint8_t settingsApply(Settings* s, uint8_t key, const uint8_t* value, uint8_t len) {
  const uint8_t* p = value;
  switch (key) {
    case proto::kSettingBoardName: {
      if (len < 1 || len > proto::kBoardNameSize) return proto::kAckBadLength;
      for (uint8_t i = 0; i < len; ++i) {
        if (value[i] < 0x20 || value[i] > 0x7E) return proto::kAckBadValue;
      }
      for (uint8_t i = 0; i < proto::kBoardNameSize; ++i)
        s->board_name[i] = i < len ? static_cast<char>(value[i]) : 0;
      return proto::kAckOk;
    }
    case proto::kSettingBaud: {
      if (len != 4) return proto::kAckBadLength;
      const uint32_t baud = proto::getU32(p);
      if (!settingsBaudAllowed(baud)) return proto::kAckBadValue;
      s->baud = baud;
      return proto::kAckOk;
    }
    case proto::kSettingCellCount: {
      if (len != 1) return proto::kAckBadLength;
      if (value[0] < 1 || value[0] > config::kMaxCells) return proto::kAckBadValue;
      s->cell_count = value[0];
      return proto::kAckOk;
    }
    default:
      return proto::kAckBadValue;
  }
}

uint32_t makeDeviceSerial(uint32_t noise) {
  // splitmix32-style finaliser: spreads a few noisy bits over all 32.
  uint32_t x = noise + 0x9E3779B9UL;
  x ^= x >> 16;
  x *= 0x85EBCA6BUL;
  x ^= x >> 13;
  x *= 0xC2B2AE35UL;
  x ^= x >> 16;
  if (x == 0 || x == 0xFFFFFFFFUL) x = 0x52524C47UL;
  return x;
}

}  // namespace rollrig

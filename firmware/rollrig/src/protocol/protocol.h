// rollrig wire protocol v1 — the single source of truth for the bytes on the wire.
//
// Compiled unchanged into the firmware (avr-gcc, via the Arduino sketch's src/ folder) and into
// the host (g++), so it is freestanding: no STL, no Arduino.h, no heap, no exceptions, only
// <stdint.h>/<stddef.h>. The prose specification with offsets and units is firmware/PROTOCOL.md;
// keep the two in step.
//
// Layering:
//   payload  = type u8, fields little-endian (written field by field, never memcpy'd structs),
//              CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) little-endian over everything before.
//   wire     = COBS(payload) followed by one 0x00 delimiter.
//
// Thread safety: every function is pure over its arguments; FrameAccumulator is a plain value
// owned by one reader.
#ifndef ROLLRIG_PROTOCOL_PROTOCOL_H
#define ROLLRIG_PROTOCOL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

namespace rollrig {
namespace proto {

// [SECTION] Versioning and limits
// A host refuses a device with another major version; minor versions only append fields.
const uint8_t kProtocolMajor = 1;
const uint8_t kProtocolMinor = 0;
// "RLRG" as little-endian u32: bytes 'R','L','R','G' on the wire.
const uint32_t kMagic = 0x47524C52UL;

const uint8_t kMaxChannels = 8;
// Largest decoded payload (type .. CRC) this version accepts. Larger frames are garbage.
const size_t kMaxPayload = 64;
// Largest wire frame: COBS adds one byte per 254 plus one, and the 0x00 delimiter.
const size_t kMaxWireFrame = kMaxPayload + 2 + 1;
const size_t kCrcSize = 2;

// [SECTION] Frame types
enum FrameType {
  // device -> host
  kTypeSample = 0x01,
  kTypeInfo = 0x02,
  kTypeStatus = 0x03,
  kTypeAck = 0x04,
  kTypeSettings = 0x05,
  // host -> device
  kCmdIdentify = 0x10,
  kCmdStart = 0x11,
  kCmdStop = 0x12,
  kCmdPing = 0x13,
  kCmdGetSettings = 0x14,  // ACK, then SETTINGS
  kCmdSetSetting = 0x15,   // args: key u8, value; ACK; stored in EEPROM, applied at next boot
  kCmdReboot = 0x16,       // ACK, then the device restarts (watchdog), applying stored settings
};

// SET_SETTING keys and their values.
enum SettingKey {
  kSettingBoardName = 1,  // 1..kBoardNameSize printable ASCII bytes
  kSettingBaud = 2,       // u32: 115200, 250000, 500000 or 1000000
  kSettingCellCount = 3,  // u8: 1..4
};
const uint8_t kBoardNameSize = 12;

// INFO status_flags (bit set).
enum InfoFlag {
  kInfoSettingsRestored = 0x01,  // EEPROM settings were invalid at boot; defaults were restored
};

// SAMPLE flags (bit set).
enum SampleFlag {
  kFlagSaturated = 0x01,     // a channel read 0x7FFFFF or 0x800000
  kFlagHx711Timeout = 0x02,  // a channel did not become ready in time (value is stale)
  kFlagTxOverflow = 0x04,    // frames were dropped before this one because TX had no room
  kFlagSettling = 0x08,      // a chip is inside its settling time after power-up/reset
  kFlagResetSeen = 0x10,     // first SAMPLE after a device reset
};

enum AckResult {
  kAckOk = 0,
  kAckUnknownCommand = 1,
  kAckBadLength = 2,
  kAckBadValue = 3,
  kAckBusy = 4,
  kAckBadFrame = 5,  // a garbled frame (bad COBS or CRC); cmd_seq and cmd_type are 0
};

enum ResetCause {
  kResetUnknown = 0,
  kResetPowerOn = 1,
  kResetExternal = 2,
  kResetBrownOut = 3,
  kResetWatchdog = 4,   // the firmware's main loop stalled
  kResetRequested = 5,  // the host sent REBOOT
};

// [SECTION] Frame contents (host-friendly values; the wire layout is in PROTOCOL.md)
struct SampleFrame {
  uint16_t seq;           // advances for every frame built, including frames the device dropped
  uint32_t t_us;          // device microsecond counter at conversion-ready, wraps every ~71.6 min
  uint8_t fresh_mask;     // bit i set: channel i is a new conversion (not a repeat)
  uint8_t flags;          // SampleFlag bits
  uint8_t channel_count;  // 1..kMaxChannels, implied by the payload length on the wire
  int32_t raw_counts[kMaxChannels];  // sign-extended 24-bit two's complement HX711 counts
};

struct InfoFrame {
  uint32_t magic;
  uint8_t proto_major;
  uint8_t proto_minor;
  uint8_t fw_major;
  uint8_t fw_minor;
  uint8_t fw_patch;
  uint32_t build_id;
  uint8_t channel_count;
  uint16_t rate_hz;  // nominal sample rate
  uint32_t device_serial;
  uint8_t reset_cause;   // ResetCause of the last boot
  uint8_t status_flags;  // InfoFlag bits
};

struct StatusFrame {
  uint32_t uptime_ms;
  uint32_t frames_dropped;  // since boot
  uint16_t bad_commands;    // since boot
  uint16_t hx711_timeouts;  // since boot
  uint8_t reset_cause;      // ResetCause of the last boot
  uint8_t streaming;        // 1 while START is in effect
};

struct SettingsFrame {
  uint8_t version;  // settings layout version stored in EEPROM
  uint32_t device_serial;
  uint8_t cell_count;
  uint32_t baud;
  char board_name[kBoardNameSize];  // NUL-padded, not necessarily NUL-terminated
  uint8_t defaults_restored;        // 1 if EEPROM was invalid at boot
};

struct AckFrame {
  uint8_t cmd_seq;   // the command's sequence byte, echoed
  uint8_t cmd_type;  // the command's type, echoed (0 if unreadable)
  uint8_t result;    // AckResult; anything but kAckOk is a NACK
};

const uint8_t kMaxCommandArgs = 16;
struct CommandFrame {
  uint8_t type;  // FrameType kCmd*
  uint8_t seq;   // echoed in the ACK
  uint8_t arg_len;
  uint8_t args[kMaxCommandArgs];
};

// Payload sizes including type byte and CRC.
const size_t kSamplePayloadBase = 9;  // type, seq, t_us, fresh, flags
inline size_t samplePayloadSize(uint8_t channels) {
  return kSamplePayloadBase + 3u * channels + kCrcSize;
}
const size_t kInfoPayloadSize = 25;
const size_t kSettingsPayloadSize = 26;
const size_t kStatusPayloadSize = 17;
const size_t kAckPayloadSize = 6;
const size_t kCommandPayloadMin = 4;  // type, seq, CRC

// [SECTION] CRC and COBS
uint16_t crc16(const uint8_t* data, size_t len, uint16_t crc = 0xFFFF);

// COBS-encodes len bytes into out (no delimiter). Returns bytes written, or 0 if cap is short.
size_t cobsEncode(const uint8_t* in, size_t len, uint8_t* out, size_t cap);
// Decodes one COBS block (without delimiter) into out; in and out may be the same buffer.
// Returns decoded length, or 0 when the block is malformed (zero byte inside, code overruns).
size_t cobsDecode(const uint8_t* in, size_t len, uint8_t* out, size_t cap);

// [SECTION] Encoding: frame -> wire bytes (COBS + delimiter). Returns bytes written or 0.
size_t encodeSample(const SampleFrame& f, uint8_t* wire, size_t cap);
size_t encodeInfo(const InfoFrame& f, uint8_t* wire, size_t cap);
size_t encodeStatus(const StatusFrame& f, uint8_t* wire, size_t cap);
size_t encodeAck(const AckFrame& f, uint8_t* wire, size_t cap);
size_t encodeSettings(const SettingsFrame& f, uint8_t* wire, size_t cap);
size_t encodeCommand(const CommandFrame& f, uint8_t* wire, size_t cap);
// Appends the CRC to payload[0..len) (payload must have room for 2 more bytes), COBS-encodes
// and terminates. The building block of the encode* functions.
size_t finishFrame(uint8_t* payload, size_t len, uint8_t* wire, size_t cap);

// [SECTION] Decoding: one decoded payload (type .. CRC) -> frame
enum ParseResult {
  kParseOk = 0,
  kParseTooShort,  // fewer bytes than type + CRC
  kParseBadCrc,
  kParseBadLength,    // CRC fine but the size does not fit the type
  kParseUnknownType,  // CRC fine, type not known to this version: ignore it
};
// Checks the CRC; on success *type is the frame type.
ParseResult checkPayload(const uint8_t* payload, size_t len, uint8_t* type);
// The parse* functions assume checkPayload() succeeded; len includes the CRC.
// Longer payloads than this version knows are accepted (fields are only ever appended).
ParseResult parseSample(const uint8_t* payload, size_t len, SampleFrame* out);
ParseResult parseInfo(const uint8_t* payload, size_t len, InfoFrame* out);
ParseResult parseStatus(const uint8_t* payload, size_t len, StatusFrame* out);
ParseResult parseAck(const uint8_t* payload, size_t len, AckFrame* out);
ParseResult parseSettings(const uint8_t* payload, size_t len, SettingsFrame* out);
ParseResult parseCommand(const uint8_t* payload, size_t len, CommandFrame* out);

// [SECTION] FrameAccumulator: bytes in, one decoded payload out at each delimiter.
// Small and allocation-free for the firmware's command input; the host decoder has its own
// faster loop with statistics. Oversized input is discarded up to the next delimiter.
class FrameAccumulator {
 public:
  enum Event { kNone = 0, kFrame, kOverflow, kMalformed };
  FrameAccumulator() : m_len(0), m_decoded(0), m_overflow(false) {}
  // Feed one byte. On kFrame, payload()/size() hold the decoded payload until the next push.
  Event push(uint8_t byte);
  const uint8_t* payload() const { return m_buf; }
  size_t size() const { return m_decoded; }

 private:
  uint8_t m_buf[kMaxWireFrame];
  size_t m_len;
  size_t m_decoded;
  bool m_overflow;
};

// [SECTION] Little-endian field helpers (shared so both sides agree on every byte)
inline void putU8(uint8_t*& p, uint8_t v) {
  *p++ = v;
}
inline void putU16(uint8_t*& p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v);
  *p++ = static_cast<uint8_t>(v >> 8);
}
inline void putU32(uint8_t*& p, uint32_t v) {
  putU16(p, static_cast<uint16_t>(v));
  putU16(p, static_cast<uint16_t>(v >> 16));
}
inline void putI24(uint8_t*& p, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  *p++ = static_cast<uint8_t>(u);
  *p++ = static_cast<uint8_t>(u >> 8);
  *p++ = static_cast<uint8_t>(u >> 16);
}
inline uint8_t getU8(const uint8_t*& p) {
  return *p++;
}
inline uint16_t getU16(const uint8_t*& p) {
  uint16_t v = static_cast<uint16_t>(p[0] | (static_cast<uint16_t>(p[1]) << 8));
  p += 2;
  return v;
}
inline uint32_t getU32(const uint8_t*& p) {
  uint32_t lo = getU16(p);
  uint32_t hi = getU16(p);
  return lo | (hi << 16);
}
inline int32_t getI24(const uint8_t*& p) {
  uint32_t u = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
               (static_cast<uint32_t>(p[2]) << 16);
  p += 3;
  if (u & 0x800000UL) u |= 0xFF000000UL;  // sign-extend
  return static_cast<int32_t>(u);
}

}  // namespace proto
}  // namespace rollrig

#endif  // ROLLRIG_PROTOCOL_PROTOCOL_H

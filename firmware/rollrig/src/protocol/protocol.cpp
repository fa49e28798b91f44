// rollrig wire protocol v1 — implementation. See protocol.h and firmware/PROTOCOL.md.
#include "protocol.h"

namespace rollrig {
namespace proto {

// [SECTION] CRC-16/CCITT-FALSE
// Byte-wise shift formulation of poly 0x1021 (no table: 512 bytes of table would cost the AVR
// flash for no measurable gain at 2 kB/s; the host decoder reaches >100 MB/s with it anyway).
uint16_t crc16(const uint8_t* data, size_t len, uint16_t crc) {
  for (size_t i = 0; i < len; ++i) {
    uint16_t x = static_cast<uint16_t>(((crc >> 8) ^ data[i]) & 0xFF);
    x ^= x >> 4;
    crc = static_cast<uint16_t>((crc << 8) ^ (x << 12) ^ (x << 5) ^ x);
  }
  return crc;
}

// [SECTION] COBS
size_t cobsEncode(const uint8_t* in, size_t len, uint8_t* out, size_t cap) {
  if (cap < len + len / 254 + 1) return 0;
  size_t code_pos = 0;
  size_t o = 1;
  uint8_t code = 1;
  for (size_t i = 0; i < len; ++i) {
    if (in[i] == 0) {
      out[code_pos] = code;
      code_pos = o++;
      code = 1;
    } else {
      out[o++] = in[i];
      if (++code == 0xFF) {
        out[code_pos] = code;
        code_pos = o++;
        code = 1;
      }
    }
  }
  out[code_pos] = code;
  return o;
}

size_t cobsDecode(const uint8_t* in, size_t len, uint8_t* out, size_t cap) {
  size_t i = 0;
  size_t o = 0;
  while (i < len) {
    uint8_t code = in[i++];
    if (code == 0) return 0;
    for (uint8_t k = 1; k < code; ++k) {
      if (i >= len || o >= cap) return 0;
      uint8_t b = in[i++];
      if (b == 0) return 0;
      out[o++] = b;
    }
    // A code below 0xFF implies a zero, except after the final block.
    if (code != 0xFF && i < len) {
      if (o >= cap) return 0;
      out[o++] = 0;
    }
  }
  return o;
}

// [SECTION] Encoding
size_t finishFrame(uint8_t* payload, size_t len, uint8_t* wire, size_t cap) {
  uint16_t crc = crc16(payload, len);
  uint8_t* p = payload + len;
  putU16(p, crc);
  size_t n = cobsEncode(payload, len + kCrcSize, wire, cap);
  if (n == 0 || n >= cap) return 0;
  wire[n] = 0;
  return n + 1;
}

size_t encodeSample(const SampleFrame& f, uint8_t* wire, size_t cap) {
  if (f.channel_count == 0 || f.channel_count > kMaxChannels) return 0;
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, kTypeSample);
  putU16(p, f.seq);
  putU32(p, f.t_us);
  putU8(p, f.fresh_mask);
  putU8(p, f.flags);
  for (uint8_t i = 0; i < f.channel_count; ++i) putI24(p, f.raw_counts[i]);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

size_t encodeInfo(const InfoFrame& f, uint8_t* wire, size_t cap) {
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, kTypeInfo);
  putU32(p, f.magic);
  putU8(p, f.proto_major);
  putU8(p, f.proto_minor);
  putU8(p, f.fw_major);
  putU8(p, f.fw_minor);
  putU8(p, f.fw_patch);
  putU32(p, f.build_id);
  putU8(p, f.channel_count);
  putU16(p, f.rate_hz);
  putU32(p, f.device_serial);
  putU8(p, f.reset_cause);
  putU8(p, f.status_flags);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

size_t encodeStatus(const StatusFrame& f, uint8_t* wire, size_t cap) {
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, kTypeStatus);
  putU32(p, f.uptime_ms);
  putU32(p, f.frames_dropped);
  putU16(p, f.bad_commands);
  putU16(p, f.hx711_timeouts);
  putU8(p, f.reset_cause);
  putU8(p, f.streaming);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

size_t encodeAck(const AckFrame& f, uint8_t* wire, size_t cap) {
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, kTypeAck);
  putU8(p, f.cmd_seq);
  putU8(p, f.cmd_type);
  putU8(p, f.result);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

size_t encodeSettings(const SettingsFrame& f, uint8_t* wire, size_t cap) {
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, kTypeSettings);
  putU8(p, f.version);
  putU32(p, f.device_serial);
  putU8(p, f.cell_count);
  putU32(p, f.baud);
  for (uint8_t i = 0; i < kBoardNameSize; ++i) putU8(p, static_cast<uint8_t>(f.board_name[i]));
  putU8(p, f.defaults_restored);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

size_t encodeCommand(const CommandFrame& f, uint8_t* wire, size_t cap) {
  if (f.arg_len > kMaxCommandArgs) return 0;
  uint8_t buf[kMaxPayload];
  uint8_t* p = buf;
  putU8(p, f.type);
  putU8(p, f.seq);
  for (uint8_t i = 0; i < f.arg_len; ++i) putU8(p, f.args[i]);
  return finishFrame(buf, static_cast<size_t>(p - buf), wire, cap);
}

// [SECTION] Decoding
ParseResult checkPayload(const uint8_t* payload, size_t len, uint8_t* type) {
  if (len < 1 + kCrcSize) return kParseTooShort;
  const uint8_t* c = payload + len - kCrcSize;
  uint16_t want = getU16(c);
  if (crc16(payload, len - kCrcSize) != want) return kParseBadCrc;
  *type = payload[0];
  switch (payload[0]) {
    case kTypeSample:
    case kTypeInfo:
    case kTypeStatus:
    case kTypeAck:
    case kTypeSettings:
    case kCmdIdentify:
    case kCmdStart:
    case kCmdStop:
    case kCmdPing:
    case kCmdGetSettings:
    case kCmdSetSetting:
    case kCmdReboot:
      return kParseOk;
    default:
      return kParseUnknownType;
  }
}

ParseResult parseSample(const uint8_t* payload, size_t len, SampleFrame* out) {
  if (len < samplePayloadSize(1)) return kParseBadLength;
  size_t body = len - kCrcSize - kSamplePayloadBase;
  // v1 has no appended fields after the counts, so the count section must be whole.
  if (body % 3 != 0 || body / 3 > kMaxChannels) return kParseBadLength;
  const uint8_t* p = payload + 1;
  out->seq = getU16(p);
  out->t_us = getU32(p);
  out->fresh_mask = getU8(p);
  out->flags = getU8(p);
  out->channel_count = static_cast<uint8_t>(body / 3);
  for (uint8_t i = 0; i < out->channel_count; ++i) out->raw_counts[i] = getI24(p);
  for (uint8_t i = out->channel_count; i < kMaxChannels; ++i) out->raw_counts[i] = 0;
  return kParseOk;
}

ParseResult parseInfo(const uint8_t* payload, size_t len, InfoFrame* out) {
  if (len < kInfoPayloadSize) return kParseBadLength;
  const uint8_t* p = payload + 1;
  out->magic = getU32(p);
  out->proto_major = getU8(p);
  out->proto_minor = getU8(p);
  out->fw_major = getU8(p);
  out->fw_minor = getU8(p);
  out->fw_patch = getU8(p);
  out->build_id = getU32(p);
  out->channel_count = getU8(p);
  out->rate_hz = getU16(p);
  out->device_serial = getU32(p);
  out->reset_cause = getU8(p);
  out->status_flags = getU8(p);
  return kParseOk;
}

ParseResult parseStatus(const uint8_t* payload, size_t len, StatusFrame* out) {
  if (len < kStatusPayloadSize) return kParseBadLength;
  const uint8_t* p = payload + 1;
  out->uptime_ms = getU32(p);
  out->frames_dropped = getU32(p);
  out->bad_commands = getU16(p);
  out->hx711_timeouts = getU16(p);
  out->reset_cause = getU8(p);
  out->streaming = getU8(p);
  return kParseOk;
}

ParseResult parseAck(const uint8_t* payload, size_t len, AckFrame* out) {
  if (len < kAckPayloadSize) return kParseBadLength;
  const uint8_t* p = payload + 1;
  out->cmd_seq = getU8(p);
  out->cmd_type = getU8(p);
  out->result = getU8(p);
  return kParseOk;
}

ParseResult parseSettings(const uint8_t* payload, size_t len, SettingsFrame* out) {
  if (len < kSettingsPayloadSize) return kParseBadLength;
  const uint8_t* p = payload + 1;
  out->version = getU8(p);
  out->device_serial = getU32(p);
  out->cell_count = getU8(p);
  out->baud = getU32(p);
  for (uint8_t i = 0; i < kBoardNameSize; ++i) out->board_name[i] = static_cast<char>(getU8(p));
  out->defaults_restored = getU8(p);
  return kParseOk;
}

ParseResult parseCommand(const uint8_t* payload, size_t len, CommandFrame* out) {
  if (len < kCommandPayloadMin) return kParseBadLength;
  size_t args = len - kCommandPayloadMin;
  if (args > kMaxCommandArgs) return kParseBadLength;
  const uint8_t* p = payload;
  out->type = getU8(p);
  out->seq = getU8(p);
  out->arg_len = static_cast<uint8_t>(args);
  for (size_t i = 0; i < args; ++i) out->args[i] = getU8(p);
  return kParseOk;
}

// [SECTION] FrameAccumulator
FrameAccumulator::Event FrameAccumulator::push(uint8_t byte) {
  if (byte != 0) {
    if (m_len < sizeof(m_buf)) {
      m_buf[m_len++] = byte;
    } else {
      m_overflow = true;
    }
    return kNone;
  }
  // Delimiter: finish whatever we have.
  size_t n = m_len;
  bool overflow = m_overflow;
  m_len = 0;
  m_overflow = false;
  if (overflow) return kOverflow;
  if (n == 0) return kNone;  // back-to-back delimiters are harmless padding
  m_decoded = cobsDecode(m_buf, n, m_buf, sizeof(m_buf));
  return m_decoded == 0 ? kMalformed : kFrame;
}

}  // namespace proto
}  // namespace rollrig

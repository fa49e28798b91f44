#include "firmware.h"

#include "hal.h"

#ifndef ROLLRIG_BUILD_ID
// Without a build id from the build system (e.g. the Arduino IDE), hash the compile time.
namespace {
constexpr uint32_t fnv1a(const char* s, uint32_t h) {
  return *s ? fnv1a(s + 1, (h ^ static_cast<uint8_t>(*s)) * 16777619UL) : h;
}
}  // namespace
#define ROLLRIG_BUILD_ID (fnv1a(__DATE__ " " __TIME__, 2166136261UL))
#endif

namespace rollrig {

namespace {
// After REBOOT's ACK, wait this long before restarting so the ACK leaves the UART.
const uint32_t kRebootDelay_us = 20000UL;
// Bytes taken from the UART per pass, so a flood of input cannot starve the HX711 polling.
const uint8_t kRxBytesPerPoll = 32;
}  // namespace

Firmware::Firmware()
    : m_settings_restored(false),
      m_reset_cause(proto::kResetUnknown),
      m_fresh(0),
      m_saturated(0),
      m_set_open(false),
      m_set_start_us(0),
      m_streaming(false),
      m_first_sample(true),
      m_tx_overflow(false),
      m_seq(0),
      m_last_us(0),
      m_uptime_ms(0),
      m_uptime_rem_us(0),
      m_next_status_ms(0),
      m_reboot_pending(false),
      m_reboot_at_us(0),
      m_frames_dropped(0),
      m_bad_commands(0),
      m_hx711_timeouts(0),
      m_pending_len(0) {
  for (uint8_t i = 0; i < config::kMaxCells; ++i) m_counts[i] = 0;
  settingsDefaults(&m_settings, 1);
}

// [SECTION] Boot
void Firmware::loadSettings() {
  uint8_t blob[kSettingsBlobSize];
  hal::eepromRead(kSettingsAddress, blob, sizeof(blob));
  if (settingsDecode(blob, &m_settings)) return;
  // New board or unreadable record: defaults, a fresh serial, stored at once.
  settingsDefaults(&m_settings, makeDeviceSerial(hal::entropy()));
  settingsEncode(m_settings, blob);
  hal::eepromWrite(kSettingsAddress, blob, sizeof(blob));
  m_settings_restored = true;
}

void Firmware::setup() {
  m_reset_cause = hal::resetCause();
  loadSettings();
  hal::begin(m_settings.baud);
  const uint32_t now = hal::micros();
  for (uint8_t ch = 0; ch < config::kMaxCells; ++ch) m_hx[ch].start(now);
  m_last_us = now;
  m_next_status_ms = config::kStatusPeriod_us / 1000UL;
  // A 0x00 first ends any partial frame the host's decoder holds from before the reset.
  const uint8_t zero = 0;
  if (hal::txRoom() > 0) hal::txWrite(&zero, 1);
  sendInfo();
  if (config::kWatchdogEnabled) hal::watchdogEnable();
}

// [SECTION] Main loop
void Firmware::poll() {
  hal::watchdogKick();
  const uint32_t now = hal::micros();
  const uint32_t dt = now - m_last_us;
  m_last_us = now;
  m_uptime_rem_us += dt;
  m_uptime_ms += m_uptime_rem_us / 1000UL;
  m_uptime_rem_us %= 1000UL;

  flushPending();
  pollRx();
  pollHx711(now);
  // Signed: a set opened by a read later in this pass is stamped after `now`.
  if (m_set_open &&
      static_cast<int32_t>(now - m_set_start_us) >= static_cast<int32_t>(config::kSetTimeout_us))
    emitSet(now);
  // A STATUS tells the uptime when it leaves, so it is built only when it can go at once: queued
  // behind the samples (which go first), a stale uptime would read to the host as a reboot. While
  // TX is full it stays due; if it fell a whole period behind, the cadence starts again from now.
  if (!m_reboot_pending && static_cast<int32_t>(m_uptime_ms - m_next_status_ms) >= 0 &&
      m_pending_len == 0 && controlRoom() >= proto::kStatusPayloadSize + 2) {
    m_next_status_ms += config::kStatusPeriod_us / 1000UL;
    if (static_cast<int32_t>(m_uptime_ms - m_next_status_ms) >= 0)
      m_next_status_ms = m_uptime_ms + config::kStatusPeriod_us / 1000UL;
    sendStatus();
  }
  // Signed, as above: REBOOT arrives in pollRx(), after `now` was read, so right after the
  // command `now - m_reboot_at_us` is a few microseconds below zero (unsigned, it wrapped, and
  // the board restarted at once with the ACK still in the UART). The ACK is the last frame sent
  // (nothing is queued after it), so by then the UART has sent everything, whole frames only.
  if (m_reboot_pending && m_pending_len == 0 &&
      static_cast<int32_t>(now - m_reboot_at_us) >= static_cast<int32_t>(kRebootDelay_us))
    hal::reboot();
}

// [SECTION] Commands
void Firmware::pollRx() {
  for (uint8_t i = 0; i < kRxBytesPerPoll; ++i) {
    // While an answer waits for TX room, leave further commands in the UART's RX buffer so
    // back-to-back commands all get their answers (the host sees the delay, never a loss).
    // After REBOOT nothing more is read: the reset takes what is left.
    if (m_pending_len != 0 || m_reboot_pending) return;
    const int b = hal::rxRead();
    if (b < 0) return;
    switch (m_rx.push(static_cast<uint8_t>(b))) {
      case proto::FrameAccumulator::kNone:
        break;
      case proto::FrameAccumulator::kOverflow:
      case proto::FrameAccumulator::kMalformed:
        ++m_bad_commands;
        sendAck(0, 0, proto::kAckBadFrame);
        break;
      case proto::FrameAccumulator::kFrame: {
        uint8_t type = 0;
        const proto::ParseResult r = proto::checkPayload(m_rx.payload(), m_rx.size(), &type);
        proto::CommandFrame c;
        if (r == proto::kParseOk && type >= proto::kCmdIdentify &&
            proto::parseCommand(m_rx.payload(), m_rx.size(), &c) == proto::kParseOk) {
          handleCommand(c);
        } else if (r == proto::kParseOk || r == proto::kParseUnknownType) {
          ++m_bad_commands;
          sendAck(m_rx.size() > 1 ? m_rx.payload()[1] : 0, type, proto::kAckUnknownCommand);
        } else {
          ++m_bad_commands;
          sendAck(0, 0, proto::kAckBadFrame);
        }
        break;
      }
    }
  }
}

void Firmware::handleCommand(const proto::CommandFrame& c) {
  switch (c.type) {
    case proto::kCmdIdentify:
      sendAck(c.seq, c.type, proto::kAckOk);
      sendInfo();
      break;
    case proto::kCmdStart:
      if (!m_streaming) {
        m_streaming = true;
        m_set_open = false;
        m_fresh = 0;
        m_saturated = 0;
        hal::setLed(true);
      }
      sendAck(c.seq, c.type, proto::kAckOk);
      break;
    case proto::kCmdStop:
      m_streaming = false;
      m_set_open = false;
      hal::setLed(false);
      sendAck(c.seq, c.type, proto::kAckOk);
      break;
    case proto::kCmdPing:
      sendAck(c.seq, c.type, proto::kAckOk);
      break;
    case proto::kCmdGetSettings:
      sendAck(c.seq, c.type, proto::kAckOk);
      sendSettings();
      break;
    case proto::kCmdSetSetting: {
      if (c.arg_len < 1) {
        sendAck(c.seq, c.type, proto::kAckBadLength);
        break;
      }
      // Start from what is stored (earlier SET_SETTINGs since boot), not from what runs.
      Settings next = m_settings;
      uint8_t blob[kSettingsBlobSize];
      hal::eepromRead(kSettingsAddress, blob, sizeof(blob));
      settingsDecode(blob, &next);
      const uint8_t r =
          settingsApply(&next, c.args[0], c.args + 1, static_cast<uint8_t>(c.arg_len - 1));
      if (r == proto::kAckOk) {
        // Stored now, applied at the next boot (REBOOT): a new baud or cell count mid-session
        // would cut the host off. GET_SETTINGS reports the stored values.
        settingsEncode(next, blob);
        hal::eepromWrite(kSettingsAddress, blob, sizeof(blob));
      }
      sendAck(c.seq, c.type, r);
      break;
    }
    case proto::kCmdReboot:
      sendAck(c.seq, c.type, proto::kAckOk);
      // From here on nothing more is queued (no SAMPLE, STATUS or answer), so no frame can be
      // cut off by the reset.
      m_streaming = false;
      m_set_open = false;
      m_reboot_pending = true;
      m_reboot_at_us = hal::micros();
      break;
    default:
      ++m_bad_commands;
      sendAck(c.seq, c.type, proto::kAckUnknownCommand);
      break;
  }
}

// [SECTION] HX711 and sample sets
void Firmware::pollHx711(uint32_t now) {
  // A set completed in this pass is stamped with the time of its last read, not with `now`: a set
  // sent earlier in the pass (a chip converted twice) carries a read's time, later than `now`, and
  // set times must never run back (the host would take that for a reboot).
  uint32_t last_read = now;
  for (uint8_t ch = 0; ch < m_settings.cell_count; ++ch) {
    Hx711Monitor& m = m_hx[ch];
    if (m.checkTimeout(now)) ++m_hx711_timeouts;
    if (!m.shouldPoll(now) || !hal::hx711Ready(ch)) continue;
    const uint32_t raw = hal::hx711Shift(ch, config::kHx711Pulses);
    const uint32_t t = hal::micros();
    last_read = t;
    if (!m.onRead(t, hal::hx711Ready(ch))) continue;
    addToSet(ch, hx711ToCounts(raw), hx711Saturated(raw), t);
  }
  // A set is complete when every live enabled channel has reported.
  uint8_t live = 0;
  for (uint8_t ch = 0; ch < m_settings.cell_count; ++ch) {
    if (!m_hx[ch].timedOut()) live |= static_cast<uint8_t>(1u << ch);
  }
  if (m_set_open && live != 0 && (m_fresh & live) == live) emitSet(last_read);
}

void Firmware::addToSet(uint8_t ch, int32_t counts, bool saturated, uint32_t now) {
  const uint8_t bit = static_cast<uint8_t>(1u << ch);
  if (m_set_open && (m_fresh & bit)) {
    // This chip converted twice before the set filled: a whole period has passed, so the set
    // is as complete as it will get. Send it and start the next with this conversion.
    emitSet(now);
  }
  if (!m_set_open) {
    m_set_open = true;
    m_set_start_us = now;
    m_fresh = 0;
    m_saturated = 0;
  }
  m_counts[ch] = counts;
  m_fresh |= bit;
  if (saturated) m_saturated |= bit;
}

void Firmware::emitSet(uint32_t now) {
  m_set_open = false;
  if (!m_streaming) return;
  proto::SampleFrame f;
  f.seq = m_seq++;
  f.t_us = now;
  f.fresh_mask = m_fresh;
  f.flags = 0;
  f.channel_count = m_settings.cell_count;
  for (uint8_t ch = 0; ch < f.channel_count; ++ch) {
    f.raw_counts[ch] = m_counts[ch];
    if (m_hx[ch].timedOut()) f.flags |= proto::kFlagHx711Timeout;
    if (m_hx[ch].settling(now)) f.flags |= proto::kFlagSettling;
  }
  if (m_saturated) f.flags |= proto::kFlagSaturated;
  if (m_first_sample) f.flags |= proto::kFlagResetSeen;
  if (m_tx_overflow) f.flags |= proto::kFlagTxOverflow;
  uint8_t wire[proto::kMaxWireFrame];
  const size_t n = proto::encodeSample(f, wire, sizeof(wire));
  // A sample never waits, and goes before answers waiting in m_pending (whole frames only, so
  // nothing is interleaved): a flood of commands can slow the answers, never the stream.
  if (hal::txRoom() >= n) {
    hal::txWrite(wire, n);
    m_first_sample = false;
    m_tx_overflow = false;
  } else {
    ++m_frames_dropped;
    m_tx_overflow = true;
  }
}

// [SECTION] Sending
bool Firmware::flushPending() {
  if (m_pending_len == 0) return true;
  // Whole frames only (each ends with its 0x00), so a SAMPLE can always go out between them.
  const size_t room = controlRoom();
  size_t n = 0;
  for (size_t i = 0; i < m_pending_len && i < room; ++i) {
    if (m_pending[i] == 0) n = i + 1;
  }
  if (n == 0) return false;
  hal::txWrite(m_pending, n);
  for (size_t i = n; i < m_pending_len; ++i) m_pending[i - n] = m_pending[i];
  m_pending_len = static_cast<uint8_t>(m_pending_len - n);
  return m_pending_len == 0;
}

size_t Firmware::controlRoom() const {
  // Answers leave room for one SAMPLE in the UART buffer, so a flood of commands can never
  // crowd out the stream (the buffer drains a SAMPLE in 1 ms; one is due every 12.5 ms).
  const size_t room = hal::txRoom();
  const size_t reserve = proto::samplePayloadSize(m_settings.cell_count) + 2;  // + COBS + delimiter
  return room > reserve ? room - reserve : 0;
}

void Firmware::sendControl(const uint8_t* wire, size_t n) {
  if (n == 0) return;
  if (flushPending() && controlRoom() >= n) {
    hal::txWrite(wire, n);
    return;
  }
  if (m_pending_len + n <= sizeof(m_pending)) {
    for (size_t i = 0; i < n; ++i) m_pending[m_pending_len + i] = wire[i];
    m_pending_len = static_cast<uint8_t>(m_pending_len + n);
    return;
  }
  ++m_frames_dropped;  // no room even to wait: this one is lost, and counted
}

void Firmware::sendAck(uint8_t seq, uint8_t type, uint8_t result) {
  proto::AckFrame a;
  a.cmd_seq = seq;
  a.cmd_type = type;
  a.result = result;
  uint8_t wire[proto::kMaxWireFrame];
  sendControl(wire, proto::encodeAck(a, wire, sizeof(wire)));
}

void Firmware::sendInfo() {
  proto::InfoFrame f;
  f.magic = proto::kMagic;
  f.proto_major = proto::kProtocolMajor;
  f.proto_minor = proto::kProtocolMinor;
  f.fw_major = config::kFirmwareMajor;
  f.fw_minor = config::kFirmwareMinor;
  f.fw_patch = config::kFirmwarePatch;
  f.build_id = ROLLRIG_BUILD_ID;
  f.channel_count = m_settings.cell_count;
  f.rate_hz = config::kNominalRateHz;
  f.device_serial = m_settings.device_serial;
  f.reset_cause = m_reset_cause;
  f.status_flags = m_settings_restored ? proto::kInfoSettingsRestored : 0;
  uint8_t wire[proto::kMaxWireFrame];
  sendControl(wire, proto::encodeInfo(f, wire, sizeof(wire)));
}

void Firmware::sendStatus() {
  proto::StatusFrame s;
  s.uptime_ms = m_uptime_ms;
  s.frames_dropped = m_frames_dropped;
  s.bad_commands = m_bad_commands;
  s.hx711_timeouts = m_hx711_timeouts;
  s.reset_cause = m_reset_cause;
  s.streaming = m_streaming ? 1 : 0;
  uint8_t wire[proto::kMaxWireFrame];
  sendControl(wire, proto::encodeStatus(s, wire, sizeof(wire)));
}

void Firmware::sendSettings() {
  uint8_t blob[kSettingsBlobSize];
  hal::eepromRead(kSettingsAddress, blob, sizeof(blob));
  Settings stored;
  if (!settingsDecode(blob, &stored)) stored = m_settings;
  proto::SettingsFrame f;
  f.version = kSettingsVersion;
  f.device_serial = stored.device_serial;
  f.cell_count = stored.cell_count;
  f.baud = stored.baud;
  for (uint8_t i = 0; i < proto::kBoardNameSize; ++i) f.board_name[i] = stored.board_name[i];
  f.defaults_restored = m_settings_restored ? 1 : 0;
  uint8_t wire[proto::kMaxWireFrame];
  sendControl(wire, proto::encodeSettings(f, wire, sizeof(wire)));
}

}  // namespace rollrig

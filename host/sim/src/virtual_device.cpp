#include "rollrig/sim/virtual_device.h"

#include <algorithm>
#include <cmath>

namespace rollrig::sim {

VirtualDevice::VirtualDevice(const VirtualDeviceConfig& config)
    : m_cfg(config), m_body(config.body), m_fault_rng(config.fault_seed) {}

core::Calibration VirtualDevice::nominalCalibration() const {
  core::Calibration cal;
  for (int i = 0; i < core::kCellCount; ++i) {
    cal.cells[i].offset_counts = m_body.sensors()[i].offset_counts;
    cal.cells[i].n_per_count = 1.0 / m_body.sensors()[i].counts_per_n;
  }
  cal.source = "virtual rig nominal";
  return cal;
}

proto::InfoFrame VirtualDevice::info() const {
  proto::InfoFrame f{};
  f.magic = proto::kMagic;
  f.proto_major = proto::kProtocolMajor;
  f.proto_minor = proto::kProtocolMinor;
  f.fw_major = kFirmwareMajor;
  f.fw_minor = kFirmwareMinor;
  f.fw_patch = kFirmwarePatch;
  f.build_id = 0x5649525Au;  // "VIRZ": marks the in-process virtual rig
  f.channel_count = m_cfg.cell_count;
  f.rate_hz = static_cast<uint16_t>(std::lround(1e6 / kSamplePeriod_us));
  f.device_serial = m_cfg.device_serial;
  f.reset_cause = proto::kResetExternal;  // opening the port resets an Uno
  return f;
}

void VirtualDevice::receive(const uint8_t* data, size_t len) {
  m_pending_commands.insert(m_pending_commands.end(), data, data + len);
}

uint64_t VirtualDevice::nextEventTime_us() const {
  uint64_t t = m_next_status_us;
  if (m_cfg.reset_at_us > 0 && !m_reset_done) t = std::min(t, m_cfg.reset_at_us);
  if (m_streaming) t = std::min(t, m_next_sample_us);
  if (!m_booted || !m_pending_commands.empty()) t = m_now_us;
  return t;
}

void VirtualDevice::advanceTo(uint64_t t_since_boot_us, std::vector<uint8_t>& out) {
  if (!m_booted) {
    m_booted = true;
    sendInfo(out);  // boot banner
  }
  if (!m_pending_commands.empty()) {
    // Commands are handled when they arrive, i.e. at the current device time.
    std::vector<uint8_t> cmds;
    cmds.swap(m_pending_commands);
    for (uint8_t b : cmds) {
      switch (m_rx.push(b)) {
        case proto::FrameAccumulator::kFrame: {
          uint8_t type = 0;
          const proto::ParseResult r = proto::checkPayload(m_rx.payload(), m_rx.size(), &type);
          proto::CommandFrame c{};
          if (r == proto::kParseOk && type >= proto::kCmdIdentify &&
              proto::parseCommand(m_rx.payload(), m_rx.size(), &c) == proto::kParseOk) {
            handleCommand(c, out);
          } else if (r == proto::kParseUnknownType || r == proto::kParseOk) {
            // Good CRC, but not a command this device knows: NACK so the host never hangs.
            ++m_bad_commands;
            const uint8_t seq = m_rx.size() > 1 ? m_rx.payload()[1] : 0;
            sendAck(seq, type, proto::kAckUnknownCommand, out);
          } else {
            ++m_bad_commands;  // unreadable: nothing to echo
          }
          break;
        }
        case proto::FrameAccumulator::kOverflow:
        case proto::FrameAccumulator::kMalformed:
          ++m_bad_commands;
          break;
        case proto::FrameAccumulator::kNone:
          break;
      }
    }
  }
  while (true) {
    const uint64_t next_status = m_next_status_us;
    const uint64_t next_sample = m_streaming ? m_next_sample_us : UINT64_MAX;
    const uint64_t next_reset =
        m_cfg.reset_at_us > 0 && !m_reset_done ? m_cfg.reset_at_us : UINT64_MAX;
    const uint64_t next = std::min({next_status, next_sample, next_reset});
    if (next > t_since_boot_us) break;
    m_now_us = next;
    if (next == next_reset) {
      reboot(out);
    } else if (next == next_sample) {
      sendSample(out);
      m_next_sample_us += samplePeriod_us();
    } else {
      sendStatus(out);
      m_next_status_us += kStatusPeriod_us;
    }
  }
  m_now_us = std::max(m_now_us, t_since_boot_us);
}

void VirtualDevice::reboot(std::vector<uint8_t>& out) {
  m_reset_done = true;
  m_streaming = false;
  m_seq = 0;
  m_first_sample_after_boot = true;
  m_tx_overflow_pending = false;
  m_rx = proto::FrameAccumulator();
  m_next_status_us = m_now_us + kStatusPeriod_us;
  if (!m_cfg.lose_boot_info) sendInfo(out);
}

void VirtualDevice::handleCommand(const proto::CommandFrame& c, std::vector<uint8_t>& out) {
  switch (c.type) {
    case proto::kCmdIdentify:
      sendAck(c.seq, c.type, proto::kAckOk, out);
      sendInfo(out);
      break;
    case proto::kCmdStart:
      sendAck(c.seq, c.type, proto::kAckOk, out);
      if (!m_streaming) {
        m_streaming = true;
        // The HX711s free-run at 80 SPS; the next conversion is ready within one period.
        m_next_sample_us = (m_now_us / samplePeriod_us() + 1) * samplePeriod_us();
      }
      break;
    case proto::kCmdStop:
      m_streaming = false;
      sendAck(c.seq, c.type, proto::kAckOk, out);
      break;
    case proto::kCmdPing:
      sendAck(c.seq, c.type, proto::kAckOk, out);
      break;
    default:
      ++m_bad_commands;
      sendAck(c.seq, c.type, proto::kAckUnknownCommand, out);
      break;
  }
}

void VirtualDevice::emit(const uint8_t* wire, size_t n, std::vector<uint8_t>& out) {
  if (m_cfg.byte_corrupt_probability <= 0) {
    out.insert(out.end(), wire, wire + n);
    return;
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<int> flip(1, 255);
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = wire[i];
    if (u(m_fault_rng) < m_cfg.byte_corrupt_probability)
      b ^= static_cast<uint8_t>(flip(m_fault_rng));
    out.push_back(b);
  }
}

void VirtualDevice::sendAck(uint8_t seq, uint8_t type, uint8_t result, std::vector<uint8_t>& out) {
  uint8_t wire[proto::kMaxWireFrame];
  const proto::AckFrame a{seq, type, result};
  emit(wire, proto::encodeAck(a, wire, sizeof(wire)), out);
}

void VirtualDevice::sendInfo(std::vector<uint8_t>& out) {
  uint8_t wire[proto::kMaxWireFrame];
  emit(wire, proto::encodeInfo(info(), wire, sizeof(wire)), out);
}

void VirtualDevice::sendStatus(std::vector<uint8_t>& out) {
  proto::StatusFrame s{};
  s.uptime_ms =
      static_cast<uint32_t>((m_reset_done ? m_now_us - m_cfg.reset_at_us : m_now_us) / 1000);
  s.frames_dropped = static_cast<uint32_t>(m_frames_dropped);
  s.bad_commands = m_bad_commands;
  s.hx711_timeouts = 0;
  s.reset_cause = proto::kResetExternal;
  s.streaming = m_streaming ? 1 : 0;
  uint8_t wire[proto::kMaxWireFrame];
  emit(wire, proto::encodeStatus(s, wire, sizeof(wire)), out);
}

void VirtualDevice::sendSample(std::vector<uint8_t>& out) {
  const ModelSample m = m_body.next();
  ++m_samples_streamed;
  proto::SampleFrame f{};
  f.seq = m_seq++;
  f.t_us = deviceMicros(m_now_us);
  const uint8_t cells = m_cfg.sample_cell_count ? m_cfg.sample_cell_count : m_cfg.cell_count;
  f.fresh_mask = static_cast<uint8_t>((1u << cells) - 1);
  f.channel_count = cells;
  for (int i = 0; i < std::min<int>(cells, core::kCellCount); ++i) {
    f.raw_counts[i] = m.raw_counts[i];
    if (m.raw_counts[i] >= 0x7FFFFF || m.raw_counts[i] <= -0x800000)
      f.flags |= proto::kFlagSaturated;
  }
  if (m_first_sample_after_boot) {
    f.flags |= proto::kFlagResetSeen;
    m_first_sample_after_boot = false;
    if (m_reset_done && m_cfg.lose_first_sample_after_reset) return;  // lost on the wire
  }
  if (m_cfg.frame_drop_probability > 0) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(m_fault_rng) < m_cfg.frame_drop_probability) {
      ++m_frames_dropped;
      m_tx_overflow_pending = true;
      return;
    }
  }
  if (m_tx_overflow_pending) {
    f.flags |= proto::kFlagTxOverflow;
    m_tx_overflow_pending = false;
  }
  uint8_t wire[proto::kMaxWireFrame];
  emit(wire, proto::encodeSample(f, wire, sizeof(wire)), out);
}

}  // namespace rollrig::sim

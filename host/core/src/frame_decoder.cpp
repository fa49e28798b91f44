#include "rollrig/core/frame_decoder.h"

#include <cstring>

namespace rollrig::core {

void FrameDecoder::feed(const uint8_t* data, size_t len) {
  m_stats.bytes += len;
  const uint8_t* p = data;
  const uint8_t* end = data + len;
  while (p < end) {
    const auto* zero = static_cast<const uint8_t*>(std::memchr(p, 0, static_cast<size_t>(end - p)));
    const uint8_t* run_end = zero ? zero : end;
    const size_t run = static_cast<size_t>(run_end - p);
    if (!m_discarding) {
      if (m_len + run <= sizeof(m_buf)) {
        std::memcpy(m_buf + m_len, p, run);
        m_len += run;
      } else {
        // Longer than any valid frame: garbage (or a lost delimiter). Drop it up to the next 0x00.
        m_discarding = true;
        m_len = 0;
        ++m_stats.oversized;
      }
    }
    if (!zero) break;
    if (m_discarding) {
      m_discarding = false;
    } else if (m_len > 0) {
      onFrameBytes(m_len);
    }
    m_len = 0;
    p = zero + 1;
  }
}

void FrameDecoder::resync() {
  m_len = 0;
  m_discarding = false;
  m_have_seq = false;
}

template <typename Frame, typename Deliver>
void FrameDecoder::parseThen(proto::ParseResult (*parse)(const uint8_t*, size_t, Frame*),
                             const uint8_t* payload, size_t n, Deliver&& deliver) {
  Frame f;
  if (parse(payload, n, &f) != proto::kParseOk) {
    ++m_stats.malformed;
    return;
  }
  ++m_stats.frames_ok;
  deliver(f);
}

void FrameDecoder::onFrameBytes(size_t len) {
  uint8_t payload[proto::kMaxWireFrame];
  const size_t n = proto::cobsDecode(m_buf, len, payload, sizeof(payload));
  if (n == 0) {
    ++m_stats.malformed;
    return;
  }
  uint8_t type = 0;
  switch (proto::checkPayload(payload, n, &type)) {
    case proto::kParseOk:
      break;
    case proto::kParseBadCrc:
      ++m_stats.crc_errors;
      return;
    case proto::kParseUnknownType:
      ++m_stats.unknown_types;
      return;
    default:
      ++m_stats.malformed;
      return;
  }
  switch (type) {
    case proto::kTypeSample:
      parseThen<proto::SampleFrame>(proto::parseSample, payload, n,
                                    [this](const auto& f) { deliverSample(f); });
      break;
    case proto::kTypeInfo:
      parseThen<proto::InfoFrame>(proto::parseInfo, payload, n,
                                  [this](const auto& f) { m_sink.onInfo(f); });
      break;
    case proto::kTypeStatus:
      parseThen<proto::StatusFrame>(proto::parseStatus, payload, n,
                                    [this](const auto& f) { m_sink.onStatus(f); });
      break;
    case proto::kTypeAck:
      parseThen<proto::AckFrame>(proto::parseAck, payload, n,
                                 [this](const auto& f) { m_sink.onAck(f); });
      break;
    case proto::kTypeSettings:
      parseThen<proto::SettingsFrame>(proto::parseSettings, payload, n,
                                      [this](const auto& f) { m_sink.onSettings(f); });
      break;
    default:
      // A host command echoed back to us (e.g. a loopback): not for the host; ignore it.
      ++m_stats.unknown_types;
      break;
  }
}

void FrameDecoder::deliverSample(const proto::SampleFrame& f) {
  Sample s;
  // A restart is announced by the RESET_SEEN flag, or shows as sequence *and* device time both
  // jumping back (a reordered frame moves back by a frame or two, a reboot by much more).
  const int32_t dt_us = static_cast<int32_t>(f.t_us - m_clock.lastRaw());
  const uint16_t d = static_cast<uint16_t>(f.seq - m_last_seq);
  const bool restarted =
      m_clock.started() && ((f.flags & proto::kFlagResetSeen) != 0 ||
                            (m_have_seq && d >= 0x8000 && dt_us < -kRestartBackstep_us));
  if (m_have_seq && !restarted) {
    if (d == 0) {
      ++m_stats.duplicates;
      return;
    }
    if (d >= 0x8000) {
      ++m_stats.out_of_order;
      return;
    }
    if (d > 1) {
      ++m_stats.seq_gaps;
      m_stats.frames_lost += d - 1u;
      s.lost_before = d - 1u;
    }
  }
  if (restarted) {
    s.t_us = m_clock.unwrapAfterRestart(f.t_us);
    ++m_stats.device_resets;
  } else {
    DeviceClock::Step step = DeviceClock::Step::kForward;
    s.t_us = m_clock.unwrap(f.t_us, &step);
    if (step == DeviceClock::Step::kWrapped) ++m_stats.time_wraps;
    if (step == DeviceClock::Step::kRestarted) ++m_stats.device_resets;
  }
  m_have_seq = true;
  m_last_seq = f.seq;
  s.seq = f.seq;
  s.fresh_mask = f.fresh_mask;
  s.flags = f.flags;
  s.channel_count = f.channel_count;
  for (uint8_t i = 0; i < f.channel_count; ++i) s.raw_counts[i] = f.raw_counts[i];
  ++m_stats.samples;
  m_sink.onSample(s);
}

}  // namespace rollrig::core

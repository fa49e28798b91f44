#include "rollrig/core/frame_decoder.h"

#include <algorithm>
#include <cstdint>
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
  if (m_has_held) {
    m_has_held = false;
    commitSample(m_held);
  }
  m_len = 0;
  m_discarding = false;
  m_have_seq = false;
  m_history_len = 0;
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
      parseThen<proto::InfoFrame>(proto::parseInfo, payload, n, [this](const auto& f) {
        m_expected_channels = f.channel_count;
        m_sink.onInfo(f);
      });
      break;
    case proto::kTypeStatus:
      parseThen<proto::StatusFrame>(proto::parseStatus, payload, n, [this](const auto& f) {
        noteStatusUptime(f.uptime_ms);
        m_sink.onStatus(f);
      });
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

bool FrameDecoder::fitsHistory(uint16_t seq, uint32_t t_us, bool* duplicate) const {
  *duplicate = false;
  // Oldest first; consecutive entries are consecutive deliveries of one epoch.
  const size_t first = (m_history_next + kHistory - m_history_len) % kHistory;
  for (size_t k = 0; k < m_history_len; ++k) {
    const Seen& a = m_history[(first + k) % kHistory];
    if (a.seq == seq) {
      *duplicate = a.t_us == t_us;
      return *duplicate;
    }
    if (k + 1 == m_history_len) break;
    const Seen& b = m_history[(first + k + 1) % kHistory];
    const uint16_t into_gap = static_cast<uint16_t>(seq - a.seq);
    const uint16_t gap = static_cast<uint16_t>(b.seq - a.seq);
    if (into_gap > 0 && into_gap < gap) {
      // A frame from a gap we counted: its time must lie between its neighbours' (mod 2^32).
      const uint32_t t_into = t_us - a.t_us;
      return t_into > 0 && t_into < static_cast<uint32_t>(b.t_us - a.t_us);
    }
  }
  return false;
}

void FrameDecoder::noteStatusUptime(uint32_t uptime_ms) {
  if (!m_clock.started()) return;
  // A STATUS says the device's uptime now. If the last sample we delivered is stamped later than
  // that, it came from an earlier boot: the device rebooted since, and the next sample starts a
  // new epoch. If it is not later, the samples since the reboot (if any) were already taken as
  // the new boot's, and nothing changes. Compared in the u32 microsecond counter's own modulo,
  // with slack for the millisecond truncation and for a sample stamped just before its STATUS.
  const uint32_t uptime_us = static_cast<uint32_t>(uint64_t{uptime_ms} * 1000u);
  const int32_t status_minus_last = static_cast<int32_t>(uptime_us - m_clock.lastRaw());
  if (status_minus_last < -static_cast<int32_t>(kStatusSlack_us)) m_status_says_restart = true;
}

double FrameDecoder::recentPeriod_us() const {
  // The time over the frames between consecutive deliveries without a long gap (a stall's own
  // step would skew it).
  const size_t first = (m_history_next + kHistory - m_history_len) % kHistory;
  uint64_t span_us = 0, frames = 0;
  for (size_t k = 0; k + 1 < m_history_len; ++k) {
    const Seen& a = m_history[(first + k) % kHistory];
    const Seen& b = m_history[(first + k + 1) % kHistory];
    const uint16_t n = static_cast<uint16_t>(b.seq - a.seq);
    const uint32_t dt = b.t_us - a.t_us;
    if (n == 0 || n > kConfirmGap || dt > uint64_t{n} * kMaxFramePeriod_us) continue;
    span_us += dt;
    frames += n;
  }
  if (frames < 2) return 0;  // too little to know the rate
  // No rollrig sends faster than one frame per kMinFramePeriod_us (a history of damaged times
  // must not make a stall hold millions of frames).
  return std::max(double(span_us) / double(frames), double(kMinFramePeriod_us));
}

uint64_t FrameDecoder::seqTurnsIn(uint32_t forward_us, uint16_t d) const {
  const double period_us = recentPeriod_us();
  if (period_us <= 0) return 0;  // the step alone
  // Frames the elapsed time holds at that rate, against the step d the sequence shows: the
  // whole turns of 65,536 between them, to the nearest (the rate would have to be off by half a
  // turn's worth, over 30 % on a 20-min stall, to miscount).
  const double turns = (double(forward_us) / period_us - double(d)) / 65536.0;
  return turns < 0.5 ? 0 : static_cast<uint64_t>(turns + 0.5);
}

bool FrameDecoder::continuesSteadily(const proto::SampleFrame& f) const {
  if (!follows(m_last_seq, m_clock.lastRaw(), f)) return false;
  const double period_us = recentPeriod_us();
  if (period_us <= 0) return true;  // too little history: follows() is all there is to go on
  // On the recent rate to within a quarter of a frame.
  const uint16_t d = static_cast<uint16_t>(f.seq - m_last_seq);
  const double off_us = double(f.t_us - m_clock.lastRaw()) - double(d) * period_us;
  return off_us <= period_us / 4 && off_us >= -period_us / 4;
}

void FrameDecoder::remember(uint16_t seq, uint32_t t_us) {
  m_history[m_history_next] = Seen{seq, t_us};
  m_history_next = (m_history_next + 1) % kHistory;
  if (m_history_len < kHistory) ++m_history_len;
}

FrameDecoder::Verdict FrameDecoder::classify(const proto::SampleFrame& f) const {
  if (!m_clock.started()) return Verdict::kNext;
  if ((f.flags & proto::kFlagResetSeen) != 0 || m_restart_expected) return Verdict::kRestart;
  // A STATUS said the device restarted. A real restart's next sample does not go on from the
  // last one at the device's steady rate (a new boot counts from seq 0 and time 0); one that does
  // says the STATUS was a damaged frame whose CRC matched by chance, and is taken as it came.
  if (m_status_says_restart && (!m_have_seq || !continuesSteadily(f))) return Verdict::kRestart;
  const uint32_t last_t = m_clock.lastRaw();
  const uint32_t forward_us = f.t_us - last_t;  // the time that passed, if the clock ran forward
  const bool wrapped = f.t_us < last_t;
  // The u32 counter only wraps from near 2^32 to near 0; any other backward step is not a wrap.
  const bool time_forward = !wrapped || forward_us <= kMaxWrapGap_us;
  const Verdict onward = wrapped ? Verdict::kWrapped : Verdict::kNext;
  if (!m_have_seq) return time_forward ? onward : Verdict::kRestart;  // after resync(): time only
  const uint16_t d = static_cast<uint16_t>(f.seq - m_last_seq);
  if (time_forward) {
    if (d == 0 && forward_us == 0) return Verdict::kDuplicate;
    // A continuation: the sequence moved on by no more frames than the elapsed time can hold.
    // (This also covers a link that stalled for minutes: seq wraps, time explains it.)
    if (d != 0 && uint64_t{d - 1u} * kMinFramePeriod_us <= forward_us) return onward;
    return Verdict::kRestart;  // seq back (or far ahead) while time moved on: a new boot
  }
  bool duplicate = false;
  if (fitsHistory(f.seq, f.t_us, &duplicate))
    return duplicate ? Verdict::kDuplicate : Verdict::kLate;
  return Verdict::kRestart;
}

bool FrameDecoder::follows(uint16_t seq_a, uint32_t t_a, const proto::SampleFrame& b) {
  if ((b.flags & proto::kFlagResetSeen) != 0) return false;
  const uint16_t d = static_cast<uint16_t>(b.seq - seq_a);
  const uint32_t dt = b.t_us - t_a;
  return d >= 1 && d <= kConfirmGap && uint64_t{d - 1u} * kMinFramePeriod_us <= dt &&
         uint64_t{dt} <= uint64_t{d} * kMaxFramePeriod_us;
}

bool FrameDecoder::needsConfirmation(const proto::SampleFrame& f) const {
  if (!m_clock.started() || !m_have_seq) return false;
  // A reboot the owner or a STATUS announced is expected to break the sequence. RESET_SEEN is
  // not enough on its own: a damaged frame's random flags carry it half the time.
  if (m_restart_expected || m_status_says_restart) return false;
  if ((f.flags & proto::kFlagResetSeen) != 0) return true;
  switch (classify(f)) {
    case Verdict::kRestart:
      return true;
    case Verdict::kNext:
    case Verdict::kWrapped:
      return !follows(m_last_seq, m_clock.lastRaw(), f);
    default:
      return false;  // dropped anyway
  }
}

void FrameDecoder::deliverSample(const proto::SampleFrame& f) {
  if (m_expected_channels != 0 && f.channel_count != m_expected_channels) {
    // Never deliver a sample with cells missing (they would read as 0 N). Dropped before the
    // sequence bookkeeping, so the hole also shows as lost frames where it is.
    ++m_stats.wrong_channel_count;
    return;
  }
  if (m_has_held) {
    // The sample after a surprising one decides: it goes on from the held sample (a real gap or
    // an unannounced reboot), or from the last sample delivered (the held one was a damaged frame
    // whose CRC happened to match), or neither (then the held one is taken as it came).
    m_has_held = false;
    if (follows(m_held.seq, m_held.t_us, f) || !follows(m_last_seq, m_clock.lastRaw(), f)) {
      commitSample(m_held);
    } else {
      ++m_stats.implausible;
    }
  }
  if (needsConfirmation(f)) {
    m_held = f;
    m_has_held = true;
    return;
  }
  commitSample(f);
}

void FrameDecoder::commitSample(const proto::SampleFrame& f) {
  Sample s;
  const Verdict verdict = classify(f);
  const uint16_t d = static_cast<uint16_t>(f.seq - m_last_seq);
  switch (verdict) {
    case Verdict::kDuplicate:
      ++m_stats.duplicates;
      return;
    case Verdict::kLate:
      ++m_stats.out_of_order;
      return;
    case Verdict::kRestart:
      s.t_us = m_clock.unwrapAfterRestart(f.t_us);
      ++m_stats.device_resets;
      m_history_len = 0;
      // A boot counts from seq 0: frames before this one in the new boot were lost.
      if (f.seq > 0 && f.seq < 0x8000) {
        ++m_stats.seq_gaps;
        m_stats.frames_lost += f.seq;
        s.lost_before = f.seq;
      }
      break;
    case Verdict::kNext:
    case Verdict::kWrapped:
      if (m_have_seq && m_clock.started()) {
        // Frames missing: the sequence's step, plus whole turns of the 16-bit sequence that the
        // elapsed time holds (a link that stalled for more than 65,536 frames, 13.7 min at 80/s).
        const uint64_t missing =
            uint64_t{static_cast<uint16_t>(d - 1u)} +
            65536u * seqTurnsIn(static_cast<uint32_t>(f.t_us - m_clock.lastRaw()), d);
        if (d != 0 && missing > 0) {
          ++m_stats.seq_gaps;
          s.lost_before = static_cast<uint32_t>(missing);  // < 2^32 us / kMinFramePeriod_us
          m_stats.frames_lost += s.lost_before;
        }
      }
      if (!m_clock.started()) {
        s.t_us = m_clock.unwrap(f.t_us);
      } else {
        s.t_us = m_clock.advance(f.t_us);
        if (verdict == Verdict::kWrapped) ++m_stats.time_wraps;
      }
      break;
  }
  m_restart_expected = false;
  m_status_says_restart = false;
  m_have_seq = true;
  m_last_seq = f.seq;
  remember(f.seq, f.t_us);
  s.seq = f.seq;
  s.fresh_mask = f.fresh_mask;
  s.flags = f.flags;
  s.channel_count = f.channel_count;
  for (uint8_t i = 0; i < f.channel_count; ++i) s.raw_counts[i] = f.raw_counts[i];
  ++m_stats.samples;
  m_sink.onSample(s);
}

}  // namespace rollrig::core

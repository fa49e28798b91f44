#include "rollrig/sim/stream_faults.h"

#include <algorithm>
#include <sstream>

#include "rollrig/sim/virtual_device.h"

namespace rollrig::sim {

const char* byteFaultKindName(ByteFaultKind kind) {
  switch (kind) {
    case ByteFaultKind::kNone:
      return "none";
    case ByteFaultKind::kCorrupt:
      return "corrupt";
    case ByteFaultKind::kDrop:
      return "drop";
    case ByteFaultKind::kInsert:
      return "insert";
    case ByteFaultKind::kBurst:
      return "burst";
  }
  return "?";
}

// [SECTION] ByteFaultInjector

ByteFaultInjector::ByteFaultInjector(const ByteFaultConfig& config)
    : m_cfg(config),
      m_rng(config.seed),
      m_gap(config.rate_per_byte > 0 && config.rate_per_byte < 1 ? config.rate_per_byte : 0.5) {
  m_until_fault = drawGap();
}

uint64_t ByteFaultInjector::drawGap() {
  if (m_cfg.kind == ByteFaultKind::kNone || m_cfg.rate_per_byte <= 0) return UINT64_MAX;
  if (m_cfg.rate_per_byte >= 1) return 0;
  return m_gap(m_rng);  // clean bytes before the next fault: geometric, mean 1/rate - 1
}

void ByteFaultInjector::endCleanByte(uint8_t b) {
  ++m_counts.bytes_in;
  if (m_frame_len < sizeof(m_frame)) m_frame[m_frame_len] = b;
  ++m_frame_len;
  if (b != 0) return;
  ++m_counts.frames;
  if (m_frame_touched) ++m_counts.frames_touched;
  // A clean stream never has a run longer than a frame; if it had, it is not a frame.
  if (m_observer && m_frame_len <= sizeof(m_frame))
    m_observer(m_frame, m_frame_len, m_frame_touched);
  m_frame_len = 0;
  m_frame_touched = false;
}

void ByteFaultInjector::apply(const uint8_t* in, size_t n, std::vector<uint8_t>& out) {
  const size_t out_before = out.size();
  out.reserve(out.size() + n + n / 16);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = in[i];
    const uint64_t pos = m_counts.bytes_in;
    // A reader away: the OS buffer keeps the first bytes, the rest never reach the host.
    while (m_next_outage < m_cfg.outages.size() &&
           pos >= m_cfg.outages[m_next_outage].at_byte + m_cfg.outages[m_next_outage].length_bytes)
      ++m_next_outage;
    if (m_next_outage < m_cfg.outages.size()) {
      const ReaderOutage& o = m_cfg.outages[m_next_outage];
      if (pos >= o.at_byte + o.kept_bytes && pos < o.at_byte + o.length_bytes) {
        ++m_counts.outage_bytes_lost;
        m_frame_touched = true;
        endCleanByte(b);
        continue;
      }
    }
    if (pos < m_cfg.clean_prefix_bytes) {
      out.push_back(b);
      endCleanByte(b);
      continue;
    }
    if (m_burst_left > 0) {
      --m_burst_left;
      ++m_counts.bytes_damaged;
      m_frame_touched = true;
      out.push_back(randomByte());
      endCleanByte(b);
      continue;
    }
    if (m_until_fault > 0) {
      if (m_until_fault != UINT64_MAX) --m_until_fault;
      out.push_back(b);
      endCleanByte(b);
      continue;
    }
    // A fault starts at this byte.
    ++m_counts.faults;
    ++m_counts.bytes_damaged;
    m_frame_touched = true;
    switch (m_cfg.kind) {
      case ByteFaultKind::kCorrupt:
        out.push_back(static_cast<uint8_t>(b ^ (1 + m_rng() % 255)));
        break;
      case ByteFaultKind::kDrop:
        break;
      case ByteFaultKind::kInsert:
        out.push_back(randomByte());
        out.push_back(b);
        break;
      case ByteFaultKind::kBurst: {
        const size_t span = m_cfg.burst_max_bytes > m_cfg.burst_min_bytes
                                ? m_cfg.burst_max_bytes - m_cfg.burst_min_bytes + 1
                                : 1;
        const size_t len = std::max<size_t>(1, m_cfg.burst_min_bytes + m_rng() % span);
        m_burst_left = len - 1;
        out.push_back(randomByte());
        break;
      }
      case ByteFaultKind::kNone:
        out.push_back(b);
        break;
    }
    m_until_fault = drawGap();
    endCleanByte(b);
  }
  m_counts.bytes_out += out.size() - out_before;
}

// [SECTION] StreamTruthChecker

void StreamTruthChecker::onCleanFrame(const uint8_t* wire, size_t len, bool touched) {
  uint8_t payload[proto::kMaxWireFrame];
  const size_t n = len > 1 ? proto::cobsDecode(wire, len - 1, payload, sizeof(payload)) : 0;
  uint8_t type = 0;
  proto::SampleFrame f{};
  const bool sample = n > 0 && proto::checkPayload(payload, n, &type) == proto::kParseOk &&
                      type == proto::kTypeSample &&
                      proto::parseSample(payload, n, &f) == proto::kParseOk;
  std::lock_guard<std::mutex> lock(m_mutex);
  if (!sample) {
    m_last_touched = touched;
    return;
  }
  if (!m_have_t) {
    m_t_us = f.t_us;
    m_have_t = true;
  } else {
    m_t_us += static_cast<uint32_t>(f.t_us - m_last_raw_t);
  }
  m_last_raw_t = f.t_us;
  m_pending.push_back(Sent{f, m_t_us, static_cast<uint16_t>(len), touched, m_last_touched});
  m_last_touched = touched;
  ++m_r.sent;
  if (touched) ++m_r.sent_touched;
}

bool StreamTruthChecker::sameContents(const Sent& a, const core::Sample& s) const {
  if (a.f.seq != s.seq || a.f.flags != s.flags || a.f.fresh_mask != s.fresh_mask ||
      a.f.channel_count != s.channel_count)
    return false;
  for (uint8_t c = 0; c < a.f.channel_count; ++c)
    if (a.f.raw_counts[c] != s.raw_counts[c]) return false;
  return true;
}

void StreamTruthChecker::onAccepted(const core::Sample& s) {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_r.accepted;
  // The decoder delivers a subsequence of what was sent, in order: the sample is near the front.
  size_t k = 0;
  while (k < m_pending.size() && !sameContents(m_pending[k], s)) ++k;
  if (k == m_pending.size()) {
    ++m_r.accepted_corrupt;
    return;
  }
  uint64_t run = 0, run_bytes = 0;
  for (size_t i = 0; i < k; ++i) {
    const Sent& m = m_pending[i];
    ++m_r.missed;
    if (m.touched || m.after_touched) run = run_bytes = 0;  // a fault just before it starts a run
    if (m.touched) {
      run = run_bytes = 0;
      continue;
    }
    ++m_r.missed_untouched;
    ++run;
    run_bytes += m.wire_len;
    m_r.worst_resync_frames = std::max(m_r.worst_resync_frames, run);
    m_r.worst_resync_bytes = std::max(m_r.worst_resync_bytes, run_bytes);
  }
  m_r.missed_counted += s.lost_before;
  if (!m_matched_any) {
    m_matched_any = true;
    // Before the first delivered sample the host has nothing to count a gap from.
    m_r.head = k;
    m_r.missed -= k;
  } else if (s.lost_before != k) {
    ++m_r.accounting_errors;
  }
  const Sent& hit = m_pending[k];
  const uint64_t offset = s.t_us - hit.t_us;
  if (!m_have_offset) {
    m_offset_us = offset;
    m_have_offset = true;
  } else if (offset != m_offset_us) {
    ++m_r.time_shifts;
    m_offset_us = offset;
  }
  m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<long>(k) + 1);
}

StreamCheckReport StreamTruthChecker::report() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  StreamCheckReport r = m_r;
  r.pending = m_pending.size();
  return r;
}

std::string describe(const StreamCheckReport& r) {
  std::ostringstream o;
  o << "sent " << r.sent << " (" << r.sent_touched << " touched), accepted " << r.accepted
    << " (corrupt " << r.accepted_corrupt << ", time shifts " << r.time_shifts << "), missed "
    << r.missed << " (counted " << r.missed_counted << ", accounting errors " << r.accounting_errors
    << ", untouched " << r.missed_untouched << "), tail " << r.pending << ", head " << r.head
    << ", worst resync " << r.worst_resync_frames << " frames / " << r.worst_resync_bytes
    << " bytes";
  return o.str();
}

// [SECTION] One cell of the matrix, in process

namespace {
struct CheckingSink : core::FrameSink {
  StreamTruthChecker* checker = nullptr;
  void onSample(const core::Sample& s) override { checker->onAccepted(s); }
};
}  // namespace

StreamFaultTrial runVirtualRigFaultTrial(const ByteFaultConfig& faults, uint64_t clean_bytes,
                                         uint64_t body_seed, size_t chunk_bytes) {
  VirtualDeviceConfig cfg;
  cfg.body.seed = body_seed;
  // The plan's length only shapes the person's session; samples go on beyond it. A long plan
  // keeps the loads varied; plan_ahead_s keeps construction small.
  cfg.body.duration_s = std::max(120.0, static_cast<double>(clean_bytes) / 2000.0);
  cfg.body.plan_ahead_s = 3600;
  VirtualDevice device(cfg);
  StreamTruthChecker checker;
  ByteFaultInjector injector(faults);
  injector.setCleanFrameObserver(
      [&](const uint8_t* w, size_t n, bool touched) { checker.onCleanFrame(w, n, touched); });
  CheckingSink sink;
  sink.checker = &checker;
  core::FrameDecoder decoder(sink);

  proto::CommandFrame start{};
  start.type = proto::kCmdStart;
  start.seq = 1;
  uint8_t wire[proto::kMaxWireFrame];
  device.receive(wire, proto::encodeCommand(start, wire, sizeof(wire)));

  std::vector<uint8_t> clean, dirty;
  uint64_t sent = 0;
  uint64_t t_us = 0;
  while (sent < clean_bytes) {
    // ~1 s of device time at a time; fed to the decoder in chunks as a port's reads would be.
    t_us += 1000000;
    clean.clear();
    device.advanceTo(t_us, clean);
    if (clean.size() > clean_bytes - sent) clean.resize(static_cast<size_t>(clean_bytes - sent));
    sent += clean.size();
    dirty.clear();
    injector.apply(clean.data(), clean.size(), dirty);
    for (size_t i = 0; i < dirty.size(); i += chunk_bytes)
      decoder.feed(dirty.data() + i, std::min(chunk_bytes, dirty.size() - i));
  }
  return StreamFaultTrial{checker.report(), injector.counts(), decoder.stats()};
}

}  // namespace rollrig::sim

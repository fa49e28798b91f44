// The chunk codec (rollrig/store/sample_codec.h has the format).
#include "rollrig/store/sample_codec.h"

#include <cstdint>

namespace rollrig::store {

namespace {

constexpr uint8_t kExplicitSeq = 1u << 0;
constexpr uint8_t kHasLost = 1u << 1;
constexpr uint8_t kFlagsChanged = 1u << 2;
constexpr uint8_t kFreshChanged = 1u << 3;
constexpr uint8_t kChannelsChanged = 1u << 4;
constexpr uint8_t kKnownControlBits = 0x1F;

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t u) {
  return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
}

void putVarint(uint64_t v, std::vector<uint8_t>* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

// What the decoder and encoder both track between samples.
struct State {
  uint64_t t_us = 0;
  uint64_t dt_us = 0;
  uint16_t seq = 0xFFFF;
  uint8_t flags = 0;
  uint8_t fresh_mask = 0;
  uint8_t channel_count = 0;
  int32_t counts[proto::kMaxChannels] = {};
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : m_p(p), m_end(p + n) {}
  bool byte(uint8_t* v) {
    if (m_p == m_end) return false;
    *v = *m_p++;
    return true;
  }
  bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!byte(&b)) return false;
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && (b & 0x7E) != 0) return false;
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  size_t left() const { return static_cast<size_t>(m_end - m_p); }

 private:
  const uint8_t* m_p;
  const uint8_t* m_end;
};

bool fail(std::string* why, const char* what) {
  if (why) *why = what;
  return false;
}

}  // namespace

void ChunkEncoder::add(const core::Sample& s) {
  std::vector<uint8_t>* out = &m_body;
  const uint8_t channels =
      s.channel_count > proto::kMaxChannels ? proto::kMaxChannels : s.channel_count;
  const uint16_t predicted_seq = static_cast<uint16_t>(m_seq + 1u + s.lost_before);
  uint8_t control = 0;
  if (s.seq != predicted_seq) control |= kExplicitSeq;
  if (s.lost_before != 0) control |= kHasLost;
  if (s.flags != m_flags) control |= kFlagsChanged;
  if (s.fresh_mask != m_fresh_mask) control |= kFreshChanged;
  if (channels != m_channel_count) control |= kChannelsChanged;
  out->push_back(control);
  if (control & kExplicitSeq) putVarint(s.seq, out);
  if (control & kHasLost) putVarint(s.lost_before, out);
  if (control & kFlagsChanged) out->push_back(s.flags);
  if (control & kFreshChanged) out->push_back(s.fresh_mask);
  if (control & kChannelsChanged) out->push_back(channels);
  const uint64_t dt = s.t_us - m_t_us;  // modulo 2^64, like the decoder's sums
  putVarint(zigzag(static_cast<int64_t>(dt - m_dt_us)), out);
  for (uint8_t c = 0; c < channels; ++c) {
    putVarint(zigzag(static_cast<int64_t>(s.raw_counts[c]) - m_counts[c]), out);
    m_counts[c] = s.raw_counts[c];
  }
  for (uint8_t c = channels; c < proto::kMaxChannels; ++c) m_counts[c] = 0;
  m_t_us = s.t_us;
  m_dt_us = dt;
  m_seq = s.seq;
  m_flags = s.flags;
  m_fresh_mask = s.fresh_mask;
  m_channel_count = channels;
  ++m_count;
}

void ChunkEncoder::appendTo(std::vector<uint8_t>* out) const {
  out->push_back(kChunkCodecVersion);
  putVarint(m_count, out);
  out->insert(out->end(), m_body.begin(), m_body.end());
}

void encodeChunk(const core::Sample* samples, size_t n, std::vector<uint8_t>* out) {
  ChunkEncoder e;
  for (size_t i = 0; i < n; ++i) e.add(samples[i]);
  e.appendTo(out);
}

bool decodeChunk(const uint8_t* data, size_t len, std::vector<core::Sample>* out,
                 std::string* why) {
  Reader r(data, len);
  uint8_t version;
  if (!r.byte(&version)) return fail(why, "empty chunk");
  if (version != kChunkCodecVersion) return fail(why, "unknown chunk format version");
  uint64_t n;
  if (!r.varint(&n)) return fail(why, "truncated chunk header");
  // Every sample takes at least two bytes (control and time), so a count the bytes cannot hold
  // is corrupt; this also bounds the allocation below.
  if (n > r.left() / 2) return fail(why, "sample count larger than the chunk can hold");
  const size_t old_size = out->size();
  out->reserve(old_size + n);
  State st;
  for (uint64_t i = 0; i < n; ++i) {
    core::Sample s;
    uint8_t control;
    if (!r.byte(&control)) break;
    if (control & ~kKnownControlBits) {
      out->resize(old_size);
      return fail(why, "unknown control bits in a sample");
    }
    uint64_t v = 0;
    bool ok = true;
    uint64_t seq = 0, lost = 0;
    if (control & kExplicitSeq) ok = ok && r.varint(&seq) && seq <= 0xFFFF;
    if (control & kHasLost) ok = ok && r.varint(&lost) && lost <= 0xFFFFFFFFu && lost != 0;
    if (!ok) {
      out->resize(old_size);
      return fail(why, "bad sequence number or loss count");
    }
    s.lost_before = static_cast<uint32_t>(lost);
    s.seq = (control & kExplicitSeq) ? static_cast<uint16_t>(seq)
                                     : static_cast<uint16_t>(st.seq + 1u + s.lost_before);
    uint8_t b = 0;
    s.flags = st.flags;
    s.fresh_mask = st.fresh_mask;
    s.channel_count = st.channel_count;
    if ((control & kFlagsChanged) && (ok = r.byte(&b))) s.flags = b;
    if (ok && (control & kFreshChanged) && (ok = r.byte(&b))) s.fresh_mask = b;
    if (ok && (control & kChannelsChanged) && (ok = r.byte(&b))) s.channel_count = b;
    if (!ok || s.channel_count > proto::kMaxChannels) {
      out->resize(old_size);
      return fail(why, ok ? "channel count above the protocol's maximum" : "truncated sample");
    }
    if (!r.varint(&v)) {
      out->resize(old_size);
      return fail(why, "truncated sample time");
    }
    const uint64_t dt = st.dt_us + static_cast<uint64_t>(unzigzag(v));
    s.t_us = st.t_us + dt;
    for (uint8_t c = 0; c < s.channel_count; ++c) {
      if (!r.varint(&v)) {
        out->resize(old_size);
        return fail(why, "truncated raw counts");
      }
      const int64_t counts = static_cast<int64_t>(st.counts[c]) + unzigzag(v);
      if (counts < INT32_MIN || counts > INT32_MAX) {
        out->resize(old_size);
        return fail(why, "raw counts out of range");
      }
      s.raw_counts[c] = static_cast<int32_t>(counts);
      st.counts[c] = s.raw_counts[c];
    }
    for (uint8_t c = s.channel_count; c < proto::kMaxChannels; ++c) st.counts[c] = 0;
    st.t_us = s.t_us;
    st.dt_us = dt;
    st.seq = s.seq;
    st.flags = s.flags;
    st.fresh_mask = s.fresh_mask;
    st.channel_count = s.channel_count;
    out->push_back(s);
  }
  if (out->size() - old_size != n) {
    out->resize(old_size);
    return fail(why, "truncated chunk");
  }
  if (r.left() != 0) {
    out->resize(old_size);
    return fail(why, "bytes after the last sample");
  }
  return true;
}

}  // namespace rollrig::store

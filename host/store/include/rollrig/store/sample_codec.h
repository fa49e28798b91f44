// The chunk codec: a run of core::Sample <-> a compact byte string (the BLOB of one
// sample_chunks row, docs/STORE.md "Samples").
//
// Why: a row per sample costs SQLite ~30+ bytes of record header, rowid and index entry on top of
// the data, and a 4-cell sample is 23 bytes on the wire. Consecutive samples differ little (time
// advances by one period, seq by one, flags and fresh mask repeat, counts move by the noise), so
// each field is stored as the difference from what the previous sample predicts, zigzag-mapped to
// an unsigned number and written as a LEB128 varint. A steady 80 Hz sample costs ~10 bytes.
//
// Format (version 1), all numbers varints unless said:
//   byte   version (1)
//   count  number of samples
//   per sample:
//     byte   control: bit0 seq is not prev_seq + 1 + lost_before (explicit seq follows),
//                     bit1 lost_before != 0 (follows), bit2 flags changed (byte follows),
//                     bit3 fresh_mask changed (byte follows), bit4 channel count changed (byte
//                     follows); bits 5-7 must be 0
//     [seq u16 as varint] [lost_before] [flags byte] [fresh_mask byte] [channel_count byte]
//     zigzag(t_us - prev_t_us - prev_dt_us)   (second difference of time, modulo 2^64)
//     channel_count x zigzag(raw_counts[c] - prev_raw_counts[c])   (as 64-bit differences)
//   The state before the first sample is all zero (seq 0xFFFF, so a chunk starting at seq 0 with
//   nothing lost needs no explicit seq). Counts past channel_count are not stored (read as 0).
// Chunks are independent: each starts from that zero state, so any chunk decodes on its own.
//
// Pure functions; reentrant; no allocation beyond the output vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/core/frame_decoder.h"

namespace rollrig::store {

inline constexpr uint8_t kChunkCodecVersion = 1;

// Builds one chunk a sample at a time, so a chunk that grows across commits is never re-encoded
// (the store keeps its session's last chunk in one). Copyable; the same bytes as encodeChunk().
class ChunkEncoder {
 public:
  void add(const core::Sample& s);
  size_t count() const { return m_count; }
  // Appends the chunk so far (header and samples) to *out.
  void appendTo(std::vector<uint8_t>* out) const;

 private:
  uint64_t m_t_us = 0, m_dt_us = 0;  // the state before the next sample (see the format above)
  uint16_t m_seq = 0xFFFF;
  uint8_t m_flags = 0, m_fresh_mask = 0, m_channel_count = 0;
  std::array<int32_t, proto::kMaxChannels> m_counts{};
  size_t m_count = 0;
  std::vector<uint8_t> m_body;  // the samples' bytes, without the header
};

// Appends the encoding of samples[0..n) to *out (which it does not clear).
void encodeChunk(const core::Sample* samples, size_t n, std::vector<uint8_t>* out);

// Decodes a whole chunk and appends its samples to *out. Returns false (and says why in *why,
// which may be null) for an unknown version, a truncated or over-long blob, a varint longer than
// 10 bytes, a channel count above proto::kMaxChannels, a count that disagrees with the bytes, or
// a seq/lost_before out of range; *out is then left as it was. Never reads past `len`.
bool decodeChunk(const uint8_t* data, size_t len, std::vector<core::Sample>* out, std::string* why);

}  // namespace rollrig::store

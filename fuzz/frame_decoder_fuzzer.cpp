// Fuzz target: the host's incremental frame decoder (host/core frame_decoder.h) on arbitrary wire
// bytes, fed whole, in fuzzer-chosen chunks, one frame at a time and (every other input) byte by
// byte.
//
// Input: byte 0 seeds the chunk sizes (odd: also byte by byte); byte 1 bit 0 set gives the decoder
// an expected cell count (bits 1..3, plus 1) as after an INFO; the rest is the stream.
// Invariants, beyond "no crash, no sanitizer report":
//  - the split does not matter: every feed delivers the same frames and the same statistics;
//  - a reference reading of the bytes written here (own COBS, own CRC-16/CCITT-FALSE) agrees on
//    every count: frames_ok, crc_errors, malformed, oversized, unknown_types;
//  - every delivered SAMPLE comes from a frame of the stream with a good CRC (the frame-by-frame
//    feed tells which), in stream order, with its fields intact;
//  - session time never runs back, starts at the device's time and moves as the device's clock
//    does, except at a counted device reset (a new epoch 1 us + the new boot's time later);
//  - losses add up (frames_lost, seq_gaps), and every good SAMPLE is accounted for: delivered, or
//    counted as a duplicate, late, with the wrong cell count, or disowned by the next sample.
// FUZZ_DEBUG=1 prints each delivered sample; FUZZ_DEBUG_REF=1 every good SAMPLE frame in the input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "protocol/protocol.h"
#include "rollrig/core/frame_decoder.h"

namespace {

using rollrig::core::DecoderStats;
using rollrig::core::FrameDecoder;
using rollrig::core::Sample;
namespace proto = rollrig::proto;

struct Recorder : rollrig::core::FrameSink {
  std::vector<Sample> samples;
  uint64_t infos = 0, statuses = 0, acks = 0, settings = 0;
  std::vector<uint32_t> status_uptimes;
  void onSample(const Sample& s) override { samples.push_back(s); }
  void onInfo(const proto::InfoFrame&) override { ++infos; }
  void onStatus(const proto::StatusFrame& s) override {
    ++statuses;
    status_uptimes.push_back(s.uptime_ms);
  }
  void onAck(const proto::AckFrame&) override { ++acks; }
  void onSettings(const proto::SettingsFrame&) override { ++settings; }
};

// [SECTION] Reference reading, written independently of protocol.cpp
uint16_t refCrc(const uint8_t* d, size_t n) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(d[i] << 8);
    for (int b = 0; b < 8; ++b)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

// Standard COBS; false for a zero byte or a code that runs past the end.
bool refCobs(const uint8_t* in, size_t n, std::vector<uint8_t>* out) {
  out->clear();
  size_t i = 0;
  while (i < n) {
    const uint8_t code = in[i++];
    if (code == 0 || i + code - 1 > n) return false;
    for (int k = 1; k < code; ++k) out->push_back(in[i++]);
    if (code != 0xFF && i < n) out->push_back(0);
  }
  return !out->empty();
}

struct RefSample {
  uint16_t seq;
  uint32_t t_us;
  uint8_t fresh, flags, channels;
  int32_t counts[proto::kMaxChannels];
  size_t end;  // offset of the frame's delimiter in the stream
};

struct Reference {
  uint64_t frames_ok = 0, crc_errors = 0, malformed = 0, oversized = 0, unknown_types = 0;
  std::vector<RefSample> samples;  // every good SAMPLE, in stream order
};

void refFrame(const uint8_t* wire, size_t n, size_t end, Reference* r) {
  std::vector<uint8_t> p;
  if (!refCobs(wire, n, &p) || p.size() < 3) {
    ++r->malformed;
    return;
  }
  const size_t len = p.size();
  const uint16_t want = static_cast<uint16_t>(p[len - 2] | (p[len - 1] << 8));
  if (refCrc(p.data(), len - 2) != want) {
    ++r->crc_errors;
    return;
  }
  const uint8_t type = p[0];
  size_t min_len = 0;
  switch (type) {
    case 0x01: {  // SAMPLE: 9 header bytes, 3 per cell (1..8), CRC
      const size_t body = len - 2 < 9 ? 1 : len - 2 - 9;
      if (len < 14 || body % 3 != 0 || body / 3 > proto::kMaxChannels) {
        ++r->malformed;
        return;
      }
      RefSample s{};
      s.end = end;
      s.seq = static_cast<uint16_t>(p[1] | (p[2] << 8));
      s.t_us = static_cast<uint32_t>(p[3]) | (static_cast<uint32_t>(p[4]) << 8) |
               (static_cast<uint32_t>(p[5]) << 16) | (static_cast<uint32_t>(p[6]) << 24);
      s.fresh = p[7];
      s.flags = p[8];
      s.channels = static_cast<uint8_t>(body / 3);
      for (int c = 0; c < s.channels; ++c) {
        uint32_t u = static_cast<uint32_t>(p[9 + 3 * c]) |
                     (static_cast<uint32_t>(p[10 + 3 * c]) << 8) |
                     (static_cast<uint32_t>(p[11 + 3 * c]) << 16);
        if (u & 0x800000u) u |= 0xFF000000u;
        s.counts[c] = static_cast<int32_t>(u);
      }
      ++r->frames_ok;
      r->samples.push_back(s);
      return;
    }
    case 0x02:
      min_len = 25;
      break;  // INFO
    case 0x03:
      min_len = 17;
      break;  // STATUS
    case 0x04:
      min_len = 6;
      break;  // ACK
    case 0x05:
      min_len = 26;
      break;  // SETTINGS
    default:
      ++r->unknown_types;  // host commands and types this version does not know
      return;
  }
  if (len < min_len)
    ++r->malformed;
  else
    ++r->frames_ok;
}

Reference refRead(const uint8_t* d, size_t n) {
  Reference r;
  size_t start = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && d[i] != 0) continue;
    const size_t run = i - start;
    if (run > proto::kMaxWireFrame)
      ++r.oversized;  // counted as soon as it is too long, delimiter or not
    else if (run > 0 && i < n)
      refFrame(d + start, run, i, &r);
    start = i + 1;
  }
  return r;
}

// [SECTION] Feeding
struct Run {
  Recorder rec;
  DecoderStats stats;
};

void feedAll(const uint8_t* d, size_t n, int expect, Run* out) {
  FrameDecoder dec(out->rec);
  if (expect) dec.setExpectedChannelCount(static_cast<uint8_t>(expect));
  dec.feed(d, n);
  dec.resync();  // a sample held for confirmation is delivered (see finish())
  out->stats = dec.stats();
}

void feedChunks(const uint8_t* d, size_t n, int expect, uint32_t seed, Run* out) {
  FrameDecoder dec(out->rec);
  if (expect) dec.setExpectedChannelCount(static_cast<uint8_t>(expect));
  uint32_t x = seed * 2654435761u + 1;
  size_t i = 0;
  while (i < n) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    // Mostly small chunks (a serial read), sometimes empty or large ones.
    size_t k = (x & 3) == 0 ? (x >> 8) % 200 : (x >> 8) % 9;
    if (k > n - i) k = n - i;
    dec.feed(d + i, k);
    i += k;
  }
  dec.resync();
  out->stats = dec.stats();
}

void feedBytes(const uint8_t* d, size_t n, int expect, Run* out) {
  FrameDecoder dec(out->rec);
  if (expect) dec.setExpectedChannelCount(static_cast<uint8_t>(expect));
  for (size_t i = 0; i < n; ++i) dec.feed(d + i, 1);
  dec.resync();
  out->stats = dec.stats();
}

// Fed one frame at a time (each chunk ends at a delimiter). A frame delivers its own sample, or
// none (dropped, or held until the next one confirms it: FrameDecoder's "Confirmation"), and the
// frame after a held one may deliver both: never more than two.
void feedFrames(const uint8_t* d, size_t n, int expect, Run* out) {
  FrameDecoder dec(out->rec);
  if (expect) dec.setExpectedChannelCount(static_cast<uint8_t>(expect));
  size_t start = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && d[i] != 0) continue;
    const size_t before = out->rec.samples.size();
    dec.feed(d + start, std::min(i + 1, n) - start);
    FUZZ_CHECK(out->rec.samples.size() - before <= 2, "one frame delivered %zu samples",
               out->rec.samples.size() - before);
    start = i + 1;
  }
  dec.resync();
  out->stats = dec.stats();
}

bool sameSample(const Sample& a, const Sample& b) {
  return a.t_us == b.t_us && a.seq == b.seq && a.fresh_mask == b.fresh_mask && a.flags == b.flags &&
         a.channel_count == b.channel_count && a.raw_counts == b.raw_counts &&
         a.lost_before == b.lost_before;
}

void checkSame(const Run& a, const Run& b, const char* how) {
  const DecoderStats &s = a.stats, &t = b.stats;
  FUZZ_CHECK(s.bytes == t.bytes && s.frames_ok == t.frames_ok && s.samples == t.samples &&
                 s.crc_errors == t.crc_errors && s.malformed == t.malformed &&
                 s.oversized == t.oversized && s.unknown_types == t.unknown_types &&
                 s.seq_gaps == t.seq_gaps && s.frames_lost == t.frames_lost &&
                 s.duplicates == t.duplicates && s.out_of_order == t.out_of_order &&
                 s.time_wraps == t.time_wraps && s.device_resets == t.device_resets &&
                 s.wrong_channel_count == t.wrong_channel_count && s.implausible == t.implausible,
             "statistics differ when the stream is fed %s", how);
  FUZZ_CHECK(a.rec.samples.size() == b.rec.samples.size(), "%zu samples whole, %zu fed %s",
             a.rec.samples.size(), b.rec.samples.size(), how);
  for (size_t i = 0; i < a.rec.samples.size(); ++i)
    FUZZ_CHECK(sameSample(a.rec.samples[i], b.rec.samples[i]), "sample %zu differs fed %s", i, how);
  FUZZ_CHECK(a.rec.infos == b.rec.infos && a.rec.statuses == b.rec.statuses &&
                 a.rec.acks == b.rec.acks && a.rec.settings == b.rec.settings,
             "control frames differ fed %s", how);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t seed = data[0];
  const int expect = (data[1] & 1) ? ((data[1] >> 1) & 7) + 1 : 0;
  const uint8_t* d = data + 2;
  const size_t n = size - 2;

  Run whole, chunks, bytes;
  feedAll(d, n, expect, &whole);
  feedChunks(d, n, expect, seed, &chunks);
  checkSame(whole, chunks, "in chunks");
  Run frames;
  feedFrames(d, n, expect, &frames);
  checkSame(whole, frames, "frame by frame");
  if (seed & 1) {  // byte by byte is slow: every other input
    feedBytes(d, n, expect, &bytes);
    checkSame(whole, bytes, "byte by byte");
  }

  const DecoderStats& s = whole.stats;
  const Recorder& rec = whole.rec;
  const Reference ref = refRead(d, n);
  if (std::getenv("FUZZ_DEBUG_REF"))
    for (const RefSample& r : ref.samples)
      std::fprintf(stderr, "ref seq %u t_us %u flags %u end %zu\n", r.seq, r.t_us, r.flags, r.end);
  FUZZ_CHECK(s.bytes == n, "bytes %llu, fed %zu", (unsigned long long)s.bytes, n);
  FUZZ_CHECK(s.frames_ok == ref.frames_ok, "frames_ok %llu, reference %llu",
             (unsigned long long)s.frames_ok, (unsigned long long)ref.frames_ok);
  FUZZ_CHECK(s.crc_errors == ref.crc_errors, "crc_errors %llu, reference %llu",
             (unsigned long long)s.crc_errors, (unsigned long long)ref.crc_errors);
  FUZZ_CHECK(s.malformed == ref.malformed, "malformed %llu, reference %llu",
             (unsigned long long)s.malformed, (unsigned long long)ref.malformed);
  FUZZ_CHECK(s.oversized == ref.oversized, "oversized %llu, reference %llu",
             (unsigned long long)s.oversized, (unsigned long long)ref.oversized);
  FUZZ_CHECK(s.unknown_types == ref.unknown_types, "unknown_types %llu, reference %llu",
             (unsigned long long)s.unknown_types, (unsigned long long)ref.unknown_types);

  // Every good frame went somewhere.
  FUZZ_CHECK(s.samples == rec.samples.size(), "samples %llu, delivered %zu",
             (unsigned long long)s.samples, rec.samples.size());
  FUZZ_CHECK(s.samples + s.duplicates + s.out_of_order + s.wrong_channel_count + s.implausible ==
                 ref.samples.size(),
             "%zu good SAMPLE frames, %llu delivered + %llu duplicates + %llu late + %llu wrong "
             "cell count + %llu disowned by the next",
             ref.samples.size(), (unsigned long long)s.samples, (unsigned long long)s.duplicates,
             (unsigned long long)s.out_of_order, (unsigned long long)s.wrong_channel_count,
             (unsigned long long)s.implausible);
  FUZZ_CHECK(s.frames_ok == ref.samples.size() + rec.infos + rec.statuses + rec.acks + rec.settings,
             "frames_ok %llu does not add up", (unsigned long long)s.frames_ok);

  // Delivered samples: each one a good SAMPLE of the stream, in stream order, intact (found by its
  // content: sequence, flags, cells and counts, and by its time); time never back; losses add up.
  size_t j = 0;
  uint64_t lost = 0, gaps = 0, epochs = 0;
  size_t prev_index = 0;
  for (size_t i = 0; i < rec.samples.size(); ++i) {
    const Sample& x = rec.samples[i];
    const auto sameAs = [&](const RefSample& r) {
      return r.seq == x.seq && r.flags == x.flags && r.fresh == x.fresh_mask &&
             r.channels == x.channel_count &&
             std::memcmp(r.counts, x.raw_counts.data(), sizeof(int32_t) * x.channel_count) == 0;
    };
    // Session time: the first sample is the device's time; then it moves as the device's clock
    // does (mod 2^32), or, at a new boot, starts a new epoch 1 us + the new boot's t_us after the
    // last (DeviceClock::unwrapAfterRestart). Part of the match: a replayed stream can hold frames
    // equal in all but their time (an old boot's seq 10 after the new boot's seq 10), and only the
    // time says which of them was delivered.
    const RefSample* prev = i == 0 ? nullptr : &ref.samples[prev_index];
    const uint64_t moved = i == 0 ? 0 : x.t_us - rec.samples[i - 1].t_us;
    const auto onTime = [&](const RefSample& r) {
      if (prev == nullptr) return x.t_us == r.t_us;
      return moved == uint64_t{static_cast<uint32_t>(r.t_us - prev->t_us)} ||
             moved == uint64_t{r.t_us} + 1;
    };
    while (j < ref.samples.size() && !(sameAs(ref.samples[j]) && onTime(ref.samples[j]))) ++j;
    FUZZ_CHECK(j < ref.samples.size(),
               "delivered sample %zu (seq %u, session time %llu us, moved %llu us) is no good "
               "SAMPLE frame of the stream, in order, with a time that explains it",
               i, x.seq, (unsigned long long)x.t_us, (unsigned long long)moved);
    const RefSample& r = ref.samples[j];
    if (prev != nullptr && moved != uint64_t{static_cast<uint32_t>(r.t_us - prev->t_us)}) ++epochs;
    if (std::getenv("FUZZ_DEBUG"))
      std::fprintf(stderr, "delivered seq %u t_us %llu (device %u) lost_before %u flags %u\n",
                   x.seq, (unsigned long long)x.t_us, r.t_us, x.lost_before, x.flags);
    prev_index = j;
    ++j;
    FUZZ_CHECK(x.channel_count >= 1 && x.channel_count <= proto::kMaxChannels, "cell count %u",
               x.channel_count);
    FUZZ_CHECK(expect == 0 || rec.infos > 0 || x.channel_count == expect,
               "sample with %u cells delivered, %d expected", x.channel_count, expect);
    for (int c = 0; c < x.channel_count; ++c)
      FUZZ_CHECK(x.raw_counts[c] >= -0x800000 && x.raw_counts[c] <= 0x7FFFFF, "count %d",
                 x.raw_counts[c]);
    if (i > 0)
      FUZZ_CHECK(x.t_us >= rec.samples[i - 1].t_us, "time ran back: %llu after %llu",
                 (unsigned long long)x.t_us, (unsigned long long)rec.samples[i - 1].t_us);
    lost += x.lost_before;
    if (x.lost_before) ++gaps;
  }
  FUZZ_CHECK(lost == s.frames_lost, "lost_before sums to %llu, frames_lost %llu",
             (unsigned long long)lost, (unsigned long long)s.frames_lost);
  FUZZ_CHECK(gaps == s.seq_gaps, "%llu samples with losses, seq_gaps %llu",
             (unsigned long long)gaps, (unsigned long long)s.seq_gaps);
  FUZZ_CHECK(s.time_wraps + s.device_resets <= s.samples, "more wraps and resets than samples");
  FUZZ_CHECK(epochs <= s.device_resets, "session time jumped %llu times, %llu device resets",
             (unsigned long long)epochs, (unsigned long long)s.device_resets);
  if (!rec.samples.empty())
    FUZZ_CHECK(static_cast<uint32_t>(rec.samples.front().t_us) == ref.samples.front().t_us ||
                   s.samples != ref.samples.size(),
               "the first sample's time is not the device's");
  return 0;
}

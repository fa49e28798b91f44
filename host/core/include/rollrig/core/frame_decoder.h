// FrameDecoder: incremental decoder from raw wire bytes to protocol frames, with statistics.
//
// Feed it any chunk of bytes (one at a time, or megabytes) as they arrive; it calls the sink for
// every good frame, in order. It never throws on stream content: garbage, truncation, corruption,
// duplicates and reordering are counted in DecoderStats and skipped. After garbage it resyncs at
// the next 0x00 delimiter, so at most the frame the garbage touched is lost.
//
// Samples leave the decoder in strictly increasing sequence order, stamped with the device's
// microsecond clock unwrapped to 64 bits (device time is the clock, never arrival time), and with
// the number of frames lost just before them.
//
// Thread safety: none; one owner (the acquisition thread or a test). No allocation after
// construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "protocol/protocol.h"
#include "rollrig/core/device_clock.h"

namespace rollrig::core {

struct Sample {
  uint64_t t_us = 0;       // device time, unwrapped (DeviceClock), microseconds
  uint16_t seq = 0;        // the frame's sequence number
  uint8_t fresh_mask = 0;  // bit i: channel i is a new conversion
  uint8_t flags = 0;       // proto::SampleFlag bits
  uint8_t channel_count = 0;
  std::array<int32_t, proto::kMaxChannels> raw_counts{};  // sign-extended HX711 counts
  uint32_t lost_before = 0;  // frames missing between the previous sample and this one
};

struct DecoderStats {
  uint64_t bytes = 0;          // bytes fed
  uint64_t frames_ok = 0;      // frames with a good CRC and a known type and size
  uint64_t samples = 0;        // SAMPLE frames delivered
  uint64_t crc_errors = 0;     // frames whose CRC did not match
  uint64_t malformed = 0;      // bad COBS, too short, or wrong size for their type
  uint64_t oversized = 0;      // runs longer than any frame (garbage) discarded to resync
  uint64_t unknown_types = 0;  // good frames of a type this version does not know (ignored)
  uint64_t seq_gaps = 0;       // places where frames went missing
  uint64_t frames_lost = 0;    // total frames missing across all gaps
  uint64_t duplicates = 0;     // SAMPLE with the same seq as the previous one (dropped)
  uint64_t out_of_order = 0;   // SAMPLE older than the previous one (dropped)
  uint64_t time_wraps = 0;     // device u32 microsecond counter wrapped
  uint64_t device_resets = 0;  // device restarted mid-stream (clock or RESET_SEEN flag)

  uint64_t badFrames() const { return crc_errors + malformed + oversized; }
};

// Receives decoded frames. Default implementations ignore the frame.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void onSample(const Sample&) {}
  virtual void onInfo(const proto::InfoFrame&) {}
  virtual void onStatus(const proto::StatusFrame&) {}
  virtual void onAck(const proto::AckFrame&) {}
  virtual void onSettings(const proto::SettingsFrame&) {}
};

class FrameDecoder {
 public:
  explicit FrameDecoder(FrameSink& sink) : m_sink(sink) {}

  void feed(const uint8_t* data, size_t len);

  const DecoderStats& stats() const { return m_stats; }

  // Forget partial input and sequence history (e.g. after re-opening a port). Statistics and the
  // unwrapped clock are kept so a session stays continuous.
  void resync();

 private:
  void onFrameBytes(size_t len);
  template <typename Frame, typename Deliver>
  void parseThen(proto::ParseResult (*parse)(const uint8_t*, size_t, Frame*),
                 const uint8_t* payload, size_t n, Deliver&& deliver);
  void deliverSample(const proto::SampleFrame& f);

  // Device time moving back by more than this together with the sequence number is a reboot.
  static constexpr int32_t kRestartBackstep_us = 1000000;

  FrameSink& m_sink;
  DecoderStats m_stats;
  DeviceClock m_clock;
  uint8_t m_buf[proto::kMaxWireFrame];
  size_t m_len = 0;
  bool m_discarding = false;  // inside an oversized run, waiting for the next delimiter
  bool m_have_seq = false;
  uint16_t m_last_seq = 0;
};

}  // namespace rollrig::core

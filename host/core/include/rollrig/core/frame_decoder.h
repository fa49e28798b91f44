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
// Telling a reset from a wrap, a gap or a late frame (firmware/PROTOCOL.md, "Time and loss"):
// each new SAMPLE is compared with the last one delivered, by sequence number *and* device time,
// which must tell the same story.
//   - A new boot is certain when the sample carries RESET_SEEN, when the owner saw the boot INFO
//     and called expectRestart(), or when a STATUS reports an uptime earlier than the last
//     sample's time (the decoder checks that itself; only the first sample of a boot carries
//     the flag, and it can be lost).
//   - Time that moved forward (or across 2^32, but only when the last time was within
//     kMaxWrapGap_us of 2^32) continues the session when the sequence advanced by no more frames
//     than that time can hold (one per kMinFramePeriod_us). A sequence that jumped further than
//     the time allows, or moved back while time moved forward, is a new boot. Across a long
//     stall the frames lost are the sequence's step plus the whole turns of 65,536 the elapsed
//     time holds at the rate of the recent history (seqTurnsIn).
//   - Time that moved back is a late or repeated frame only if it fits the recent history
//     exactly: the same (seq, t_us) as a sample already delivered (a duplicate), or a seq inside
//     a counted gap with a time between its neighbours' (late). Anything else is a new boot.
// A new boot starts a new clock epoch just after the last time seen (session time never runs
// back) and counts the new boot's sequence number as frames lost before it (a boot counts from 0).
// Unavoidable ambiguity without the owner's hint: a boot whose first samples are all lost and
// whose new (seq, t_us) happens to look like a continuation is taken as one.
//
// Confirmation (a damaged frame whose 16-bit CRC matches by chance, about 1 in 65,536 of frames
// hit by more than one damaged byte: docs/RELIABILITY.md, "Stream fault matrix"): a sample that
// breaks the story without an announcement — it skips many frames, or much more time than its
// frames take, or looks like a reboot (RESET_SEEN included: a damaged frame's random flags carry
// it half the time) that no boot INFO or STATUS announced — is held back until the next sample.
// If that one goes on from the held sample, both are delivered (a real gap, a real reboot: one
// frame later than otherwise). If it goes on from the sample before, the held one is dropped and
// counted in `implausible`. So a collision costs the frame it replaced, never a wrong sample, a
// phantom gap or a session clock thrown hours forward. A held sample is delivered at resync();
// one still held when the stream ends is not delivered.
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
  uint64_t device_resets = 0;  // device restarted mid-stream (see "Telling a reset ..." above)
  uint64_t wrong_channel_count = 0;  // SAMPLE whose cell count differs from INFO's (dropped)
  // SAMPLE with a good CRC that broke the sequence, unannounced, and that the next sample
  // disowned by going on from the one before it: a damaged frame whose 16-bit CRC matched by
  // chance (see "Confirmation" above). Dropped; the frame it replaced counts as lost.
  uint64_t implausible = 0;

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

  // The owner saw the device boot (an INFO it did not ask for while streaming): the next SAMPLE
  // starts a new clock epoch whatever its seq and time, and is counted as one reset even if it
  // also carries RESET_SEEN.
  void expectRestart() { m_restart_expected = true; }

  // The device's cell count from its INFO (the decoder also takes it from every INFO it sees):
  // a SAMPLE with another count is dropped and counted in wrong_channel_count, never delivered
  // with missing cells. 0 (the default, before any INFO) accepts any count.
  void setExpectedChannelCount(uint8_t count) { m_expected_channels = count; }

 private:
  void onFrameBytes(size_t len);
  template <typename Frame, typename Deliver>
  void parseThen(proto::ParseResult (*parse)(const uint8_t*, size_t, Frame*),
                 const uint8_t* payload, size_t n, Deliver&& deliver);
  void deliverSample(const proto::SampleFrame& f);
  void commitSample(const proto::SampleFrame& f);
  bool needsConfirmation(const proto::SampleFrame& f) const;
  // b is the next frame after (seq_a, t_a) of the same boot, at most kConfirmGap frames on, with
  // a time that fits the frames between.
  static bool follows(uint16_t seq_a, uint32_t t_a, const proto::SampleFrame& b);
  enum class Verdict { kNext, kWrapped, kDuplicate, kLate, kRestart };
  Verdict classify(const proto::SampleFrame& f) const;
  bool fitsHistory(uint16_t seq, uint32_t t_us, bool* duplicate) const;
  void remember(uint16_t seq, uint32_t t_us);
  // Whole turns of the 16-bit sequence inside forward_us of elapsed time when the sequence moved
  // d frames on, at the frame rate the recent history shows (0 when it shows too little).
  uint64_t seqTurnsIn(uint32_t forward_us, uint16_t d) const;
  // The device's frame period from the recent history, us (0: too little history).
  double recentPeriod_us() const;
  // f goes on from the last sample delivered at the recent rate, within a quarter of a frame.
  bool continuesSteadily(const proto::SampleFrame& f) const;
  void noteStatusUptime(uint32_t uptime_ms);

  // No rollrig device sends frames faster than this (the rig sends 80 per second, 12,500 us):
  // a sequence gap of d frames needs at least (d - 1) * this much device time.
  static constexpr uint32_t kMinFramePeriod_us = 5000;
  // Confirmation: a sample is "surprising" when it skips more than kConfirmGap frames or more
  // time than kMaxFramePeriod_us per frame (a rollrig sends 80 or 10 a second), or is an
  // unannounced reboot. It is held until the next sample says which story is true.
  static constexpr uint16_t kConfirmGap = 8;
  static constexpr uint32_t kMaxFramePeriod_us = 200000;
  // How far a STATUS's uptime may lie before the last sample's time without meaning a reboot.
  static constexpr uint32_t kStatusSlack_us = 100000;
  // A backward step of t_us is a wrap of the u32 counter only if the time that passed across
  // 2^32 is at most this (the device streams 80 frames and a STATUS every second).
  static constexpr uint32_t kMaxWrapGap_us = 60000000;
  // Recent (seq, t_us) pairs delivered, to recognise duplicates and late frames.
  static constexpr size_t kHistory = 32;

  FrameSink& m_sink;
  DecoderStats m_stats;
  DeviceClock m_clock;
  uint8_t m_buf[proto::kMaxWireFrame];
  size_t m_len = 0;
  bool m_discarding = false;  // inside an oversized run, waiting for the next delimiter
  bool m_have_seq = false;
  uint16_t m_last_seq = 0;
  bool m_restart_expected = false;     // the owner said so (expectRestart): certain
  bool m_status_says_restart = false;  // a STATUS's uptime did, unless the next sample disagrees
  bool m_has_held = false;
  proto::SampleFrame m_held{};  // a surprising sample waiting for the next one to confirm it
  uint8_t m_expected_channels = 0;
  struct Seen {
    uint16_t seq;
    uint32_t t_us;
  };
  std::array<Seen, kHistory> m_history{};  // ring, oldest overwritten
  size_t m_history_len = 0;
  size_t m_history_next = 0;
};

}  // namespace rollrig::core

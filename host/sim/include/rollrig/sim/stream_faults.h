// Stream faults with ground truth: a seeded injector that damages a device's byte stream the
// ways a real link does (a corrupted byte, a dropped byte, an inserted byte, a burst of line
// noise, a reader that stopped reading while the OS buffer overflowed), and a checker that knows
// what the device sent and holds every sample the host's decoder accepts against it.
//
// The injector sees the clean bytes, so it tells the checker each frame the device sent and
// whether a fault touched it (a fault on a frame's 0x00 delimiter belongs to that frame; an
// inserted byte to the frame of the byte it precedes). The checker then answers the stream fault
// matrix's questions (docs/RELIABILITY.md, "Stream fault matrix"):
//   - was any sample accepted that the device did not send, or with other contents? (goal 0)
//   - is every sample the device sent either accepted or counted lost (Sample::lost_before)?
//   - how far does a loss reach past the frames a fault touched (the resync distance)?
//
// Pure and clock-free like the rest of rollrig::sim. ByteFaultInjector: one owner, no locking.
// StreamTruthChecker: onCleanFrame() and onAccepted() may be called from two different threads
// (the acquisition thread reads the faulty stream, the consumer takes the samples); it locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/frame_decoder.h"

namespace rollrig::sim {

enum class ByteFaultKind {
  kNone,     // pass everything through (an outage may still apply)
  kCorrupt,  // the byte is XOR-ed with a random non-zero value
  kDrop,     // the byte is lost
  kInsert,   // a random byte arrives before it
  kBurst,    // line noise: this byte and the next few are replaced by random bytes
};
const char* byteFaultKindName(ByteFaultKind kind);

// A reader that stopped reading (a suspended laptop): of the bytes the device sent while it was
// away, the OS buffer kept the first `kept_bytes`; the rest were lost.
struct ReaderOutage {
  uint64_t at_byte = 0;        // clean-stream offset where the reader stopped
  uint64_t length_bytes = 0;   // bytes the device sent while the reader was away
  uint64_t kept_bytes = 4095;  // the OS buffer (Linux's tty buffer holds 4 KiB)
};

struct ByteFaultConfig {
  ByteFaultKind kind = ByteFaultKind::kNone;
  double rate_per_byte = 0;  // probability that a fault starts at each clean byte
  size_t burst_min_bytes = 2;
  size_t burst_max_bytes = 32;
  uint64_t seed = 1;
  uint64_t clean_prefix_bytes = 0;    // the first bytes pass untouched (e.g. the handshake)
  std::vector<ReaderOutage> outages;  // in increasing at_byte order
};

struct ByteFaultCounts {
  uint64_t bytes_in = 0;       // clean bytes seen
  uint64_t bytes_out = 0;      // bytes passed on
  uint64_t faults = 0;         // fault events (a burst is one)
  uint64_t bytes_damaged = 0;  // clean bytes corrupted, dropped or overwritten, plus insertions
  uint64_t frames = 0;         // clean frames seen (by their delimiters)
  uint64_t frames_touched = 0;
  uint64_t outage_bytes_lost = 0;
};

class ByteFaultInjector {
 public:
  // Called once per clean frame (its wire bytes with the delimiter) when its delimiter passes.
  using CleanFrameFn = std::function<void(const uint8_t* wire, size_t len, bool touched)>;

  explicit ByteFaultInjector(const ByteFaultConfig& config);
  void setCleanFrameObserver(CleanFrameFn fn) { m_observer = std::move(fn); }

  // Appends the damaged version of in[0..n) to `out`.
  void apply(const uint8_t* in, size_t n, std::vector<uint8_t>& out);

  const ByteFaultCounts& counts() const { return m_counts; }
  const ByteFaultConfig& config() const { return m_cfg; }

 private:
  uint64_t drawGap();
  uint8_t randomByte() { return static_cast<uint8_t>(m_rng() >> 56); }
  void endCleanByte(uint8_t b);

  ByteFaultConfig m_cfg;
  std::mt19937_64 m_rng;
  std::geometric_distribution<uint64_t> m_gap;
  uint64_t m_until_fault = 0;  // clean bytes before the next fault starts
  size_t m_burst_left = 0;     // clean bytes still to overwrite in the current burst
  size_t m_next_outage = 0;
  ByteFaultCounts m_counts;
  CleanFrameFn m_observer;
  uint8_t m_frame[proto::kMaxWireFrame];
  size_t m_frame_len = 0;
  bool m_frame_touched = false;
};

struct StreamCheckReport {
  uint64_t sent = 0;                 // SAMPLE frames the device sent (clean stream)
  uint64_t sent_touched = 0;         // of those, touched by a fault
  uint64_t accepted = 0;             // samples the decoder delivered
  uint64_t accepted_corrupt = 0;     // delivered, but not sent, or sent with other contents
  uint64_t time_shifts = 0;          // delivered with a session time offset from the device's
                                     // that changed (a false reboot or a misread wrap)
  uint64_t missed = 0;               // sent and never delivered, with a later sample delivered
  uint64_t missed_counted = 0;       // lost_before summed over the delivered samples
  uint64_t accounting_errors = 0;    // delivered samples whose lost_before != the samples missed
  uint64_t missed_untouched = 0;     // missed samples no fault touched
  uint64_t worst_resync_frames = 0;  // longest run of untouched missed samples
  uint64_t worst_resync_bytes = 0;   // their wire bytes
  uint64_t pending = 0;              // sent after the last delivered sample (the stream's tail)
  uint64_t head = 0;                 // sent before the first delivered sample (no gap shows them)

  // accepted (true ones) + counted lost + the head and tail = sent, nothing accepted corrupt.
  bool allAccountedFor() const {
    return accepted_corrupt == 0 && accounting_errors == 0 && time_shifts == 0 &&
           accepted - accepted_corrupt + missed + head + pending == sent &&
           missed == missed_counted;
  }
};
std::string describe(const StreamCheckReport& r);

class StreamTruthChecker {
 public:
  // A clean frame from ByteFaultInjector's observer. SAMPLEs are kept as the truth; a touched
  // frame of another type marks the loss after it as its doing.
  void onCleanFrame(const uint8_t* wire, size_t len, bool touched);
  // A sample the decoder under test delivered, in delivery order.
  void onAccepted(const core::Sample& s);
  StreamCheckReport report() const;

 private:
  struct Sent {
    proto::SampleFrame f;
    uint64_t t_us;  // unwrapped by a forward-only clock (the clean stream has no reboot)
    uint16_t wire_len;
    bool touched;
    bool after_touched;  // the frame before it (any type) was touched
  };
  bool sameContents(const Sent& a, const core::Sample& s) const;

  mutable std::mutex m_mutex;
  std::deque<Sent> m_pending;
  StreamCheckReport m_r;
  bool m_last_touched = false;
  bool m_have_t = false;
  uint32_t m_last_raw_t = 0;
  uint64_t m_t_us = 0;
  bool m_matched_any = false;
  bool m_have_offset = false;
  uint64_t m_offset_us = 0;
};

// One cell of the matrix, in process: a VirtualDevice streaming (body model seeded with
// `body_seed`) until it has sent `clean_bytes`, its bytes through the injector, in chunks of
// `chunk_bytes`, into a core::FrameDecoder whose samples go to the checker. Deterministic.
struct StreamFaultTrial {
  StreamCheckReport check;
  ByteFaultCounts faults;
  core::DecoderStats decoder;
};
StreamFaultTrial runVirtualRigFaultTrial(const ByteFaultConfig& faults, uint64_t clean_bytes,
                                         uint64_t body_seed = 1, size_t chunk_bytes = 4096);

}  // namespace rollrig::sim

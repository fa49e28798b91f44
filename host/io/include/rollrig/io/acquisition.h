// Acquisition: owns one ByteStream, performs the handshake, then runs the I/O thread that reads
// the stream, decodes it and queues every sample for the consumer (recorder, GUI) — loss-free:
// the queue is unbounded, so a slow consumer costs memory, never samples.
//
// Handshake (firmware/PROTOCOL.md, "Handshake"): flush input; send IDENTIFY every 250 ms for up
// to 3 s (opening the port resets an Uno, which then boots for ~1-2 s); require an INFO with the
// rollrig magic, protocol major 1 and 4 cells (the CoP needs all four; any other count is refused
// as kUnsupportedDevice, naming it); send START and wait for its ACK. While streaming, a SAMPLE
// whose cell count differs from INFO's is dropped and counted (DecoderStats::wrong_channel_count).
//
// Threads: start() runs the handshake on the caller's thread and then starts the I/O thread,
// which alone touches the stream (and blocks SIGINT, SIGTERM and SIGHUP, so they reach the
// consumer's threads). take() may be called from any one consumer thread; it takes the
// lock once and swaps out everything queued. stop() sends STOP and joins.
// Stream problems during streaming are recorded as state (Snapshot::error), never thrown. If the
// device reboots mid-session (boot INFO, or STATUS saying it is not streaming), the I/O thread
// sends START again and the session continues; the decoder records the gap. A boot INFO, or a
// STATUS whose uptime ran backwards, tells the decoder that the next sample starts a new boot
// (FrameDecoder::expectRestart()), since the one SAMPLE flagged RESET_SEEN may be lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/io/byte_stream.h"

namespace rollrig::io {

struct HandshakeOptions {
  int identify_interval_ms = 250;
  int identify_timeout_ms = 3000;
  int start_ack_timeout_ms = 1000;
  // Polled between reads (at least every identify_interval_ms): when it reads true, start() gives
  // up with kSystem/EINTR. May be set from a signal handler (Ctrl-C during the handshake).
  const std::atomic<bool>* cancel = nullptr;
};

// What the consumer sees of the stream, besides the samples.
struct AcquisitionSnapshot {
  core::DecoderStats stats;
  std::optional<proto::StatusFrame> last_status;
  uint64_t nacks = 0;     // commands the device refused
  uint64_t restarts = 0;  // times the device rebooted mid-session and was started again
  // Seconds since the last sample arrived (or since START was acknowledged, before the first),
  // measured when the snapshot was taken. Host steady clock: arrival bookkeeping for "no data
  // for N s", never used for data. A device streams every 12.5 ms, so >= 1 s means it stalled.
  double since_last_sample_s = 0;
  IoError error;         // set when the stream failed (e.g. device unplugged); thread has ended
  bool running = false;  // the I/O thread is alive
  // The source waits for its reader (the virtual rig) and the queue is full: reading is paused
  // until take() catches up. Never set for a real device.
  bool waiting_for_consumer = false;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so Ctrl-C and the like reach the front
// end's thread, which may be blocked in a read of its own (a prompt) that only the signal can end.
// Every worker thread (the Acquisition's I/O thread, a LiveSession's engine thread) calls it first.
void blockStopSignalsInThisThread();

class Acquisition {
 public:
  // The clock for arrival bookkeeping only (since_last_sample_s); tests inject a fake one.
  using ArrivalClock = std::function<std::chrono::steady_clock::time_point()>;

  explicit Acquisition(std::unique_ptr<ByteStream> stream,
                       ArrivalClock arrival_clock = &std::chrono::steady_clock::now);
  ~Acquisition();
  Acquisition(const Acquisition&) = delete;
  Acquisition& operator=(const Acquisition&) = delete;

  // Handshake, START, then the I/O thread. Returns false with *err (kNotRollrig — also for a
  // refused or unacknowledged START —, kProtocolVersion, kUnsupportedDevice, kDisconnected, ...)
  // if the device is not a usable rollrig.
  bool start(IoError* err, const HandshakeOptions& options = {});

  // The device's INFO from the handshake.
  const proto::InfoFrame& info() const { return m_info; }

  // Samples the queue may hold from a source that waits for its reader (the virtual rig, e.g.
  // `--fast`): beyond this the I/O thread stops reading until take() catches up. A real device
  // is never paused (it would overrun the OS buffer): its queue stays unbounded, loss-free.
  static constexpr size_t kMaxQueuedFromAWaitingSource = 1u << 16;

  // The statistics and state as of now, without taking any samples.
  AcquisitionSnapshot snapshot();

  // Moves all queued samples into `out` (appending) and fills `snap` if given.
  void take(std::vector<core::Sample>& out, AcquisitionSnapshot* snap = nullptr);

  // Sends STOP (best effort), ends the I/O thread. Idempotent.
  void stop();

  // Access to the stream before start() or after stop() (e.g. a virtual rig's calibration).
  ByteStream& stream() { return *m_stream; }

 private:
  class Sink;
  bool sendCommand(uint8_t type, uint8_t* seq_out, IoError* err);
  void run();
  AcquisitionSnapshot snapshotLocked() const;  // m_mutex held

  std::unique_ptr<ByteStream> m_stream;
  std::unique_ptr<Sink> m_sink;
  std::unique_ptr<core::FrameDecoder> m_decoder;
  proto::InfoFrame m_info{};
  uint8_t m_cmd_seq = 0;

  std::thread m_thread;
  std::atomic<bool> m_stop{false};

  ArrivalClock m_arrival_clock;

  std::mutex m_mutex;               // guards everything below
  std::condition_variable m_taken;  // take() emptied the queue
  std::chrono::steady_clock::time_point m_last_arrival{};
  std::vector<core::Sample> m_queue;
  AcquisitionSnapshot m_snapshot;
};

}  // namespace rollrig::io

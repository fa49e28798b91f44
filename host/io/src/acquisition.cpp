#include "rollrig/io/acquisition.h"

#include "rollrig/core/plate_geometry.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

namespace rollrig::io {

void blockStopSignalsInThisThread() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, signo);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

using Clock = std::chrono::steady_clock;

namespace {

// What a NACK's result code means, in words (firmware/PROTOCOL.md, ACK).
std::string nackMeaning(uint8_t result) {
  switch (result) {
    case proto::kAckUnknownCommand:
      return "it does not know the command (result 1: firmware older than this host?)";
    case proto::kAckBadLength:
      return "it says the command had the wrong length (result 2)";
    case proto::kAckBadValue:
      return "it says the command carried a bad value (result 3)";
    case proto::kAckBusy:
      return "it says it is busy (result 4)";
    case proto::kAckBadFrame:
      return "it received the command garbled (result 5: line noise, or another program writing "
             "to the port?)";
    default:
      return "with an unknown result code " + std::to_string(result);
  }
}

}  // namespace

// Collects the decoder's output. During the handshake it records INFO and ACKs and discards
// samples (a device left streaming by an earlier session); once armed (after START's ACK) it
// keeps every sample. Only the thread feeding the decoder touches it.
class Acquisition::Sink : public core::FrameSink {
 public:
  void onSample(const core::Sample& s) override {
    if (armed) batch.push_back(s);
  }
  void onInfo(const proto::InfoFrame& f) override {
    info = f;
    have_info = true;
    if (armed) {
      // Nobody asks for INFO while streaming: this is the device's boot banner. Its next sample
      // starts a new clock epoch even if RESET_SEEN is lost (frames arrive in order, so the
      // decoder hears this before any sample of the new boot).
      restart_seen = true;
      if (decoder) decoder->expectRestart();
    }
  }
  void onStatus(const proto::StatusFrame& f) override {
    // A STATUS whose uptime lies before the last sample's time means a reboot even when the
    // boot INFO was lost; the decoder checks that itself (comparing with its last sample, not
    // with the previous STATUS, so a STATUS that follows the new boot's first sample does not
    // announce the same reboot twice).
    status = f;
    if (armed && !f.streaming) restart_seen = true;  // it forgot START (reset, or STOP by someone)
  }
  void onAck(const proto::AckFrame& a) override {
    if (a.result != proto::kAckOk) ++nacks;
    // Arm on START's own ACK: the decoder delivers frames in order, so every sample after it
    // (even in the same chunk) is ours and nothing before it is.
    if (a.cmd_type == proto::kCmdStart && arm_on_start && a.result == proto::kAckOk) armed = true;
    acks.push_back(a);
  }

  core::FrameDecoder* decoder = nullptr;  // the decoder feeding this sink
  bool arm_on_start = false;              // set once our first START has gone out
  bool armed = false;
  bool restart_seen = false;
  bool have_info = false;
  proto::InfoFrame info{};
  std::optional<proto::StatusFrame> status;
  std::vector<proto::AckFrame> acks;
  uint64_t nacks = 0;
  std::vector<core::Sample> batch;
};

Acquisition::Acquisition(std::unique_ptr<ByteStream> stream, ArrivalClock arrival_clock)
    : m_stream(std::move(stream)),
      m_sink(std::make_unique<Sink>()),
      m_decoder(std::make_unique<core::FrameDecoder>(*m_sink)),
      m_arrival_clock(std::move(arrival_clock)) {
  m_sink->decoder = m_decoder.get();
}

Acquisition::~Acquisition() {
  stop();
}

bool Acquisition::sendCommand(uint8_t type, uint8_t* seq_out, IoError* err) {
  proto::CommandFrame c{};
  c.type = type;
  c.seq = ++m_cmd_seq;
  uint8_t wire[proto::kMaxWireFrame];
  const size_t n = proto::encodeCommand(c, wire, sizeof(wire));
  if (seq_out) *seq_out = c.seq;
  return m_stream->write(wire, n, err);
}

bool Acquisition::start(IoError* err, const HandshakeOptions& opt) {
  m_stream->flushInput();
  const std::string port = m_stream->describe();
  uint8_t buf[4096];
  uint64_t bytes_seen = 0;
  const auto cancelled = [&] {
    if (!opt.cancel || !opt.cancel->load()) return false;
    *err = makeError(IoErrorKind::kSystem, "the handshake with " + port + " was cancelled.", EINTR);
    return true;
  };

  // IDENTIFY every identify_interval_ms until an INFO arrives or identify_timeout_ms passes.
  const auto give_up = Clock::now() + std::chrono::milliseconds(opt.identify_timeout_ms);
  while (!m_sink->have_info) {
    if (cancelled()) return false;
    if (Clock::now() >= give_up) {
      const auto& st = m_decoder->stats();
      std::string why;
      if (bytes_seen == 0) {
        why =
            "it sent nothing. Is the rollrig firmware flashed (see hardware/README.md), and is "
            "this the right port? `rollrig ports` lists them.";
      } else if (st.frames_ok == 0) {
        why = "it sent " + std::to_string(bytes_seen) +
              " bytes but no valid rollrig frame (another sketch, or a baud rate other than the "
              "firmware's?). Flash the rollrig firmware or pick the right port.";
      } else {
        why =
            "it sent rollrig frames but never answered IDENTIFY with INFO. Power-cycle the "
            "rig and try again.";
      }
      *err = makeError(IoErrorKind::kNotRollrig,
                       "no rollrig answered on " + port + " within " +
                           std::to_string(opt.identify_timeout_ms / 1000.0).substr(0, 3) +
                           " s: " + why);
      return false;
    }
    if (!sendCommand(proto::kCmdIdentify, nullptr, err)) return false;
    // At least one read after each IDENTIFY, even when this thread was not scheduled until the
    // interval had passed (a loaded machine): else a device that answered would be "silent".
    const auto next = Clock::now() + std::chrono::milliseconds(opt.identify_interval_ms);
    do {
      if (cancelled()) return false;
      const auto left =
          std::max(std::chrono::milliseconds(0),
                   std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()));
      const long n = m_stream->read(buf, sizeof(buf), static_cast<int>(left.count()) + 1, err);
      if (n < 0) return false;
      bytes_seen += static_cast<uint64_t>(n);
      m_decoder->feed(buf, static_cast<size_t>(n));
    } while (!m_sink->have_info && Clock::now() < next);
  }
  m_info = m_sink->info;
  if (m_info.magic != proto::kMagic) {
    *err = makeError(IoErrorKind::kNotRollrig,
                     "the device on " + port + " answered, but it is not a rollrig (wrong magic).");
    return false;
  }
  if (m_info.proto_major != proto::kProtocolMajor) {
    *err = makeError(IoErrorKind::kProtocolVersion,
                     "the rollrig on " + port + " speaks protocol v" +
                         std::to_string(m_info.proto_major) + "." +
                         std::to_string(m_info.proto_minor) + "; this host understands v" +
                         std::to_string(proto::kProtocolMajor) +
                         ".x. Update the host, or flash the firmware that ships with it "
                         "(cmake --build build --target flash).");
    return false;
  }

  // The centre of pressure needs all four cells; a device with fewer would read the missing
  // cells as 0 N. Refuse now, naming the count, rather than record something wrong.
  if (m_info.channel_count != core::kCellCount) {
    *err = makeError(IoErrorKind::kUnsupportedDevice,
                     "the device on " + port + " reports " + std::to_string(m_info.channel_count) +
                         " load cell" + (m_info.channel_count == 1 ? "" : "s") +
                         "; rollrig needs " + std::to_string(core::kCellCount) +
                         " (one under each corner of the plate) to measure force and the ball's "
                         "position. Check the cell count setting (SET_SETTING key 3, "
                         "firmware/PROTOCOL.md) and the wiring.");
    return false;
  }
  m_decoder->setExpectedChannelCount(m_info.channel_count);

  // START, then wait for its ACK; samples count from the ACK on. A START lost on the way (line
  // noise) is sent again every identify_interval_ms until start_ack_timeout_ms.
  m_sink->arm_on_start = true;
  const auto ack_deadline = Clock::now() + std::chrono::milliseconds(opt.start_ack_timeout_ms);
  auto next_start = Clock::now();
  while (!m_sink->armed) {
    if (cancelled()) return false;
    for (const auto& a : m_sink->acks) {
      if (a.cmd_type == proto::kCmdStart && a.result != proto::kAckOk) {
        *err = makeError(
            IoErrorKind::kNotRollrig,
            "the rollrig on " + port + " refused to start streaming: " + nackMeaning(a.result) +
                ". Power-cycle the rig (unplug it and plug it back in) and try again; "
                "if it keeps refusing, reflash the firmware that ships with this host.");
        return false;
      }
    }
    m_sink->acks.clear();
    const auto now = Clock::now();
    if (now >= ack_deadline) {
      *err = makeError(IoErrorKind::kNotRollrig,
                       "the rollrig on " + port +
                           " answered IDENTIFY but did not acknowledge "
                           "START within " +
                           std::to_string(opt.start_ack_timeout_ms) +
                           " ms (a busy or failing link, or firmware that does not stream?). "
                           "Power-cycle the rig and try again.");
      return false;
    }
    if (now >= next_start) {
      next_start = now + std::chrono::milliseconds(opt.identify_interval_ms);
      if (!sendCommand(proto::kCmdStart, nullptr, err)) return false;
    }
    const long n = m_stream->read(buf, sizeof(buf), 20, err);
    if (n < 0) return false;
    m_decoder->feed(buf, static_cast<size_t>(n));
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.swap(m_sink->batch);
    m_snapshot.running = true;
    m_last_arrival = m_arrival_clock();
  }
  m_sink->batch.clear();
  m_thread = std::thread([this] {
    blockStopSignalsInThisThread();
    run();
  });
  return true;
}

void Acquisition::run() {
  uint8_t buf[8192];
  IoError err;
  auto last_restart = Clock::now() - std::chrono::seconds(10);
  uint64_t restarts = 0;
  const bool may_wait = m_stream->waitsForTheReader();
  while (!m_stop.load(std::memory_order_relaxed)) {
    if (may_wait) {
      // A source that loses nothing while unread: wait for the consumer rather than queue
      // without bound (woken by take(); the timeout only re-checks m_stop).
      std::unique_lock<std::mutex> lock(m_mutex);
      m_snapshot.waiting_for_consumer = m_queue.size() >= kMaxQueuedFromAWaitingSource;
      if (m_snapshot.waiting_for_consumer) {
        m_taken.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
    }
    const long n = m_stream->read(buf, sizeof(buf), 50, &err);
    if (n < 0) break;
    m_decoder->feed(buf, static_cast<size_t>(n));
    if (m_sink->restart_seen) {
      // The device rebooted mid-session (a reset, a brown-out, the watchdog): it is alive but no
      // longer streaming. Ask again, at most every 250 ms; the decoder records the gap.
      m_sink->restart_seen = false;
      const auto now = Clock::now();
      if (now - last_restart >= std::chrono::milliseconds(250)) {
        last_restart = now;
        ++restarts;
        IoError ignored;
        sendCommand(proto::kCmdStart, nullptr, &ignored);
      }
    }
    const bool arrived = !m_sink->batch.empty();
    const auto arrival = arrived ? m_arrival_clock() : std::chrono::steady_clock::time_point{};
    std::lock_guard<std::mutex> lock(m_mutex);
    if (arrived) m_last_arrival = arrival;
    if (m_queue.empty()) {
      m_queue.swap(m_sink->batch);
    } else {
      m_queue.insert(m_queue.end(), m_sink->batch.begin(), m_sink->batch.end());
      m_sink->batch.clear();
    }
    m_snapshot.stats = m_decoder->stats();
    m_snapshot.last_status = m_sink->status;
    m_snapshot.nacks = m_sink->nacks;
    m_snapshot.restarts = restarts;
    m_sink->acks.clear();
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  m_snapshot.stats = m_decoder->stats();
  m_snapshot.error = err;
  m_snapshot.running = false;
}

void Acquisition::take(std::vector<core::Sample>& out, AcquisitionSnapshot* snap) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_taken.notify_one();
  if (out.empty()) {
    out.swap(m_queue);
  } else {
    out.insert(out.end(), m_queue.begin(), m_queue.end());
    m_queue.clear();
  }
  if (snap) *snap = snapshotLocked();
}

AcquisitionSnapshot Acquisition::snapshot() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return snapshotLocked();
}

AcquisitionSnapshot Acquisition::snapshotLocked() const {
  AcquisitionSnapshot snap = m_snapshot;
  if (m_last_arrival != std::chrono::steady_clock::time_point{}) {
    const std::chrono::duration<double> idle = m_arrival_clock() - m_last_arrival;
    snap.since_last_sample_s = std::max(0.0, idle.count());
  }
  return snap;
}

void Acquisition::stop() {
  if (!m_thread.joinable()) return;
  m_stop.store(true);
  m_thread.join();
  IoError ignored;
  sendCommand(proto::kCmdStop, nullptr, &ignored);  // best effort; the port may be gone
}

}  // namespace rollrig::io

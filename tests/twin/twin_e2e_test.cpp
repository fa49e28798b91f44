// End to end through the firmware twin: the real firmware ELF in simavr, simulated HX711s fed by
// the body model, a pty, and the host's own transport, handshake and decoder. Each test runs the
// twin flat out (--fast) on its own pty, so tests can run in parallel.
//
// The twin's speed depends on the machine and its load (from several times real time to well
// below it), so every wait is on device time — the twin's simulated clock or the samples' own
// t_us — or on completion. The wall clock only catches a hang (kPatience).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "protocol/protocol.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/engine/session_sink.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/fault_injecting_stream.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/twin/twin.h"

using namespace rollrig;
using namespace std::chrono_literals;

namespace {

// Only a hung twin or host ever waits this long; a slow machine is not a hang.
constexpr auto kPatience = 300s;

// build/firmware/rollrig.elf, found from ROLLRIG_BIN (build/bin) as ctest sets it.
std::string firmwareElf() {
  if (const char* p = std::getenv("ROLLRIG_FIRMWARE_ELF")) return p;
  const char* bin = std::getenv("ROLLRIG_BIN");
  return std::string(bin ? bin : "build/bin") + "/../firmware/rollrig.elf";
}

// The twin simulating on its own thread for the lifetime of this object.
class RunningTwin {
 public:
  explicit RunningTwin(twin::TwinOptions opt) : m_twin(std::move(opt)) {
    std::string error;
    m_ok = m_twin.start(&error);
    m_error = error;
    if (m_ok) m_thread = std::thread([this] { m_report = m_twin.run(); });
  }
  ~RunningTwin() { finish(); }
  twin::TwinReport finish() {
    m_twin.stop();
    if (m_thread.joinable()) m_thread.join();
    return m_report;
  }
  bool ok() const { return m_ok; }
  const std::string& error() const { return m_error; }
  const std::string& pty() const { return m_twin.ptyPath(); }
  // Device seconds since power-on: the clock the tests wait on.
  double deviceTimeS() const { return m_twin.deviceTimeS(); }

 private:
  twin::Twin m_twin;
  bool m_ok = false;
  std::string m_error;
  std::thread m_thread;
  twin::TwinReport m_report;
};

twin::TwinOptions fastTwin(uint64_t seed, double body_duration_s = 120) {
  twin::TwinOptions o;
  o.firmware_elf = firmwareElf();
  o.body.seed = seed;
  o.body.duration_s = body_duration_s;
  o.fast = true;
  return o;
}

struct Recording {
  std::vector<core::Sample> samples;
  io::AcquisitionSnapshot snap;
  proto::InfoFrame info{};
  bool started = false;
  std::string error;
};

// Records `seconds` of device time (from the first sample) through the host's own stack. Gives
// up when the twin has simulated `seconds` plus a generous margin more than that without it.
Recording record(const RunningTwin& twin, double seconds) {
  Recording r;
  io::IoError err;
  auto port = io::openPort(twin.pty(), io::kDefaultBaud, &err);
  if (!port) {
    r.error = err.message;
    return r;
  }
  io::Acquisition acq(std::move(port));
  // The handshake's timeouts are wall-clock seconds, right for a board running in real time;
  // the twin may run well below real time on a loaded machine, so give it all the time it needs.
  io::HandshakeOptions patient;
  patient.identify_timeout_ms = 120000;
  patient.start_ack_timeout_ms = 60000;
  if (!acq.start(&err, patient)) {
    r.error = err.message;
    return r;
  }
  r.started = true;
  r.info = acq.info();
  const double device_give_up_s = twin.deviceTimeS() + seconds + 30;
  const auto hung = std::chrono::steady_clock::now() + kPatience;
  while (twin.deviceTimeS() < device_give_up_s && std::chrono::steady_clock::now() < hung) {
    acq.take(r.samples, &r.snap);
    if (!r.samples.empty() && r.samples.back().t_us - r.samples.front().t_us >= seconds * 1e6)
      break;
    if (!r.snap.running) break;
    std::this_thread::sleep_for(5ms);
  }
  acq.stop();
  acq.take(r.samples, &r.snap);
  return r;
}

// A host speaking the protocol by hand over the twin's pty: commands out, every frame kept.
class RawHost {
 public:
  struct Sink : core::FrameSink {
    std::vector<core::Sample> samples;
    std::vector<proto::InfoFrame> infos;
    std::vector<proto::StatusFrame> statuses;
    std::vector<proto::AckFrame> acks;
    // How many samples had arrived when each INFO and ACK arrived: the order on the wire.
    std::vector<size_t> samples_before_info, samples_before_ack;
    void onSample(const core::Sample& s) override { samples.push_back(s); }
    void onInfo(const proto::InfoFrame& f) override {
      infos.push_back(f);
      samples_before_info.push_back(samples.size());
    }
    void onStatus(const proto::StatusFrame& f) override { statuses.push_back(f); }
    void onAck(const proto::AckFrame& a) override {
      acks.push_back(a);
      samples_before_ack.push_back(samples.size());
    }
    size_t nacks() const {
      return static_cast<size_t>(std::count_if(
          acks.begin(), acks.end(), [](const auto& a) { return a.result != proto::kAckOk; }));
    }
    const proto::AckFrame* ackFor(uint8_t seq, uint8_t type, size_t* index = nullptr) const {
      for (size_t i = 0; i < acks.size(); ++i) {
        if (acks[i].cmd_seq != seq || acks[i].cmd_type != type) continue;
        if (index) *index = i;
        return &acks[i];
      }
      return nullptr;
    }
  };

  explicit RawHost(const RunningTwin& twin) : m_twin(twin) {
    m_port = io::openPort(twin.pty(), io::kDefaultBaud, &m_err);
  }
  bool ok() const { return m_port != nullptr; }
  const std::string& error() const { return m_err.message; }

  uint8_t send(uint8_t type) {
    proto::CommandFrame c{};
    c.type = type;
    c.seq = ++m_seq;
    uint8_t wire[proto::kMaxWireFrame];
    io::IoError e;
    m_port->write(wire, proto::encodeCommand(c, wire, sizeof(wire)), &e);
    return c.seq;
  }
  // Sends `type` if `period_s` of device time has passed since the last call that sent.
  void sendEvery(double period_s, uint8_t type) {
    if (m_twin.deviceTimeS() < m_next_send_s) return;
    m_next_send_s = m_twin.deviceTimeS() + period_s;
    send(type);
  }
  // Reads and decodes until done() holds, for at most `device_budget_s` of the twin's time.
  bool pumpUntil(const std::function<bool()>& done, double device_budget_s) {
    const double give_up_s = m_twin.deviceTimeS() + device_budget_s;
    const auto hung = std::chrono::steady_clock::now() + kPatience;
    m_next_send_s = 0;
    while (!done()) {
      if (m_twin.deviceTimeS() >= give_up_s || std::chrono::steady_clock::now() >= hung)
        return false;
      uint8_t buf[4096];
      const long n = m_port->read(buf, sizeof(buf), 20, &m_err);
      if (n > 0) decoder.feed(buf, static_cast<size_t>(n));
    }
    return true;
  }

  Sink sink;
  core::FrameDecoder decoder{sink};

 private:
  const RunningTwin& m_twin;
  io::IoError m_err;
  std::unique_ptr<io::ByteStream> m_port;
  uint8_t m_seq = 0;
  double m_next_send_s = 0;
};

// Session time never runs backwards; counts the samples flagged RESET_SEEN.
size_t resetSeenCount(const std::vector<core::Sample>& samples, size_t* last_index = nullptr) {
  size_t n = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(samples[i].t_us, samples[i - 1].t_us) << "sample " << i;
    }
    if (samples[i].flags & proto::kFlagResetSeen) {
      ++n;
      if (last_index) *last_index = i;
    }
  }
  return n;
}

// The twin's chips latch the body model's counts at each conversion: every channel of every
// sample must be one of the model's recent samples, exactly.
size_t countsNotFromTheModel(const std::vector<core::Sample>& samples,
                             const sim::BodyModelConfig& cfg) {
  sim::BodyModel model(cfg);
  std::vector<sim::ModelSample> ms;
  size_t bad = 0;
  for (const auto& s : samples) {
    // Model sample j is current from (j + 1) * 12.5 ms; a set completes up to a period after
    // its first conversion, so look a few samples back.
    const long k = static_cast<long>(s.t_us / 12500);
    while (static_cast<long>(ms.size()) <= k) ms.push_back(model.next());
    for (int c = 0; c < 4; ++c) {
      if (!(s.fresh_mask & (1 << c))) continue;
      bool found = false;
      for (long j = std::max(0L, k - 3); j <= k && !found; ++j)
        found = ms[j].raw_counts[c] == s.raw_counts[c];
      if (!found) ++bad;
    }
  }
  return bad;
}

}  // namespace

TEST(Twin, StreamsTheBodyModelThroughTheRealFirmwareWithoutLoss) {
  RunningTwin t(fastTwin(11));
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 20);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.info.magic, proto::kMagic);
  EXPECT_EQ(r.info.fw_major, 0);
  EXPECT_EQ(r.info.fw_minor, 1);
  EXPECT_EQ(r.info.channel_count, 4);
  EXPECT_NEAR(static_cast<double>(r.samples.size()), 1600.0, 3.0);
  EXPECT_EQ(r.snap.stats.frames_lost, 0u);
  EXPECT_EQ(r.snap.stats.crc_errors, 0u);
  EXPECT_EQ(r.snap.stats.badFrames(), 0u);
  size_t whole = 0;
  for (const auto& s : r.samples) whole += s.fresh_mask == 0x0F;
  EXPECT_GT(whole, r.samples.size() - 5) << "sets hold all four chips";
  sim::BodyModelConfig cfg;
  cfg.seed = 11;
  cfg.duration_s = 120;
  EXPECT_EQ(countsNotFromTheModel(r.samples, cfg), 0u);
  // What the simulation measured about the firmware.
  RecordProperty("speedup", std::to_string(rep.speedup));
  RecordProperty("max_irq_off_in_read_us", std::to_string(rep.max_irq_off_in_read_us));
  RecordProperty("max_sck_high_us", std::to_string(rep.max_sck_high_us));
  std::printf(
      "twin: speed-up %.2fx, longest SCK high %.2f us, interrupts off %.2f us in a read "
      "(%.2f us anywhere), longest read %.1f us, firmware dropped %u frames\n",
      rep.speedup, rep.max_sck_high_us, rep.max_irq_off_in_read_us, rep.max_irq_off_us,
      rep.max_read_us, rep.firmware_frames_dropped);
  EXPECT_LT(rep.max_sck_high_us, 5.0) << "far below the 60 us that powers an HX711 down";
  EXPECT_LE(rep.max_irq_off_in_read_us, 2.0);
  EXPECT_EQ(rep.hx711_power_downs, 0u);
  EXPECT_EQ(rep.firmware_frames_dropped, 0u) << "250000 baud has room for the stream";
}

TEST(Twin, FlagsADeadChipAndKeepsTheOtherThreeCellsAtEightyHertz) {
  auto opt = fastTwin(12);
  opt.faults.dead_chip = 2;
  opt.faults.dead_chip_at_s = 4;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 10);
  t.finish();
  ASSERT_TRUE(r.started) << r.error;
  ASSERT_GT(r.samples.size(), 700u);
  size_t after = 0, flagged = 0, three = 0;
  const uint64_t dead_from = 4600000;  // dead at 4 s, timed out 100 ms later, margin
  const uint64_t end = r.samples.back().t_us;
  for (const auto& s : r.samples) {
    if (s.t_us < dead_from || s.t_us + 500000 > end) continue;
    ++after;
    flagged += (s.flags & proto::kFlagHx711Timeout) != 0;
    three += s.fresh_mask == 0x0B;
  }
  ASSERT_GT(after, 100u);
  EXPECT_EQ(flagged, after);
  EXPECT_EQ(three, after);
  const double span_s = (end - 500000 - dead_from) / 1e6;
  EXPECT_NEAR(after / span_s, 80.0, 1.0);
  EXPECT_EQ(r.snap.stats.frames_lost, 0u);
  ASSERT_TRUE(r.snap.last_status.has_value());
  EXPECT_EQ(r.snap.last_status->hx711_timeouts, 1);
}

TEST(Twin, CorruptedBytesCostOnlyTheFramesTheyHitAndAreNeverAccepted) {
  auto opt = fastTwin(13);
  opt.faults.uart_flip_probability = 3e-4;
  opt.faults.uart_drop_probability = 2e-4;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 15);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  ASSERT_GT(rep.uart_bytes_flipped + rep.uart_bytes_dropped, 10u);
  const auto& st = r.snap.stats;
  EXPECT_GT(st.badFrames(), 0u);
  EXPECT_GT(st.frames_lost, 0u);
  // Each damaged byte costs at most the frame it is in, plus the one a lost delimiter glues on.
  EXPECT_LE(st.frames_lost, 2 * (rep.uart_bytes_flipped + rep.uart_bytes_dropped));
  sim::BodyModelConfig cfg;
  cfg.seed = 13;
  cfg.duration_s = 120;
  EXPECT_EQ(countsNotFromTheModel(r.samples, cfg), 0u) << "no corrupted sample was accepted";
}

// One reset of the given cause: the twin saw it, the new boot's INFO and every STATUS name it, and
// the host started the stream again.
static void expectOneResetWithCause(const twin::TwinReport& rep, const Recording& r,
                                    uint8_t cause) {
  EXPECT_EQ(rep.board_resets, 1u);
  EXPECT_EQ(rep.boot_reset_causes, (std::vector<uint8_t>{proto::kResetPowerOn, cause}));
  ASSERT_TRUE(r.snap.last_status.has_value());
  EXPECT_EQ(r.snap.last_status->reset_cause, cause);
  EXPECT_GE(r.snap.restarts, 1u) << "the host started the stream again";
}

TEST(Twin, ABoardResetMidStreamIsDetectedAndRecordingContinues) {
  auto opt = fastTwin(14);
  opt.faults.reset_at_s = 6;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 9);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  expectOneResetWithCause(rep, r, proto::kResetExternal);
  EXPECT_GE(r.snap.stats.device_resets, 1u);
  size_t i_reset = 0;
  ASSERT_EQ(resetSeenCount(r.samples, &i_reset), 2u) << "the first sample of each boot";
  EXPECT_GT(r.samples.size() - i_reset, 80u) << "at least a second of samples after the reset";
  // The gap is estimated from the device's time since its new boot (a lower bound): boot, the
  // host's new START and the first whole set take more than one sample period. How long the
  // host takes to answer the boot INFO depends on the machine (the twin does not wait for it),
  // so the upper bound only rules out a misread clock (a wrap or a phantom jump is minutes).
  const uint64_t gap_us = r.samples[i_reset].t_us - r.samples[i_reset - 1].t_us;
  EXPECT_GT(gap_us, 5000u) << "the reboot shows as a gap in session time";
  EXPECT_LT(gap_us, 10000000u);
}

TEST(Twin, AnSckStretchPowersAChipDownItRecoversAndIsFlaggedSettling) {
  auto opt = fastTwin(15);
  opt.faults.sck_stretch_chip = 1;
  opt.faults.sck_stretch_at_s = 4;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 8);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(rep.hx711_power_downs, 1u);
  size_t settling = 0;
  bool back = false;
  for (const auto& s : r.samples) {
    if (s.t_us < 4000000) continue;
    if (s.flags & proto::kFlagSettling) ++settling;
    if (settling > 0 && s.fresh_mask == 0x0F && !(s.flags & proto::kFlagSettling)) back = true;
  }
  EXPECT_GE(settling, 2u) << "the restarted chip's first values are flagged";
  EXPECT_TRUE(back) << "and then it is a whole set again";
  EXPECT_EQ(r.snap.stats.frames_lost, 0u) << "the other chips never stopped";
}

TEST(Twin, GarbageFromTheHostGetsNacksAndTheStreamNeverStops) {
  auto opt = fastTwin(16);
  opt.faults.host_corrupt_probability = 0.1;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  RawHost host(t);
  ASSERT_TRUE(host.ok()) << host.error();
  const auto& sink = host.sink;
  // START until samples flow (some STARTs get corrupted on the way).
  ASSERT_TRUE(host.pumpUntil(
      [&] {
        host.sendEvery(0.1, proto::kCmdStart);
        return sink.samples.size() >= 10;
      },
      20))
      << "acks " << sink.acks.size() << " nacks " << sink.nacks() << " bytes "
      << host.decoder.stats().bytes << " bad " << host.decoder.stats().badFrames();
  const uint64_t lost_before = host.decoder.stats().frames_lost;
  // Then ten seconds (device time) of a flood of commands: one per read of the port, and never
  // fewer than 100 per device second however fast the twin runs; a tenth of their bytes are
  // corrupted on the way in. Answers may slow down; the stream must not.
  const size_t first = sink.samples.size();
  const uint64_t flood_from_us = sink.samples.back().t_us;
  const uint64_t flood_to_us = flood_from_us + 10000000;
  const double flood_from_s = t.deviceTimeS();
  int sent = 0;
  host.pumpUntil(
      [&] {
        do {
          host.send(sent++ % 2 ? proto::kCmdPing : proto::kCmdIdentify);
        } while (sent < 100 * (t.deviceTimeS() - flood_from_s));
        return sink.samples.back().t_us >= flood_to_us;
      },
      40);
  t.finish();
  ASSERT_GE(sink.samples.back().t_us, flood_to_us) << "the stream stopped";
  size_t in_flood = 0;
  uint64_t longest_gap_us = 0;
  for (size_t i = first; i < sink.samples.size() && sink.samples[i].t_us <= flood_to_us; ++i) {
    ++in_flood;
    longest_gap_us = std::max(longest_gap_us, sink.samples[i].t_us - sink.samples[i - 1].t_us);
  }
  EXPECT_NEAR(static_cast<double>(in_flood), 800.0, 2.0) << "80 samples per device second";
  EXPECT_LT(longest_gap_us, 20000u) << "not one sample period missed";
  EXPECT_GT(sink.nacks(), 5u) << "corrupted commands are answered with NACKs";
  EXPECT_GT(sink.acks.size() - sink.nacks(), 5u);
  EXPECT_EQ(host.decoder.stats().frames_lost, lost_before);
  EXPECT_EQ(host.decoder.stats().badFrames(), 0u);
}

TEST(Twin, RebootRestartsTheDeviceAndItsInfoSaysTheRestartWasRequested) {
  RunningTwin t(fastTwin(17));
  ASSERT_TRUE(t.ok()) << t.error();
  RawHost host(t);
  ASSERT_TRUE(host.ok()) << host.error();
  const auto& sink = host.sink;
  ASSERT_TRUE(host.pumpUntil(
      [&] {
        host.sendEvery(0.25, proto::kCmdIdentify);
        return !sink.infos.empty();
      },
      5));
  EXPECT_EQ(sink.infos[0].reset_cause, proto::kResetPowerOn);
  ASSERT_TRUE(host.pumpUntil(
      [&] {
        host.sendEvery(0.25, proto::kCmdStart);
        return sink.samples.size() >= 160;
      },
      10))
      << "samples " << sink.samples.size() << " acks " << sink.acks.size() << " infos "
      << sink.infos.size() << " statuses " << sink.statuses.size() << " t " << t.deviceTimeS()
      << " bad " << host.decoder.stats().badFrames();
  const size_t infos_before = sink.infos.size();
  const size_t samples_before = sink.samples.size();
  const uint8_t reboot = host.send(proto::kCmdReboot);
  // ACK, then a new boot whose INFO says why; the device no longer streams (STATUS says so).
  size_t boot_info = 0;
  auto rebooted = [&] {
    for (boot_info = infos_before; boot_info < sink.infos.size(); ++boot_info)
      if (sink.infos[boot_info].reset_cause != proto::kResetPowerOn) return true;
    return false;
  };
  ASSERT_TRUE(
      host.pumpUntil([&] { return sink.ackFor(reboot, proto::kCmdReboot) && rebooted(); }, 5))
      << "infos " << sink.infos.size() << " acks " << sink.acks.size();
  size_t reboot_ack = 0;
  EXPECT_EQ(sink.ackFor(reboot, proto::kCmdReboot, &reboot_ack)->result, proto::kAckOk);
  EXPECT_EQ(sink.infos[boot_info].reset_cause, proto::kResetRequested);
  const size_t samples_at_boot = sink.samples_before_info[boot_info];
  EXPECT_EQ(samples_at_boot, sink.samples_before_ack[reboot_ack])
      << "the ACK is the last frame before the restart: nothing is cut off by the reset";
  const size_t statuses_before = sink.statuses.size();
  ASSERT_TRUE(host.pumpUntil([&] { return sink.statuses.size() > statuses_before; }, 3));
  EXPECT_EQ(sink.statuses.back().reset_cause, proto::kResetRequested);
  EXPECT_EQ(sink.statuses.back().streaming, 0) << "a restarted device waits for START";
  EXPECT_EQ(sink.samples.size(), samples_at_boot) << "nothing streams until START";
  // START again: the session continues.
  ASSERT_TRUE(host.pumpUntil(
      [&] {
        host.sendEvery(0.25, proto::kCmdStart);
        return sink.samples.size() >= samples_before + 160;
      },
      10));
  const twin::TwinReport rep = t.finish();
  EXPECT_EQ(rep.board_resets, 1u);
  EXPECT_EQ(rep.boot_reset_causes,
            (std::vector<uint8_t>{proto::kResetPowerOn, proto::kResetRequested}));
  const auto& st = host.decoder.stats();
  EXPECT_EQ(st.device_resets, 1u);
  EXPECT_EQ(st.frames_lost, 0u);
  EXPECT_EQ(st.badFrames(), 0u);
  size_t last_reset = 0;
  EXPECT_EQ(resetSeenCount(sink.samples, &last_reset), 2u) << "the first sample of each boot";
  EXPECT_GE(last_reset, samples_before);
}

TEST(Twin, AStalledLoopIsResetByTheWatchdogAndTheHostCarriesOnTheSession) {
  auto opt = fastTwin(18);
  opt.faults.stall_at_s = 6;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t, 16);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  // The firmware's boot INFO after the reset names the watchdog; so does every STATUS.
  expectOneResetWithCause(rep, r, proto::kResetWatchdog);
  ASSERT_TRUE(r.snap.last_status.has_value());
  EXPECT_EQ(r.snap.last_status->streaming, 1) << "the host started the stream again";
  // The host's session continues: time monotonic, the reset counted, no phantom losses (the
  // stalled firmware sent nothing, so nothing was lost).
  EXPECT_EQ(r.snap.stats.device_resets, 1u);
  EXPECT_EQ(r.snap.stats.frames_lost, 0u);
  EXPECT_EQ(r.snap.stats.out_of_order, 0u);
  EXPECT_EQ(r.snap.stats.time_wraps, 0u);
  size_t i_reset = 0;
  ASSERT_EQ(resetSeenCount(r.samples, &i_reset), 2u) << "the first sample of each boot";
  ASSERT_GT(i_reset, 0u);
  const auto& before = r.samples[i_reset - 1];
  // The loop stalled at 6 s of device time; samples flowed until then.
  EXPECT_NEAR(before.t_us / 1e6, 6.0, 0.1);
  EXPECT_GT(r.samples.size() - i_reset, 80u * 4) << "seconds of samples after the reset";
  // As for the reset fault: at least a period, and no misread clock.
  const uint64_t gap_us = r.samples[i_reset].t_us - before.t_us;
  EXPECT_GT(gap_us, 5000u) << "the reset shows as a gap in session time";
  EXPECT_LT(gap_us, 10000000u);
}

// [SECTION] The binaries, as a user runs them
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace {

std::string binDir() {
  const char* d = std::getenv("ROLLRIG_BIN");
  return d ? d : "build/bin";
}

// Starts rollrig-twin and reads the pty path from its first line of stdout.
struct TwinProcess {
  pid_t pid = -1;
  std::string pty;
  explicit TwinProcess(const std::vector<std::string>& extra) {
    int out[2];
    if (pipe(out) != 0) return;
    std::vector<std::string> args = {binDir() + "/rollrig-twin", "--firmware", firmwareElf(),
                                     "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {};
    if (f && fgets(line, sizeof(line), f)) pty = line;
    while (!pty.empty() && (pty.back() == '\n' || pty.back() == '\r')) pty.pop_back();
    if (f) fclose(f);
  }
  ~TwinProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st;
      waitpid(pid, &st, 0);
    }
  }
};

}  // namespace

TEST(TwinCli, RollrigRecordsSixtySecondsFromTheTwinsPty) {
  // Device time runs from the twin's start, handshake or not: a long --duration, so a slow start (a
  // loaded machine, a sanitizer build) never leaves fewer than the 60 s the test records.
  TwinProcess twin({"--fast", "--seed", "7", "--duration", "3600"});
  ASSERT_FALSE(twin.pty.empty()) << "rollrig-twin printed no pty path";
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("rollrig-twin-cli-" + std::to_string(getpid()) + ".csv");
  std::filesystem::remove(out);
  // Its own library, never the developer's (the default path).
  const std::string db = out.string() + ".db";
  const std::string cmd = "ROLLRIG_DB=" + db + " " + binDir() + "/rollrig record --port " +
                          twin.pty + " --duration 60 --out " + out.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), p)) output += buf;
  const int st = pclose(p);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << output;
  EXPECT_NE(output.find("firmware 0.1.0"), std::string::npos) << output;
  EXPECT_NE(output.find("frames lost 0 in 0 gaps; CRC errors 0"), std::string::npos) << output;
  std::ifstream in(out);
  std::string line;
  size_t rows = 0;
  std::getline(in, line);
  while (std::getline(in, line)) ++rows;
  EXPECT_NEAR(static_cast<double>(rows), 4800.0, 5.0);
  std::filesystem::remove(out);
  for (const char* suffix : {"", "-wal", "-shm", "-recording"})
    std::filesystem::remove(db + suffix);
}

// [SECTION] The stream fault matrix through the real firmware (docs/RELIABILITY.md)

// Each cell: a fresh connection to the running twin, its bytes damaged on the way in (after a
// clean handshake), `seconds` of device time recorded, every accepted sample checked against the
// frames the firmware sent (the pty carries the UART loss-free, so what arrives clean is the
// truth). In ctest: every kind at 1e-3 and 1e-2 for 2 s each. The long version, for the docs:
//   ROLLRIG_TWIN_FAULT_SECONDS=60 ROLLRIG_TWIN_FAULT_RATES=all (or 1e-4,1e-3)
//   build/tests/twin_tests --gtest_filter='Twin.TheStreamFaultMatrix*'
TEST(Twin, TheStreamFaultMatrixHoldsThroughTheRealFirmware) {
  const char* secs_env = std::getenv("ROLLRIG_TWIN_FAULT_SECONDS");
  const double seconds = secs_env ? std::atof(secs_env) : 2.0;
  // "all" (1e-6 .. 1e-2) or a comma-separated list.
  std::vector<double> rates{1e-3, 1e-2};
  if (const char* env = std::getenv("ROLLRIG_TWIN_FAULT_RATES")) {
    rates.clear();
    if (std::string(env) == "all") {
      rates = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2};
    } else {
      for (const char* p = env; *p;) {
        char* end = nullptr;
        rates.push_back(std::strtod(p, &end));
        if (end == p) break;
        p = *end == ',' ? end + 1 : end;
      }
    }
  }
  auto opt = fastTwin(23, 3600);
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  uint64_t cell = 0;
  sim::StreamCheckReport total;
  uint64_t total_bytes = 0, total_faults = 0;
  for (auto kind : {sim::ByteFaultKind::kCorrupt, sim::ByteFaultKind::kDrop,
                    sim::ByteFaultKind::kInsert, sim::ByteFaultKind::kBurst}) {
    for (double rate : rates) {
      SCOPED_TRACE(std::string(sim::byteFaultKindName(kind)) + " at " + std::to_string(rate));
      sim::ByteFaultConfig faults;
      faults.kind = kind;
      faults.rate_per_byte = rate;
      faults.seed = 500 + ++cell;
      faults.clean_prefix_bytes = 256;  // the handshake's INFO and ACKs: ~60 bytes
      sim::StreamTruthChecker truth;
      io::IoError err;
      auto port = io::openPort(t.pty(), io::kDefaultBaud, &err);
      ASSERT_TRUE(port) << err.message;
      auto damaged = std::make_unique<io::FaultInjectingStream>(std::move(port), faults);
      damaged->checkWith(&truth);
      const io::FaultInjectingStream* view = damaged.get();
      io::Acquisition acq(std::move(damaged));
      io::HandshakeOptions patient;
      patient.identify_timeout_ms = 120000;
      patient.start_ack_timeout_ms = 60000;
      ASSERT_TRUE(acq.start(&err, patient)) << err.message;
      std::vector<core::Sample> got;
      io::AcquisitionSnapshot snap;
      const double give_up_s = t.deviceTimeS() + seconds + 30;
      const auto hung = std::chrono::steady_clock::now() + kPatience;
      while (t.deviceTimeS() < give_up_s && std::chrono::steady_clock::now() < hung) {
        acq.take(got, &snap);
        if (!got.empty() && got.back().t_us - got.front().t_us >= seconds * 1e6) break;
        std::this_thread::sleep_for(5ms);
      }
      acq.stop();
      acq.take(got, &snap);
      for (const auto& s : got) truth.onAccepted(s);
      const sim::StreamCheckReport r = truth.report();
      const sim::ByteFaultCounts fc = view->counts();
      SCOPED_TRACE(sim::describe(r));
      std::printf("twin %s %.0e: %llu bytes, %llu faults: %s\n", sim::byteFaultKindName(kind), rate,
                  static_cast<unsigned long long>(fc.bytes_in),
                  static_cast<unsigned long long>(fc.faults), sim::describe(r).c_str());
      EXPECT_GE(r.accepted, static_cast<uint64_t>(seconds * 80 * (rate >= 1e-2 ? 0.5 : 0.9)));
      EXPECT_EQ(r.accepted_corrupt, 0u);
      EXPECT_EQ(r.accounting_errors, 0u);
      EXPECT_EQ(r.missed, r.missed_counted) << "every lost frame is counted";
      EXPECT_EQ(snap.stats.frames_lost, r.missed_counted);
      EXPECT_EQ(r.time_shifts, 0u);
      EXPECT_LE(r.worst_resync_frames, 1u);
      EXPECT_EQ(snap.stats.device_resets, 0u);
      if (rate >= 1e-2) {
        EXPECT_GT(r.missed, 0u) << "the faults reached the decoder";
      }
      total_bytes += fc.bytes_in;
      total_faults += fc.faults;
      total.sent += r.sent;
      total.accepted += r.accepted;
      total.accepted_corrupt += r.accepted_corrupt;
      total.missed += r.missed;
      total.missed_counted += r.missed_counted;
      total.worst_resync_frames = std::max(total.worst_resync_frames, r.worst_resync_frames);
    }
  }
  const twin::TwinReport rep = t.finish();
  std::printf(
      "twin total: %llu bytes, %llu faults, %llu samples sent, %llu accepted, %llu "
      "accepted corrupt, %llu lost (%llu counted), worst resync %llu frames; %.0f s "
      "simulated at %.2fx\n",
      static_cast<unsigned long long>(total_bytes), static_cast<unsigned long long>(total_faults),
      static_cast<unsigned long long>(total.sent), static_cast<unsigned long long>(total.accepted),
      static_cast<unsigned long long>(total.accepted_corrupt),
      static_cast<unsigned long long>(total.missed),
      static_cast<unsigned long long>(total.missed_counted),
      static_cast<unsigned long long>(total.worst_resync_frames), rep.simulated_s, rep.speedup);
}

// [SECTION] The disconnect matrix through the real firmware (docs/RELIABILITY.md)

// Unplug and replug, as the twin: the session's port (a symlink, as a udev name would be) goes
// away with the first twin and comes back with a second, a freshly powered board with the same
// serial. The session records the disconnect, reconnects by itself, and goes on: nothing lost
// while either board was connected, session time running on across the gap.
TEST(Twin, ASessionGoesOnWhenTheBoardIsUnpluggedAndPluggedInAgain) {
  const std::string link = (std::filesystem::temp_directory_path() /
                            ("rollrig-twin-replug-" + std::to_string(::getpid())))
                               .string();
  auto first_opt = fastTwin(31);
  first_opt.pty_link = link;
  auto first = std::make_unique<RunningTwin>(first_opt);
  ASSERT_TRUE(first->ok()) << first->error();

  engine::LiveSessionOptions o;
  o.open = engine::portOpener(link, 0);
  o.handshake.identify_timeout_ms = 120000;
  o.handshake.start_ack_timeout_ms = 60000;
  o.reconnect_interval_ms = 50;
  o.calibration_dir = (std::filesystem::temp_directory_path() / "rollrig-twin-no-cal").string();
  engine::LiveSession session(o);
  engine::MemorySessionSink sink;
  session.addSink(&sink);
  session.start();
  const auto hung = std::chrono::steady_clock::now() + kPatience;
  auto waitFor = [&](const std::function<bool(const engine::LiveSnapshot&)>& done) {
    engine::LiveSnapshot s = session.snapshot();
    while (!done(s) && std::chrono::steady_clock::now() < hung) {
      std::this_thread::sleep_for(5ms);
      s = session.snapshot();
    }
    return s;
  };
  // 5 s of the first board's time, then it is unplugged.
  waitFor([](const engine::LiveSnapshot& s) { return s.elapsed_s >= 5; });
  const twin::TwinReport first_rep = first->finish();
  first.reset();
  engine::LiveSnapshot snap = waitFor([](const engine::LiveSnapshot& s) {
    return s.state == engine::ConnectionState::kReconnecting;
  });
  ASSERT_EQ(snap.state, engine::ConnectionState::kReconnecting);
  const uint64_t before = snap.samples_recorded;
  // Plugged in again: a new board (power-on), the same serial, the same port name.
  auto second_opt = fastTwin(32);
  second_opt.pty_link = link;
  RunningTwin second(second_opt);
  ASSERT_TRUE(second.ok()) << second.error();
  snap = waitFor([&](const engine::LiveSnapshot& s) {
    return s.state == engine::ConnectionState::kStreaming && s.elapsed_s >= 10 &&
           s.samples_recorded > before + 240;
  });
  session.stop();
  ASSERT_TRUE(session.wait(kPatience));
  const twin::TwinReport second_rep = second.finish();
  const auto rec = sink.record();
  snap = session.snapshot();
  EXPECT_EQ(snap.end_reason, engine::EndReason::kStopped);
  // Every sample the first board sent reached the session but those still in the pty when it
  // vanished (a real unplug loses what the USB adapter held, too).
  EXPECT_LE(before, first_rep.samples_sent);
  EXPECT_GE(before + 8, first_rep.samples_sent);
  EXPECT_GT(rec.samples.size(), before + 240);
  EXPECT_LE(rec.samples.size() - before, second_rep.samples_sent);
  EXPECT_EQ(snap.stats.frames_lost, 0u) << "nothing lost while a board was connected";
  for (size_t i = 1; i < rec.samples.size(); ++i)
    ASSERT_GT(rec.samples[i].sample.t_us, rec.samples[i - 1].sample.t_us)
        << "time runs on at " << i;
  std::vector<core::ConnectionEventKind> kinds;
  for (const auto& e : rec.events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds,
            (std::vector<core::ConnectionEventKind>{core::ConnectionEventKind::kConnected,
                                                    core::ConnectionEventKind::kDisconnected,
                                                    core::ConnectionEventKind::kReconnected}));
  std::printf("twin unplugged after %llu samples, %llu of %llu sent by the second board recorded\n",
              static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(rec.samples.size() - before),
              static_cast<unsigned long long>(second_rep.samples_sent));
}

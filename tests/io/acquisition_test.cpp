// Acquisition: the handshake's outcomes and the loss-free I/O thread, against the virtual rig and
// small scripted fakes.
#include "rollrig/io/acquisition.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <thread>

#include "rollrig/io/fault_injecting_stream.h"
#include "rollrig/io/virtual_rig_stream.h"

using namespace rollrig;
using namespace std::chrono_literals;

namespace {

// A fake device: answers each host frame through `respond`, and can be told to fail reads.
class ScriptedStream : public io::ByteStream {
 public:
  std::function<std::vector<uint8_t>(const proto::CommandFrame&)> respond;
  std::vector<uint8_t> noise;  // sent once, at the first read
  std::atomic<bool> fail_reads{false};

  long read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError* err) override {
    if (fail_reads) {
      *err = io::makeError(io::IoErrorKind::kDisconnected, "the device went away");
      return -1;
    }
    if (!noise.empty()) {
      m_out.insert(m_out.end(), noise.begin(), noise.end());
      noise.clear();
    }
    if (m_out.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 5)));
      return 0;
    }
    size_t n = std::min(cap, m_out.size());
    for (size_t i = 0; i < n; ++i) {
      buf[i] = m_out.front();
      m_out.pop_front();
    }
    return static_cast<long>(n);
  }
  bool write(const uint8_t* data, size_t len, io::IoError*) override {
    for (size_t i = 0; i < len; ++i) {
      if (m_acc.push(data[i]) != proto::FrameAccumulator::kFrame) continue;
      proto::CommandFrame c{};
      uint8_t type;
      if (proto::checkPayload(m_acc.payload(), m_acc.size(), &type) == proto::kParseOk &&
          proto::parseCommand(m_acc.payload(), m_acc.size(), &c) == proto::kParseOk && respond) {
        auto r = respond(c);
        m_out.insert(m_out.end(), r.begin(), r.end());
      }
    }
    return true;
  }
  void flushInput() override {}
  std::string describe() const override { return "scripted"; }

 private:
  std::deque<uint8_t> m_out;
  proto::FrameAccumulator m_acc;
};

std::vector<uint8_t> infoBytes(uint8_t major) {
  proto::InfoFrame f{proto::kMagic, major, 0, 0, 1, 0, 1, 4, 80, 99, 0, 0};
  uint8_t wire[proto::kMaxWireFrame];
  return std::vector<uint8_t>(wire, wire + proto::encodeInfo(f, wire, sizeof(wire)));
}

// What a protocol-1 device answers to any command: an ACK with `result`, and INFO after IDENTIFY.
std::vector<uint8_t> answer(const proto::CommandFrame& c, uint8_t result = proto::kAckOk) {
  std::vector<uint8_t> out;
  uint8_t wire[proto::kMaxWireFrame];
  proto::AckFrame a{c.seq, c.type, result};
  out.insert(out.end(), wire, wire + proto::encodeAck(a, wire, sizeof(wire)));
  if (c.type == proto::kCmdIdentify) {
    auto i = infoBytes(1);
    out.insert(out.end(), i.begin(), i.end());
  }
  return out;
}

// No test may depend on wall-clock speed (the machines are shared and loaded). Where the device
// answers, the test waits on completion and these limits only catch a hang; they are never
// reached by a correct program however slow the machine.
constexpr auto kPatience = 120s;

// For a device that answers: the handshake's timeouts are hang detectors only.
io::HandshakeOptions patient() {
  io::HandshakeOptions o;
  o.identify_interval_ms = 50;
  o.identify_timeout_ms = 60000;
  o.start_ack_timeout_ms = 60000;
  return o;
}

// For a device that never gives a usable answer: the test checks that the timeout fires, so it is
// short; the checks on how long that took are a lower bound and a generous upper one.
constexpr int kGiveUp_ms = 400;
io::HandshakeOptions givesUpSoon() {
  io::HandshakeOptions o;
  o.identify_interval_ms = 50;
  o.identify_timeout_ms = kGiveUp_ms;
  o.start_ack_timeout_ms = kGiveUp_ms;
  return o;
}

// Takes from `acq` until `done` holds or kPatience passes (then the test's checks fail).
void takeUntil(io::Acquisition& acq, std::vector<core::Sample>& got, io::AcquisitionSnapshot& snap,
               const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    acq.take(got, &snap);
    std::this_thread::sleep_for(1ms);
  }
}

}  // namespace

TEST(Acquisition, HandshakesWithTheVirtualRigAndQueuesEverySample) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 3;
  auto rig = std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast);
  io::Acquisition acq(std::move(rig));
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  EXPECT_EQ(acq.info().magic, proto::kMagic);
  EXPECT_EQ(acq.info().rate_hz, 80);
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return got.size() >= 4000; });
  acq.stop();
  acq.take(got, &snap);
  ASSERT_GE(got.size(), 4000u);
  for (size_t i = 1; i < got.size(); ++i) {
    ASSERT_EQ(static_cast<uint16_t>(got[i].seq - got[i - 1].seq), 1) << "no sample lost at " << i;
    ASSERT_EQ(got[i].t_us - got[i - 1].t_us, 12500u);
  }
  EXPECT_EQ(snap.stats.frames_lost, 0u);
  EXPECT_FALSE(snap.error);
}

TEST(Acquisition, ReportsNotARollrigWhenNothingAnswers) {
  auto s = std::make_unique<ScriptedStream>();
  io::Acquisition acq(std::move(s));
  io::IoError err;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(acq.start(&err, givesUpSoon()));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(err.kind, io::IoErrorKind::kNotRollrig);
  EXPECT_NE(err.message.find("sent nothing"), std::string::npos) << err.message;
  EXPECT_GE(took, std::chrono::milliseconds(kGiveUp_ms)) << "keeps asking for the whole timeout";
  EXPECT_LT(took, 30s) << "gives up once the timeout has passed (generous: a loaded machine)";
}

TEST(Acquisition, ReportsNotARollrigWhenTheDeviceSendsSomethingElse) {
  auto s = std::make_unique<ScriptedStream>();
  const std::string hello = "Hello from another sketch\r\n";
  s->noise.assign(hello.begin(), hello.end());
  io::Acquisition acq(std::move(s));
  io::IoError err;
  EXPECT_FALSE(acq.start(&err, givesUpSoon()));
  EXPECT_EQ(err.kind, io::IoErrorKind::kNotRollrig);
  EXPECT_NE(err.message.find("no valid rollrig frame"), std::string::npos) << err.message;
}

TEST(Acquisition, RefusesAnotherProtocolMajorVersion) {
  auto s = std::make_unique<ScriptedStream>();
  s->respond = [](const proto::CommandFrame& c) {
    return c.type == proto::kCmdIdentify ? infoBytes(2) : std::vector<uint8_t>{};
  };
  io::Acquisition acq(std::move(s));
  io::IoError err;
  EXPECT_FALSE(acq.start(&err, patient()));
  EXPECT_EQ(err.kind, io::IoErrorKind::kProtocolVersion);
  EXPECT_NE(err.message.find("v2.0"), std::string::npos) << err.message;
}

TEST(Acquisition, RecordsADisconnectAsStateAndKeepsWhatArrived) {
  auto owned = std::make_unique<ScriptedStream>();
  ScriptedStream* s = owned.get();
  uint16_t seq = 0;
  s->respond = [&seq](const proto::CommandFrame& c) {
    std::vector<uint8_t> out = answer(c);
    uint8_t wire[proto::kMaxWireFrame];
    if (c.type == proto::kCmdStart) {
      for (int k = 0; k < 10; ++k) {
        proto::SampleFrame f{};
        f.seq = seq++;
        f.t_us = k * 12500u;
        f.channel_count = 4;
        out.insert(out.end(), wire, wire + proto::encodeSample(f, wire, sizeof(wire)));
      }
    }
    return out;
  };
  io::Acquisition acq(std::move(owned));
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return got.size() >= 10; });
  ASSERT_EQ(got.size(), 10u);
  s->fail_reads = true;
  takeUntil(acq, got, snap, [&] { return !snap.running; });
  acq.take(got, &snap);
  EXPECT_EQ(got.size(), 10u);
  EXPECT_FALSE(snap.running);
  EXPECT_EQ(snap.error.kind, io::IoErrorKind::kDisconnected);
}

// Issue 9, item 1: a reboot mid-session, at several uptimes, with its boot INFO and/or its first
// SAMPLE lost on the wire. The session goes on: one reset, no phantom losses, no wrap, time
// monotonic, every sample of both boots kept.
TEST(Acquisition, ContinuesTheSessionAcrossADeviceResetWhateverOfItsAnnouncementIsLost) {
  for (double uptime_s : {4.5, 600.0, 2400.0, 0.5}) {
    for (bool first_lost : {false, true}) {
      for (bool info_lost : {false, true}) {
        SCOPED_TRACE("uptime " + std::to_string(uptime_s) + " s, first sample " +
                     (first_lost ? "lost" : "kept") + ", boot INFO " +
                     (info_lost ? "lost" : "kept"));
        sim::VirtualDeviceConfig cfg;
        cfg.body.seed = 5;
        cfg.reset_at_us = uptime_s < 1 ? 500000 : 1000000;
        cfg.boot_t_us =
            static_cast<uint32_t>(uptime_s * 1e6) - static_cast<uint32_t>(cfg.reset_at_us);
        cfg.lose_first_sample_after_reset = first_lost;
        cfg.lose_boot_info = info_lost;
        io::Acquisition acq(
            std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast));
        io::IoError err;
        ASSERT_TRUE(acq.start(&err, patient())) << err.message;
        std::vector<core::Sample> got;
        io::AcquisitionSnapshot snap;
        takeUntil(acq, got, snap, [&] {
          return snap.stats.device_resets >= 1 && !got.empty() && got.back().seq >= 160;
        });
        acq.stop();
        acq.take(got, &snap);
        ASSERT_FALSE(got.empty());
        EXPECT_EQ(snap.stats.device_resets, 1u);
        EXPECT_EQ(snap.stats.time_wraps, 0u);
        EXPECT_EQ(snap.stats.out_of_order, 0u);
        EXPECT_EQ(snap.stats.duplicates, 0u);
        EXPECT_EQ(snap.stats.frames_lost, first_lost ? 1u : 0u);
        size_t boundary = 0;
        for (size_t i = 1; i < got.size(); ++i) {
          ASSERT_GT(got[i].t_us, got[i - 1].t_us) << "sample " << i;
          if (static_cast<uint16_t>(got[i].seq - got[i - 1].seq) != 1) {
            ASSERT_EQ(boundary, 0u) << "one break in seq only, at the reset";
            boundary = i;
          }
        }
        ASSERT_GT(boundary, 0u);
        EXPECT_EQ(got[boundary].seq, first_lost ? 1 : 0);
        EXPECT_LT(got[boundary].t_us - got[boundary - 1].t_us, 1500000u);
        EXPECT_EQ(static_cast<uint16_t>(got[boundary - 1].seq - got[0].seq) + 1u, boundary);
      }
    }
  }
}

// Issue 9, item 2: the CoP needs four cells, so a device with fewer is refused at the handshake
// with the count named, never recorded with the missing cells as 0 N.
TEST(Acquisition, RefusesADeviceWithFewerThanFourCellsNamingTheCount) {
  for (uint8_t cells : {uint8_t{1}, uint8_t{2}, uint8_t{3}}) {
    sim::VirtualDeviceConfig cfg;
    cfg.cell_count = cells;
    io::Acquisition acq(
        std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast));
    io::IoError err;
    EXPECT_FALSE(acq.start(&err, patient()));
    EXPECT_EQ(err.kind, io::IoErrorKind::kUnsupportedDevice);
    EXPECT_NE(err.message.find("reports " + std::to_string(cells) + " load cell"),
              std::string::npos)
        << err.message;
    EXPECT_NE(err.message.find("needs 4"), std::string::npos) << err.message;
  }
}

TEST(Acquisition, CountsSamplesCarryingFewerCellsThanItsInfoSaysAndNeverQueuesThem) {
  sim::VirtualDeviceConfig cfg;
  cfg.sample_cell_count = 2;  // INFO says 4
  io::Acquisition acq(
      std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast));
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return snap.stats.wrong_channel_count >= 200; });
  acq.stop();
  acq.take(got, &snap);
  EXPECT_GE(snap.stats.wrong_channel_count, 200u);
  EXPECT_TRUE(got.empty()) << "a 2-cell sample must not be recorded with cells 2-3 as zeros";
}

// Issue 9, item 15: a refused START says what the device's result code means.
TEST(Acquisition, ARefusedStartSaysInWordsWhatTheDeviceAnswered) {
  auto s = std::make_unique<ScriptedStream>();
  s->respond = [](const proto::CommandFrame& c) {
    return answer(c, c.type == proto::kCmdStart ? proto::kAckBusy : proto::kAckOk);
  };
  io::Acquisition acq(std::move(s));
  io::IoError err;
  EXPECT_FALSE(acq.start(&err, patient()));
  EXPECT_EQ(err.kind, io::IoErrorKind::kNotRollrig);
  EXPECT_NE(err.message.find("busy"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("Power-cycle"), std::string::npos) << err.message;
}

// Issue 9, item 13: a device that stops sending is visible: the snapshot says how long nothing
// has arrived. The arrival clock is injected, so the test does not depend on wall-clock speed.
TEST(Acquisition, SaysHowLongNoSampleHasArrivedWhenTheDeviceStalls) {
  std::atomic<int64_t> fake_ms{1000000};
  auto clock = [&fake_ms] {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(fake_ms.load()));
  };
  auto owned = std::make_unique<ScriptedStream>();
  owned->respond = [](const proto::CommandFrame& c) {
    std::vector<uint8_t> out = answer(c);
    uint8_t wire[proto::kMaxWireFrame];
    if (c.type == proto::kCmdStart) {
      for (uint16_t k = 0; k < 10; ++k) {  // then nothing: the device has stalled
        proto::SampleFrame f{};
        f.seq = k;
        f.t_us = 100000u + k * 12500u;
        f.channel_count = 4;
        out.insert(out.end(), wire, wire + proto::encodeSample(f, wire, sizeof(wire)));
      }
    }
    return out;
  };
  io::Acquisition acq(std::move(owned), clock);
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return got.size() >= 10; });
  ASSERT_EQ(got.size(), 10u);
  acq.take(got, &snap);
  EXPECT_EQ(snap.since_last_sample_s, 0.0) << "samples just arrived";
  fake_ms += 3500;  // 3.5 s pass with nothing from the device
  acq.take(got, &snap);
  EXPECT_DOUBLE_EQ(snap.since_last_sample_s, 3.5);
  EXPECT_TRUE(snap.running) << "a silent device is not a disconnected one";
  acq.stop();
}

// Issue 9, item 1: when both the boot INFO and the RESET_SEEN sample are lost and the new boot's
// first sample happens to fit the old run, the STATUS uptime running backwards still tells the
// decoder a new boot began (here the device rebooted at 0.35 s of uptime, and the new boot's
// first 10 samples were lost).
TEST(Acquisition, AStatusWhoseUptimeRanBackwardsMarksTheNextSampleAsANewBoot) {
  auto owned = std::make_unique<ScriptedStream>();
  bool started = false;
  owned->respond = [&started](const proto::CommandFrame& c) {
    std::vector<uint8_t> out = answer(c);
    uint8_t wire[proto::kMaxWireFrame];
    if (c.type == proto::kCmdStart && !started) {
      started = true;
      auto sample = [&](uint16_t seq, uint32_t t_us) {
        proto::SampleFrame f{};
        f.seq = seq;
        f.t_us = t_us;
        f.channel_count = 4;
        out.insert(out.end(), wire, wire + proto::encodeSample(f, wire, sizeof(wire)));
      };
      auto status = [&](uint32_t uptime_ms, bool streaming) {
        proto::StatusFrame st{};
        st.uptime_ms = uptime_ms;
        st.streaming = streaming ? 1 : 0;
        out.insert(out.end(), wire, wire + proto::encodeStatus(st, wire, sizeof(wire)));
      };
      for (uint16_t k = 0; k < 4; ++k) sample(k, 300000u + k * 12500u);
      status(345, true);
      status(120, false);  // rebooted; its boot INFO was lost
      for (uint16_t k = 10; k < 30; ++k) sample(k, 500000u + (k - 10) * 12500u);
    }
    return out;
  };
  io::Acquisition acq(std::move(owned));
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return got.size() >= 24; });
  acq.stop();
  acq.take(got, &snap);
  ASSERT_EQ(got.size(), 24u);
  EXPECT_EQ(snap.stats.device_resets, 1u);
  EXPECT_EQ(got[4].lost_before, 10u) << "the new boot's seq 0-9 were lost, not old seq 4-9";
  EXPECT_GT(got[4].t_us, got[3].t_us);
}

TEST(Acquisition, PausesAVirtualRigRunningFlatOutWhileTheConsumerIsBehindAndLosesNothing) {
  // `record --demo --fast` with a long duration: the rig makes samples far faster than a CSV
  // writer takes them. The queue must stay bounded (it grew by ~125 MB/s) and nothing be lost.
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = 5;
  cfg.body.duration_s = 3600;
  io::Acquisition acq(
      std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast));
  io::IoError err;
  ASSERT_TRUE(acq.start(&err, patient())) << err.message;
  constexpr size_t kBound = io::Acquisition::kMaxQueuedFromAWaitingSource;
  // Take nothing until the I/O thread pauses, or has decoded four times the bound (no pause).
  io::AcquisitionSnapshot snap;
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  do {
    std::this_thread::sleep_for(1ms);
    snap = acq.snapshot();
  } while (!snap.waiting_for_consumer && snap.stats.samples < 4 * kBound &&
           std::chrono::steady_clock::now() < give_up);
  std::vector<core::Sample> got;
  acq.take(got, &snap);
  // (one read of the I/O thread's 8 KiB buffer may pass the bound: a 4-cell SAMPLE is 25 bytes)
  EXPECT_LE(got.size(), kBound + 8192 / 25) << "the queue is bounded";
  // Then it carries on where it paused: every sample, in order, none lost.
  takeUntil(acq, got, snap, [&] { return got.size() >= 3 * kBound; });
  acq.stop();
  ASSERT_GE(got.size(), 3 * kBound);
  for (size_t i = 1; i < got.size(); ++i) {
    ASSERT_EQ(got[i].seq, static_cast<uint16_t>(got[i - 1].seq + 1)) << i;
    ASSERT_GT(got[i].t_us, got[i - 1].t_us) << i;
  }
  EXPECT_EQ(snap.stats.frames_lost, 0u);
}

// [SECTION] The stream fault matrix, end to end (docs/RELIABILITY.md, "Stream fault matrix")

namespace {

// The virtual rig's bytes damaged on their way to the acquisition (after a clean handshake), with
// every frame the rig sent known to `truth`; records until `samples` have been accepted.
sim::StreamCheckReport recordThroughFaults(sim::ByteFaultKind kind, double rate, uint64_t seed,
                                           size_t samples, io::AcquisitionSnapshot* snap_out) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = seed;
  sim::ByteFaultConfig faults;
  faults.kind = kind;
  faults.rate_per_byte = rate;
  faults.seed = seed;
  faults.clean_prefix_bytes = 256;  // the handshake (boot INFO, ACKs, INFO) is ~100 bytes
  sim::StreamTruthChecker truth;
  auto stream = std::make_unique<io::FaultInjectingStream>(
      std::make_unique<io::VirtualRigStream>(cfg, io::VirtualRigStream::Pacing::kFast), faults);
  stream->checkWith(&truth);
  io::Acquisition acq(std::move(stream));
  io::IoError err;
  EXPECT_TRUE(acq.start(&err, patient())) << err.message;
  std::vector<core::Sample> got;
  io::AcquisitionSnapshot snap;
  takeUntil(acq, got, snap, [&] { return got.size() >= samples; });
  acq.stop();
  acq.take(got, &snap);
  for (const auto& s : got) truth.onAccepted(s);
  *snap_out = snap;
  return truth.report();
}

}  // namespace

TEST(Acquisition, DamagedBytesFromTheVirtualRigNeverYieldAWrongSampleAndEveryLossIsCounted) {
  uint64_t seed = 40;
  for (auto kind : {sim::ByteFaultKind::kCorrupt, sim::ByteFaultKind::kDrop,
                    sim::ByteFaultKind::kInsert, sim::ByteFaultKind::kBurst}) {
    for (double rate : {1e-4, 1e-3, 1e-2}) {
      SCOPED_TRACE(std::string(sim::byteFaultKindName(kind)) + " at " + std::to_string(rate));
      io::AcquisitionSnapshot snap;
      const sim::StreamCheckReport r = recordThroughFaults(kind, rate, ++seed, 8000, &snap);
      SCOPED_TRACE(sim::describe(r));
      EXPECT_GE(r.accepted, 8000u);
      EXPECT_EQ(r.accepted_corrupt, 0u);
      EXPECT_EQ(r.accounting_errors, 0u);
      EXPECT_EQ(r.missed, r.missed_counted);
      EXPECT_EQ(snap.stats.frames_lost, r.missed_counted) << "the acquisition's statistics agree";
      EXPECT_EQ(r.time_shifts, 0u);
      EXPECT_LE(r.worst_resync_frames, 1u);
      EXPECT_EQ(snap.stats.device_resets, 0u);
      if (rate >= 1e-3) {
        EXPECT_GT(r.missed, 0u) << "the faults reached the decoder";
      }
      EXPECT_FALSE(snap.error);
    }
  }
}

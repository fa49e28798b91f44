// End to end through the firmware twin: the real firmware ELF in simavr, simulated HX711s fed by
// the body model, a pty, and the host's own transport, handshake and decoder. Each test runs the
// twin flat out (--fast) on its own pty, so tests can run in parallel.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "protocol/protocol.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/twin/twin.h"

using namespace rollrig;
using namespace std::chrono_literals;

namespace {

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

// Records `seconds` of device time (from the first sample) through the host's own stack.
Recording record(const std::string& pty, double seconds) {
  Recording r;
  io::IoError err;
  auto port = io::openPort(pty, io::kDefaultBaud, &err);
  if (!port) {
    r.error = err.message;
    return r;
  }
  io::Acquisition acq(std::move(port));
  if (!acq.start(&err)) {
    r.error = err.message;
    return r;
  }
  r.started = true;
  r.info = acq.info();
  const auto give_up = std::chrono::steady_clock::now() + 300s;
  while (std::chrono::steady_clock::now() < give_up) {
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
  const Recording r = record(t.pty(), 20);
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
  const Recording r = record(t.pty(), 10);
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
  const Recording r = record(t.pty(), 15);
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

TEST(Twin, ABoardResetMidStreamIsDetectedAndRecordingContinues) {
  auto opt = fastTwin(14);
  opt.faults.reset_at_s = 6;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t.pty(), 9);
  const twin::TwinReport rep = t.finish();
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(rep.board_resets, 1u);
  EXPECT_GE(r.snap.stats.device_resets, 1u);
  EXPECT_GE(r.snap.restarts, 1u) << "the host started the stream again";
  size_t reset_seen = 0;
  size_t i_reset = 0;
  for (size_t i = 1; i < r.samples.size(); ++i) {
    ASSERT_GT(r.samples[i].t_us, r.samples[i - 1].t_us) << "session time never runs backwards";
    if (r.samples[i].flags & proto::kFlagResetSeen) {
      ++reset_seen;
      i_reset = i;
    }
  }
  ASSERT_EQ(reset_seen, 1u);
  EXPECT_GT(r.samples.size() - i_reset, 80u) << "at least a second of samples after the reset";
  // The gap is estimated from the device's time since its new boot (a lower bound): boot, the
  // host's new START and the first whole set take more than one sample period.
  const uint64_t gap_us = r.samples[i_reset].t_us - r.samples[i_reset - 1].t_us;
  EXPECT_GT(gap_us, 5000u) << "the reboot shows as a gap in session time";
  EXPECT_LT(gap_us, 1000000u);
}

TEST(Twin, AnSckStretchPowersAChipDownItRecoversAndIsFlaggedSettling) {
  auto opt = fastTwin(15);
  opt.faults.sck_stretch_chip = 1;
  opt.faults.sck_stretch_at_s = 4;
  RunningTwin t(opt);
  ASSERT_TRUE(t.ok()) << t.error();
  const Recording r = record(t.pty(), 8);
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
  io::IoError err;
  auto port = io::openPort(t.pty(), io::kDefaultBaud, &err);
  ASSERT_TRUE(port) << err.message;
  struct Sink : core::FrameSink {
    uint64_t samples = 0, nacks = 0, acks_ok = 0;
    void onSample(const core::Sample&) override { ++samples; }
    void onAck(const proto::AckFrame& a) override {
      (a.result == proto::kAckOk ? acks_ok : nacks)++;
    }
  } sink;
  core::FrameDecoder dec(sink);
  uint8_t buf[4096];
  uint8_t seq = 0;
  auto send = [&](uint8_t type) {
    proto::CommandFrame c{};
    c.type = type;
    c.seq = ++seq;
    uint8_t wire[proto::kMaxWireFrame];
    io::IoError e;
    port->write(wire, proto::encodeCommand(c, wire, sizeof(wire)), &e);
  };
  // START until samples flow (some STARTs get corrupted on the way).
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  auto next_start = std::chrono::steady_clock::now();
  while (sink.samples < 10 && std::chrono::steady_clock::now() < give_up) {
    if (std::chrono::steady_clock::now() >= next_start) {
      next_start += 100ms;
      send(proto::kCmdStart);
    }
    const long n = port->read(buf, sizeof(buf), 100, &err);
    if (n > 0) dec.feed(buf, static_cast<size_t>(n));
  }
  ASSERT_GE(sink.samples, 10u) << "acks " << sink.acks_ok << " nacks " << sink.nacks << " bytes "
                               << dec.stats().bytes << " bad " << dec.stats().badFrames();
  const uint64_t lost_before = dec.stats().frames_lost;
  // Then a flood of commands, as fast as the port takes them; a tenth of their bytes are
  // corrupted on the way in. Answers may slow down; the stream must not.
  const uint64_t start_samples = sink.samples;
  int sent = 0;
  while (sink.samples - start_samples < 800 && std::chrono::steady_clock::now() < give_up) {
    send(sent % 2 ? proto::kCmdPing : proto::kCmdIdentify);
    ++sent;
    const long n = port->read(buf, sizeof(buf), 20, &err);
    if (n > 0) dec.feed(buf, static_cast<size_t>(n));
  }
  t.finish();
  EXPECT_GE(sink.samples - start_samples, 800u) << "the stream never stopped";
  EXPECT_GT(sink.nacks, 5u) << "corrupted commands are answered with NACKs";
  EXPECT_GT(sink.acks_ok, 5u);
  EXPECT_EQ(dec.stats().frames_lost, lost_before);
  EXPECT_EQ(dec.stats().badFrames(), 0u);
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
  TwinProcess twin({"--fast", "--seed", "7", "--duration", "200"});
  ASSERT_FALSE(twin.pty.empty()) << "rollrig-twin printed no pty path";
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("rollrig-twin-cli-" + std::to_string(getpid()) + ".csv");
  std::filesystem::remove(out);
  const std::string cmd = binDir() + "/rollrig record --port " + twin.pty +
                          " --duration 60 --out " + out.string() + " 2>&1";
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
}

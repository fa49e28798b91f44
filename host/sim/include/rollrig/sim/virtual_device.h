// VirtualDevice: an in-process stand-in for the rollrig firmware, speaking wire protocol v1.
//
// It behaves as the firmware does — INFO at boot and on IDENTIFY, an ACK (or NACK) for every
// command, STATUS at 1 Hz, one SAMPLE per conversion set at 80 SPS while started, sequence
// numbers that advance even for frames it drops — and it builds every frame with the same
// protocol library the firmware compiles. The loads come from a BodyModel: the model advances
// one sample per streamed SAMPLE, so a 60 s session is 4,800 samples whatever the pacing.
//
// Pure and clock-free: the owner says how far device time has advanced (advanceTo) and gets the
// bytes the device would have sent by then. Pacing to real time lives in rollrig::io.
// Optional fault injection (dropped frames, corrupted bytes) is seeded and deterministic.
// Not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/force_model.h"
#include "rollrig/sim/body_model.h"

namespace rollrig::sim {

struct VirtualDeviceConfig {
  BodyModelConfig body;
  uint32_t device_serial = 0x0000D3E0;
  // Device micros() at boot; set near 2^32 to exercise the host's unwrapping.
  uint32_t boot_t_us = 0;
  // Fault injection (0 = off). Frames are dropped as a full TX buffer would drop them: the
  // sequence number still advances and the next frame carries the TX-overflow flag.
  double frame_drop_probability = 0;
  double byte_corrupt_probability = 0;  // each byte sent, XOR-ed with a random non-zero value
  uint64_t fault_seed = 99;
  // A reboot mid-session (a brown-out, the watchdog): at this device time since the first boot
  // (0 = never) the device restarts: micros() from 0, seq from 0, not streaming, a boot INFO,
  // RESET_SEEN on its first SAMPLE. Either of those two frames can be lost on the wire.
  uint64_t reset_at_us = 0;
  bool lose_boot_info = false;
  bool lose_first_sample_after_reset = false;
  // Load cells the device has (INFO channel_count) and the cells its SAMPLEs carry (0: the
  // same). A mismatch is a broken firmware build the host must not record as zeros.
  uint8_t cell_count = 4;
  uint8_t sample_cell_count = 0;
  // The period the device actually streams at (0: the nominal 12,500 us, 80 SPS). INFO always
  // claims the nominal 80 Hz: a board whose HX711s run at another rate (a RATE pin wired to the
  // other speed, a crystal off) says 80 and sends more or fewer; the host must show what comes.
  uint32_t sample_period_us = 0;
};

class VirtualDevice {
 public:
  static constexpr uint8_t kFirmwareMajor = 0, kFirmwareMinor = 1, kFirmwarePatch = 0;
  static constexpr uint32_t kSamplePeriod_us = 12500;  // 80 SPS
  static constexpr uint32_t kStatusPeriod_us = 1000000;

  explicit VirtualDevice(const VirtualDeviceConfig& config);

  // Host -> device bytes (commands). Answers go out at the next advanceTo().
  void receive(const uint8_t* data, size_t len);

  // Advances device time (microseconds since the first boot, monotonic) and appends everything the
  // device sends up to and including that time to `out`.
  void advanceTo(uint64_t t_since_boot_us, std::vector<uint8_t>& out);

  // Device time (since boot) of the next frame the device will send on its own.
  uint64_t nextEventTime_us() const;
  uint64_t now_us() const { return m_now_us; }

  bool streaming() const { return m_streaming; }
  uint64_t samplesStreamed() const { return m_samples_streamed; }
  uint64_t framesDropped() const { return m_frames_dropped; }

  const BodyModel& body() const { return m_body; }
  // The rig's exact calibration for ball load (from the body model's sensors).
  core::Calibration nominalCalibration() const;
  proto::InfoFrame info() const;

 private:
  void emit(const uint8_t* wire, size_t n, std::vector<uint8_t>& out);
  void handleCommand(const proto::CommandFrame& c, std::vector<uint8_t>& out);
  void sendAck(uint8_t seq, uint8_t type, uint8_t result, std::vector<uint8_t>& out);
  void sendInfo(std::vector<uint8_t>& out);
  void sendStatus(std::vector<uint8_t>& out);
  void sendSample(std::vector<uint8_t>& out);
  void reboot(std::vector<uint8_t>& out);
  uint64_t samplePeriod_us() const {
    return m_cfg.sample_period_us ? m_cfg.sample_period_us : kSamplePeriod_us;
  }
  // micros() as the firmware would read it: the first boot starts at boot_t_us, a reboot at 0.
  uint32_t deviceMicros(uint64_t t_since_first_boot_us) const {
    if (m_reset_done) return static_cast<uint32_t>(t_since_first_boot_us - m_cfg.reset_at_us);
    return static_cast<uint32_t>(m_cfg.boot_t_us + t_since_first_boot_us);
  }

  VirtualDeviceConfig m_cfg;
  BodyModel m_body;
  proto::FrameAccumulator m_rx;
  std::vector<uint8_t> m_pending_commands;
  std::mt19937_64 m_fault_rng;

  uint64_t m_now_us = 0;
  bool m_booted = false;
  bool m_streaming = false;
  uint64_t m_next_sample_us = 0;
  uint64_t m_next_status_us = kStatusPeriod_us;
  uint16_t m_seq = 0;
  bool m_tx_overflow_pending = false;
  bool m_first_sample_after_boot = true;
  bool m_reset_done = false;
  uint64_t m_samples_streamed = 0;
  uint64_t m_frames_dropped = 0;
  uint16_t m_bad_commands = 0;
};

}  // namespace rollrig::sim

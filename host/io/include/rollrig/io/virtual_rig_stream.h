// VirtualRigStream: the built-in virtual rig as a ByteStream, so the demo exercises the same
// handshake, decoder and recorder as a real port.
//
// Wraps a sim::VirtualDevice (body model + firmware behaviour) and paces it: kRealTime follows
// the steady clock (device time = time since the stream was opened, as a freshly reset Uno),
// kFast advances device time as fast as the host reads. Not thread-safe; one owner (the
// acquisition thread once streaming).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/io/byte_stream.h"
#include "rollrig/sim/virtual_device.h"

namespace rollrig::io {

class VirtualRigStream : public ByteStream {
 public:
  enum class Pacing { kRealTime, kFast };

  VirtualRigStream(const sim::VirtualDeviceConfig& config, Pacing pacing);

  long read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) override;
  bool write(const uint8_t* data, size_t len, IoError* err) override;
  void flushInput() override;
  std::string describe() const override;
  bool waitsForTheReader() const override { return true; }

  // Read-only views for the owner (same thread as read/write).
  std::optional<core::Calibration> nominalCalibration() const override {
    return m_device.nominalCalibration();
  }
  const sim::VirtualDevice& device() const { return m_device; }

 private:
  uint64_t deviceNow_us() const;
  size_t takeOutput(uint8_t* buf, size_t cap);

  sim::VirtualDevice m_device;
  Pacing m_pacing;
  std::chrono::steady_clock::time_point m_boot;
  std::vector<uint8_t> m_out;
  size_t m_out_pos = 0;
  uint64_t m_seed;
};

}  // namespace rollrig::io

// FaultInjectingStream: a ByteStream decorator that damages what the device sends (corrupted,
// dropped and inserted bytes, bursts of line noise, a reader away while the OS buffer overflows)
// with a seeded sim::ByteFaultInjector, for the stream fault and disconnect matrices
// (docs/RELIABILITY.md). Host-to-device bytes pass unchanged. The injector sees the clean bytes,
// so a sim::StreamTruthChecker attached with checkWith() learns exactly what the device sent.
//
// Ownership: owns the wrapped stream; the checker (if any) must outlive it. Thread safety: none,
// like every ByteStream (the acquisition thread owns it); the checker locks for itself.
#pragma once

#include <memory>
#include <vector>

#include "rollrig/io/byte_stream.h"
#include "rollrig/sim/stream_faults.h"

namespace rollrig::io {

class FaultInjectingStream : public ByteStream {
 public:
  FaultInjectingStream(std::unique_ptr<ByteStream> inner, const sim::ByteFaultConfig& faults);

  // Every clean frame the device sends goes to `checker` (with whether a fault touched it).
  void checkWith(sim::StreamTruthChecker* checker);

  long read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) override;
  bool write(const uint8_t* data, size_t len, IoError* err) override {
    return m_inner->write(data, len, err);
  }
  void flushInput() override;
  bool waitsForTheReader() const override { return m_inner->waitsForTheReader(); }
  std::string describe() const override;
  std::optional<core::Calibration> nominalCalibration() const override {
    return m_inner->nominalCalibration();
  }

  const sim::ByteFaultCounts& counts() const { return m_injector.counts(); }

 private:
  std::unique_ptr<ByteStream> m_inner;
  sim::ByteFaultInjector m_injector;
  std::vector<uint8_t> m_clean;
  std::vector<uint8_t> m_out;  // damaged bytes not yet handed out (an insertion can add bytes)
  size_t m_out_pos = 0;
};

}  // namespace rollrig::io

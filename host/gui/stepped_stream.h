// SteppedStream: the GUI's --fast virtual rig. A kFast VirtualRigStream makes device time as fast
// as it is read, which would race through a whole session between two frames; wrapped in a
// SteppedStream it may only read what the UI granted: grant() once per drawn frame, so device time
// advances by about one step (kFastStepBytes, about a second of the rig's stream) per frame, on a
// fast machine or a slow one. Waiting for "a hold past 35 s" then sees every second of it, and a
// screenshot never depends on the machine's speed.
//
// Thread safety: StepBudget is shared (std::shared_ptr) between the UI thread (grant()) and the
// acquisition thread (the stream's read()); it is lock-free. The stream itself has one owner.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "rollrig/io/byte_stream.h"

namespace rollrig::gui {

// About one second of the virtual rig's stream (80 SAMPLE frames and their framing).
inline constexpr int64_t kFastStepBytes = 2048;

class StepBudget {
 public:
  explicit StepBudget(int64_t initial_bytes = kFastStepBytes) : m_bytes(initial_bytes) {}
  // Tops the budget up to `bytes` (never beyond: an idle reader does not bank steps).
  void grant(int64_t bytes = kFastStepBytes);
  // Takes up to `want` bytes; returns how many may be read now (0: wait for the next grant).
  int64_t take(int64_t want);
  // Returns bytes taken but not used.
  void giveBack(int64_t bytes) { m_bytes.fetch_add(bytes); }

 private:
  std::atomic<int64_t> m_bytes;
};

class SteppedStream : public io::ByteStream {
 public:
  SteppedStream(std::unique_ptr<io::ByteStream> inner, std::shared_ptr<StepBudget> budget);

  // Reads at most what the budget allows; with nothing granted it waits up to timeout_ms (in
  // short naps, for a grant) and returns 0, as a quiet port would.
  long read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError* err) override;
  bool write(const uint8_t* data, size_t len, io::IoError* err) override;
  void flushInput() override { m_inner->flushInput(); }
  std::string describe() const override { return m_inner->describe(); }
  bool waitsForTheReader() const override { return m_inner->waitsForTheReader(); }
  std::optional<core::Calibration> nominalCalibration() const override {
    return m_inner->nominalCalibration();
  }

 private:
  std::unique_ptr<io::ByteStream> m_inner;
  std::shared_ptr<StepBudget> m_budget;
};

}  // namespace rollrig::gui

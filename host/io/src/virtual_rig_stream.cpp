#include "rollrig/io/virtual_rig_stream.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace rollrig::io {

namespace {
// In fast mode, how much device time one read() simulates beyond the next due frame: ~8 frames,
// small enough that a command is answered promptly in device time.
constexpr uint64_t kFastStep_us = 100000;
}  // namespace

VirtualRigStream::VirtualRigStream(const sim::VirtualDeviceConfig& config, Pacing pacing)
    : m_device(config),
      m_pacing(pacing),
      m_boot(std::chrono::steady_clock::now()),
      m_seed(config.body.seed) {}

uint64_t VirtualRigStream::deviceNow_us() const {
  const auto dt = std::chrono::steady_clock::now() - m_boot;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(dt).count());
}

size_t VirtualRigStream::takeOutput(uint8_t* buf, size_t cap) {
  const size_t n = std::min(cap, m_out.size() - m_out_pos);
  std::memcpy(buf, m_out.data() + m_out_pos, n);
  m_out_pos += n;
  if (m_out_pos == m_out.size()) {
    m_out.clear();
    m_out_pos = 0;
  }
  return n;
}

long VirtualRigStream::read(uint8_t* buf, size_t cap, int timeout_ms, IoError* /*err*/) {
  if (cap == 0) return 0;
  if (m_out_pos < m_out.size()) return static_cast<long>(takeOutput(buf, cap));
  if (m_pacing == Pacing::kFast) {
    // Jump to the next thing the device will send, plus a chunk, without waiting.
    const uint64_t t = std::max(m_device.now_us(), m_device.nextEventTime_us());
    m_device.advanceTo(t + kFastStep_us, m_out);
    return static_cast<long>(takeOutput(buf, cap));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    m_device.advanceTo(deviceNow_us(), m_out);
    if (!m_out.empty()) return static_cast<long>(takeOutput(buf, cap));
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return 0;
    const auto next_event = m_boot + std::chrono::microseconds(m_device.nextEventTime_us());
    std::this_thread::sleep_until(std::min(deadline, std::max(next_event, now)));
  }
}

bool VirtualRigStream::write(const uint8_t* data, size_t len, IoError* /*err*/) {
  // The bytes reach the device at the current time; fast mode has no "current time" beyond
  // what the device has simulated, which is exactly when a real UART would deliver them.
  if (m_pacing == Pacing::kRealTime) m_device.advanceTo(deviceNow_us(), m_out);
  m_device.receive(data, len);
  return true;
}

void VirtualRigStream::flushInput() {
  if (m_pacing == Pacing::kRealTime) m_device.advanceTo(deviceNow_us(), m_out);
  m_out.clear();
  m_out_pos = 0;
}

std::string VirtualRigStream::describe() const {
  return "virtual rig (seed " + std::to_string(m_seed) + ")";
}

}  // namespace rollrig::io

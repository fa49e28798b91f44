// A rig on the far side of a pseudo-terminal, for CLI tests: the virtual device answers through
// the pty master, so `rollrig record --port` / `rollrig calibrate --port` take the real port path
// (termios transport, handshake, decoder). Device time runs in small steps until START, then as
// fast as the host drains the pty. SilentPort: a port whose device never answers.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "rollrig/sim/virtual_device.h"

namespace rollrig::testing {

class PtyRig {
 public:
  static constexpr uint64_t kUngated = UINT64_MAX;

  // `stream_at_most` < kUngated gates the rig: once streaming, its device time advances one sample
  // period at a time and stops after that many samples, so a test can hold it at a chosen moment
  // of the session.
  explicit PtyRig(const sim::VirtualDeviceConfig& cfg, uint64_t stream_at_most = kUngated)
      : m_device(cfg), m_stream_at_most(stream_at_most) {
    m_path = openRawPty(&m_master, &m_slave);
    if (m_path.empty()) return;
    m_thread = std::thread([this] { loop(); });
  }
  ~PtyRig() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_master >= 0) close(m_master);
    if (m_slave >= 0) close(m_slave);
  }
  PtyRig(const PtyRig&) = delete;
  PtyRig& operator=(const PtyRig&) = delete;

  const std::string& path() const { return m_path; }
  uint64_t samplesStreamed() const { return m_streamed.load(); }

 private:
  void loop() {
    std::vector<uint8_t> out;
    size_t sent = 0;
    uint8_t buf[512];
    while (!m_stop) {
      pollfd p{m_master, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
      poll(&p, 1, 10);
      if (p.revents & POLLIN) {
        const ssize_t n = read(m_master, buf, sizeof(buf));
        if (n > 0) m_device.receive(buf, static_cast<size_t>(n));
      }
      if (sent < out.size() && (p.revents & POLLOUT)) {
        const ssize_t n = write(m_master, out.data() + sent, out.size() - sent);
        if (n > 0) sent += static_cast<size_t>(n);
      }
      if (sent == out.size()) {
        out.clear();
        sent = 0;
        advance(out);
        m_streamed = m_device.samplesStreamed();
      }
    }
  }

  void advance(std::vector<uint8_t>& out) {
    if (m_stream_at_most == kUngated) {
      m_device.advanceTo(m_device.now_us() + (m_device.streaming() ? 100000 : 10000), out);
    } else if (!m_device.streaming() || m_device.samplesStreamed() < m_stream_at_most) {
      m_device.advanceTo(m_device.now_us() + sim::VirtualDevice::kSamplePeriod_us, out);
    }
  }

  sim::VirtualDevice m_device;
  uint64_t m_stream_at_most;
  int m_master = -1, m_slave = -1;
  std::string m_path;
  std::thread m_thread;
  std::atomic<bool> m_stop{false};
  std::atomic<uint64_t> m_streamed{0};
};

// A pty whose far end never answers (the test holds the master and only reads from it): a port
// where the handshake waits for its timeout.
struct SilentPort {
  SilentPort() {
    char name[256];
    if (openpty(&master, &slave, name, nullptr, nullptr) == 0) path = name;
    close(slave);
  }
  ~SilentPort() {
    if (master >= 0) close(master);
  }
  SilentPort(const SilentPort&) = delete;
  SilentPort& operator=(const SilentPort&) = delete;

  // Waits until rollrig has written something: the handshake has begun. Generous: a hang
  // detector, not a speed test.
  bool waitForBytes() const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < give_up) {
      // Until rollrig opens the port the master reports a hang-up: keep waiting.
      pollfd p{master, POLLIN, 0};
      if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
        uint8_t buf[256];
        if (read(master, buf, sizeof(buf)) > 0) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  int master = -1, slave = -1;
  std::string path;
};

}  // namespace rollrig::testing

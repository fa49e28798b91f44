// RateMeter: the sample rate measured from device time (not arrival time) over a sliding window.
// Honest by construction: lost frames lower it, a fast or slow device clock shows. Plain value;
// not thread-safe.
#pragma once

#include <cstdint>
#include <deque>

namespace rollrig::core {

class RateMeter {
 public:
  explicit RateMeter(uint64_t window_us = 2000000) : m_window_us(window_us) {}

  void add(uint64_t t_us) {
    m_times.push_back(t_us);
    while (m_times.size() > 2 && m_times.back() - m_times.front() > m_window_us)
      m_times.pop_front();
  }

  // Samples per second over the window; 0 until two samples are in.
  double rate_hz() const {
    if (m_times.size() < 2 || m_times.back() == m_times.front()) return 0;
    return (m_times.size() - 1) * 1e6 / static_cast<double>(m_times.back() - m_times.front());
  }

 private:
  uint64_t m_window_us;
  std::deque<uint64_t> m_times;
};

}  // namespace rollrig::core

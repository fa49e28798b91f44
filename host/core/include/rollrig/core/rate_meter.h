// RateMeter: the sample rate measured from device time (not arrival time) over a sliding window.
// Honest by construction: lost frames lower it, a fast or slow device clock shows.
//
// rate_hz() measures up to the last sample, so on its own it freezes when samples stop coming.
// rateAt_hz(now_us) measures over the window ending at `now_us` instead: the caller (which owns a
// clock; the core has none) passes the last sample's device time plus how long nothing has
// arrived, and the rate falls to 0 over one window as a stalled device sends nothing.
//
// Plain value; not thread-safe.
#pragma once

#include <algorithm>
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

  // Samples per second over the window up to the last sample; 0 until two samples are in.
  double rate_hz() const {
    if (m_times.size() < 2 || m_times.back() == m_times.front()) return 0;
    return (m_times.size() - 1) * 1e6 / static_cast<double>(m_times.back() - m_times.front());
  }

  // Samples per second over the window ending at `now_us` (device time, at or after the last
  // sample): (samples in the window - 1) / (now - the window's first sample). Equals rate_hz()
  // when now_us is the last sample's time; 0 once the last sample is a whole window old.
  double rateAt_hz(uint64_t now_us) const {
    if (m_times.empty()) return 0;
    now_us = std::max(now_us, m_times.back());
    const uint64_t from = now_us > m_window_us ? now_us - m_window_us : 0;
    const auto first = std::lower_bound(m_times.begin(), m_times.end(), from);
    const auto n = static_cast<uint64_t>(m_times.end() - first);
    if (n < 2 || now_us == *first) return 0;
    return (n - 1) * 1e6 / static_cast<double>(now_us - *first);
  }

 private:
  uint64_t m_window_us;
  std::deque<uint64_t> m_times;
};

}  // namespace rollrig::core

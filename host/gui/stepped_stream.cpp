#include "stepped_stream.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace rollrig::gui {

void StepBudget::grant(int64_t bytes) {
  int64_t cur = m_bytes.load();
  while (cur < bytes && !m_bytes.compare_exchange_weak(cur, bytes)) {
  }
}

int64_t StepBudget::take(int64_t want) {
  int64_t cur = m_bytes.load();
  while (cur > 0) {
    const int64_t n = std::min(cur, want);
    if (m_bytes.compare_exchange_weak(cur, cur - n)) return n;
  }
  return 0;
}

SteppedStream::SteppedStream(std::unique_ptr<io::ByteStream> inner,
                             std::shared_ptr<StepBudget> budget)
    : m_inner(std::move(inner)), m_budget(std::move(budget)) {}

long SteppedStream::read(uint8_t* buf, size_t cap, int timeout_ms, io::IoError* err) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const int64_t allowed = m_budget->take(static_cast<int64_t>(cap));
    if (allowed > 0) {
      const long n = m_inner->read(buf, static_cast<size_t>(allowed), timeout_ms, err);
      // What was granted but not read goes back.
      if (n < allowed) m_budget->giveBack(allowed - std::max<long>(n, 0));
      return n;
    }
    if (std::chrono::steady_clock::now() >= deadline) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool SteppedStream::write(const uint8_t* data, size_t len, io::IoError* err) {
  return m_inner->write(data, len, err);
}

}  // namespace rollrig::gui

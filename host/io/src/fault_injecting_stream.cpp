#include "rollrig/io/fault_injecting_stream.h"

#include <algorithm>
#include <cstring>

namespace rollrig::io {

FaultInjectingStream::FaultInjectingStream(std::unique_ptr<ByteStream> inner,
                                           const sim::ByteFaultConfig& faults)
    : m_inner(std::move(inner)), m_injector(faults) {}

void FaultInjectingStream::checkWith(sim::StreamTruthChecker* checker) {
  if (!checker) {
    m_injector.setCleanFrameObserver(nullptr);
    return;
  }
  m_injector.setCleanFrameObserver([checker](const uint8_t* wire, size_t len, bool touched) {
    checker->onCleanFrame(wire, len, touched);
  });
}

long FaultInjectingStream::read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) {
  if (cap == 0) return 0;
  // A read that drew only dropped bytes returns 0 (as a timeout would) and the caller reads again.
  if (m_out_pos == m_out.size()) {
    m_out.clear();
    m_out_pos = 0;
    m_clean.resize(std::max<size_t>(cap, 256));
    const long n = m_inner->read(m_clean.data(), m_clean.size(), timeout_ms, err);
    if (n <= 0) return n;
    m_injector.apply(m_clean.data(), static_cast<size_t>(n), m_out);
  }
  const size_t n = std::min(cap, m_out.size() - m_out_pos);
  std::memcpy(buf, m_out.data() + m_out_pos, n);
  m_out_pos += n;
  return static_cast<long>(n);
}

void FaultInjectingStream::flushInput() {
  m_inner->flushInput();
  m_out.clear();
  m_out_pos = 0;
}

std::string FaultInjectingStream::describe() const {
  const auto& c = m_injector.config();
  return m_inner->describe() + " with " + sim::byteFaultKindName(c.kind) + " faults";
}

}  // namespace rollrig::io

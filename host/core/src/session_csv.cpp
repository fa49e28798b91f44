#include "rollrig/core/session_csv.h"

#include <charconv>
#include <cmath>

namespace rollrig::core {

namespace {

void appendFixed(std::string& s, double v, int decimals) {
  char buf[48];
  if (std::abs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;  // never print "-0.0000"
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, decimals);
  s.append(buf, r.ptr);
}

template <typename T>
void appendInt(std::string& s, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  s.append(buf, r.ptr);
}

}  // namespace

std::string SessionCsvWriter::header() {
  std::string h = "time_s,seq,lost_before";
  for (int i = 0; i < kCellCount; ++i) h += ",cell" + std::to_string(i) + "_raw_counts";
  for (int i = 0; i < kCellCount; ++i) h += ",cell" + std::to_string(i) + "_force_N";
  h += ",force_N,x_mm,y_mm,flags,fresh_mask";
  return h;
}

void SessionCsvWriter::writeHeader() {
  m_out << header() << '\n';
}

void SessionCsvWriter::writeRow(const Sample& s, const ForceSample& f) {
  if (!m_have_t0) {
    m_have_t0 = true;
    m_t0_us = s.t_us;
  }
  std::string& l = m_line;
  l.clear();
  const uint64_t dt = s.t_us - m_t0_us;
  appendInt(l, dt / 1000000u);
  l += '.';
  char frac[6];
  uint64_t us = dt % 1000000u;
  for (int i = 5; i >= 0; --i, us /= 10) frac[i] = static_cast<char>('0' + us % 10);
  l.append(frac, 6);
  l += ',';
  appendInt(l, s.seq);
  l += ',';
  appendInt(l, s.lost_before);
  for (int i = 0; i < kCellCount; ++i) {
    l += ',';
    appendInt(l, s.raw_counts[i]);
  }
  for (int i = 0; i < kCellCount; ++i) {
    l += ',';
    appendFixed(l, f.force_n[i], 4);
  }
  l += ',';
  appendFixed(l, f.total_n, 4);
  l += ',';
  if (f.has_cop) appendFixed(l, f.x_mm, 2);
  l += ',';
  if (f.has_cop) appendFixed(l, f.y_mm, 2);
  l += ',';
  appendInt(l, static_cast<unsigned>(s.flags));
  l += ',';
  appendInt(l, static_cast<unsigned>(s.fresh_mask));
  l += '\n';
  m_out.write(l.data(), static_cast<std::streamsize>(l.size()));
  ++m_rows;
}

}  // namespace rollrig::core

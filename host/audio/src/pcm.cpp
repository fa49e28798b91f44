#include "rollrig/audio/pcm.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace rollrig::audio {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Note {
  double freq_hz;
  double length_s;
};

// Appends a soft note: raised-cosine attack (8 ms), exponential decay to the end, second harmonic
// at a fifth of the fundamental's level; then `gap_s` of silence.
void appendNote(PcmBuffer& b, const Note& n, double gap_s) {
  const int len = static_cast<int>(n.length_s * b.rate_hz);
  const int attack = std::max(1, static_cast<int>(0.008 * b.rate_hz));
  for (int i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / b.rate_hz;
    const double env_attack = i < attack ? 0.5 - 0.5 * std::cos(kPi * i / attack) : 1.0;
    const double env_decay = std::exp(-4.0 * t / n.length_s);
    const double release = i > len - attack ? static_cast<double>(len - i) / attack : 1.0;
    const double wave =
        std::sin(2 * kPi * n.freq_hz * t) + 0.2 * std::sin(2 * kPi * 2 * n.freq_hz * t);
    b.samples.push_back(static_cast<float>(0.5 / 1.2 * wave * env_attack * env_decay * release));
  }
  b.samples.insert(b.samples.end(), static_cast<size_t>(gap_s * b.rate_hz), 0.0f);
}

// Equal-tempered notes (A4 = 440 Hz).
constexpr double kF4 = 349.23, kA4 = 440.0, kC5 = 523.25, kE5 = 659.26, kG5 = 783.99, kC6 = 1046.5;

}  // namespace

PcmBuffer toneFor(core::CueKind kind, int rate_hz) {
  PcmBuffer b;
  b.rate_hz = rate_hz;
  const auto notes = [&](std::initializer_list<Note> ns, double gap_s) {
    for (const Note& n : ns) appendNote(b, n, gap_s);
  };
  switch (kind) {
    case core::CueKind::kHoldConfirmed:
      notes({{kC5, 0.18}}, 0.02);
      break;
    case core::CueKind::kWindowReached:
      notes({{kE5, 0.16}, {kG5, 0.26}}, 0.03);
      break;
    case core::CueKind::kReleased:
      notes({{kC5, 0.14}, {kE5, 0.14}, {kG5, 0.32}}, 0.03);
      break;
    case core::CueKind::kMoveOn:
      notes({{kG5, 0.22}, {kC5, 0.40}}, 0.04);
      break;
    case core::CueKind::kTooFast:
      notes({{kA4, 0.10}, {kA4, 0.10}}, 0.06);
      break;
    case core::CueKind::kOutOfBand:
      notes({{kF4, 0.20}, {kF4, 0.20}}, 0.08);
      break;
    case core::CueKind::kSwitchSides:
      notes({{kC5, 0.14}, {kG5, 0.14}, {kC6, 0.30}}, 0.03);
      break;
    case core::CueKind::kStretchHoldDone:
      notes({{kE5, 0.35}}, 0.02);
      break;
    case core::CueKind::kStretchTotalReached:
      notes({{kG5, 0.16}, {kC6, 0.36}}, 0.03);
      break;
  }
  return b;
}

double rmsLevel(const PcmBuffer& b) {
  if (b.samples.empty()) return 0;
  double sum = 0;
  for (float s : b.samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / b.samples.size());
}

double peakLevel(const PcmBuffer& b) {
  double peak = 0;
  for (float s : b.samples) peak = std::max(peak, std::abs(static_cast<double>(s)));
  return peak;
}

PcmBuffer resampled(const PcmBuffer& b, int rate_hz) {
  if (b.rate_hz == rate_hz || rate_hz <= 0) return b;
  if (b.samples.empty()) return PcmBuffer{rate_hz, {}};
  PcmBuffer out;
  out.rate_hz = rate_hz;
  const double step = static_cast<double>(b.rate_hz) / rate_hz;
  const size_t n = static_cast<size_t>((b.samples.size() - 1) / step) + 1;
  out.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double x = i * step;
    const size_t k = static_cast<size_t>(x);
    const double f = x - k;
    const float a = b.samples[k], c = k + 1 < b.samples.size() ? b.samples[k + 1] : a;
    out.samples[i] = static_cast<float>(a + (c - a) * f);
  }
  return out;
}

bool writeWav(const PcmBuffer& b, const std::string& path, std::string* why) {
  const uint32_t data_bytes = static_cast<uint32_t>(b.samples.size() * 2);
  std::string bytes;
  const auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto u16 = [&](uint16_t v) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>(v >> 8));
  };
  bytes += "RIFF";
  u32(36 + data_bytes);
  bytes += "WAVEfmt ";
  u32(16);
  u16(1);  // PCM
  u16(1);  // mono
  u32(static_cast<uint32_t>(b.rate_hz));
  u32(static_cast<uint32_t>(b.rate_hz) * 2);
  u16(2);
  u16(16);
  bytes += "data";
  u32(data_bytes);
  for (float s : b.samples) {
    const int v = static_cast<int>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f));
    u16(static_cast<uint16_t>(static_cast<int16_t>(v)));
  }
  const std::string tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      *why = "could not write " + path + ": " + std::strerror(errno);
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *why = "could not put " + path + " in place: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace rollrig::audio

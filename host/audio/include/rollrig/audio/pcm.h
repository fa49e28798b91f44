// Sound as numbers: mono float PCM in [-1, 1] at a sample rate, and the cues' tones, synthesised
// in-process (no sample files). Pure: no device, no clock.
#pragma once

#include <string>
#include <vector>

#include "rollrig/core/cue_planner.h"

namespace rollrig::audio {

struct PcmBuffer {
  int rate_hz = 48000;
  std::vector<float> samples;  // mono, -1..1
  double seconds() const {
    return rate_hz > 0 ? static_cast<double>(samples.size()) / rate_hz : 0.0;
  }
};

// The cue's tone: short (0.15-0.6 s), soft-edged notes (a raised-cosine attack and an exponential
// decay, a touch of the second harmonic), distinct per kind — rising notes for good news (30 s, a
// release), falling for "move on", low repeated notes for "slower" and "pressure". Peak 0.5.
PcmBuffer toneFor(core::CueKind kind, int rate_hz = 48000);

// Root-mean-square and peak level of a buffer (for tests and the WAV report).
double rmsLevel(const PcmBuffer& b);
double peakLevel(const PcmBuffer& b);

// `b` at another sample rate (linear interpolation: enough for speech and soft tones).
PcmBuffer resampled(const PcmBuffer& b, int rate_hz);

// Writes a 16-bit mono WAV file (written whole to path + ".part", then renamed). False with *why.
// Hand-written: a RIFF header is 44 bytes, less than a dependency on a sound-file library.
bool writeWav(const PcmBuffer& b, const std::string& path, std::string* why);

}  // namespace rollrig::audio

#include "rollrig/audio/cue_player.h"

#include <fcntl.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "rollrig/audio/voice.h"

namespace rollrig::audio {

namespace {

int onDevice(const void*, void* out, unsigned long frames, const PaStreamCallbackTimeInfo*,
             PaStreamCallbackFlags, void* self) {
  static_cast<CuePlayer*>(self)->fill(static_cast<float*>(out), frames);
  return paContinue;
}

}  // namespace

bool parseCueSound(const std::string& word, CueSound* out) {
  if (word == "off")
    *out = CueSound::kOff;
  else if (word == "tones")
    *out = CueSound::kTones;
  else if (word == "voice")
    *out = CueSound::kVoice;
  else
    return false;
  return true;
}

CuePlayer::CuePlayer(CueSound mode) : m_mode(mode) {
  if (mode == CueSound::kOff) return;
  // PortAudio probes every host API it was built with (ALSA, JACK, OSS), and ALSA and JACK print
  // their complaints about a missing card or server straight to stderr — a dozen lines on a
  // machine without sound. The user gets one line from status() instead: stderr is pointed at
  // /dev/null while PortAudio looks (at start-up, before any thread of ours writes there).
  const int saved_stderr = dup(2);
  const int null_fd = open("/dev/null", O_WRONLY);
  if (saved_stderr >= 0 && null_fd >= 0) dup2(null_fd, 2);
  const PaError init = Pa_Initialize();
  const PaDeviceIndex dev = init == paNoError ? Pa_GetDefaultOutputDevice() : paNoDevice;
  if (saved_stderr >= 0) dup2(saved_stderr, 2), close(saved_stderr);
  if (null_fd >= 0) close(null_fd);
  if (init != paNoError) {
    m_status = "the cues are silent: the audio system (PortAudio) could not start";
    return;
  }
  m_pa_initialised = true;
  if (dev == paNoDevice) {
    m_status = "the cues are silent: this machine has no audio output device";
    return;
  }
  PaStreamParameters p{};
  p.device = dev;
  p.channelCount = 1;
  p.sampleFormat = paFloat32;
  const PaDeviceInfo* info = Pa_GetDeviceInfo(dev);
  p.suggestedLatency = info ? info->defaultLowOutputLatency : 0.05;
  PaStream* stream = nullptr;
  const PaError e = Pa_OpenStream(&stream, nullptr, &p, kRate_hz, paFramesPerBufferUnspecified,
                                  paNoFlag, &onDevice, this);
  if (e != paNoError || Pa_StartStream(stream) != paNoError) {
    if (stream) Pa_CloseStream(stream);
    m_status = std::string("the cues are silent: the audio output could not be opened (") +
               Pa_GetErrorText(e) + ")";
    return;
  }
  m_stream = stream;
}

CuePlayer::~CuePlayer() {
  if (m_stream) {
    Pa_StopStream(static_cast<PaStream*>(m_stream));
    Pa_CloseStream(static_cast<PaStream*>(m_stream));
  }
  if (m_pa_initialised) Pa_Terminate();
}

PcmBuffer CuePlayer::soundFor(const core::Cue& cue) {
  if (m_mode == CueSound::kVoice && !cue.words.empty()) {
    auto it = m_voice_cache.find(cue.words);
    if (it == m_voice_cache.end()) {
      PcmBuffer speech;
      std::string why;
      if (speak(cue.words, &speech, &why)) {
        it = m_voice_cache.emplace(cue.words, resampled(speech, kRate_hz)).first;
      } else if (m_status.empty()) {
        m_status = why + "; tones instead";
      }
    }
    if (it != m_voice_cache.end()) return it->second;
  }
  return toneFor(cue.kind, kRate_hz);
}

void CuePlayer::play(const core::Cue& cue) {
  if (m_mode == CueSound::kOff || !m_stream) return;
  PcmBuffer sound = soundFor(cue);
  std::lock_guard<std::mutex> lock(m_mutex);
  // Never a backlog: with two waiting behind the one playing, the older waiting one is dropped
  // (the newer cues say newer things).
  if (m_queue.size() >= 3) m_queue.erase(m_queue.begin() + 1);
  m_queue.push_back(std::move(sound));
}

void CuePlayer::fill(float* dst, unsigned long frames) {
  CuePlayer& p = *this;
  std::lock_guard<std::mutex> lock(p.m_mutex);
  unsigned long done = 0;
  while (done < frames && !p.m_queue.empty()) {
    const std::vector<float>& s = p.m_queue.front().samples;
    const size_t n = std::min<size_t>(frames - done, s.size() - p.m_pos);
    std::memcpy(dst + done, s.data() + p.m_pos, n * sizeof(float));
    done += n;
    p.m_pos += n;
    if (p.m_pos >= s.size()) p.m_queue.pop_front(), p.m_pos = 0;
  }
  std::fill(dst + done, dst + frames, 0.0f);
}

}  // namespace rollrig::audio

// CuePlayer: plays the cues the planner raises (core/cue_planner.h) as tones or spoken prompts,
// through PortAudio (Debian's portaudio19-dev) on the default output device.
//
// Without an audio device (a headless machine, a container, a server) it says so once, in
// status(), and plays nothing; everything else goes on. Sounds are queued and played one after
// another from PortAudio's callback thread; play() never blocks on the device.
//
// Thread safety: play() and status() from one thread (the front end's); the device callback runs
// on PortAudio's thread and takes the queue under a mutex.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rollrig/audio/pcm.h"
#include "rollrig/core/cue_planner.h"

namespace rollrig::audio {

enum class CueSound { kOff, kTones, kVoice };

// "off", "tones", "voice" -> the mode; false when the word is none of them.
bool parseCueSound(const std::string& word, CueSound* out);

class CuePlayer {
 public:
  static constexpr int kRate_hz = 48000;

  explicit CuePlayer(CueSound mode);
  ~CuePlayer();
  CuePlayer(const CuePlayer&) = delete;
  CuePlayer& operator=(const CuePlayer&) = delete;

  // Queues the cue's sound (its tone; or its words, with the tone when the voice fails).
  void play(const core::Cue& cue);
  // What the user should know, once: "" when all is well, else e.g. "no audio output device:
  // the cues are silent" or the voice's problem.
  const std::string& status() const { return m_status; }
  bool audible() const { return m_stream != nullptr; }

  // The sound a cue makes in this mode, at kRate_hz (also without a device: for tests and WAVs).
  PcmBuffer soundFor(const core::Cue& cue);

  // Fills `frames` samples of the device's buffer from the queue (silence when it is empty). Called
  // on PortAudio's thread.
  void fill(float* out, unsigned long frames);

 private:
  CueSound m_mode;
  void* m_stream = nullptr;  // PaStream*
  bool m_pa_initialised = false;
  std::string m_status;
  std::map<std::string, PcmBuffer> m_voice_cache;  // words -> speech at kRate_hz
  std::mutex m_mutex;
  std::deque<PcmBuffer> m_queue;  // under m_mutex
  size_t m_pos = 0;               // in m_queue.front(), under m_mutex
};

}  // namespace rollrig::audio

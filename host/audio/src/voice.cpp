#include "rollrig/audio/voice.h"

#include <espeak-ng/speak_lib.h>

#include <mutex>

namespace rollrig::audio {

namespace {

std::mutex g_mutex;
int g_rate_hz = 0;  // > 0 once initialised
std::string g_init_error;
PcmBuffer* g_target = nullptr;  // where the callback appends (under g_mutex)

int onSynth(short* wav, int n, espeak_EVENT*) {
  if (wav && g_target)
    for (int i = 0; i < n; ++i) g_target->samples.push_back(static_cast<float>(wav[i]) / 32768.0f);
  return 0;
}

}  // namespace

bool speak(const std::string& words, PcmBuffer* out, std::string* why) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_rate_hz <= 0 && g_init_error.empty()) {
    // Synchronous: espeak_Synth returns when the whole text is in the callback's buffer; no
    // audio device of espeak-ng's own.
    const int rate =
        espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (rate <= 0) {
      g_init_error =
          "the voice (espeak-ng) could not start: its data is missing "
          "(apt-get install espeak-ng-data)";
    } else if (espeak_SetVoiceByName("en") != EE_OK) {
      g_init_error = "the voice (espeak-ng) has no English voice (apt-get install espeak-ng-data)";
    } else {
      espeak_SetSynthCallback(onSynth);
      espeak_SetParameter(espeakRATE, 150, 0);  // words per minute: calm
      g_rate_hz = rate;
    }
  }
  if (g_rate_hz <= 0) {
    *why = g_init_error;
    return false;
  }
  out->rate_hz = g_rate_hz;
  out->samples.clear();
  g_target = out;
  const espeak_ERROR e = espeak_Synth(words.c_str(), words.size() + 1, 0, POS_CHARACTER, 0,
                                      espeakCHARS_UTF8, nullptr, nullptr);
  g_target = nullptr;
  if (e != EE_OK || out->samples.empty()) {
    *why = "the voice (espeak-ng) could not say \"" + words + "\"";
    return false;
  }
  return true;
}

}  // namespace rollrig::audio

// Spoken prompts ("thirty seconds", "released", "switch to the left side") synthesised into a
// buffer with libespeak-ng (Debian's libespeak-ng-dev), then played through the same output as the
// tones. Thread safety: espeak-ng is one global engine; calls are serialised inside.
#pragma once

#include <string>

#include "rollrig/audio/pcm.h"

namespace rollrig::audio {

// `words` spoken (English, a calm rate) into *out at espeak-ng's own rate (22050 Hz). False with
// *why when espeak-ng or its voice data cannot be loaded.
bool speak(const std::string& words, PcmBuffer* out, std::string* why);

}  // namespace rollrig::audio

// The cues' sounds (host/audio): every tone and every spoken prompt rendered to a WAV file, read
// back and checked for its length, its level and that it is not silence; and the player on a
// machine without an audio device.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include "rollrig/audio/cue_player.h"
#include "rollrig/audio/pcm.h"
#include "rollrig/audio/voice.h"
#include "test_files.h"

using namespace rollrig;
using rollrig::testing::readText;
using rollrig::testing::TempDir;

namespace {

// A 16-bit mono WAV read back: its rate and samples (in -1..1); false when the header is wrong.
bool readWav(const std::string& path, audio::PcmBuffer* out) {
  const std::string b = readText(path);
  if (b.size() < 44 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 8, "WAVEfmt ") != 0 ||
      b.compare(36, 4, "data") != 0)
    return false;
  const auto u32 = [&](size_t at) {
    uint32_t v = 0;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  };
  const auto u16 = [&](size_t at) {
    uint16_t v = 0;
    std::memcpy(&v, b.data() + at, 2);
    return v;
  };
  if (u16(20) != 1 || u16(22) != 1 || u16(34) != 16) return false;  // PCM, mono, 16-bit
  out->rate_hz = static_cast<int>(u32(24));
  const uint32_t n = u32(40) / 2;
  if (44 + 2ull * n != b.size()) return false;
  out->samples.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    out->samples[i] = static_cast<int16_t>(u16(44 + 2 * i)) / 32768.0f;
  return true;
}

const core::CueKind kAllKinds[] = {core::CueKind::kHoldConfirmed,
                                   core::CueKind::kWindowReached,
                                   core::CueKind::kReleased,
                                   core::CueKind::kMoveOn,
                                   core::CueKind::kTooFast,
                                   core::CueKind::kOutOfBand,
                                   core::CueKind::kSwitchSides,
                                   core::CueKind::kStretchHoldDone,
                                   core::CueKind::kStretchTotalReached};

}  // namespace

TEST(CueSounds, EveryToneIsShortAudibleNotClippedAndItsOwn) {
  TempDir dir;
  std::set<size_t> lengths;
  std::set<long> signatures;
  for (const core::CueKind kind : kAllKinds) {
    const std::string path = dir.file(std::string(core::cueKindName(kind)) + ".wav");
    std::string why;
    ASSERT_TRUE(audio::writeWav(audio::toneFor(kind), path, &why)) << why;
    audio::PcmBuffer back;
    ASSERT_TRUE(readWav(path, &back)) << path;
    EXPECT_EQ(back.rate_hz, 48000);
    EXPECT_GE(back.seconds(), 0.15) << core::cueKindName(kind);
    EXPECT_LE(back.seconds(), 0.8) << core::cueKindName(kind);
    EXPECT_GT(audio::rmsLevel(back), 0.05) << core::cueKindName(kind) << " is (nearly) silent";
    EXPECT_GT(audio::peakLevel(back), 0.3) << core::cueKindName(kind);
    EXPECT_LE(audio::peakLevel(back), 0.55) << core::cueKindName(kind) << " is too loud";
    // Soft edges: no click at the start or the end.
    EXPECT_LT(std::abs(back.samples.front()), 0.01);
    EXPECT_LT(std::abs(back.samples.back()), 0.01);
    lengths.insert(back.samples.size());
    // Its own: the tone's zero crossings in its first 0.1 s (its first note's pitch) and length.
    long crossings = 0;
    for (size_t i = 1; i < 4800 && i < back.samples.size(); ++i)
      crossings += (back.samples[i - 1] < 0) != (back.samples[i] < 0);
    signatures.insert(crossings * 1000000 + static_cast<long>(back.samples.size()));
  }
  EXPECT_EQ(signatures.size(), std::size(kAllKinds)) << "two cues sound the same";
}

TEST(CueSounds, EverySpokenPromptIsSpeechOfAPlausibleLength) {
  TempDir dir;
  const char* prompts[] = {"hold",
                           "thirty seconds",
                           "released",
                           "time to move on",
                           "slower",
                           "less pressure",
                           "more pressure",
                           "switch to the left side",
                           "stretch hold done",
                           "sixty seconds on this side"};
  for (const char* words : prompts) {
    audio::PcmBuffer speech;
    std::string why;
    ASSERT_TRUE(audio::speak(words, &speech, &why)) << why;
    const std::string path = dir.file(std::string(words) + ".wav");
    ASSERT_TRUE(audio::writeWav(speech, path, &why)) << why;
    audio::PcmBuffer back;
    ASSERT_TRUE(readWav(path, &back));
    EXPECT_GE(back.seconds(), 0.2) << words;
    EXPECT_LE(back.seconds(), 4.0) << words;
    EXPECT_GT(audio::rmsLevel(back), 0.02) << words << " is (nearly) silent";
    EXPECT_LE(audio::peakLevel(back), 1.0) << words;
  }
  // Longer words take longer to say.
  audio::PcmBuffer a, b;
  std::string why;
  ASSERT_TRUE(audio::speak("hold", &a, &why));
  ASSERT_TRUE(audio::speak("sixty seconds on this side", &b, &why));
  EXPECT_GT(b.seconds(), a.seconds() * 1.5);
}

TEST(CueSounds, ResamplingKeepsTheDurationAndTheLevel) {
  const audio::PcmBuffer tone = audio::toneFor(core::CueKind::kReleased, 48000);
  const audio::PcmBuffer low = audio::resampled(tone, 22050);
  EXPECT_EQ(low.rate_hz, 22050);
  EXPECT_NEAR(low.seconds(), tone.seconds(), 0.001);
  EXPECT_NEAR(audio::rmsLevel(low), audio::rmsLevel(tone), 0.01);
}

TEST(CuePlayer, WithoutAnAudioDeviceItSaysSoOnceAndPlaysNothing) {
  audio::CuePlayer player(audio::CueSound::kTones);
  if (player.audible()) GTEST_SKIP() << "this machine has an audio device";
  EXPECT_NE(player.status().find("the cues are silent"), std::string::npos) << player.status();
  player.play({core::CueKind::kReleased, 1.0, "released"});  // does nothing, never blocks
  // The sound is still there for whoever asks (e.g. to write a WAV).
  EXPECT_GT(audio::rmsLevel(player.soundFor({core::CueKind::kReleased, 1.0, "released"})), 0.05);
  audio::CuePlayer off(audio::CueSound::kOff);
  EXPECT_EQ(off.status(), "");
  audio::CueSound mode;
  EXPECT_TRUE(audio::parseCueSound("voice", &mode));
  EXPECT_EQ(mode, audio::CueSound::kVoice);
  EXPECT_FALSE(audio::parseCueSound("loud", &mode));
}

TEST(CuePlayer, TheVoiceModeSpeaksTheCuesWords) {
  audio::CuePlayer voice(audio::CueSound::kVoice);
  const audio::PcmBuffer said =
      voice.soundFor({core::CueKind::kWindowReached, 40, "thirty seconds"});
  const audio::PcmBuffer tone = audio::toneFor(core::CueKind::kWindowReached, 48000);
  EXPECT_EQ(said.rate_hz, 48000);
  EXPECT_GT(said.seconds(), tone.seconds());  // speech, not the tone
}

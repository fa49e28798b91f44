// `rollrig record --cues`: the cues come from the engine at their sample's time, and a machine
// without audio gets one clear line and a normal recording.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "cli_run.h"

using rollrig::testing::CliRun;
using rollrig::testing::TempDir;

TEST(CuesCli, RecordWithToneCuesSaysEachCueAtItsTimeAndRecordsNormally) {
  TempDir dir;
  const CliRun r = rollrig::testing::runRollrig(
      "record --demo --fast --duration 200 --cues tones --body-mass 70 --no-library --out " +
      dir.file("s.csv"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("recorded 16000 samples"), std::string::npos) << r.output;
  std::stringstream ss(r.output);
  int silent_lines = 0, holds = 0, thirty = 0, released = 0;
  for (std::string line; std::getline(ss, line);) {
    silent_lines += line.find("the cues are silent") != std::string::npos;
    EXPECT_EQ(line.find("ALSA"), std::string::npos) << "the audio system's own noise: " << line;
    EXPECT_EQ(line.find("jack"), std::string::npos) << "the audio system's own noise: " << line;
    holds += line.rfind("cue: hold (", 0) == 0;
    thirty += line.rfind("cue: thirty seconds (", 0) == 0;
    released += line.rfind("cue: released (", 0) == 0;
  }
  // This machine may have sound; if not, it says so once.
  EXPECT_LE(silent_lines, 1) << r.output;
  // The virtual rig (seed 1) holds three times in 200 s and two of them release (as `analyze`
  // of the same recording finds).
  EXPECT_EQ(holds, 3) << r.output;
  EXPECT_EQ(released, 2) << r.output;
  EXPECT_GE(thirty, 1) << r.output;
}

TEST(CuesCli, CuesAreOffUnlessAskedFor) {
  TempDir dir;
  const CliRun r = rollrig::testing::runRollrig(
      "record --demo --fast --duration 60 --no-library --out " + dir.file("s.csv"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("cue:"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("silent"), std::string::npos) << r.output;
  EXPECT_EQ(rollrig::testing::runRollrig("record --demo --cues loud").code, 2);
}

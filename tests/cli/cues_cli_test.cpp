// `rollrig record --cues`: the cues come from the engine at their sample's time, and a machine
// without audio gets one clear line and a normal recording.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
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

namespace {

// How many lines of `output` start with "cue: WORDS (".
int cueLines(const std::string& output, const std::string& words) {
  std::stringstream ss(output);
  int n = 0;
  for (std::string line; std::getline(ss, line);) n += line.rfind("cue: " + words + " (", 0) == 0;
  return n;
}

// 200 s of the virtual rig (seed 1) with tone cues and a body mass, plus `more`.
CliRun recordWithCues(const TempDir& dir, const std::string& more) {
  return rollrig::testing::runRollrig(
      "record --demo --fast --duration 200 --cues tones --body-mass 70 --no-library --force "
      "--out " +
      dir.file("s.csv") + " " + more);
}

}  // namespace

TEST(CuesCli, NoCueSwitchesEachNamedKindOffAndLeavesTheOthers) {
  TempDir dir;
  const CliRun all = recordWithCues(dir, "");
  ASSERT_EQ(all.code, 0) << all.output;
  ASSERT_EQ(cueLines(all.output, "hold"), 3) << all.output;
  ASSERT_EQ(cueLines(all.output, "released"), 2) << all.output;
  const int thirty = cueLines(all.output, "thirty seconds");
  ASSERT_GE(thirty, 1) << all.output;
  const CliRun some = recordWithCues(dir, "--no-cue hold-confirmed --no-cue released");
  ASSERT_EQ(some.code, 0) << some.output;
  EXPECT_NE(some.output.find("recorded 16000 samples"), std::string::npos) << some.output;
  EXPECT_EQ(cueLines(some.output, "hold"), 0) << some.output;
  EXPECT_EQ(cueLines(some.output, "released"), 0) << some.output;
  EXPECT_EQ(cueLines(some.output, "thirty seconds"), thirty) << some.output;
}

TEST(CuesCli, TheBandAndTheSlowLimitDecideWhenTheLoadAndSpeedCuesCome) {
  TempDir dir;
  // The virtual rig (seed 1) rolls at less than 60 mm/s and holds at about 40-55 % of 70 kg.
  const CliRun plain = recordWithCues(dir, "--slow-limit 60");
  ASSERT_EQ(plain.code, 0) << plain.output;
  EXPECT_EQ(cueLines(plain.output, "slower"), 0) << plain.output;
  const CliRun slow = recordWithCues(dir, "--slow-limit 10");
  ASSERT_EQ(slow.code, 0) << slow.output;
  EXPECT_GE(cueLines(slow.output, "slower"), 1) << slow.output;
  // A band the holds sit inside: no load cue; one above them: "more pressure" only.
  const CliRun wide = recordWithCues(dir, "--band 5-100");
  ASSERT_EQ(wide.code, 0) << wide.output;
  EXPECT_EQ(cueLines(wide.output, "less pressure") + cueLines(wide.output, "more pressure"), 0)
      << wide.output;
  const CliRun high = recordWithCues(dir, "--band 60-100");
  ASSERT_EQ(high.code, 0) << high.output;
  EXPECT_GE(cueLines(high.output, "more pressure"), 1) << high.output;
  EXPECT_EQ(cueLines(high.output, "less pressure"), 0) << high.output;
}

TEST(CuesCli, ABadCueOptionSaysWhatIsWrongAndRecordsNothing) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"--cues tones --body-mass 70 --band 50-20",
       "--band: must be LOW-HIGH in % of body weight, each from 5 to 100 and LOW below HIGH, e.g. "
       "20-50, not '50-20'"},
      {"--cues tones --body-mass 70 --band 20", "not '20'"},
      {"--cues tones --body-mass 70 --band 2-50", "not '2-50'"},
      {"--cues tones --body-mass 70 --band 20-50x", "not '20-50x'"},
      {"--cues tones --slow-limit 5",
       "--slow-limit: must be a number of mm/s from 10 to 300, not '5'"},
      {"--cues tones --slow-limit fast", "not 'fast'"},
      {"--cues tones --no-cue loud",
       "--no-cue: there is no cue 'loud'; the cues are hold-confirmed, window-reached, released, "
       "move-on, too-fast, out-of-band, switch-sides, stretch-hold-done, stretch-total-reached"},
      {"--cues tones --no-cue released --no-cue hold", "there is no cue 'hold'"},
      {"--cues tones --band 20-50", "give your --body-mass KG too"},
      {"--no-cue released", "the cues are off; add --cues tones or --cues voice"},
  };
  for (const auto& [options, message] : cases) {
    const CliRun r =
        rollrig::testing::runRollrig("record --demo --fast --duration 5 --no-library --out " +
                                     dir.file("bad.csv") + " " + options);
    EXPECT_EQ(r.code, 2) << options << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << options << "\n" << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("bad.csv"))) << options;
  }
  // The kinds are listed in --help.
  const CliRun help = rollrig::testing::runRollrig("record --help");
  EXPECT_NE(help.output.find("--no-cue"), std::string::npos);
  EXPECT_NE(help.output.find("stretch-total-reached"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--band"), std::string::npos);
  EXPECT_NE(help.output.find("--slow-limit"), std::string::npos);
}

// The session's share of rolling too fast, live from the engine, in the summary: the same figure
// `rollrig analyze` makes of the recording, against the same "slowly"; --slow-limit moves it.
TEST(CuesCli, TheSummarySaysTheShareOfRollingTooFastAsAnalyzeDoesAndTheSlowLimitMovesIt) {
  TempDir dir;
  struct Share {
    int rolling_s = -1, pct = -1, limit = -1;
  };
  const auto record = [&](const std::string& name, const std::string& more) {
    const CliRun r = rollrig::testing::runRollrig(
        "record --demo --fast --duration 200 --no-library --out " + dir.file(name) + " " + more);
    EXPECT_EQ(r.code, 0) << r.output;
    Share s;
    const size_t at = r.output.find("  rolling ");
    EXPECT_NE(at, std::string::npos) << r.output;
    if (at != std::string::npos)
      std::sscanf(r.output.c_str() + at, "  rolling %d s, %d %% of it faster than %d mm/s",
                  &s.rolling_s, &s.pct, &s.limit);
    return s;
  };
  const Share plain = record("plain.csv", "");
  EXPECT_EQ(plain.limit, 30);
  EXPECT_GT(plain.rolling_s, 0);
  const CliRun an = rollrig::testing::runRollrig("analyze " + dir.file("plain.csv"));
  ASSERT_EQ(an.code, 0) << an.output;
  EXPECT_NE(an.output.find(std::to_string(plain.pct) + " % faster than 30 mm/s"), std::string::npos)
      << "live " << plain.pct << " %\n"
      << an.output;
  const Share slow = record("slow.csv", "--slow-limit 10");
  EXPECT_EQ(slow.limit, 10);
  EXPECT_EQ(slow.rolling_s, plain.rolling_s);
  EXPECT_GT(slow.pct, plain.pct);
}

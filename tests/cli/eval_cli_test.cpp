// `rollrig-eval` as a user runs it: its numeric options are checked as rollrig's are.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli_run.h"

namespace {

using rollrig::testing::CliRun;

CliRun runEval(const std::string& args) {
  return rollrig::testing::runProgram(rollrig::testing::binary("rollrig-eval"), args);
}

// One short session, so a value that slips through is quick to find out.
std::string withQuickDefaults(const std::string& option, const std::string& value) {
  std::map<std::string, std::string> args = {
      {"--sessions", "1"}, {"--min-duration", "60"}, {"--max-duration", "60"}};
  args[option] = value;
  std::string line;
  for (const auto& [o, v] : args) line += o + " " + v + " ";
  return line;
}

size_t longestDigitRun(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

// Issue 9, item 14 follow-up: rollrig-eval took `--sessions 0`, `--rate nan` or `--missing -1`
// and ran (or ran for ever); its options get the same checks as rollrig's, in the same words.
TEST(EvalCli, RefusesNumericOptionsOutsideTheirRangeInPlainNumbers) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--sessions", "0"},        {"--sessions", "-1"},     {"--sessions", "2.5"},
      {"--sessions", "1e9"},      {"--first-seed", "-1"},   {"--first-seed", "1.5"},
      {"--min-duration", "nan"},  {"--min-duration", "-5"}, {"--max-duration", "inf"},
      {"--max-duration", "1e12"}, {"--missing", "nan"},     {"--missing", "2"},
      {"--missing", "-0.1"},      {"--rate", "0"},          {"--rate", "1e9"},
      {"--rate", "nan"},          {"--cop-noise", "-1"},    {"--cop-wander", "inf"},
      {"--gain-error", "5"},      {"--span-drift", "-0.1"}, {"--span-drift", "nan"},
  };
  for (const auto& [option, value] : cases) {
    const std::string args = withQuickDefaults(option, value);
    const CliRun r = runEval(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(option + ": must be a"), std::string::npos) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(" from "), std::string::npos) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("not '" + value + "'"), std::string::npos) << args << "\n" << r.output;
    EXPECT_LE(longestDigitRun(r.output), 10u) << "a range in plain numbers: " << r.output;
  }
}

TEST(EvalCli, RefusesAShortestSessionLongerThanTheLongest) {
  const CliRun r = runEval("--sessions 1 --min-duration 900 --max-duration 300");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--min-duration 900 is longer than --max-duration 300"),
            std::string::npos)
      << r.output;
}

TEST(EvalCli, RunsWithValuesInRange) {
  const CliRun r = runEval(
      "--sessions 1 --first-seed 7 --min-duration 60 --max-duration 60 --missing 0 --rate 100 "
      "--cop-noise 1 --cop-wander 0 --gain-error 0.01 --span-drift 0");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sessions 1"), std::string::npos) << r.output;
}

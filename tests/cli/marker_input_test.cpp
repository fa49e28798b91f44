// MarkerInput's script form (host/cli marker_input.h): marker lines from a pipe, as a script feeds
// `rollrig record`. The pipe is real; the test writes it whole, closes it and reads.
#include "marker_input.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

using rollrig::cli::MarkerCommand;
using rollrig::cli::MarkerInput;

namespace {

std::vector<MarkerCommand> readScript(const std::string& text) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  std::vector<MarkerCommand> out;
  {
    MarkerInput in(fds[0]);
    EXPECT_FALSE(in.terminal());
    for (int i = 0; i < 10; ++i) {
      const std::vector<MarkerCommand> more = in.poll();
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  close(fds[0]);
  return out;
}

}  // namespace

TEST(MarkerInput, ReadsOneMarkerPerLineAndSkipsBlankLinesAndComments) {
  const auto m = readScript("# a script\nside left\n\npain 6\n  released  \nnote tight spot\nhm\n");
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].kind, MarkerCommand::Kind::kSide);
  EXPECT_EQ(m[0].side, rollrig::core::Side::kLeft);
  EXPECT_EQ(m[1].kind, MarkerCommand::Kind::kPain);
  EXPECT_EQ(m[1].pain, 6);
  EXPECT_EQ(m[2].kind, MarkerCommand::Kind::kReleased);
  EXPECT_EQ(m[3].kind, MarkerCommand::Kind::kNote);
  EXPECT_EQ(m[3].text, "tight spot");
  EXPECT_EQ(m[4].kind, MarkerCommand::Kind::kInvalid);
  EXPECT_EQ(m[4].text, "hm");
}

TEST(MarkerInput, ReadsTheLastLineWhenItHasNoNewline) {
  const auto m = readScript("pain 2\nreleased");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].kind, MarkerCommand::Kind::kReleased);
}

// Found by fuzzing (fuzz/marker_input; the input is fuzz/corpus/marker_input/
// crash-comment-last-line-without-newline): a comment on the last line, without a newline, was
// read as a marker line and reported as not understood.
TEST(MarkerInput, IgnoresACommentOnTheLastLineWithoutANewline) {
  EXPECT_TRUE(readScript("#>").empty());
  const auto m = readScript("released\n  # done");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MarkerCommand::Kind::kReleased);
}

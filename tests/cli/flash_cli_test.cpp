// `rollrig flash` end to end, with a fake avrdude on PATH (a script that records its arguments and
// exits as told) and a virtual rig on a pseudo-terminal answering the handshake afterwards.
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "cli_run.h"
#include "pty_rig.h"
#include "rollrig/engine/firmware_version.h"

namespace fs = std::filesystem;
using rollrig::testing::CliRun;
using rollrig::testing::readText;
using rollrig::testing::TempDir;
using rollrig::testing::writeText;

namespace {

// A folder with an `avrdude` that writes its arguments, one per line, to `args.txt` beside it and
// exits with `exit_code`.
struct FakeAvrdude {
  TempDir dir{"rollrig-fake-avrdude"};
  explicit FakeAvrdude(int exit_code = 0) {
    writeText(dir.file("avrdude"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > '" +
                                       dir.file("args.txt") + "'\necho 'avrdude: fake upload'\n" +
                                       "exit " + std::to_string(exit_code) + "\n");
    chmod(dir.file("avrdude").c_str(), 0755);
  }
  // PATH with only this folder and the shell's own (no real avrdude).
  std::string env() const { return "PATH='" + dir.path() + ":/usr/bin:/bin' "; }
  std::string args() const { return readText(dir.file("args.txt")); }
};

// A folder to act as "no avrdude anywhere" (sh is found by absolute path).
std::string pathWithoutAvrdude(const TempDir& empty) {
  return "PATH='" + empty.path() + "' ";
}

// The bundled image the build made (build/firmware/rollrig.hex).
std::string bundledHex() {
  return fs::weakly_canonical(fs::path(rollrig::testing::binary("")) / "../firmware/rollrig.hex")
      .string();
}

}  // namespace

TEST(FlashCli, UploadsTheBundledFirmwareWithAvrdudeThenChecksTheBoardAnswers) {
  if (!fs::exists(bundledHex())) GTEST_SKIP() << "no firmware built (needs gcc-avr)";
  FakeAvrdude avrdude;
  rollrig::testing::PtyRig rig{rollrig::sim::VirtualDeviceConfig{}};
  ASSERT_FALSE(rig.path().empty());
  const CliRun r = rollrig::testing::runRollrig("flash --port " + rig.path(), avrdude.env());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(avrdude.args(), "-p\natmega328p\n-c\narduino\n-P\n" + rig.path() +
                                "\n-b\n115200\n-D\n-U\nflash:w:" + bundledHex() + ":i\n");
  EXPECT_NE(r.output.find("avrdude: fake upload"), std::string::npos) << r.output;
  const std::string version =
      rollrig::engine::formatVersion(rollrig::engine::bundledFirmwareVersion());
  EXPECT_NE(r.output.find("it answers as rollrig firmware " + version), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("4 cells at 80 Hz"), std::string::npos) << r.output;
}

TEST(FlashCli, ANanoWithTheOldBootloaderIsFlashedAt57600Baud) {
  if (!fs::exists(bundledHex())) GTEST_SKIP() << "no firmware built (needs gcc-avr)";
  FakeAvrdude avrdude;
  rollrig::testing::PtyRig rig{rollrig::sim::VirtualDeviceConfig{}};
  const CliRun r =
      rollrig::testing::runRollrig("flash --board nano-old --port " + rig.path(), avrdude.env());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(avrdude.args().find("-b\n57600\n"), std::string::npos) << avrdude.args();
  const CliRun nano =
      rollrig::testing::runRollrig("flash --board nano --port " + rig.path(), avrdude.env());
  EXPECT_NE(avrdude.args().find("-b\n115200\n"), std::string::npos) << avrdude.args();
  EXPECT_EQ(
      rollrig::testing::runRollrig("flash --board mega --port " + rig.path(), avrdude.env()).code,
      2);
}

TEST(FlashCli, SaysHowToInstallAvrdudeWhenItIsMissing) {
  TempDir empty;
  const CliRun r = rollrig::testing::runRollrig("flash --port /dev/ttyACM0 --hex " + bundledHex(),
                                                pathWithoutAvrdude(empty));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("sudo apt-get install avrdude"), std::string::npos) << r.output;
}

TEST(FlashCli, AFailedUploadSaysWhatToCheckAndNeverClaimsSuccess) {
  if (!fs::exists(bundledHex())) GTEST_SKIP() << "no firmware built (needs gcc-avr)";
  FakeAvrdude avrdude(1);
  rollrig::testing::PtyRig rig{rollrig::sim::VirtualDeviceConfig{}};
  const CliRun r = rollrig::testing::runRollrig("flash --port " + rig.path(), avrdude.env());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("exited with 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--board nano-old"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("it answers"), std::string::npos) << r.output;
}

TEST(FlashCli, ABoardThatDoesNotAnswerAfterTheUploadIsNotARollrig) {
  if (!fs::exists(bundledHex())) GTEST_SKIP() << "no firmware built (needs gcc-avr)";
  FakeAvrdude avrdude;
  rollrig::testing::SilentPort port;
  const CliRun r = rollrig::testing::runRollrig("flash --port " + port.path, avrdude.env());
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("the upload finished, but the board did not answer as a rollrig"),
            std::string::npos)
      << r.output;
}

TEST(FlashCli, AMissingImageOrPortIsSaidBeforeAvrdudeRuns) {
  FakeAvrdude avrdude;
  CliRun r = rollrig::testing::runRollrig("flash --port /dev/ttyACM0 --hex /nonexistent/x.hex",
                                          avrdude.env());
  EXPECT_EQ(r.code, 10) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/x.hex does not exist"), std::string::npos) << r.output;
  if (fs::exists(bundledHex())) {
    r = rollrig::testing::runRollrig("flash --port /dev/ttyNOPE0", avrdude.env());
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("no serial port at /dev/ttyNOPE0"), std::string::npos) << r.output;
  }
  EXPECT_EQ(avrdude.args(), "") << "avrdude ran";
}

TEST(FlashCli, ABusyPortIsSaidInRollrigsWordsNotAvrdudes) {
  if (!fs::exists(bundledHex())) GTEST_SKIP() << "no firmware built (needs gcc-avr)";
  FakeAvrdude avrdude;
  int master = -1, slave = -1;
  char name[256];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  ASSERT_EQ(ioctl(slave, TIOCEXCL), 0);  // a serial monitor holds it
  const CliRun r = rollrig::testing::runRollrig(std::string("flash --port ") + name, avrdude.env());
  close(slave);
  close(master);
  EXPECT_EQ(r.code, 5) << r.output;
  EXPECT_NE(r.output.find("another program is using"), std::string::npos) << r.output;
  EXPECT_EQ(avrdude.args(), "") << "avrdude ran";
}

// `rollrig doctor` end to end: with a rig (a virtual rig on a pseudo-terminal) and without one.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "pty_rig.h"

namespace fs = std::filesystem;
using rollrig::testing::CliRun;
using rollrig::testing::TempDir;

TEST(DoctorCli, WithARigOnItsPortItHandshakesAndExitsZero) {
  TempDir dir;
  rollrig::testing::PtyRig rig{rollrig::sim::VirtualDeviceConfig{}};
  ASSERT_FALSE(rig.path().empty());
  const std::string db = dir.file("new/sessions.db");
  const CliRun r =
      rollrig::testing::runRollrig("doctor --port " + rig.path() + " --db " + db,
                                   "DISPLAY=:99 ROLLRIG_CONFIG_DIR='" + dir.path() + "' ");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(rig.path() + ": a rollrig: firmware"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("4 cells at 80 Hz"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no calibration stored for device 0000D3E0"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("fix: rollrig calibrate --port " + rig.path()), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("no library yet: the first recording makes " + db), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(db)) << "doctor made the library";
  EXPECT_FALSE(fs::exists(dir.file("new"))) << "doctor made the library's folder";
}

TEST(DoctorCli, WithoutARigItSaysSoWithTheFixAndExitsOne) {
  TempDir dir;
  CliRun r =
      rollrig::testing::runRollrig("doctor --port /dev/ttyNOPE0 --db " + dir.file("sessions.db"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("PROBLEM  rig          /dev/ttyNOPE0 does not exist"), std::string::npos)
      << r.output;
  // A port with no rollrig behind it.
  rollrig::testing::SilentPort silent;
  r = rollrig::testing::runRollrig("doctor --json --port " + silent.path + " --db " +
                                   dir.file("sessions.db"));
  EXPECT_EQ(r.code, 1) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["fine"], false);
  bool said = false;
  for (const auto& c : j["checks"])
    said = said || (c["area"] == "rig" && c["level"] == "PROBLEM" &&
                    c["fix"].get<std::string>().find("rollrig flash") != std::string::npos);
  EXPECT_TRUE(said) << j.dump(2);
}

TEST(DoctorCli, NoProbeLeavesTheRigAloneAndSaysItWasNotAsked) {
  TempDir dir;
  rollrig::testing::SilentPort silent;
  const CliRun r = rollrig::testing::runRollrig("doctor --no-probe --port " + silent.path +
                                                " --db " + dir.file("sessions.db"));
  EXPECT_NE(r.output.find("was not asked (--no-probe)"), std::string::npos) << r.output;
}

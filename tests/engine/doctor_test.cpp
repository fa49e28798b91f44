// engine::diagnose(): `rollrig doctor`'s reasoning on machines given as facts (a fake port list,
// a rig that answers or not, groups, udev rules, library, calibration, display).
#include "rollrig/engine/doctor.h"

#include <gtest/gtest.h>

#include "rollrig/engine/firmware_version.h"

using namespace rollrig;
using engine::CheckLevel;
using engine::DoctorCheck;
using engine::DoctorFacts;

namespace {

proto::InfoFrame rollrigInfo() {
  proto::InfoFrame i{};
  i.magic = proto::kMagic;
  i.proto_major = 1;
  const engine::FirmwareVersion v = engine::bundledFirmwareVersion();
  i.fw_major = static_cast<uint8_t>(v.major);
  i.fw_minor = static_cast<uint8_t>(v.minor);
  i.fw_patch = static_cast<uint8_t>(v.patch);
  i.channel_count = 4;
  i.rate_hz = 80;
  i.device_serial = 0x0000D3E0;
  return i;
}

// A machine where everything is in order: a rig on /dev/ttyACM0 that answers, its calibration a
// month old, the udev rule, a library, a display.
DoctorFacts healthy() {
  DoctorFacts f;
  io::PortInfo uno;
  uno.path = "/dev/ttyACM0", uno.usb_vid = 0x2341, uno.usb_pid = 0x0043;
  f.ports = {uno};
  engine::PortProbe p;
  p.path = "/dev/ttyACM0", p.group = "dialout", p.in_group_now = p.in_group_at_login = true;
  p.probed = true;
  p.info = rollrigInfo();
  f.probes = {p};
  f.udev_rules = {"/usr/lib/udev/rules.d/70-rollrig.rules"};
  f.library_path = "/home/u/.local/share/rollrig/sessions.db";
  f.library_exists = f.library_writable = true;
  f.library_bytes = 4'000'000, f.library_sessions = 12;
  core::CalibrationRecord rec;
  rec.calibration.created = "2026-10-30T10:00:00Z";
  rec.span = core::SpanRecord{};
  f.calibration = rec;
  f.calibration_path = "/home/u/.config/rollrig/calibrations/device-0000D3E0.json";
  f.now_utc = "2026-11-29T10:00:00Z";
  f.display = ":0";
  f.gui_installed = f.bundled_firmware_found = true;
  return f;
}

const DoctorCheck* find(const std::vector<DoctorCheck>& checks, const std::string& area,
                        CheckLevel level) {
  for (const DoctorCheck& c : checks)
    if (c.area == area && c.level == level) return &c;
  return nullptr;
}

}  // namespace

TEST(Doctor, AMachineWithTheRigReadyHasNothingButOks) {
  const std::vector<DoctorCheck> checks = engine::diagnose(healthy());
  for (const DoctorCheck& c : checks)
    EXPECT_EQ(c.level, CheckLevel::kOk) << c.area << ": " << c.finding;
  EXPECT_TRUE(engine::allFine(checks));
  const DoctorCheck* rig = find(checks, "rig", CheckLevel::kOk);
  ASSERT_TRUE(rig);
  EXPECT_NE(rig->finding.find("/dev/ttyACM0: a rollrig"), std::string::npos) << rig->finding;
  const DoctorCheck* cal = find(checks, "calibration", CheckLevel::kOk);
  ASSERT_TRUE(cal);
  EXPECT_NE(cal->finding.find("tare and span, made 2026-10-30 (30 days ago)"), std::string::npos)
      << cal->finding;
  EXPECT_NE(find(checks, "library", CheckLevel::kOk)->finding.find("12 sessions, 4.0 MB"),
            std::string::npos);
}

TEST(Doctor, NoRigAmongThePortsIsAProblemThatSaysWhatToDo) {
  DoctorFacts f = healthy();
  io::PortInfo native;
  native.path = "/dev/ttyS0";
  f.ports = {native};
  f.probes.clear();
  const std::vector<DoctorCheck> checks = engine::diagnose(f);
  const DoctorCheck* rig = find(checks, "rig", CheckLevel::kProblem);
  ASSERT_TRUE(rig);
  EXPECT_NE(rig->finding.find("1 serial port, none with an Arduino's"), std::string::npos)
      << rig->finding;
  EXPECT_NE(rig->fix.find("plug the rig in"), std::string::npos);
  EXPECT_FALSE(engine::allFine(checks));
  // Without a rig, its firmware and calibration are not judged.
  EXPECT_FALSE(find(checks, "calibration", CheckLevel::kWarning));
  EXPECT_FALSE(find(checks, "firmware", CheckLevel::kOk));
}

TEST(Doctor, APortTheUserMayNotOpenNamesTheGroupAndWhetherALoginIsAllThatIsMissing) {
  DoctorFacts f = healthy();
  f.probes[0].accessible = false, f.probes[0].info.reset(), f.probes[0].probed = false;
  f.probes[0].in_group_now = f.probes[0].in_group_at_login = false;
  std::vector<DoctorCheck> checks = engine::diagnose(f);
  const DoctorCheck* access = find(checks, "port access", CheckLevel::kProblem);
  ASSERT_TRUE(access);
  EXPECT_NE(access->fix.find("sudo usermod -aG dialout $USER"), std::string::npos) << access->fix;
  // Added to the group, not yet logged in again.
  f.probes[0].in_group_at_login = true;
  checks = engine::diagnose(f);
  access = find(checks, "port access", CheckLevel::kProblem);
  ASSERT_TRUE(access);
  EXPECT_NE(access->fix.find("log out and back in"), std::string::npos) << access->fix;
  EXPECT_EQ(access->fix.find("usermod"), std::string::npos) << access->fix;
}

TEST(Doctor, APortThatDoesNotAnswerAsARollrigSuggestsFlashing) {
  DoctorFacts f = healthy();
  f.probes[0].info.reset();
  f.probes[0].error.message = "no rollrig answered on /dev/ttyACM0 within 3.0 s";
  const std::vector<DoctorCheck> checks = engine::diagnose(f);
  const DoctorCheck* rig = find(checks, "rig", CheckLevel::kProblem);
  ASSERT_TRUE(rig);
  EXPECT_NE(rig->finding.find("no rollrig answered"), std::string::npos);
  EXPECT_NE(rig->fix.find("rollrig flash --port /dev/ttyACM0"), std::string::npos) << rig->fix;
}

TEST(Doctor, OlderFirmwareAndAStaleOrMissingCalibrationAreWarningsWithTheirCommands) {
  DoctorFacts f = healthy();
  f.probes[0].info->fw_major = 0, f.probes[0].info->fw_minor = 0, f.probes[0].info->fw_patch = 1;
  f.calibration->calibration.created = "2026-01-02T10:00:00Z";
  std::vector<DoctorCheck> checks = engine::diagnose(f);
  if (engine::firmwareVersionOf(*f.probes[0].info) < engine::bundledFirmwareVersion()) {
    const DoctorCheck* fw = find(checks, "firmware", CheckLevel::kWarning);
    ASSERT_TRUE(fw);
    EXPECT_EQ(fw->fix, "rollrig flash --port /dev/ttyACM0");
  }
  const DoctorCheck* cal = find(checks, "calibration", CheckLevel::kWarning);
  ASSERT_TRUE(cal);
  EXPECT_NE(cal->finding.find("331 days ago"), std::string::npos) << cal->finding;
  EXPECT_TRUE(engine::allFine(checks));  // warnings only
  f.calibration.reset();
  checks = engine::diagnose(f);
  cal = find(checks, "calibration", CheckLevel::kWarning);
  ASSERT_TRUE(cal);
  EXPECT_NE(cal->finding.find("no calibration stored for device 0000D3E0"), std::string::npos);
  // A malformed stored calibration: recording falls back to uncalibrated, so it is a problem.
  f.calibration_error = "device-0000D3E0.json is not valid JSON";
  checks = engine::diagnose(f);
  EXPECT_TRUE(find(checks, "calibration", CheckLevel::kProblem));
  EXPECT_FALSE(engine::allFine(checks));
}

TEST(Doctor, UdevRulesAreCheckedForTheirOrderAgainstSeatLate) {
  DoctorFacts f = healthy();
  f.udev_rules = {"/etc/udev/rules.d/99-rollrig.rules"};
  std::vector<DoctorCheck> checks = engine::diagnose(f);
  const DoctorCheck* rule = find(checks, "udev rule", CheckLevel::kWarning);
  ASSERT_TRUE(rule);
  EXPECT_NE(rule->finding.find("uaccess tag is ignored"), std::string::npos);
  f.udev_rules.clear();
  checks = engine::diagnose(f);
  rule = find(checks, "udev rule", CheckLevel::kWarning);
  ASSERT_TRUE(rule);
  EXPECT_NE(rule->fix.find("/etc/udev/rules.d/70-rollrig.rules"), std::string::npos);
}

TEST(Doctor, TheLibraryIsJudgedByWhetherARecordingCouldWriteIt) {
  DoctorFacts f = healthy();
  f.library_writable = false;
  EXPECT_TRUE(find(engine::diagnose(f), "library", CheckLevel::kProblem));
  f.library_exists = false, f.library_writable = true;
  EXPECT_NE(find(engine::diagnose(f), "library", CheckLevel::kOk)->finding.find("no library yet"),
            std::string::npos);
  f.library_writable = false;
  EXPECT_TRUE(find(engine::diagnose(f), "library", CheckLevel::kProblem));
  // An older library a recording will upgrade: a warning, not a problem.
  f.library_exists = f.library_writable = f.library_needs_upgrade = true;
  f.library_error = "made by an older rollrig (schema 3) and must be upgraded";
  EXPECT_TRUE(find(engine::diagnose(f), "library", CheckLevel::kWarning));
  f.library_writable = false;
  EXPECT_TRUE(find(engine::diagnose(f), "library", CheckLevel::kProblem));
}

TEST(Doctor, NoDisplayOrNoWindowProgramIsAWarningNotAProblem) {
  DoctorFacts f = healthy();
  f.display.clear();
  f.gui_installed = false;
  const std::vector<DoctorCheck> checks = engine::diagnose(f);
  EXPECT_TRUE(find(checks, "display", CheckLevel::kWarning));
  EXPECT_TRUE(engine::allFine(checks));
}

TEST(Doctor, DaysBetweenReadsIsoTimesAndRefusesOthers) {
  EXPECT_DOUBLE_EQ(*engine::daysBetween("2026-11-01T00:00:00Z", "2026-11-29T12:00:00Z"), 28.5);
  EXPECT_FALSE(engine::daysBetween("yesterday", "2026-11-29T12:00:00Z"));
  EXPECT_FALSE(engine::daysBetween("", "2026-11-29T12:00:00Z"));
}

// `rollrig doctor`'s reasoning: from facts gathered about this machine (serial ports, the rig's
// answer, access to its port, udev rules, the session library, the rig's stored calibration, a
// display), a list of checks, each with what was found and, when something is wrong, the fix.
// Pure: the CLI gathers the facts (host/cli/doctor_command.cpp), so tests can give any machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/calibration.h"
#include "rollrig/io/io_error.h"
#include "rollrig/io/serial_port.h"

namespace rollrig::engine {

// One port looked at closely: the one named, /dev/rollrig, or an Arduino-like USB port.
struct PortProbe {
  std::string path;
  bool exists = true;
  bool accessible = true;                // this user may open it for reading and writing
  std::string group;                     // the group owning the device node ("dialout")
  bool in_group_now = false;             // this process has that group
  bool in_group_at_login = false;        // the group database lists the user (a later login would)
  bool probed = false;                   // a handshake was tried
  std::optional<proto::InfoFrame> info;  // the device's answer, when it is a rollrig
  io::IoError error;                     // why it could not be opened or did not answer
};

struct DoctorFacts {
  std::vector<io::PortInfo> ports;  // every serial port the system lists
  std::string ports_error;
  std::vector<PortProbe> probes;
  bool asked_for_port = false;          // --port given: that port, not a search
  std::vector<std::string> udev_rules;  // files whose name has "rollrig", in the udev rule dirs
  // The session library.
  std::string library_path;
  bool library_exists = false;
  bool library_writable = false;  // the file (or, when new, its directory) may be written
  uint64_t library_bytes = 0;
  int64_t library_sessions = -1;       // -1: unknown
  std::string library_error;           // could not be opened or read
  bool library_needs_upgrade = false;  // made by an older rollrig: the next writer upgrades it
  // The connected rig's stored calibration (by its serial), when a rig answered.
  std::string calibration_path;
  std::optional<core::CalibrationRecord> calibration;
  std::string calibration_error;  // unreadable or malformed (not: absent)
  std::string now_utc;            // ISO 8601, for the calibration's age
  // The window.
  std::string display;  // $DISPLAY or $WAYLAND_DISPLAY; "" none
  bool gui_installed = false;
  bool bundled_firmware_found = false;
};

enum class CheckLevel { kOk, kWarning, kProblem };

struct DoctorCheck {
  std::string area;  // "rig", "port access", "udev rule", "library", "calibration", "display"
  CheckLevel level = CheckLevel::kOk;
  std::string finding;  // what was found, in words
  std::string fix;      // what to do ("" when nothing)
};

// A calibration older than this is worth repeating (load cells creep; a plate gets moved).
inline constexpr double kCalibrationStaleDays = 180;

std::vector<DoctorCheck> diagnose(const DoctorFacts& facts);

// True when no check is a problem (warnings allowed): doctor's exit code 0.
bool allFine(const std::vector<DoctorCheck>& checks);

// Days from an ISO 8601 UTC time ("2026-05-01T10:00:00Z") to another; nullopt if either is not one.
std::optional<double> daysBetween(const std::string& from_utc, const std::string& to_utc);

}  // namespace rollrig::engine

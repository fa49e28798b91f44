#include "rollrig/engine/doctor.h"

#include <cstdio>
#include <ctime>

#include "rollrig/core/calibration_json.h"  // serialHex
#include "rollrig/engine/firmware_version.h"

namespace rollrig::engine {

namespace {

std::string describe(const proto::InfoFrame& info) {
  return "a rollrig: firmware " + formatVersion(firmwareVersionOf(info)) + ", protocol " +
         std::to_string(info.proto_major) + "." + std::to_string(info.proto_minor) + ", serial " +
         core::serialHex(info.device_serial) + ", " + std::to_string(info.channel_count) +
         " cells at " + std::to_string(info.rate_hz) + " Hz";
}

std::string megabytes(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return b;
}

// The number a udev rule file's name starts with (70 for 70-rollrig.rules), or -1.
int ruleOrder(const std::string& path) {
  const std::string name = path.substr(path.find_last_of('/') + 1);
  int n = -1;
  return std::sscanf(name.c_str(), "%d-", &n) == 1 ? n : -1;
}

}  // namespace

std::optional<double> daysBetween(const std::string& from_utc, const std::string& to_utc) {
  const auto parse = [](const std::string& s) -> std::optional<time_t> {
    std::tm tm{};
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
      return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
  };
  const auto a = parse(from_utc), b = parse(to_utc);
  if (!a || !b) return std::nullopt;
  return std::difftime(*b, *a) / 86400.0;
}

std::vector<DoctorCheck> diagnose(const DoctorFacts& f) {
  std::vector<DoctorCheck> out;
  const auto add = [&](const char* area, CheckLevel level, std::string finding,
                       std::string fix = "") {
    out.push_back({area, level, std::move(finding), std::move(fix)});
  };

  // [SECTION] The rig and its port
  const PortProbe* rig = nullptr;
  for (const PortProbe& p : f.probes)
    if (p.info && !rig) rig = &p;
  if (f.probes.empty()) {
    if (!f.ports_error.empty()) {
      add("rig", CheckLevel::kProblem, "the serial ports could not be listed: " + f.ports_error);
    } else {
      add("rig", CheckLevel::kProblem,
          std::to_string(f.ports.size()) +
              (f.ports.size() == 1 ? " serial port" : " serial ports") +
              ", none with an Arduino's or a Nano clone's USB IDs and no /dev/rollrig: no rig "
              "is connected",
          "plug the rig in (USB) and run rollrig doctor again; `rollrig doctor --port PATH` "
          "checks a port of your choice; without hardware, rollrig-gui runs the virtual rig");
    }
  }
  for (const PortProbe& p : f.probes) {
    if (!p.exists) {
      add("rig", CheckLevel::kProblem, p.path + " does not exist",
          "plug the rig in, or name its port with --port (`rollrig ports` lists them)");
      continue;
    }
    if (!p.accessible) {
      if (p.in_group_at_login && !p.in_group_now) {
        add("port access", CheckLevel::kProblem,
            p.path + " belongs to the group " + p.group +
                "; you were added to it, but this login started before that",
            "log out and back in (or run `newgrp " + p.group + "`)");
      } else {
        add("port access", CheckLevel::kProblem,
            p.path + " belongs to the group " + p.group + ", and you are not in it",
            "sudo usermod -aG " + p.group +
                " $USER, then log out and back in; or install the udev rule (see below), which "
                "also opens the rig to whoever is logged in at the machine");
      }
      continue;
    }
    add("port access", CheckLevel::kOk,
        p.path + ": you may open it" + (p.group.empty() ? "" : " (group " + p.group + ")"));
    if (p.info) {
      add("rig", CheckLevel::kOk, p.path + ": " + describe(*p.info));
    } else if (p.probed) {
      add("rig", CheckLevel::kProblem, p.path + ": " + p.error.message,
          "check that this is the rig's port; if it is, flash the firmware: rollrig flash --port " +
              p.path);
    } else {
      add("rig", CheckLevel::kWarning, p.path + " was not asked (--no-probe)",
          "run rollrig doctor without --no-probe to handshake with it (an Uno restarts when its "
          "port opens)");
    }
  }

  // [SECTION] udev
  if (f.udev_rules.empty()) {
    add("udev rule", CheckLevel::kWarning,
        "no rollrig udev rule installed: the rig has no stable name (/dev/rollrig) and only "
        "members of dialout may open it",
        "sudo install -m 644 hardware/99-rollrig.rules /etc/udev/rules.d/70-rollrig.rules && "
        "sudo udevadm control --reload-rules, then replug the rig (hardware/README.md)");
  } else {
    for (const std::string& r : f.udev_rules) {
      if (ruleOrder(r) > 73) {
        add("udev rule", CheckLevel::kWarning,
            r + " sorts after systemd's 73-seat-late.rules, so its uaccess tag is ignored (dialout "
                "still works)",
            "rename it to 70-rollrig.rules");
      } else {
        add("udev rule", CheckLevel::kOk, r);
      }
    }
  }

  // [SECTION] Firmware
  if (rig) {
    const std::string advice = firmwareUpdateAdvice(*rig->info);
    if (!advice.empty())
      add("firmware", CheckLevel::kWarning, advice, "rollrig flash --port " + rig->path);
    else
      add("firmware", CheckLevel::kOk,
          "firmware " + formatVersion(firmwareVersionOf(*rig->info)) +
              " (this rollrig comes with " + formatVersion(bundledFirmwareVersion()) + ")");
  }
  if (!f.bundled_firmware_found)
    add("firmware", CheckLevel::kWarning,
        "the firmware image this rollrig comes with (rollrig.hex) is not installed beside it, so "
        "`rollrig flash` cannot update a rig",
        "reinstall rollrig, or build the firmware (scripts/test, with gcc-avr)");

  // [SECTION] Calibration
  if (rig) {
    const std::string serial = core::serialHex(rig->info->device_serial);
    if (!f.calibration_error.empty()) {
      add("calibration", CheckLevel::kProblem, f.calibration_error,
          "fix or delete the file, or calibrate again: rollrig calibrate --port " + rig->path +
              " --mass KG");
    } else if (!f.calibration) {
      add("calibration", CheckLevel::kWarning,
          "no calibration stored for device " + serial + ": forces are the nominal ones",
          "rollrig calibrate --port " + rig->path + " --mass KG (docs/CALIBRATION.md)");
    } else {
      const std::string& made = f.calibration->calibration.created;
      const std::optional<double> days = daysBetween(made, f.now_utc);
      const std::string kind = f.calibration->span ? "tare and span" : "tare only";
      const std::string when =
          days ? "made " + made.substr(0, 10) + " (" + std::to_string(static_cast<int>(*days)) +
                     " days ago)"
               : "made " + (made.empty() ? std::string("at an unknown time") : made);
      if (days && *days > kCalibrationStaleDays)
        add("calibration", CheckLevel::kWarning, f.calibration_path + ": " + kind + ", " + when,
            "calibrate again (load cells creep, plates get moved): rollrig calibrate --port " +
                rig->path + " --mass KG");
      else
        add("calibration", CheckLevel::kOk, f.calibration_path + ": " + kind + ", " + when);
    }
  }

  // [SECTION] The library
  if (f.library_needs_upgrade && f.library_writable) {
    add("library", CheckLevel::kWarning,
        f.library_path +
            " was made by an older rollrig; the next recording (or opening it in "
            "rollrig-gui) upgrades it, after which older rollrigs cannot read it",
        "nothing to do, unless an older rollrig must still read it: then keep a copy first");
  } else if (!f.library_error.empty()) {
    add("library", CheckLevel::kProblem, f.library_error);
  } else if (!f.library_exists) {
    if (f.library_writable)
      add("library", CheckLevel::kOk,
          "no library yet: the first recording makes " + f.library_path);
    else
      add("library", CheckLevel::kProblem,
          f.library_path + " cannot be made: its folder may not be written",
          "choose another library with --db PATH or ROLLRIG_DB");
  } else if (!f.library_writable) {
    add("library", CheckLevel::kProblem,
        f.library_path + " can be read but not written, so nothing can be recorded into it",
        "choose another library with --db PATH or ROLLRIG_DB, or ask its owner for write access");
  } else {
    add("library", CheckLevel::kOk,
        f.library_path + ": " +
            (f.library_sessions >= 0 ? std::to_string(f.library_sessions) + " sessions, "
                                     : std::string()) +
            megabytes(f.library_bytes));
  }

  // [SECTION] The window
  if (f.display.empty())
    add("display", CheckLevel::kWarning,
        "no display ($DISPLAY and $WAYLAND_DISPLAY are empty): rollrig-gui cannot open a window "
        "here; the command line works without one",
        "run it at the machine's own screen (or over ssh -X)");
  else
    add("display", CheckLevel::kOk, "display " + f.display);
  if (!f.gui_installed)
    add("display", CheckLevel::kWarning, "rollrig-gui is not installed beside rollrig",
        "reinstall rollrig (the .deb has it), or build it with the GUI packages (scripts/lib.sh)");
  return out;
}

bool allFine(const std::vector<DoctorCheck>& checks) {
  for (const DoctorCheck& c : checks)
    if (c.level == CheckLevel::kProblem) return false;
  return true;
}

}  // namespace rollrig::engine

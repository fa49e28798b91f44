// `rollrig doctor`: gathers what can be known about this machine and the rig (engine::DoctorFacts)
// and prints engine::diagnose()'s checks, each with its fix. Exit 0 when nothing is a problem.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/engine/doctor.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/serial_port.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/store/session_store.h"

namespace fs = std::filesystem;

namespace rollrig::cli {

void addDoctorCommand(CLI::App& app, DoctorOptions& opt) {
  auto* d = app.add_subcommand(
      "doctor",
      "Check this machine for the rig: ports, access, udev, firmware, calibration, "
      "library, display; each problem with its fix");
  d->add_option("--port", opt.port,
                "Check this port (default: /dev/rollrig, else Arduino-like "
                "USB ports)");
  d->add_option("--db", opt.db, "The session library (default: $ROLLRIG_DB, else the default)");
  d->add_flag("--no-probe", opt.no_probe,
              "Do not handshake with the rig (opening an Uno's port restarts it)");
  d->add_flag("--json", opt.json, "Print the checks as one JSON object");
  d->footer("Exit code 0 when nothing is a problem (warnings allowed), 1 otherwise.");
}

namespace {

std::string groupName(gid_t gid) {
  const group* g = getgrgid(gid);
  return g && g->gr_name ? g->gr_name : std::to_string(gid);
}

engine::PortProbe lookAt(const std::string& path, bool probe) {
  engine::PortProbe p;
  p.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    p.exists = false;
    return p;
  }
  p.group = groupName(st.st_gid);
  p.accessible = access(path.c_str(), R_OK | W_OK) == 0;
  std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)) + 1);
  groups.resize(
      static_cast<size_t>(std::max(getgroups(static_cast<int>(groups.size()), groups.data()), 0)));
  p.in_group_now =
      getegid() == st.st_gid || std::find(groups.begin(), groups.end(), st.st_gid) != groups.end();
  if (const passwd* pw = getpwuid(getuid())) {
    p.in_group_at_login = pw->pw_gid == st.st_gid;
    if (const group* g = getgrgid(st.st_gid))
      for (char** m = g->gr_mem; m && *m; ++m)
        p.in_group_at_login |= pw->pw_name == std::string(*m);
  }
  if (!p.accessible || !probe) return p;
  p.probed = true;
  auto stream = io::openPort(path, io::kDefaultBaud, &p.error);
  if (!stream) return p;
  io::Acquisition acq(std::move(stream));
  if (acq.start(&p.error)) {
    p.info = acq.info();
    acq.stop();
  }
  return p;
}

std::vector<std::string> udevRules() {
  std::vector<std::string> out;
  std::set<std::string> seen;  // /lib is often /usr/lib
  for (const char* dir : {"/etc/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.find("rollrig") == std::string::npos) continue;
      const std::string canon = fs::weakly_canonical(e.path(), ec).string();
      if (seen.insert(canon).second) out.push_back(e.path().string());
    }
  }
  return out;
}

const char* levelWord(engine::CheckLevel l) {
  switch (l) {
    case engine::CheckLevel::kOk:
      return "ok";
    case engine::CheckLevel::kWarning:
      return "warning";
    case engine::CheckLevel::kProblem:
      return "PROBLEM";
  }
  return "";
}

}  // namespace

int runDoctor(const DoctorOptions& opt) {
  engine::DoctorFacts f;
  io::IoError err;
  if (!io::listPorts(&f.ports, &err)) f.ports_error = err.message;
  std::vector<std::string> paths;
  if (!opt.port.empty()) {
    paths.push_back(opt.port);
    f.asked_for_port = true;
  } else {
    paths = rigPortCandidates(f.ports);
  }
  for (const std::string& p : paths) f.probes.push_back(lookAt(p, !opt.no_probe));
  f.udev_rules = udevRules();

  // The library, read-only: doctor never creates or changes it.
  f.library_path = opt.db.empty() ? store::defaultLibraryPath() : opt.db;
  std::error_code ec;
  f.library_exists = fs::exists(f.library_path, ec);
  fs::path dir = fs::path(f.library_path).parent_path();
  if (dir.empty()) dir = ".";
  if (f.library_exists) {
    f.library_bytes = fs::file_size(f.library_path, ec);
    f.library_writable =
        access(f.library_path.c_str(), W_OK) == 0 && access(dir.c_str(), W_OK) == 0;
    store::SessionStore st;
    store::OpenOptions ro;
    ro.mode = store::OpenMode::kReadOnly;
    std::vector<store::SessionListEntry> sessions;
    if (store::StoreError e = st.open(f.library_path, ro)) {
      f.library_error = e.message;
      // Read-only, an older library cannot be read until a writer upgrades it.
      f.library_needs_upgrade = e.kind == store::StoreErrorKind::kReadOnly;
    } else if (store::StoreError e2 = st.listSessions(&sessions)) {
      f.library_error = e2.message;
    } else {
      f.library_sessions = static_cast<int64_t>(sessions.size());
    }
  } else {
    // The nearest folder that exists must be writable for the first recording to make it.
    while (!dir.empty() && !fs::exists(dir, ec) && dir != dir.parent_path())
      dir = dir.parent_path();
    f.library_writable = access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
  }

  for (const engine::PortProbe& p : f.probes) {
    if (!p.info) continue;
    const io::CalibrationStore store;
    core::CalibrationRecord rec;
    io::IoError cal_err;
    f.calibration_path = store.pathFor(p.info->device_serial);
    if (store.load(p.info->device_serial, &rec, &cal_err))
      f.calibration = rec;
    else if (cal_err.kind != io::IoErrorKind::kNotFound)
      f.calibration_error = cal_err.message;
    break;
  }
  f.now_utc = io::isoUtcNow();
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  f.display = display && *display ? display : wayland && *wayland ? wayland : "";
  const fs::path own = fs::read_symlink("/proc/self/exe", ec).parent_path();
  f.gui_installed = !own.empty() && fs::exists(own / "rollrig-gui", ec);
  for (const std::string& c : bundledFirmwareCandidates())
    f.bundled_firmware_found = f.bundled_firmware_found || fs::exists(c, ec);

  const std::vector<engine::DoctorCheck> checks = engine::diagnose(f);
  const bool fine = engine::allFine(checks);
  size_t problems = 0, warnings = 0;
  for (const engine::DoctorCheck& c : checks) {
    problems += c.level == engine::CheckLevel::kProblem;
    warnings += c.level == engine::CheckLevel::kWarning;
  }
  if (opt.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const engine::DoctorCheck& c : checks)
      arr.push_back({{"area", c.area},
                     {"level", levelWord(c.level)},
                     {"finding", c.finding},
                     {"fix", c.fix}});
    std::cout << nlohmann::json{{"fine", fine}, {"checks", arr}}.dump(2) << "\n";
  } else {
    std::cout << "rollrig doctor: "
              << (fine ? "everything needed works"
                       : std::to_string(problems) + " problem" + (problems == 1 ? "" : "s"))
              << (warnings
                      ? ", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s")
                      : std::string())
              << "\n";
    for (const engine::DoctorCheck& c : checks) {
      std::printf("  %-8s %-12s %s\n", levelWord(c.level), c.area.c_str(), c.finding.c_str());
      if (!c.fix.empty()) std::printf("  %-8s %-12s fix: %s\n", "", "", c.fix.c_str());
    }
  }
  return fine ? kExitOk : kExitFailure;
}

}  // namespace rollrig::cli

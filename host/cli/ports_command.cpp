// `rollrig ports`: list serial ports with their USB identity, so a maker can find the rig.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/io/serial_port.h"

namespace rollrig::cli {

void addPortsCommand(CLI::App& app, bool& json) {
  auto* ports = app.add_subcommand("ports", "List serial ports (USB VID:PID, description)");
  ports->add_flag("--json", json, "Print a JSON array instead of a table");
}

int runPorts(bool json) {
  std::vector<io::PortInfo> ports;
  io::IoError err;
  if (!io::listPorts(&ports, &err)) {
    std::cerr << "rollrig ports: " << err.message << "\n";
    return exitCodeFor(err.kind);
  }
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : ports) {
      nlohmann::json j{{"path", p.path},           {"description", p.description},
                       {"transport", p.transport}, {"manufacturer", p.manufacturer},
                       {"product", p.product},     {"serial_number", p.serial_number}};
      if (p.usb_vid >= 0) {
        char vp[16];
        std::snprintf(vp, sizeof(vp), "%04x:%04x", p.usb_vid, p.usb_pid);
        j["usb_vid_pid"] = vp;
      } else {
        j["usb_vid_pid"] = nullptr;
      }
      arr.push_back(j);
    }
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  if (ports.empty()) {
    std::cout << "no serial ports found. Plug the rig in (USB), then run `rollrig ports` again; "
                 "without hardware, try `rollrig record --demo`.\n";
    return kExitOk;
  }
  std::printf("%-24s %-10s %-9s %s\n", "PORT", "VID:PID", "TRANSPORT", "DESCRIPTION");
  for (const auto& p : ports) {
    char vp[16] = "-";
    if (p.usb_vid >= 0) std::snprintf(vp, sizeof(vp), "%04x:%04x", p.usb_vid, p.usb_pid);
    std::string desc = p.description;
    if (!p.manufacturer.empty() && desc.find(p.manufacturer) == std::string::npos)
      desc += " (" + p.manufacturer + ")";
    std::printf("%-24s %-10s %-9s %s\n", p.path.c_str(), vp, p.transport.c_str(), desc.c_str());
  }
  return kExitOk;
}

}  // namespace rollrig::cli

// The firmware this rollrig bundles (its version is the firmware source's own, config.h, built
// into build/firmware/rollrig.hex and installed beside rollrig), and what to tell a user whose rig
// runs an older one. Pure: no port, no file.
#pragma once

#include <string>
#include <tuple>

#include "protocol/protocol.h"

namespace rollrig::engine {

struct FirmwareVersion {
  int major = 0, minor = 0, patch = 0;
  bool operator<(const FirmwareVersion& o) const {
    return std::tie(major, minor, patch) < std::tie(o.major, o.minor, o.patch);
  }
  bool operator==(const FirmwareVersion& o) const {
    return std::tie(major, minor, patch) == std::tie(o.major, o.minor, o.patch);
  }
};

// The version of the firmware built from this source tree (firmware/rollrig/src/config.h).
FirmwareVersion bundledFirmwareVersion();
FirmwareVersion firmwareVersionOf(const proto::InfoFrame& info);
std::string formatVersion(const FirmwareVersion& v);  // "0.1.0"

// "" when the device runs the bundled firmware or a newer one; else what to do, e.g. "the rig
// runs firmware 0.0.9, older than the 0.1.0 this rollrig comes with; update it with `rollrig
// flash` (hardware/README.md, \"Flashing\")".
std::string firmwareUpdateAdvice(const proto::InfoFrame& info);

}  // namespace rollrig::engine

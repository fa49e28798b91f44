#include "rollrig/engine/firmware_version.h"

#include "config.h"  // firmware/rollrig/src: the firmware's own version constants

namespace rollrig::engine {

FirmwareVersion bundledFirmwareVersion() {
  return {config::kFirmwareMajor, config::kFirmwareMinor, config::kFirmwarePatch};
}

FirmwareVersion firmwareVersionOf(const proto::InfoFrame& info) {
  return {info.fw_major, info.fw_minor, info.fw_patch};
}

std::string formatVersion(const FirmwareVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

std::string firmwareUpdateAdvice(const proto::InfoFrame& info) {
  const FirmwareVersion have = firmwareVersionOf(info), bundled = bundledFirmwareVersion();
  if (!(have < bundled)) return "";
  return "the rig runs firmware " + formatVersion(have) + ", older than the " +
         formatVersion(bundled) + " this rollrig comes with; update it with `rollrig flash`";
}

}  // namespace rollrig::engine

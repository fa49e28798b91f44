// Calibrations on disk: one JSON file per device serial in a directory, plus the same JSON for any
// file (`rollrig calibrate --out`, `rollrig record --calibration`). Format: docs/CALIBRATION.md.
//
// The directory is, in order: $ROLLRIG_CONFIG_DIR/calibrations (tests, scripts),
// $XDG_CONFIG_HOME/rollrig/calibrations, ~/.config/rollrig/calibrations. A device's file is
// device-<SERIAL>.json with the serial as 8 upper-case hex digits, e.g. device-0000D3E0.json.
//
// Errors are values (IoError): kNotFound when there is no file, kPermission, kMalformed with the
// file's path and what is wrong (for bad JSON, nlohmann's message with line and column), kSystem
// for anything else the OS reported. Writes are atomic (a temporary file renamed over the old
// one), so a crash never leaves half a calibration. Not thread-safe; files are small.
#pragma once

#include <cstdint>
#include <string>

#include "rollrig/core/calibration.h"
#include "rollrig/core/calibration_json.h"
#include "rollrig/io/io_error.h"

namespace rollrig::io {

// The default directory, from the environment (see above).
std::string defaultCalibrationDir();

// The calibration file holds core::calibrationToJson's text (core/calibration_json.h); these read
// and write it. `path` names the file in messages.
bool readCalibrationFile(const std::string& path, core::CalibrationRecord* out, IoError* err);
bool writeCalibrationFile(const std::string& path, const core::CalibrationRecord& record,
                          IoError* err);

class CalibrationStore {
 public:
  explicit CalibrationStore(std::string dir = defaultCalibrationDir()) : m_dir(std::move(dir)) {}

  const std::string& dir() const { return m_dir; }
  std::string pathFor(uint32_t device_serial) const;

  // The device's calibration. kNotFound (a normal case: not calibrated yet) when there is none.
  bool load(uint32_t device_serial, core::CalibrationRecord* out, IoError* err) const;

  // Saves under record.calibration.device_serial, creating the directory if needed, replacing
  // the device's previous calibration. *path_out (optional) receives the file's path.
  bool save(const core::CalibrationRecord& record, IoError* err,
            std::string* path_out = nullptr) const;

 private:
  std::string m_dir;
};

}  // namespace rollrig::io

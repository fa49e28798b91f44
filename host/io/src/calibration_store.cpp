#include "rollrig/io/calibration_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rollrig::io {

namespace {

namespace fs = std::filesystem;

IoError fileError(int e, const std::string& what) {
  const std::string text = what + ": " + std::strerror(e);
  switch (e) {
    case ENOENT:
    case ENOTDIR:
      return makeError(IoErrorKind::kNotFound, text, e);
    case EACCES:
    case EPERM:
    case EROFS:
      return makeError(IoErrorKind::kPermission, text, e);
    default:
      return makeError(IoErrorKind::kSystem, text, e);
  }
}

}  // namespace

std::string defaultCalibrationDir() {
  const char* own = std::getenv("ROLLRIG_CONFIG_DIR");
  if (own && *own) return std::string(own) + "/calibrations";
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/rollrig/calibrations";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.config/rollrig/calibrations";
  return ".rollrig/calibrations";
}

bool readCalibrationFile(const std::string& path, core::CalibrationRecord* out, IoError* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = fileError(errno, "cannot read the calibration " + path);
    if (err->kind == IoErrorKind::kNotFound) err->message = "there is no calibration file " + path;
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string why;
  if (!core::calibrationFromJson(text.str(), path, out, &why)) {
    *err = makeError(IoErrorKind::kMalformed,
                     why +
                         " — fix or delete the file, or calibrate again with `rollrig "
                         "calibrate`");
    return false;
  }
  return true;
}

bool writeCalibrationFile(const std::string& path, const core::CalibrationRecord& record,
                          IoError* err) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *err = fileError(errno, "cannot write the calibration " + path);
      return false;
    }
    out << core::calibrationToJson(record);
    out.flush();
    if (!out) {
      const int e = errno;
      std::remove(tmp.c_str());
      *err = fileError(e, "writing the calibration " + path + " failed");
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    *err = fileError(e, "cannot replace the calibration " + path);
    return false;
  }
  return true;
}

std::string CalibrationStore::pathFor(uint32_t device_serial) const {
  return m_dir + "/device-" + core::serialHex(device_serial) + ".json";
}

bool CalibrationStore::load(uint32_t device_serial, core::CalibrationRecord* out,
                            IoError* err) const {
  const std::string path = pathFor(device_serial);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    *err = makeError(IoErrorKind::kNotFound, "no calibration for device " +
                                                 core::serialHex(device_serial) + " in " + m_dir +
                                                 " — run `rollrig calibrate`");
    return false;
  }
  return readCalibrationFile(path, out, err);
}

bool CalibrationStore::save(const core::CalibrationRecord& record, IoError* err,
                            std::string* path_out) const {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec) {
    *err = fileError(ec.value(), "cannot create the calibration directory " + m_dir);
    return false;
  }
  const std::string path = pathFor(record.calibration.device_serial);
  if (path_out) *path_out = path;
  return writeCalibrationFile(path, record, err);
}

}  // namespace rollrig::io

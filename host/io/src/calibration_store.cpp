#include "rollrig/io/calibration_store.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rollrig::io {

namespace {

using json = nlohmann::ordered_json;  // keeps the documented key order
namespace fs = std::filesystem;

constexpr char kFormatName[] = "rollrig calibration";

// JSON has no infinity; an unbounded condition number is written as null.
json number(double v) {
  return std::isfinite(v) ? json(v) : json();
}

template <size_t N>
json numbers(const std::array<double, N>& a) {
  json out = json::array();
  for (double v : a) out.push_back(number(v));
  return out;
}

// A failed read of a field: thrown inside calibrationFromJson only, turned into *why there.
struct FieldError {
  std::string message;
};

const json& need(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw FieldError{"missing \"" + std::string(key) + "\"" +
                     (where.empty() ? "" : " in " + where)};
  return j.at(key);
}

double getNumber(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_number())
    throw FieldError{"\"" + std::string(key) + "\"" + (where.empty() ? "" : " in " + where) +
                     " is not a number"};
  return v.get<double>();
}

double getNumberOr(const json& j, const char* key, double fallback) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return fallback;
  return j.at(key).get<double>();
}

std::string getStringOr(const json& j, const char* key, const std::string& fallback) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) return fallback;
  return j.at(key).get<std::string>();
}

template <size_t N>
std::array<double, N> getNumbers(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_array() || v.size() != N)
    throw FieldError{"\"" + std::string(key) + "\" in " + where + " must be an array of " +
                     std::to_string(N) + " numbers"};
  std::array<double, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = v[i].is_number() ? v[i].get<double>() : 0.0;
  return out;
}

json geometryJson(const core::PlateGeometry& g) {
  json cells = json::array();
  for (const core::CellPosition& c : g.cells) cells.push_back({{"x_mm", c.x_mm}, {"y_mm", c.y_mm}});
  return {{"width_mm", g.width_mm}, {"length_mm", g.length_mm}, {"cells", cells}};
}

core::PlateGeometry geometryFrom(const json& j) {
  core::PlateGeometry g;
  g.width_mm = getNumberOr(j, "width_mm", g.width_mm);
  g.length_mm = getNumberOr(j, "length_mm", g.length_mm);
  const json& cells = need(j, "cells", "geometry");
  if (!cells.is_array() || cells.size() != static_cast<size_t>(core::kCellCount))
    throw FieldError{"geometry.cells must list " + std::to_string(core::kCellCount) + " cells"};
  for (int i = 0; i < core::kCellCount; ++i) {
    const std::string where = "geometry.cells[" + std::to_string(i) + "]";
    g.cells[i].x_mm = getNumber(cells[i], "x_mm", where);
    g.cells[i].y_mm = getNumber(cells[i], "y_mm", where);
  }
  return g;
}

json reportJson(const core::SpanReport& r) {
  json places = json::array();
  for (const core::PlacementResidual& p : r.placements) {
    places.push_back({{"x_mm", p.x_mm},
                      {"y_mm", p.y_mm},
                      {"force_N", p.force_n},
                      {"force_error_N", p.force_error_n},
                      {"force_error_pct", p.force_error_pct},
                      {"cop_x_mm", p.cop_x_mm},
                      {"cop_y_mm", p.cop_y_mm},
                      {"cop_error_mm", p.cop_error_mm}});
  }
  return {{"placements", places},
          {"rms_force_error_pct", r.rms_force_error_pct},
          {"max_force_error_pct", r.max_force_error_pct},
          {"rms_cop_error_mm", r.rms_cop_error_mm},
          {"max_cop_error_mm", r.max_cop_error_mm},
          {"singular_values", numbers(r.singular_values)},
          {"condition_number", number(r.condition_number)},
          {"max_condition", r.max_condition},
          {"rank", r.rank},
          {"spread_mm", r.spread_mm},
          {"min_spread_mm", r.min_spread_mm}};
}

// The report is a record of what was seen; read leniently (missing numbers read as 0).
core::SpanReport reportFrom(const json& j) {
  core::SpanReport r;
  if (!j.is_object()) return r;
  if (j.contains("placements") && j.at("placements").is_array()) {
    for (const json& p : j.at("placements")) {
      core::PlacementResidual q;
      q.x_mm = getNumberOr(p, "x_mm", 0);
      q.y_mm = getNumberOr(p, "y_mm", 0);
      q.force_n = getNumberOr(p, "force_N", 0);
      q.force_error_n = getNumberOr(p, "force_error_N", 0);
      q.force_error_pct = getNumberOr(p, "force_error_pct", 0);
      q.cop_x_mm = getNumberOr(p, "cop_x_mm", 0);
      q.cop_y_mm = getNumberOr(p, "cop_y_mm", 0);
      q.cop_error_mm = getNumberOr(p, "cop_error_mm", 0);
      r.placements.push_back(q);
    }
  }
  r.rms_force_error_pct = getNumberOr(j, "rms_force_error_pct", 0);
  r.max_force_error_pct = getNumberOr(j, "max_force_error_pct", 0);
  r.rms_cop_error_mm = getNumberOr(j, "rms_cop_error_mm", 0);
  r.max_cop_error_mm = getNumberOr(j, "max_cop_error_mm", 0);
  if (j.contains("singular_values") && j.at("singular_values").is_array()) {
    const json& sv = j.at("singular_values");
    for (size_t i = 0; i < sv.size() && i < r.singular_values.size(); ++i)
      r.singular_values[i] = sv[i].is_number() ? sv[i].get<double>() : 0.0;
  }
  r.condition_number = getNumberOr(j, "condition_number", std::numeric_limits<double>::infinity());
  r.max_condition = getNumberOr(j, "max_condition", 0);
  r.rank = static_cast<int>(getNumberOr(j, "rank", 0));
  r.spread_mm = getNumberOr(j, "spread_mm", 0);
  r.min_spread_mm = getNumberOr(j, "min_spread_mm", 0);
  return r;
}

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

std::string serialHex(uint32_t device_serial) {
  char b[16];
  std::snprintf(b, sizeof(b), "%08X", device_serial);
  return b;
}

std::string calibrationToJson(const core::CalibrationRecord& rec) {
  const core::Calibration& c = rec.calibration;
  json cells = json::array();
  for (const core::CellCalibration& cell : c.cells) {
    cells.push_back({{"offset_counts", cell.offset_counts},
                     {"n_per_count", cell.n_per_count},
                     {"counts_per_N", number(1.0 / cell.n_per_count)}});
  }
  json j;
  j["format"] = kFormatName;
  j["version"] = kCalibrationFormatVersion;
  j["device_serial"] = serialHex(c.device_serial);
  j["created"] = c.created;
  j["source"] = c.source;
  j["geometry"] = geometryJson(rec.geometry);
  j["cells"] = cells;
  if (rec.tare) {
    j["tare"] = {{"samples", rec.tare->samples},
                 {"duration_s", rec.tare->duration_s},
                 {"sd_counts", numbers(rec.tare->sd_counts)}};
  } else {
    j["tare"] = nullptr;
  }
  if (rec.span) {
    json places = json::array();
    for (const core::SpanPlacement& p : rec.span->placements) {
      places.push_back({{"x_mm", p.x_mm},
                        {"y_mm", p.y_mm},
                        {"samples", p.samples},
                        {"mean_counts", numbers(p.mean_counts)}});
    }
    j["span"] = {{"mass_kg", rec.span->mass_kg},
                 {"gravity_mps2", rec.span->gravity_mps2},
                 {"weight_N", rec.span->mass_kg * rec.span->gravity_mps2},
                 {"placements", places},
                 {"report", reportJson(rec.span->report)}};
  } else {
    j["span"] = nullptr;
  }
  return j.dump(2) + "\n";
}

bool calibrationFromJson(const std::string& text, const std::string& what,
                         core::CalibrationRecord* out, std::string* why) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    *why = what + " is not valid JSON: " + e.what();
    return false;
  }
  try {
    if (!j.is_object() || getStringOr(j, "format", "") != kFormatName)
      throw FieldError{"not a rollrig calibration (no \"format\": \"" + std::string(kFormatName) +
                       "\")"};
    const double version = getNumber(j, "version", "");
    if (version > kCalibrationFormatVersion) {
      throw FieldError{"written by a newer rollrig (format version " +
                       std::to_string(static_cast<int>(version)) + "; this one reads up to " +
                       std::to_string(kCalibrationFormatVersion) + ") — update rollrig"};
    }
    core::CalibrationRecord rec;
    const std::string serial = getStringOr(j, "device_serial", "00000000");
    char* end = nullptr;
    const unsigned long v = std::strtoul(serial.c_str(), &end, 16);
    if (serial.empty() || *end != '\0' || v > 0xFFFFFFFFul)
      throw FieldError{"device_serial \"" + serial + "\" is not 8 hex digits"};
    rec.calibration.device_serial = static_cast<uint32_t>(v);
    rec.calibration.created = getStringOr(j, "created", "");
    rec.calibration.source = getStringOr(j, "source", "unnamed calibration");
    if (j.contains("geometry")) rec.geometry = geometryFrom(j.at("geometry"));
    const json& cells = need(j, "cells", "");
    if (!cells.is_array() || cells.size() != static_cast<size_t>(core::kCellCount))
      throw FieldError{"\"cells\" must list " + std::to_string(core::kCellCount) + " cells"};
    for (int i = 0; i < core::kCellCount; ++i) {
      const std::string where = "cells[" + std::to_string(i) + "]";
      rec.calibration.cells[i].offset_counts = getNumber(cells[i], "offset_counts", where);
      const double g = getNumber(cells[i], "n_per_count", where);
      if (!(g > 0) || !std::isfinite(g))
        throw FieldError{where + ".n_per_count must be a positive number"};
      rec.calibration.cells[i].n_per_count = g;
    }
    if (j.contains("tare") && j.at("tare").is_object()) {
      const json& t = j.at("tare");
      core::TareRecord tr;
      tr.samples = static_cast<size_t>(getNumberOr(t, "samples", 0));
      tr.duration_s = getNumberOr(t, "duration_s", 0);
      if (t.contains("sd_counts"))
        tr.sd_counts = getNumbers<core::kCellCount>(t, "sd_counts", "tare");
      rec.tare = tr;
    }
    if (j.contains("span") && j.at("span").is_object()) {
      const json& s = j.at("span");
      core::SpanRecord sr;
      sr.mass_kg = getNumber(s, "mass_kg", "span");
      sr.gravity_mps2 = getNumberOr(s, "gravity_mps2", core::kStandardGravity_mps2);
      if (s.contains("placements") && s.at("placements").is_array()) {
        size_t k = 0;
        for (const json& p : s.at("placements")) {
          const std::string where = "span.placements[" + std::to_string(k++) + "]";
          core::SpanPlacement sp;
          sp.x_mm = getNumber(p, "x_mm", where);
          sp.y_mm = getNumber(p, "y_mm", where);
          sp.samples = static_cast<size_t>(getNumberOr(p, "samples", 0));
          sp.mean_counts = getNumbers<core::kCellCount>(p, "mean_counts", where);
          sr.placements.push_back(sp);
        }
      }
      if (s.contains("report")) sr.report = reportFrom(s.at("report"));
      sr.report.mass_kg = sr.mass_kg;
      sr.report.weight_n = sr.mass_kg * sr.gravity_mps2;
      rec.span = std::move(sr);
    }
    *out = std::move(rec);
    return true;
  } catch (const FieldError& e) {
    *why = what + ": " + e.message;
  } catch (const json::exception& e) {
    *why = what + ": " + e.what();
  }
  return false;
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
  if (!calibrationFromJson(text.str(), path, out, &why)) {
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
    out << calibrationToJson(record);
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
  return m_dir + "/device-" + serialHex(device_serial) + ".json";
}

bool CalibrationStore::load(uint32_t device_serial, core::CalibrationRecord* out,
                            IoError* err) const {
  const std::string path = pathFor(device_serial);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    *err =
        makeError(IoErrorKind::kNotFound, "no calibration for device " + serialHex(device_serial) +
                                              " in " + m_dir + " — run `rollrig calibrate`");
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

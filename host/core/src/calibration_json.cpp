// The calibration format's one writer and reader (calibration_json.h, docs/CALIBRATION.md).
#include "rollrig/core/calibration_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

namespace rollrig::core {

namespace {

using json = nlohmann::ordered_json;  // keeps the documented key order

// The largest count a file may give: every whole number up to 2^53 is exact in a double.
constexpr double kMaxCount = 9007199254740992.0;

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

// A count (samples, a rank): a whole number from 0 to `max` when present, else 0. Converting any
// other number to an integer would be undefined (found by fuzzing: "samples": -240).
size_t getCountOr(const json& j, const char* key, const std::string& where, double max) {
  const double v = getNumberOr(j, key, 0);
  if (!(v >= 0 && v <= max && v == std::floor(v)))
    throw FieldError{"\"" + std::string(key) + "\"" + (where.empty() ? "" : " in " + where) +
                     " must be a whole number from 0 to " + json(max).dump() + " (is " +
                     j.at(key).dump() + ")"};
  return static_cast<size_t>(v);
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

json geometryJson(const PlateGeometry& g) {
  json cells = json::array();
  for (const CellPosition& c : g.cells) cells.push_back({{"x_mm", c.x_mm}, {"y_mm", c.y_mm}});
  return {{"width_mm", g.width_mm}, {"length_mm", g.length_mm}, {"cells", cells}};
}

PlateGeometry geometryFrom(const json& j) {
  PlateGeometry g;
  g.width_mm = getNumberOr(j, "width_mm", g.width_mm);
  g.length_mm = getNumberOr(j, "length_mm", g.length_mm);
  const json& cells = need(j, "cells", "geometry");
  if (!cells.is_array() || cells.size() != static_cast<size_t>(kCellCount))
    throw FieldError{"geometry.cells must list " + std::to_string(kCellCount) + " cells"};
  for (int i = 0; i < kCellCount; ++i) {
    const std::string where = "geometry.cells[" + std::to_string(i) + "]";
    g.cells[i].x_mm = getNumber(cells[i], "x_mm", where);
    g.cells[i].y_mm = getNumber(cells[i], "y_mm", where);
  }
  return g;
}

json reportJson(const SpanReport& r) {
  json places = json::array();
  for (const PlacementResidual& p : r.placements) {
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
SpanReport reportFrom(const json& j) {
  SpanReport r;
  if (!j.is_object()) return r;
  if (j.contains("placements") && j.at("placements").is_array()) {
    for (const json& p : j.at("placements")) {
      PlacementResidual q;
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
  r.rank = static_cast<int>(getCountOr(j, "rank", "span.report", 1000));
  r.spread_mm = getNumberOr(j, "spread_mm", 0);
  r.min_spread_mm = getNumberOr(j, "min_spread_mm", 0);
  return r;
}

// "0000D3E0". Session-library rows written before the format had one home hold the serial as a
// number; they read too.
uint32_t serialFrom(const json& j) {
  if (j.contains("device_serial") && j.at("device_serial").is_number_unsigned()) {
    const uint64_t v = j.at("device_serial").get<uint64_t>();
    if (v > 0xFFFFFFFFu) throw FieldError{"device_serial " + std::to_string(v) + " is too large"};
    return static_cast<uint32_t>(v);
  }
  const std::string serial = getStringOr(j, "device_serial", "00000000");
  char* end = nullptr;
  const unsigned long v = std::strtoul(serial.c_str(), &end, 16);
  if (serial.empty() || *end != '\0' || v > 0xFFFFFFFFul)
    throw FieldError{"device_serial \"" + serial + "\" is not 8 hex digits"};
  return static_cast<uint32_t>(v);
}

}  // namespace

std::string serialHex(uint32_t device_serial) {
  char b[16];
  std::snprintf(b, sizeof(b), "%08X", device_serial);
  return b;
}

std::string calibrationToJson(const CalibrationRecord& rec) {
  const Calibration& c = rec.calibration;
  json cells = json::array();
  for (const CellCalibration& cell : c.cells) {
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
    for (const SpanPlacement& p : rec.span->placements) {
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

std::string spanReportToJson(const SpanReport& report) {
  return reportJson(report).dump();
}

bool calibrationFromJson(const std::string& text, const std::string& what, CalibrationRecord* out,
                         std::string* why) {
  try {
    const json j = json::parse(text);
    if (!j.is_object() || getStringOr(j, "format", "") != kFormatName)
      throw FieldError{"not a rollrig calibration (no \"format\": \"" + std::string(kFormatName) +
                       "\")"};
    const double version = getNumber(j, "version", "");
    if (version > kCalibrationFormatVersion) {
      throw FieldError{"written by a newer rollrig (format version " + j.at("version").dump() +
                       "; this one reads up to " + std::to_string(kCalibrationFormatVersion) +
                       ") — update rollrig"};
    }
    CalibrationRecord rec;
    rec.calibration.device_serial = serialFrom(j);
    rec.calibration.created = getStringOr(j, "created", "");
    rec.calibration.source = getStringOr(j, "source", "unnamed calibration");
    if (j.contains("geometry")) rec.geometry = geometryFrom(j.at("geometry"));
    const json& cells = need(j, "cells", "");
    if (!cells.is_array() || cells.size() != static_cast<size_t>(kCellCount))
      throw FieldError{"\"cells\" must list " + std::to_string(kCellCount) + " cells"};
    for (int i = 0; i < kCellCount; ++i) {
      const std::string where = "cells[" + std::to_string(i) + "]";
      rec.calibration.cells[i].offset_counts = getNumber(cells[i], "offset_counts", where);
      const double g = getNumber(cells[i], "n_per_count", where);
      if (!(g > 0) || !std::isfinite(g))
        throw FieldError{where + ".n_per_count must be a positive number"};
      rec.calibration.cells[i].n_per_count = g;
    }
    if (j.contains("tare") && j.at("tare").is_object()) {
      const json& t = j.at("tare");
      TareRecord tr;
      tr.samples = getCountOr(t, "samples", "tare", kMaxCount);
      tr.duration_s = getNumberOr(t, "duration_s", 0);
      if (t.contains("sd_counts")) tr.sd_counts = getNumbers<kCellCount>(t, "sd_counts", "tare");
      rec.tare = tr;
    }
    if (j.contains("span") && j.at("span").is_object()) {
      const json& s = j.at("span");
      SpanRecord sr;
      sr.mass_kg = getNumber(s, "mass_kg", "span");
      sr.gravity_mps2 = getNumberOr(s, "gravity_mps2", kStandardGravity_mps2);
      if (s.contains("placements") && s.at("placements").is_array()) {
        size_t k = 0;
        for (const json& p : s.at("placements")) {
          const std::string where = "span.placements[" + std::to_string(k++) + "]";
          SpanPlacement sp;
          sp.x_mm = getNumber(p, "x_mm", where);
          sp.y_mm = getNumber(p, "y_mm", where);
          sp.samples = getCountOr(p, "samples", where, kMaxCount);
          sp.mean_counts = getNumbers<kCellCount>(p, "mean_counts", where);
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
  } catch (const json::parse_error& e) {
    *why = what + " is not valid JSON: " + e.what();
  } catch (const FieldError& e) {
    *why = what + ": " + e.message;
  } catch (const json::exception& e) {
    *why = what + ": " + e.what();
  }
  return false;
}

}  // namespace rollrig::core

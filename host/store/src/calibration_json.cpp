#include "calibration_json.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace rollrig::store::detail {

namespace {

using json = nlohmann::ordered_json;

// JSON has no infinity (an unbounded condition number): written as null, read back as infinity.
json number(double v) {
  return std::isfinite(v) ? json(v) : json();
}

double num(const json& j, const char* key, double fallback = 0) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const json& v = j.at(key);
  return v.is_number() ? v.get<double>() : fallback;
}

template <size_t N>
json numbers(const std::array<double, N>& a) {
  json out = json::array();
  for (double v : a) out.push_back(number(v));
  return out;
}

template <size_t N>
std::array<double, N> numbersFrom(const json& j, const char* key) {
  std::array<double, N> out{};
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_array()) return out;
  const json& a = j.at(key);
  for (size_t i = 0; i < N && i < a.size(); ++i) out[i] = a[i].is_number() ? a[i].get<double>() : 0;
  return out;
}

}  // namespace

std::string calibrationRecordJson(const core::CalibrationRecord& rec) {
  const core::Calibration& c = rec.calibration;
  json j;
  j["format"] = "rollrig calibration";
  j["version"] = 1;
  j["device_serial"] = c.device_serial;
  j["created"] = c.created;
  j["source"] = c.source;
  json cells = json::array();
  for (const core::CellPosition& p : rec.geometry.cells)
    cells.push_back({{"x_mm", p.x_mm}, {"y_mm", p.y_mm}});
  j["geometry"] = {
      {"width_mm", rec.geometry.width_mm}, {"length_mm", rec.geometry.length_mm}, {"cells", cells}};
  json cal = json::array();
  for (const core::CellCalibration& cell : c.cells)
    cal.push_back({{"offset_counts", cell.offset_counts}, {"n_per_count", cell.n_per_count}});
  j["cells"] = cal;
  if (rec.tare) {
    j["tare"] = {{"samples", rec.tare->samples},
                 {"duration_s", rec.tare->duration_s},
                 {"sd_counts", numbers(rec.tare->sd_counts)}};
  } else {
    j["tare"] = nullptr;
  }
  if (rec.span) {
    const core::SpanRecord& s = *rec.span;
    json places = json::array();
    for (const core::SpanPlacement& p : s.placements) {
      places.push_back({{"x_mm", p.x_mm},
                        {"y_mm", p.y_mm},
                        {"samples", p.samples},
                        {"mean_counts", numbers(p.mean_counts)}});
    }
    const core::SpanReport& r = s.report;
    json residuals = json::array();
    for (const core::PlacementResidual& p : r.placements) {
      residuals.push_back({{"x_mm", p.x_mm},
                           {"y_mm", p.y_mm},
                           {"force_N", p.force_n},
                           {"force_error_N", p.force_error_n},
                           {"force_error_pct", p.force_error_pct},
                           {"cop_x_mm", p.cop_x_mm},
                           {"cop_y_mm", p.cop_y_mm},
                           {"cop_error_mm", p.cop_error_mm}});
    }
    j["span"] = {{"mass_kg", s.mass_kg},
                 {"gravity_mps2", s.gravity_mps2},
                 {"placements", places},
                 {"report",
                  {{"mass_kg", r.mass_kg},
                   {"weight_N", r.weight_n},
                   {"placements", residuals},
                   {"rms_force_error_pct", r.rms_force_error_pct},
                   {"max_force_error_pct", r.max_force_error_pct},
                   {"rms_cop_error_mm", r.rms_cop_error_mm},
                   {"max_cop_error_mm", r.max_cop_error_mm},
                   {"singular_values", numbers(r.singular_values)},
                   {"condition_number", number(r.condition_number)},
                   {"rank", r.rank},
                   {"max_condition", r.max_condition},
                   {"spread_mm", r.spread_mm},
                   {"min_spread_mm", r.min_spread_mm}}}};
  } else {
    j["span"] = nullptr;
  }
  return j.dump();
}

bool calibrationRecordFromJson(const std::string& text, core::CalibrationRecord* out,
                               std::string* why) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "the stored calibration is not a JSON object";
    return false;
  }
  try {
    core::CalibrationRecord rec;
    core::Calibration& c = rec.calibration;
    c.device_serial = static_cast<uint32_t>(num(j, "device_serial"));
    if (j.contains("created") && j["created"].is_string()) c.created = j["created"];
    if (j.contains("source") && j["source"].is_string()) c.source = j["source"];
    if (j.contains("geometry") && j["geometry"].is_object()) {
      const json& g = j["geometry"];
      rec.geometry.width_mm = num(g, "width_mm", rec.geometry.width_mm);
      rec.geometry.length_mm = num(g, "length_mm", rec.geometry.length_mm);
      if (g.contains("cells") && g["cells"].is_array() && g["cells"].size() == core::kCellCount) {
        for (int i = 0; i < core::kCellCount; ++i) {
          rec.geometry.cells[i].x_mm = num(g["cells"][i], "x_mm");
          rec.geometry.cells[i].y_mm = num(g["cells"][i], "y_mm");
        }
      }
    }
    if (!j.contains("cells") || !j["cells"].is_array() || j["cells"].size() != core::kCellCount) {
      if (why) *why = "the stored calibration has no per-cell offsets and gains";
      return false;
    }
    for (int i = 0; i < core::kCellCount; ++i) {
      c.cells[i].offset_counts = num(j["cells"][i], "offset_counts");
      c.cells[i].n_per_count = num(j["cells"][i], "n_per_count", c.cells[i].n_per_count);
    }
    if (j.contains("tare") && j["tare"].is_object()) {
      const json& t = j["tare"];
      core::TareRecord tr;
      tr.samples = static_cast<size_t>(num(t, "samples"));
      tr.duration_s = num(t, "duration_s");
      tr.sd_counts = numbersFrom<core::kCellCount>(t, "sd_counts");
      rec.tare = tr;
    }
    if (j.contains("span") && j["span"].is_object()) {
      const json& s = j["span"];
      core::SpanRecord sr;
      sr.mass_kg = num(s, "mass_kg");
      sr.gravity_mps2 = num(s, "gravity_mps2", sr.gravity_mps2);
      if (s.contains("placements") && s["placements"].is_array()) {
        for (const json& p : s["placements"]) {
          core::SpanPlacement q;
          q.x_mm = num(p, "x_mm");
          q.y_mm = num(p, "y_mm");
          q.samples = static_cast<size_t>(num(p, "samples"));
          q.mean_counts = numbersFrom<core::kCellCount>(p, "mean_counts");
          sr.placements.push_back(q);
        }
      }
      if (s.contains("report") && s["report"].is_object()) {
        const json& r = s["report"];
        core::SpanReport& rep = sr.report;
        rep.mass_kg = num(r, "mass_kg");
        rep.weight_n = num(r, "weight_N");
        if (r.contains("placements") && r["placements"].is_array()) {
          for (const json& p : r["placements"]) {
            core::PlacementResidual q;
            q.x_mm = num(p, "x_mm");
            q.y_mm = num(p, "y_mm");
            q.force_n = num(p, "force_N");
            q.force_error_n = num(p, "force_error_N");
            q.force_error_pct = num(p, "force_error_pct");
            q.cop_x_mm = num(p, "cop_x_mm");
            q.cop_y_mm = num(p, "cop_y_mm");
            q.cop_error_mm = num(p, "cop_error_mm");
            rep.placements.push_back(q);
          }
        }
        rep.rms_force_error_pct = num(r, "rms_force_error_pct");
        rep.max_force_error_pct = num(r, "max_force_error_pct");
        rep.rms_cop_error_mm = num(r, "rms_cop_error_mm");
        rep.max_cop_error_mm = num(r, "max_cop_error_mm");
        rep.singular_values = numbersFrom<core::kCellCount>(r, "singular_values");
        rep.condition_number = num(r, "condition_number", std::numeric_limits<double>::infinity());
        rep.rank = static_cast<int>(num(r, "rank"));
        rep.max_condition = num(r, "max_condition");
        rep.spread_mm = num(r, "spread_mm");
        rep.min_spread_mm = num(r, "min_spread_mm");
      }
      rec.span = sr;
    }
    *out = std::move(rec);
    return true;
  } catch (const json::exception& e) {
    if (why) *why = std::string("the stored calibration is malformed: ") + e.what();
    return false;
  }
}

}  // namespace rollrig::store::detail

#include "settings.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rollrig::gui {

namespace {
constexpr double kGravity_mps2 = 9.80665;
constexpr double kMinMass_kg = 20.0, kMaxMass_kg = 300.0;
}  // namespace

std::string defaultSettingsPath() {
  std::string dir;
  const char* own = std::getenv("ROLLRIG_CONFIG_DIR");
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (own && *own)
    dir = own;
  else if (xdg && *xdg == '/')
    dir = std::string(xdg) + "/rollrig";
  else if (home && *home)
    dir = std::string(home) + "/.config/rollrig";
  else
    return "";
  return dir + "/gui.json";
}

SettingsLoad loadSettings(const std::string& path) {
  SettingsLoad out;
  if (path.empty()) return out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) {
      out.found = true;
      out.error = "cannot read the settings " + path + " (" + std::strerror(errno) +
                  "); using the defaults";
    }
    return out;
  }
  out.found = true;
  std::stringstream text;
  text << in.rdbuf();
  const auto bad = [&](const std::string& why) {
    out.settings = GuiSettings{};
    out.error = "the settings " + path + " are not valid (" + why +
                "); using the defaults — the file is kept until you change a setting";
    return out;
  };
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  GuiSettings& s = out.settings;
  if (j.contains("body_mass_kg")) {
    if (!j["body_mass_kg"].is_number()) return bad("body_mass_kg is not a number");
    s.body_mass_kg = j["body_mass_kg"].get<double>();
    if (!(s.body_mass_kg >= kMinMass_kg && s.body_mass_kg <= kMaxMass_kg))
      return bad("body_mass_kg is not between 20 and 300");
  }
  if (j.contains("force_unit")) {
    const nlohmann::json& u = j["force_unit"];
    if (u == "N")
      s.force_unit = ForceUnit::kNewton;
    else if (u == "%BW")
      s.force_unit = ForceUnit::kBodyWeight;
    else
      return bad("force_unit is neither \"N\" nor \"%BW\"");
  }
  if (j.contains("plot_cells")) {
    if (!j["plot_cells"].is_boolean()) return bad("plot_cells is neither true nor false");
    s.plot_cells = j["plot_cells"].get<bool>();
  }
  for (const auto& [key, field] :
       {std::pair{"window_w_px", &s.window_w_px}, std::pair{"window_h_px", &s.window_h_px}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_number_integer() || j[key].get<int>() < 200 || j[key].get<int>() > 16384)
      return bad(std::string(key) + " is not a whole number of pixels from 200 to 16384");
    *field = j[key].get<int>();
  }
  return out;
}

std::string saveSettings(const std::string& path, const GuiSettings& s) {
  if (path.empty()) return "no config directory (set HOME or ROLLRIG_CONFIG_DIR)";
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return "cannot create " + p.parent_path().string() + ": " + ec.message();
  const nlohmann::json j = {
      {"body_mass_kg", s.body_mass_kg},
      {"force_unit", s.force_unit == ForceUnit::kBodyWeight ? "%BW" : "N"},
      {"window_w_px", s.window_w_px},
      {"window_h_px", s.window_h_px},
      {"plot_cells", s.plot_cells},
  };
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return "cannot write the settings " + tmp;
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return "cannot replace the settings " + path + ": " + ec.message();
  }
  return "";
}

double ForceFormat::value(double force_n) const {
  if (unit == ForceUnit::kNewton || body_mass_kg <= 0) return force_n;
  return 100.0 * force_n / (body_mass_kg * kGravity_mps2);
}

const char* ForceFormat::unitName() const {
  return unit == ForceUnit::kBodyWeight && body_mass_kg > 0 ? "% BW" : "N";
}

std::string ForceFormat::text(double force_n) const {
  char b[48];
  std::snprintf(b, sizeof(b), "%.0f %s", value(force_n), unitName());
  return b;
}

}  // namespace rollrig::gui

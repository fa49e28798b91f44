#include "settings.h"

#include <algorithm>
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

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%g", v);
  return b;
}

bool inRange(double v, double lo, double hi) {
  return v >= lo && v <= hi;  // false for NaN
}

}  // namespace

bool GuiSettings::operator==(const GuiSettings& o) const {
  const core::ProtocolGuideParams &p = protocol, &q = o.protocol;
  return body_mass_kg == o.body_mass_kg && force_unit == o.force_unit && ball == o.ball &&
         p.hold_min_s == q.hold_min_s && p.hold_max_s == q.hold_max_s &&
         p.rolling_holds_to_move_on == q.rolling_holds_to_move_on &&
         p.rolling_time_to_move_on_s == q.rolling_time_to_move_on_s &&
         p.stretch_hold_min_s == q.stretch_hold_min_s &&
         p.stretch_hold_max_s == q.stretch_hold_max_s && p.stretch_total_s == q.stretch_total_s &&
         font_scale == o.font_scale && theme == o.theme && cues == o.cues &&
         window_w_px == o.window_w_px && window_h_px == o.window_h_px &&
         plot_cells == o.plot_cells && cue_kinds == o.cue_kinds && band_low_pct == o.band_low_pct &&
         band_high_pct == o.band_high_pct && slow_limit_mm_s == o.slow_limit_mm_s;
}

core::CueSettings cueSettings(const GuiSettings& s) {
  core::CueSettings c;
  c.enabled = s.cue_kinds;
  c.band_low = s.band_low_pct / 100.0;
  c.band_high = s.band_high_pct / 100.0;
  c.too_fast_mm_s = s.slow_limit_mm_s;
  return c;
}

core::CueSettings guideCueSettings(const GuiSettings& s) {
  core::CueSettings c = cueSettings(s);
  for (const core::CueKind k :
       {core::CueKind::kHoldConfirmed, core::CueKind::kWindowReached, core::CueKind::kReleased,
        core::CueKind::kMoveOn, core::CueKind::kTooFast, core::CueKind::kOutOfBand})
    c.enabled[static_cast<size_t>(k)] = false;
  return c;
}

bool sameCueSettings(const core::CueSettings& a, const core::CueSettings& b) {
  return a.enabled == b.enabled && a.too_fast_mm_s == b.too_fast_mm_s && a.band_low == b.band_low &&
         a.band_high == b.band_high && a.band_grace_s == b.band_grace_s && a.repeat_s == b.repeat_s;
}

std::vector<SettingsProblem> settingsProblems(const GuiSettings& s) {
  std::vector<SettingsProblem> out;
  const auto range = [&](const char* key, const char* what, double v, double lo, double hi,
                         const char* unit) {
    if (!inRange(v, lo, hi))
      out.push_back({key, std::string(what) + " must be from " + num(lo) + " to " + num(hi) + unit +
                              " (is " + num(v) + ")"});
  };
  range("body_mass_kg", "body mass", s.body_mass_kg, kMinBodyMass_kg, kMaxBodyMass_kg, " kg");
  if (s.ball.size() > kMaxBallChars)
    out.push_back({"ball", "the ball's name must be at most " + std::to_string(kMaxBallChars) +
                               " characters (is " + std::to_string(s.ball.size()) + ")"});
  for (const char c : s.ball)
    if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back({"ball", "the ball's name must be one line of text"});
      break;
    }
  const core::ProtocolGuideParams& p = s.protocol;
  range("protocol.hold_min_s", "a hold's window start", p.hold_min_s, kMinHold_s, kMaxHold_s, " s");
  range("protocol.hold_max_s", "a hold's window end", p.hold_max_s, kMinHold_s, kMaxHold_s, " s");
  if (inRange(p.hold_min_s, kMinHold_s, kMaxHold_s) &&
      inRange(p.hold_max_s, kMinHold_s, kMaxHold_s) && !(p.hold_min_s < p.hold_max_s))
    out.push_back({"protocol.hold_max_s", "a hold's window must end after it starts (" +
                                              num(p.hold_min_s) + " s to " + num(p.hold_max_s) +
                                              " s)"});
  range("protocol.rolling_holds_to_move_on", "holds before moving on", p.rolling_holds_to_move_on,
        kMinHoldsToMoveOn, kMaxHoldsToMoveOn, "");
  range("protocol.rolling_time_to_move_on_s", "time on a side before moving on",
        p.rolling_time_to_move_on_s, kMinTimeToMoveOn_s, kMaxTimeToMoveOn_s, " s");
  range("protocol.stretch_hold_min_s", "a stretch hold's shortest", p.stretch_hold_min_s,
        kMinStretchHold_s, kMaxStretchHold_s, " s");
  range("protocol.stretch_hold_max_s", "a stretch hold's longest", p.stretch_hold_max_s,
        kMinStretchHold_s, kMaxStretchHold_s, " s");
  if (inRange(p.stretch_hold_min_s, kMinStretchHold_s, kMaxStretchHold_s) &&
      inRange(p.stretch_hold_max_s, kMinStretchHold_s, kMaxStretchHold_s) &&
      !(p.stretch_hold_min_s < p.stretch_hold_max_s))
    out.push_back({"protocol.stretch_hold_max_s",
                   "a stretch hold's longest must be more than its shortest (" +
                       num(p.stretch_hold_min_s) + " s, " + num(p.stretch_hold_max_s) + " s)"});
  range("protocol.stretch_total_s", "the stretch time a side", p.stretch_total_s,
        kMinStretchTotal_s, kMaxStretchTotal_s, " s");
  if (inRange(p.stretch_total_s, kMinStretchTotal_s, kMaxStretchTotal_s) &&
      inRange(p.stretch_hold_min_s, kMinStretchHold_s, kMaxStretchHold_s) &&
      p.stretch_total_s < p.stretch_hold_min_s)
    out.push_back({"protocol.stretch_total_s",
                   "the stretch time a side must be at least one stretch hold (" +
                       num(p.stretch_hold_min_s) + " s; is " + num(p.stretch_total_s) + " s)"});
  range("band_low_pct", "the load band's low end", s.band_low_pct, kMinBand_pct, kMaxBand_pct,
        " % of body weight");
  range("band_high_pct", "the load band's high end", s.band_high_pct, kMinBand_pct, kMaxBand_pct,
        " % of body weight");
  if (inRange(s.band_low_pct, kMinBand_pct, kMaxBand_pct) &&
      inRange(s.band_high_pct, kMinBand_pct, kMaxBand_pct) && !(s.band_low_pct < s.band_high_pct))
    out.push_back({"band_high_pct", "the load band's low end must be below its high end (" +
                                        num(s.band_low_pct) + " % to " + num(s.band_high_pct) +
                                        " %)"});
  range("slow_limit_mm_s", "the \"slowly\" limit", s.slow_limit_mm_s, kMinSlowLimit_mm_s,
        kMaxSlowLimit_mm_s, " mm/s");
  range("font_scale", "the font scale", s.font_scale, kMinFontScale, kMaxFontScale, "");
  for (const auto& [key, v] :
       {std::pair{"window_w_px", s.window_w_px}, std::pair{"window_h_px", s.window_h_px}})
    if (v < 200 || v > 16384)
      out.push_back({key, std::string(key) + " must be from 200 to 16384 pixels (is " +
                              std::to_string(v) + ")"});
  return out;
}

std::string validateSettings(const GuiSettings& s) {
  const std::vector<SettingsProblem> p = settingsProblems(s);
  return p.empty() ? "" : p.front().message;
}

const char* cueModeName(CueMode m) {
  return m == CueMode::kTones ? "tones" : m == CueMode::kVoice ? "voice" : "off";
}

const char* themeName(ThemeKind k) {
  return k == ThemeKind::kLight ? "light" : "dark";
}

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
  std::stringstream text;
  text << in.rdbuf();
  out = settingsFromJson(text.str(), path);
  out.found = true;
  return out;
}

SettingsLoad settingsFromJson(const std::string& text, const std::string& path) {
  SettingsLoad out;
  out.found = true;
  const auto bad = [&](const std::string& why) {
    out.settings = GuiSettings{};
    out.error = "the settings " + path + " are not valid (" + why +
                "); using the defaults — the file is kept until you change a setting";
    return out;
  };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  GuiSettings& s = out.settings;
  // Types first (a key of the wrong type is named), then the ranges (validateSettings). A key
  // that is missing keeps its default (an older file); unknown keys are ignored (a newer one).
  const auto number = [&](const nlohmann::json& o, const char* key, double* v) {
    if (!o.contains(key)) return true;
    if (!o[key].is_number()) return false;
    *v = o[key].get<double>();
    return true;
  };
  if (!number(j, "body_mass_kg", &s.body_mass_kg)) return bad("body_mass_kg is not a number");
  if (j.contains("force_unit")) {
    const nlohmann::json& u = j["force_unit"];
    if (u == "N")
      s.force_unit = ForceUnit::kNewton;
    else if (u == "%BW")
      s.force_unit = ForceUnit::kBodyWeight;
    else
      return bad("force_unit is neither \"N\" nor \"%BW\"");
  }
  if (j.contains("ball")) {
    if (!j["ball"].is_string()) return bad("ball is not a string");
    s.ball = j["ball"].get<std::string>();
  }
  if (j.contains("protocol")) {
    const nlohmann::json& p = j["protocol"];
    if (!p.is_object()) return bad("protocol is not a JSON object");
    core::ProtocolGuideParams& g = s.protocol;
    for (const auto& [key, field] :
         {std::pair{"hold_min_s", &g.hold_min_s}, std::pair{"hold_max_s", &g.hold_max_s},
          std::pair{"rolling_time_to_move_on_s", &g.rolling_time_to_move_on_s},
          std::pair{"stretch_hold_min_s", &g.stretch_hold_min_s},
          std::pair{"stretch_hold_max_s", &g.stretch_hold_max_s},
          std::pair{"stretch_total_s", &g.stretch_total_s}})
      if (!number(p, key, field)) return bad(std::string("protocol.") + key + " is not a number");
    if (p.contains("rolling_holds_to_move_on")) {
      if (!p["rolling_holds_to_move_on"].is_number_integer())
        return bad("protocol.rolling_holds_to_move_on is not a whole number");
      const int64_t n = p["rolling_holds_to_move_on"].get<int64_t>();
      g.rolling_holds_to_move_on = static_cast<int>(std::clamp<int64_t>(n, -1, 1000));
    }
  }
  if (!number(j, "font_scale", &s.font_scale)) return bad("font_scale is not a number");
  if (j.contains("theme")) {
    const nlohmann::json& t = j["theme"];
    if (t == "dark")
      s.theme = ThemeKind::kDark;
    else if (t == "light")
      s.theme = ThemeKind::kLight;
    else
      return bad("theme is neither \"dark\" nor \"light\"");
  }
  if (j.contains("cues")) {
    const nlohmann::json& c = j["cues"];
    if (c == "off")
      s.cues = CueMode::kOff;
    else if (c == "tones")
      s.cues = CueMode::kTones;
    else if (c == "voice")
      s.cues = CueMode::kVoice;
    else
      return bad("cues is none of \"off\", \"tones\", \"voice\"");
  }
  if (j.contains("cue_kinds")) {
    const nlohmann::json& k = j["cue_kinds"];
    if (!k.is_object()) return bad("cue_kinds is not a JSON object");
    // A kind this rollrig does not know (a newer file's) is ignored; a missing one stays on.
    for (int i = 0; i < core::kCueKinds; ++i) {
      const std::string key = cueKindKey(static_cast<core::CueKind>(i));
      if (!k.contains(key)) continue;
      if (!k[key].is_boolean()) return bad("cue_kinds." + key + " is neither true nor false");
      s.cue_kinds[static_cast<size_t>(i)] = k[key].get<bool>();
    }
  }
  for (const auto& [key, field] :
       {std::pair{"band_low_pct", &s.band_low_pct}, std::pair{"band_high_pct", &s.band_high_pct},
        std::pair{"slow_limit_mm_s", &s.slow_limit_mm_s}})
    if (!number(j, key, field)) return bad(std::string(key) + " is not a number");
  if (j.contains("plot_cells")) {
    if (!j["plot_cells"].is_boolean()) return bad("plot_cells is neither true nor false");
    s.plot_cells = j["plot_cells"].get<bool>();
  }
  for (const auto& [key, field] :
       {std::pair{"window_w_px", &s.window_w_px}, std::pair{"window_h_px", &s.window_h_px}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 200 || j[key].get<int64_t>() > 16384)
      return bad(std::string(key) + " is not a whole number of pixels from 200 to 16384");
    *field = j[key].get<int>();
  }
  const std::vector<SettingsProblem> problems = settingsProblems(s);
  if (!problems.empty()) return bad(problems.front().key + ": " + problems.front().message);
  return out;
}

std::string settingsToJson(const GuiSettings& s) {
  nlohmann::json j = {
      {"body_mass_kg", s.body_mass_kg},
      {"force_unit", s.force_unit == ForceUnit::kBodyWeight ? "%BW" : "N"},
      {"ball", s.ball},
      {"protocol",
       {{"hold_min_s", s.protocol.hold_min_s},
        {"hold_max_s", s.protocol.hold_max_s},
        {"rolling_holds_to_move_on", s.protocol.rolling_holds_to_move_on},
        {"rolling_time_to_move_on_s", s.protocol.rolling_time_to_move_on_s},
        {"stretch_hold_min_s", s.protocol.stretch_hold_min_s},
        {"stretch_hold_max_s", s.protocol.stretch_hold_max_s},
        {"stretch_total_s", s.protocol.stretch_total_s}}},
      {"font_scale", s.font_scale},
      {"theme", themeName(s.theme)},
      {"window_w_px", s.window_w_px},
      {"window_h_px", s.window_h_px},
      {"plot_cells", s.plot_cells},
      {"cues", cueModeName(s.cues)},
  };
  nlohmann::json kinds = nlohmann::json::object();
  for (int i = 0; i < core::kCueKinds; ++i)
    kinds[cueKindKey(static_cast<core::CueKind>(i))] = s.cue_kinds[static_cast<size_t>(i)];
  j["cue_kinds"] = kinds;
  j["band_low_pct"] = s.band_low_pct;
  j["band_high_pct"] = s.band_high_pct;
  j["slow_limit_mm_s"] = s.slow_limit_mm_s;
  return j.dump(2) + "\n";
}

std::string saveSettings(const std::string& path, const GuiSettings& s) {
  if (path.empty()) return "no config directory (set HOME or ROLLRIG_CONFIG_DIR)";
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return "cannot create " + p.parent_path().string() + ": " + ec.message();
  const std::string text = settingsToJson(s);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
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

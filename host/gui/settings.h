// The GUI's settings, persisted as JSON in `<config dir>/gui.json`: the user's body mass (for
// force in % body weight), the force unit, the window's size, and whether the force plot shows
// the per-cell traces. The config directory is found as
// for calibrations (host/io calibration_store): $ROLLRIG_CONFIG_DIR, else
// $XDG_CONFIG_HOME/rollrig, else ~/.config/rollrig.
//
// Loaded at start; saved when the user changes something and at exit (only if something changed).
// A missing file means the defaults, silently; a malformed one means the defaults plus a message
// the window shows as state, and the file is left alone until the user changes a setting (then it
// is replaced, atomically: a temporary file renamed over it).
//
// Pure I/O and formatting, no ImGui: the tests use it without a window. UI thread only.
#pragma once

#include <string>

namespace rollrig::gui {

enum class ForceUnit { kNewton, kBodyWeight };

struct GuiSettings {
  double body_mass_kg = 70.0;  // 20..300
  ForceUnit force_unit = ForceUnit::kNewton;
  int window_w_px = 1260, window_h_px = 720;  // logical px (before the content scale)
  bool plot_cells = false;                    // the force plot's four per-cell traces (key C)
  bool operator==(const GuiSettings& o) const {
    return body_mass_kg == o.body_mass_kg && force_unit == o.force_unit &&
           window_w_px == o.window_w_px && window_h_px == o.window_h_px &&
           plot_cells == o.plot_cells;
  }
  bool operator!=(const GuiSettings& o) const { return !(*this == o); }
};

// "<dir>/gui.json" for the directory above ("" only when no directory can be found).
std::string defaultSettingsPath();

struct SettingsLoad {
  GuiSettings settings;  // the file's, or the defaults
  bool found = false;    // the file exists
  std::string error;     // "" or what is wrong with the file, and that the defaults are used
};
SettingsLoad loadSettings(const std::string& path);
// Writes `s` to `path` (creating its directory); "" on success, else what went wrong.
std::string saveSettings(const std::string& path, const GuiSettings& s);

// Force as the user wants to read it: "312 N" or "45 % BW" (body weight = mass × 9.80665 m/s²).
struct ForceFormat {
  ForceUnit unit = ForceUnit::kNewton;
  double body_mass_kg = 70.0;
  double value(double force_n) const;  // in the unit
  const char* unitName() const;        // "N" or "% BW"
  std::string text(double force_n) const;
};
inline ForceFormat forceFormat(const GuiSettings& s) {
  return {s.force_unit, s.body_mass_kg};
}

}  // namespace rollrig::gui

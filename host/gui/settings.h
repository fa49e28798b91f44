// The GUI's settings, persisted as JSON in `<config dir>/gui.json` (the schema: docs/GUI.md,
// "Settings"): the user's body mass (for force in % body weight), the force unit, the ball,
// the protocol's timings, the font scale, the theme, the window's size, whether the force plot
// shows the per-cell traces, and the cues (tones or voice, which kinds, the load band and the
// "slowly" limit). The config directory is found as for calibrations (host/io
// calibration_store): $ROLLRIG_CONFIG_DIR, else $XDG_CONFIG_HOME/rollrig, else ~/.config/rollrig.
//
// Loaded at start; saved when the user changes something and at exit (only if something changed).
// A missing file means the defaults, silently; a file without some keys (an older rollrig's)
// takes the defaults for those; a malformed one, or one with a value out of range
// (validateSettings), means the defaults plus a message the window shows as state, and the file
// is left alone until the user changes a setting (then it is replaced, atomically: a temporary
// file renamed over it).
//
// Pure I/O and formatting, no ImGui: the tests use it without a window. UI thread only.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "rollrig/core/cue_planner.h"
#include "rollrig/core/protocol_guide.h"
#include "theme.h"

namespace rollrig::gui {

enum class ForceUnit { kNewton, kBodyWeight };

// The ranges a setting may take (validateSettings; the settings view's editors clamp to them).
inline constexpr double kMinBodyMass_kg = 20.0, kMaxBodyMass_kg = 300.0;
inline constexpr double kMinFontScale = 0.8, kMaxFontScale = 1.25;
inline constexpr size_t kMaxBallChars = 60;                    // bytes of UTF-8
inline constexpr double kMinHold_s = 5.0, kMaxHold_s = 600.0;  // a rolling hold's window ends
inline constexpr double kMinStretchHold_s = 5.0, kMaxStretchHold_s = 300.0;
inline constexpr double kMinStretchTotal_s = 10.0, kMaxStretchTotal_s = 1200.0;
inline constexpr int kMinHoldsToMoveOn = 1, kMaxHoldsToMoveOn = 20;
inline constexpr double kMinTimeToMoveOn_s = 60.0, kMaxTimeToMoveOn_s = 3600.0;
// The coaching: the load band in % body weight (low below high) and the "slowly" limit.
using core::kMaxBand_pct;  // the load band's range and the "slowly" limit's (core/cue_planner.h)
using core::kMaxSlowLimit_mm_s;
using core::kMinBand_pct;
using core::kMinSlowLimit_mm_s;

enum class CueMode { kOff, kTones, kVoice };
const char* cueModeName(CueMode m);  // "off", "tones", "voice" (gui.json's words)

struct GuiSettings {
  double body_mass_kg = 70.0;  // kMinBodyMass_kg..kMaxBodyMass_kg
  ForceUnit force_unit = ForceUnit::kNewton;
  // The ball (free text, e.g. "lacrosse ball"; "" not said): stored with each new session
  // (store::SessionInfo::ball), as is the body mass.
  std::string ball;
  // The protocol's timings: the guide's (core::ProtocolGuideParams, defaults from the exercise:
  // holds 30-90 s, stretch holds 10-30 s to 60 s a side, move on after 3 holds or 5 min); the
  // rolling hold window (hold_min_s, hold_max_s) is also the live analysis's protocol window
  // (core::HoldParams::protocol_min_s / protocol_max_s). Both apply from the next session.
  core::ProtocolGuideParams protocol;
  double font_scale = 1.0;  // kMinFontScale..kMaxFontScale, times the content scale
  ThemeKind theme = ThemeKind::kDark;
  int window_w_px = 1260, window_h_px = 720;  // logical px (before the content scale)
  bool plot_cells = false;                    // the force plot's four per-cell traces (key C)
  // Cues for the person on the ball (core::CuePlanner, host/audio): off, tones or a voice ...
  CueMode cues = CueMode::kOff;
  // ... which of them sound (by core::CueKind; all by default) ...
  std::array<bool, core::kCueKinds> cue_kinds{true, true, true, true, true, true, true, true, true};
  // ... the load band the "load outside the band" cue watches, in % body weight (force-plate
  // studies of roller use: about a third of body weight on average, up to about a half) ...
  double band_low_pct = 20.0, band_high_pct = 50.0;  // kMinBand_pct..kMaxBand_pct, low < high
  // ... and "slowly": rolling faster than this is "rolling too fast" (the ball's speed between
  // holds).
  double slow_limit_mm_s = core::kSlowRoll_mm_s;  // kMinSlowLimit_mm_s..kMaxSlowLimit_mm_s
  bool operator==(const GuiSettings& o) const;
  bool operator!=(const GuiSettings& o) const { return !(*this == o); }
};

// A value out of its range, or two that contradict each other: the gui.json key ("body_mass_kg",
// "protocol.hold_max_s", ...) and what is wrong in words for the user ("body mass must be from 20
// to 300 kg (is 5)", "a hold's window must open before it closes (40 s, 30 s)").
struct SettingsProblem {
  std::string key;
  std::string message;
};
// Every problem, in the schema's order (empty: the settings are valid).
std::vector<SettingsProblem> settingsProblems(const GuiSettings& s);
// "" when valid, else the first problem's message.
std::string validateSettings(const GuiSettings& s);

const char* themeName(ThemeKind k);  // "dark", "light"

// The one mapping from the settings to the cue planner's (core::CueSettings): the kinds switched
// on, the band as fractions of body weight, the "slowly" limit; the rest (grace, repeat) are the
// planner's defaults. The engine's planner and the window's guide planner both take it.
core::CueSettings cueSettings(const GuiSettings& s);
// The same for the window's own planner of the protocol guide's cues (switch sides, the stretch's
// hold and side done): the hold, speed and load kinds off, as the engine plans those.
core::CueSettings guideCueSettings(const GuiSettings& s);
bool sameCueSettings(const core::CueSettings& a, const core::CueSettings& b);
// A cue kind's key in gui.json's "cue_kinds" (and for `rollrig record --no-cue`): core::cueKindKey.
using core::cueKindKey;

// "<dir>/gui.json" for the directory above ("" only when no directory can be found).
std::string defaultSettingsPath();

struct SettingsLoad {
  GuiSettings settings;  // the file's, or the defaults
  bool found = false;    // the file exists
  std::string error;     // "" or what is wrong with the file, and that the defaults are used
};
SettingsLoad loadSettings(const std::string& path);
// What loadSettings() makes of a file's text, without the file (pure; `path` names it in the
// message). The fuzzer and the tests use it directly.
SettingsLoad settingsFromJson(const std::string& text, const std::string& path);
// The text saveSettings() writes (pretty-printed JSON ending with a newline).
std::string settingsToJson(const GuiSettings& s);
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

// Colours and sizes of rollrig-gui, in one place: the panels draw with these, and the screenshot
// test looks for the hold timer's protocol-window colours in the PNG (tests/gui).
//
// The user reads the window from the floor, about two metres away, so the hold panel uses solid
// colour fields with high-contrast text and a font more than a hundred pixels tall. Sizes are in
// logical pixels; the app multiplies them by the monitor's content scale.
//
// Two themes, dark (the default) and light (the `theme` setting, settings.h). The colours live in
// one runtime `Theme`, `g_theme`; the panels use the k-names below, which are references into it,
// so switching the theme (setTheme) changes every panel's colours at once without any panel
// knowing there are themes. A panel computes its model each frame, so the next frame is drawn in
// the new theme. In both themes the hold field's text keeps a contrast of at least 4.5:1 against
// the amber, green and red fields (tests/gui/settings_view_test.cpp checks it): the dark theme has
// white text on deep fields, the light one near-black text on brighter fields. kLightText is
// therefore "the strong text colour" (white in the dark theme, near-black in the light one), and
// kDarkText the text on the amber field in both.
//
// Thread safety: UI thread only (setTheme() writes g_theme).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rollrig::gui {

// An sRGB colour, 8 bits a channel (no ImGui here, so the models and tests need no window).
struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  constexpr bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  constexpr bool operator!=(const Rgb& o) const { return !(*this == o); }
};

enum class ThemeKind { kDark, kLight };

// Every colour of the window. The field comments are the dark theme's.
struct Theme {
  ThemeKind kind = ThemeKind::kDark;
  // [SECTION] The hold panel's field: where the hold stands against the protocol window (30-90 s).
  Rgb no_hold_field;        // no hold: quiet dark grey
  Rgb before_window_field;  // under 30 s: amber, dark text
  Rgb in_window_field;      // 30-90 s: green, white text
  Rgb past_window_field;    // past 90 s: red, white text
  Rgb released_band;        // the release cue: blue band
  Rgb dark_text;            // the text on the amber field
  Rgb light_text;           // the strong text: on the other fields, the bands, the totals
  // [SECTION] The protocol panel: the current step's band (teal) and the move-on cue.
  Rgb protocol_current, protocol_cue, protocol_done;
  // [SECTION] Everything else.
  Rgb background, panel, grid, axis_text, force_trace, hold_shade, hold_level, release_mark,
      marker_mark, plate, plate_edge, cell_fill;
  // The four cells' own colours (the plot's per-cell traces and the plate's cell names), in cell
  // order (plate_geometry.h: front-left, front-right, rear-left, rear-right); distinct from the
  // total's trace, the releases' blue, the markers' violet and the holds' green.
  Rgb cell_trace[4];
  Rgb ball, ok, warning, error;
};

constexpr Theme darkTheme() {
  Theme t;
  t.kind = ThemeKind::kDark;
  t.no_hold_field = {0x26, 0x2A, 0x33};
  t.before_window_field = {0xF2, 0xB1, 0x00};
  t.in_window_field = {0x16, 0x85, 0x3B};  // white text at 4.7:1
  t.past_window_field = {0xC6, 0x28, 0x28};
  t.released_band = {0x1F, 0x6F, 0xD1};
  t.dark_text = {0x10, 0x10, 0x10};
  t.light_text = {0xFF, 0xFF, 0xFF};
  t.protocol_current = {0x0E, 0x6E, 0x7E};
  t.protocol_cue = {0x7E, 0xE0, 0x9A};
  t.protocol_done = {0x8A, 0x93, 0xA6};
  t.background = {0x16, 0x18, 0x1D};
  t.panel = {0x20, 0x23, 0x2A};
  t.grid = {0x3A, 0x3F, 0x4A};
  t.axis_text = {0xC8, 0xCC, 0xD4};
  t.force_trace = {0xFF, 0xD2, 0x4A};
  t.hold_shade = {0x2E, 0x5E, 0x3E};
  t.hold_level = {0x7E, 0xE0, 0x9A};
  t.release_mark = {0x5A, 0xA8, 0xFF};
  t.marker_mark = {0xE0, 0x8A, 0xFF};
  t.plate = {0x33, 0x38, 0x44};
  t.plate_edge = {0x8A, 0x93, 0xA6};
  t.cell_fill = {0x4F, 0x9D, 0xE8};
  t.cell_trace[0] = {0x4D, 0xD0, 0xE1};
  t.cell_trace[1] = {0xFF, 0x6F, 0xA0};
  t.cell_trace[2] = {0xA8, 0xE0, 0x5A};
  t.cell_trace[3] = {0xE8, 0xE8, 0xE8};
  t.ball = {0xFF, 0x7A, 0x3D};
  t.ok = {0x7E, 0xE0, 0x9A};
  t.warning = {0xFF, 0xB7, 0x3D};
  t.error = {0xFF, 0x6B, 0x6B};
  return t;
}

// Light: light grey window, white panels, near-black text; the fields brighter so that the
// near-black text on them stays high-contrast; traces and marks darker so they read on white.
constexpr Theme lightTheme() {
  Theme t;
  t.kind = ThemeKind::kLight;
  t.no_hold_field = {0xD3, 0xD8, 0xE0};
  t.before_window_field = {0xF2, 0xB1, 0x00};  // the same amber: it already takes dark text
  t.in_window_field = {0x3C, 0xBE, 0x64};
  t.past_window_field = {0xEE, 0x55, 0x50};
  t.released_band = {0x6A, 0xAA, 0xF2};
  t.dark_text = {0x10, 0x10, 0x10};
  t.light_text = {0x12, 0x15, 0x1A};
  t.protocol_current = {0x5C, 0xC2, 0xCE};
  t.protocol_cue = {0x13, 0x7A, 0x36};
  t.protocol_done = {0x5A, 0x62, 0x72};
  t.background = {0xE4, 0xE7, 0xEC};
  t.panel = {0xFA, 0xFB, 0xFC};
  t.grid = {0xC9, 0xCE, 0xD6};
  t.axis_text = {0x3A, 0x40, 0x4C};
  t.force_trace = {0xB0, 0x6E, 0x00};
  t.hold_shade = {0xD2, 0xEE, 0xDA};
  t.hold_level = {0x13, 0x7A, 0x36};
  t.release_mark = {0x2F, 0x80, 0xDA};  // a line on white, and a fill under dark text
  t.marker_mark = {0x8E, 0x24, 0xAA};
  t.plate = {0xE2, 0xE5, 0xEB};
  t.plate_edge = {0x7A, 0x83, 0x96};  // also the replay bar's unreleased holds, dark text
  t.cell_fill = {0x4F, 0x9D, 0xE8};
  t.cell_trace[0] = {0x00, 0x8C, 0x9E};
  t.cell_trace[1] = {0xD0, 0x1B, 0x5F};
  t.cell_trace[2] = {0x4E, 0x8A, 0x1E};
  t.cell_trace[3] = {0x44, 0x44, 0x44};
  t.ball = {0xE8, 0x5A, 0x10};
  t.ok = {0x13, 0x7A, 0x36};
  t.warning = {0x9A, 0x5B, 0x00};
  t.error = {0xC6, 0x28, 0x28};
  return t;
}

constexpr Theme themeOf(ThemeKind k) {
  return k == ThemeKind::kLight ? lightTheme() : darkTheme();
}

// The theme the window is drawn in (constant-initialised: dark until setTheme()).
inline Theme g_theme = darkTheme();
inline void setTheme(ThemeKind k) {
  g_theme = themeOf(k);
}

// The names the panels and tests use: the current theme's colours.
inline const Rgb& kNoHoldField = g_theme.no_hold_field;
inline const Rgb& kBeforeWindowField = g_theme.before_window_field;
inline const Rgb& kInWindowField = g_theme.in_window_field;
inline const Rgb& kPastWindowField = g_theme.past_window_field;
inline const Rgb& kReleasedBand = g_theme.released_band;
inline const Rgb& kDarkText = g_theme.dark_text;
inline const Rgb& kLightText = g_theme.light_text;
inline const Rgb& kProtocolCurrent = g_theme.protocol_current;
inline const Rgb& kProtocolCue = g_theme.protocol_cue;
inline const Rgb& kProtocolDone = g_theme.protocol_done;
inline const Rgb& kBackground = g_theme.background;
inline const Rgb& kPanel = g_theme.panel;
inline const Rgb& kGrid = g_theme.grid;
inline const Rgb& kAxisText = g_theme.axis_text;
inline const Rgb& kForceTrace = g_theme.force_trace;
inline const Rgb& kHoldShade = g_theme.hold_shade;
inline const Rgb& kHoldLevel = g_theme.hold_level;
inline const Rgb& kReleaseMark = g_theme.release_mark;
inline const Rgb& kMarkerMark = g_theme.marker_mark;
inline const Rgb& kPlate = g_theme.plate;
inline const Rgb& kPlateEdge = g_theme.plate_edge;
inline const Rgb& kCellFill = g_theme.cell_fill;
inline const Rgb (&kCellTrace)[4] = g_theme.cell_trace;
inline const Rgb& kBall = g_theme.ball;
inline const Rgb& kOk = g_theme.ok;
inline const Rgb& kWarning = g_theme.warning;
inline const Rgb& kError = g_theme.error;

// WCAG 2 contrast ratio of two sRGB colours (1 to 21; 4.5 is "readable body text"). For the
// tests and the choice of theme colours.
inline double contrastRatio(Rgb a, Rgb b) {
  const auto lin = [](uint8_t c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  const auto lum = [&](Rgb c) { return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b); };
  const double la = lum(a), lb = lum(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// `c` as text on `bg`: itself when it reads (contrast at least `min_ratio`), else moved toward the
// theme's strong text colour (kLightText: white on dark, near-black on light) until it does, so a
// colour that codes something (a hold's time to release) stays that colour's hue and stays legible
// in either theme.
inline Rgb readableOn(Rgb c, Rgb bg, double min_ratio = 4.5) {
  const Rgb strong = g_theme.light_text;
  Rgb out = c;
  for (int step = 1; step <= 10 && contrastRatio(out, bg) < min_ratio; ++step) {
    const float a = step / 10.0f;
    const auto ch = [a](uint8_t x, uint8_t y) {
      return static_cast<uint8_t>(x * (1.0f - a) + y * a + 0.5f);
    };
    out = Rgb{ch(c.r, strong.r), ch(c.g, strong.g), ch(c.b, strong.b)};
  }
  return out;
}

// The text colour that reads best on `fill`: the dark text or white (a chip of any colour).
inline Rgb textOn(Rgb fill) {
  const Rgb white{0xFF, 0xFF, 0xFF};
  return contrastRatio(fill, g_theme.dark_text) >= contrastRatio(fill, white) ? g_theme.dark_text
                                                                              : white;
}

// [SECTION] The calibration wizard (calibrate_view.h): where the mass goes next, and the verdict's
// field (white text on both). Fixed in both themes: the marker and the verdict must stand out
// on either.
inline constexpr Rgb kCalNextMarker{0xFF, 0x4F, 0xE8};     // magenta: the next position
inline constexpr Rgb kCalAcceptedField{0x1B, 0x7F, 0x3A};  // ACCEPTED
inline constexpr Rgb kCalRefusedField{0xB3, 0x26, 0x26};   // REFUSED

// [SECTION] The history view (history_view.h): each side's line and points, and the protocol's
// window on the time-to-release chart: a faint green band between a green 30 s line and a red
// 90 s line (the hold field's colours, brightened to read as thin lines on the dark panel).
inline constexpr Rgb kHistoryLeft{0x5C, 0xC8, 0xF0};
inline constexpr Rgb kHistoryRight{0xF5, 0x9E, 0x4C};
inline constexpr Rgb kHistory30sLine{0x3C, 0xB9, 0x5F};
inline constexpr Rgb kHistory90sLine{0xE0, 0x55, 0x55};
inline constexpr Rgb kHistoryWindowBand{0x1F, 0x31, 0x2D};  // kInWindowField at 14 % over kPanel

// [SECTION] Font sizes (logical px) and the layout's fixed heights.
inline constexpr float kFontNormal_px = 22.0f;
inline constexpr float kFontLarge_px = 40.0f;
inline constexpr float kFontHuge_px = 190.0f;  // the hold timer
inline constexpr float kConnectionBar_px = 64.0f;
inline constexpr float kViewTabs_px = 44.0f;
inline constexpr float kReplayBar_px = 96.0f;
inline constexpr float kExportStrip_px = 118.0f;  // the folder, the pictures, the result

}  // namespace rollrig::gui

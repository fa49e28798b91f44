// Colours and sizes of rollrig-gui, in one place: the panels draw with these, and the screenshot
// test looks for the hold timer's protocol-window colours in the PNG (tests/gui).
//
// The user reads the window from the floor, about two metres away, so the hold panel uses solid
// colour fields with high-contrast text and a font more than a hundred pixels tall. Sizes are in
// logical pixels; the app multiplies them by the monitor's content scale.
#pragma once

#include <cstdint>

namespace rollrig::gui {

// An sRGB colour, 8 bits a channel (no ImGui here, so the models and tests need no window).
struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  constexpr bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

// [SECTION] The hold panel's field: where the hold stands against the protocol window (30-90 s).
inline constexpr Rgb kNoHoldField{0x26, 0x2A, 0x33};        // no hold: quiet dark grey
inline constexpr Rgb kBeforeWindowField{0xF2, 0xB1, 0x00};  // under 30 s: amber, dark text
inline constexpr Rgb kInWindowField{0x17, 0x8A, 0x3D};      // 30-90 s: green, white text
inline constexpr Rgb kPastWindowField{0xC6, 0x28, 0x28};    // past 90 s: red, white text
inline constexpr Rgb kReleasedBand{0x1F, 0x6F, 0xD1};       // the release cue: blue band
inline constexpr Rgb kDarkText{0x10, 0x10, 0x10};
inline constexpr Rgb kLightText{0xFF, 0xFF, 0xFF};

// [SECTION] The protocol panel: the current step's band (teal, white text) and the move-on cue.
inline constexpr Rgb kProtocolCurrent{0x0E, 0x6E, 0x7E};
inline constexpr Rgb kProtocolCue{0x7E, 0xE0, 0x9A};
inline constexpr Rgb kProtocolDone{0x8A, 0x93, 0xA6};

// [SECTION] The calibration wizard (calibrate_view.h): where the mass goes next, and the verdict's
// field (white text on both).
inline constexpr Rgb kCalNextMarker{0xFF, 0x4F, 0xE8};     // magenta: the next position
inline constexpr Rgb kCalAcceptedField{0x1B, 0x7F, 0x3A};  // ACCEPTED
inline constexpr Rgb kCalRefusedField{0xB3, 0x26, 0x26};   // REFUSED

// [SECTION] Everything else.
inline constexpr Rgb kBackground{0x16, 0x18, 0x1D};
inline constexpr Rgb kPanel{0x20, 0x23, 0x2A};
inline constexpr Rgb kGrid{0x3A, 0x3F, 0x4A};
inline constexpr Rgb kAxisText{0xC8, 0xCC, 0xD4};
inline constexpr Rgb kForceTrace{0xFF, 0xD2, 0x4A};
inline constexpr Rgb kHoldShade{0x2E, 0x5E, 0x3E};
inline constexpr Rgb kHoldLevel{0x7E, 0xE0, 0x9A};
inline constexpr Rgb kReleaseMark{0x5A, 0xA8, 0xFF};
inline constexpr Rgb kMarkerMark{0xE0, 0x8A, 0xFF};
inline constexpr Rgb kPlate{0x33, 0x38, 0x44};
inline constexpr Rgb kPlateEdge{0x8A, 0x93, 0xA6};
inline constexpr Rgb kCellFill{0x4F, 0x9D, 0xE8};
// The four cells' own colours (the plot's per-cell traces and the plate's cell names), in cell
// order (plate_geometry.h: front-left, front-right, rear-left, rear-right); distinct from the
// total's yellow, the releases' blue, the markers' violet and the holds' green.
inline constexpr Rgb kCellTrace[4] = {
    {0x4D, 0xD0, 0xE1}, {0xFF, 0x6F, 0xA0}, {0xA8, 0xE0, 0x5A}, {0xE8, 0xE8, 0xE8}};
inline constexpr Rgb kBall{0xFF, 0x7A, 0x3D};
inline constexpr Rgb kOk{0x7E, 0xE0, 0x9A};
inline constexpr Rgb kWarning{0xFF, 0xB7, 0x3D};
inline constexpr Rgb kError{0xFF, 0x6B, 0x6B};

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
inline constexpr float kExportStrip_px = 80.0f;

}  // namespace rollrig::gui

// Small drawing helpers shared by the panels (ImGui's draw lists; fonts chosen once at start).
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

#include "layout.h"
#include "theme.h"

namespace rollrig::gui {

// The fonts the app loaded (gui_app.cpp): DejaVu Sans at three sizes, or ImGui's default font
// scaled (then every pointer is the default font and `fallback` is true).
struct Fonts {
  ImFont* normal = nullptr;
  ImFont* large = nullptr;
  ImFont* huge = nullptr;  // digits and ':' only (the hold timer)
  float normal_px = kFontNormal_px, large_px = kFontLarge_px, huge_px = kFontHuge_px;
  float scale = 1.0f;  // the monitor's content scale
  bool fallback = false;
};

// Large opaque rectangles (panel backgrounds, the hold field, the holds' shading) are not drawn
// through ImGui: under software GL (Mesa's llvmpipe) every pixel ImGui draws runs its textured,
// blended fragment shader, and these rectangles were most of a frame's cost. Panels list them
// here; the app clears them with glScissor + glClear, in order, before ImGui draws on top.
struct SolidFill {
  Rect r;
  Rgb c;
};
using SolidFills = std::vector<SolidFill>;

// `top` at opacity `a` over `under` (what a blended fill would give, as one opaque colour).
inline Rgb mix(Rgb top, Rgb under, float a) {
  const auto ch = [a](uint8_t t, uint8_t u) {
    return static_cast<uint8_t>(t * a + u * (1.0f - a) + 0.5f);
  };
  return Rgb{ch(top.r, under.r), ch(top.g, under.g), ch(top.b, under.b)};
}

inline ImU32 col(Rgb c, float alpha = 1.0f) {
  return IM_COL32(c.r, c.g, c.b, static_cast<int>(alpha * 255.0f + 0.5f));
}
inline ImVec2 textSize(ImFont* f, float px, const std::string& s) {
  return f->CalcTextSizeA(px, 1e9f, 0.0f, s.c_str());
}
// The font size, at most `px`, at which `s` fits in `max_w`.
inline float fitPx(ImFont* f, float px, const std::string& s, float max_w) {
  const float w = textSize(f, px, s).x;
  return w > max_w && w > 0 ? px * max_w / w : px;
}
// For the layout tests: while set, every text drawn through text() / textCentered() is also
// logged here with its box, so a test can check that each lies inside its panel and that labels
// do not overlap. Null (the default) costs one branch. UI thread only.
struct DrawnText {
  Rect box;
  std::string s;
};
inline std::vector<DrawnText>* g_drawn_text = nullptr;

// Draws `s` with its top-left at p.
inline void text(ImDrawList* dl, ImFont* f, float px, ImVec2 p, Rgb c, const std::string& s) {
  dl->AddText(f, px, p, col(c), s.c_str());
  if (g_drawn_text) {
    const ImVec2 sz = f->CalcTextSizeA(px, 1e9f, 0.0f, s.c_str());
    g_drawn_text->push_back({Rect{p.x, p.y, p.x + sz.x, p.y + sz.y}, s});
  }
}
// Draws `s` centred horizontally in [x0, x1] with its top at y.
inline void textCentered(ImDrawList* dl, ImFont* f, float px, float x0, float x1, float y, Rgb c,
                         const std::string& s) {
  const ImVec2 sz = textSize(f, px, s);
  text(dl, f, px, ImVec2((x0 + x1 - sz.x) * 0.5f, y), c, s);
}
// A fixed, undecorated ImGui window covering r (each panel is one).
bool beginPanel(const char* id, const Rect& r, bool with_padding = true);
void endPanel();

}  // namespace rollrig::gui

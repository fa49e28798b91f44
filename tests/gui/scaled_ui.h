// A headless ImGui context with the app's fonts and style (gui_app.cpp's loadFonts and applyStyle)
// at a content scale and font scale: for the layout tests that check what fits where. The
// caller skips the test when kDejaVu is missing (fonts-dejavu-core).
#pragma once

#include <imgui.h>

#include "draw_util.h"
#include "theme.h"

namespace rollrig::testing {

inline constexpr const char* kDejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

class ScaledUi {
 public:
  explicit ScaledUi(float scale, float font_scale = 1.0f) {
    using namespace rollrig::gui;
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    fonts.scale = scale;
    fonts.normal_px = kFontNormal_px * scale * font_scale;
    fonts.large_px = kFontLarge_px * scale * font_scale;
    fonts.huge_px = kFontHuge_px * scale * font_scale;
    ImFontConfig cfg;
    cfg.OversampleH = 1;
    fonts.normal = io.Fonts->AddFontFromFileTTF(kDejaVu, fonts.normal_px, &cfg);
    fonts.large = io.Fonts->AddFontFromFileTTF(kDejaVu, fonts.large_px, &cfg);
    static const ImWchar kDigits[] = {0x30, 0x3A, 0};  // the timer's digits and colon
    fonts.huge = io.Fonts->AddFontFromFileTTF(kDejaVu, fonts.huge_px, &cfg, kDigits);
    io.FontDefault = fonts.normal;
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsAlpha8(&px, &w, &h);
    ImGui::StyleColorsDark();
    ImGuiStyle& st = ImGui::GetStyle();
    st.WindowBorderSize = 0;
    st.FramePadding = ImVec2(10, 6);
    st.ScaleAllSizes(scale);
  }
  ~ScaledUi() { ImGui::DestroyContext(); }
  ScaledUi(const ScaledUi&) = delete;
  ScaledUi& operator=(const ScaledUi&) = delete;
  rollrig::gui::Fonts fonts;
};

}  // namespace rollrig::testing

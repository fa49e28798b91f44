#include "view_tabs.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "hold_panel.h"  // formatMinSec

namespace rollrig::gui {

View tabOf(View v) {
  return v == View::kReplay ? View::kSessions : v;
}

const char* viewName(View v) {
  switch (v) {
    case View::kLive:
      return "Live";
    case View::kSessions:
      return "Sessions";
    case View::kReplay:
      return "Replay";
    case View::kHistory:
      return "History";
    case View::kCalibrate:
      return "Calibrate";
    case View::kSettings:
      return "Settings";
  }
  return "?";
}

ViewTabsModel computeViewTabs(const std::vector<View>& views, View current, double recording_s) {
  ViewTabsModel m;
  for (size_t i = 0; i < views.size(); ++i) {
    ViewTab t;
    t.view = views[i];
    t.label = std::string(viewName(views[i])) + "  F" + std::to_string(i + 1);
    t.active = tabOf(current) == views[i];
    m.tabs.push_back(t);
  }
  if (recording_s >= 0 && tabOf(current) != View::kLive)
    m.recording = "recording " + formatMinSec(recording_s);
  return m;
}

bool readViewKey(const std::vector<View>& views, View* picked) {
  for (size_t i = 0; i < views.size() && i < 12; ++i)
    if (ImGui::IsKeyPressed(GLFW_KEY_F1 + static_cast<int>(i), false)) {
      *picked = views[i];
      return true;
    }
  return false;
}

bool drawViewTabs(const ViewTabsModel& m, const Rect& r, const Fonts& f, SolidFills& fills,
                  View* picked) {
  bool clicked = false;
  fills.push_back({r, kBackground});
  if (!beginPanel("##view_tabs", r)) {
    endPanel();
    return false;
  }
  const float s = f.scale;
  ImGui::PushFont(f.normal);
  for (const ViewTab& t : m.tabs) {
    if (t.active) ImGui::PushStyleColor(ImGuiCol_Button, ImColor(col(kProtocolCurrent)).Value);
    if (ImGui::Button(t.label.c_str())) {
      *picked = t.view;
      clicked = true;
    }
    if (t.active) ImGui::PopStyleColor();
    ImGui::SameLine(0, 8 * s);
  }
  if (!m.recording.empty()) {
    const float w = ImGui::CalcTextSize(m.recording.c_str()).x;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), r.width() - w - 12 * s));
    ImGui::TextColored(ImColor(col(kError)), "%s", m.recording.c_str());
  }
  ImGui::PopFont();
  endPanel();
  return clicked;
}

}  // namespace rollrig::gui

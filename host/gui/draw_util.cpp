#include "draw_util.h"

namespace rollrig::gui {

bool beginPanel(const char* id, const Rect& r, bool with_padding) {
  ImGui::SetNextWindowPos(ImVec2(r.x0, r.y0));
  ImGui::SetNextWindowSize(ImVec2(r.width(), r.height()));
  if (!with_padding) ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  const bool open =
      ImGui::Begin(id, nullptr,
                   ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                       ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings |
                       ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
  if (!with_padding) ImGui::PopStyleVar();
  return open;
}

void endPanel() {
  ImGui::End();
}

}  // namespace rollrig::gui

#include "keys.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

namespace rollrig::gui {

std::string MarkKey::said() const {
  switch (kind) {
    case Kind::kReleased:
      return "released";
    case Kind::kPain:
      return "pain " + std::to_string(pain);
    case Kind::kSide:
      return std::string("side ") + core::sideName(side);
  }
  return "";
}

std::vector<MarkKey> readMarkKeys() {
  std::vector<MarkKey> keys;
  if (ImGui::GetIO().WantTextInput) return keys;  // typing a seed or a path
  const auto pressed = [](int glfw_key) { return ImGui::IsKeyPressed(glfw_key, false); };
  if (pressed(GLFW_KEY_SPACE)) keys.push_back({MarkKey::Kind::kReleased});
  for (int k = 0; k <= 9; ++k)
    if (pressed(GLFW_KEY_0 + k) || pressed(GLFW_KEY_KP_0 + k))
      keys.push_back({MarkKey::Kind::kPain, k});
  if (pressed(GLFW_KEY_L)) keys.push_back({MarkKey::Kind::kSide, -1, core::Side::kLeft});
  if (pressed(GLFW_KEY_R)) keys.push_back({MarkKey::Kind::kSide, -1, core::Side::kRight});
  return keys;
}

void applyMarkKey(const MarkKey& key, SessionController& ctl) {
  switch (key.kind) {
    case MarkKey::Kind::kReleased:
      ctl.markReleased();
      break;
    case MarkKey::Kind::kPain:
      ctl.markPain(key.pain);
      break;
    case MarkKey::Kind::kSide:
      ctl.markSide(key.side);
      break;
  }
}

GuideKeys readGuideKeys() {
  GuideKeys k;
  if (ImGui::GetIO().WantTextInput) return k;
  k.next_step = ImGui::IsKeyPressed(GLFW_KEY_TAB, false);
  k.note = ImGui::IsKeyPressed(GLFW_KEY_N, false);
  return k;
}

ViewKeys readViewKeys() {
  ViewKeys k;
  if (ImGui::GetIO().WantTextInput) return k;
  k.follow_live = ImGui::IsKeyPressed(GLFW_KEY_F, false);
  k.toggle_pause = ImGui::IsKeyPressed(GLFW_KEY_P, false);
  k.auto_force_axis = ImGui::IsKeyPressed(GLFW_KEY_A, false);
  k.toggle_cells = ImGui::IsKeyPressed(GLFW_KEY_C, false);
  return k;
}

}  // namespace rollrig::gui

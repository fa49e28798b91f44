#include "export_strip.h"

#include <imgui.h>

#include <cstdlib>

namespace rollrig::gui {

std::string defaultExportDir(int64_t session_id) {
  const char* home = std::getenv("HOME");
  const std::string base =
      home && *home ? std::string(home) + "/rollrig-exports" : "rollrig-exports";
  return base + "/session-" + std::to_string(session_id);
}

ExportStripAction drawExportStrip(ExportStripState& state, const Rect& r, const Fonts& f,
                                  SolidFills& fills) {
  ExportStripAction act;
  fills.push_back({r, kPanel});
  if (!beginPanel("##export_strip", r)) {
    endPanel();
    return act;
  }
  const float s = f.scale;
  ImGui::PushFont(f.normal);
  // Line 1: the folder, as wide as the strip allows, and the session's files.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float files_w =
      ImGui::CalcTextSize("Session files").x + style.FramePadding.x * 2 + style.ItemSpacing.x;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Export to");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(200.0f * s, ImGui::GetContentRegionAvail().x - files_w));
  ImGui::InputText("##folder", state.folder, sizeof state.folder);
  ImGui::SameLine();
  if (ImGui::Button("Session files")) act.session_files = true;
  // Line 2: the pictures.
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Pictures");
  ImGui::SameLine();
  if (ImGui::Button("Plot PNG")) act.png_plot = true;
  ImGui::SameLine();
  if (ImGui::Button("Plate PNG")) act.png_plate = true;
  ImGui::SameLine();
  if (ImGui::Button("Window PNG")) act.png_window = true;
  ImGui::SameLine();
  ImGui::Checkbox("2\u00d7 for print", &state.print_2x);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("drawn again at twice the window's pixels, every font and line doubled");
  ImGui::SameLine();
  if (ImGui::Button("Close")) act.close = true;
  if (!state.message.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImColor(col(state.message_is_error ? kError : kOk)).Value);
    ImGui::TextUnformatted(state.message.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", state.message.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::PopFont();
  endPanel();
  return act;
}

}  // namespace rollrig::gui

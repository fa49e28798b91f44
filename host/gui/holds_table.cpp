#include "holds_table.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <cstdio>

#include "hold_panel.h"   // formatMinSec
#include "marks_table.h"  // markerTime_s, the switch
#include "plate_view.h"   // holdSpotColour

namespace rollrig::gui {

namespace {

std::string releaseWords(const std::string& source) {
  if (source == "marker") return "you pressed";
  return source;
}

std::string releaseText(const std::optional<double>& release_s, const std::string& source,
                        double start_s) {
  if (!release_s) return "not released";
  return formatMinSec(*release_s - start_s) + " " + releaseWords(source);
}

}  // namespace

HoldsTableModel computeHoldsTable(const engine::SessionDetails& d, const ForceFormat& force,
                                  double cursor_s, int selected) {
  HoldsTableModel m;
  size_t released = 0;
  int current = -1;
  for (size_t i = 0; i < d.holds.size(); ++i)
    if (cursor_s >= d.holds[i].start_s && cursor_s <= d.holds[i].end_s)
      current = static_cast<int>(i);
  if (selected < 0 || selected >= static_cast<int>(d.holds.size())) selected = current;
  for (size_t i = 0; i < d.holds.size(); ++i) {
    const core::Hold& h = d.holds[i];
    HoldRow row;
    row.number = std::to_string(i + 1);
    row.start = formatMinSec(h.start_s);
    row.duration = formatMinSec(h.duration_s());
    row.side = h.side == core::Side::kUnknown ? "—" : core::sideName(h.side);
    row.level = force.text(h.mean_force_n);
    released += h.release_s.has_value();
    row.release = releaseText(h.release_s, h.release_source, h.start_s);
    if (i < d.hold_edits.size() && d.hold_edits[i].edited()) {
      const engine::HoldEditState& es = d.hold_edits[i];
      const std::string detected = es.detected_release_s
                                       ? formatMinSec(*es.detected_release_s - h.start_s) + " " +
                                             releaseWords(es.detected_source)
                                       : std::string("not released");
      row.edited = true;
      switch (es.edit->kind) {
        case store::ReleaseEditKind::kConfirmed:
          row.release = detected + " \u2713 (you confirmed it)";
          break;
        case store::ReleaseEditKind::kMoved:
          row.release =
              detected + " \u2192 " + formatMinSec(*h.release_s - h.start_s) + " (you moved it)";
          break;
        case store::ReleaseEditKind::kDeleted:
          row.release = detected + " \u2192 none (you deleted it)";
          break;
        case store::ReleaseEditKind::kReverted:
          break;
      }
    }
    // The time-to-release colour (the edit's violet when edited), legible on the panel in both
    // themes.
    row.release_colour = readableOn(row.edited ? kMarkerMark : holdSpotColour(h), kPanel);
    for (const core::Marker& mk : d.markers) {
      const double t = markerTime_s(d, mk);
      if (t < h.start_s || t > h.end_s) continue;
      if (mk.kind == core::MarkerKind::kPain && mk.pain >= 0)
        row.pain += (row.pain.empty() ? "" : ", ") + std::to_string(mk.pain);
      if (mk.kind == core::MarkerKind::kNote && !mk.text.empty())
        row.notes += (row.notes.empty() ? "" : "; ") + mk.text;
    }
    if (h.steadiness) {
      char b[64];
      std::snprintf(b, sizeof b, "%.1f mm/s", h.steadiness->mean_velocity_mm_s);
      row.velocity = b;
      std::snprintf(b, sizeof b, "%.1f \u00d7 %.1f mm", h.steadiness->ml_range_mm,
                    h.steadiness->ap_range_mm);
      row.ranges = b;
      std::snprintf(b, sizeof b, "%.0f mm", h.steadiness->path_mm);
      row.path = b;
    } else {
      row.velocity = row.ranges = row.path = "none";
    }
    row.current = static_cast<int>(i) == current;
    row.selected = static_cast<int>(i) == selected;
    m.rows.push_back(std::move(row));
  }
  m.marks = d.markers.size();
  m.title = std::to_string(d.holds.size()) + (d.holds.size() == 1 ? " hold" : " holds") + " · " +
            std::to_string(released) + " released";
  if (selected >= 0) {
    const core::Hold& h = d.holds[static_cast<size_t>(selected)];
    HoldActions& a = m.actions;
    a.hold = selected;
    a.label = "Hold " + std::to_string(selected + 1);
    a.can_move = cursor_s >= h.start_s && cursor_s <= h.end_s;
    a.move_label = "release at " + formatMinSec(cursor_s - h.start_s);
    a.has_release = h.release_s.has_value();
    a.can_undo = static_cast<size_t>(selected) < d.hold_edits.size() &&
                 d.hold_edits[static_cast<size_t>(selected)].edited();
    if (!a.can_move) a.hint = "move the cursor into the hold to put the release there";
  }
  if (!d.orphaned_edits.empty())
    m.orphans = std::to_string(d.orphaned_edits.size()) +
                (d.orphaned_edits.size() == 1 ? " edit names a hold" : " edits name holds") +
                " the analysis no longer finds (kept; `rollrig show` lists them)";
  return m;
}

HoldsTableAction drawHoldsTable(const HoldsTableModel& m, HoldsTableState& st, const Rect& r,
                                const Fonts& f, SolidFills& fills) {
  HoldsTableAction act;
  fills.push_back({r, kPanel});
  if (!beginPanel("##holds_table", r)) {
    endPanel();
    return act;
  }
  ImGui::PushFont(f.normal);
  act.show_marks = drawHoldsMarksSwitch(false, m.rows.size(), m.marks);
  ImGui::TextUnformatted(m.title.c_str());
  // The selected hold's actions, or the note field while N is open.
  if (st.note_open) {
    ImGui::TextUnformatted("note at the cursor:");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-1);
    if (st.note_focus) ImGui::SetKeyboardFocusHere(), st.note_focus = false;
    if (ImGui::InputText("##replay_note", st.note.data(), st.note.size(),
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
      act.note = st.note.data();
      act.note_kept = !act.note.empty();
      st.note_open = false;
      st.note.fill('\0');
    } else if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
      st.note_open = false;  // dropped
      st.note.fill('\0');
    }
  } else if (m.actions.hold >= 0) {
    const HoldActions& a = m.actions;
    ImGui::TextUnformatted((a.label + ":").c_str());
    // Buttons flow onto the next line when the panel is narrow.
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    const auto button = [&](const std::string& label, bool enabled) {
      const ImGuiStyle& style = ImGui::GetStyle();
      const float w = ImGui::CalcTextSize(label.c_str()).x + style.FramePadding.x * 2;
      if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + w <= right) ImGui::SameLine();
      if (!enabled) ImGui::BeginDisabled();
      const bool pressed = ImGui::SmallButton(label.c_str());
      if (!enabled) ImGui::EndDisabled();
      return pressed;
    };
    if (button(a.has_release ? "✓ confirm" : "✓ confirm: none", true)) act.confirm = true;
    if (button(a.move_label, a.can_move)) act.move_to_cursor = true;
    if (!a.hint.empty() && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("%s", a.hint.c_str());
    if (button("no release", a.has_release)) act.no_release = true;
    if (button("undo edit", a.can_undo)) act.undo = true;
  } else {
    ImGui::TextColored(ImColor(col(kAxisText)), "%s",
                       "select a hold to confirm, move or delete its release; 0-9 pain, N note");
  }
  if (!m.status.empty())
    ImGui::TextColored(ImColor(col(m.status_error ? kError : kOk)), "%s", m.status.c_str());
  if (!m.orphans.empty()) ImGui::TextColored(ImColor(col(kWarning)), "%s", m.orphans.c_str());
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("##holds", 11, flags)) {
    ImGui::TableSetupScrollFreeze(1, 1);
    for (const char* name : {"#", "Start", "Length", "Side", "Level", "Release", "Pain", "Sway",
                             "ML \u00d7 AP", "Path", "Notes"})
      ImGui::TableSetupColumn(name);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < m.rows.size(); ++i) {
      const HoldRow& row = m.rows[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(i));
      if (ImGui::Selectable(row.number.c_str(), row.current || row.selected,
                            ImGuiSelectableFlags_SpanAllColumns))
        act.clicked = static_cast<int>(i);
      ImGui::PopID();
      for (const std::string* cell : {&row.start, &row.duration, &row.side, &row.level}) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(cell->c_str());
      }
      ImGui::TableNextColumn();
      ImGui::TextColored(ImColor(col(row.release_colour)), "%s", row.release.c_str());
      for (const std::string* cell :
           {&row.pain, &row.velocity, &row.ranges, &row.path, &row.notes}) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(cell->c_str());
      }
    }
    ImGui::EndTable();
  }
  ImGui::PopFont();
  endPanel();
  if (act.clicked >= 0) st.selected = act.clicked;
  return act;
}

}  // namespace rollrig::gui

#include "marks_table.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hold_panel.h"  // formatMinSec

namespace rollrig::gui {

double markerTime_s(const engine::SessionDetails& d, const core::Marker& m) {
  const uint64_t first = d.record.first_t_us.value_or(0);
  return m.t_us >= first ? static_cast<double>(m.t_us - first) / 1e6
                         : -static_cast<double>(first - m.t_us) / 1e6;
}

namespace {

std::string markWhat(const core::Marker& m) {
  switch (m.kind) {
    case core::MarkerKind::kPain:
      return "pain " + std::to_string(m.pain);
    case core::MarkerKind::kNote:
      return "note: " + m.text;
    case core::MarkerKind::kReleased:
      return "released (you pressed)";
    case core::MarkerKind::kSide:
      return std::string("side: ") +
             (m.side == core::Side::kUnknown ? "unknown" : core::sideName(m.side));
  }
  return "mark";
}

std::string markLabel(const core::Marker& m) {
  switch (m.kind) {
    case core::MarkerKind::kPain:
      return "Pain " + std::to_string(m.pain);
    case core::MarkerKind::kNote:
      return "Note";
    case core::MarkerKind::kReleased:
      return "Release mark";
    case core::MarkerKind::kSide:
      return "Side mark";
  }
  return "Mark";
}

}  // namespace

MarksTableModel computeMarksTable(const engine::SessionDetails& d, double cursor_s,
                                  int64_t selected_id) {
  MarksTableModel m;
  m.holds = d.holds.size();
  size_t later = 0;
  for (const store::StoredMarker& r : d.marker_rows) {
    if (!r.effective()) continue;
    MarkRow row;
    row.id = r.id;
    row.t_s = markerTime_s(d, r.marker);
    row.time = formatMinSec(std::max(0.0, row.t_s));
    row.what = markWhat(r.marker);
    for (size_t i = 0; i < d.holds.size(); ++i)
      if (row.t_s >= d.holds[i].start_s && row.t_s <= d.holds[i].end_s)
        row.hold = std::to_string(i + 1);
    row.origin = r.replaces ? "changed later" : r.added_utc.empty() ? "said live" : "added later";
    later += !r.added_utc.empty() || r.replaces.has_value();
    row.selected = r.id == selected_id;
    m.rows.push_back(std::move(row));
  }
  std::stable_sort(m.rows.begin(), m.rows.end(),
                   [](const MarkRow& a, const MarkRow& b) { return a.t_s < b.t_s; });
  // The playhead's mark: the latest at or before the cursor.
  for (size_t i = m.rows.size(); i-- > 0;)
    if (m.rows[i].t_s <= cursor_s + 1e-6) {
      m.rows[i].current = true;
      break;
    }
  m.title = later > 0 ? std::to_string(later) + " added or changed later" : "all said live";
  for (const store::StoredMarker& r : d.marker_rows) {
    if (r.id != selected_id || !r.effective()) continue;
    MarkActions& a = m.actions;
    const double t = markerTime_s(d, r.marker);
    a.id = r.id;
    a.kind = r.marker.kind;
    a.pain = r.marker.pain;
    a.text = r.marker.text;
    a.side = r.marker.side;
    a.label = markLabel(r.marker) + " at " + formatMinSec(std::max(0.0, t));
    a.can_move = std::abs(cursor_s - t) >= 0.05;
    a.move_label = "move to " + formatMinSec(cursor_s);
  }
  return m;
}

bool drawHoldsMarksSwitch(bool marks_shown, size_t holds, size_t marks) {
  bool picked = false;
  const auto tab = [&](const std::string& label, bool on) {
    if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImColor(col(kProtocolCurrent)).Value);
    if (ImGui::SmallButton(label.c_str()) && !on) picked = true;
    if (on) ImGui::PopStyleColor();
  };
  tab("Holds (" + std::to_string(holds) + ")", !marks_shown);
  ImGui::SameLine();
  tab("Marks (" + std::to_string(marks) + ")", marks_shown);
  ImGui::SameLine();
  return picked;
}

MarksTableAction drawMarksTable(const MarksTableModel& m, MarksTableState& st, const Rect& r,
                                const Fonts& f, SolidFills& fills) {
  MarksTableAction act;
  fills.push_back({r, kPanel});
  if (!beginPanel("##marks_table", r)) {
    endPanel();
    return act;
  }
  ImGui::PushFont(f.normal);
  act.show_holds = drawHoldsMarksSwitch(true, m.holds, m.rows.size());
  ImGui::TextUnformatted(m.title.c_str());
  const MarkActions& a = m.actions;
  if (a.id != 0) {
    if (st.text_for != a.id) {
      // A new selection: its values into the fields.
      st.text_for = a.id;
      st.text.fill('\0');
      std::strncpy(st.text.data(), a.text.c_str(), st.text.size() - 1);
      st.pain = a.pain;
    }
    ImGui::TextUnformatted((a.label + ":").c_str());
    // Buttons flow onto the next line when the panel is narrow.
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    const auto fits = [&](float w) {
      const ImGuiStyle& style = ImGui::GetStyle();
      if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + w <= right) ImGui::SameLine();
    };
    const auto button = [&](const std::string& label, bool enabled) {
      fits(ImGui::CalcTextSize(label.c_str()).x + ImGui::GetStyle().FramePadding.x * 2);
      if (!enabled) ImGui::BeginDisabled();
      const bool pressed = ImGui::SmallButton(label.c_str());
      if (!enabled) ImGui::EndDisabled();
      return pressed;
    };
    if (a.kind == core::MarkerKind::kPain) {
      const float w = 11 * ImGui::GetFontSize();
      fits(w);
      ImGui::SetNextItemWidth(w);
      ImGui::SliderInt("##mark_pain", &st.pain, 0, 10, "pain %d");
      if (ImGui::IsItemDeactivatedAfterEdit() && st.pain != a.pain) act.pain = st.pain;
    } else if (a.kind == core::MarkerKind::kNote) {
      const float w =
          std::max(8 * ImGui::GetFontSize(), (right - ImGui::GetCursorScreenPos().x) * 0.5f);
      fits(w);
      ImGui::SetNextItemWidth(w);
      if (ImGui::InputText("##mark_text", st.text.data(), st.text.size(),
                           ImGuiInputTextFlags_EnterReturnsTrue) &&
          std::strlen(st.text.data()) > 0 && a.text != st.text.data())
        act.text = std::string(st.text.data());
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Enter keeps the new text");
    } else if (a.kind == core::MarkerKind::kSide) {
      if (button("left", a.side != core::Side::kLeft)) act.side = core::Side::kLeft;
      if (button("right", a.side != core::Side::kRight)) act.side = core::Side::kRight;
    }
    if (button(a.move_label, a.can_move)) act.move_to_cursor = true;
    if (button("delete", true)) act.remove = true;
  } else {
    ImGui::TextColored(ImColor(col(kAxisText)), "%s",
                       "click a mark to go to it, then change or delete it");
  }
  if (!m.status.empty())
    ImGui::TextColored(ImColor(col(m.status_error ? kError : kOk)), "%s", m.status.c_str());
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("##marks", 4, flags)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Time");
    ImGui::TableSetupColumn("Hold");
    ImGui::TableSetupColumn("Mark", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("From");
    ImGui::TableHeadersRow();
    for (const MarkRow& row : m.rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(row.id));
      if (ImGui::Selectable(row.time.c_str(), row.current || row.selected,
                            ImGuiSelectableFlags_SpanAllColumns))
        act.clicked = row.id, act.clicked_t_s = row.t_s;
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.hold.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.what.c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(
          ImColor(col(row.origin == "said live" ? kAxisText : readableOn(kMarkerMark, kPanel))),
          "%s", row.origin.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::PopFont();
  endPanel();
  if (act.clicked) st.selected_id = act.clicked;
  return act;
}

}  // namespace rollrig::gui

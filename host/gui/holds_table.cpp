#include "holds_table.h"

#include <imgui.h>

#include <cstdio>

#include "hold_panel.h"  // formatMinSec
#include "plate_view.h"  // holdSpotColour

namespace rollrig::gui {

namespace {

// Session seconds of a marker (device time since the session's first sample).
double markerTime_s(const engine::SessionDetails& d, const core::Marker& m) {
  const uint64_t first = d.record.first_t_us.value_or(0);
  return m.t_us >= first ? static_cast<double>(m.t_us - first) / 1e6
                         : -static_cast<double>(first - m.t_us) / 1e6;
}

std::string releaseWords(const std::string& source) {
  if (source == "marker") return "you pressed";
  return source;
}

}  // namespace

HoldsTableModel computeHoldsTable(const engine::SessionDetails& d, const ForceFormat& force,
                                  double cursor_s) {
  HoldsTableModel m;
  size_t released = 0;
  for (size_t i = 0; i < d.holds.size(); ++i) {
    const core::Hold& h = d.holds[i];
    HoldRow row;
    row.number = std::to_string(i + 1);
    row.start = formatMinSec(h.start_s);
    row.duration = formatMinSec(h.duration_s());
    row.side = h.side == core::Side::kUnknown ? "—" : core::sideName(h.side);
    row.level = force.text(h.mean_force_n);
    if (h.release_s) {
      ++released;
      row.release = formatMinSec(*h.release_s - h.start_s) + " " + releaseWords(h.release_source);
    } else {
      row.release = "not released";
    }
    row.release_colour = holdSpotColour(h);
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
    row.current = cursor_s >= h.start_s && cursor_s <= h.end_s;
    m.rows.push_back(std::move(row));
  }
  m.title = std::to_string(d.holds.size()) + (d.holds.size() == 1 ? " hold" : " holds") + " · " +
            std::to_string(released) + " released";
  return m;
}

int drawHoldsTable(const HoldsTableModel& m, const Rect& r, const Fonts& f, SolidFills& fills) {
  int clicked = -1;
  fills.push_back({r, kPanel});
  if (!beginPanel("##holds_table", r)) {
    endPanel();
    return clicked;
  }
  ImGui::PushFont(f.normal);
  ImGui::TextUnformatted(("Holds: " + m.title + " (click one to go to it)").c_str());
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
      if (ImGui::Selectable(row.number.c_str(), row.current, ImGuiSelectableFlags_SpanAllColumns))
        clicked = static_cast<int>(i);
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
  return clicked;
}

}  // namespace rollrig::gui

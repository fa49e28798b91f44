#include "sessions_view.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "hold_panel.h"  // formatMinSec

namespace rollrig::gui {

// [SECTION] Reading the list

store::StoreError openLibraryForReading(store::SessionStore& st, const std::string& path) {
  store::OpenOptions ro;
  ro.mode = store::OpenMode::kReadOnly;
  store::StoreError e = st.open(path, ro);
  if (e.kind != store::StoreErrorKind::kReadOnly) return e;
  {
    store::SessionStore upgrade;  // read-write: migrates an older schema, then closes
    if (upgrade.open(path)) return e;
  }
  return st.open(path, ro);
}

void LibraryBrowser::refresh() {
  m_loaded = true;
  m_error.clear();
  std::error_code ec;
  if (!std::filesystem::exists(m_path, ec)) {
    m_sessions.clear();
    m_error =
        "No session library yet at " + m_path + ": record a session (Live) and it appears here.";
    return;
  }
  store::SessionStore st;
  if (store::StoreError e = openLibraryForReading(st, m_path)) {
    m_error = e.message;
    return;  // the last list read stays on screen
  }
  std::vector<store::SessionListEntry> list;
  if (store::StoreError e = st.listSessions(&list)) {
    m_error = e.message;
    return;
  }
  m_sessions = std::move(list);
}

// [SECTION] The model

bool localDateTime(const std::string& utc, std::string* date, std::string* weekday,
                   std::string* hh_mm) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(utc.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return false;
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
  const time_t t = timegm(&tm);
  std::tm local{};
  if (t == static_cast<time_t>(-1) || !localtime_r(&t, &local)) return false;
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d", &local);
  *date = b;
  std::strftime(b, sizeof b, "%a", &local);
  *weekday = b;
  std::strftime(b, sizeof b, "%H:%M", &local);
  *hh_mm = b;
  return true;
}

namespace {

bool hasSide(const std::string& sides, const char* side) {
  return sides.find(side) != std::string::npos;
}

}  // namespace

SessionsViewModel computeSessionsView(const std::vector<store::SessionListEntry>& sessions,
                                      const SessionsFilter& filter, const std::string& error) {
  SessionsViewModel m;
  m.error = error;
  for (auto it = sessions.rbegin(); it != sessions.rend(); ++it) {  // newest first
    const store::SessionListEntry& e = *it;
    SessionRow row;
    row.id = e.id;
    std::string date, weekday, hh_mm;
    if (localDateTime(e.started_utc, &date, &weekday, &hh_mm)) {
      row.date = weekday + " " + date;
      row.time = hh_mm;
    } else {
      row.date = e.started_utc.empty() ? "unknown" : e.started_utc;
    }
    if (!filter.date.empty() && date.compare(0, filter.date.size(), filter.date) != 0) continue;
    if (filter.side == SessionsFilter::Side::kLeft && !hasSide(e.sides, "left")) continue;
    if (filter.side == SessionsFilter::Side::kRight && !hasSide(e.sides, "right")) continue;
    row.duration = formatDuration(e.duration_s);
    char serial[16];
    std::snprintf(serial, sizeof serial, "%08X", e.device_serial);
    row.device = e.device_serial ? serial : "—";
    row.sides = e.sides.empty() ? "—" : e.sides;
    std::replace(row.sides.begin(), row.sides.end(), ',', '/');
    row.holds = std::to_string(e.holds);
    row.releases = e.holds ? std::to_string(e.releases) + " of " + std::to_string(e.holds) : "—";
    if (e.recording) {
      row.status = "recording now", row.status_colour = kOk;
    } else if (e.end_reason.empty()) {
      row.status = "unfinished", row.status_colour = kWarning;
    } else {
      row.status = e.end_reason;
      if (e.end_reason == store::kEndRecovered || e.end_reason == store::kEndError)
        row.status_colour = kWarning;
    }
    m.rows.push_back(std::move(row));
  }
  if (sessions.empty())
    m.summary = "no sessions yet";
  else if (m.rows.size() == sessions.size())
    m.summary = std::to_string(sessions.size()) + (sessions.size() == 1 ? " session" : " sessions");
  else
    m.summary =
        std::to_string(m.rows.size()) + " of " + std::to_string(sessions.size()) + " sessions";
  return m;
}

// [SECTION] Drawing

SessionsViewAction drawSessionsView(const SessionsViewModel& m, SessionsViewState& state,
                                    const Rect& r, const Fonts& f, SolidFills& fills) {
  SessionsViewAction act;
  fills.push_back({r, kPanel});
  if (!beginPanel("##sessions", r)) {
    endPanel();
    return act;
  }
  const float s = f.scale;
  ImGui::PushFont(f.normal);
  ImGui::TextUnformatted("Date");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(160 * s);
  if (ImGui::InputTextWithHint("##date", "YYYY-MM-DD", state.date, sizeof state.date))
    state.selected_id = 0;
  ImGui::SameLine(0, 24 * s);
  ImGui::TextUnformatted("Side");
  ImGui::SameLine();
  ImGui::RadioButton("any", &state.side, 0);
  ImGui::SameLine();
  ImGui::RadioButton("left", &state.side, 1);
  ImGui::SameLine();
  ImGui::RadioButton("right", &state.side, 2);
  ImGui::SameLine(0, 24 * s);
  if (ImGui::Button("Refresh")) state.refresh_asked = true;
  ImGui::SameLine(0, 24 * s);
  ImGui::TextColored(ImColor(col(kAxisText)), "%s", m.summary.c_str());
  if (state.selected_id) {
    ImGui::SameLine(0, 24 * s);
    if (ImGui::Button("Open (Enter)")) act.open_id = state.selected_id;
  }
  if (!m.error.empty()) ImGui::TextColored(ImColor(col(kError)), "%s", m.error.c_str());

  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
  if (ImGui::BeginTable("##sessions_table", 8, flags, ImVec2(0, 0))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Date", ImGuiTableColumnFlags_None, 2.2f);
    ImGui::TableSetupColumn("Time", ImGuiTableColumnFlags_None, 0.9f);
    ImGui::TableSetupColumn("Length", ImGuiTableColumnFlags_None, 1.0f);
    ImGui::TableSetupColumn("Sides", ImGuiTableColumnFlags_None, 1.3f);
    ImGui::TableSetupColumn("Holds", ImGuiTableColumnFlags_None, 0.8f);
    ImGui::TableSetupColumn("Released", ImGuiTableColumnFlags_None, 1.1f);
    ImGui::TableSetupColumn("Device", ImGuiTableColumnFlags_None, 1.2f);
    ImGui::TableSetupColumn("Ended", ImGuiTableColumnFlags_None, 2.0f);
    ImGui::TableHeadersRow();
    for (const SessionRow& row : m.rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(row.id));
      const bool selected = row.id == state.selected_id;
      if (ImGui::Selectable(
              row.date.c_str(), selected,
              ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
        state.selected_id = row.id;
        if (ImGui::IsMouseDoubleClicked(0)) act.open_id = row.id;
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.time.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.duration.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.sides.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.holds.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.releases.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.device.c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(ImColor(col(row.status_colour)), "%s", row.status.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::PopFont();
  endPanel();
  return act;
}

}  // namespace rollrig::gui

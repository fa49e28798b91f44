#include "replay_bar.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "hold_panel.h"  // formatMinSec
#include "plate_view.h"  // holdSpotColour
#include "sessions_view.h"

namespace rollrig::gui {

ReplayBarModel computeReplayBar(const engine::SessionDetails& d, double duration_s, double cursor_s,
                                bool playing, double speed, const Rect& r, float scale) {
  ReplayBarModel m;
  std::string date, weekday, hh_mm;
  m.title = "Session " + std::to_string(d.record.id);
  if (localDateTime(d.record.info.started_utc, &date, &weekday, &hh_mm))
    m.title += " · " + weekday + " " + date + " " + hh_mm;
  if (!d.record.info.sides.empty()) {
    std::string sides = d.record.info.sides;
    std::replace(sides.begin(), sides.end(), ',', '/');
    m.title += " · " + sides;
  }
  m.position = formatDuration(cursor_s) + " / " + formatDuration(duration_s);
  m.playing = playing;
  m.speed = speed;
  m.duration_s = duration_s;
  const float pad = 12 * scale;
  m.track = {r.x0 + pad, r.y0 + 50 * scale, r.x1 - pad, r.y1 - 8 * scale};
  const auto xAt = [&](double t) {
    const double u = duration_s > 0 ? std::clamp(t / duration_s, 0.0, 1.0) : 0.0;
    return static_cast<float>(m.track.x0 + u * m.track.width());
  };
  m.cursor_x = xAt(cursor_s);
  for (size_t i = 0; i < d.holds.size(); ++i) {
    const core::Hold& h = d.holds[i];
    ReplayHoldMark mark;
    mark.x0 = xAt(h.start_s);
    mark.x1 = std::max(xAt(h.end_s), mark.x0 + 2 * scale);  // a short hold stays visible
    mark.colour = holdSpotColour(h);
    mark.label = std::to_string(i + 1);
    m.holds.push_back(mark);
  }
  return m;
}

double replayTimeAt(const ReplayBarModel& m, float x) {
  if (m.track.width() <= 0) return 0;
  const double u = std::clamp((x - m.track.x0) / m.track.width(), 0.0f, 1.0f);
  return u * m.duration_s;
}

ReplayBarAction drawReplayBar(const ReplayBarModel& m, const Rect& r, const Fonts& f,
                              SolidFills& fills) {
  ReplayBarAction act;
  fills.push_back({r, kPanel});
  if (!beginPanel("##replay_bar", r)) {
    endPanel();
    return act;
  }
  const float s = f.scale;
  ImGui::PushFont(f.normal);
  if (ImGui::Button("< Sessions")) act.back = true;
  ImGui::SameLine(0, 18 * s);
  if (ImGui::Button(m.playing ? "Pause (space)" : "Play (space)", ImVec2(150 * s, 0)))
    act.toggle_play = true;
  for (const double x : {1.0, 4.0, 16.0}) {
    ImGui::SameLine();
    const bool on = std::fabs(m.speed - x) < 1e-9;
    if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImColor(col(kProtocolCurrent)).Value);
    const std::string label = std::to_string(static_cast<int>(x)) + "x";
    if (ImGui::Button(label.c_str())) act.speed = x;
    if (on) ImGui::PopStyleColor();
  }
  ImGui::SameLine(0, 18 * s);
  if (ImGui::Button("Export")) act.toggle_export = true;
  ImGui::SameLine(0, 24 * s);
  ImGui::TextUnformatted(m.title.c_str());
  const ImVec2 pos_size = ImGui::CalcTextSize(m.position.c_str());
  ImGui::SameLine(std::max(ImGui::GetCursorPosX(), r.width() - pos_size.x - 12 * s));
  ImGui::TextUnformatted(m.position.c_str());

  // The scrubber: an invisible button over the track; the holds and the cursor drawn on it.
  const Rect& t = m.track;
  ImGui::SetCursorScreenPos(ImVec2(t.x0, t.y0));
  ImGui::InvisibleButton("##scrubber",
                         ImVec2(std::max(1.0f, t.width()), std::max(1.0f, t.height())));
  if (ImGui::IsItemActive()) act.seek_s = replayTimeAt(m, ImGui::GetIO().MousePos.x);
  fills.push_back({t, kPlate});
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (size_t i = 0; i < m.holds.size(); ++i) {
    const ReplayHoldMark& h = m.holds[i];
    dl->AddRectFilled(ImVec2(h.x0, t.y0 + 3 * s), ImVec2(h.x1, t.y1 - 3 * s), col(h.colour));
    const ImVec2 ls = textSize(f.normal, f.normal_px * 0.8f, h.label);
    if (h.x1 - h.x0 >= ls.x + 4 * s)
      text(dl, f.normal, f.normal_px * 0.8f,
           ImVec2((h.x0 + h.x1 - ls.x) / 2, (t.y0 + t.y1 - ls.y) / 2), kDarkText, h.label);
  }
  dl->AddLine(ImVec2(m.cursor_x, t.y0 - 4 * s), ImVec2(m.cursor_x, t.y1 + 4 * s), col(kLightText),
              3 * s);
  ImGui::PopFont();
  endPanel();
  return act;
}

}  // namespace rollrig::gui

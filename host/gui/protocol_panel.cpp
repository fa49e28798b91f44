#include "protocol_panel.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>

#include "hold_panel.h"  // formatMinSec, formatDuration

namespace rollrig::gui {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string rollingTotals(const core::ProtocolStepView& s) {
  return std::to_string(s.holds) + (s.holds == 1 ? " hold" : " holds") + " \u00b7 " +
         std::to_string(s.holds_worked) + " worked through";
}

std::string stretchTotals(const core::ProtocolStepView& s, const core::ProtocolGuideParams& p) {
  return "stretch " + formatMinSec(s.stretch_total_s) + " of " + formatMinSec(p.stretch_total_s);
}

}  // namespace

ProtocolPanelModel computeProtocolPanel(const core::ProtocolGuideView& v,
                                        const core::ProtocolGuideParams& p) {
  ProtocolPanelModel m;
  const int n = static_cast<int>(v.steps.size());
  m.active = v.current >= 0 && !v.finished;
  m.finished = v.finished;
  for (int i = 0; i < n; ++i) {
    const core::ProtocolStepView& s = v.steps[i];
    ProtocolPanelModel::Row row;
    row.current = i == v.current && !v.finished;
    row.done = s.done;
    row.chip = std::string(s.done ? "\u2713 " : "") + (s.side == core::Side::kLeft ? "L " : "R ") +
               (s.kind == core::ProtocolStepKind::kRolling ? "roll" : "stretch");
    row.text = s.name;
    if (s.started)
      row.text += "  " + formatDuration(s.time_s) + " \u00b7 " +
                  (s.kind == core::ProtocolStepKind::kRolling
                       ? std::to_string(s.holds_worked) + "/" + std::to_string(s.holds) + " holds"
                       : formatMinSec(s.stretch_total_s) + " stretch");
    m.rows.push_back(row);
  }
  if (v.current < 0) {
    m.current = "PROTOCOL";
    m.totals = "starts with the first sample";
    m.keys = "Tab next step \u00b7 N note";
    return m;
  }
  m.total = "total " + formatDuration(v.total_s);
  if (v.finished) {
    m.current = "ALL FOUR STEPS DONE";
    m.totals = "well done";
    m.keys = "N note";
    return m;
  }
  const core::ProtocolStepView& s = v.steps[v.current];
  m.current = std::to_string(v.current + 1) + "/" + std::to_string(n) + "  " + upper(s.name);
  m.step_timer = formatDuration(s.time_s);
  m.cue = v.cue;
  if (s.kind == core::ProtocolStepKind::kRolling) {
    m.totals = rollingTotals(s);
    m.keys = "Tab next step \u00b7 N note \u00b7 space released";
  } else {
    m.totals = stretchTotals(s, p);
    if (s.stretch_running) {
      // The running stretch hold takes the band's big timer (in its colour); the step's time
      // moves to the line beside it.
      m.step_timer = formatMinSec(s.stretch_current_s);
      m.stretch_hold = "this hold (" + std::to_string(static_cast<int>(p.stretch_hold_min_s)) +
                       "\u2013" + std::to_string(static_cast<int>(p.stretch_hold_max_s)) +
                       " s) \u00b7 step " + formatDuration(s.time_s);
      m.stretch_colour = s.stretch_current_s < p.stretch_hold_min_s    ? kBeforeWindowField
                         : s.stretch_current_s <= p.stretch_hold_max_s ? kProtocolCue
                                                                       : kError;
    }
    m.keys = s.stretch_running ? "SPACE stops the stretch hold \u00b7 Tab next"
                               : "SPACE starts a stretch hold \u00b7 Tab next";
  }
  return m;
}

SettingsRowLayout settingsRowLayout(float avail_w) {
  const ImGuiStyle& st = ImGui::GetStyle();
  const float frame_h = ImGui::GetFrameHeight(), sp = st.ItemSpacing.x, in = st.ItemInnerSpacing.x;
  const auto tw = [](const char* t) { return ImGui::CalcTextSize(t).x; };
  const float radios = 2 * (frame_h + in) + tw("N") + tw("% BW") + 2 * sp;
  const float value = tw("300") + st.FramePadding.x;  // room for "70", "300" just fits
  const float buttons = 2 * (frame_h + in);
  const float kg = in + tw("kg");
  const float label = tw("force in") + sp;
  SettingsRowLayout l;
  l.label = label + radios + value + buttons + kg <= avail_w;
  l.buttons = (l.label ? label : 0) + radios + value + buttons + kg <= avail_w;
  l.mass_w = value + (l.buttons ? buttons : 0);
  l.width = (l.label ? label : 0) + radios + l.mass_w + kg;
  return l;
}

ProtocolPanelAction drawProtocolPanel(const ProtocolPanelModel& m, ProtocolPanelState& st,
                                      GuiSettings& settings, const Rect& r, const Fonts& f,
                                      SolidFills& fills) {
  ProtocolPanelAction act;
  if (!beginPanel("##protocol", r, true)) {
    endPanel();
    return act;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  const float pad = 12.0f * s;
  const float w = r.width() - 2 * pad;
  fills.push_back({r, kPanel});

  // The current step: a teal band, its name and timer large, its totals and the stretch hold.
  float y = r.y0 + pad * 0.5f;
  const float large = std::min(f.large_px, fitPx(f.large, f.large_px, m.current, w));
  const float timer_px = f.large_px * 1.3f;
  const bool has_timer = !m.step_timer.empty();
  const float band_h = large * 1.25f + (has_timer ? timer_px * 1.15f : f.normal_px * 1.4f);
  fills.push_back({Rect{r.x0 + pad * 0.5f, y, r.x1 - pad * 0.5f, y + band_h},
                   m.active ? kProtocolCurrent : kNoHoldField});
  text(dl, f.large, large, ImVec2(r.x0 + pad, y + 2 * s), kLightText, m.current);
  y += large * 1.25f;
  if (has_timer) {
    // A running stretch hold's timer sits on a chip of its window colour, in whichever text reads
    // best on it, so it stays high-contrast on the band in both themes (theme.h).
    Rgb timer_text = kLightText;
    if (!m.stretch_hold.empty()) {
      const float chip_w = textSize(f.large, timer_px, m.step_timer).x;
      fills.push_back({Rect{r.x0 + pad - 4 * s, y, r.x0 + pad + chip_w + 4 * s, y + timer_px},
                       m.stretch_colour});
      timer_text = textOn(m.stretch_colour);
    }
    text(dl, f.large, timer_px, ImVec2(r.x0 + pad, y), timer_text, m.step_timer);
    const float tx = r.x0 + pad + textSize(f.large, timer_px, m.step_timer).x + pad * 1.5f;
    const float tw = r.x1 - pad - tx;
    if (!m.stretch_hold.empty()) {
      const float px =
          std::min(f.normal_px * 1.2f, fitPx(f.normal, f.normal_px * 1.2f, m.totals, tw));
      text(dl, f.normal, px, ImVec2(tx, y + 2 * s), kLightText, m.totals);
      const float hp = fitPx(f.normal, f.normal_px * 1.2f, m.stretch_hold, tw);
      text(dl, f.normal, hp, ImVec2(tx, y + px * 1.2f), kLightText, m.stretch_hold);
    } else {
      const float px = fitPx(f.normal, f.normal_px * 1.2f, m.totals, tw);
      text(dl, f.normal, px, ImVec2(tx, y + (timer_px - px) * 0.5f), kLightText, m.totals);
    }
    y += timer_px * 1.15f;
  } else {
    text(dl, f.normal, f.normal_px, ImVec2(r.x0 + pad, y), kLightText, m.totals);
    y += f.normal_px * 1.4f;
  }
  y += pad * 0.4f;

  // The gentle cue.
  if (!m.cue.empty()) {
    dl->AddText(f.normal, f.normal_px, ImVec2(r.x0 + pad, y), col(kProtocolCue), m.cue.c_str(),
                nullptr, w);
    y += f.normal->CalcTextSizeA(f.normal_px, 1e9f, w, m.cue.c_str()).y + pad * 0.3f;
  }

  // The steps as chips (the current one in the band's colour), then the total so far.
  const float row_px = f.normal_px;
  const int n = static_cast<int>(m.rows.size());
  const float cgap = 4 * s, chip_w = (w - cgap * (n - 1)) / std::max(1, n);
  const float chip_h = row_px * 1.4f;
  for (int i = 0; i < n; ++i) {
    const ProtocolPanelModel::Row& row = m.rows[i];
    const float cx0 = r.x0 + pad + i * (chip_w + cgap);
    const Rgb fill = row.current ? kProtocolCurrent : row.done ? kGrid : kBackground;
    fills.push_back({Rect{cx0, y, cx0 + chip_w, y + chip_h}, fill});
    const float px = std::min(row_px, fitPx(f.normal, row_px, row.chip, chip_w - 6 * s));
    textCentered(dl, f.normal, px, cx0, cx0 + chip_w, y + (chip_h - px) * 0.5f,
                 row.current ? kLightText
                 : row.done  ? kProtocolDone
                             : kAxisText,
                 row.chip);
    if (ImGui::IsMouseHoveringRect(ImVec2(cx0, y), ImVec2(cx0 + chip_w, y + chip_h)))
      ImGui::SetTooltip("%s", row.text.c_str());
  }
  y += chip_h + pad * 0.4f;
  if (!m.total.empty()) {
    text(dl, f.normal, row_px, ImVec2(r.x0 + pad, y), kAxisText, m.total);
    y += row_px * 1.2f;
  }

  // Bottom: the note field (when open) or the keys, then the settings row.
  const float frame_h = ImGui::GetFrameHeight();
  const float settings_y = r.y1 - pad * 0.5f - frame_h;
  // When the cue wrapped and the rows above reach down, there is no line left for the keys: they
  // go (the plate view lists them too), and an open note field takes the settings row's place.
  const bool keys_fit = y + frame_h <= settings_y - pad * 0.25f;
  const float keys_y = keys_fit ? std::max(y, settings_y - frame_h - pad * 0.5f) : settings_y;
  const bool settings_shown = keys_fit || !st.note_open;
  if (!st.settings_error.empty()) {
    // Shown as state, above the keys; hovering shows the whole message.
    const std::string what = st.settings_error.find("not valid") != std::string::npos
                                 ? "settings file not valid: defaults used (hover)"
                                 : "settings not saved or read (hover)";
    const float ey = keys_y - f.normal_px * 1.3f;
    const float ep = fitPx(f.normal, f.normal_px, what, w);
    text(dl, f.normal, ep, ImVec2(r.x0 + pad, ey), kError, what);
    if (ImGui::IsMouseHoveringRect(ImVec2(r.x0, ey), ImVec2(r.x1, ey + f.normal_px * 1.3f)))
      ImGui::SetTooltip("%s", st.settings_error.c_str());
  }
  if (st.note_open) {
    ImGui::SetCursorScreenPos(ImVec2(r.x0 + pad, keys_y));
    ImGui::TextUnformatted("note:");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(r.x1 - pad - ImGui::GetCursorScreenPos().x);
    if (st.note_focus) ImGui::SetKeyboardFocusHere(), st.note_focus = false;
    if (ImGui::InputText("##note", st.note.data(), st.note.size(),
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
      act.note = st.note.data();
      act.note_kept = !act.note.empty();
      st.note_open = false;
      st.note.fill('\0');
    } else if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
      st.note_open = false;  // dropped
      st.note.fill('\0');
    }
  } else if (keys_fit) {
    const float kp = fitPx(f.normal, f.normal_px, m.keys, w);
    text(dl, f.normal, kp, ImVec2(r.x0 + pad, keys_y + (frame_h - kp) * 0.5f), kWarning, m.keys);
  }
  if (!settings_shown) {
    endPanel();
    return act;
  }

  // The settings row: "force in", the unit, the mass with its -/+ buttons and "kg" when they fit;
  // in a narrow panel first the words go, then the buttons (the mass is still typed in).
  const SettingsRowLayout row = settingsRowLayout(w);
  ImGui::SetCursorScreenPos(ImVec2(r.x0 + pad, settings_y));
  if (row.label) {
    ImGui::TextUnformatted("force in");
    ImGui::SameLine();
  }
  int unit = settings.force_unit == ForceUnit::kBodyWeight ? 1 : 0;
  bool changed = ImGui::RadioButton("N", &unit, 0);
  ImGui::SameLine();
  changed |= ImGui::RadioButton("% BW", &unit, 1);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(row.mass_w, r.x1 - pad - ImGui::GetCursorScreenPos().x -
                                                   ImGui::CalcTextSize("kg").x -
                                                   ImGui::GetStyle().ItemInnerSpacing.x));
  double mass = settings.body_mass_kg;
  if (ImGui::InputDouble("kg", &mass, row.buttons ? 1.0 : 0.0, row.buttons ? 5.0 : 0.0, "%.0f")) {
    mass = std::clamp(mass, kMinBodyMass_kg, kMaxBodyMass_kg);
    changed |= mass != settings.body_mass_kg;
    settings.body_mass_kg = mass;
  }
  if (changed) {
    settings.force_unit = unit == 1 ? ForceUnit::kBodyWeight : ForceUnit::kNewton;
    act.settings_changed = true;
  }
  endPanel();
  return act;
}

}  // namespace rollrig::gui

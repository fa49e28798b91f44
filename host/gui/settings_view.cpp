#include "settings_view.h"

#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace rollrig::gui {

namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%g", v);
  return b;
}

bool sameProtocol(const core::ProtocolGuideParams& a, const core::ProtocolGuideParams& b) {
  GuiSettings x, y;
  x.protocol = a;
  y.protocol = b;
  return x == y;
}

std::string windowWords(double min_s, double max_s) {
  return num(min_s) + "\u2013" + num(max_s) + " s";
}

}  // namespace

NewSessionSettings newSessionSettings(const GuiSettings& s) {
  NewSessionSettings n;
  n.ball = s.ball;
  n.body_mass_kg = s.body_mass_kg;
  n.protocol_min_s = s.protocol.hold_min_s;
  n.protocol_max_s = s.protocol.hold_max_s;
  n.cues = s.cues != CueMode::kOff;
  return n;
}

void syncSettingsDraft(SettingsViewState& st, const GuiSettings& settings) {
  if (st.pending && settings == st.base) return;  // the user is still fixing an edit
  st.draft = settings;
  st.base = settings;
  st.pending = false;
}

SettingsApplied applySettingsDraft(SettingsViewState& st, GuiSettings& settings) {
  SettingsApplied a;
  if (!settingsProblems(st.draft).empty()) {
    st.pending = st.draft != settings;
    return a;
  }
  st.pending = false;
  if (st.draft == settings) return a;
  a.changed = true;
  a.theme = st.draft.theme != settings.theme;
  a.font_scale = st.draft.font_scale != settings.font_scale;
  const NewSessionSettings was = newSessionSettings(settings), now = newSessionSettings(st.draft);
  a.new_sessions = was.ball != now.ball || was.body_mass_kg != now.body_mass_kg ||
                   was.cues != now.cues || !sameProtocol(settings.protocol, st.draft.protocol);
  settings = st.draft;
  st.base = settings;
  return a;
}

SettingsViewModel computeSettingsView(const GuiSettings& draft, const GuiSettings& settings,
                                      const SettingsContext& ctx) {
  SettingsViewModel m;
  const std::vector<SettingsProblem> problems = settingsProblems(draft);
  for (const SettingsProblem& p : problems) {
    std::string* slot = p.key == "body_mass_kg"                    ? &m.mass_problem
                        : p.key == "ball"                          ? &m.ball_problem
                        : p.key.rfind("protocol.hold_", 0) == 0    ? &m.hold_problem
                        : p.key.rfind("protocol.rolling_", 0) == 0 ? &m.move_on_problem
                        : p.key.rfind("protocol.stretch_", 0) == 0 ? &m.stretch_problem
                        : p.key == "font_scale"                    ? &m.font_problem
                                                                   : &m.other_problem;
    if (slot->empty()) *slot = p.message;
  }
  m.you_note =
      "The force unit and body mass change every panel at once; the body mass and the ball are "
      "stored with each new session.";
  m.protocol_note =
      "From the next session: the guide's steps and move-on cue, and the hold "
      "panel's protocol window.";
  m.window_note = "At once (the fonts are rebuilt).";
  m.defaults_protocol = sameProtocol(draft.protocol, core::ProtocolGuideParams{});

  if (ctx.recording) {
    const NewSessionSettings& s = ctx.session;
    m.session_note = "The session recording now keeps what it started with: holds " +
                     windowWords(s.protocol_min_s, s.protocol_max_s) + ", ball " +
                     (s.ball.empty() ? std::string("not said") : "\"" + s.ball + "\"") +
                     (s.body_mass_kg ? ", " + num(*s.body_mass_kg) + " kg" : std::string()) + ".";
    const NewSessionSettings next = newSessionSettings(settings);
    if (next.protocol_min_s != s.protocol_min_s || next.protocol_max_s != s.protocol_max_s ||
        next.ball != s.ball || next.body_mass_kg != s.body_mass_kg ||
        !sameProtocol(settings.protocol, ctx.guide))
      m.session_note += " Your changes apply from the next session.";
  }

  if (!problems.empty()) {
    m.status = "Not saved: " + problems.front().message + ".";
    m.status_colour = kError;
  } else if (!ctx.file_error.empty()) {
    m.status = ctx.file_error;
    m.status_colour = kError;
  } else if (ctx.path.empty()) {
    m.status =
        "No config directory (set HOME or ROLLRIG_CONFIG_DIR): changes last until the "
        "window closes.";
    m.status_colour = kWarning;
  } else {
    m.status = "Changes are saved at once in " + ctx.path;
    m.status_colour = kAxisText;
  }
  return m;
}

// [SECTION] Drawing

namespace {

struct Columns {
  float x_label, x_edit, x_note, x_end;
};

void problemOrNote(const Columns& c, float y, const std::string& problem, const Fonts& f) {
  if (problem.empty()) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = c.x_end - c.x_note;
  const float px = std::max(f.normal_px * 0.75f, fitPx(f.normal, f.normal_px, problem, w));
  dl->AddText(f.normal, px, ImVec2(c.x_note, y + (ImGui::GetFrameHeight() - px) * 0.5f),
              col(kError), problem.c_str(), nullptr, w);
  if (ImGui::IsMouseHoveringRect(ImVec2(c.x_note, y), ImVec2(c.x_end, y + ImGui::GetFrameHeight())))
    ImGui::SetTooltip("%s", problem.c_str());
}

void label(const Columns& c, float y, const char* s) {
  ImGui::SetCursorScreenPos(
      ImVec2(c.x_label, y + (ImGui::GetFrameHeight() - ImGui::GetTextLineHeight()) * 0.5f));
  ImGui::TextUnformatted(s);
  ImGui::SetCursorScreenPos(ImVec2(c.x_edit, y));
}

// A whole-second field with -/+ (steps of `step` s). True when edited.
bool seconds(const char* id, double* v, double step, float w) {
  ImGui::SetNextItemWidth(w);
  return ImGui::InputDouble(id, v, step, step * 5, "%.0f");
}

}  // namespace

void drawSettingsView(const SettingsViewModel& m, SettingsViewState& st, const Rect& r,
                      const Fonts& f, SolidFills& fills) {
  fills.push_back({r, kPanel});
  if (!beginPanel("##settings", r)) return endPanel();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float s = f.scale;
  const float pad = 16 * s;
  const float frame_h = ImGui::GetFrameHeight();
  const float row_h = frame_h + 6 * s;
  const float in = ImGui::GetStyle().ItemInnerSpacing.x;
  Columns c;
  c.x_label = r.x0 + pad;
  c.x_end = r.x1 - pad;
  c.x_edit =
      c.x_label +
      std::max(ImGui::CalcTextSize("Rolling holds").x, ImGui::CalcTextSize("Move on after").x) +
      2 * pad;
  // The editors take what they need; the problems get the rest (at least a third).
  const float edit_w =
      std::min(560 * s * (f.normal_px / (kFontNormal_px * s)), (c.x_end - c.x_edit) * 0.62f);
  c.x_note = c.x_edit + edit_w + pad;
  const float num_w =
      ImGui::CalcTextSize("0000").x + 2 * (frame_h + in) + 2 * ImGui::GetStyle().FramePadding.x;
  float y = r.y0 + pad * 0.5f - ImGui::GetScrollY();
  bool edited = false;
  GuiSettings& d = st.draft;

  const auto heading = [&](const char* title, const std::string& note) {
    const float hp = f.large_px * 0.75f;
    text(dl, f.large, hp, ImVec2(c.x_label, y), kLightText, title);
    const float nx = c.x_label + textSize(f.large, hp, title).x + pad;
    const float np = fitPx(f.normal, f.normal_px, note, c.x_end - nx);
    text(dl, f.normal, np, ImVec2(nx, y + (hp - np) * 0.6f), kAxisText, note);
    y += hp * 1.35f;
  };

  // [SECTION] You
  heading("You", m.you_note);
  ImGui::PushID("you");
  label(c, y, "Body mass");
  ImGui::SetNextItemWidth(num_w);
  edited |= ImGui::InputDouble("kg##mass", &d.body_mass_kg, 1.0, 5.0, "%.0f");
  problemOrNote(c, y, m.mass_problem, f);
  y += row_h;
  label(c, y, "Force in");
  int unit = d.force_unit == ForceUnit::kBodyWeight ? 1 : 0;
  bool unit_changed = ImGui::RadioButton("N", &unit, 0);
  ImGui::SameLine();
  unit_changed |= ImGui::RadioButton("% body weight", &unit, 1);
  if (unit_changed) {
    d.force_unit = unit == 1 ? ForceUnit::kBodyWeight : ForceUnit::kNewton;
    edited = true;
  }
  y += row_h;
  label(c, y, "Ball");
  std::array<char, 256> ball{};
  std::strncpy(ball.data(), d.ball.c_str(), ball.size() - 1);
  const float combo_w = ImGui::CalcTextSize("lacrosse ball").x + frame_h + 3 * in;
  ImGui::SetNextItemWidth(std::max(80 * s, edit_w - combo_w - in));
  if (ImGui::InputTextWithHint("##ball", "type, or pick one", ball.data(), ball.size())) {
    d.ball = ball.data();
    edited = true;
  }
  ImGui::SameLine(0, in);
  ImGui::SetNextItemWidth(combo_w);
  if (ImGui::BeginCombo("##ball_presets", "pick\u2026")) {
    for (const char* preset : kBallPresets)
      if (ImGui::Selectable(preset, d.ball == preset)) d.ball = preset, edited = true;
    ImGui::EndCombo();
  }
  problemOrNote(c, y, m.ball_problem, f);
  y += row_h + pad * 0.5f;
  ImGui::PopID();

  // [SECTION] Protocol
  heading("Protocol", m.protocol_note);
  ImGui::PushID("protocol");
  core::ProtocolGuideParams& p = d.protocol;
  // Words between the fields, on the fields' text line (SameLine keeps the frames' baseline).
  const auto words = [&](const char* w) {
    ImGui::SameLine(0, in);
    ImGui::TextUnformatted(w);
    ImGui::SameLine(0, in);
  };
  label(c, y, "Rolling holds");
  edited |= seconds("##hold_min", &p.hold_min_s, 5, num_w);
  words("to");
  edited |= seconds("##hold_max", &p.hold_max_s, 5, num_w);
  words("s");
  problemOrNote(c, y, m.hold_problem, f);
  y += row_h;
  label(c, y, "Move on after");
  ImGui::SetNextItemWidth(num_w);
  edited |= ImGui::InputInt("##holds", &p.rolling_holds_to_move_on, 1, 1);
  words("holds or");
  double minutes = p.rolling_time_to_move_on_s / 60.0;
  ImGui::SetNextItemWidth(num_w);
  if (ImGui::InputDouble("##minutes", &minutes, 1.0, 5.0, "%.0f")) {
    p.rolling_time_to_move_on_s = std::round(minutes * 60.0);
    edited = true;
  }
  words("min a side");
  problemOrNote(c, y, m.move_on_problem, f);
  y += row_h;
  label(c, y, "Stretch holds");
  edited |= seconds("##stretch_min", &p.stretch_hold_min_s, 5, num_w);
  words("to");
  edited |= seconds("##stretch_max", &p.stretch_hold_max_s, 5, num_w);
  words("s,");
  edited |= seconds("##stretch_total", &p.stretch_total_s, 10, num_w);
  words("s a side");
  problemOrNote(c, y, m.stretch_problem, f);
  y += row_h;
  ImGui::SetCursorScreenPos(ImVec2(c.x_edit, y));
  if (m.defaults_protocol) ImGui::BeginDisabled();
  if (ImGui::Button("The exercise's defaults (30\u201390 s; 10\u201330 s to 60 s)")) {
    p = core::ProtocolGuideParams{};
    edited = true;
  }
  if (m.defaults_protocol) ImGui::EndDisabled();
  y += row_h + pad * 0.5f;
  ImGui::PopID();

  // [SECTION] Window
  heading("Window", m.window_note);
  ImGui::PushID("window");
  label(c, y, "Theme");
  int theme = d.theme == ThemeKind::kLight ? 1 : 0;
  bool theme_changed = ImGui::RadioButton("dark", &theme, 0);
  ImGui::SameLine();
  theme_changed |= ImGui::RadioButton("light", &theme, 1);
  if (theme_changed) {
    d.theme = theme == 1 ? ThemeKind::kLight : ThemeKind::kDark;
    edited = true;
  }
  y += row_h;
  label(c, y, "Cues");
  int cue_mode = static_cast<int>(d.cues);
  bool cues_changed = ImGui::RadioButton("off##cues", &cue_mode, 0);
  ImGui::SameLine();
  cues_changed |= ImGui::RadioButton("tones", &cue_mode, 1);
  ImGui::SameLine();
  cues_changed |= ImGui::RadioButton("voice", &cue_mode, 2);
  if (cues_changed) {
    d.cues = static_cast<CueMode>(cue_mode);
    edited = true;
  }
  y += row_h;
  label(c, y, "Font scale");
  ImGui::SetNextItemWidth(num_w);
  if (ImGui::InputDouble("##font_scale", &d.font_scale, 0.05, 0.05, "%.2f")) {
    d.font_scale = std::round(d.font_scale * 20.0) / 20.0;  // no 1.4000000000000001
    edited = true;
  }
  words("\u00d7");
  problemOrNote(c, y, m.font_problem, f);
  y += row_h + pad * 0.5f;
  ImGui::PopID();

  // [SECTION] The running session and the file
  const float w = c.x_end - c.x_label;
  if (!m.session_note.empty()) {
    dl->AddText(f.normal, f.normal_px, ImVec2(c.x_label, y), col(kWarning), m.session_note.c_str(),
                nullptr, w);
    y += f.normal->CalcTextSizeA(f.normal_px, 1e9f, w, m.session_note.c_str()).y + pad * 0.4f;
  }
  if (!m.other_problem.empty()) {
    text(dl, f.normal, fitPx(f.normal, f.normal_px, m.other_problem, w), ImVec2(c.x_label, y),
         kError, m.other_problem);
    y += f.normal_px * 1.4f;
  }
  const float sp = std::max(f.normal_px * 0.7f, fitPx(f.normal, f.normal_px, m.status, w));
  text(dl, f.normal, sp, ImVec2(c.x_label, y), m.status_colour, m.status);
  if (ImGui::IsMouseHoveringRect(ImVec2(c.x_label, y), ImVec2(c.x_end, y + sp * 1.3f)))
    ImGui::SetTooltip("%s", m.status.c_str());
  y += sp * 1.4f;
  // Room to scroll to the bottom in a short window (the mouse wheel scrolls the view).
  ImGui::SetCursorScreenPos(ImVec2(c.x_label, y));
  ImGui::Dummy(ImVec2(1, pad * 0.5f));

  if (edited) st.pending = !settingsProblems(d).empty();
  endPanel();
}

}  // namespace rollrig::gui

#include "settings_view.h"

#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

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

bool sameCues(const std::optional<core::CueSettings>& a,
              const std::optional<core::CueSettings>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || sameCueSettings(*a, *b);
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
  n.slow_roll_mm_s = s.slow_limit_mm_s;
  if (s.cues != CueMode::kOff) n.cues = cueSettings(s);
  return n;
}

const char* cueKindWords(core::CueKind k) {
  switch (k) {
    case core::CueKind::kHoldConfirmed:
      return "hold confirmed";
    case core::CueKind::kWindowReached:
      return "30 s reached";
    case core::CueKind::kReleased:
      return "released";
    case core::CueKind::kMoveOn:
      return "90 s: time to move on";
    case core::CueKind::kTooFast:
      return "rolling too fast";
    case core::CueKind::kOutOfBand:
      return "load outside the band";
    case core::CueKind::kSwitchSides:
      return "switch sides";
    case core::CueKind::kStretchHoldDone:
      return "stretch hold done";
    case core::CueKind::kStretchTotalReached:
      return "stretch side done";
  }
  return "?";
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
                   was.slow_roll_mm_s != now.slow_roll_mm_s || !sameCues(was.cues, now.cues) ||
                   !sameProtocol(settings.protocol, st.draft.protocol);
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
                        : p.key.rfind("band_", 0) == 0             ? &m.band_problem
                        : p.key == "slow_limit_mm_s"               ? &m.slow_problem
                        : p.key == "font_scale"                    ? &m.font_problem
                                                                   : &m.other_problem;
    if (slot->empty()) *slot = p.message;
  }
  m.you_note = "At once; the body mass and the ball are stored with each new session.";
  m.protocol_note = "From the next session: the guide, the hold window and the cues.";
  m.cues_note = "From the next session.";
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
        next.slow_roll_mm_s != s.slow_roll_mm_s || !sameCues(next.cues, s.cues) ||
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

// One column of settings: labels, editors, and the problems beside the editors (or, when the
// column is too narrow for them, on a line of their own under the row).
struct Columns {
  float x_label, x_edit, x_note, x_end;
  bool notes_below = false;
};

// Draws a setting's problem; returns the height it took below the row (0 when beside it).
float problemOrNote(const Columns& c, float y, const std::string& problem, const Fonts& f) {
  if (problem.empty()) return 0;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float frame_h = ImGui::GetFrameHeight();
  const float x = c.notes_below ? c.x_edit : c.x_note;
  const float w = c.x_end - x;
  const float px = std::max(f.normal_px * 0.75f, fitPx(f.normal, f.normal_px, problem, w));
  const float top = c.notes_below ? y + frame_h + 2 * f.scale : y + (frame_h - px) * 0.5f;
  dl->AddText(f.normal, px, ImVec2(x, top), col(kError), problem.c_str(), nullptr, w);
  const float h = f.normal->CalcTextSizeA(px, 1e9f, w, problem.c_str()).y;
  if (ImGui::IsMouseHoveringRect(ImVec2(x, top), ImVec2(c.x_end, top + std::max(h, frame_h))))
    ImGui::SetTooltip("%s", problem.c_str());
  return c.notes_below ? h + 4 * f.scale : 0;
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

// A whole number with -/+, kept inside [lo, hi]. True when edited.
bool clamped(const char* id, double* v, double step, double lo, double hi, float w) {
  ImGui::SetNextItemWidth(w);
  if (!ImGui::InputDouble(id, v, step, step * 5, "%.0f")) return false;
  *v = std::clamp(std::round(*v), lo, hi);  // NaN cannot come from the field's parser
  return true;
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
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const auto tw = [](const char* t) { return ImGui::CalcTextSize(t).x; };
  const float num_w =
      ImGui::CalcTextSize("0000").x + 2 * (frame_h + in) + 2 * ImGui::GetStyle().FramePadding.x;
  const float check_w = frame_h + ImGui::GetStyle().ItemInnerSpacing.x;
  const float radio_w = frame_h + in + spacing;  // a radio button without its text

  // The main column: You and Protocol (and, in a narrow window, everything).
  Columns c;
  c.x_label = r.x0 + pad;
  c.x_edit = c.x_label + std::max(tw("Rolling holds"), tw("Move on after")) + 2 * pad;
  // The widest row of editors: the stretch holds.
  const float stretch_row_w = 3 * num_w + tw("to") + tw("s,") + tw("s a side") + 6 * in;
  // The cues' and window's column: its labels, and its widest row (the sound's three radios).
  float cues_words_w = 0;
  for (int k = 0; k < core::kCueKinds; ++k)
    cues_words_w = std::max(cues_words_w, tw(cueKindWords(static_cast<core::CueKind>(k))));
  const float side_label_w = std::max({tw("Sound"), tw("Say"), tw("Theme"), tw("Font scale")});
  const float side_rows_w =
      std::max(3 * radio_w + tw("off") + tw("tones") + tw("voice"), check_w + cues_words_w);
  const float side_w = side_label_w + 2 * pad + side_rows_w + pad;
  const bool two_columns = (c.x_edit - r.x0) + stretch_row_w + pad + side_w <= r.width();
  Columns side;
  if (two_columns) {
    c.x_end = r.x1 - side_w;
    side.x_label = c.x_end + pad;
    side.x_edit = side.x_label + side_label_w + pad;
    side.x_end = r.x1 - pad;
  } else {
    c.x_end = r.x1 - pad;
    side.x_label = c.x_label;
    side.x_edit = c.x_edit;
    side.x_end = c.x_end;
  }
  // The editors take what they need; the problems get the rest (at least a third), or go under
  // their row when that is too little to read.
  const float edit_w = two_columns ? stretch_row_w
                                   : std::min(560 * s * (f.normal_px / (kFontNormal_px * s)),
                                              (c.x_end - c.x_edit) * 0.62f);
  c.x_note = c.x_edit + edit_w + pad;
  c.notes_below = c.x_end - c.x_note < 240 * s;
  side.x_note = side.x_edit + side_rows_w + pad;
  side.notes_below = side.x_end - side.x_note < 240 * s;

  const float top = r.y0 + pad * 0.5f - ImGui::GetScrollY();
  float y = top;
  bool edited = false;
  GuiSettings& d = st.draft;

  const auto heading = [&](const Columns& cols, const char* title, const std::string& note) {
    const float hp = f.large_px * 0.75f;
    text(dl, f.large, hp, ImVec2(cols.x_label, y), kLightText, title);
    const float nx = cols.x_label + textSize(f.large, hp, title).x + pad;
    const float np = fitPx(f.normal, f.normal_px, note, cols.x_end - nx);
    if (np >= f.normal_px * 0.9f) {
      text(dl, f.normal, np, ImVec2(nx, y + (hp - np) * 0.6f), kAxisText, note);
      y += hp * 1.35f;
      return;
    }
    // Too long beside the title to read: under it, on as many lines as it takes.
    y += hp * 1.25f;
    const float w = cols.x_end - cols.x_label;
    dl->AddText(f.normal, f.normal_px, ImVec2(cols.x_label, y), col(kAxisText), note.c_str(),
                nullptr, w);
    y += f.normal->CalcTextSizeA(f.normal_px, 1e9f, w, note.c_str()).y + 6 * s;
  };
  // Words between the fields, on the fields' text line (SameLine keeps the frames' baseline).
  const auto words = [&](const char* w) {
    ImGui::SameLine(0, in);
    ImGui::TextUnformatted(w);
    ImGui::SameLine(0, in);
  };

  // [SECTION] You
  heading(c, "You", m.you_note);
  ImGui::PushID("you");
  label(c, y, "Body mass");
  ImGui::SetNextItemWidth(num_w);
  edited |= ImGui::InputDouble("kg##mass", &d.body_mass_kg, 1.0, 5.0, "%.0f");
  y += problemOrNote(c, y, m.mass_problem, f);
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
  y += problemOrNote(c, y, m.ball_problem, f);
  y += row_h + pad * 0.5f;
  ImGui::PopID();

  // [SECTION] Protocol
  heading(c, "Protocol", m.protocol_note);
  ImGui::PushID("protocol");
  core::ProtocolGuideParams& p = d.protocol;
  label(c, y, "Rolling holds");
  edited |= seconds("##hold_min", &p.hold_min_s, 5, num_w);
  words("to");
  edited |= seconds("##hold_max", &p.hold_max_s, 5, num_w);
  words("s");
  y += problemOrNote(c, y, m.hold_problem, f);
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
  y += problemOrNote(c, y, m.move_on_problem, f);
  y += row_h;
  label(c, y, "Stretch holds");
  edited |= seconds("##stretch_min", &p.stretch_hold_min_s, 5, num_w);
  words("to");
  edited |= seconds("##stretch_max", &p.stretch_hold_max_s, 5, num_w);
  words("s,");
  edited |= seconds("##stretch_total", &p.stretch_total_s, 10, num_w);
  words("s a side");
  y += problemOrNote(c, y, m.stretch_problem, f);
  y += row_h;
  // What the cues watch for: the load band (during a hold) and rolling slowly (between holds).
  label(c, y, "Load band");
  edited |= clamped("##band_low", &d.band_low_pct, 5, kMinBand_pct, kMaxBand_pct, num_w);
  words("to");
  edited |= clamped("##band_high", &d.band_high_pct, 5, kMinBand_pct, kMaxBand_pct, num_w);
  words("% body weight");
  y += problemOrNote(c, y, m.band_problem, f);
  y += row_h;
  label(c, y, "Roll slowly");
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("up to");
  ImGui::SameLine(0, in);
  edited |= clamped("##slow_limit", &d.slow_limit_mm_s, 10, kMinSlowLimit_mm_s, kMaxSlowLimit_mm_s,
                    num_w);
  words("mm/s");
  y += problemOrNote(c, y, m.slow_problem, f);
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
  const float main_bottom = y;

  // [SECTION] Cues (the right-hand column in a wide window)
  if (two_columns) y = top;
  heading(side, "Cues", m.cues_note);
  ImGui::PushID("cues");
  label(side, y, "Sound");
  int cue_mode = static_cast<int>(d.cues);
  bool cues_changed = ImGui::RadioButton("off", &cue_mode, 0);
  ImGui::SameLine();
  cues_changed |= ImGui::RadioButton("tones", &cue_mode, 1);
  ImGui::SameLine();
  cues_changed |= ImGui::RadioButton("voice", &cue_mode, 2);
  if (cues_changed) {
    d.cues = static_cast<CueMode>(cue_mode);
    edited = true;
  }
  y += row_h;
  // One switch a kind, in as many columns as fit (one in the right-hand column).
  label(side, y, "Say");
  const float kind_w = check_w + cues_words_w + 2 * pad;
  const int per_row =
      std::clamp(static_cast<int>((side.x_end - side.x_edit + 2 * pad) / kind_w), 1, 3);
  const float check_h = frame_h + 2 * s;
  for (int k = 0; k < core::kCueKinds; ++k) {
    const int col_i = k % per_row, row_i = k / per_row;
    ImGui::SetCursorScreenPos(ImVec2(side.x_edit + col_i * kind_w, y + row_i * check_h));
    bool on = d.cue_kinds[static_cast<size_t>(k)];
    ImGui::PushID(k);
    if (ImGui::Checkbox(cueKindWords(static_cast<core::CueKind>(k)), &on)) {
      d.cue_kinds[static_cast<size_t>(k)] = on;
      edited = true;
    }
    ImGui::PopID();
  }
  y += ((core::kCueKinds + per_row - 1) / per_row) * check_h + (row_h - check_h) + pad * 0.5f;
  ImGui::PopID();

  // [SECTION] Window
  heading(side, "Window", m.window_note);
  ImGui::PushID("window");
  label(side, y, "Theme");
  int theme = d.theme == ThemeKind::kLight ? 1 : 0;
  bool theme_changed = ImGui::RadioButton("dark", &theme, 0);
  ImGui::SameLine();
  theme_changed |= ImGui::RadioButton("light", &theme, 1);
  if (theme_changed) {
    d.theme = theme == 1 ? ThemeKind::kLight : ThemeKind::kDark;
    edited = true;
  }
  y += row_h;
  label(side, y, "Font scale");
  ImGui::SetNextItemWidth(num_w);
  if (ImGui::InputDouble("##font_scale", &d.font_scale, 0.05, 0.05, "%.2f")) {
    d.font_scale = std::round(d.font_scale * 20.0) / 20.0;  // no 1.4000000000000001
    edited = true;
  }
  words("\u00d7");
  y += problemOrNote(side, y, m.font_problem, f);
  y += row_h + pad * 0.5f;
  ImGui::PopID();
  y = std::max(y, main_bottom);

  // [SECTION] The running session and the file
  const float w = r.x1 - pad - c.x_label;
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
  if (ImGui::IsMouseHoveringRect(ImVec2(c.x_label, y), ImVec2(c.x_label + w, y + sp * 1.3f)))
    ImGui::SetTooltip("%s", m.status.c_str());
  y += sp * 1.4f;
  // Room to scroll to the bottom in a short window (the mouse wheel scrolls the view).
  ImGui::SetCursorScreenPos(ImVec2(c.x_label, y));
  ImGui::Dummy(ImVec2(1, pad * 0.5f));

  if (edited) st.pending = !settingsProblems(d).empty();
  endPanel();
}

}  // namespace rollrig::gui

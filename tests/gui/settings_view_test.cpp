// The settings (host/gui/settings.h: gui.json, its schema, validation), the themes (theme.h), the
// settings view's model (settings_view.h) and what a new session takes from the settings
// (SessionController), all without a window.
#include "settings_view.h"
#include "plate_view.h"
#include "scaled_ui.h"

#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>  // the view's window: how far its widgets reach
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "rollrig/store/session_store.h"
#include "session_controller.h"
#include "settings.h"
#include "theme.h"

using namespace rollrig;
using namespace rollrig::gui;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() /
                     ("rollrig-settings-view-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void writeText(const fs::path& f, const std::string& s) {
  std::ofstream out(f, std::ios::binary | std::ios::trunc);
  out << s;
}

std::string readText(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

GuiSettings everythingChanged() {
  GuiSettings s;
  s.body_mass_kg = 82;
  s.force_unit = ForceUnit::kBodyWeight;
  s.ball = "peanut ball \u00e9";
  s.protocol.hold_min_s = 40;
  s.protocol.hold_max_s = 120;
  s.protocol.rolling_holds_to_move_on = 4;
  s.protocol.rolling_time_to_move_on_s = 420;
  s.protocol.stretch_hold_min_s = 15;
  s.protocol.stretch_hold_max_s = 45;
  s.protocol.stretch_total_s = 90;
  s.font_scale = 1.2;
  s.theme = ThemeKind::kLight;
  s.window_w_px = 1400;
  s.window_h_px = 900;
  s.plot_cells = true;
  s.cues = CueMode::kVoice;
  return s;
}

// Restores the dark theme (the process default) after a test that switched it.
struct DarkAfter {
  ~DarkAfter() { setTheme(ThemeKind::kDark); }
};

}  // namespace

// [SECTION] gui.json

TEST(Settings, EveryKeyIsSavedAndLoadedBackInTheDocumentedSchema) {
  const fs::path f = freshDir("schema") / "gui.json";
  const GuiSettings s = everythingChanged();
  ASSERT_EQ(saveSettings(f.string(), s), "");
  const SettingsLoad l = loadSettings(f.string());
  EXPECT_EQ(l.error, "");
  EXPECT_TRUE(l.settings == s);
  // The keys as docs/GUI.md lists them.
  const nlohmann::json j = nlohmann::json::parse(readText(f));
  EXPECT_EQ(j["ball"], "peanut ball \u00e9");
  EXPECT_EQ(j["theme"], "light");
  EXPECT_EQ(j["cues"], "voice");
  EXPECT_DOUBLE_EQ(j["font_scale"].get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(j["protocol"]["hold_min_s"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(j["protocol"]["hold_max_s"].get<double>(), 120);
  EXPECT_EQ(j["protocol"]["rolling_holds_to_move_on"], 4);
  EXPECT_DOUBLE_EQ(j["protocol"]["rolling_time_to_move_on_s"].get<double>(), 420);
  EXPECT_DOUBLE_EQ(j["protocol"]["stretch_hold_min_s"].get<double>(), 15);
  EXPECT_DOUBLE_EQ(j["protocol"]["stretch_hold_max_s"].get<double>(), 45);
  EXPECT_DOUBLE_EQ(j["protocol"]["stretch_total_s"].get<double>(), 90);
}

TEST(Settings, AnOlderFileWithoutTheNewKeysStillLoadsWithTheirDefaults) {
  const fs::path f = freshDir("older") / "gui.json";
  writeText(f, R"({"body_mass_kg": 80, "force_unit": "%BW", "window_w_px": 1400, )"
               R"("window_h_px": 900, "plot_cells": true, "some_newer_key": [1]})");
  const SettingsLoad l = loadSettings(f.string());
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.settings.body_mass_kg, 80);
  EXPECT_EQ(l.settings.force_unit, ForceUnit::kBodyWeight);
  EXPECT_TRUE(l.settings.plot_cells);
  EXPECT_EQ(l.settings.ball, "");
  EXPECT_EQ(l.settings.theme, ThemeKind::kDark);
  EXPECT_EQ(l.settings.cues, CueMode::kOff);
  EXPECT_EQ(l.settings.font_scale, 1.0);
  EXPECT_EQ(l.settings.protocol.hold_min_s, 30);
  EXPECT_EQ(l.settings.protocol.hold_max_s, 90);
  EXPECT_EQ(l.settings.protocol.stretch_total_s, 60);
  // ... and so does a file with only part of the protocol.
  writeText(f, R"({"protocol": {"hold_max_s": 120}})");
  const SettingsLoad part = loadSettings(f.string());
  EXPECT_EQ(part.error, "");
  EXPECT_EQ(part.settings.protocol.hold_min_s, 30);
  EXPECT_EQ(part.settings.protocol.hold_max_s, 120);
}

TEST(Settings, AWrongOrOutOfRangeValueKeepsTheDefaultsAndNamesTheKey) {
  const fs::path f = freshDir("out-of-range") / "gui.json";
  const std::pair<std::string, std::string> cases[] = {
      {R"({"protocol": {"hold_min_s": 90, "hold_max_s": 30}})", "protocol.hold_max_s"},
      {R"({"protocol": {"hold_min_s": 1}})", "protocol.hold_min_s"},
      {R"({"protocol": {"rolling_holds_to_move_on": 2.5}})", "rolling_holds_to_move_on"},
      {R"({"protocol": {"rolling_holds_to_move_on": 0}})", "rolling_holds_to_move_on"},
      {R"({"protocol": {"rolling_time_to_move_on_s": "5 min"}})", "rolling_time_to_move_on_s"},
      {R"({"protocol": {"stretch_hold_min_s": 30, "stretch_hold_max_s": 10}})",
       "protocol.stretch_hold_max_s"},
      {R"({"protocol": {"stretch_total_s": 8}})", "protocol.stretch_total_s"},
      {R"({"protocol": [30, 90]})", "protocol"},
      {R"({"font_scale": 3})", "font_scale"},
      {R"({"font_scale": "big"})", "font_scale"},
      {R"({"theme": "blue"})", "theme"},
      {R"({"cues": "loud"})", "cues"},
      {R"({"ball": 5})", "ball"},
      {R"({"ball": ")" + std::string(61, 'x') + R"("})", "ball"},
      {R"({"body_mass_kg": 301})", "body_mass_kg"},
  };
  for (const auto& [bad, key] : cases) {
    writeText(f, bad);
    const SettingsLoad l = loadSettings(f.string());
    EXPECT_TRUE(l.found) << bad;
    EXPECT_NE(l.error.find("not valid"), std::string::npos) << bad;
    EXPECT_NE(l.error.find(key), std::string::npos) << bad << ": " << l.error;
    EXPECT_TRUE(l.settings == GuiSettings{}) << bad;
    EXPECT_EQ(readText(f), bad);  // loading never rewrites it
  }
}

TEST(Settings, ValidationSaysWhatIsWrongInWords) {
  EXPECT_EQ(validateSettings(GuiSettings{}), "");
  EXPECT_EQ(validateSettings(everythingChanged()), "");
  GuiSettings s;
  s.body_mass_kg = 5;
  EXPECT_EQ(validateSettings(s), "body mass must be from 20 to 300 kg (is 5)");
  s = GuiSettings{};
  s.protocol.hold_min_s = 40;
  s.protocol.hold_max_s = 30;
  EXPECT_EQ(validateSettings(s), "a hold's window must end after it starts (40 s to 30 s)");
  s = GuiSettings{};
  s.protocol.stretch_hold_min_s = 20;
  s.protocol.stretch_total_s = 15;
  EXPECT_EQ(validateSettings(s),
            "the stretch time a side must be at least one stretch hold (20 s; is 15 s)");
  s = GuiSettings{};
  s.ball = "two\nlines";
  EXPECT_EQ(validateSettings(s), "the ball's name must be one line of text");
  s = GuiSettings{};
  s.font_scale = 0.5;
  EXPECT_EQ(settingsProblems(s).at(0).key, "font_scale");
  // Every problem is listed, in the schema's order.
  s.body_mass_kg = 400;
  ASSERT_EQ(settingsProblems(s).size(), 2u);
  EXPECT_EQ(settingsProblems(s)[0].key, "body_mass_kg");
}

// [SECTION] Themes

TEST(Theme, TheKNamesFollowTheThemeSwitch) {
  DarkAfter restore;
  EXPECT_EQ(g_theme.kind, ThemeKind::kDark);
  EXPECT_EQ(kPanel, darkTheme().panel);
  setTheme(ThemeKind::kLight);
  EXPECT_EQ(kPanel, lightTheme().panel);
  EXPECT_EQ(kInWindowField, lightTheme().in_window_field);
  EXPECT_EQ(kCellTrace[3], lightTheme().cell_trace[3]);
  EXPECT_NE(kPanel, darkTheme().panel);
  setTheme(ThemeKind::kDark);
  EXPECT_EQ(kInWindowField, darkTheme().in_window_field);
}

TEST(Theme, TheHoldFieldsKeepHighContrastTextInBothThemes) {
  for (const Theme& t : {darkTheme(), lightTheme()}) {
    const char* name = t.kind == ThemeKind::kLight ? "light" : "dark";
    // The hold panel: amber takes the dark text, the other fields and bands the strong text.
    EXPECT_GE(contrastRatio(t.before_window_field, t.dark_text), 4.5) << name;
    for (Rgb field : {t.in_window_field, t.past_window_field, t.no_hold_field, t.released_band,
                      t.protocol_current})
      EXPECT_GE(contrastRatio(field, t.light_text), 4.5) << name;
    // The replay bar's holds (coloured by time to release, plate_view.h) carry dark numbers.
    for (Rgb hold : {t.release_mark, t.in_window_field, t.past_window_field, t.plate_edge})
      EXPECT_GE(contrastRatio(hold, t.dark_text), 3.0) << name;
    // The protocol panel's stretch timer: a chip of its window colour with textOn() text.
    setTheme(t.kind);
    for (Rgb chip : {t.before_window_field, t.protocol_cue, t.error})
      EXPECT_GE(contrastRatio(chip, textOn(chip)), 4.5) << name;
    setTheme(ThemeKind::kDark);
    // Text on the panels.
    for (Rgb text : {t.light_text, t.axis_text, t.warning, t.error, t.ok, t.protocol_cue})
      EXPECT_GE(contrastRatio(t.panel, text), 4.5) << name;
    // The three fields tell apart from each other and from the window around them.
    for (Rgb field : {t.before_window_field, t.in_window_field, t.past_window_field}) {
      EXPECT_GE(contrastRatio(field, t.no_hold_field), 1.2) << name;
      for (Rgb other : {t.background, t.panel, t.grid, t.plate, t.cell_fill, t.ball,
                        t.released_band, t.force_trace, t.hold_shade, t.protocol_current})
        EXPECT_FALSE(field == other) << name;
    }
    EXPECT_FALSE(t.in_window_field == t.before_window_field);
    EXPECT_FALSE(t.in_window_field == t.past_window_field);
  }
  // Light is light and dark is dark.
  EXPECT_GT(contrastRatio(lightTheme().panel, Rgb{0, 0, 0}), 15.0);
  EXPECT_GT(contrastRatio(darkTheme().panel, Rgb{0xFF, 0xFF, 0xFF}), 12.0);
}

// The replay's holds table writes each release in its hold's time-to-release colour (or the
// edits' violet): readableOn() keeps that legible on the panel in both themes, without changing a
// colour that already reads.
TEST(Theme, TheHoldsTablesReleaseColoursReadOnThePanelInBothThemes) {
  DarkAfter restore;
  for (ThemeKind kind : {ThemeKind::kDark, ThemeKind::kLight}) {
    setTheme(kind);
    const char* name = kind == ThemeKind::kLight ? "light" : "dark";
    core::Hold released_early, released_late, in_window, none;
    released_early.start_s = 0, released_early.end_s = 60, released_early.release_s = 20;
    in_window.start_s = 0, in_window.end_s = 80, in_window.release_s = 50;
    released_late.start_s = 0, released_late.end_s = 120, released_late.release_s = 110;
    none.start_s = 0, none.end_s = 60;
    for (const core::Hold& h : {released_early, in_window, released_late, none}) {
      const Rgb shown = readableOn(holdSpotColour(h), kPanel);
      EXPECT_GE(contrastRatio(shown, kPanel), 4.5) << name;
    }
    EXPECT_GE(contrastRatio(readableOn(kMarkerMark, kPanel), kPanel), 4.5) << name;
  }
  setTheme(ThemeKind::kDark);
  EXPECT_EQ(readableOn(kLightText, kPanel), kLightText);  // already legible: unchanged
}

// [SECTION] The settings view's model

TEST(SettingsView, AValidEditIsAppliedAtOnceAndSaysWhatTheAppMustRedo) {
  GuiSettings settings;
  SettingsViewState st;
  syncSettingsDraft(st, settings);
  EXPECT_FALSE(applySettingsDraft(st, settings).changed);  // nothing edited

  st.draft.theme = ThemeKind::kLight;
  SettingsApplied a = applySettingsDraft(st, settings);
  EXPECT_TRUE(a.changed);
  EXPECT_TRUE(a.theme);
  EXPECT_FALSE(a.font_scale);
  EXPECT_FALSE(a.new_sessions);
  EXPECT_EQ(settings.theme, ThemeKind::kLight);

  st.draft.font_scale = 1.25;
  a = applySettingsDraft(st, settings);
  EXPECT_TRUE(a.font_scale && !a.theme && !a.new_sessions);

  st.draft.ball = "lacrosse ball";
  EXPECT_TRUE(applySettingsDraft(st, settings).new_sessions);
  st.draft.protocol.hold_max_s = 100;
  EXPECT_TRUE(applySettingsDraft(st, settings).new_sessions);
  EXPECT_EQ(settings.protocol.hold_max_s, 100);
  EXPECT_FALSE(st.pending);
}

TEST(SettingsView, AnEditThatIsNotValidYetStaysPendingWithItsProblemBesideTheSetting) {
  GuiSettings settings;
  SettingsViewState st;
  syncSettingsDraft(st, settings);
  st.draft.body_mass_kg = 7;  // on the way to 75
  SettingsApplied a = applySettingsDraft(st, settings);
  EXPECT_FALSE(a.changed);
  EXPECT_TRUE(st.pending);
  EXPECT_EQ(settings.body_mass_kg, 70);  // not applied, so not saved
  const SettingsViewModel m =
      computeSettingsView(st.draft, settings, {"/x/gui.json", "", false, {}});
  EXPECT_EQ(m.mass_problem, "body mass must be from 20 to 300 kg (is 7)");
  EXPECT_EQ(m.hold_problem, "");
  EXPECT_EQ(m.status, "Not saved: body mass must be from 20 to 300 kg (is 7).");
  EXPECT_EQ(m.status_colour, kError);
  // The next frame keeps the edit ...
  syncSettingsDraft(st, settings);
  EXPECT_EQ(st.draft.body_mass_kg, 7);
  // ... until it is valid.
  st.draft.body_mass_kg = 75;
  a = applySettingsDraft(st, settings);
  EXPECT_TRUE(a.changed && a.new_sessions);
  EXPECT_EQ(settings.body_mass_kg, 75);
  EXPECT_FALSE(st.pending);
}

TEST(SettingsView, AChangeMadeElsewhereReplacesAPendingEdit) {
  GuiSettings settings;
  SettingsViewState st;
  syncSettingsDraft(st, settings);
  st.draft.protocol.hold_min_s = 95;  // past the window's end: not valid
  applySettingsDraft(st, settings);
  ASSERT_TRUE(st.pending);
  settings.body_mass_kg = 90;  // the protocol panel's settings row
  syncSettingsDraft(st, settings);
  EXPECT_FALSE(st.pending);
  EXPECT_TRUE(st.draft == settings);
}

TEST(SettingsView, ProblemsGoBesideTheirSettings) {
  GuiSettings d;
  d.protocol.hold_min_s = 100;
  d.protocol.rolling_holds_to_move_on = 0;
  d.protocol.stretch_hold_max_s = 5;
  d.font_scale = 2;
  d.ball = std::string(70, 'b');
  const SettingsViewModel m = computeSettingsView(d, GuiSettings{}, {});
  EXPECT_NE(m.hold_problem.find("end after it starts"), std::string::npos) << m.hold_problem;
  EXPECT_NE(m.move_on_problem.find("holds before moving on"), std::string::npos);
  EXPECT_NE(m.stretch_problem.find("longest must be more than its shortest"), std::string::npos)
      << m.stretch_problem;
  EXPECT_NE(m.font_problem.find("from 0.8 to 1.25"), std::string::npos);
  EXPECT_NE(m.ball_problem.find("at most 60"), std::string::npos);
  EXPECT_EQ(m.mass_problem, "");
  EXPECT_FALSE(m.defaults_protocol);
  EXPECT_TRUE(computeSettingsView(GuiSettings{}, GuiSettings{}, {}).defaults_protocol);
}

TEST(SettingsView, SaysWhenEachGroupAppliesAndWhatTheRecordingSessionKeeps) {
  GuiSettings settings;
  SettingsContext ctx;
  ctx.path = "/home/u/.config/rollrig/gui.json";
  SettingsViewModel m = computeSettingsView(settings, settings, ctx);
  EXPECT_NE(m.protocol_note.find("From the next session"), std::string::npos);
  EXPECT_NE(m.you_note.find("stored with each new session"), std::string::npos);
  EXPECT_NE(m.window_note.find("At once"), std::string::npos);
  EXPECT_EQ(m.session_note, "");
  EXPECT_EQ(m.status, "Changes are saved at once in /home/u/.config/rollrig/gui.json");

  ctx.recording = true;
  ctx.session = newSessionSettings(settings);
  m = computeSettingsView(settings, settings, ctx);
  EXPECT_EQ(m.session_note,
            "The session recording now keeps what it started with: holds 30\u201390 s, ball not "
            "said, 70 kg.");
  // A change of any of them waits for the next session, and the view says so.
  GuiSettings changed = settings;
  changed.protocol.stretch_total_s = 90;  // the guide's only
  m = computeSettingsView(changed, changed, ctx);
  EXPECT_NE(m.session_note.find("Your changes apply from the next session."), std::string::npos);
  changed = settings;
  changed.ball = "foam roller";
  m = computeSettingsView(changed, changed, ctx);
  EXPECT_NE(m.session_note.find("Your changes apply from the next session."), std::string::npos);
  m = computeSettingsView(settings, settings, ctx);
  EXPECT_EQ(m.session_note.find("Your changes"), std::string::npos);

  ctx.file_error = "cannot replace the settings /x/gui.json: Permission denied";
  EXPECT_EQ(computeSettingsView(settings, settings, ctx).status, ctx.file_error);
  EXPECT_EQ(computeSettingsView(settings, settings, ctx).status_colour, kError);
  ctx.file_error.clear();
  ctx.path.clear();
  EXPECT_EQ(computeSettingsView(settings, settings, ctx).status_colour, kWarning);
}

TEST(SettingsView, ANewSessionTakesTheBallTheBodyMassAndTheHoldWindow) {
  const GuiSettings s = everythingChanged();
  const NewSessionSettings n = newSessionSettings(s);
  EXPECT_EQ(n.ball, s.ball);
  ASSERT_TRUE(n.body_mass_kg.has_value());
  EXPECT_EQ(*n.body_mass_kg, 82);
  EXPECT_EQ(n.protocol_min_s, 40);
  EXPECT_EQ(n.protocol_max_s, 120);
}

// [SECTION] The session controller: a new session is stored with them and analysed with them.

TEST(SessionController, ANewSessionIsStoredWithTheBallAndMassAndShowsTheSettingsHoldWindow) {
  const fs::path dir = freshDir("controller");
  const std::string db = (dir / "sessions.db").string();
  {
    SessionController ctl(db, [] {});
    GuiSettings s;
    s.ball = "peanut ball";
    s.body_mass_kg = 82;
    s.protocol.hold_min_s = 40;
    s.protocol.hold_max_s = 120;
    ctl.setNewSessionSettings(newSessionSettings(s));
    SourceChoice src;
    src.seed = 1;
    src.fast = true;
    ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
    // A change now is for the next session, not this one.
    ctl.setNewSessionSettings(newSessionSettings(GuiSettings{}));
    EXPECT_EQ(ctl.sessionSettings().ball, "peanut ball");
    // Waits on device time for the first open hold, with a generous overall limit.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!ctl.snapshot().open_hold && ctl.samples().lastTime_s() < 600 &&
           std::chrono::steady_clock::now() < give_up) {
      ctl.update();
      ctl.nextStep();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(ctl.snapshot().open_hold.has_value());
    EXPECT_EQ(ctl.snapshot().open_hold->protocol_min_s, 40);
    EXPECT_EQ(ctl.snapshot().open_hold->protocol_max_s, 120);
    ctl.stop();
  }
  store::SessionStore st;
  ASSERT_FALSE(st.open(db));
  std::vector<store::SessionListEntry> list;
  ASSERT_FALSE(st.listSessions(&list));
  ASSERT_EQ(list.size(), 1u);
  store::SessionRecord rec;
  ASSERT_FALSE(st.loadSession(list[0].id, &rec));
  EXPECT_EQ(rec.info.ball, "peanut ball");
  ASSERT_TRUE(rec.info.body_mass_kg.has_value());
  EXPECT_EQ(*rec.info.body_mass_kg, 82);
  fs::remove_all(dir);
}

// [SECTION] The view's layout: at every window size, content scale and font scale, it fits

namespace {

using rollrig::testing::kDejaVu;
using rollrig::testing::ScaledUi;

}  // namespace

TEST(SettingsView, FitsTheWindowAtEverySizeContentScaleAndFontScale) {
  if (!fs::exists(kDejaVu)) GTEST_SKIP() << kDejaVu << " is missing (fonts-dejavu-core)";
  // The longest texts: problems beside three groups, a session recording, a long path.
  GuiSettings d;
  d.body_mass_kg = 7;
  d.protocol.hold_min_s = 95;
  d.protocol.stretch_hold_max_s = 5;
  d.ball = "a massage ball with spikes, blue";
  SettingsContext ctx;
  ctx.path = "/home/someone/.config/rollrig/gui.json";
  ctx.recording = true;
  ctx.session = newSessionSettings(GuiSettings{});
  const SettingsViewModel m = computeSettingsView(d, GuiSettings{}, ctx);
  for (float scale : {1.0f, 2.0f})
    for (float font_scale : {1.0f, static_cast<float>(kMaxFontScale)}) {
      ScaledUi ui(scale, font_scale);
      for (const auto& [w, h] :
           {std::pair{1000.0f, 640.0f}, std::pair{1260.0f, 720.0f}, std::pair{1920.0f, 1080.0f}}) {
        SCOPED_TRACE(std::to_string(static_cast<int>(w)) + "x" +
                     std::to_string(static_cast<int>(h)) + " at scale " + std::to_string(scale) +
                     ", font scale " + std::to_string(font_scale));
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(w * scale, h * scale);
        io.DeltaTime = 1.0f / 60;
        const Layout lay = computeLayout(io.DisplaySize.x, io.DisplaySize.y, scale);
        ImGui::NewFrame();
        SolidFills fills;
        SettingsViewState st;
        st.draft = d;
        std::vector<DrawnText> texts;
        g_drawn_text = &texts;
        drawSettingsView(m, st, lay.body, ui.fonts, fills);
        g_drawn_text = nullptr;
        const ImGuiWindow* win = ImGui::FindWindowByName("##settings");
        ASSERT_NE(win, nullptr);
        // Across: every widget and every text inside the view.
        EXPECT_LE(win->DC.CursorMaxPos.x, lay.body.x1);
        ASSERT_FALSE(texts.empty());
        for (const DrawnText& t : texts) {
          EXPECT_GE(t.box.x0, lay.body.x0 - 1) << t.s;
          EXPECT_LE(t.box.x1, lay.body.x1 + 1) << t.s;
        }
        // Down: all of it on screen at the normal font scale from 720 logical px up (a smaller
        // window or a larger font scrolls with the mouse wheel).
        if (font_scale == 1.0f && h >= 720) EXPECT_LE(win->DC.CursorMaxPos.y, lay.body.y1);
        ImGui::EndFrame();
      }
    }
}

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

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "rollrig/core/cue_planner.h"
#include "rollrig/core/protocol_guide.h"
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
  s.cue_kinds[static_cast<size_t>(core::CueKind::kTooFast)] = false;
  s.cue_kinds[static_cast<size_t>(core::CueKind::kSwitchSides)] = false;
  s.band_low_pct = 25;
  s.band_high_pct = 55;
  s.slow_limit_mm_s = 80;
  return s;
}

size_t kindIndex(core::CueKind k) {
  return static_cast<size_t>(k);
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
  EXPECT_DOUBLE_EQ(j["band_low_pct"].get<double>(), 25);
  EXPECT_DOUBLE_EQ(j["band_high_pct"].get<double>(), 55);
  EXPECT_DOUBLE_EQ(j["slow_limit_mm_s"].get<double>(), 80);
  // Every kind by its key, in the documented words.
  ASSERT_TRUE(j["cue_kinds"].is_object());
  EXPECT_EQ(j["cue_kinds"].size(), static_cast<size_t>(core::kCueKinds));
  EXPECT_EQ(j["cue_kinds"]["too-fast"], false);
  EXPECT_EQ(j["cue_kinds"]["switch-sides"], false);
  for (const char* on : {"hold-confirmed", "window-reached", "released", "move-on", "out-of-band",
                         "stretch-hold-done", "stretch-total-reached"})
    EXPECT_EQ(j["cue_kinds"][on], true) << on;
}

TEST(Settings, EachCueKindCanBeSwitchedOffAloneAndComesBackOff) {
  const fs::path f = freshDir("kinds") / "gui.json";
  for (int k = 0; k < core::kCueKinds; ++k) {
    GuiSettings s;
    s.cue_kinds[static_cast<size_t>(k)] = false;
    ASSERT_EQ(saveSettings(f.string(), s), "");
    const SettingsLoad l = loadSettings(f.string());
    EXPECT_EQ(l.error, "");
    EXPECT_TRUE(l.settings == s) << cueKindKey(static_cast<core::CueKind>(k));
    EXPECT_FALSE(l.settings == GuiSettings{});
  }
  // A file with some kinds only: the others stay on; a kind from a newer rollrig is ignored.
  writeText(f, R"({"cue_kinds": {"released": false, "some-newer-kind": false}})");
  const SettingsLoad l = loadSettings(f.string());
  EXPECT_EQ(l.error, "");
  EXPECT_FALSE(l.settings.cue_kinds[kindIndex(core::CueKind::kReleased)]);
  EXPECT_TRUE(l.settings.cue_kinds[kindIndex(core::CueKind::kHoldConfirmed)]);
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
  EXPECT_EQ(l.settings.band_low_pct, 20);
  EXPECT_EQ(l.settings.band_high_pct, 50);
  EXPECT_EQ(l.settings.slow_limit_mm_s, core::kSlowRoll_mm_s);
  for (const bool on : l.settings.cue_kinds) EXPECT_TRUE(on);
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
      {R"({"band_low_pct": 2})", "band_low_pct"},
      {R"({"band_high_pct": 101})", "band_high_pct"},
      {R"({"band_low_pct": 50, "band_high_pct": 40})", "band_high_pct"},
      {R"({"band_low_pct": "20 %"})", "band_low_pct"},
      {R"({"slow_limit_mm_s": 5})", "slow_limit_mm_s"},
      {R"({"slow_limit_mm_s": null})", "slow_limit_mm_s"},
      {R"({"cue_kinds": ["released"]})", "cue_kinds"},
      {R"({"cue_kinds": {"too-fast": "no"}})", "cue_kinds.too-fast"},
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
  s = GuiSettings{};
  s.band_low_pct = 50;
  s.band_high_pct = 50;
  EXPECT_EQ(validateSettings(s),
            "the load band's low end must be below its high end (50 % to 50 %)");
  s = GuiSettings{};
  s.band_low_pct = 3;
  EXPECT_EQ(validateSettings(s),
            "the load band's low end must be from 5 to 100 % of body weight (is 3)");
  s = GuiSettings{};
  s.slow_limit_mm_s = 400;
  EXPECT_EQ(validateSettings(s), "the \"slowly\" limit must be from 10 to 300 mm/s (is 400)");
  s = GuiSettings{};
  s.font_scale = 0.5;
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
      computeSettingsView(st.draft, settings, {"/x/gui.json", "", false, {}, {}});
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

TEST(SettingsView, ANewSessionTakesTheCueSettingsOnlyWhenCuesAreOn) {
  GuiSettings s = everythingChanged();
  NewSessionSettings n = newSessionSettings(s);
  ASSERT_TRUE(n.cues.has_value());
  EXPECT_TRUE(sameCueSettings(*n.cues, cueSettings(s)));
  s.cues = CueMode::kOff;
  EXPECT_FALSE(newSessionSettings(s).cues.has_value());
  // A kind switched, the band or the limit changed: what new sessions take changed.
  for (const auto& edit : std::vector<std::function<void(GuiSettings&)>>{
           [](GuiSettings& g) { g.cue_kinds[kindIndex(core::CueKind::kReleased)] = false; },
           [](GuiSettings& g) { g.band_high_pct = 60; },
           [](GuiSettings& g) { g.slow_limit_mm_s = 90; },
           [](GuiSettings& g) { g.cues = CueMode::kOff; }}) {
    GuiSettings settings;
    settings.cues = CueMode::kVoice;
    SettingsViewState st;
    syncSettingsDraft(st, settings);
    edit(st.draft);
    const SettingsApplied a = applySettingsDraft(st, settings);
    EXPECT_TRUE(a.changed && a.new_sessions && !a.theme && !a.font_scale);
  }
}

TEST(SettingsView, ACueSettingChangedWhileRecordingWaitsForTheNextSession) {
  GuiSettings settings;
  settings.cues = CueMode::kTones;
  SettingsContext ctx;
  ctx.recording = true;
  ctx.session = newSessionSettings(settings);
  EXPECT_EQ(computeSettingsView(settings, settings, ctx).session_note.find("Your changes"),
            std::string::npos);
  GuiSettings changed = settings;
  changed.cue_kinds[kindIndex(core::CueKind::kOutOfBand)] = false;
  EXPECT_NE(computeSettingsView(changed, changed, ctx)
                .session_note.find("Your changes apply from the next session."),
            std::string::npos);
  EXPECT_EQ(computeSettingsView(changed, changed, ctx).cues_note, "From the next session.");
}

TEST(SettingsView, TheBandAndTheSlowlyLimitProblemsGoBesideTheirRows) {
  GuiSettings d;
  d.band_low_pct = 60;
  d.band_high_pct = 40;
  d.slow_limit_mm_s = 2;
  const SettingsViewModel m = computeSettingsView(d, GuiSettings{}, {});
  EXPECT_EQ(m.band_problem, "the load band's low end must be below its high end (60 % to 40 %)");
  EXPECT_EQ(m.slow_problem, "the \"slowly\" limit must be from 10 to 300 mm/s (is 2)");
  EXPECT_EQ(m.other_problem, "");
}

TEST(SettingsView, EveryCueKindHasItsOwnWordsForItsSwitch) {
  std::set<std::string> seen;
  for (int k = 0; k < core::kCueKinds; ++k) {
    const std::string w = cueKindWords(static_cast<core::CueKind>(k));
    EXPECT_NE(w, "?");
    EXPECT_TRUE(seen.insert(w).second) << w;
  }
  EXPECT_STREQ(cueKindWords(core::CueKind::kMoveOn), "90 s: time to move on");
  EXPECT_STREQ(cueKindWords(core::CueKind::kStretchTotalReached), "stretch side done");
}

// [SECTION] From the settings to the cue planner (settings.h cueSettings(): one mapping)

namespace {

constexpr double kDt = 0.0125;  // 80 Hz

// A hold from 10 s to 45 s at `load` of body weight; rolling at `speed_mm_s` outside it. Fed
// sample by sample through a planner with `cs`; the cues it raised.
std::vector<core::Cue> scriptedHold(const core::CueSettings& cs, double speed_mm_s, double load) {
  core::CuePlanner p(cs);
  std::vector<core::Cue> out;
  for (int i = 0; i < static_cast<int>(50 / kDt); ++i) {
    core::CueInput in;
    in.t_s = i * kDt;
    if (in.t_s >= 10 && in.t_s < 45) {
      in.in_hold = true;
      in.hold_start_s = 10;
      in.hold_elapsed_s = in.t_s - 10;
      in.load_fraction = load;
    } else {
      in.roll_speed_mm_s = speed_mm_s;
    }
    for (core::Cue& c : p.update(in)) out.push_back(c);
  }
  return out;
}

size_t count(const std::vector<core::Cue>& cues, core::CueKind k) {
  return static_cast<size_t>(
      std::count_if(cues.begin(), cues.end(), [k](const core::Cue& c) { return c.kind == k; }));
}

}  // namespace

TEST(CueSettingsFromTheSettings, CarryTheBandAsFractionsTheSlowlyLimitAndTheSwitches) {
  const GuiSettings s = everythingChanged();
  const core::CueSettings c = cueSettings(s);
  EXPECT_DOUBLE_EQ(c.band_low, 0.25);
  EXPECT_DOUBLE_EQ(c.band_high, 0.55);
  EXPECT_DOUBLE_EQ(c.too_fast_mm_s, 80);
  EXPECT_FALSE(c.isOn(core::CueKind::kTooFast));
  EXPECT_FALSE(c.isOn(core::CueKind::kSwitchSides));
  EXPECT_TRUE(c.isOn(core::CueKind::kReleased));
  // The defaults are the planner's own.
  EXPECT_TRUE(sameCueSettings(cueSettings(GuiSettings{}), core::CueSettings{}));
  EXPECT_FALSE(sameCueSettings(c, core::CueSettings{}));
  // The guide's planner: only the guide's kinds, as switched.
  const core::CueSettings g = guideCueSettings(s);
  EXPECT_FALSE(g.isOn(core::CueKind::kSwitchSides));
  EXPECT_TRUE(g.isOn(core::CueKind::kStretchHoldDone));
  EXPECT_TRUE(g.isOn(core::CueKind::kStretchTotalReached));
  for (const core::CueKind k :
       {core::CueKind::kHoldConfirmed, core::CueKind::kWindowReached, core::CueKind::kReleased,
        core::CueKind::kMoveOn, core::CueKind::kTooFast, core::CueKind::kOutOfBand})
    EXPECT_FALSE(g.isOn(k)) << core::cueKindName(k);
  EXPECT_TRUE(guideCueSettings(GuiSettings{}).isOn(core::CueKind::kSwitchSides));
}

TEST(CueSettingsFromTheSettings, AKindSwitchedOffInTheSettingsNeverSounds) {
  // Rolling at 90 mm/s with the load at 60 % of body weight in the hold: with everything on, the
  // hold, 30 s, too fast and outside the band all come.
  GuiSettings s;
  const std::vector<core::Cue> all = scriptedHold(cueSettings(s), 90, 0.60);
  for (const core::CueKind k : {core::CueKind::kHoldConfirmed, core::CueKind::kWindowReached,
                                core::CueKind::kTooFast, core::CueKind::kOutOfBand})
    EXPECT_GE(count(all, k), 1u) << core::cueKindName(k);
  // Each one switched off alone is gone, and only it.
  for (const core::CueKind off : {core::CueKind::kHoldConfirmed, core::CueKind::kWindowReached,
                                  core::CueKind::kTooFast, core::CueKind::kOutOfBand}) {
    GuiSettings o;
    o.cue_kinds[kindIndex(off)] = false;
    const std::vector<core::Cue> cues = scriptedHold(cueSettings(o), 90, 0.60);
    EXPECT_EQ(count(cues, off), 0u) << core::cueKindName(off);
    EXPECT_EQ(cues.size(), all.size() - count(all, off)) << core::cueKindName(off);
  }
}

TEST(CueSettingsFromTheSettings, TheUsersBandAndSlowlyLimitDecideTheCues) {
  GuiSettings s;
  // 90 mm/s is too fast against 60 mm/s, not against 100; 60 % of body weight is outside 20-50 %,
  // inside 20-70 %.
  EXPECT_GE(count(scriptedHold(cueSettings(s), 90, 0.60), core::CueKind::kTooFast), 1u);
  EXPECT_GE(count(scriptedHold(cueSettings(s), 90, 0.60), core::CueKind::kOutOfBand), 1u);
  s.slow_limit_mm_s = 100;
  s.band_high_pct = 70;
  EXPECT_EQ(count(scriptedHold(cueSettings(s), 90, 0.60), core::CueKind::kTooFast), 0u);
  EXPECT_EQ(count(scriptedHold(cueSettings(s), 90, 0.60), core::CueKind::kOutOfBand), 0u);
  // ... and 15 % is below a band from 20 %, not below one from 10 %.
  EXPECT_GE(count(scriptedHold(cueSettings(s), 20, 0.15), core::CueKind::kOutOfBand), 1u);
  s.band_low_pct = 10;
  EXPECT_EQ(count(scriptedHold(cueSettings(s), 20, 0.15), core::CueKind::kOutOfBand), 0u);
}

TEST(CueSettingsFromTheSettings, TheGuidesSwitchSidesCueIsSilentWhenSwitchedOff) {
  // Five minutes rolling on the right: the guide says "switch to the left side", unless the user
  // switched that kind off.
  for (const bool on : {true, false}) {
    GuiSettings s;
    s.cue_kinds[kindIndex(core::CueKind::kSwitchSides)] = on;
    core::ProtocolGuide guide{s.protocol};
    core::CuePlanner p(guideCueSettings(s));
    std::vector<core::Cue> cues;
    for (int i = 0; i * kDt <= 301.0; ++i) {
      guide.update(i * kDt, {}, nullptr);
      core::CueInput in;
      in.t_s = i * kDt;
      in.guide = &guide.view();
      for (core::Cue& c : p.update(in)) cues.push_back(c);
    }
    EXPECT_EQ(count(cues, core::CueKind::kSwitchSides), on ? 1u : 0u);
    EXPECT_EQ(cues.size(), on ? 1u : 0u);
  }
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

TEST(SessionController, TheEngineTakesTheUsersCueSettingsAndASwitchedOffKindNeverComes) {
  const fs::path dir = freshDir("controller-cues");
  SessionController ctl((dir / "sessions.db").string(), [] {});
  GuiSettings s;
  s.cues = CueMode::kTones;
  s.cue_kinds[kindIndex(core::CueKind::kHoldConfirmed)] = false;
  ctl.setNewSessionSettings(newSessionSettings(s));
  SourceChoice src;
  src.seed = 1;
  src.fast = true;
  ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
  ASSERT_TRUE(ctl.sessionSettings().cues.has_value());
  std::vector<core::Cue> cues;
  // On device time: the virtual rig (seed 1) holds from about 16 s and reaches 30 s in its hold
  // before 60 s; a generous overall limit.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (ctl.samples().lastTime_s() < 60 && std::chrono::steady_clock::now() < give_up) {
    ctl.update();
    for (core::Cue& c : ctl.takeCues()) cues.push_back(c);
    ctl.nextStep();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ctl.stop();
  for (core::Cue& c : ctl.takeCues()) cues.push_back(c);
  ASSERT_FALSE(cues.empty()) << "the hold's 30 s comes before 60 s of device time";
  for (const core::Cue& c : cues)
    EXPECT_NE(c.kind, core::CueKind::kHoldConfirmed) << "at " << c.t_s << " s: " << c.words;
  EXPECT_TRUE(std::any_of(cues.begin(), cues.end(), [](const core::Cue& c) {
    return c.kind == core::CueKind::kWindowReached;
  }));
  fs::remove_all(dir);
}

// The "slowly" limit is the session's one: the live share, the speed gauge and the too-fast cue
// count against it, with the cues on or off (before, the engine counted against its own 30 mm/s
// while the setting only moved the cue).
TEST(SessionController, TheUsersSlowlyLimitIsWhatTheSessionCountsRollingTooFastAgainst) {
  const fs::path dir = freshDir("controller-slowly");
  SessionController ctl((dir / "sessions.db").string(), [] {});
  GuiSettings s;
  s.cues = CueMode::kOff;
  s.slow_limit_mm_s = 75;
  ctl.setNewSessionSettings(newSessionSettings(s));
  SourceChoice src;
  src.seed = 1;
  src.fast = true;
  ASSERT_TRUE(ctl.start(src)) << ctl.errorText();
  EXPECT_EQ(ctl.sessionSettings().slow_roll_mm_s, 75);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (ctl.samples().lastTime_s() < 2 && std::chrono::steady_clock::now() < give_up) {
    ctl.update();
    ctl.nextStep();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ctl.update();
  EXPECT_EQ(ctl.snapshot().rolling.slow_roll_mm_s, 75);
  ctl.stop();
  fs::remove_all(dir);
}

// [SECTION] The view's layout: at every window size, content scale and font scale, it fits

namespace {

using rollrig::testing::kDejaVu;
using rollrig::testing::ScaledUi;

}  // namespace

TEST(SettingsView, FitsTheWindowAtEverySizeContentScaleAndFontScale) {
  if (!fs::exists(kDejaVu)) GTEST_SKIP() << kDejaVu << " is missing (fonts-dejavu-core)";
  // The longest texts: problems beside four groups, a session recording, a long path.
  GuiSettings d;
  d.body_mass_kg = 7;
  d.protocol.hold_min_s = 95;
  d.protocol.stretch_hold_max_s = 5;
  d.ball = "a massage ball with spikes, blue";
  d.band_low_pct = 60;  // above the band's high end
  d.cues = CueMode::kVoice;
  d.cue_kinds[kindIndex(core::CueKind::kTooFast)] = false;
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
        if (font_scale == 1.0f && h >= 720) {
          EXPECT_LE(win->DC.CursorMaxPos.y, lay.body.y1);
        }
        ImGui::EndFrame();
      }
    }
}

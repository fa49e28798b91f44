// Settings view: every setting of gui.json (settings.h) in one place, each with what it does and
// when it applies — body mass and force unit (at once), the ball (stored with each new session,
// as is the body mass), the protocol's timings, the load band and the "slowly" limit (from the
// next session: the guide's steps and cue, the hold panel's protocol window, what the cues watch
// for), the cues (tones or voice, and each kind on or off: from the next session), the theme and
// the font scale (at once). In a wide window the cues and the window's settings take a column of
// their own on the right; in a narrow one everything is one column that scrolls.
//
// One source of truth: the app's GuiSettings. The view edits a draft of it; a draft that is valid
// (validateSettings) and differs is applied to the settings at once (applySettingsDraft), and the
// app saves the file. A draft that is not valid yet (a body mass of "7" on the way to "75") is not
// applied: the problem is shown beside the setting, in words, until it is fixed, and the file is
// left as it was. A change made elsewhere (the protocol panel's settings row, the C key) replaces
// the draft, pending edit and all.
//
// computeSettingsView() and applySettingsDraft() are pure (no ImGui: the tests use them without a
// window); drawSettingsView() draws the model and the editors. UI thread only.
#pragma once

#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "session_controller.h"
#include "settings.h"

namespace rollrig::gui {

// The balls offered beside the ball's text field (any other text is fine too).
inline constexpr const char* kBallPresets[] = {"lacrosse ball", "massage ball", "tennis ball",
                                               "spiky ball",    "peanut ball",  "foam roller"};

// What a new session takes from the settings (the ball, the body mass, the protocol window, and
// the cues' settings when cues are on).
NewSessionSettings newSessionSettings(const GuiSettings& s);

// Each cue kind in the user's words, for its switch ("hold confirmed", "30 s reached", ...).
const char* cueKindWords(core::CueKind k);

struct SettingsViewState {
  GuiSettings draft;     // what the editors show
  GuiSettings base;      // the settings the draft was taken from
  bool pending = false;  // the draft holds an edit that is not valid yet (not applied)
};

// Takes the app's settings into the draft, unless the draft holds a pending edit made on these
// same settings. Call once a frame before computeSettingsView().
void syncSettingsDraft(SettingsViewState& st, const GuiSettings& settings);

// What the app needs to do after a draft was applied.
struct SettingsApplied {
  bool changed = false;       // the settings changed: save them
  bool theme = false;         // ... the theme among them: setTheme() and ImGui's style
  bool font_scale = false;    // ... the font scale: rebuild the font atlas
  bool new_sessions = false;  // ... what new sessions take (ball, mass, protocol)
};
// Applies a valid draft that differs from `settings` (then `settings` is the draft); a draft that
// is not valid stays pending.
SettingsApplied applySettingsDraft(SettingsViewState& st, GuiSettings& settings);

// Where the view stands: the file, its last error, and the session recording now (if any).
struct SettingsContext {
  std::string path;            // gui.json ("" none could be found)
  std::string file_error;      // the file could not be read, is not valid, or could not be written
  bool recording = false;      // a live session is recording ...
  NewSessionSettings session;  // ... with these
  core::ProtocolGuideParams guide;  // ... and its protocol guide's timings
};

struct SettingsViewModel {
  // The problem beside each group of settings ("" none), from settingsProblems() of the draft.
  std::string mass_problem, ball_problem, hold_problem, move_on_problem, stretch_problem,
      band_problem, slow_problem, font_problem, other_problem;
  // When each group applies.
  std::string you_note, protocol_note, cues_note, window_note;
  // The running session's own values while one records, and that changes wait for the next one.
  std::string session_note;
  // The bottom line: "saved in PATH", "not saved: fix …" or the file's problem.
  std::string status;
  Rgb status_colour = kAxisText;
  bool defaults_protocol = true;  // the draft's protocol timings are the exercise's defaults
};

SettingsViewModel computeSettingsView(const GuiSettings& draft, const GuiSettings& settings,
                                      const SettingsContext& ctx);

// Draws the view in `r` and edits st.draft (sets st.pending when the edit is not valid yet).
void drawSettingsView(const SettingsViewModel& m, SettingsViewState& st, const Rect& r,
                      const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

// Protocol panel: the exercise's four steps (core::ProtocolGuide) — right side rolling, left side
// rolling, the right and the left kneeling hip-flexor stretch, as a row of chips with the current
// one highlighted. The current step sits in a teal band in large text with its timer, its totals
// (rolling: holds and those worked through; stretch: the stretch time toward 60 s and the running
// stretch hold's 10-30 s timer), then the gentle move-on cue, the total so far and the keys. Below:
// the note field (N opens it, Enter keeps the note, Esc drops it: a field in the panel, not a
// modal) and the settings (force in N or % body weight, body mass), with a settings file that
// could not be read shown as state.
//
// computeProtocolPanel() is pure (no ImGui); drawProtocolPanel() draws the model and the two small
// editors and returns what the user did. UI thread only.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "draw_util.h"
#include "rollrig/core/protocol_guide.h"
#include "settings.h"
#include "theme.h"

namespace rollrig::gui {

struct ProtocolPanelModel {
  bool active = false;       // a step is current (the session has started)
  bool finished = false;     // all four done
  std::string current;       // "2/4  LEFT SIDE ROLLING"
  std::string step_timer;    // "3:12": the step's time, or the running stretch hold's
  std::string totals;        // "2 holds · 1 worked through" / "stretch 0:25 of 1:00"
  std::string stretch_hold;  // "this hold (10–30 s) · step 2:10" while timing; "" otherwise
  Rgb stretch_colour = kLightText;  // the timer's chip while timing: amber under 10 s, green 10–30
                                    // s, red past 30 s
  std::string cue;  // the move-on cue ("" none)
  // The four steps as a row of chips, the current one highlighted.
  struct Row {
    std::string chip;  // "✓ R roll", "R stretch"
    std::string text;  // "right side rolling  4:10 · 3/4 holds" (hover and tests)
    bool current = false, done = false;
  };
  std::vector<Row> rows;
  std::string total;  // "total 12:04"
  std::string keys;   // what the keys do now (space during a stretch)
};

ProtocolPanelModel computeProtocolPanel(const core::ProtocolGuideView& v,
                                        const core::ProtocolGuideParams& p);

// The note field and the settings row: UI state kept across frames.
struct ProtocolPanelState {
  bool note_open = false;
  bool note_focus = false;  // give the field the keyboard on the next frame
  std::array<char, 256> note{};
  std::string settings_error;  // a settings file that could not be read or written
};

struct ProtocolPanelAction {
  bool note_kept = false;  // Enter: `note` is the text for addNote
  std::string note;
  bool settings_changed = false;  // `settings` was edited (save it)
};

// The settings row's shape for `avail_w` px (ImGui's current font and style): with the "force in"
// label and the mass's -/+ buttons when they fit; `width` is what the row then takes. Between
// ImGui::NewFrame() and Render().
struct SettingsRowLayout {
  bool label = true, buttons = true;
  float mass_w = 0;  // the mass field, its buttons included
  float width = 0;
};
SettingsRowLayout settingsRowLayout(float avail_w);

ProtocolPanelAction drawProtocolPanel(const ProtocolPanelModel& m, ProtocolPanelState& st,
                                      GuiSettings& settings, const Rect& r, const Fonts& fonts,
                                      SolidFills& fills);

}  // namespace rollrig::gui

// The user's keys, read from ImGui's key state by GLFW key code (Dear ImGui 1.86 has no named
// keys): space = released, 0-9 (and the keypad's) = pain rating, L / R = side. readMarkKeys() only
// reads; applyMarkKey() hands the mark to the engine (through the SessionController), which stamps
// it with the latest sample's device time and stores it with the session.
//
// UI thread only, between ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <string>
#include <vector>

#include "rollrig/core/session_analyzer.h"
#include "session_controller.h"

namespace rollrig::gui {

struct MarkKey {
  enum class Kind { kReleased, kPain, kSide } kind = Kind::kReleased;
  int pain = -1;                           // kPain: 0..9
  core::Side side = core::Side::kUnknown;  // kSide
  std::string said() const;                // "released", "pain 4", "side left"
};

// The marks pressed this frame, in a fixed order; none while a text field has the keyboard.
std::vector<MarkKey> readMarkKeys();

void applyMarkKey(const MarkKey& key, SessionController& ctl);

// The protocol guide's keys this frame: Tab = next step, N = open the note field
// (protocol_panel.h). None while a text field has the keyboard.
struct GuideKeys {
  bool next_step = false;
  bool note = false;
};
GuideKeys readGuideKeys();

// The plot's view keys (force_plot.h): F = follow live, P = pause / resume the view (the recording
// never pauses), A = autoscale the force axis again, C = the per-cell traces on / off (a setting).
// None while a text field has the keyboard.
struct ViewKeys {
  bool follow_live = false, toggle_pause = false, auto_force_axis = false, toggle_cells = false;
};
ViewKeys readViewKeys();

}  // namespace rollrig::gui

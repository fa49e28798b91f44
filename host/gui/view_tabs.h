// View tabs: the strip across the top of the window that switches between the app's views — Live
// (the session being recorded), Sessions (the library and the replay), and the views that follow
// (history, calibration, settings). F1, F2, ... pick them too. While a live session records and
// another view is shown, the strip says so on its right ("recording 12:34"), so nobody leaves a
// recording running unawares.
//
// computeViewTabs() is pure; drawViewTabs() draws the strip and returns the view clicked.
#pragma once

#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"

namespace rollrig::gui {

enum class View { kLive, kSessions, kReplay, kHistory, kCalibrate, kSettings };

// The tab a view sits under (a replay is part of Sessions).
View tabOf(View v);
const char* viewName(View v);  // "Live", "Sessions", ...

struct ViewTab {
  View view = View::kLive;
  std::string label;  // "Live  F1"
  bool active = false;
};

struct ViewTabsModel {
  std::vector<ViewTab> tabs;
  std::string recording;  // "recording 12:34" when a live session runs in another view; else ""
};

// `views`: the tabs, in order (F1 is the first). `recording_s` >= 0: a live session is recording
// this long.
ViewTabsModel computeViewTabs(const std::vector<View>& views, View current, double recording_s);

// The view whose F-key (GLFW_KEY_F1 + i) was pressed this frame, if any.
bool readViewKey(const std::vector<View>& views, View* picked);

// Returns true with *picked set when a tab was clicked.
bool drawViewTabs(const ViewTabsModel& m, const Rect& r, const Fonts& fonts, SolidFills& fills,
                  View* picked);

}  // namespace rollrig::gui

// Marks table: the marks of the session being replayed — pain ratings, notes, "released" presses
// and side marks, said during the session or added afterwards — one row each, with the time, what
// it says, the hold it falls in and where it came from. It shares its panel with the holds table
// (a "Holds | Marks" switch at the top; M in the replay).
//
// Clicking a row moves the replay's cursor to the mark and selects it. The selected mark's
// actions sit above the table: change its pain rating, its note's text or its side, put it at the
// replay's cursor, or delete it. Every change is stored as an edit (a new row that replaces the
// old, or the old one marked deleted; engine::editMarker / engine::deleteMarker), as
// `rollrig mark --edit-marker / --delete-marker` stores it; the library keeps what was said
// during the session. No dialogs.
//
// computeMarksTable() is pure (the session's details in, rows out); drawMarksTable() draws it and
// returns what the user asked for; the replay (ReplayController) writes the edits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/core/session_events.h"
#include "rollrig/engine/session_library.h"

namespace rollrig::gui {

struct MarkRow {
  int64_t id = 0;         // the marker's row (store::StoredMarker::id)
  double t_s = 0;         // session seconds
  std::string time;       // "1:42"
  std::string what;       // "pain 6", "note: calf tight", "released (you pressed)", "side: left"
  std::string hold;       // "2": the hold it falls in; "" between holds
  std::string origin;     // "said live", "added later", "changed later"
  bool current = false;   // the latest mark at or before the replay's cursor
  bool selected = false;  // the mark the actions apply to
};

// The selected mark's actions.
struct MarkActions {
  int64_t id = 0;     // 0: none selected (the actions are not shown)
  std::string label;  // "Pain 6 at 1:42"
  core::MarkerKind kind = core::MarkerKind::kNote;
  int pain = -1;
  std::string text;
  core::Side side = core::Side::kUnknown;
  bool can_move = false;   // the cursor is somewhere else
  std::string move_label;  // "move to 1:50"
};

struct MarksTableModel {
  std::vector<MarkRow> rows;  // in time order
  std::string title;          // "2 added or changed later", "all said live"
  size_t holds = 0;           // for the switch's "Holds (N)"
  MarkActions actions;
  std::string status;  // the last edit ("pain 6 changed, saved") or ""
  bool status_error = false;
};

// Session seconds of a marker (device time since the session's first sample).
double markerTime_s(const engine::SessionDetails& d, const core::Marker& m);

// `cursor_s`: the replay's cursor. `selected_id`: the selected mark's row id (0: none; an id that
// is no longer effective selects nothing).
MarksTableModel computeMarksTable(const engine::SessionDetails& d, double cursor_s,
                                  int64_t selected_id);

// UI state kept across frames.
struct MarksTableState {
  int64_t selected_id = 0;
  // The selected note's text being edited, loaded when the selection changes (text_for).
  std::array<char, 256> text{};
  int64_t text_for = 0;
  int pain = -1;  // the pain slider's value while it is dragged
  std::string status;
  bool status_error = false;
};

struct MarksTableAction {
  int64_t clicked = 0;  // a row clicked: select it, cursor to clicked_t_s
  double clicked_t_s = 0;
  bool move_to_cursor = false, remove = false;  // on actions.id
  std::optional<int> pain;                      // a new pain rating (0-10)
  std::optional<std::string> text;              // a note's new text (Enter in its field)
  std::optional<core::Side> side;
  bool show_holds = false;  // the switch: back to the holds table
};

MarksTableAction drawMarksTable(const MarksTableModel& m, MarksTableState& st, const Rect& r,
                                const Fonts& fonts, SolidFills& fills);

// The "Holds (N) | Marks (M)" switch at the start of the table panel's first line (both tables
// draw it). True when the other table was picked.
bool drawHoldsMarksSwitch(bool marks_shown, size_t holds, size_t marks);

}  // namespace rollrig::gui

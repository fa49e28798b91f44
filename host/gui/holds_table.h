// Holds table: the holds of the session being replayed, one row each — when it started, how long
// it lasted, the side, the force level, the time to release and what triggered it (or that it did
// not release), the pain ratings given during it, the ball's steadiness (CoP mean velocity, ranges
// and path, as balance software reports them; computed by the core) and the notes — as stored
// with the session, with the user's edits applied (engine::SessionDetails: the detector's values
// are kept beside them, and an edited release shows both, e.g. "0:38 load-up → 0:42 (you moved
// it)").
// Clicking a row moves the replay's cursor to the hold, zooms the force plot onto it and selects
// it. The selected hold's actions sit above the table: confirm its release, put the release at the
// replay's cursor, say it did not release, or undo the edit (back to the detector's value; every
// edit stays in the library). No dialogs. The note field (N in the replay) is here too: Enter
// keeps the note at the cursor, Esc drops it.
//
// computeHoldsTable() is pure (the session's details in, rows out); drawHoldsTable() draws it and
// returns what the user asked for; the replay (ReplayController) writes the edits.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/session_library.h"
#include "settings.h"

namespace rollrig::gui {

struct HoldRow {
  std::string number;    // "1"
  std::string start;     // "3:05"
  std::string duration;  // "0:42"
  std::string side;      // "right", "left" or "—"
  std::string level;     // "305 N" / "44 % BW"
  // "0:38 load-up", "0:51 you pressed", "not released"; edited: the detector's value, then the
  // user's: "0:38 load-up → 0:42 (you moved it)", "0:38 load-up → none (you deleted it)",
  // "0:38 load-up ✓ (you confirmed it)".
  std::string release;
  Rgb release_colour = kAxisText;
  bool edited = false;  // the release shows an edit (drawn in the marks' colour)
  std::string pain;     // "6", "4, 7" or ""
  // The ball's steadiness during the hold (core::HoldSteadiness): "2.4 mm/s", "4.6 × 7.4 mm"
  // (medial-lateral × anterior-posterior range), "104 mm" (path); "none" without a position.
  std::string velocity, ranges, path;
  std::string notes;      // the notes made during the hold, joined
  bool current = false;   // the replay's cursor is inside it
  bool selected = false;  // the hold the actions apply to
};

// The selected hold's actions.
struct HoldActions {
  int hold = -1;             // 0-based; -1: none selected (the actions are not shown)
  std::string label;         // "Hold 3"
  std::string move_label;    // "release at 1:42" (the cursor's time in the hold)
  bool can_move = false;     // the cursor lies inside the hold
  bool can_undo = false;     // the hold has an edit in effect
  bool has_release = false;  // effective: confirm / no release make sense
  std::string hint;          // "move the cursor into the hold to put the release there"
};

struct HoldsTableModel {
  std::vector<HoldRow> rows;
  std::string title;  // "5 holds · 3 released"
  HoldActions actions;
  std::string status;  // the last edit ("hold 3: release moved to 1:42, saved") or ""
  bool status_error = false;
  std::string orphans;  // "1 edit names a hold the analysis no longer finds" or ""
  size_t marks = 0;     // the session's marks, for the switch's "Marks (N)" (marks_table.h)
};

// `cursor_s`: the replay's cursor (session seconds), to mark the hold it is in. `selected`: the
// hold the actions apply to (0-based; -1: the one the cursor is in, if any).
HoldsTableModel computeHoldsTable(const engine::SessionDetails& d, const ForceFormat& force,
                                  double cursor_s, int selected = -1);

// UI state kept across frames.
struct HoldsTableState {
  int selected = -1;  // the clicked hold (0-based); -1: follow the cursor
  bool note_open = false;
  bool note_focus = false;  // give the field the keyboard on the next frame
  std::array<char, 256> note{};
  std::string status;  // shown in the model's status line (set by the app after an edit)
  bool status_error = false;
};

struct HoldsTableAction {
  int clicked = -1;  // a row clicked: go to this hold (0-based)
  bool confirm = false, move_to_cursor = false, no_release = false,
       undo = false;       // on actions.hold
  bool note_kept = false;  // Enter in the note field: `note` is the text
  std::string note;
  bool show_marks = false;  // the switch: the marks table instead (marks_table.h)
};

HoldsTableAction drawHoldsTable(const HoldsTableModel& m, HoldsTableState& st, const Rect& r,
                                const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

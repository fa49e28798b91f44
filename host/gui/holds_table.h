// Holds table: the holds of the session being replayed, one row each — when it started, how long
// it lasted, the side, the force level, the time to release and what triggered it (or that it did
// not release), the pain ratings given during it, the ball's steadiness (CoP mean velocity, ranges
// and path, as balance software reports them; computed by the core) and the notes — as stored
// with the session.
// Clicking a row moves the replay's cursor to the hold and zooms the force plot onto it.
//
// computeHoldsTable() is pure (the session's details in, rows out); drawHoldsTable() draws it and
// returns the row clicked.
#pragma once

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
  std::string release;   // "0:38 load-up", "0:51 you pressed", "not released"
  Rgb release_colour = kAxisText;
  std::string pain;  // "6", "4, 7" or ""
  // The ball's steadiness during the hold (core::HoldSteadiness): "2.4 mm/s", "4.6 × 7.4 mm"
  // (medial-lateral × anterior-posterior range), "104 mm" (path); "none" without a position.
  std::string velocity, ranges, path;
  std::string notes;     // the notes made during the hold, joined
  bool current = false;  // the replay's cursor is inside it
};

struct HoldsTableModel {
  std::vector<HoldRow> rows;
  std::string title;  // "5 holds · 3 released"
};

// `cursor_s`: the replay's cursor (session seconds), to mark the hold it is in.
HoldsTableModel computeHoldsTable(const engine::SessionDetails& d, const ForceFormat& force,
                                  double cursor_s);

// Returns the 0-based hold clicked, or -1.
int drawHoldsTable(const HoldsTableModel& m, const Rect& r, const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

// Export strip: under the replay bar, opened with its "Export" button. Writes the session being
// replayed to a folder the user types — the same files as `rollrig export` (samples.csv,
// holds.csv, markers.csv, events.csv, session.json; engine::exportSession) — and saves PNGs of the
// force plot, the plate view or the whole window as they are on screen (at the window's
// resolution), or drawn again at twice that for print ("2× for print": every font and size
// doubled, not the screen's pixels blown up). What happened (the files written, or what went wrong
// and what to do) is shown in the strip; no dialog.
//
// Thread safety: UI thread only.
#pragma once

#include <cstdint>
#include <string>

#include "draw_util.h"
#include "layout.h"

namespace rollrig::gui {

// The folder a session's export goes to by default: $HOME/rollrig-exports/session-ID (or the
// current directory's rollrig-exports/ without HOME).
std::string defaultExportDir(int64_t session_id);

struct ExportStripState {
  bool open = false;
  int64_t session_id = 0;  // the folder below was made for this session
  char folder[512] = "";
  std::string message;  // the last result, in words
  bool message_is_error = false;
  bool print_2x = false;  // PNGs at twice the window's pixels, drawn for print (name@2x.png)
};

struct ExportStripAction {
  bool session_files = false;  // samples.csv, holds.csv, markers.csv, events.csv, session.json
  bool png_plot = false, png_plate = false, png_window = false;
  bool close = false;
};

ExportStripAction drawExportStrip(ExportStripState& state, const Rect& r, const Fonts& fonts,
                                  SolidFills& fills);

}  // namespace rollrig::gui

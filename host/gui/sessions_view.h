// Sessions view: the session library as a list — when (local date and time), how long, which
// device, which sides, holds and releases, and how the session ended (stopped, interrupted and
// recovered, still recording) — newest first, filtered by date and side. Open one to replay it
// (replay_view.h).
//
// LibraryBrowser reads the list; computeSessionsView() is pure (list and filter in, rows out);
// drawSessionsView() draws the filter row and the table and returns what the user asked for.
//
// Thread safety: UI thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/store/session_store.h"

namespace rollrig::gui {

// Opens the library at `path` to read it: read-only, so a recording elsewhere keeps writing; a
// library from an older rollrig (which a read-only connection cannot upgrade) is opened read-write
// once to upgrade it, then read-only again. The store's error when it cannot be read.
store::StoreError openLibraryForReading(store::SessionStore& st, const std::string& path);

// The library's session list, read on demand. Each refresh() opens the library read-only and
// closes it again, so a recording in this or another rollrig keeps writing undisturbed (SQLite's
// WAL lets a reader in beside the writer).
class LibraryBrowser {
 public:
  explicit LibraryBrowser(std::string db_path) : m_path(std::move(db_path)) {}
  void refresh();
  const std::string& path() const { return m_path; }
  const std::vector<store::SessionListEntry>& sessions() const { return m_sessions; }
  const std::string& error() const { return m_error; }  // "" when the list was read
  bool loaded() const { return m_loaded; }

 private:
  std::string m_path;
  std::vector<store::SessionListEntry> m_sessions;
  std::string m_error;
  bool m_loaded = false;
};

struct SessionsFilter {
  std::string date;  // a local date or its start: "2026-11" or "2026-11-03"; "" any
  enum class Side { kAny, kLeft, kRight } side = Side::kAny;
};

struct SessionRow {
  int64_t id = 0;
  std::string date;      // local: "Tue 2026-11-03"
  std::string time;      // local: "18:05"
  std::string duration;  // "45:12" or "1:02:03"
  std::string device;    // "0000D3E0" or "import"
  std::string sides;     // "right, left", or "—"
  std::string holds;     // "5"
  std::string releases;  // "3 of 5"
  std::string status;    // "stopped", "interrupted", "recording", ...
  Rgb status_colour = kAxisText;
};

struct SessionsViewModel {
  std::vector<SessionRow> rows;  // newest first, filtered
  std::string summary;           // "12 of 14 sessions" / "no sessions yet"
  std::string error;             // the library could not be read (what to do)
};

// The local date ("YYYY-MM-DD"), weekday and time of an ISO 8601 UTC time ("2026-11-03T17:05:00Z"),
// in the process's time zone (TZ). False when it cannot be parsed.
bool localDateTime(const std::string& utc, std::string* date, std::string* weekday,
                   std::string* hh_mm);

SessionsViewModel computeSessionsView(const std::vector<store::SessionListEntry>& sessions,
                                      const SessionsFilter& filter, const std::string& error = "");

// The view's own state (UI thread).
struct SessionsViewState {
  char date[32] = "";
  int side = 0;               // SessionsFilter::Side
  int64_t selected_id = 0;    // 0: none
  bool refresh_asked = true;  // read the list again before the next frame
};

struct SessionsViewAction {
  int64_t open_id = 0;  // replay this session
};

SessionsViewAction drawSessionsView(const SessionsViewModel& m, SessionsViewState& state,
                                    const Rect& r, const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

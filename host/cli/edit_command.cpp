// `rollrig edit` and `rollrig mark`: editing a stored session afterwards (issue 12). A detected
// release is confirmed, moved or deleted; markers (pain, note, released, side) are added after the
// fact, changed or deleted. Everything is stored as edits beside what the detector found and what
// was said during the session (docs/STORE.md, "Version 4"); `rollrig show` lists both, and
// `rollrig history` uses the edited values (docs/HISTORY.md). Thin: the engine's edit operations
// (engine/session_library.h) do the work. Exit codes: exit_codes.h (README.md).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/engine/session_library.h"
#include "rollrig/store/session_store.h"

namespace rollrig::cli {

namespace {

using json = nlohmann::ordered_json;

std::string fmt1(double v) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.1f", v);
  return b;
}

int openForEdit(const char* me, const std::string& db, store::SessionStore* st) {
  store::OpenOptions o;
  o.busy_timeout_ms = 5000;  // a live recording's commit is a few ms; wait for it, never break it
  const std::string path = db.empty() ? store::defaultLibraryPath() : db;
  const store::StoreError e = st->open(path, o);
  if (!e) return kExitOk;
  std::cerr << "rollrig " << me << ": " << e.message << "\n";
  const int code = exitCodeFor(e.kind);
  return code == kExitNoSession ? kExitLibrary : code;
}

// A request the session cannot take (a time outside the hold, a pain of 11) is a usage error.
int reportEdit(const char* me, const engine::LibraryError& e) {
  std::cerr << "rollrig " << me << ": " << e.message << "\n";
  switch (e.kind) {
    case engine::LibraryErrorKind::kNone:
      return kExitOk;
    case engine::LibraryErrorKind::kStore:
      return exitCodeFor(e.store_kind);
    case engine::LibraryErrorKind::kNotFound:
      return kExitNoSession;
    case engine::LibraryErrorKind::kRefused:
      return kExitUsage;
    case engine::LibraryErrorKind::kInput:
      return kExitInput;
    case engine::LibraryErrorKind::kOutput:
      return kExitOutput;
  }
  return kExitFailure;
}

std::string releaseText(const std::optional<double>& release_s, const std::string& source) {
  if (!release_s) return "no release";
  return fmt1(*release_s) + " s" + (source.empty() ? "" : " (" + source + ")");
}

std::string markerText(const core::Marker& m) {
  std::string s = core::markerKindName(m.kind);
  if (m.kind == core::MarkerKind::kPain) s += " " + std::to_string(m.pain);
  if (m.kind == core::MarkerKind::kSide) s += std::string(" ") + core::sideName(m.side);
  if (!m.text.empty()) s += " \"" + m.text + "\"";
  return s;
}

double sessionSeconds(const engine::SessionDetails& d, uint64_t t_us) {
  const uint64_t first = d.record.first_t_us.value_or(0);
  return (static_cast<double>(t_us) - static_cast<double>(first)) / 1e6;
}

// The 1-based number of the hold an edit applies to in `d`, or 0.
size_t holdNumberOf(const engine::SessionDetails& d, const store::ReleaseEdit& e) {
  for (size_t i = 0; i < d.hold_edits.size(); ++i)
    if (d.hold_edits[i].edit && d.hold_edits[i].edit->id == e.id) return i + 1;
  return 0;
}

}  // namespace

// [SECTION] Registration

void addEditCommands(CLI::App& app, EditOptions& opt) {
  CLI::App* ed = app.add_subcommand("edit", "confirm, move or delete a hold's detected release");
  ed->add_option("id", opt.id, "the session's id (rollrig sessions)")->required();
  ed->add_option("--hold", opt.hold, "the hold's number, as `rollrig show` lists them")
      ->required()
      ->check(CLI::PositiveNumber);
  CLI::Option* c = ed->add_flag("--confirm", opt.confirm, "the detected release is right");
  CLI::Option* r = ed->add_option("--release-at", opt.release_at_s,
                                  "the release was at S seconds of the session (inside the hold)")
                       ->type_name("S");
  CLI::Option* n = ed->add_flag("--no-release", opt.no_release, "the hold did not release");
  CLI::Option* u =
      ed->add_flag("--undo", opt.undo, "back to the detector's release (earlier edits are kept)");
  c->excludes(r)->excludes(n)->excludes(u);
  r->excludes(n)->excludes(u);
  n->excludes(u);
  ed->add_option("--db", opt.db, "the session library (default: $ROLLRIG_DB, else the default)")
      ->type_name("PATH");
  ed->add_flag("--json", opt.json, "print the hold after the edit as JSON");
  ed->footer(
      "The detector's result is kept beside the edit; `rollrig show` lists both, `rollrig\n"
      "history` uses the edited value. Exit codes: 0 ok, 2 usage (or a time outside the hold),\n"
      "8 library read-only or full, 12 library unreadable or newer, 13 no such session or hold.");

  CLI::App* mk = app.add_subcommand("mark", "add, change or delete a marker after the session");
  mk->add_option("id", opt.id, "the session's id (rollrig sessions)")->required();
  mk->add_option("--at", opt.at_s, "the marker's time, seconds of the session")->type_name("S");
  mk->add_option("--pain", opt.pain, "a pain rating, 0 (none) to 10 (worst)")
      ->check(CLI::Range(0, 10));
  mk->add_option("--note", opt.note, "a note")->type_name("TEXT");
  mk->add_flag("--released", opt.released, "it released here");
  mk->add_option("--side", opt.side, "from here on the side is")
      ->check(CLI::IsMember({"left", "right"}));
  mk->add_option("--edit-marker", opt.edit_marker,
                 "change this marker (ids: rollrig show) to the values given")
      ->type_name("ID");
  mk->add_option("--delete-marker", opt.delete_marker, "delete this marker (it is kept as deleted)")
      ->type_name("ID");
  mk->add_option("--db", opt.db, "the session library (default: $ROLLRIG_DB, else the default)")
      ->type_name("PATH");
  mk->footer(
      "Add: --at S and one of --pain, --note, --released, --side. Change: --edit-marker ID with\n"
      "what changes (--at, --pain, --note, --side). Delete: --delete-marker ID. The original is\n"
      "kept. Exit codes: 0 ok, 2 usage (or a time outside the session), 8 library read-only or\n"
      "full, 12 library unreadable or newer, 13 no such session or marker.");
}

// [SECTION] edit

int runEdit(const EditOptions& opt) {
  const char* me = "edit";
  const int chosen = opt.confirm + opt.no_release + opt.undo + opt.release_at_s.has_value();
  if (chosen != 1) {
    std::cerr << "rollrig edit: say what to do with the release: --confirm, --release-at S, "
                 "--no-release or --undo\n";
    return kExitUsage;
  }
  store::SessionStore st;
  if (int code = openForEdit(me, opt.db, &st)) return code;
  engine::SessionDetails d;
  if (engine::LibraryError e = engine::loadSessionDetails(st, opt.id, &d)) return reportEdit(me, e);
  if (opt.hold < 1 || static_cast<size_t>(opt.hold) > d.holds.size()) {
    std::cerr << "rollrig edit: session " << opt.id << " has " << d.holds.size()
              << " holds; there is no hold " << opt.hold << " (`rollrig show " << opt.id
              << "` lists them)\n";
    return kExitNoSession;
  }
  const size_t i = static_cast<size_t>(opt.hold - 1);
  const double start_s = d.detected_holds[i].start_s;
  store::ReleaseEditKind kind = store::ReleaseEditKind::kConfirmed;
  if (opt.no_release) kind = store::ReleaseEditKind::kDeleted;
  if (opt.undo) kind = store::ReleaseEditKind::kReverted;
  if (opt.release_at_s) kind = store::ReleaseEditKind::kMoved;
  if (engine::LibraryError e =
          engine::editRelease(st, opt.id, start_s, kind, opt.release_at_s.value_or(0)))
    return reportEdit(me, e);
  if (engine::LibraryError e = engine::loadSessionDetails(st, opt.id, &d)) return reportEdit(me, e);
  const core::Hold& h = d.holds[i];
  const engine::HoldEditState& es = d.hold_edits[i];
  if (opt.json) {
    std::cout << json{{"id", opt.id},
                      {"hold", opt.hold},
                      {"start_s", h.start_s},
                      {"edit", store::releaseEditKindName(kind)},
                      {"release_s", h.release_s ? json(*h.release_s) : json(nullptr)},
                      {"release_source", h.release_source},
                      {"detected_release_s",
                       es.detected_release_s ? json(*es.detected_release_s) : json(nullptr)},
                      {"detected_source", es.detected_source}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "Session " << opt.id << ", hold " << opt.hold << " (from " << fmt1(h.start_s)
            << " s): " << store::releaseEditKindName(kind) << "; release now "
            << releaseText(h.release_s, h.release_source) << ", detected "
            << releaseText(es.detected_release_s, es.detected_source) << "\n";
  return kExitOk;
}

// [SECTION] mark

int runMark(const EditOptions& opt) {
  const char* me = "mark";
  const bool has_value = opt.pain || opt.note || opt.released || !opt.side.empty();
  const int values = opt.pain.has_value() + opt.note.has_value() + opt.released + !opt.side.empty();
  const int modes = opt.edit_marker.has_value() + opt.delete_marker.has_value();
  if (modes > 1 || (opt.delete_marker && (has_value || opt.at_s)) ||
      (!modes && (!opt.at_s || values != 1)) || (opt.edit_marker && !has_value && !opt.at_s) ||
      (opt.edit_marker && opt.released)) {
    std::cerr << "rollrig mark: add a marker with --at S and one of --pain N, --note TEXT, "
                 "--released, --side left|right; change one with --edit-marker ID and what "
                 "changes (--at, --pain, --note, --side); delete one with --delete-marker ID\n";
    return kExitUsage;
  }
  store::SessionStore st;
  if (int code = openForEdit(me, opt.db, &st)) return code;
  if (opt.delete_marker) {
    if (engine::LibraryError e = engine::deleteMarker(st, opt.id, *opt.delete_marker))
      return reportEdit(me, e);
    std::cout << "Session " << opt.id << ": marker " << *opt.delete_marker
              << " deleted (kept as deleted; `rollrig show " << opt.id << "` lists it)\n";
    return kExitOk;
  }
  core::Marker m;
  if (opt.pain) m.kind = core::MarkerKind::kPain, m.pain = *opt.pain;
  if (opt.note) m.kind = core::MarkerKind::kNote, m.text = *opt.note;
  if (opt.released) m.kind = core::MarkerKind::kReleased;
  if (!opt.side.empty())
    m.kind = core::MarkerKind::kSide,
    m.side = opt.side == "left" ? core::Side::kLeft : core::Side::kRight;
  int64_t new_id = 0;
  if (opt.edit_marker) {
    engine::MarkerChange c;
    c.t_s = opt.at_s;
    if (opt.pain) c.pain = *opt.pain;
    if (opt.note) c.text = *opt.note;
    if (!opt.side.empty()) c.side = m.side;
    if (engine::LibraryError e = engine::editMarker(st, opt.id, *opt.edit_marker, c, "", &new_id))
      return reportEdit(me, e);
    std::cout << "Session " << opt.id << ": marker " << *opt.edit_marker << " changed (now marker "
              << new_id << "; the original is kept)\n";
    return kExitOk;
  }
  if (engine::LibraryError e = engine::addMarkerAfter(st, opt.id, *opt.at_s, m, "", &new_id))
    return reportEdit(me, e);
  std::cout << "Session " << opt.id << ": marker " << new_id << " added at " << fmt1(*opt.at_s)
            << " s (" << markerText(m) << ")\n";
  if (m.kind == core::MarkerKind::kReleased || m.kind == core::MarkerKind::kSide)
    std::cerr << "rollrig mark: the holds take it into account once the session is analysed "
                 "again (rollrig reanalyze "
              << opt.id << "); to correct one hold's release now: rollrig edit " << opt.id
              << " --hold N --release-at S\n";
  return kExitOk;
}

// [SECTION] show's edits

void printMarkersAndEdits(std::ostream& o, const engine::SessionDetails& d) {
  o << "Markers (id, time, what)\n";
  size_t shown = 0;
  for (const store::StoredMarker& r : d.marker_rows) {
    if (!r.effective()) continue;
    ++shown;
    o << "  " << r.id << "  " << fmt1(sessionSeconds(d, r.marker.t_us)) << " s  "
      << markerText(r.marker);
    if (r.replaces)
      o << "  (changed " << r.added_utc << ", was marker " << *r.replaces << ")";
    else if (!r.added_utc.empty())
      o << "  (added " << r.added_utc << ")";
    o << "\n";
  }
  if (!shown) o << "  (none)\n";
  size_t edits = 0;
  for (const store::StoredMarker& r : d.marker_rows) edits += !r.effective();
  edits += d.release_edits.size();
  if (!edits) return;
  o << "Edits (the detector's values and the markers said during the session are kept)\n";
  for (const store::ReleaseEdit& e : d.release_edits) {
    const size_t n = holdNumberOf(d, e);
    o << "  " << e.edited_utc << "  hold " << (n ? std::to_string(n) : std::string("?"))
      << " (from " << fmt1(e.hold_start_s) << " s): release " << store::releaseEditKindName(e.kind);
    if (e.release_s) o << " to " << fmt1(*e.release_s) << " s";
    if (n) {
      const engine::HoldEditState& es = d.hold_edits[n - 1];
      o << "; detected " << releaseText(es.detected_release_s, es.detected_source);
      if (es.edit && es.edit->id != e.id) o << " (superseded)";
    }
    o << "\n";
  }
  for (const store::ReleaseEdit& e : d.orphaned_edits)
    o << "  warning: the edit of " << e.edited_utc << " names a hold from " << fmt1(e.hold_start_s)
      << " s that the analysis no longer finds; it is kept but applies to nothing\n";
  for (const store::StoredMarker& r : d.marker_rows) {
    if (r.effective()) continue;
    o << "  marker " << r.id << "  " << fmt1(sessionSeconds(d, r.marker.t_us)) << " s  "
      << markerText(r.marker)
      << (r.deleted_utc.empty() ? "  changed (see the marker that replaces it)"
                                : "  deleted " + r.deleted_utc)
      << "\n";
  }
}

std::string editsJsonText(const engine::SessionDetails& d) {
  json releases = json::array(), markers = json::array(), orphaned = json::array();
  for (const store::ReleaseEdit& e : d.release_edits) {
    const size_t n = holdNumberOf(d, e);
    releases.push_back({{"id", e.id},
                        {"hold", n ? json(n) : json(nullptr)},
                        {"hold_start_s", e.hold_start_s},
                        {"kind", store::releaseEditKindName(e.kind)},
                        {"release_s", e.release_s ? json(*e.release_s) : json(nullptr)},
                        {"edited_utc", e.edited_utc}});
  }
  for (const store::ReleaseEdit& e : d.orphaned_edits) orphaned.push_back(e.id);
  for (const store::StoredMarker& r : d.marker_rows) {
    markers.push_back(
        {{"id", r.id},
         {"time_s", sessionSeconds(d, r.marker.t_us)},
         {"kind", core::markerKindName(r.marker.kind)},
         {"pain", r.marker.kind == core::MarkerKind::kPain ? json(r.marker.pain) : json(nullptr)},
         {"side", r.marker.kind == core::MarkerKind::kSide ? json(core::sideName(r.marker.side))
                                                           : json(nullptr)},
         {"note", r.marker.text},
         {"added_utc", r.added_utc.empty() ? json(nullptr) : json(r.added_utc)},
         {"replaces", r.replaces ? json(*r.replaces) : json(nullptr)},
         {"deleted_utc", r.deleted_utc.empty() ? json(nullptr) : json(r.deleted_utc)},
         {"in_effect", r.effective()}});
  }
  json holds = json::array();
  for (size_t i = 0; i < d.detected_holds.size(); ++i) {
    const engine::HoldEditState& es = d.hold_edits[i];
    holds.push_back(
        {{"hold", i + 1},
         {"detected_release_s",
          es.detected_release_s ? json(*es.detected_release_s) : json(nullptr)},
         {"detected_source", es.detected_source},
         {"edit", es.edit ? json(store::releaseEditKindName(es.edit->kind)) : json(nullptr)}});
  }
  return json{{"releases", releases},
              {"orphaned_release_edits", orphaned},
              {"detected", holds},
              {"marker_rows", markers}}
      .dump();
}

}  // namespace rollrig::cli

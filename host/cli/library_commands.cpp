// `rollrig sessions | show | export | import | reanalyze | history`: thin front ends over the
// session library (rollrig::store) and its operations (engine/session_library.h). Each opens the
// library (--db, else $ROLLRIG_DB, else the default path), calls the engine, and prints text or
// JSON. Exit codes: exit_codes.h (README.md, "Session library").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/core/calibration_json.h"
#include "rollrig/core/history.h"
#include "rollrig/engine/session_library.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/store/session_store.h"
#include "steadiness_output.h"

namespace rollrig::cli {

namespace {

using json = nlohmann::ordered_json;

// [SECTION] Opening the library and mapping errors

std::string libraryPath(const std::string& db) {
  return db.empty() ? store::defaultLibraryPath() : db;
}

int exitFor(store::StoreErrorKind k) {
  return exitCodeFor(k);
}

int report(const char* me, const engine::LibraryError& e) {
  std::cerr << "rollrig " << me << ": " << e.message << "\n";
  switch (e.kind) {
    case engine::LibraryErrorKind::kNone:
      return kExitOk;
    case engine::LibraryErrorKind::kStore:
      return exitFor(e.store_kind);
    case engine::LibraryErrorKind::kNotFound:
      return kExitNoSession;
    case engine::LibraryErrorKind::kInput:
      return kExitInput;
    case engine::LibraryErrorKind::kOutput:
      return kExitOutput;
    case engine::LibraryErrorKind::kRefused:
      return kExitCalibrationRefused;
  }
  return kExitFailure;
}

// Opens read-only for the commands that only read; an older library (which must be upgraded
// before it can be read) is opened read-write once, which migrates it.
int openLibrary(const char* me, const std::string& db, bool write, store::SessionStore* st) {
  store::OpenOptions o;
  o.mode = write ? store::OpenMode::kReadWrite : store::OpenMode::kReadOnly;
  store::StoreError e = st->open(libraryPath(db), o);
  if (e && !write && e.kind == store::StoreErrorKind::kReadOnly) {
    o.mode = store::OpenMode::kReadWrite;
    e = st->open(libraryPath(db), o);
  }
  if (!e) return kExitOk;
  std::cerr << "rollrig " << me << ": " << e.message << "\n";
  return exitFor(e.kind) == kExitNoSession ? kExitLibrary : exitFor(e.kind);
}

void addDbOption(CLI::App* sub, std::string& db) {
  sub->add_option("--db", db,
                  "the session library (default: $ROLLRIG_DB, else "
                  "$XDG_DATA_HOME/rollrig/sessions.db)")
      ->type_name("PATH");
}

// [SECTION] Formatting

std::string fmt(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", decimals, v);
  return b;
}

std::string clock(double s) {  // 1:05:09 / 5:09
  const long t = std::lround(s);
  char b[32];
  if (t >= 3600)
    std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(b, sizeof(b), "%ld:%02ld", t / 60, t % 60);
  return b;
}

// How a session ended, for listings: its end reason, or whether it is still being recorded, or
// (no end reason, no recorder) that it was interrupted and awaits recovery.
std::string stateOf(const store::SessionListEntry& s) {
  if (!s.end_reason.empty()) return s.end_reason;
  return s.recording ? "recording" : "interrupted";
}

json holdJson(const core::Hold& h) {
  json j;
  j["start_s"] = h.start_s;
  j["end_s"] = h.end_s;
  j["duration_s"] = h.duration_s();
  j["release_s"] = h.release_s ? json(*h.release_s) : json(nullptr);
  j["time_to_release_s"] = h.release_s ? json(*h.release_s - h.start_s) : json(nullptr);
  j["release_source"] = h.release_source.empty() ? json(nullptr) : json(h.release_source);
  j["mean_force_N"] = h.mean_force_n;
  j["peak_force_N"] = h.peak_force_n;
  j["x_mm"] = h.has_xy ? json(h.x_mm) : json(nullptr);
  j["y_mm"] = h.has_xy ? json(h.y_mm) : json(nullptr);
  j["side"] = core::sideName(h.side);
  j["side_source"] = core::sideSourceName(h.side_source);
  j["reached_protocol_min"] = h.reached_protocol_min;
  j["exceeded_protocol_max"] = h.exceeded_protocol_max;
  j["steadiness"] = steadinessJson(h.steadiness);
  return j;
}

void printHoldsTable(std::ostream& out, const std::vector<core::Hold>& holds) {
  if (holds.empty()) {
    out << "  (no holds)\n";
    return;
  }
  out << "  hold   start      end  duration  release  source          force_N      x_mm    y_mm  "
         "side\n";
  char b[256];
  int n = 0;
  for (const core::Hold& h : holds) {
    std::snprintf(b, sizeof(b), "  %4d %7.1f  %7.1f  %8.1f  %7s  %-14s %8.1f  %8s %7s  %s%s\n", ++n,
                  h.start_s, h.end_s, h.duration_s(),
                  h.release_s ? fmt(*h.release_s, 1).c_str() : "-",
                  h.release_source.empty() ? "-" : h.release_source.c_str(), h.mean_force_n,
                  h.has_xy ? fmt(h.x_mm, 1).c_str() : "-", h.has_xy ? fmt(h.y_mm, 1).c_str() : "-",
                  core::sideName(h.side),
                  h.side_source == core::SideSource::kPlateGuess ? " (plate guess)" : "");
    out << b << "        " << steadinessLine(h.steadiness) << "\n";
  }
}

}  // namespace

// [SECTION] Registration

void addLibraryCommands(CLI::App& app, LibraryOptions& opt) {
  CLI::App* s = app.add_subcommand("sessions", "list the sessions in the library");
  addDbOption(s, opt.db);
  s->add_flag("--json", opt.json, "print JSON instead of a table");
  s->footer(
      "One line per session: id, start (UTC), duration, device serial, holds, releases, how it "
      "ended\n(stopped, source ended, error, imported, interrupted (recovered); `recording` while "
      "a rollrig\nrecords it; `interrupted` when its recorder died and it awaits recovery).\n"
      "Exit codes: 0 ok, 12 library missing, unreadable or newer.");

  CLI::App* sh = app.add_subcommand("show", "summarise one session");
  sh->add_option("id", opt.id, "the session's id (rollrig sessions)")->required();
  addDbOption(sh, opt.db);
  sh->add_flag("--json", opt.json, "print JSON (session.json's keys plus holds, markers, events)");
  sh->footer("Exit codes: 0 ok, 12 library missing, unreadable or newer, 13 no such session.");

  CLI::App* ex = app.add_subcommand(
      "export", "write a session as samples.csv, holds.csv, markers.csv, events.csv, session.json");
  ex->add_option("id", opt.id, "the session's id (rollrig sessions)")->required();
  ex->add_option("--out", opt.out, "the directory to write (created if needed)")
      ->required()
      ->type_name("DIR");
  ex->add_flag("--force", opt.force, "write into a non-empty directory, replacing our files");
  addDbOption(ex, opt.db);
  ex->footer(
      "Formats: docs/CSV_FORMAT.md. Each file is written to a temporary name and renamed into\n"
      "place, so an existing file is never left half-written.\n"
      "Exit codes: 0 ok, 8 cannot write there (or not empty: --force), 12 library missing,\n"
      "unreadable or newer, 13 no such session.");

  CLI::App* im = app.add_subcommand("import", "bring a session CSV into the library");
  im->add_option("file", opt.file, "a session CSV: ours, or time_s,force_N[,x_mm,y_mm]")
      ->required();
  addDbOption(im, opt.db);
  im->add_flag("--json", opt.json, "print the new session as JSON");
  im->footer(
      "Our form keeps the raw counts; beside an export's samples.csv, session.json, markers.csv\n"
      "and events.csv come along, beside a recording FILE.csv its FILE.csv.meta.json. The\n"
      "minimal form becomes a force-only session. Prints the new session's id.\n"
      "Exit codes: 0 ok, 8 library full or read-only, 10 input missing or malformed (the\n"
      "message names the line; nothing is added), 12 library unreadable or newer.");

  CLI::App* re = app.add_subcommand(
      "reanalyze", "re-run calibration and analysis on a session's stored raw counts");
  re->add_option("id", opt.id, "the session's id (rollrig sessions)")->required();
  re->add_option("--calibration", opt.calibration,
                 "use this calibration file instead of the session's own (and keep it)")
      ->type_name("FILE");
  addDbOption(re, opt.db);
  re->add_flag("--json", opt.json, "print JSON");
  re->footer(
      "Replaces the session's holds with the new analysis.\n"
      "Exit codes: 0 ok, 8 library full or read-only, 10 calibration file missing or malformed,\n"
      "11 a force-only session cannot be re-calibrated, 12 library unreadable or newer, 13 no\n"
      "such session.");

  CLI::App* hi = app.add_subcommand(
      "history", "time to release and hold force per spot and side, session by session");
  hi->add_option("--side", opt.side, "only holds of this side")
      ->check(CLI::IsMember({"left", "right"}));
  hi->add_option("--spot", opt.spot, "only the spot nearest to X,Y mm (within 30 mm)")
      ->type_name("X,Y");
  addDbOption(hi, opt.db);
  hi->add_flag("--json", opt.json, "print JSON (docs/HISTORY.md)");
  hi->footer(
      "docs/HISTORY.md explains spots, censored holds and trends.\n"
      "Exit codes: 0 ok, 2 bad --spot, 12 library missing, unreadable or newer, 13 no spot near\n"
      "--spot.");
}

// [SECTION] sessions

int runSessions(const LibraryOptions& opt) {
  const char* me = "sessions";
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, false, &st)) return code;
  std::vector<store::SessionListEntry> list;
  if (store::StoreError e = st.listSessions(&list)) {
    std::cerr << "rollrig " << me << ": " << e.message << "\n";
    return exitFor(e.kind);
  }
  if (opt.json) {
    json arr = json::array();
    for (const auto& s : list) {
      arr.push_back({{"id", s.id},
                     {"started_utc", s.started_utc},
                     {"ended_utc", s.ended_utc.empty() ? json(nullptr) : json(s.ended_utc)},
                     {"duration_s", s.duration_s},
                     {"device_serial", core::serialHex(s.device_serial)},
                     {"sides", s.sides},
                     {"samples", s.sample_count},
                     {"frames_lost", s.frames_lost},
                     {"holds", s.holds},
                     {"releases", s.releases},
                     {"ended", stateOf(s)},
                     {"recording", s.recording}});
    }
    std::cout << json{{"library", st.path()}, {"sessions", arr}}.dump(2) << "\n";
    return kExitOk;
  }
  if (list.empty()) {
    std::cout << "No sessions in " << st.path() << " yet.\n";
    return kExitOk;
  }
  std::printf("%5s  %-20s  %8s  %-8s  %5s  %8s  %s\n", "id", "started (UTC)", "duration", "device",
              "holds", "releases", "ended");
  for (const auto& s : list) {
    std::printf("%5lld  %-20s  %8s  %-8s  %5d  %8d  %s\n", static_cast<long long>(s.id),
                s.started_utc.c_str(), clock(s.duration_s).c_str(),
                s.device_serial ? core::serialHex(s.device_serial).c_str() : "-", s.holds,
                s.releases, stateOf(s).c_str());
  }
  return kExitOk;
}

// [SECTION] show

int runShow(const LibraryOptions& opt) {
  const char* me = "show";
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, false, &st)) return code;
  engine::SessionDetails d;
  if (engine::LibraryError e = engine::loadSessionDetails(st, opt.id, &d)) return report(me, e);
  const uint64_t first = d.record.first_t_us.value_or(0);
  auto rel = [&](uint64_t t_us) {
    return (static_cast<double>(t_us) - static_cast<double>(first)) / 1e6;
  };
  if (opt.json) {
    json j = json::parse(engine::sessionJsonText(d, nullptr));
    j.erase("summary");
    j.erase("files");
    json holds = json::array(), markers = json::array(), events = json::array();
    for (const core::Hold& h : d.holds) holds.push_back(holdJson(h));
    for (const core::Marker& m : d.markers) {
      markers.push_back({{"time_s", rel(m.t_us)},
                         {"kind", core::markerKindName(m.kind)},
                         {"pain", m.kind == core::MarkerKind::kPain ? json(m.pain) : json(nullptr)},
                         {"side", m.kind == core::MarkerKind::kSide ? json(core::sideName(m.side))
                                                                    : json(nullptr)},
                         {"note", m.text}});
    }
    for (const core::ConnectionEvent& ev : d.events) {
      events.push_back({{"time_s", rel(ev.t_us)},
                        {"event", core::connectionEventKindName(ev.kind)},
                        {"frames_lost", ev.frames_lost},
                        {"gap_s", ev.gap_s},
                        {"detail", ev.detail},
                        {"wall_utc", ev.wall_utc}});
    }
    j["holds"] = holds;
    j["markers"] = markers;
    j["events"] = events;
    j["edits"] = json::parse(editsJsonText(d));  // edit_command.cpp
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  const store::SessionRecord& r = d.record;
  std::ostream& o = std::cout;
  o << "Session " << r.id << "\n";
  o << "  started     " << r.info.started_utc << "\n";
  o << "  ended       "
    << (r.ended() ? r.ended_utc + " (" + r.end_reason + ")" : std::string("not ended")) << "\n";
  o << "  duration    " << clock(r.duration_s()) << " (" << r.sample_count << " samples, "
    << r.frames_lost << " frames lost)\n";
  o << "  source      " << r.info.source << "\n";
  o << "  device      "
    << (r.info.device_serial ? core::serialHex(r.info.device_serial) : std::string("unknown"))
    << (r.info.firmware_version.empty() ? "" : ", firmware " + r.info.firmware_version)
    << (r.info.protocol_version.empty() ? "" : ", protocol " + r.info.protocol_version)
    << (r.info.nominal_rate_hz > 0 ? ", " + fmt(r.info.nominal_rate_hz, 0) + " Hz" : "") << "\n";
  if (!r.info.sides.empty()) o << "  sides       " << r.info.sides << "\n";
  if (!r.info.ball.empty()) o << "  ball        " << r.info.ball << "\n";
  if (r.info.body_mass_kg) o << "  body mass   " << fmt(*r.info.body_mass_kg, 1) << " kg\n";
  if (!r.info.notes.empty()) o << "  notes       " << r.info.notes << "\n";
  if (d.kind.force_only)
    o << "  data        imported forces only" << (d.kind.has_position ? " with position" : "")
      << " (no raw counts: cannot be re-calibrated)\n";
  o << "Calibration\n";
  for (const store::StoredCalibration& c : d.calibrations) {
    o << "  from " << fmt(rel(c.from_t_us), 3) << " s: " << c.record.calibration.source
      << (c.record.calibration.created.empty() ? "" : ", made " + c.record.calibration.created)
      << "\n";
  }
  o << "  auto-zero   " << (d.kind.auto_zero ? "on" : "off") << ", " << d.rezeros.size()
    << " re-zeroes\n";
  o << "Connection events\n";
  if (d.events.empty()) o << "  (none)\n";
  for (const core::ConnectionEvent& ev : d.events) {
    o << "  " << fmt(rel(ev.t_us), 3) << " s  " << core::connectionEventKindName(ev.kind);
    if (ev.kind == core::ConnectionEventKind::kGap || ev.frames_lost)
      o << ", " << ev.frames_lost << " frames lost";
    if (ev.gap_s > 0) o << ", away " << fmt(ev.gap_s, 1) << " s";
    if (!ev.detail.empty()) o << " (" << ev.detail << ")";
    o << "\n";
  }
  size_t releases = 0;
  for (const core::Hold& h : d.holds) releases += h.release_s.has_value();
  o << "Holds (" << d.holds.size() << ", " << releases << " released)\n";
  printHoldsTable(o, d.holds);
  printMarkersAndEdits(o, d);  // with their ids, and the edits (edit_command.cpp)
  return kExitOk;
}

// [SECTION] export

int runExport(const LibraryOptions& opt) {
  const char* me = "export";
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, false, &st)) return code;
  engine::ExportOptions eo;
  eo.force = opt.force;
  engine::ExportResult res;
  if (engine::LibraryError e = engine::exportSession(st, opt.id, opt.out, eo, &res))
    return report(me, e);
  std::cout << "Exported session " << opt.id << " (" << res.samples << " samples) to " << opt.out
            << ":";
  for (const std::string& f : res.files)
    std::cout << " " << std::filesystem::path(f).filename().string();
  std::cout << "\n";
  return kExitOk;
}

// [SECTION] import

int runImport(const LibraryOptions& opt) {
  const char* me = "import";
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, true, &st)) return code;
  engine::ImportResult res;
  const engine::LibraryError e = engine::importSessionCsv(st, opt.file, {}, &res);
  for (const std::string& w : res.warnings)
    if (!e) std::cerr << "rollrig import: " << opt.file << ": " << w << "\n";
  if (!e && res.warnings_omitted)
    std::cerr << "rollrig import: " << opt.file << ": ... and " << res.warnings_omitted
              << " more rows skipped\n";
  if (e) return report(me, e);
  const char* form = res.form == core::ImportForm::kRawCounts
                         ? "raw counts"
                         : (res.has_position ? "force only, with position" : "force only");
  if (opt.json) {
    json used = res.used;
    std::cout << json{{"id", res.session_id},
                      {"file", opt.file},
                      {"form", form},
                      {"samples", res.samples},
                      {"holds", res.holds},
                      {"markers", res.markers},
                      {"with", used},
                      {"rows_skipped", res.skipped.empty() ? json(nullptr) : json(res.skipped)}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << res.session_id << "\n";
  std::cerr << "Imported " << opt.file << " as session " << res.session_id << " (" << form << ", "
            << res.samples << " samples, " << res.holds << " holds, " << res.markers << " markers";
  for (size_t i = 0; i < res.used.size(); ++i) std::cerr << (i ? ", " : "; with ") << res.used[i];
  std::cerr << ")";
  if (!res.skipped.empty()) std::cerr << "; " << res.skipped;
  std::cerr << "\n";
  return kExitOk;
}

// [SECTION] reanalyze

int runReanalyze(const LibraryOptions& opt) {
  const char* me = "reanalyze";
  engine::ReanalyzeOptions ro;
  if (!opt.calibration.empty()) {
    core::CalibrationRecord rec;
    io::IoError err;
    if (!io::readCalibrationFile(opt.calibration, &rec, &err)) {
      std::cerr << "rollrig " << me << ": " << err.message << "\n";
      return kExitInput;
    }
    ro.calibration = rec;
  }
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, true, &st)) return code;
  engine::ReanalyzeResult res;
  if (engine::LibraryError e = engine::reanalyzeSession(st, opt.id, ro, &res)) return report(me, e);
  size_t releases = 0;
  for (const core::Hold& h : res.holds) releases += h.release_s.has_value();
  if (opt.json) {
    json holds = json::array();
    for (const core::Hold& h : res.holds) holds.push_back(holdJson(h));
    std::cout << json{{"id", res.session_id},
                      {"samples", res.samples},
                      {"calibration", ro.calibration ? json(opt.calibration) : json(nullptr)},
                      {"rezeros", res.rezeros},
                      {"holds_count", res.holds.size()},
                      {"releases", releases},
                      {"holds", holds}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "Session " << res.session_id << " re-analysed: " << res.samples << " samples";
  if (ro.calibration) std::cout << " with " << opt.calibration;
  if (res.kind.auto_zero) std::cout << ", " << res.rezeros << " re-zeroes";
  std::cout << "; " << res.holds.size() << " holds, " << releases << " released\n";
  printHoldsTable(std::cout, res.holds);
  for (const store::ReleaseEdit& e : res.orphaned_edits)
    std::cerr << "rollrig reanalyze: warning: the release edit of " << e.edited_utc
              << " names a hold from " << fmt(e.hold_start_s, 1)
              << " s that this analysis no longer finds; it is kept but applies to nothing\n";
  return kExitOk;
}

// [SECTION] history

int runHistory(const LibraryOptions& opt) {
  const char* me = "history";
  core::HistoryFilter filter;
  if (opt.side == "left") filter.side = core::Side::kLeft;
  if (opt.side == "right") filter.side = core::Side::kRight;
  if (!opt.spot.empty()) {
    std::istringstream in(opt.spot);
    char comma = 0;
    std::string rest;
    if (!(in >> filter.spot_x_mm >> comma >> filter.spot_y_mm) || comma != ',' || (in >> rest) ||
        !std::isfinite(filter.spot_x_mm) || !std::isfinite(filter.spot_y_mm)) {
      std::cerr << "rollrig history: --spot needs X,Y in plate millimetres, e.g. --spot "
                   "-120,40; got '"
                << opt.spot << "'\n";
      return kExitUsage;
    }
    filter.has_spot = true;
  }
  store::SessionStore st;
  if (int code = openLibrary(me, opt.db, false, &st)) return code;
  std::vector<core::HistoryHold> holds;
  if (engine::LibraryError e = engine::historyHolds(st, &holds)) return report(me, e);
  const core::History h = core::buildHistory(holds, filter);
  if (opt.json)
    core::writeHistoryJson(std::cout, h);
  else
    core::writeHistoryText(std::cout, h);
  if (!h.ok) {
    if (!opt.json) std::cerr << "rollrig history: " << h.error << "\n";
    return kExitNoSession;
  }
  return kExitOk;
}

}  // namespace rollrig::cli

// The session library's operations (session_library.h). Navigate by [SECTION]: Helpers, Forces,
// Details, Edits, Edit operations, Reanalysis, Recovery, Export, Import, History, Replay.
#include "rollrig/engine/session_library.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <utility>

#include "rollrig/core/calibration_json.h"
#include "rollrig/core/force_model.h"
#include "rollrig/core/session_csv.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/session_meta.h"

namespace rollrig::engine {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// [SECTION] Helpers

namespace {

LibraryError fromStore(const store::StoreError& e) {
  LibraryError out;
  if (!e) return out;
  out.kind = e.kind == store::StoreErrorKind::kNotFound ? LibraryErrorKind::kNotFound
                                                        : LibraryErrorKind::kStore;
  out.store_kind = e.kind;
  out.message = e.message;
  return out;
}

LibraryError makeError(LibraryErrorKind kind, std::string message, size_t line = 0) {
  LibraryError e;
  e.kind = kind;
  e.message = std::move(message);
  e.line = line;
  return e;
}

std::string fixed(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", decimals, v);
  return b;
}

SessionKind kindOf(const std::vector<store::StoredCalibration>& cals,
                   const std::vector<core::ReZero>& rezeros, const store::SessionRecord& rec) {
  SessionKind k;
  k.force_only = !cals.empty() && cals.front().record.calibration.source == kForceOnlySource;
  k.has_position = !k.force_only || rec.info.cell_count != 1;
  k.auto_zero = !k.force_only && !rezeros.empty();
  return k;
}

// Session time: seconds since the first sample, from the exact difference in microseconds (a
// marker pressed before the first sample is negative).
double secondsSince(uint64_t t_us, uint64_t first_us) {
  return t_us >= first_us ? static_cast<double>(t_us - first_us) / 1e6
                          : -static_cast<double>(first_us - t_us) / 1e6;
}

// [SECTION] Forces

// The live pipeline's force step: the calibration in effect, ForceModel, and a DriftTracker fed
// after each sample's force is computed (so a re-zero applies from the next sample on).
class ForcePipeline {
 public:
  ForcePipeline(std::vector<store::StoredCalibration> cals, const SessionKind& kind)
      : m_cals(std::move(cals)), m_kind(kind) {
    std::stable_sort(m_cals.begin(), m_cals.end(),
                     [](const auto& a, const auto& b) { return a.from_t_us < b.from_t_us; });
  }

  core::ForceSample compute(const core::Sample& s) {
    if (m_kind.force_only) return forceOnly(s);
    // The last calibration whose time has come (the first one also covers earlier samples).
    bool changed = false;
    if (!m_model) {
      changed = true;
      m_current = 0;
      m_next = m_cals.empty() ? 0 : 1;
    }
    while (m_next < m_cals.size() && m_cals[m_next].from_t_us <= s.t_us) {
      m_current = m_next++;
      changed = true;
    }
    if (changed) {
      if (m_drift) collect();
      const core::CalibrationRecord rec =
          m_cals.empty() ? core::CalibrationRecord{} : m_cals[m_current].record;
      m_model.emplace(rec.calibration, rec.geometry);
      m_geometry = rec.geometry;
      m_drift.reset();
      m_collected = 0;
      if (m_kind.auto_zero) m_drift.emplace(rec.calibration);
    }
    const core::ForceSample f = m_model->compute(s);
    if (m_drift && m_drift->add(s)) m_model.emplace(m_drift->calibration(), m_geometry);
    return f;
  }

  std::vector<core::ReZero> reZeros() {
    if (m_drift) collect();
    return m_rezeros;
  }

  static core::ForceSample forceOnly(const core::Sample& s) {
    core::ForceSample f;
    f.total_n = s.raw_counts[0] * kForceOnlyNPerCount;
    if (s.channel_count >= 3 && s.raw_counts[1] != kForceOnlyNoPosition &&
        s.raw_counts[2] != kForceOnlyNoPosition) {
      f.has_cop = true;
      f.x_mm = s.raw_counts[1] * kForceOnlyMmPerCount;
      f.y_mm = s.raw_counts[2] * kForceOnlyMmPerCount;
    }
    return f;
  }

 private:
  void collect() {
    const auto& z = m_drift->reZeros();
    m_rezeros.insert(m_rezeros.end(), z.begin() + static_cast<long>(m_collected), z.end());
    m_collected = z.size();
  }

  std::vector<store::StoredCalibration> m_cals;
  SessionKind m_kind;
  size_t m_next = 0, m_current = 0;
  std::optional<core::ForceModel> m_model;
  core::PlateGeometry m_geometry;
  std::optional<core::DriftTracker> m_drift;
  std::vector<core::ReZero> m_rezeros;
  size_t m_collected = 0;
};

// Forces and analysis over a session's stored samples, chunk by chunk. `row` (optional) sees
// each sample with its force, in order.
struct PipelineRun {
  uint64_t samples = 0;
  size_t rezeros = 0;
  core::SessionAnalysis analysis;
};

LibraryError runPipeline(
    store::SessionStore& st, int64_t id, const SessionDetails& d, const core::HoldParams& params,
    const std::function<bool(const core::Sample&, const core::ForceSample&)>& row,
    PipelineRun* out) {
  ForcePipeline forces(d.calibrations, d.kind);
  const core::AnalyzerInput input = d.kind.force_only && !d.kind.has_position
                                        ? core::AnalyzerInput::kForceOnly
                                        : core::AnalyzerInput::kForceAndPosition;
  core::SessionAnalyzer analyzer(params, input);
  std::vector<core::Marker> marks;
  for (const core::Marker& m : d.markers)
    if (m.kind == core::MarkerKind::kReleased || m.kind == core::MarkerKind::kSide)
      marks.push_back(m);
  std::stable_sort(marks.begin(), marks.end(),
                   [](const auto& a, const auto& b) { return a.t_us < b.t_us; });
  size_t next_mark = 0;
  bool have_first = false;
  uint64_t first_us = 0;
  auto secs = [&](uint64_t t_us) { return secondsSince(t_us, first_us); };
  auto apply = [&](const core::Marker& m) {
    if (m.kind == core::MarkerKind::kReleased)
      analyzer.markReleased(secs(m.t_us));
    else
      analyzer.markSide(secs(m.t_us), m.side);
  };
  bool stopped = false;
  const store::StoreError e =
      st.forEachSampleChunk(id, 0, UINT64_MAX, [&](const std::vector<core::Sample>& chunk) {
        for (const core::Sample& s : chunk) {
          if (!have_first) {
            have_first = true;
            first_us = s.t_us;
          }
          while (next_mark < marks.size() && marks[next_mark].t_us < s.t_us)
            apply(marks[next_mark++]);
          const core::ForceSample f = forces.compute(s);
          core::AnalysisSample a;
          a.t_s = secs(s.t_us);
          a.force_n = f.total_n;
          a.has_xy = f.has_cop;
          a.x_mm = f.x_mm;
          a.y_mm = f.y_mm;
          analyzer.push(a);
          ++out->samples;
          if (row && !row(s, f)) {
            stopped = true;
            return false;
          }
        }
        return true;
      });
  if (e) return fromStore(e);
  if (stopped) return makeError(LibraryErrorKind::kOutput, "writing the samples failed");
  while (next_mark < marks.size()) apply(marks[next_mark++]);
  analyzer.finish();
  out->analysis.holds = analyzer.holds();
  out->analysis.summary = analyzer.summary();
  out->rezeros = forces.reZeros().size();
  return {};
}

}  // namespace

// [SECTION] Details

LibraryError loadSessionDetails(store::SessionStore& st, int64_t id, SessionDetails* out) {
  *out = SessionDetails{};
  if (store::StoreError e = st.loadSession(id, &out->record)) {
    LibraryError le = fromStore(e);
    if (le.kind == LibraryErrorKind::kNotFound)
      le.message = "no session " + std::to_string(id) + " in " + st.path() +
                   "; `rollrig sessions` lists the ids";
    return le;
  }
  store::StoreError e = st.loadCalibrations(id, &out->calibrations);
  if (!e) e = st.loadReZeros(id, &out->rezeros);
  if (!e) e = st.loadHolds(id, &out->detected_holds);
  if (!e) e = st.loadReleaseEdits(id, &out->release_edits);
  if (!e) e = st.loadMarkers(id, &out->markers);
  if (!e) e = st.loadMarkerRows(id, &out->marker_rows);
  if (!e) e = st.loadConnectionEvents(id, &out->events);
  if (e) return fromStore(e);
  out->kind = kindOf(out->calibrations, out->rezeros, out->record);
  EffectiveHolds eff = applyReleaseEdits(out->detected_holds, out->release_edits);
  out->holds = std::move(eff.holds);
  out->hold_edits = std::move(eff.states);
  out->orphaned_edits = std::move(eff.orphaned);
  return {};
}

// [SECTION] Edits

EffectiveHolds applyReleaseEdits(const std::vector<core::Hold>& detected,
                                 const std::vector<store::ReleaseEdit>& edits,
                                 const core::HoldParams& params) {
  EffectiveHolds out;
  out.holds = detected;
  out.states.resize(detected.size());
  for (size_t i = 0; i < detected.size(); ++i) {
    out.states[i].detected_release_s = detected[i].release_s;
    out.states[i].detected_source = detected[i].release_source;
  }
  std::vector<store::ReleaseEdit> sorted = edits;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const store::ReleaseEdit& e : sorted) {
    size_t best = detected.size();
    double best_d = kEditHoldMatch_s;
    for (size_t i = 0; i < detected.size(); ++i) {
      const double dist = std::fabs(detected[i].start_s - e.hold_start_s);
      if (dist <= best_d) best = i, best_d = dist;
    }
    if (best == detected.size()) {
      out.orphaned.push_back(e);
      continue;
    }
    out.states[best].edit = e;  // the newest wins: later ids overwrite
  }
  // An orphan whose hold has a newer edit anyway is still an orphan: it named a hold now gone.
  for (size_t i = 0; i < detected.size(); ++i) {
    const HoldEditState& st = out.states[i];
    core::Hold& h = out.holds[i];
    if (!st.edit) continue;
    switch (st.edit->kind) {
      case store::ReleaseEditKind::kConfirmed:
      case store::ReleaseEditKind::kReverted:
        break;  // the detector's release (or none) stands
      case store::ReleaseEditKind::kMoved:
        h.release_s = st.edit->release_s;
        h.release_source = kEditedSource;
        break;
      case store::ReleaseEditKind::kDeleted:
        h.release_s.reset();
        h.release_source.clear();
        break;
    }
    h.reached_protocol_min = h.duration_s() >= params.protocol_min_s || h.release_s.has_value();
  }
  return out;
}

// [SECTION] Edit operations

namespace {

std::string nowOr(const std::string& now_utc) {
  return now_utc.empty() ? io::isoUtcNow() : now_utc;
}

// Store errors of an edit: a request the store refused (a deleted marker) is kRefused.
LibraryError fromEditStore(const store::StoreError& e) {
  LibraryError le = fromStore(e);
  if (e.kind == store::StoreErrorKind::kBadInput) le.kind = LibraryErrorKind::kRefused;
  return le;
}

std::string sessionWord(int64_t id) {
  return "session " + std::to_string(id);
}

// The session's record (kNotFound with the library's words when there is none).
LibraryError loadRecord(store::SessionStore& st, int64_t id, store::SessionRecord* rec) {
  if (store::StoreError e = st.loadSession(id, rec)) {
    LibraryError le = fromStore(e);
    if (le.kind == LibraryErrorKind::kNotFound)
      le.message = "no session " + std::to_string(id) + " in " + st.path() +
                   "; `rollrig sessions` lists the ids";
    return le;
  }
  return {};
}

LibraryError checkMarkerValues(const core::Marker& m) {
  if (m.kind == core::MarkerKind::kPain && (m.pain < 0 || m.pain > 10))
    return makeError(LibraryErrorKind::kRefused,
                     "a pain rating is 0 (none) to 10 (worst); got " + std::to_string(m.pain));
  if (m.kind == core::MarkerKind::kSide && m.side == core::Side::kUnknown)
    return makeError(LibraryErrorKind::kRefused, "a side marker needs left or right");
  return {};
}

LibraryError markerTime(const store::SessionRecord& rec, double t_s, uint64_t* t_us) {
  const double dur = rec.duration_s();
  if (!std::isfinite(t_s) || t_s < 0 || t_s > dur + 1e-6)
    return makeError(LibraryErrorKind::kRefused,
                     "session " + std::to_string(rec.id) + " runs from 0 to " + fixed(dur, 1) +
                         " s; a marker at " + fixed(t_s, 1) + " s lies outside it");
  *t_us = rec.first_t_us.value_or(0) + static_cast<uint64_t>(std::llround(t_s * 1e6));
  return {};
}

}  // namespace

LibraryError editRelease(store::SessionStore& st, int64_t id, double hold_start_s,
                         store::ReleaseEditKind kind, double t_s, const std::string& now_utc) {
  store::SessionRecord rec;
  if (LibraryError e = loadRecord(st, id, &rec)) return e;
  std::vector<core::Hold> holds;
  if (store::StoreError e = st.loadHolds(id, &holds)) return fromStore(e);
  const core::Hold* hold = nullptr;
  double best = kEditHoldMatch_s;
  for (const core::Hold& h : holds) {
    const double dist = std::fabs(h.start_s - hold_start_s);
    if (dist <= best) hold = &h, best = dist;
  }
  if (!hold)
    return makeError(LibraryErrorKind::kNotFound,
                     sessionWord(id) + " has no hold starting at " + fixed(hold_start_s, 1) +
                         " s (" + std::to_string(holds.size()) + " holds; `rollrig show " +
                         std::to_string(id) + "` lists them)");
  store::ReleaseEdit edit;
  edit.hold_start_s = hold->start_s;  // the stored start, exactly
  edit.kind = kind;
  edit.edited_utc = nowOr(now_utc);
  if (kind == store::ReleaseEditKind::kMoved) {
    if (!std::isfinite(t_s) || t_s < hold->start_s || t_s > hold->end_s)
      return makeError(LibraryErrorKind::kRefused, "the hold at " + fixed(hold->start_s, 1) +
                                                       " s runs to " + fixed(hold->end_s, 1) +
                                                       " s; a release at " + fixed(t_s, 1) +
                                                       " s lies outside it");
    edit.release_s = t_s;
  }
  return fromEditStore(st.addReleaseEdit(id, edit));
}

LibraryError addMarkerAfter(store::SessionStore& st, int64_t id, double t_s, core::Marker marker,
                            const std::string& now_utc, int64_t* new_id) {
  store::SessionRecord rec;
  if (LibraryError e = loadRecord(st, id, &rec)) return e;
  if (LibraryError e = checkMarkerValues(marker)) return e;
  if (LibraryError e = markerTime(rec, t_s, &marker.t_us)) return e;
  return fromEditStore(st.addMarkerAfter(id, marker, nowOr(now_utc), new_id));
}

LibraryError editMarker(store::SessionStore& st, int64_t id, int64_t marker_id,
                        const MarkerChange& change, const std::string& now_utc, int64_t* new_id) {
  store::SessionRecord rec;
  if (LibraryError e = loadRecord(st, id, &rec)) return e;
  std::vector<store::StoredMarker> rows;
  if (store::StoreError e = st.loadMarkerRows(id, &rows)) return fromStore(e);
  // The newest version of the marker: follow the rows that replace it.
  const store::StoredMarker* cur = nullptr;
  for (const store::StoredMarker& r : rows)
    if (r.id == marker_id) cur = &r;
  for (size_t guard = 0; cur && cur->superseded && guard < rows.size(); ++guard) {
    const store::StoredMarker* next = nullptr;
    for (const store::StoredMarker& r : rows)
      if (r.replaces == cur->id && (!next || r.id > next->id)) next = &r;
    if (!next) break;
    cur = next;
  }
  if (!cur)
    return makeError(LibraryErrorKind::kNotFound,
                     sessionWord(id) + " has no marker " + std::to_string(marker_id) +
                         "; `rollrig show " + std::to_string(id) + "` lists its markers");
  core::Marker m = cur->marker;
  if (change.kind) m.kind = *change.kind;
  if (change.pain) m.kind = core::MarkerKind::kPain, m.pain = *change.pain;
  if (change.side) m.side = *change.side;
  if (change.text) m.text = *change.text;
  if (m.kind != core::MarkerKind::kPain) m.pain = -1;
  if (LibraryError e = checkMarkerValues(m)) return e;
  if (change.t_s)
    if (LibraryError e = markerTime(rec, *change.t_s, &m.t_us)) return e;
  return fromEditStore(st.changeMarker(id, marker_id, m, nowOr(now_utc), new_id));
}

LibraryError deleteMarker(store::SessionStore& st, int64_t id, int64_t marker_id,
                          const std::string& now_utc) {
  store::SessionRecord rec;
  if (LibraryError e = loadRecord(st, id, &rec)) return e;
  return fromEditStore(st.deleteMarker(id, marker_id, nowOr(now_utc)));
}

// [SECTION] Reanalysis

LibraryError reanalyzeSession(store::SessionStore& st, int64_t id, const ReanalyzeOptions& options,
                              ReanalyzeResult* out) {
  *out = ReanalyzeResult{};
  out->session_id = id;
  SessionDetails d;
  if (LibraryError e = loadSessionDetails(st, id, &d)) return e;
  if (options.calibration) {
    if (d.kind.force_only)
      return makeError(LibraryErrorKind::kRefused,
                       "session " + std::to_string(id) +
                           " holds imported forces, not raw counts: it cannot be re-calibrated "
                           "(reanalyze it without --calibration)");
    const uint64_t from = d.record.first_t_us.value_or(0);
    d.calibrations.push_back({from, *options.calibration});
    if (options.write) st.addCalibration(id, from, *options.calibration);
  }
  PipelineRun run;
  if (LibraryError e = runPipeline(st, id, d, options.params, nullptr, &run)) return e;
  out->kind = d.kind;
  out->samples = run.samples;
  out->rezeros = run.rezeros;
  out->holds = run.analysis.holds;
  out->summary = run.analysis.summary;
  out->orphaned_edits = applyReleaseEdits(out->holds, d.release_edits, options.params).orphaned;
  if (options.write) {
    st.replaceHolds(id, out->holds);
    if (store::StoreError e = st.commit()) return fromStore(e);
  }
  return {};
}

// [SECTION] Recovery

LibraryError recoverInterruptedSessions(store::SessionStore& st,
                                        std::vector<RecoveredSession>* out) {
  out->clear();
  std::vector<store::SessionRecord> unfinished;
  if (store::StoreError e = st.unfinishedSessions(&unfinished)) return fromStore(e);
  for (const store::SessionRecord& r : unfinished) {
    ReanalyzeResult res;
    if (LibraryError e = reanalyzeSession(st, r.id, {}, &res)) return e;
    if (store::StoreError e = st.finishInterrupted(r.id)) return fromStore(e);
    out->push_back({r.id, r.info.started_utc, res.samples, res.holds.size()});
  }
  return {};
}

// [SECTION] session.json

namespace {

constexpr char kSessionFormat[] = "rollrig session";
constexpr int kSessionFormatVersion = 1;

json summaryJson(const core::SessionSummary& s) {
  return {{"start_s", s.start_s},
          {"end_s", s.end_s},
          {"samples", s.samples},
          {"sample_rate_hz", s.sample_rate_hz},
          {"gaps", s.gaps},
          {"loaded_s", s.loaded_s},
          {"loaded_left_s", s.loaded_left_s},
          {"loaded_right_s", s.loaded_right_s},
          {"hold_s", s.hold_s},
          {"releases", s.releases},
          {"rolling_s", s.rolling_s},
          {"roll_speed_median_mm_s", s.roll_speed_median_mm_s},
          {"roll_speed_p90_mm_s", s.roll_speed_p90_mm_s},
          {"roll_fast_share", s.roll_fast_share},
          {"peak_force_N", s.peak_force_n}};
}

}  // namespace

std::string sessionJsonText(const SessionDetails& d, const core::SessionSummary* summary) {
  const store::SessionRecord& r = d.record;
  const uint64_t first = r.first_t_us.value_or(0);
  auto rel = [&](uint64_t t_us) { return secondsSince(t_us, first); };
  json j;
  j["format"] = kSessionFormat;
  j["version"] = kSessionFormatVersion;
  j["id"] = r.id;
  j["started_utc"] = r.info.started_utc;
  j["ended_utc"] = r.ended_utc;
  j["end_reason"] = r.end_reason;
  j["source"] = r.info.source;
  j["device"] = {{"serial", core::serialHex(r.info.device_serial)},
                 {"firmware", r.info.firmware_version},
                 {"protocol", r.info.protocol_version},
                 {"rate_hz", r.info.nominal_rate_hz},
                 {"cells", r.info.cell_count}};
  j["sides"] = r.info.sides;
  j["ball"] = r.info.ball;
  j["body_mass_kg"] = r.info.body_mass_kg ? json(*r.info.body_mass_kg) : json(nullptr);
  j["notes"] = r.info.notes;
  j["force_only"] = d.kind.force_only;
  j["has_position"] = d.kind.has_position;
  j["samples"] = r.sample_count;
  j["frames_lost"] = r.frames_lost;
  j["first_sample_t_us"] = r.first_t_us ? json(*r.first_t_us) : json(nullptr);
  j["last_sample_t_us"] = r.last_t_us ? json(*r.last_t_us) : json(nullptr);
  j["duration_s"] = r.duration_s();
  json cals = json::array();
  for (const store::StoredCalibration& c : d.calibrations) {
    cals.push_back({{"from_t_us", c.from_t_us},
                    {"from_s", rel(c.from_t_us)},
                    {"calibration", json::parse(core::calibrationToJson(c.record))}});
  }
  j["calibrations"] = cals;
  j["auto_zero"] = d.kind.auto_zero;
  json zs = json::array();
  for (const core::ReZero& z : d.rezeros) {
    zs.push_back({{"t_us", z.t_us},
                  {"time_s", rel(z.t_us)},
                  {"samples", z.samples},
                  {"change_counts", z.change_counts},
                  {"change_N", z.change_n}});
  }
  j["rezeros"] = zs;
  size_t releases = 0;
  for (const core::Hold& h : d.holds) releases += h.release_s.has_value();
  j["holds"] = d.holds.size();
  j["releases"] = releases;
  j["markers"] = d.markers.size();
  j["connection_events"] = d.events.size();
  j["summary"] = summary ? summaryJson(*summary) : json(nullptr);
  j["files"] = {{"samples", "samples.csv"},
                {"holds", "holds.csv"},
                {"markers", "markers.csv"},
                {"events", "events.csv"}};
  return j.dump(2) + "\n";
}

// [SECTION] Export

namespace {

// Writes `path` through a temporary file beside it, renamed into place when complete.
LibraryError writeAtomically(const fs::path& path,
                             const std::function<LibraryError(std::ostream&)>& fill) {
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp-" +
                                             std::to_string(static_cast<long>(getpid())));
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out)
    return makeError(LibraryErrorKind::kOutput,
                     "cannot create " + tmp.string() + ": " + std::strerror(errno));
  LibraryError e = fill(out);
  out.flush();
  const bool ok = static_cast<bool>(out);
  out.close();
  if (!ok || out.fail())  // a failed stream says more than the pipeline stopping for it
    e = makeError(LibraryErrorKind::kOutput,
                  "cannot write " + path.string() + " (is the disk full?); nothing was replaced");
  if (!e && std::rename(tmp.c_str(), path.c_str()) != 0)
    e = makeError(LibraryErrorKind::kOutput, "cannot rename " + tmp.string() + " to " +
                                                 path.string() + ": " + std::strerror(errno));
  if (e) {
    std::error_code ec;
    fs::remove(tmp, ec);
  }
  return e;
}

}  // namespace

LibraryError exportSession(store::SessionStore& st, int64_t id, const std::string& dir,
                           const ExportOptions& options, ExportResult* out) {
  *out = ExportResult{};
  SessionDetails d;
  if (LibraryError e = loadSessionDetails(st, id, &d)) return e;
  std::error_code ec;
  const fs::path root(dir);
  if (fs::exists(root, ec) && !fs::is_directory(root, ec))
    return makeError(LibraryErrorKind::kOutput,
                     dir + " exists and is not a directory; give a directory for the export");
  if (fs::is_directory(root, ec) && !fs::is_empty(root, ec) && !options.force)
    return makeError(LibraryErrorKind::kOutput,
                     dir +
                         " is not empty; choose a new directory, or add --force to replace "
                         "samples.csv, holds.csv, markers.csv, events.csv and session.json there");
  fs::create_directories(root, ec);
  if (ec) return makeError(LibraryErrorKind::kOutput, "cannot create " + dir + ": " + ec.message());

  const uint64_t first = d.record.first_t_us.value_or(0);
  PipelineRun run;
  LibraryError e = writeAtomically(root / "samples.csv", [&](std::ostream& o) -> LibraryError {
    if (!d.kind.force_only) {
      core::SessionCsvWriter csv(o);
      csv.writeHeader();
      return runPipeline(
          st, id, d, {},
          [&](const core::Sample& s, const core::ForceSample& f) {
            csv.writeRow(s, f);
            return static_cast<bool>(o);
          },
          &run);
    }
    // Force-only: the minimal form it came from, at samples.csv's precision.
    o << (d.kind.has_position ? "time_s,force_N,x_mm,y_mm\n" : "time_s,force_N\n");
    std::string line;
    return runPipeline(
        st, id, d, {},
        [&](const core::Sample& s, const core::ForceSample& f) {
          line = fixed(static_cast<double>(s.t_us - first) / 1e6, 6) + "," + fixed(f.total_n, 4);
          if (d.kind.has_position)
            line += f.has_cop ? "," + fixed(f.x_mm, 2) + "," + fixed(f.y_mm, 2) : std::string(",,");
          line += '\n';
          o << line;
          return static_cast<bool>(o);
        },
        &run);
  });
  if (e) return e;
  out->files.push_back((root / "samples.csv").string());
  out->samples = run.samples;
  struct Part {
    const char* name;
    std::function<void(std::ostream&)> write;
  };
  const Part parts[] = {
      {"holds.csv", [&](std::ostream& o) { core::writeHoldsCsv(o, d.holds, 0); }},
      {"markers.csv", [&](std::ostream& o) { core::writeMarkersCsv(o, d.markers, first); }},
      {"events.csv", [&](std::ostream& o) { core::writeEventsCsv(o, d.events, first); }},
      {"session.json", [&](std::ostream& o) { o << sessionJsonText(d, &run.analysis.summary); }},
  };
  for (const Part& p : parts) {
    e = writeAtomically(root / p.name, [&](std::ostream& o) -> LibraryError {
      p.write(o);
      return {};
    });
    if (e) return e;
    out->files.push_back((root / p.name).string());
  }
  return {};
}

// [SECTION] Import

namespace {

bool readText(const fs::path& p, std::string* text) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

uint32_t parseSerial(const std::string& hex) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(hex.c_str(), &end, 16);
  return hex.empty() || *end != '\0' ? 0 : static_cast<uint32_t>(v);
}

// What session.json gives back to an import.
struct ExportMeta {
  store::SessionInfo info;
  std::string ended_utc, end_reason;
  std::optional<uint64_t> first_t_us;
  std::vector<store::StoredCalibration> calibrations;
  std::vector<core::ReZero> rezeros;
};

// Reads an export's session.json; false with *why ("session.json: ...").
bool readSessionJson(const fs::path& p, ExportMeta* m, std::string* why) {
  std::string text;
  if (!readText(p, &text)) {
    *why = "cannot read " + p.string() + ": " + std::strerror(errno);
    return false;
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number overflow
    *why = p.string() + " is not valid JSON: " + e.what();
    return false;
  }
  try {
    if (!j.is_object() || j.value("format", std::string()) != kSessionFormat)
      throw std::runtime_error("not a rollrig session.json (no \"format\": \"rollrig session\")");
    if (j.value("version", 0) > kSessionFormatVersion)
      throw std::runtime_error("written by a newer rollrig (version " +
                               std::to_string(j.value("version", 0)) + "); update rollrig");
    m->info.started_utc = j.value("started_utc", std::string());
    m->ended_utc = j.value("ended_utc", std::string());
    m->end_reason = j.value("end_reason", std::string());
    m->info.source = j.value("source", std::string());
    if (j.contains("device") && j["device"].is_object()) {
      const json& dv = j["device"];
      m->info.device_serial = parseSerial(dv.value("serial", std::string()));
      m->info.firmware_version = dv.value("firmware", std::string());
      m->info.protocol_version = dv.value("protocol", std::string());
      m->info.nominal_rate_hz = dv.value("rate_hz", 0.0);
      m->info.cell_count = dv.value("cells", 0);
    }
    m->info.sides = j.value("sides", std::string());
    m->info.ball = j.value("ball", std::string());
    if (j.contains("body_mass_kg") && j["body_mass_kg"].is_number())
      m->info.body_mass_kg = j["body_mass_kg"].get<double>();
    m->info.notes = j.value("notes", std::string());
    if (j.contains("first_sample_t_us") && j["first_sample_t_us"].is_number_unsigned())
      m->first_t_us = j["first_sample_t_us"].get<uint64_t>();
    if (j.contains("calibrations") && j["calibrations"].is_array()) {
      for (const json& c : j["calibrations"]) {
        store::StoredCalibration sc;
        sc.from_t_us = c.at("from_t_us").get<uint64_t>();
        std::string cal_why;
        if (!core::calibrationFromJson(c.at("calibration").dump(), p.string(), &sc.record,
                                       &cal_why))
          throw std::runtime_error(cal_why);
        m->calibrations.push_back(std::move(sc));
      }
    }
    if (j.contains("rezeros") && j["rezeros"].is_array()) {
      for (const json& z : j["rezeros"]) {
        core::ReZero r;
        r.t_us = z.at("t_us").get<uint64_t>();
        r.samples = z.at("samples").get<size_t>();
        r.change_counts = z.at("change_counts").get<std::array<double, core::kCellCount>>();
        r.change_n = z.at("change_N").get<std::array<double, core::kCellCount>>();
        m->rezeros.push_back(r);
      }
    }
  } catch (const std::exception& e) {
    *why = p.string() + ": " + e.what();
    return false;
  }
  return true;
}

// A calibration that reproduces the file's own cell force columns: per cell, the least-squares
// line force = (counts - offset) * gain over all rows.
core::CalibrationRecord fittedCalibration(const core::SessionImportCsv& csv) {
  core::CalibrationRecord rec;
  rec.calibration.source = "uncalibrated default";
  if (!csv.has_cell_forces || csv.samples.size() < 2) return rec;
  rec.calibration.source = "fitted to the imported file's cell force columns";
  for (int c = 0; c < core::kCellCount; ++c) {
    double mc = 0, mf = 0;
    const double n = static_cast<double>(csv.samples.size());
    for (size_t i = 0; i < csv.samples.size(); ++i) {
      mc += csv.samples[i].raw_counts[c] / n;
      mf += csv.forces[i].force_n[c] / n;
    }
    double scc = 0, scf = 0;
    for (size_t i = 0; i < csv.samples.size(); ++i) {
      const double dc = csv.samples[i].raw_counts[c] - mc;
      scc += dc * dc;
      scf += dc * (csv.forces[i].force_n[c] - mf);
    }
    core::CellCalibration& cell = rec.calibration.cells[c];
    if (scc > 0 && scf / scc > 0) cell.n_per_count = scf / scc;
    cell.offset_counts = mc - mf / cell.n_per_count;
  }
  return rec;
}

std::string versionText(int a, int b, int c = -1) {
  return std::to_string(a) + "." + std::to_string(b) + (c >= 0 ? "." + std::to_string(c) : "");
}

}  // namespace

LibraryError importSessionCsv(store::SessionStore& st, const std::string& path,
                              const ImportOptions& options, ImportResult* out) {
  *out = ImportResult{};
  const fs::path file(path);
  std::error_code ec;
  if (fs::is_directory(file, ec))
    return makeError(
        LibraryErrorKind::kInput,
        path + " is a directory; give the session CSV in it (e.g. " + path + "/samples.csv)");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return makeError(LibraryErrorKind::kInput,
                     errno == ENOENT ? path + " does not exist; check the path"
                                     : "cannot read " + path + ": " + std::strerror(errno));
  core::SessionImportCsv csv = core::readSessionCsvForImport(in);
  out->warnings = csv.warnings;
  out->warnings_omitted = csv.warnings_omitted;
  out->skipped = csv.counts.describeSkipped();
  if (!csv.ok) {
    // The reader's message, then the first rows it skipped, each naming its line.
    std::string msg = path + ": " + csv.error;
    for (size_t i = 0; i < csv.warnings.size() && i < 3; ++i) msg += "\n  " + csv.warnings[i];
    return makeError(LibraryErrorKind::kInput, msg, csv.error_line);
  }
  out->form = csv.form;
  const bool raw = csv.form == core::ImportForm::kRawCounts;
  out->has_position = raw || csv.has_xy_columns;

  // What sits beside it.
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  const bool export_dir = file.filename() == "samples.csv" && fs::exists(dir / "session.json", ec);
  ExportMeta meta;
  io::SessionMeta sidecar;
  bool have_sidecar = false;
  std::vector<core::Marker> markers;
  std::vector<core::ConnectionEvent> events;
  uint64_t offset_us = 0;  // device time of the file's time_s = 0
  if (export_dir) {
    std::string why;
    if (!readSessionJson(dir / "session.json", &meta, &why))
      return makeError(LibraryErrorKind::kInput, why);
    out->used.push_back("session.json");
    if (meta.first_t_us && !csv.samples.empty())
      offset_us = *meta.first_t_us - std::min(*meta.first_t_us, csv.samples.front().t_us);
  } else if (raw) {
    io::IoError err;
    const std::string mp = io::sessionMetaPath(path);
    if (fs::exists(mp, ec)) {
      if (!io::readSessionMeta(mp, &sidecar, &err))
        return makeError(LibraryErrorKind::kInput, err.message);
      have_sidecar = true;
      offset_us = sidecar.t0_us;
      out->used.push_back(fs::path(mp).filename().string());
    }
  }
  const uint64_t first_us = (csv.samples.empty() ? 0 : csv.samples.front().t_us) + offset_us;
  if (export_dir) {
    for (const char* name : {"markers.csv", "events.csv"}) {
      const fs::path p = dir / name;
      if (!fs::exists(p, ec)) continue;
      std::ifstream f(p, std::ios::binary);
      core::ExportCsvError res;
      if (std::string(name) == "markers.csv") {
        core::MarkersCsv m = core::readMarkersCsv(f, first_us);
        res = m;
        markers = std::move(m.markers);
      } else {
        core::EventsCsv ev = core::readEventsCsv(f, first_us);
        res = ev;
        events = std::move(ev.events);
      }
      if (!res.ok())
        return makeError(LibraryErrorKind::kInput, p.string() + ": " + res.error, res.error_line);
      out->used.push_back(name);
    }
  }
  if (markers.empty()) {
    markers = csv.markers;
    for (core::Marker& m : markers) m.t_us += offset_us;
  }

  // The session's description and its samples, all checked before anything is written.
  store::SessionInfo info;
  const std::string now = options.now_utc.empty() ? io::isoUtcNow() : options.now_utc;
  info.started_utc = now;
  info.source = "import: " + file.filename().string();
  std::vector<store::StoredCalibration> cals;
  std::vector<core::ReZero> rezeros;
  if (export_dir) {
    info = meta.info;
    if (info.started_utc.empty()) info.started_utc = now;
  } else if (have_sidecar) {
    info.started_utc = sidecar.started.empty() ? now : sidecar.started;
    if (!sidecar.source.empty()) info.source += " (recorded from " + sidecar.source + ")";
    info.device_serial = sidecar.info.device_serial;
    info.firmware_version =
        versionText(sidecar.info.fw_major, sidecar.info.fw_minor, sidecar.info.fw_patch);
    info.protocol_version = versionText(sidecar.info.proto_major, sidecar.info.proto_minor);
    info.nominal_rate_hz = sidecar.info.rate_hz;
    info.cell_count = sidecar.info.channel_count;
    cals.push_back({first_us, sidecar.calibration});
    if (sidecar.auto_zero) {
      for (core::ReZero z : sidecar.rezeros) {
        z.t_us += offset_us;
        rezeros.push_back(z);
      }
    }
  }
  if (raw) {
    if (export_dir) {
      cals = meta.calibrations;
      rezeros = meta.rezeros;
    }
    if (cals.empty()) cals.push_back({first_us, fittedCalibration(csv)});
    if (!export_dir && !have_sidecar) info.cell_count = core::kCellCount;
  } else {
    core::CalibrationRecord rec;
    rec.calibration.source = kForceOnlySource;
    for (core::CellCalibration& c : rec.calibration.cells) {
      c.offset_counts = 0;
      c.n_per_count = kForceOnlyNPerCount;
    }
    cals.push_back({first_us, rec});
    info.cell_count = csv.has_xy_columns ? 3 : 1;  // the channels stored (session_library.h)
  }
  std::vector<core::Sample> samples = std::move(csv.samples);
  for (size_t i = 0; i < samples.size(); ++i) {
    core::Sample& s = samples[i];
    s.t_us += offset_us;
    if (raw) continue;
    const core::ForceSample& f = csv.forces[i];
    const double counts[3] = {f.total_n / kForceOnlyNPerCount, f.x_mm / kForceOnlyMmPerCount,
                              f.y_mm / kForceOnlyMmPerCount};
    for (double c : counts) {
      if (!(std::fabs(c) < 2.1e9))
        return makeError(LibraryErrorKind::kInput,
                         path + ": a force or position is too large to store (" +
                             fixed(f.total_n, 4) + " N at " + fixed(f.x_mm, 2) + ", " +
                             fixed(f.y_mm, 2) + " mm)");
    }
    s.channel_count = csv.has_xy_columns ? 3 : 1;
    s.raw_counts = {};
    s.raw_counts[0] = static_cast<int32_t>(std::llround(counts[0]));
    if (csv.has_xy_columns) {
      s.raw_counts[1] =
          f.has_cop ? static_cast<int32_t>(std::llround(counts[1])) : kForceOnlyNoPosition;
      s.raw_counts[2] =
          f.has_cop ? static_cast<int32_t>(std::llround(counts[2])) : kForceOnlyNoPosition;
    }
  }

  // Write it: one session, ended, then analysed. Any failure deletes what was begun.
  int64_t id = 0;
  if (store::StoreError e = st.beginSession(info, &id)) return fromStore(e);
  auto fail = [&](LibraryError e) {
    st.deleteSession(id);
    return e;
  };
  st.appendSamples(id, samples);
  for (const store::StoredCalibration& c : cals) st.addCalibration(id, c.from_t_us, c.record);
  for (const core::ReZero& z : rezeros) st.addReZero(id, z);
  for (const core::Marker& m : markers) st.addMarker(id, m);
  for (const core::ConnectionEvent& ev : events) st.addConnectionEvent(id, ev);
  if (store::StoreError e = st.commit()) return fail(fromStore(e));
  const std::string reason = export_dir && !meta.end_reason.empty() ? meta.end_reason : "imported";
  if (store::StoreError e = st.endSession(id, reason, export_dir ? meta.ended_utc : ""))
    return fail(fromStore(e));
  ReanalyzeOptions ro;
  ro.params = options.params;
  ReanalyzeResult res;
  if (LibraryError e = reanalyzeSession(st, id, ro, &res)) return fail(e);
  out->session_id = id;
  out->samples = samples.size();
  out->holds = res.holds.size();
  out->markers = markers.size();
  return {};
}

// [SECTION] History

LibraryError historyHolds(store::SessionStore& st, std::vector<core::HistoryHold>* out) {
  out->clear();
  std::vector<store::SessionListEntry> list;
  if (store::StoreError e = st.listSessions(&list)) return fromStore(e);
  for (const store::SessionListEntry& s : list) {
    std::vector<core::Hold> holds;
    std::vector<store::ReleaseEdit> edits;
    if (store::StoreError e = st.loadHolds(s.id, &holds)) return fromStore(e);
    if (store::StoreError e = st.loadReleaseEdits(s.id, &edits)) return fromStore(e);
    // The confirmed values (docs/HISTORY.md): each hold with its newest edit applied.
    for (core::Hold& h : applyReleaseEdits(holds, edits).holds)
      out->push_back({s.id, s.started_utc, std::move(h)});
  }
  return {};
}

// [SECTION] Replay

LibraryError forEachProcessedSample(
    store::SessionStore& st, const SessionDetails& d,
    const std::function<bool(const std::vector<ProcessedSample>&)>& batch) {
  ForcePipeline forces(d.calibrations, d.kind);
  bool have_first = false;
  uint64_t first_us = 0;
  std::vector<ProcessedSample> out;
  const store::StoreError e = st.forEachSampleChunk(d.record.id, 0, UINT64_MAX,
                                                    [&](const std::vector<core::Sample>& chunk) {
                                                      out.clear();
                                                      for (const core::Sample& s : chunk) {
                                                        if (!have_first)
                                                          have_first = true, first_us = s.t_us;
                                                        ProcessedSample p;
                                                        p.sample = s;
                                                        p.force = forces.compute(s);
                                                        p.t_s = secondsSince(s.t_us, first_us);
                                                        out.push_back(p);
                                                      }
                                                      return batch(out);
                                                    });
  return fromStore(e);
}

}  // namespace rollrig::engine

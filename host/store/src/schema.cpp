#include "schema.h"

namespace rollrig::store::detail {

namespace {

// Version 1: sessions, raw samples, calibrations, re-zeroes, connection events.
// Device times (t_us) are INTEGER microseconds; ISO 8601 UTC times are TEXT; "" rather than NULL
// for unknown text, NULL for unknown numbers where 0 would be a value. Session ids are never reused
// (AUTOINCREMENT): an id once shown to a user names that session or none.
// tests/store/fixtures/schema_v1.sql repeats this SQL on purpose: a frozen copy of what was
// released, so the migration tests notice if this step is ever edited. Change neither.
constexpr char kV1[] = R"sql(
CREATE TABLE sessions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  started_utc      TEXT    NOT NULL,
  ended_utc        TEXT    NOT NULL DEFAULT '',
  end_reason       TEXT    NOT NULL DEFAULT '',
  source           TEXT    NOT NULL DEFAULT '',
  device_serial    INTEGER NOT NULL DEFAULT 0,
  firmware_version TEXT    NOT NULL DEFAULT '',
  protocol_version TEXT    NOT NULL DEFAULT '',
  nominal_rate_hz  REAL    NOT NULL DEFAULT 0,
  cell_count       INTEGER NOT NULL DEFAULT 0,
  sides            TEXT    NOT NULL DEFAULT '',
  ball             TEXT    NOT NULL DEFAULT '',
  body_mass_kg     REAL,
  notes            TEXT    NOT NULL DEFAULT '',
  first_t_us       INTEGER,
  last_t_us        INTEGER,
  sample_count     INTEGER NOT NULL DEFAULT 0,
  frames_lost      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sample_chunks (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  first_t_us  INTEGER NOT NULL,
  last_t_us   INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  frames_lost INTEGER NOT NULL DEFAULT 0,
  codec       INTEGER NOT NULL,
  data        BLOB    NOT NULL
);
CREATE INDEX sample_chunks_by_time ON sample_chunks(session_id, first_t_us);
CREATE TABLE calibrations (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  from_t_us     INTEGER NOT NULL,
  source        TEXT    NOT NULL DEFAULT '',
  device_serial INTEGER NOT NULL DEFAULT 0,
  created_utc   TEXT    NOT NULL DEFAULT '',
  record_json   TEXT    NOT NULL
);
CREATE INDEX calibrations_by_session ON calibrations(session_id, from_t_us);
CREATE TABLE rezeroes (
  id         INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  t_us       INTEGER NOT NULL,
  samples    INTEGER NOT NULL,
  change_counts0 REAL NOT NULL, change_counts1 REAL NOT NULL,
  change_counts2 REAL NOT NULL, change_counts3 REAL NOT NULL,
  change_n0 REAL NOT NULL, change_n1 REAL NOT NULL, change_n2 REAL NOT NULL, change_n3 REAL NOT NULL
);
CREATE INDEX rezeroes_by_session ON rezeroes(session_id, t_us);
CREATE TABLE connection_events (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  t_us        INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  frames_lost INTEGER NOT NULL DEFAULT 0,
  gap_s       REAL    NOT NULL DEFAULT 0,
  detail      TEXT    NOT NULL DEFAULT '',
  wall_utc    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX connection_events_by_session ON connection_events(session_id, t_us);
)sql";

// Version 2: the analysis results and what the user said: holds and markers.
constexpr char kV2[] = R"sql(
CREATE TABLE holds (
  id                    INTEGER PRIMARY KEY,
  session_id            INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  start_s               REAL    NOT NULL,
  end_s                 REAL    NOT NULL,
  release_s             REAL,
  release_source        TEXT    NOT NULL DEFAULT '',
  mean_force_n          REAL    NOT NULL,
  peak_force_n          REAL    NOT NULL,
  has_xy                INTEGER NOT NULL,
  x_mm                  REAL    NOT NULL,
  y_mm                  REAL    NOT NULL,
  side                  TEXT    NOT NULL,
  side_source           TEXT    NOT NULL,
  step_fraction         REAL    NOT NULL,
  tremor_ratio          REAL    NOT NULL,
  cv_before             REAL    NOT NULL,
  cv_after              REAL    NOT NULL,
  reached_protocol_min  INTEGER NOT NULL,
  exceeded_protocol_max INTEGER NOT NULL
);
CREATE INDEX holds_by_session ON holds(session_id, start_s);
CREATE TABLE markers (
  id         INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  t_us       INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  pain       INTEGER,
  side       TEXT    NOT NULL DEFAULT '',
  text       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX markers_by_session ON markers(session_id, t_us);
)sql";

// Version 3: each hold's steadiness (core::HoldSteadiness, docs/ANALYSIS.md "Steadiness"). NULL
// in all of them: none (force only, or a hold stored before version 3 and not reanalysed).
// tests/store/fixtures/schema_v2.sql is a frozen version-2 library that proves this step.
constexpr char kV3[] = R"sql(
ALTER TABLE holds ADD COLUMN cop_path_mm REAL;
ALTER TABLE holds ADD COLUMN cop_mean_velocity_mm_s REAL;
ALTER TABLE holds ADD COLUMN cop_ml_range_mm REAL;
ALTER TABLE holds ADD COLUMN cop_ap_range_mm REAL;
ALTER TABLE holds ADD COLUMN cop_rms_mm REAL;
ALTER TABLE holds ADD COLUMN cop_ellipse95_mm2 REAL;
ALTER TABLE holds ADD COLUMN cop_measured_s REAL;
)sql";

// Version 4: edits made after the session (docs/STORE.md, "Version 4"). The detector's holds and
// the markers said during the session stay as they were; an edit is a row beside them.
//   release_edits: what the user (or their physio) said about a hold's release, the hold named by
//     its start (session seconds, as stored in holds.start_s), since reanalysis may renumber holds.
//     kind: 'confirmed', 'moved' (release_s: the new time), 'deleted', 'reverted' (back to the
//     detector's). The newest edit of a hold (largest id) is in effect.
//   markers: added_utc (wall time; '' = said during the session), replaces (the marker row this
//     row changes: the original is kept), deleted_utc ('' = not deleted).
// tests/store/fixtures/schema_v3.sql is a frozen version-3 library that proves this step.
constexpr char kV4[] = R"sql(
CREATE TABLE release_edits (
  id           INTEGER PRIMARY KEY,
  session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  hold_start_s REAL    NOT NULL,
  kind         TEXT    NOT NULL,
  release_s    REAL,
  edited_utc   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX release_edits_by_session ON release_edits(session_id, hold_start_s);
ALTER TABLE markers ADD COLUMN added_utc TEXT NOT NULL DEFAULT '';
ALTER TABLE markers ADD COLUMN replaces INTEGER;
ALTER TABLE markers ADD COLUMN deleted_utc TEXT NOT NULL DEFAULT '';
CREATE INDEX markers_by_replaced ON markers(replaces);
)sql";

constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}};

}  // namespace

const Migration* migrations(size_t* count) {
  *count = sizeof(kMigrations) / sizeof(kMigrations[0]);
  return kMigrations;
}

}  // namespace rollrig::store::detail

// The session library (rollrig/store/session_store.h; schema and reasons: docs/STORE.md).
//
// Navigate by the [SECTION] markers: Helpers, Errors, Opening, Writing, Recovery, Reading, Edits.
#include "rollrig/store/session_store.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include <fcntl.h>
#include <unistd.h>
#include <utility>

#include "rollrig/core/calibration_json.h"
#include "rollrig/store/sample_codec.h"
#include "schema.h"

namespace rollrig::store {

namespace fs = std::filesystem;

// [SECTION] Helpers

namespace {

// A prepared statement, finalized on destruction. Binding indexes are 1-based, as in SQLite.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(m_stmt); }

  int prepare(sqlite3* db, const char* sql) {
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
    return sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr);
  }
  sqlite3_stmt* get() const { return m_stmt; }
  void finalize() {
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
  }
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(m_stmt, i, v); }
  void bindU64(int i, uint64_t v) { sqlite3_bind_int64(m_stmt, i, static_cast<int64_t>(v)); }
  void bind(int i, double v) { sqlite3_bind_double(m_stmt, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bindNull(int i) { sqlite3_bind_null(m_stmt, i); }
  void bindBlob(int i, const std::vector<uint8_t>& v) {
    sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(m_stmt); }

  int64_t i64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  uint64_t u64(int col) const { return static_cast<uint64_t>(sqlite3_column_int64(m_stmt, col)); }
  double f64(int col) const { return sqlite3_column_double(m_stmt, col); }
  bool isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(m_stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }

 private:
  sqlite3_stmt* m_stmt = nullptr;
};

core::Side sideFromName(const std::string& s) {
  if (s == "left") return core::Side::kLeft;
  if (s == "right") return core::Side::kRight;
  return core::Side::kUnknown;
}

core::SideSource sideSourceFromName(const std::string& s) {
  if (s == core::sideSourceName(core::SideSource::kUser)) return core::SideSource::kUser;
  if (s == core::sideSourceName(core::SideSource::kPlateGuess))
    return core::SideSource::kPlateGuess;
  return core::SideSource::kNone;
}

core::MarkerKind markerKindFromName(const std::string& s) {
  for (core::MarkerKind k : {core::MarkerKind::kReleased, core::MarkerKind::kPain,
                             core::MarkerKind::kSide, core::MarkerKind::kNote}) {
    if (s == core::markerKindName(k)) return k;
  }
  return core::MarkerKind::kNote;
}

core::ConnectionEventKind eventKindFromName(const std::string& s) {
  using K = core::ConnectionEventKind;
  for (K k :
       {K::kConnected, K::kDisconnected, K::kReconnected, K::kRefused, K::kDeviceReset, K::kGap}) {
    if (s == core::connectionEventKindName(k)) return k;
  }
  return K::kGap;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), and back.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// "YYYY-MM-DDTHH:MM:SS[.frac]Z" plus `seconds`, as "YYYY-MM-DDTHH:MM:SSZ"; "" if it does not parse.
// Pure arithmetic on the caller's time (the store reads no clock).
std::string addSecondsUtc(const std::string& iso, double seconds) {
  int y, mo, d, h, mi, s;
  char t, z;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%c", &y, &mo, &d, &t, &h, &mi, &s, &z) <
          8 ||
      (t != 'T' && t != ' ') || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return "";
  double frac = 0;
  if (z == '.') {
    const size_t dot = iso.find('.');
    frac = std::strtod(iso.c_str() + dot, nullptr);
  } else if (z != 'Z') {
    return "";
  }
  const double total =
      static_cast<double>(daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) *
          86400.0 +
      h * 3600.0 + mi * 60.0 + s + frac + seconds;
  const int64_t secs = static_cast<int64_t>(total);
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) rem += 86400, --days;
  int64_t yy;
  unsigned mm, dd;
  civilFromDays(days, &yy, &mm, &dd);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(yy),
                mm, dd, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

// True when `path`'s directory cannot be written and no non-empty -wal file lies beside it.
bool readOnlyMediumWithoutWal(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (access(dir.c_str(), W_OK) == 0) return false;
  std::error_code ec;
  const auto wal_size = fs::file_size(path + "-wal", ec);
  return ec || wal_size == 0;
}

// A file name as the path of an SQLite URI: '%', '?' and '#' percent-encoded.
std::string uriPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char b[4];
      std::snprintf(b, sizeof(b), "%%%02X", static_cast<unsigned char>(c));
      out += b;
    } else {
      out += c;
    }
  }
  return out;
}

StoreError makeError(StoreErrorKind kind, std::string message) {
  return StoreError{kind, std::move(message)};
}

constexpr char kChooseAnother[] = "choose another library with --db PATH or ROLLRIG_DB";

}  // namespace

std::string defaultLibraryPath() {
  const char* own = std::getenv("ROLLRIG_DB");
  if (own && *own) return own;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/rollrig/sessions.db";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.local/share/rollrig/sessions.db";
  return "rollrig-sessions.db";
}

// What one commit will write for one session.
struct Pending {
  std::vector<core::Sample> samples;
  std::vector<StoredCalibration> calibrations;
  std::vector<core::ReZero> rezeroes;
  std::vector<core::Marker> markers;
  std::vector<core::ConnectionEvent> events;
  std::optional<std::vector<core::Hold>> holds;
  SessionPatch patch;
  bool has_patch = false;

  bool empty() const {
    return samples.empty() && calibrations.empty() && rezeroes.empty() && markers.empty() &&
           events.empty() && !holds && !has_patch;
  }
};

// The session's last stored chunk while it has room: the next commit re-encodes it with the new
// samples and updates the row in place, so chunks hold ~kChunkSamples samples whatever the commit
// interval (docs/STORE.md, "Samples").
struct Tail {
  ChunkEncoder chunk;
  int64_t rowid = 0;  // its row; 0: not stored yet
  uint64_t first_t_us = 0, last_t_us = 0, frames_lost = 0;
};

struct SessionStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  OpenOptions options;
  int schema_version = 0;
  std::map<int64_t, Pending> pending;
  std::map<int64_t, Tail> tails;
  Stmt insert_chunk, update_chunk, exists_session, begin_write, commit_write;

  ~Impl() { closeDb(); }

  // The recorder locks (docs/STORE.md, "Who is recording"): an open file description on
  // <library>-recording holding a write lock on byte `id` for each session this store records.
  int lock_fd = -1;

  std::string lockPath() const { return path + "-recording"; }

  // Takes session `id`'s recorder lock; best effort (a recording goes on without it).
  void lockSession(int64_t id) {
    if (lock_fd < 0) lock_fd = ::open(lockPath().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) return;
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(id);
    fl.l_len = 1;
    fcntl(lock_fd, F_OFD_SETLK, &fl);
  }

  void unlockSession(int64_t id) {
    if (lock_fd < 0) return;
    struct flock fl = {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(id);
    fl.l_len = 1;
    fcntl(lock_fd, F_OFD_SETLK, &fl);
  }

  // True when a live SessionStore (in any process, this one included) records session `id`.
  bool sessionIsRecorded(int64_t id) const {
    int fd = lock_fd >= 0 ? lock_fd : ::open(lockPath().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // no lock file: nobody ever recorded here
    struct flock fl = {};
    fl.l_type = F_RDLCK;  // conflicts with a recorder's write lock
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(id);
    fl.l_len = 1;
    bool locked = false;
    if (fd == lock_fd) {
      // Our own description's locks never conflict with it: ask with a second description.
      const int probe = ::open(lockPath().c_str(), O_RDONLY | O_CLOEXEC);
      if (probe >= 0) {
        locked = fcntl(probe, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
        ::close(probe);
      }
    } else {
      locked = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
      ::close(fd);
    }
    return locked;
  }

  void closeDb() {
    if (lock_fd >= 0) ::close(lock_fd);  // releases every recorder lock this store held
    lock_fd = -1;
    insert_chunk.finalize();
    update_chunk.finalize();
    exists_session.finalize();
    begin_write.finalize();
    commit_write.finalize();
    if (db) sqlite3_close_v2(db);
    db = nullptr;
  }

  // [SECTION] Errors

  // Maps an SQLite result to a StoreError. `doing` completes "... while <doing>" and names what
  // was not done.
  StoreError sqlError(int rc, const std::string& doing) const {
    const int primary = rc & 0xFF;
    const int sys = db ? sqlite3_system_errno(db) : 0;
    const std::string sqlite_says = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT))) {
      return makeError(
          StoreErrorKind::kFull,
          "The session library " + path +
              " is full (no space left on its disk, or its size limit reached) while " + doing +
              ": that was not saved; everything saved before is kept. Free some "
              "disk space, or " +
              kChooseAnother + ".");
    }
    if (primary == SQLITE_READONLY) {
      return makeError(StoreErrorKind::kReadOnly,
                       "The session library " + path + " cannot be written (" + sqlite_says +
                           ") while " + doing +
                           ": that was not saved. Check that its file and directory are writable "
                           "and not on a read-only file system, or " +
                           kChooseAnother + ".");
    }
    if (primary == SQLITE_NOTADB) {
      return makeError(StoreErrorKind::kNotALibrary,
                       path +
                           " is not a rollrig session library (it is not an SQLite database "
                           "file). rollrig has left it untouched; " +
                           kChooseAnother + ".");
    }
    if (primary == SQLITE_CORRUPT) {
      return makeError(StoreErrorKind::kNotALibrary,
                       "The session library " + path + " is damaged (" + sqlite_says + ") while " +
                           doing +
                           ". Keep a copy of the file; `sqlite3 FILE .recover` may rescue its "
                           "sessions. Meanwhile " +
                           kChooseAnother + ".");
    }
    if (primary == SQLITE_CANTOPEN) {
      return makeError(StoreErrorKind::kCannotOpen,
                       "Cannot open the session library " + path +
                           (sys ? " (" + std::string(std::strerror(sys)) + ")" : std::string()) +
                           ". Check that its directory exists and can be written, or " +
                           kChooseAnother + ".");
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      return makeError(StoreErrorKind::kBusy,
                       "The session library " + path + " stayed locked by another program for " +
                           std::to_string(options.busy_timeout_ms) + " ms while " + doing +
                           ". Another rollrig may be writing to it: stop that one, or " +
                           kChooseAnother + ".");
    }
    return makeError(StoreErrorKind::kSystem,
                     "SQLite failed while " + doing + " in " + path + ": " + sqlite_says +
                         (sys ? " (" + std::string(std::strerror(sys)) + ")" : std::string()) +
                         ".");
  }

  StoreError notOpen() const {
    return makeError(StoreErrorKind::kBadInput,
                     "No session library is open (open() failed or was not called).");
  }

  StoreError notFound(int64_t id) const {
    return makeError(StoreErrorKind::kNotFound, "There is no session " + std::to_string(id) +
                                                    " in " + path +
                                                    "; `rollrig sessions` lists the sessions.");
  }

  // [SECTION] Rows: the one way the writers insert and the readers select a session's rows

  // Prepares `sql` once and runs it for each of `items`: ?1 is `session`, `bind` binds the rest.
  // `doing` completes the error's "... while <doing>".
  template <typename T, typename Bind>
  StoreError insertRows(const char* sql, int64_t session, const std::vector<T>& items,
                        const std::string& doing, Bind&& bind) {
    if (items.empty()) return {};
    Stmt s;
    int rc = s.prepare(db, sql);
    for (size_t i = 0; rc == SQLITE_OK && i < items.size(); ++i) {
      s.reset();
      s.bind(1, session);
      bind(s, items[i]);
      rc = s.step();
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    return rc == SQLITE_OK ? StoreError{} : sqlError(rc, doing);
  }

  // Runs `sql` with ?1 = `session` and hands every row to `row`; `what` names the rows in errors.
  template <typename Row>
  StoreError selectRows(int64_t session, const char* sql, const char* what, Row&& row) {
    if (!db) return notOpen();
    const std::string doing =
        std::string("reading the ") + what + " of session " + std::to_string(session);
    Stmt s;
    int rc = s.prepare(db, sql);
    if (rc != SQLITE_OK) return sqlError(rc, doing);
    s.bind(1, session);
    while ((rc = s.step()) == SQLITE_ROW) row(s);
    if (rc != SQLITE_DONE) return sqlError(rc, doing);
    return {};
  }

  StoreError exec(const char* sql, const std::string& doing) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? StoreError{} : sqlError(rc, doing);
  }

  // Runs a one-row, one-column query returning an integer.
  StoreError queryInt(const char* sql, int64_t* out, const std::string& doing) {
    Stmt s;
    int rc = s.prepare(db, sql);
    if (rc != SQLITE_OK) return sqlError(rc, doing);
    rc = s.step();
    if (rc != SQLITE_ROW) return sqlError(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, doing);
    *out = s.i64(0);
    return {};
  }

  void rollbackIfOpen() {
    if (db && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // [SECTION] Opening

  StoreError checkAndMigrate();
  StoreError prepareStatements();

  // [SECTION] Writing

  StoreError sessionExists(int64_t id, bool* exists);
  StoreError writeSession(int64_t id, Pending& p, Tail* new_tail);
  StoreError writeSamples(int64_t id, const std::vector<core::Sample>& samples, Tail* new_tail);
  StoreError setEnd(int64_t id, const std::string& reason, const std::string& ended_utc);
  StoreError writeCounters(int64_t id);
  StoreError endInOneTransaction(int64_t id, const std::string& reason,
                                 const std::string& ended_utc);

  // [SECTION] Edits

  StoreError editTransaction(int64_t session, const std::string& doing,
                             const std::function<StoreError()>& body);
  StoreError markerHead(int64_t session, int64_t id, const std::string& doing, int64_t* head,
                        bool* deleted);
  // Inserts a marker row written after the session (added_utc), replacing marker `replaces` (0:
  // a new one); its id in *id when given. Inside an editTransaction.
  StoreError insertLateMarker(int64_t session, const core::Marker& marker,
                              const std::string& added_utc, int64_t replaces,
                              const std::string& doing, int64_t* id);
};

StoreError SessionStore::Impl::checkAndMigrate() {
  const std::string doing = "reading the library's header";
  int64_t app_id = 0, version = 0, objects = 0;
  if (StoreError e = queryInt("PRAGMA application_id", &app_id, doing)) return e;
  if (StoreError e = queryInt("PRAGMA user_version", &version, doing)) return e;
  if (StoreError e = queryInt("SELECT count(*) FROM sqlite_master", &objects, doing)) return e;

  const bool ours = app_id == kApplicationId;
  const bool fresh = app_id == 0 && version == 0 && objects == 0;
  if (!ours && !fresh) {
    char id[16];
    std::snprintf(id, sizeof(id), "0x%08llX", static_cast<unsigned long long>(app_id));
    return makeError(StoreErrorKind::kNotALibrary,
                     path +
                         " is an SQLite database but not a rollrig session library (it belongs to "
                         "another program: application id " +
                         id + ", " + std::to_string(objects) +
                         " tables and indexes). rollrig has left it untouched; " + kChooseAnother +
                         ".");
  }
  if (version > kSchemaVersion) {
    return makeError(StoreErrorKind::kNewerSchema,
                     "The session library " + path + " was made by a newer rollrig (schema " +
                         std::to_string(version) + "; this rollrig knows up to " +
                         std::to_string(kSchemaVersion) +
                         "). It has been left untouched: update rollrig to use it, or " +
                         kChooseAnother + ".");
  }
  if (options.mode == OpenMode::kReadOnly) {
    if (fresh) {
      return makeError(StoreErrorKind::kCannotOpen, "There is no session library at " + path +
                                                        " yet: record a session first, or " +
                                                        kChooseAnother + ".");
    }
    if (version < kSchemaVersion) {
      return makeError(
          StoreErrorKind::kReadOnly,
          "The session library " + path + " was made by an older rollrig (schema " +
              std::to_string(version) +
              ") and must be upgraded before it can be read, which needs write access: make it "
              "writable, or open it once with a command that records.");
    }
    schema_version = static_cast<int>(version);
    return {};
  }

  size_t count = 0;
  const detail::Migration* steps = detail::migrations(&count);
  for (size_t i = 0; i < count; ++i) {
    const detail::Migration& m = steps[i];
    if (m.to_version <= version) continue;
    const std::string what = "upgrading the library to schema " + std::to_string(m.to_version);
    if (StoreError e = exec("BEGIN IMMEDIATE", what)) return e;
    // Another rollrig may have run this step while we waited for the write lock.
    int64_t now = 0;
    if (StoreError e = queryInt("PRAGMA user_version", &now, what)) {
      rollbackIfOpen();
      return e;
    }
    if (now >= m.to_version) {
      rollbackIfOpen();
      version = now;
      continue;
    }
    std::string sql = m.sql;
    if (m.to_version == 1) sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    sql += "PRAGMA user_version = " + std::to_string(m.to_version) + ";";
    StoreError e = exec(sql.c_str(), what);
    if (!e) e = exec("COMMIT", what);
    if (e) {
      rollbackIfOpen();
      return e;
    }
    version = m.to_version;
  }
  schema_version = static_cast<int>(version);
  return {};
}

StoreError SessionStore::Impl::prepareStatements() {
  struct {
    Stmt* stmt;
    const char* sql;
  } const list[] = {
      {&insert_chunk,
       "INSERT INTO sample_chunks (session_id, first_t_us, last_t_us, count, frames_lost, codec, "
       "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&update_chunk,
       // first_t_us (indexed) is never rewritten: growing a chunk touches no index page.
       "UPDATE sample_chunks SET last_t_us = ?3, count = ?4, frames_lost = ?5, codec = ?6, "
       "data = ?7 WHERE id = ?1 AND first_t_us = ?2 AND session_id = ?8"},
      {&exists_session, "SELECT 1 FROM sessions WHERE id = ?1"},
      {&begin_write, "BEGIN IMMEDIATE"},
      {&commit_write, "COMMIT"},
  };
  for (const auto& s : list) {
    const int rc = s.stmt->prepare(db, s.sql);
    if (rc != SQLITE_OK) return sqlError(rc, "preparing the library's statements");
  }
  return {};
}

SessionStore::SessionStore() : m_impl(std::make_unique<Impl>()) {}
SessionStore::~SessionStore() = default;
SessionStore::SessionStore(SessionStore&&) noexcept = default;
SessionStore& SessionStore::operator=(SessionStore&&) noexcept = default;

StoreError SessionStore::open(const std::string& path, const OpenOptions& options) {
  close();
  Impl& m = *m_impl;
  m.path = path;
  m.options = options;
  const bool read_only = options.mode == OpenMode::kReadOnly;

  if (path.empty()) {
    return makeError(StoreErrorKind::kCannotOpen, "No path was given for the session library; " +
                                                      std::string(kChooseAnother) + ".");
  }
  if (read_only) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return makeError(StoreErrorKind::kCannotOpen, "There is no session library at " + path +
                                                        " yet: record a session first, or " +
                                                        kChooseAnother + ".");
    }
  } else {
    const fs::path dir = fs::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty() && !fs::is_directory(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) {
        const int e = ec.value();
        const bool denied = e == EACCES || e == EPERM || e == EROFS;
        return makeError(denied ? StoreErrorKind::kReadOnly : StoreErrorKind::kCannotOpen,
                         "Cannot create the directory " + dir.string() +
                             " for the session library (" + ec.message() + "); " + kChooseAnother +
                             ".");
      }
    }
  }

  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &m.db, flags, nullptr);
  StoreError err;
  if (rc != SQLITE_OK) err = m.sqlError(rc, "opening it");
  if (!err) {
    sqlite3_extended_result_codes(m.db, 1);
    sqlite3_busy_timeout(m.db, options.busy_timeout_ms);
    err = m.checkAndMigrate();
  }
  if (err && read_only && readOnlyMediumWithoutWal(path) &&
      (err.kind == StoreErrorKind::kCannotOpen || err.kind == StoreErrorKind::kReadOnly)) {
    // A WAL library on read-only media (a read-only mount, a write-protected stick) with no -shm
    // next to it cannot be opened normally: SQLite would need to create the -shm. With no -wal
    // either, every committed transaction is in the main file and nothing can change it, which
    // is exactly what SQLite's immutable mode is for.
    m.closeDb();
    const std::string uri = "file:" + uriPath(path) + "?immutable=1";
    rc = sqlite3_open_v2(uri.c_str(), &m.db, flags | SQLITE_OPEN_URI, nullptr);
    err = rc == SQLITE_OK ? StoreError{} : m.sqlError(rc, "opening it");
    if (!err) {
      sqlite3_extended_result_codes(m.db, 1);
      err = m.checkAndMigrate();
    }
  }
  if (err && !read_only &&
      (err.kind == StoreErrorKind::kCannotOpen || err.kind == StoreErrorKind::kReadOnly)) {
    // SQLite's own words for an unwritable directory are misleading (the -wal or -shm it could
    // not create); say what is wrong.
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (access(dir.c_str(), W_OK) != 0) {
      err = makeError(StoreErrorKind::kReadOnly,
                      "The session library " + path + " cannot be written: its directory " +
                          dir.string() + " is not writable (" + std::strerror(errno) +
                          "). It can still be read (e.g. `rollrig sessions`, `show`, `export`); to "
                          "record or edit, " +
                          kChooseAnother + ".");
    }
  }
  if (!err && !read_only) {
    // WAL: readers never block the writer and a killed writer loses no committed transaction.
    Stmt s;
    rc = s.prepare(m.db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK) rc = s.step();
    if (rc != SQLITE_ROW) {
      err = m.sqlError(rc, "switching the library to write-ahead logging");
    } else if (s.text(0) != "wal") {
      err = makeError(StoreErrorKind::kCannotOpen,
                      "The session library " + path +
                          " cannot use write-ahead logging on its file system (journal mode " +
                          s.text(0) + "); " + kChooseAnother + " on a local disk.");
    }
  }
  if (!err) {
    std::string pragmas = "PRAGMA foreign_keys = ON;";
    pragmas +=
        options.synchronous_full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
    if (read_only) pragmas += "PRAGMA query_only = ON;";
    if (options.max_pages > 0)
      pragmas += "PRAGMA max_page_count = " + std::to_string(options.max_pages) + ";";
    err = m.exec(pragmas.c_str(), "setting up the connection");
  }
  if (!err && !read_only) err = m.prepareStatements();
  if (err) {
    m.closeDb();
    m.schema_version = 0;
  }
  return err;
}

void SessionStore::close() {
  Impl& m = *m_impl;
  m.closeDb();
  m.pending.clear();
  m.tails.clear();
  m.schema_version = 0;
}

bool SessionStore::isOpen() const {
  return m_impl->db != nullptr;
}
const std::string& SessionStore::path() const {
  return m_impl->path;
}
int SessionStore::schemaVersion() const {
  return m_impl->schema_version;
}

// [SECTION] Writing

StoreError SessionStore::beginSession(const SessionInfo& info, int64_t* id) {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  // A commit's kNotFound is about buffered data of other, missing sessions (dropped).
  if (StoreError e = commit(); e && e.kind != StoreErrorKind::kNotFound) return e;
  Stmt s;
  if (StoreError e = m.exec("BEGIN IMMEDIATE", "starting a new session")) return e;
  int rc = s.prepare(m.db,
                     "INSERT INTO sessions (started_utc, source, device_serial, firmware_version, "
                     "protocol_version, nominal_rate_hz, cell_count, sides, ball, body_mass_kg, "
                     "notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (rc == SQLITE_OK) {
    s.bind(1, info.started_utc);
    s.bind(2, info.source);
    s.bind(3, static_cast<int64_t>(info.device_serial));
    s.bind(4, info.firmware_version);
    s.bind(5, info.protocol_version);
    s.bind(6, info.nominal_rate_hz);
    s.bind(7, static_cast<int64_t>(info.cell_count));
    s.bind(8, info.sides);
    s.bind(9, info.ball);
    if (info.body_mass_kg)
      s.bind(10, *info.body_mass_kg);
    else
      s.bindNull(10);
    s.bind(11, info.notes);
    rc = s.step();
  }
  StoreError err;
  if (rc != SQLITE_DONE) err = m.sqlError(rc, "starting a new session");
  if (!err) {
    // Locked before the row is visible: no other process can take it for a dead recording.
    *id = sqlite3_last_insert_rowid(m.db);
    m.lockSession(*id);
    err = m.exec("COMMIT", "starting a new session");
    if (err) m.unlockSession(*id);
  }
  if (err) m.rollbackIfOpen();
  return err;
}

void SessionStore::appendSamples(int64_t session, const core::Sample* samples, size_t n) {
  if (n == 0) return;
  std::vector<core::Sample>& v = m_impl->pending[session].samples;
  v.insert(v.end(), samples, samples + n);
}

void SessionStore::addCalibration(int64_t session, uint64_t from_t_us,
                                  const core::CalibrationRecord& record) {
  m_impl->pending[session].calibrations.push_back({from_t_us, record});
}

void SessionStore::addReZero(int64_t session, const core::ReZero& rezero) {
  m_impl->pending[session].rezeroes.push_back(rezero);
}

void SessionStore::addMarker(int64_t session, const core::Marker& marker) {
  m_impl->pending[session].markers.push_back(marker);
}

void SessionStore::addConnectionEvent(int64_t session, const core::ConnectionEvent& event) {
  m_impl->pending[session].events.push_back(event);
}

void SessionStore::replaceHolds(int64_t session, std::vector<core::Hold> holds) {
  m_impl->pending[session].holds = std::move(holds);
}

void SessionStore::updateSession(int64_t session, const SessionPatch& patch) {
  Pending& p = m_impl->pending[session];
  SessionPatch& q = p.patch;
  p.has_patch = true;
  auto merge = [](auto& into, const auto& from) {
    if (from) into = from;
  };
  merge(q.source, patch.source);
  merge(q.firmware_version, patch.firmware_version);
  merge(q.protocol_version, patch.protocol_version);
  merge(q.sides, patch.sides);
  merge(q.ball, patch.ball);
  merge(q.notes, patch.notes);
  merge(q.device_serial, patch.device_serial);
  merge(q.nominal_rate_hz, patch.nominal_rate_hz);
  merge(q.cell_count, patch.cell_count);
  merge(q.body_mass_kg, patch.body_mass_kg);
}

size_t SessionStore::pendingSamples() const {
  size_t n = 0;
  for (const auto& [id, p] : m_impl->pending) n += p.samples.size();
  return n;
}

bool SessionStore::hasPending() const {
  for (const auto& [id, p] : m_impl->pending)
    if (!p.empty()) return true;
  return false;
}

StoreError SessionStore::Impl::sessionExists(int64_t id, bool* exists) {
  exists_session.reset();
  exists_session.bind(1, id);
  const int rc = exists_session.step();
  exists_session.reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlError(rc, "looking up a session");
  *exists = rc == SQLITE_ROW;
  return {};
}

StoreError SessionStore::Impl::writeSamples(int64_t id, const std::vector<core::Sample>& fresh,
                                            Tail* new_tail) {
  const std::string doing = "saving samples of session " + std::to_string(id);
  Tail cur = tails[id];  // a copy: the stored tail stays as it was if this commit fails
  std::vector<uint8_t> blob;
  // Stores `cur` (rewriting its row when it has one) and remembers its row.
  auto store = [&]() -> StoreError {
    blob.clear();
    cur.chunk.appendTo(&blob);
    auto put = [&](Stmt& s, int64_t key) {
      s.reset();
      s.bind(1, key);
      s.bindU64(2, cur.first_t_us);
      s.bindU64(3, cur.last_t_us);
      s.bind(4, static_cast<int64_t>(cur.chunk.count()));
      s.bindU64(5, cur.frames_lost);
      s.bind(6, static_cast<int64_t>(kChunkCodecVersion));
      s.bindBlob(7, blob);
      if (&s == &update_chunk) s.bind(8, id);
      const int rc = s.step();
      s.reset();
      return rc;
    };
    bool updated = false;
    if (cur.rowid) {
      const int rc = put(update_chunk, cur.rowid);
      if (rc != SQLITE_DONE) return sqlError(rc, doing);
      // The tail's row is gone (deleted by another connection): store the chunk anew.
      updated = sqlite3_changes(db) > 0;
    }
    if (!updated) {
      const int rc = put(insert_chunk, id);
      if (rc != SQLITE_DONE) return sqlError(rc, doing);
      cur.rowid = sqlite3_last_insert_rowid(db);
    }
    return {};
  };
  for (const core::Sample& s : fresh) {
    if (cur.chunk.count() == kChunkSamples) {
      if (StoreError e = store()) return e;
      cur = Tail{};
    }
    if (cur.chunk.count() == 0) cur.first_t_us = s.t_us;
    cur.chunk.add(s);
    cur.last_t_us = s.t_us;
    cur.frames_lost += s.lost_before;
  }
  if (StoreError e = store()) return e;
  // A full chunk is done; the next commit starts a new one.
  *new_tail = cur.chunk.count() < kChunkSamples ? std::move(cur) : Tail{};
  return {};
}

StoreError SessionStore::Impl::writeSession(int64_t id, Pending& p, Tail* new_tail) {
  const std::string sid = std::to_string(id);
  if (!p.samples.empty()) {
    if (StoreError e = writeSamples(id, p.samples, new_tail)) return e;
  }
  StoreError e = insertRows(
      "INSERT INTO calibrations (session_id, from_t_us, source, device_serial, created_utc, "
      "record_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      id, p.calibrations, "saving a calibration of session " + sid,
      [](Stmt& s, const StoredCalibration& c) {
        s.bindU64(2, c.from_t_us);
        s.bind(3, c.record.calibration.source);
        s.bind(4, static_cast<int64_t>(c.record.calibration.device_serial));
        s.bind(5, c.record.calibration.created);
        s.bind(6, core::calibrationToJson(c.record));
      });
  if (e) return e;
  e = insertRows(
      "INSERT INTO rezeroes (session_id, t_us, samples, change_counts0, change_counts1, "
      "change_counts2, change_counts3, change_n0, change_n1, change_n2, change_n3) VALUES (?1, "
      "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      id, p.rezeroes, "saving a re-zero of session " + sid, [](Stmt& s, const core::ReZero& z) {
        s.bindU64(2, z.t_us);
        s.bind(3, static_cast<int64_t>(z.samples));
        for (int c = 0; c < core::kCellCount; ++c) {
          s.bind(4 + c, z.change_counts[c]);
          s.bind(8 + c, z.change_n[c]);
        }
      });
  if (e) return e;
  e = insertRows(
      "INSERT INTO markers (session_id, t_us, kind, pain, side, text) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6)",
      id, p.markers, "saving a marker of session " + sid, [](Stmt& s, const core::Marker& mk) {
        s.bindU64(2, mk.t_us);
        s.bind(3, std::string(core::markerKindName(mk.kind)));
        if (mk.pain >= 0)
          s.bind(4, static_cast<int64_t>(mk.pain));
        else
          s.bindNull(4);
        s.bind(5, mk.side == core::Side::kUnknown ? std::string() : core::sideName(mk.side));
        s.bind(6, mk.text);
      });
  if (e) return e;
  e = insertRows(
      "INSERT INTO connection_events (session_id, t_us, kind, frames_lost, gap_s, detail, "
      "wall_utc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      id, p.events, "saving a connection event of session " + sid,
      [](Stmt& s, const core::ConnectionEvent& ev) {
        s.bindU64(2, ev.t_us);
        s.bind(3, std::string(core::connectionEventKindName(ev.kind)));
        s.bindU64(4, ev.frames_lost);
        s.bind(5, ev.gap_s);
        s.bind(6, ev.detail);
        s.bind(7, ev.wall_utc);
      });
  if (e) return e;
  if (p.holds) {
    const std::string doing = "saving the holds of session " + sid;
    Stmt del;
    int rc = del.prepare(db, "DELETE FROM holds WHERE session_id = ?1");
    if (rc == SQLITE_OK) {
      del.bind(1, id);
      rc = del.step();
    }
    if (rc != SQLITE_DONE) return sqlError(rc, doing);
    e = insertRows(
        "INSERT INTO holds (session_id, start_s, end_s, release_s, release_source, mean_force_n, "
        "peak_force_n, has_xy, x_mm, y_mm, side, side_source, step_fraction, tremor_ratio, "
        "cv_before, cv_after, reached_protocol_min, exceeded_protocol_max, cop_path_mm, "
        "cop_mean_velocity_mm_s, cop_ml_range_mm, cop_ap_range_mm, cop_rms_mm, "
        "cop_ellipse95_mm2, cop_measured_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        id, *p.holds, doing, [](Stmt& s, const core::Hold& h) {
          s.bind(2, h.start_s);
          s.bind(3, h.end_s);
          if (h.release_s)
            s.bind(4, *h.release_s);
          else
            s.bindNull(4);
          s.bind(5, h.release_source);
          s.bind(6, h.mean_force_n);
          s.bind(7, h.peak_force_n);
          s.bind(8, static_cast<int64_t>(h.has_xy));
          s.bind(9, h.x_mm);
          s.bind(10, h.y_mm);
          s.bind(11, std::string(core::sideName(h.side)));
          s.bind(12, std::string(core::sideSourceName(h.side_source)));
          s.bind(13, h.step_fraction);
          s.bind(14, h.tremor_ratio);
          s.bind(15, h.cv_before);
          s.bind(16, h.cv_after);
          s.bind(17, static_cast<int64_t>(h.reached_protocol_min));
          s.bind(18, static_cast<int64_t>(h.exceeded_protocol_max));
          // Steadiness: all NULL when there is none (force only), never zeros.
          const std::optional<core::HoldSteadiness>& st = h.steadiness;
          const double figures[] = {st ? st->path_mm : 0,     st ? st->mean_velocity_mm_s : 0,
                                    st ? st->ml_range_mm : 0, st ? st->ap_range_mm : 0,
                                    st ? st->rms_mm : 0,      st ? st->ellipse95_mm2 : 0,
                                    st ? st->measured_s : 0};
          for (int k = 0; k < 7; ++k) {
            if (st)
              s.bind(19 + k, figures[k]);
            else
              s.bindNull(19 + k);
          }
        });
    if (e) return e;
  }
  if (p.has_patch) {
    const SessionPatch& q = p.patch;
    std::string sql = "UPDATE sessions SET id = id";
    std::vector<std::function<void(Stmt&, int)>> binds;
    auto text = [&](const char* col, const std::optional<std::string>& v) {
      if (!v) return;
      sql += std::string(", ") + col + " = ?" + std::to_string(binds.size() + 2);
      binds.push_back([v](Stmt& s, int i) { s.bind(i, *v); });
    };
    text("source", q.source);
    text("firmware_version", q.firmware_version);
    text("protocol_version", q.protocol_version);
    text("sides", q.sides);
    text("ball", q.ball);
    text("notes", q.notes);
    if (q.device_serial) {
      sql += ", device_serial = ?" + std::to_string(binds.size() + 2);
      const int64_t v = *q.device_serial;
      binds.push_back([v](Stmt& s, int i) { s.bind(i, v); });
    }
    if (q.nominal_rate_hz) {
      sql += ", nominal_rate_hz = ?" + std::to_string(binds.size() + 2);
      const double v = *q.nominal_rate_hz;
      binds.push_back([v](Stmt& s, int i) { s.bind(i, v); });
    }
    if (q.cell_count) {
      sql += ", cell_count = ?" + std::to_string(binds.size() + 2);
      const int64_t v = *q.cell_count;
      binds.push_back([v](Stmt& s, int i) { s.bind(i, v); });
    }
    if (q.body_mass_kg) {
      sql += ", body_mass_kg = ?" + std::to_string(binds.size() + 2);
      const std::optional<double> v = *q.body_mass_kg;
      binds.push_back([v](Stmt& s, int i) {
        if (v)
          s.bind(i, *v);
        else
          s.bindNull(i);
      });
    }
    sql += " WHERE id = ?1";
    Stmt s;
    int rc = s.prepare(db, sql.c_str());
    if (rc == SQLITE_OK) {
      s.bind(1, id);
      for (size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 2));
      rc = s.step();
    }
    if (rc != SQLITE_DONE) return sqlError(rc, "updating session " + sid);
  }
  return {};
}

StoreError SessionStore::commit() {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  if (!hasPending()) {
    m.pending.clear();
    return {};
  }
  auto run = [&m](Stmt& s, const char* doing) {  // cached: commit() runs 4+ times a second
    const int rc = s.step();
    s.reset();
    return rc == SQLITE_DONE ? StoreError{} : m.sqlError(rc, doing);
  };
  if (StoreError e = run(m.begin_write, "starting to save")) return e;
  std::vector<int64_t> missing;
  std::map<int64_t, Tail> new_tails;
  StoreError err;
  for (auto& [id, p] : m.pending) {
    if (p.empty()) continue;
    bool exists = false;
    if ((err = m.sessionExists(id, &exists))) break;
    if (!exists) {
      missing.push_back(id);
      continue;
    }
    Tail tail;
    if ((err = m.writeSession(id, p, &tail))) break;
    if (!p.samples.empty()) new_tails[id] = std::move(tail);
  }
  if (!err) err = run(m.commit_write, "saving");
  if (err) {
    // The whole transaction goes; the buffer and the tails stay as they were, so nothing
    // half-written exists and a later commit can retry.
    m.rollbackIfOpen();
    return err;
  }
  for (auto& [id, tail] : new_tails) m.tails[id] = std::move(tail);
  for (int64_t id : missing) m.tails.erase(id);
  m.pending.clear();
  if (!missing.empty()) {
    StoreError e = m.notFound(missing.front());
    e.message += " Its buffered data was dropped.";
    return e;
  }
  return {};
}

StoreError SessionStore::Impl::setEnd(int64_t id, const std::string& reason,
                                      const std::string& ended_utc) {
  std::string ended = ended_utc;
  if (ended.empty()) {
    Stmt s;
    int rc = s.prepare(db, "SELECT started_utc, first_t_us, last_t_us FROM sessions WHERE id = ?1");
    if (rc == SQLITE_OK) {
      s.bind(1, id);
      rc = s.step();
    }
    if (rc == SQLITE_DONE) return notFound(id);
    if (rc != SQLITE_ROW) return sqlError(rc, "ending session " + std::to_string(id));
    const double duration_s =
        s.isNull(1) || s.isNull(2) ? 0.0 : static_cast<double>(s.u64(2) - s.u64(1)) * 1e-6;
    ended = addSecondsUtc(s.text(0), duration_s);
  }
  Stmt s;
  int rc = s.prepare(db, "UPDATE sessions SET end_reason = ?2, ended_utc = ?3 WHERE id = ?1");
  if (rc == SQLITE_OK) {
    s.bind(1, id);
    s.bind(2, reason);
    s.bind(3, ended);
    rc = s.step();
  }
  if (rc != SQLITE_DONE) return sqlError(rc, "ending session " + std::to_string(id));
  if (sqlite3_changes(db) == 0) return notFound(id);
  return {};
}

// The session row's sample counters are written once, when the session ends: a commit then
// touches only the chunk it grows (docs/STORE.md, "Why the counters wait for the end").
StoreError SessionStore::Impl::writeCounters(int64_t id) {
  Stmt s;
  int rc = s.prepare(db,
                     "UPDATE sessions SET (first_t_us, last_t_us, sample_count, frames_lost) = "
                     "(SELECT min(first_t_us), max(last_t_us), coalesce(sum(count), 0), "
                     "coalesce(sum(frames_lost), 0) FROM sample_chunks WHERE session_id = ?1) "
                     "WHERE id = ?1");
  if (rc == SQLITE_OK) {
    s.bind(1, id);
    rc = s.step();
  }
  if (rc != SQLITE_DONE)
    return sqlError(rc, "counting the samples of session " + std::to_string(id));
  if (sqlite3_changes(db) == 0) return notFound(id);
  return {};
}

StoreError SessionStore::Impl::endInOneTransaction(int64_t id, const std::string& reason,
                                                   const std::string& ended_utc) {
  const std::string doing = "ending session " + std::to_string(id);
  if (StoreError e = exec("BEGIN IMMEDIATE", doing)) return e;
  StoreError err = writeCounters(id);
  if (!err) err = setEnd(id, reason, ended_utc);
  if (!err) err = exec("COMMIT", doing);
  if (err) rollbackIfOpen();
  return err;
}

StoreError SessionStore::endSession(int64_t session, const std::string& reason,
                                    const std::string& ended_utc) {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  if (reason.empty())
    return makeError(StoreErrorKind::kBadInput,
                     "A session needs a reason to end (e.g. \"stopped\").");
  // A commit's kNotFound is about buffered data of sessions that do not exist (dropped): no
  // reason not to end this one.
  if (StoreError e = commit(); e && e.kind != StoreErrorKind::kNotFound) return e;
  if (StoreError e = m.endInOneTransaction(session, reason, ended_utc)) return e;
  m.tails.erase(session);
  m.unlockSession(session);
  return {};
}

// [SECTION] Recovery

StoreError SessionStore::unfinishedSessions(std::vector<SessionRecord>* out) {
  Impl& m = *m_impl;
  out->clear();
  if (!m.db) return m.notOpen();
  Stmt s;
  int rc = s.prepare(m.db, "SELECT id FROM sessions WHERE end_reason = '' ORDER BY id");
  std::vector<int64_t> ids;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = s.step();
    if (rc == SQLITE_ROW) ids.push_back(s.i64(0));
  }
  if (rc != SQLITE_DONE) return m.sqlError(rc, "listing unfinished sessions");
  for (int64_t id : ids) {
    if (m.sessionIsRecorded(id)) continue;
    SessionRecord r;
    if (StoreError e = loadSession(id, &r)) return e;
    out->push_back(std::move(r));
  }
  return {};
}

StoreError SessionStore::finishInterrupted(int64_t session, const std::string& reason,
                                           const std::string& ended_utc) {
  // The same steps as ending a session: the counters are re-derived from the stored chunks.
  return endSession(session, reason, ended_utc);
}

// [SECTION] Reading

// A session still being recorded (or whose recorder died) has its sample counters in its chunks
// only: they are written to its row when it ends (writeCounters()).
#define LIVE_COUNTERS_SQL                                                                  \
  "SELECT session_id, min(first_t_us) AS first, max(last_t_us) AS last, sum(count) AS n, " \
  "sum(frames_lost) AS lost FROM sample_chunks"

StoreError SessionStore::listSessions(std::vector<SessionListEntry>* out) {
  Impl& m = *m_impl;
  out->clear();
  if (!m.db) return m.notOpen();
  Stmt s;
  int rc = s.prepare(
      m.db,
      "SELECT s.id, s.started_utc, s.ended_utc, s.end_reason, coalesce(a.first, s.first_t_us), "
      "coalesce(a.last, s.last_t_us), s.device_serial, s.sides, coalesce(a.n, s.sample_count), "
      "coalesce(a.lost, s.frames_lost), "
      "(SELECT count(*) FROM holds h WHERE h.session_id = s.id), "
      // Releases in effect: the newest edit naming the hold decides (docs/STORE.md, version 4).
      "(SELECT count(*) FROM holds h WHERE h.session_id = s.id AND coalesce((SELECT e.kind IN "
      "('moved') OR (e.kind IN ('confirmed', 'reverted') AND h.release_s IS NOT NULL) FROM "
      "release_edits e WHERE e.session_id = s.id AND abs(e.hold_start_s - h.start_s) <= ?1 "
      "ORDER BY e.id DESC LIMIT 1), h.release_s IS NOT NULL)) "
      "FROM sessions s LEFT JOIN (" LIVE_COUNTERS_SQL
      " WHERE session_id IN (SELECT id FROM sessions WHERE end_reason = '') GROUP BY session_id) a "
      "ON a.session_id = s.id ORDER BY s.id");
  if (rc == SQLITE_OK) s.bind(1, kReleaseEditMatch_s);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = s.step();
    if (rc != SQLITE_ROW) break;
    SessionListEntry e;
    e.id = s.i64(0);
    e.started_utc = s.text(1);
    e.ended_utc = s.text(2);
    e.end_reason = s.text(3);
    if (!s.isNull(4) && !s.isNull(5))
      e.duration_s = static_cast<double>(s.u64(5) - s.u64(4)) * 1e-6;
    e.device_serial = static_cast<uint32_t>(s.i64(6));
    e.sides = s.text(7);
    e.sample_count = s.u64(8);
    e.frames_lost = s.u64(9);
    e.holds = static_cast<int>(s.i64(10));
    e.releases = static_cast<int>(s.i64(11));
    e.recording = e.end_reason.empty() && m.sessionIsRecorded(e.id);
    out->push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return m.sqlError(rc, "listing the sessions");
  return {};
}

StoreError SessionStore::loadSession(int64_t session, SessionRecord* out) {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  Stmt s;
  int rc = s.prepare(m.db,
                     "SELECT s.id, started_utc, ended_utc, end_reason, source, device_serial, "
                     "firmware_version, protocol_version, nominal_rate_hz, cell_count, sides, "
                     "ball, body_mass_kg, notes, coalesce(a.first, first_t_us), "
                     "coalesce(a.last, last_t_us), coalesce(a.n, sample_count), "
                     "coalesce(a.lost, frames_lost) FROM sessions s LEFT JOIN (" LIVE_COUNTERS_SQL
                     " WHERE session_id = ?1 GROUP BY session_id) a ON a.session_id = s.id AND "
                     "s.end_reason = '' WHERE s.id = ?1");
  if (rc == SQLITE_OK) {
    s.bind(1, session);
    rc = s.step();
  }
  if (rc == SQLITE_DONE) return m.notFound(session);
  if (rc != SQLITE_ROW) return m.sqlError(rc, "reading session " + std::to_string(session));
  SessionRecord r;
  r.id = s.i64(0);
  r.info.started_utc = s.text(1);
  r.ended_utc = s.text(2);
  r.end_reason = s.text(3);
  r.info.source = s.text(4);
  r.info.device_serial = static_cast<uint32_t>(s.i64(5));
  r.info.firmware_version = s.text(6);
  r.info.protocol_version = s.text(7);
  r.info.nominal_rate_hz = s.f64(8);
  r.info.cell_count = static_cast<int>(s.i64(9));
  r.info.sides = s.text(10);
  r.info.ball = s.text(11);
  if (!s.isNull(12)) r.info.body_mass_kg = s.f64(12);
  r.info.notes = s.text(13);
  if (!s.isNull(14)) r.first_t_us = s.u64(14);
  if (!s.isNull(15)) r.last_t_us = s.u64(15);
  r.sample_count = s.u64(16);
  r.frames_lost = s.u64(17);
  *out = std::move(r);
  return {};
}

StoreError SessionStore::forEachSampleChunk(int64_t session, uint64_t from_t_us, uint64_t to_t_us,
                                            const ChunkVisitor& visit) {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  const std::string doing = "reading the samples of session " + std::to_string(session);
  {
    Stmt e;
    int rc = e.prepare(m.db, "SELECT 1 FROM sessions WHERE id = ?1");
    if (rc == SQLITE_OK) {
      e.bind(1, session);
      rc = e.step();
    }
    if (rc == SQLITE_DONE) return m.notFound(session);
    if (rc != SQLITE_ROW) return m.sqlError(rc, doing);
  }
  // Chunks are in time order: start at the last chunk beginning at or before from_t_us (it may
  // hold samples in the range), walk the index on (session_id, first_t_us) and stop past to_t_us.
  Stmt s;
  int rc = s.prepare(m.db,
                     "SELECT id, first_t_us, codec, data FROM sample_chunks WHERE session_id = ?1 "
                     "AND first_t_us >= (SELECT coalesce(max(first_t_us), 0) FROM sample_chunks "
                     "WHERE session_id = ?1 AND first_t_us <= ?2) ORDER BY first_t_us, id");
  if (rc != SQLITE_OK) return m.sqlError(rc, doing);
  s.bind(1, session);
  s.bindU64(2, from_t_us);
  std::vector<core::Sample> chunk;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (s.u64(1) > to_t_us) break;
    const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(s.get(), 3));
    const size_t len = static_cast<size_t>(sqlite3_column_bytes(s.get(), 3));
    chunk.clear();
    std::string why;
    if (s.i64(2) != kChunkCodecVersion || !decodeChunk(data, len, &chunk, &why)) {
      if (why.empty()) why = "unknown chunk format " + std::to_string(s.i64(2));
      return makeError(StoreErrorKind::kNotALibrary,
                       "Sample chunk " + std::to_string(s.i64(0)) + " of session " +
                           std::to_string(session) + " in " + m.path + " cannot be read (" + why +
                           "): the library is damaged or was written by a newer rollrig. The "
                           "session's other chunks are still readable.");
    }
    if (!chunk.empty() && (chunk.front().t_us < from_t_us || chunk.back().t_us > to_t_us)) {
      std::vector<core::Sample> cut;
      for (const core::Sample& x : chunk)
        if (x.t_us >= from_t_us && x.t_us <= to_t_us) cut.push_back(x);
      chunk.swap(cut);
    }
    if (chunk.empty()) continue;
    if (!visit(chunk)) return {};
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return m.sqlError(rc, doing);
  return {};
}

StoreError SessionStore::loadSamples(int64_t session, std::vector<core::Sample>* out,
                                     uint64_t from_t_us, uint64_t to_t_us) {
  out->clear();
  return forEachSampleChunk(session, from_t_us, to_t_us, [out](const std::vector<core::Sample>& c) {
    out->insert(out->end(), c.begin(), c.end());
    return true;
  });
}

StoreError SessionStore::loadCalibrations(int64_t session, std::vector<StoredCalibration>* out) {
  Impl& m = *m_impl;
  out->clear();
  std::string bad;
  StoreError e = m.selectRows(
      session,
      "SELECT from_t_us, record_json, id FROM calibrations WHERE session_id = ?1 "
      "ORDER BY from_t_us, id",
      "calibrations", [&](const Stmt& s) {
        StoredCalibration c;
        c.from_t_us = s.u64(0);
        std::string why;
        if (!core::calibrationFromJson(s.text(1), "calibration " + std::to_string(s.i64(2)),
                                       &c.record, &why)) {
          if (bad.empty()) bad = why;
          return;
        }
        out->push_back(std::move(c));
      });
  if (e) return e;
  if (!bad.empty()) {
    return makeError(StoreErrorKind::kNotALibrary, "A stored calibration of session " +
                                                       std::to_string(session) + " in " + m.path +
                                                       " cannot be read (" + bad + ").");
  }
  return {};
}

StoreError SessionStore::loadReZeros(int64_t session, std::vector<core::ReZero>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT t_us, samples, change_counts0, change_counts1, change_counts2, change_counts3, "
      "change_n0, change_n1, change_n2, change_n3 FROM rezeroes WHERE session_id = ?1 "
      "ORDER BY t_us, id",
      "re-zeroes", [&](const Stmt& s) {
        core::ReZero z;
        z.t_us = s.u64(0);
        z.samples = static_cast<size_t>(s.i64(1));
        for (int c = 0; c < core::kCellCount; ++c) {
          z.change_counts[c] = s.f64(2 + c);
          z.change_n[c] = s.f64(6 + c);
        }
        out->push_back(z);
      });
}

StoreError SessionStore::loadHolds(int64_t session, std::vector<core::Hold>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT start_s, end_s, release_s, release_source, mean_force_n, peak_force_n, has_xy, "
      "x_mm, y_mm, side, side_source, step_fraction, tremor_ratio, cv_before, cv_after, "
      "reached_protocol_min, exceeded_protocol_max, cop_path_mm, cop_mean_velocity_mm_s, "
      "cop_ml_range_mm, cop_ap_range_mm, cop_rms_mm, cop_ellipse95_mm2, cop_measured_s "
      "FROM holds WHERE session_id = ?1 "
      "ORDER BY start_s, id",
      "holds", [&](const Stmt& s) {
        core::Hold h;
        h.start_s = s.f64(0);
        h.end_s = s.f64(1);
        if (!s.isNull(2)) h.release_s = s.f64(2);
        h.release_source = s.text(3);
        h.mean_force_n = s.f64(4);
        h.peak_force_n = s.f64(5);
        h.has_xy = s.i64(6) != 0;
        h.x_mm = s.f64(7);
        h.y_mm = s.f64(8);
        h.side = sideFromName(s.text(9));
        h.side_source = sideSourceFromName(s.text(10));
        h.step_fraction = s.f64(11);
        h.tremor_ratio = s.f64(12);
        h.cv_before = s.f64(13);
        h.cv_after = s.f64(14);
        h.reached_protocol_min = s.i64(15) != 0;
        h.exceeded_protocol_max = s.i64(16) != 0;
        // Steadiness only when every column has a value (version 3 writes all or none).
        bool all = true;
        for (int c = 17; c <= 23; ++c) all = all && !s.isNull(c);
        if (all) {
          core::HoldSteadiness st;
          st.path_mm = s.f64(17);
          st.mean_velocity_mm_s = s.f64(18);
          st.ml_range_mm = s.f64(19);
          st.ap_range_mm = s.f64(20);
          st.rms_mm = s.f64(21);
          st.ellipse95_mm2 = s.f64(22);
          st.measured_s = s.f64(23);
          h.steadiness = st;
        }
        out->push_back(std::move(h));
      });
}

namespace {

core::Marker markerFromRow(const Stmt& s, int c) {
  core::Marker mk;
  mk.t_us = s.u64(c);
  mk.kind = markerKindFromName(s.text(c + 1));
  mk.pain = s.isNull(c + 2) ? -1 : static_cast<int>(s.i64(c + 2));
  mk.side = sideFromName(s.text(c + 3));
  mk.text = s.text(c + 4);
  return mk;
}

void bindMarker(Stmt& s, int first, const core::Marker& mk) {
  s.bindU64(first, mk.t_us);
  s.bind(first + 1, std::string(core::markerKindName(mk.kind)));
  if (mk.pain >= 0)
    s.bind(first + 2, static_cast<int64_t>(mk.pain));
  else
    s.bindNull(first + 2);
  s.bind(first + 3, mk.side == core::Side::kUnknown ? std::string() : core::sideName(mk.side));
  s.bind(first + 4, mk.text);
}

}  // namespace

StoreError SessionStore::loadMarkers(int64_t session, std::vector<core::Marker>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT t_us, kind, pain, side, text FROM markers m WHERE session_id = ?1 AND "
      "deleted_utc = '' AND NOT EXISTS (SELECT 1 FROM markers r WHERE r.replaces = m.id) "
      "ORDER BY t_us, id",
      "markers", [&](const Stmt& s) { out->push_back(markerFromRow(s, 0)); });
}

StoreError SessionStore::loadMarkerRows(int64_t session, std::vector<StoredMarker>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT t_us, kind, pain, side, text, id, added_utc, replaces, deleted_utc, "
      "EXISTS (SELECT 1 FROM markers r WHERE r.replaces = m.id) FROM markers m "
      "WHERE session_id = ?1 ORDER BY t_us, id",
      "markers", [&](const Stmt& s) {
        StoredMarker sm;
        sm.marker = markerFromRow(s, 0);
        sm.id = s.i64(5);
        sm.added_utc = s.text(6);
        if (!s.isNull(7)) sm.replaces = s.i64(7);
        sm.deleted_utc = s.text(8);
        sm.superseded = s.i64(9) != 0;
        out->push_back(std::move(sm));
      });
}

// [SECTION] Edits

const char* releaseEditKindName(ReleaseEditKind k) {
  switch (k) {
    case ReleaseEditKind::kConfirmed:
      return "confirmed";
    case ReleaseEditKind::kMoved:
      return "moved";
    case ReleaseEditKind::kDeleted:
      return "deleted";
    case ReleaseEditKind::kReverted:
      return "reverted";
  }
  return "confirmed";
}

bool releaseEditKindFromName(const std::string& name, ReleaseEditKind* out) {
  for (ReleaseEditKind k : {ReleaseEditKind::kConfirmed, ReleaseEditKind::kMoved,
                            ReleaseEditKind::kDeleted, ReleaseEditKind::kReverted}) {
    if (name == releaseEditKindName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT after checking that `session` exists; rolls back
// on any error. One short transaction: the write lock is held for a few statements only.
StoreError SessionStore::Impl::editTransaction(int64_t session, const std::string& doing,
                                               const std::function<StoreError()>& body) {
  if (!db) return notOpen();
  if (StoreError e = exec("BEGIN IMMEDIATE", doing)) return e;
  StoreError err;
  {
    Stmt s;
    int rc = s.prepare(db, "SELECT 1 FROM sessions WHERE id = ?1");
    if (rc == SQLITE_OK) {
      s.bind(1, session);
      rc = s.step();
    }
    if (rc == SQLITE_DONE)
      err = notFound(session);
    else if (rc != SQLITE_ROW)
      err = sqlError(rc, doing);
  }
  if (!err) err = body();
  if (!err) err = exec("COMMIT", doing);
  if (err) rollbackIfOpen();
  return err;
}

StoreError SessionStore::Impl::insertLateMarker(int64_t session, const core::Marker& marker,
                                                const std::string& added_utc, int64_t replaces,
                                                const std::string& doing, int64_t* id) {
  Stmt s;
  int rc = s.prepare(db,
                     "INSERT INTO markers (session_id, t_us, kind, pain, side, text, added_utc, "
                     "replaces) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (rc == SQLITE_OK) {
    s.bind(1, session);
    bindMarker(s, 2, marker);
    s.bind(7, added_utc);
    if (replaces > 0) s.bind(8, replaces);
    rc = s.step();
  }
  if (rc != SQLITE_DONE) return sqlError(rc, doing);
  if (id) *id = sqlite3_last_insert_rowid(db);
  return {};
}

// The newest version of marker `id` of `session` (following `replaces` forward), in *head.
StoreError SessionStore::Impl::markerHead(int64_t session, int64_t id, const std::string& doing,
                                          int64_t* head, bool* deleted) {
  int64_t cur = id;
  for (int guard = 0; guard < 100000; ++guard) {
    Stmt s;
    int rc =
        s.prepare(db,
                  "SELECT deleted_utc, (SELECT max(id) FROM markers r WHERE r.replaces = m.id) "
                  "FROM markers m WHERE id = ?1 AND session_id = ?2");
    if (rc == SQLITE_OK) {
      s.bind(1, cur);
      s.bind(2, session);
      rc = s.step();
    }
    if (rc == SQLITE_DONE)
      return makeError(StoreErrorKind::kNotFound, "Session " + std::to_string(session) +
                                                      " has no marker " + std::to_string(id) +
                                                      "; `rollrig show " + std::to_string(session) +
                                                      "` lists its markers with their ids.");
    if (rc != SQLITE_ROW) return sqlError(rc, doing);
    if (s.isNull(1)) {
      *head = cur;
      *deleted = !s.text(0).empty();
      return {};
    }
    cur = s.i64(1);
  }
  return makeError(StoreErrorKind::kNotALibrary, "The changes of marker " + std::to_string(id) +
                                                     " in " + path + " form a loop (damaged).");
}

StoreError SessionStore::addReleaseEdit(int64_t session, const ReleaseEdit& edit, int64_t* id) {
  Impl& m = *m_impl;
  if (edit.kind == ReleaseEditKind::kMoved && !edit.release_s)
    return makeError(StoreErrorKind::kBadInput, "A moved release needs its new time.");
  const std::string doing = "saving an edit of a release in session " + std::to_string(session);
  return m.editTransaction(session, doing, [&]() -> StoreError {
    Stmt s;
    int rc = s.prepare(m.db,
                       "INSERT INTO release_edits (session_id, hold_start_s, kind, release_s, "
                       "edited_utc) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (rc == SQLITE_OK) {
      s.bind(1, session);
      s.bind(2, edit.hold_start_s);
      s.bind(3, std::string(releaseEditKindName(edit.kind)));
      if (edit.kind == ReleaseEditKind::kMoved)
        s.bind(4, *edit.release_s);
      else
        s.bindNull(4);
      s.bind(5, edit.edited_utc);
      rc = s.step();
    }
    if (rc != SQLITE_DONE) return m.sqlError(rc, doing);
    if (id) *id = sqlite3_last_insert_rowid(m.db);
    return {};
  });
}

StoreError SessionStore::loadReleaseEdits(int64_t session, std::vector<ReleaseEdit>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT id, hold_start_s, kind, release_s, edited_utc FROM release_edits "
      "WHERE session_id = ?1 ORDER BY id",
      "release edits", [&](const Stmt& s) {
        ReleaseEdit e;
        e.id = s.i64(0);
        e.hold_start_s = s.f64(1);
        if (!releaseEditKindFromName(s.text(2), &e.kind)) return;  // a newer kind: not ours
        if (!s.isNull(3)) e.release_s = s.f64(3);
        e.edited_utc = s.text(4);
        out->push_back(std::move(e));
      });
}

StoreError SessionStore::addMarkerAfter(int64_t session, const core::Marker& marker,
                                        const std::string& added_utc, int64_t* id) {
  Impl& m = *m_impl;
  const std::string doing = "adding a marker to session " + std::to_string(session);
  return m.editTransaction(session, doing, [&]() -> StoreError {
    return m.insertLateMarker(session, marker, added_utc, 0, doing, id);
  });
}

StoreError SessionStore::changeMarker(int64_t session, int64_t marker_id,
                                      const core::Marker& marker, const std::string& edited_utc,
                                      int64_t* new_id) {
  Impl& m = *m_impl;
  const std::string doing =
      "changing marker " + std::to_string(marker_id) + " of session " + std::to_string(session);
  return m.editTransaction(session, doing, [&]() -> StoreError {
    int64_t head = 0;
    bool deleted = false;
    if (StoreError e = m.markerHead(session, marker_id, doing, &head, &deleted)) return e;
    if (deleted)
      return makeError(StoreErrorKind::kBadInput,
                       "Marker " + std::to_string(marker_id) + " of session " +
                           std::to_string(session) +
                           " was deleted; add a new one instead (rollrig mark).");
    return m.insertLateMarker(session, marker, edited_utc, head, doing, new_id);
  });
}

StoreError SessionStore::deleteMarker(int64_t session, int64_t marker_id,
                                      const std::string& deleted_utc) {
  Impl& m = *m_impl;
  if (deleted_utc.empty())
    return makeError(StoreErrorKind::kBadInput, "A marker's deletion needs its time (UTC).");
  const std::string doing =
      "deleting marker " + std::to_string(marker_id) + " of session " + std::to_string(session);
  return m.editTransaction(session, doing, [&]() -> StoreError {
    int64_t head = 0;
    bool deleted = false;
    if (StoreError e = m.markerHead(session, marker_id, doing, &head, &deleted)) return e;
    if (deleted) return {};  // already deleted: nothing to do
    Stmt s;
    int rc = s.prepare(m.db, "UPDATE markers SET deleted_utc = ?2 WHERE id = ?1");
    if (rc == SQLITE_OK) {
      s.bind(1, head);
      s.bind(2, deleted_utc);
      rc = s.step();
    }
    if (rc != SQLITE_DONE) return m.sqlError(rc, doing);
    return {};
  });
}

StoreError SessionStore::loadConnectionEvents(int64_t session,
                                              std::vector<core::ConnectionEvent>* out) {
  out->clear();
  return m_impl->selectRows(
      session,
      "SELECT t_us, kind, frames_lost, gap_s, detail, wall_utc FROM connection_events "
      "WHERE session_id = ?1 ORDER BY t_us, id",
      "connection events", [&](const Stmt& s) {
        core::ConnectionEvent ev;
        ev.t_us = s.u64(0);
        ev.kind = eventKindFromName(s.text(1));
        ev.frames_lost = s.u64(2);
        ev.gap_s = s.f64(3);
        ev.detail = s.text(4);
        ev.wall_utc = s.text(5);
        out->push_back(std::move(ev));
      });
}

StoreError SessionStore::deleteSession(int64_t session) {
  Impl& m = *m_impl;
  if (!m.db) return m.notOpen();
  const std::string doing = "deleting session " + std::to_string(session);
  Stmt s;
  int rc = s.prepare(m.db, "DELETE FROM sessions WHERE id = ?1");
  if (rc == SQLITE_OK) {
    s.bind(1, session);
    rc = s.step();  // one statement: its own transaction, the cascade included
  }
  if (rc != SQLITE_DONE) return m.sqlError(rc, doing);
  m.pending.erase(session);
  m.tails.erase(session);
  m.unlockSession(session);
  if (sqlite3_changes(m.db) == 0) return m.notFound(session);
  return {};
}

StoreError SessionStore::integrityCheck(std::string* report) {
  Impl& m = *m_impl;
  report->clear();
  if (!m.db) return m.notOpen();
  Stmt s;
  int rc = s.prepare(m.db, "PRAGMA integrity_check");
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = s.step();
    if (rc != SQLITE_ROW) break;
    if (!report->empty()) *report += "\n";
    *report += s.text(0);
  }
  if (rc != SQLITE_DONE) return m.sqlError(rc, "checking the library's integrity");
  return {};
}

}  // namespace rollrig::store

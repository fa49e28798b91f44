// The small, closed set of errors the session library returns. Nothing in rollrig::store throws
// across its API: every expected failure (a file that is not a library, a full disk, a read-only
// location, a library made by a newer rollrig) comes back as a StoreError whose `message` is a
// complete, user-facing sentence: what happened, to which file, and what to do about it.
#pragma once

#include <string>

namespace rollrig::store {

enum class StoreErrorKind {
  kNone = 0,
  kCannotOpen,   // the file or its directory cannot be created or opened (path, OS reason)
  kReadOnly,     // the library or its location cannot be written (read-only mount, opened
                 // read-only, or an older library that needs upgrading opened read-only)
  kFull,         // the disk (or the library's size limit) is full: nothing more was written
  kNotALibrary,  // not an SQLite file, another program's database, or a damaged library
  kNewerSchema,  // made by a newer rollrig (schema version above ours): refused, never touched
  kNotFound,     // no session with that id
  kBusy,         // another program held the library's write lock longer than the busy timeout
  kBadInput,     // a caller's request the store cannot honour (e.g. no open library)
  kSystem,       // anything else SQLite or the OS reported (message carries their words)
};

const char* storeErrorKindName(StoreErrorKind kind);  // "cannot open", "full", ...

struct StoreError {
  StoreErrorKind kind = StoreErrorKind::kNone;
  std::string message;

  explicit operator bool() const { return kind != StoreErrorKind::kNone; }
};

}  // namespace rollrig::store

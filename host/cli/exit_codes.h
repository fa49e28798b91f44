// rollrig's documented exit codes (README.md, "Exit codes"). Scripts may rely on them.
#pragma once

#include "rollrig/io/io_error.h"
#include "rollrig/store/store_error.h"

namespace rollrig::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // anything not listed below
  kExitUsage = 2,    // bad command line
  kExitPortNotFound = 3,
  kExitPermission = 4,  // join the group the message names
  kExitPortBusy = 5,
  kExitNotRollrig = 6,       // no usable rollrig: no INFO within 3 s, wrong magic, START refused or
                             // unacknowledged, or not 4 load cells
  kExitProtocolVersion = 7,  // device speaks another protocol major version
  kExitOutput = 8,           // output file could not be created or written (e.g. disk full)
  kExitDisconnected = 9,     // the device went away while recording (what was received is kept)
  kExitInput = 10,           // an input file is missing or malformed (the message names the line)
  kExitCalibrationRefused = 11,  // tare or span refused (unsteady, ill-posed); the message says why
                                 // (also: re-calibrating a force-only session)
  kExitLibrary = 12,    // the session library is missing, not a library, damaged, made by a newer
                        // rollrig, locked, or cannot be opened (the message names the file)
  kExitNoSession = 13,  // no session with that id (`rollrig sessions` lists them); for history,
                        // no spot near --spot
  kExitInterrupted = 130,  // Ctrl-C (or SIGTERM, SIGHUP) before `record` recorded a sample or
                           // `calibrate` saved: no file was written or changed (128 + SIGINT, as
                           // shells report it)
};

inline int exitCodeFor(io::IoErrorKind kind) {
  switch (kind) {
    case io::IoErrorKind::kNone:
      return kExitOk;
    case io::IoErrorKind::kNotFound:
      return kExitPortNotFound;
    case io::IoErrorKind::kPermission:
      return kExitPermission;
    case io::IoErrorKind::kBusy:
      return kExitPortBusy;
    case io::IoErrorKind::kNotRollrig:
    case io::IoErrorKind::kUnsupportedDevice:
      return kExitNotRollrig;
    case io::IoErrorKind::kProtocolVersion:
      return kExitProtocolVersion;
    case io::IoErrorKind::kDisconnected:
      return kExitDisconnected;
    case io::IoErrorKind::kSystem:
      return kExitFailure;
    case io::IoErrorKind::kMalformed:
      return kExitInput;
  }
  return kExitFailure;
}

// The session library's errors: a library that cannot be written (full, read-only) is an output
// problem like a full disk; one that cannot be used at all (not a library, damaged, newer,
// locked, missing) is the library's own code.
inline int exitCodeFor(store::StoreErrorKind kind) {
  switch (kind) {
    case store::StoreErrorKind::kNone:
      return kExitOk;
    case store::StoreErrorKind::kNotFound:
      return kExitNoSession;
    case store::StoreErrorKind::kFull:
    case store::StoreErrorKind::kReadOnly:
      return kExitOutput;
    default:
      return kExitLibrary;
  }
}

}  // namespace rollrig::cli

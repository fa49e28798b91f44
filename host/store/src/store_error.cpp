#include "rollrig/store/store_error.h"

namespace rollrig::store {

const char* storeErrorKindName(StoreErrorKind kind) {
  switch (kind) {
    case StoreErrorKind::kNone:
      return "none";
    case StoreErrorKind::kCannotOpen:
      return "cannot open";
    case StoreErrorKind::kReadOnly:
      return "read-only";
    case StoreErrorKind::kFull:
      return "full";
    case StoreErrorKind::kNotALibrary:
      return "not a library";
    case StoreErrorKind::kNewerSchema:
      return "newer schema";
    case StoreErrorKind::kNotFound:
      return "not found";
    case StoreErrorKind::kBusy:
      return "busy";
    case StoreErrorKind::kBadInput:
      return "bad input";
    case StoreErrorKind::kSystem:
      return "system";
  }
  return "system";
}

}  // namespace rollrig::store

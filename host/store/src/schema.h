// The library's schema as an ordered list of forward migrations (docs/STORE.md, "Schema").
// Step k (1-based) takes a library from user_version k-1 to k; each runs in its own transaction.
// A released step is frozen: never edit one, append a new step (tests/store/fixtures/ keeps the
// SQL of older versions to prove the upgrade).
#pragma once

#include <cstddef>

namespace rollrig::store::detail {

struct Migration {
  int to_version;
  const char* sql;
};

const Migration* migrations(size_t* count);

}  // namespace rollrig::store::detail

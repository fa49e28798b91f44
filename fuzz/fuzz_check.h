// FUZZ_CHECK: the fuzz targets' invariant check. A broken invariant prints what broke and aborts,
// which libFuzzer reports as a crash and saves the input (so "does not crash" includes "every
// invariant held"). Used by fuzz/*_fuzzer.cpp only.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                             \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                  \
      std::fprintf(stderr, "\n");                                                         \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

// A demo library's plan: one simulated person who comes back two or three times a week for some
// weeks, so that `rollrig history` has something real to show (docs/HISTORY.md, "A demo library").
//
// planDemoLibrary() is pure and seeded: the same options always give the same plan. It decides
// who the person is (body mass, ball, 2-3 tender spots per side at fixed places on the plate), the
// sessions' dates and hours, what changes over the weeks (each session's median time to release
// shrinks from ~70 s to ~30 s, fewer holds are given up, the hold load creeps up), and, from each
// session's ground truth, what the person says while rolling: the side at the start and when they
// switch (right first, as the protocol guide runs it), a pain rating on some holds, a "released"
// key press on some releases, a note now and then. Recording it (the engine, the library) is the
// caller's: `rollrig demo-library` (host/cli/demo_library_command.cpp).
//
// Times: a marker's t_s is seconds since the session's first sample (sample k is at k / 80 s);
// dates are UTC. Not thread-safe; plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rollrig/sim/body_model.h"

namespace rollrig::sim {

struct DemoLibraryOptions {
  uint64_t seed = 1;
  int sessions = 12;          // 1..7 x weeks
  int weeks = 6;              // 1..104
  int64_t start_day = 20727;  // days since 1970-01-01 (UTC) of the first day: 2026-10-01
};

struct DemoMarker {
  enum class Kind { kSide, kPain, kReleased, kNote };
  double t_s = 0;  // since the session's first sample
  Kind kind = Kind::kNote;
  Side side = Side::kNone;  // kSide
  int pain = 0;             // kPain: 0..10
  std::string text;         // kNote
};

struct DemoSession {
  int index = 0;                    // 0..sessions-1, in time order
  int week = 0;                     // 0..weeks-1
  int64_t start_epoch_s = 0;        // UTC seconds since 1970-01-01
  std::string started_utc;          // the same, ISO 8601 ("2026-10-01T18:40:00Z")
  BodyModelConfig body;             // the session's seed and duration, with the Person for it
  double record_s = 0;              // device time to record: the plan's last lift-off plus a few s
  std::vector<DemoMarker> markers;  // by time
  std::string notes;                // the session's notes (says it is simulated, and by what)
};

struct DemoLibraryPlan {
  Person person;     // the person as of the first session (per session: DemoSession::body)
  std::string ball;  // stored with every session
  std::vector<DemoSession> sessions;
};

DemoLibraryPlan planDemoLibrary(const DemoLibraryOptions& options);

// "YYYY-MM-DD" (a real calendar date, years 1970-9999) -> days since 1970-01-01; nullopt if not.
std::optional<int64_t> parseIsoDate(const std::string& text);
// UTC seconds since 1970-01-01 -> "YYYY-MM-DDTHH:MM:SSZ".
std::string isoUtc(int64_t epoch_s);

}  // namespace rollrig::sim

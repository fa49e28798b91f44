// Helpers shared by the store tests: a temporary directory, deterministic samples, comparisons.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rollrig/core/frame_decoder.h"
#include "test_files.h"

namespace rollrig::store::test {

using rollrig::testing::TempDir;

// Samples as a 4-cell rig streams them at 80 Hz: time from first_t_us in 12.5 ms steps, seq
// from first_seq (wrapping), noisy counts around a slowly moving load; deterministic in `seed`.
inline std::vector<core::Sample> makeSamples(size_t n, uint64_t first_t_us = 0,
                                             uint16_t first_seq = 0, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 40);
  std::vector<core::Sample> out(n);
  for (size_t i = 0; i < n; ++i) {
    core::Sample& s = out[i];
    s.t_us = first_t_us + i * 12500;
    s.seq = static_cast<uint16_t>(first_seq + i);
    s.fresh_mask = 0x0F;
    s.channel_count = 4;
    const double load = 200000.0 * (1 + std::sin(static_cast<double>(i) / 400.0));
    for (int c = 0; c < 4; ++c)
      s.raw_counts[c] = static_cast<int32_t>(-150000 + 30000 * c + load / (c + 1) + noise(rng));
  }
  return out;
}

inline bool sameSample(const core::Sample& a, const core::Sample& b) {
  if (a.t_us != b.t_us || a.seq != b.seq || a.fresh_mask != b.fresh_mask || a.flags != b.flags ||
      a.channel_count != b.channel_count || a.lost_before != b.lost_before)
    return false;
  for (int c = 0; c < a.channel_count; ++c)
    if (a.raw_counts[c] != b.raw_counts[c]) return false;
  return true;
}

// The index of the first sample that differs, or -1 when both runs are equal.
inline long firstDifference(const std::vector<core::Sample>& a,
                            const std::vector<core::Sample>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (!sameSample(a[i], b[i])) return static_cast<long>(i);
  return a.size() == b.size() ? -1 : static_cast<long>(n);
}

using rollrig::testing::readText;

// Raw SQL on a library file, outside the store (to build fixtures and inspect rows).
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &m_db) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
  }
  ~RawDb() { sqlite3_close(m_db); }
  bool exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) ADD_FAILURE() << "SQL failed: " << (err ? err : "?") << "\n" << sql;
    sqlite3_free(err);
    return rc == SQLITE_OK;
  }
  // The first column of every row, as text, joined by "\n".
  std::string query(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "SQL failed: " << sqlite3_errmsg(m_db) << "\n" << sql;
      return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!out.empty()) out += "\n";
      const unsigned char* t = sqlite3_column_text(st, 0);
      out += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(st);
    return out;
  }
  int64_t queryInt(const std::string& sql) { return std::stoll(query(sql)); }

 private:
  sqlite3* m_db = nullptr;
};

}  // namespace rollrig::store::test

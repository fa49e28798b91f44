// SessionCsvWriter: the project's session CSV (format: docs/CSV_FORMAT.md — a stable contract).
//
// One header row, then one row per sample:
//   time_s, seq, lost_before, cell{0..3}_raw_counts, cell{0..3}_force_N, force_N, x_mm, y_mm,
//   flags, fresh_mask
// time_s is device time in seconds since the session's first sample (unwrapped, so it never
// wraps or runs backwards). x_mm/y_mm are empty when the load is too small to place the ball.
//
// Writes to any std::ostream; the caller owns the stream and checks it for errors (a full disk
// shows up as a failed stream). Each writeRow() appends exactly one whole line, so a recorder
// that writes batches of them and, when a write fails, cuts the file back to its last '\n' leaves
// only whole rows (rollrig record does; rows() counts what was formatted, not what is on disk).
// Not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "rollrig/core/force_model.h"
#include "rollrig/core/frame_decoder.h"

namespace rollrig::core {

class SessionCsvWriter {
 public:
  explicit SessionCsvWriter(std::ostream& out) : m_out(out) {}

  static std::string header();

  void writeHeader();
  void writeRow(const Sample& s, const ForceSample& f);

  uint64_t rows() const { return m_rows; }

 private:
  std::ostream& m_out;
  bool m_have_t0 = false;
  uint64_t m_t0_us = 0;
  uint64_t m_rows = 0;
  std::string m_line;
};

}  // namespace rollrig::core

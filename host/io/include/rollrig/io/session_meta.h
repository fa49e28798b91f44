// The sidecar of a recording: FILE.csv.meta.json next to FILE.csv (docs/CSV_FORMAT.md,
// "Sidecar"). It says which device recorded the session, which calibration turned the raw counts
// into the force columns (offsets, gains, source, geometry — the same document a calibration file
// holds), every automatic re-zero, and the decoder's statistics, so that the session can be
// re-processed later with a better calibration.
//
// Errors are values (IoError), as for calibration files. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/protocol.h"
#include "rollrig/core/calibration.h"
#include "rollrig/core/frame_decoder.h"
#include "rollrig/io/io_error.h"

namespace rollrig::io {

inline constexpr int kSessionMetaFormatVersion = 1;

struct SessionMeta {
  std::string csv_file;     // the CSV's file name (no directory)
  std::string started;      // ISO 8601 UTC, host clock, when recording started
  std::string source;       // ByteStream::describe(), e.g. "/dev/ttyACM0" or "virtual rig (seed 7)"
  proto::InfoFrame info{};  // the device's INFO from the handshake
  core::CalibrationRecord calibration;  // used for the force columns (from the first row)
  bool auto_zero = false;               // a DriftTracker re-zeroed while recording
  core::DriftOptions auto_zero_options;
  std::vector<core::ReZero> rezeros;  // in order; times relative to t0_us
  uint64_t t0_us = 0;                 // device time of the CSV's first row (time_s = 0)
  core::DecoderStats stats;
  uint64_t rows = 0;
  double duration_s = 0;    // device time of the last row
  std::string stop_reason;  // "" while recording, then e.g. "duration reached"
};

// FILE.csv -> FILE.csv.meta.json
std::string sessionMetaPath(const std::string& csv_path);

// The host's wall-clock time as ISO 8601 UTC, e.g. "2024-05-01T10:00:00Z", for `started` and
// Calibration::created (never used for data: device time is the clock).
std::string isoUtcNow();

// Writes atomically (temporary file, then rename). When that is impossible (the disk is full, or
// the directory takes no new files) and `path` exists, overwrites it in place instead, so a
// recording that ends on a full disk still finalises its sidecar. A sidecar written while
// recording (stop_reason empty) keeps 16 KiB of disk space reserved past its end for that.
bool writeSessionMeta(const std::string& path, const SessionMeta& meta, IoError* err);

// Reads back what re-processing needs: csv_file, started, source, info (serial, firmware,
// protocol, channels, rate), calibration, auto_zero and rezeros (t_us and change_counts),
// stats (every DecoderStats counter), rows, duration_s and stop_reason.
bool readSessionMeta(const std::string& path, SessionMeta* out, IoError* err);

}  // namespace rollrig::io

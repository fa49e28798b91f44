// The calibration record as JSON text: the one writer and the one reader of the calibration format
// (docs/CALIBRATION.md, format version 1). Everything that stores a calibration uses it: the
// calibration files and the recording's sidecar (io), the session library's calibrations table
// (store), an export's session.json (engine) and `rollrig calibrate --json` (cli).
//
// Text in, text out: core stays free of files and clocks, and nlohmann_json stays private to
// core's sources. The text is byte-for-byte the file format: pretty-printed with two spaces, keys
// in the documented order, ending with a newline. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "rollrig/core/calibration.h"

namespace rollrig::core {

inline constexpr int kCalibrationFormatVersion = 1;

// A device serial as the user sees it everywhere: 8 upper-case hex digits, "0000D3E0".
std::string serialHex(uint32_t device_serial);

// The JSON text of a record (the whole calibration file).
std::string calibrationToJson(const CalibrationRecord& record);

// The residual report alone, as it stands in the file's "span"."report" (one JSON object).
std::string spanReportToJson(const SpanReport& report);

// Reads calibrationToJson's text back. `what` names the source in messages (a path). False with
// *why (starting with `what`; for broken JSON, nlohmann's message with line and column) when the
// text is not a calibration this build reads. Never throws. A device_serial written as a number
// (session libraries written before the format had one home) reads too.
bool calibrationFromJson(const std::string& text, const std::string& what, CalibrationRecord* out,
                         std::string* why);

}  // namespace rollrig::core

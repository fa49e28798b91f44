// A hold's steadiness (core::HoldSteadiness, docs/ANALYSIS.md "Steadiness") as `analyze`, `show`
// and `reanalyze` print it: the same keys in JSON and the same compact line in text. Defined in
// analyze_command.cpp.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rollrig/core/hold_steadiness.h"

namespace rollrig::cli {

// {path_mm, mean_velocity_mm_s, ml_range_mm, ap_range_mm, rms_mm, ellipse95_mm2, measured_s}
// rounded to 0.001, or null when the hold has none (force only: never zeros).
nlohmann::json steadinessJson(const std::optional<core::HoldSteadiness>& st);
// "steady: path 104.5 mm / 40.3 s = 2.59 mm/s, ML 4.7 AP 7.5 mm, rms 2.09 mm, ellipse95 31.7 mm2"
// or "steady: none (no position)".
std::string steadinessLine(const std::optional<core::HoldSteadiness>& st);

}  // namespace rollrig::cli

// Checks for numeric command-line options, shared by `rollrig` (main.cpp) and `rollrig-eval`
// (eval_main.cpp) so both refuse the same things in the same words: a value that is not a plain
// finite number in range is refused before anything runs, with a message naming the option and
// its range in plain numbers, e.g.
//   --duration: must be a number of seconds from 0.1 to 604800 (7 days), not 'nan'
// (CLI11 puts the option's name in front). Attach with CLI::Option::check().
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace rollrig::cli {

// A real number in [lo, hi]; "nan" and "inf" are refused. `unit` reads after "a number of" (empty:
// "a number from ..."); `range` is the range as the user reads it ("0.1 to 604800"); `note`
// follows it, e.g. " (7 days)".
CLI::Validator realRange(double lo, double hi, const std::string& unit, const std::string& range,
                         const std::string& note = "");

// A whole number in [lo, hi], written in plain digits (no sign, point or exponent).
CLI::Validator wholeRange(unsigned long long lo, unsigned long long hi,
                          const std::string& note = "");

}  // namespace rollrig::cli

#include "numeric_options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rollrig::cli {

CLI::Validator realRange(double lo, double hi, const std::string& unit, const std::string& range,
                         const std::string& note) {
  const std::string what = unit.empty() ? "a number" : "a number of " + unit;
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < lo ||
            v > hi) {
          return "must be " + what + " from " + range + note + ", not '" + text + "'";
        }
        return std::string();
      },
      range, "REAL_RANGE");
}

CLI::Validator wholeRange(unsigned long long lo, unsigned long long hi, const std::string& note) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const bool digits =
            !text.empty() && text.size() <= 19 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        const unsigned long long v = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
        if (!digits || v < lo || v > hi) {
          return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                 note + ", not '" + text + "'";
        }
        return std::string();
      },
      std::to_string(lo) + " to " + std::to_string(hi), "WHOLE_RANGE");
}

}  // namespace rollrig::cli

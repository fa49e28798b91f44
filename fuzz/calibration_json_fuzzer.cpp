// Fuzz target: the calibration format's reader (host/core calibration_json.h), behind every
// calibration file, recording sidecar, the library's calibrations table and session exports.
// The input is the file's text.
//
// Invariants, beyond "no crash, no sanitizer report, no exception (it never throws)":
//  - a refusal says why, starting with the source's name;
//  - what it accepts, it writes back as a calibration it accepts again, and that text is a fixed
//    point (write(read(write(r))) == write(r)): nothing read is lost or changed by a round trip.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "rollrig/core/calibration_json.h"

using namespace rollrig::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CalibrationRecord record;
  std::string why;
  if (!calibrationFromJson(text, "fuzz.json", &record, &why)) {
    FUZZ_CHECK(why.rfind("fuzz.json", 0) == 0, "a refusal that does not name the source: \"%s\"",
               why.c_str());
    return 0;
  }
  const std::string written = calibrationToJson(record);
  CalibrationRecord again;
  std::string why_again;
  FUZZ_CHECK(calibrationFromJson(written, "written.json", &again, &why_again),
             "a calibration it read, written back, does not read: %s\n%s", why_again.c_str(),
             written.c_str());
  const std::string rewritten = calibrationToJson(again);
  FUZZ_CHECK(rewritten == written,
             "the round trip changed the calibration:\n%s\n--- became ---\n%s", written.c_str(),
             rewritten.c_str());
  return 0;
}

// A calibration record as one JSON document in calibrations.record_json. The keys are those of the
// calibration file format (docs/CALIBRATION.md) so a stored record reads like a calibration file;
// the store cannot use rollrig::io's reader (the store does not link io), hence this small copy.
#pragma once

#include <string>

#include "rollrig/core/calibration.h"

namespace rollrig::store::detail {

std::string calibrationRecordJson(const core::CalibrationRecord& record);
// False (with *why) for text that is not such a document. Never throws.
bool calibrationRecordFromJson(const std::string& text, core::CalibrationRecord* out,
                               std::string* why);

}  // namespace rollrig::store::detail

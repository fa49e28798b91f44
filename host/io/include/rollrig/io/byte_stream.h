// ByteStream: a bidirectional byte pipe to a rollrig device — a real serial port, a pseudo-
// terminal (the firmware twin) or the in-process virtual rig. Everything above it (handshake,
// decoder, recorder) is the same for all three.
//
// Thread safety: none. One thread (the acquisition thread) owns a stream once streaming starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rollrig/core/calibration.h"
#include "rollrig/io/io_error.h"

namespace rollrig::io {

class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Reads up to `cap` bytes into `buf`, waiting at most `timeout_ms` for the first byte.
  // Returns the number of bytes read (0 on timeout), or -1 with *err set (e.g. kDisconnected).
  virtual long read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) = 0;

  // Writes all `len` bytes (blocking briefly if needed). Returns false with *err set on failure.
  virtual bool write(const uint8_t* data, size_t len, IoError* err) = 0;

  // Discards whatever the OS has buffered on input (after opening: stale bytes, boot noise).
  virtual void flushInput() = 0;

  // True when the source loses nothing while it is not read: it makes its bytes on demand (the
  // virtual rig). The acquisition then stops reading while its consumer is far behind, instead
  // of queueing without bound. A real device keeps sending, so it must always be read: false.
  virtual bool waitsForTheReader() const { return false; }

  // A short human description, e.g. "/dev/ttyACM0" or "virtual rig (seed 7)".
  virtual std::string describe() const = 0;

  // The virtual rig knows its own exact calibration (its simulated cells' offsets and gains);
  // a real device does not (nullopt). A stream wrapping another one passes it through, so a
  // wrapped virtual rig is still recognised as one.
  virtual std::optional<core::Calibration> nominalCalibration() const { return std::nullopt; }
};

}  // namespace rollrig::io

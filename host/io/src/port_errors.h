// Private to rollrig_io: what the libserialport and termios transports share.
//
// - classifyErrno(): the one place an OS errno becomes an IoError with a user-facing message.
//   It is a pure function of (errno, path, operation) apart from looking up the group that owns
//   the device node, so tests can drive every branch with a synthetic errno (CI runs as root,
//   where a real EACCES cannot be provoked).
// - readFd()/writeFd(): poll()-based I/O on a tty file descriptor, used by both transports.
// - isPtySlave(): tells a pseudo-terminal slave from a real serial device.
//
// Everything here is thread-compatible: no shared state (group lookup uses getgrgid_r).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "rollrig/io/byte_stream.h"
#include "rollrig/io/io_error.h"

namespace rollrig::io::detail {

// [SECTION] Error classification

// What the port was doing when the OS reported the error; it picks the wording and, for
// ENODEV/ENXIO, the kind (missing at open time, gone away once in use).
enum class PortOp { kOpen, kConfigure, kRead, kWrite, kList };

// Maps an errno from `op` on `path` to an IoError (os_errno is kept in every case):
//   ENOENT, ENOTDIR; ENODEV/ENXIO at open  -> kNotFound
//   ENOTTY, EISDIR                          -> kNotFound ("... is not a serial port")
//   EACCES, EPERM                           -> kPermission (names the node's group)
//   EBUSY; EWOULDBLOCK at open (flock)      -> kBusy
//   EIO, EPIPE, ECONNRESET, ESHUTDOWN; ENODEV/ENXIO once open -> kDisconnected
//   anything else, and every errno for kList -> kSystem, message carries strerror()
IoError classifyErrno(int os_errno, const std::string& path, PortOp op);

// The name of the group owning the device node at `path` (stat + getgrgid_r), or "dialout"
// when it cannot be determined. Serial devices on Debian are root:dialout 0660.
std::string deviceGroupName(const std::string& path);

// Canonical errors, so every transport words them the same way.
IoError notFoundError(const std::string& path, int os_errno = 0);
IoError notASerialPortError(const std::string& path, int os_errno = 0);
IoError permissionError(const std::string& path, int os_errno);
IoError busyError(const std::string& path, int os_errno = 0);
IoError disconnectedError(const std::string& path, int os_errno = 0);
IoError writeStalledError(const std::string& path, int stalled_ms);

// Stores `e` through `err` when the caller gave one.
inline void setError(IoError* err, IoError e) {
  if (err) *err = std::move(e);
}

// [SECTION] Shared tty I/O (implemented in pty_port.cpp)

// Claims an open tty for this process alone, as other serial tools do: flock(LOCK_EX | LOCK_NB)
// (the cooperative lock; stops root too), then refuses a tty another program already made
// exclusive with TIOCEXCL (root could otherwise open it and share its bytes), then sets TIOCEXCL
// so that programs opening it later are refused (except root's). kBusy, with the message saying
// another program is using the port, when any of that says someone else holds it.
// *tiocexcl_set says whether our TIOCEXCL took (the owner clears it with TIOCNXCL on close).
bool lockExclusively(int fd, const std::string& path, IoError* err, bool* tiocexcl_set);

// True for UNIX98 pseudo-terminal slaves (/dev/pts/N: character majors 136..143).
bool isPtySlave(dev_t rdev);

// ByteStream::read semantics on a non-blocking tty fd: waits up to `timeout_ms` (<= 0: no
// wait) for input, then returns what one read() gives. A hang-up (POLLHUP/POLLERR with nothing
// to read) and EIO (a pty whose master closed, an unplugged USB adapter) are kDisconnected; a
// read of 0 bytes without POLLHUP/POLLERR is just "nothing now" (returns 0): an empty raw tty
// reads 0, and another reader may have taken the bytes poll() saw. EINTR is retried.
// Note Linux discards unread input on hang-up: bytes a pty master wrote just before closing
// are lost, not delivered before the kDisconnected.
long readFd(int fd, uint8_t* buf, size_t cap, int timeout_ms, const std::string& path,
            IoError* err);

// Writes all `len` bytes to a non-blocking tty fd, waiting for POLLOUT as needed, giving up
// with kSystem (ETIMEDOUT) if no byte can be written for `stall_timeout_ms`.
bool writeFd(int fd, const uint8_t* data, size_t len, int stall_timeout_ms, const std::string& path,
             IoError* err);

// How long a write may make no progress before it fails: the device (or the twin) has stopped
// reading. Commands are a few bytes, so a healthy port never gets near this. (The libserialport
// transport uses it as the limit for the whole write.)
inline constexpr int kWriteStallTimeoutMs = 1000;

// [SECTION] Internal entry point (implemented in serial_port.cpp)

// openSerialPortLibserialport() plus a verdict: *recognised is false when libserialport does
// not consider `path` a serial port at all (SP_ERR_ARG from sp_get_port_by_name: no sysfs
// entry, e.g. a pty or a tty in a container without /sys), so openPort() can fall back to
// termios. When *recognised is false, *err is kNotFound.
std::unique_ptr<ByteStream> openLibserialport(const std::string& path, int baud, IoError* err,
                                              bool* recognised);

}  // namespace rollrig::io::detail

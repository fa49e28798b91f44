// The small, closed set of errors at rollrig's I/O boundaries (ports, files, handshake).
//
// Every expected failure returns one of these instead of throwing. `message` is a complete,
// user-facing sentence: what happened and what to do about it. Only kSystem carries the OS
// message verbatim (as libserialport does).
#pragma once

#include <string>

namespace rollrig::io {

enum class IoErrorKind {
  kNone = 0,
  kNotFound,           // no such port / file
  kPermission,         // the OS refused access (for serial ports: group membership)
  kBusy,               // another program holds the port
  kNotRollrig,         // the device never answered IDENTIFY with a rollrig INFO
  kProtocolVersion,    // a rollrig speaking a protocol major version we do not support
  kUnsupportedDevice,  // a rollrig this host cannot use (e.g. its INFO reports fewer than 4 cells)
  kDisconnected,       // the device went away while in use
  kSystem,             // anything else the OS reported; message carries strerror()
  kMalformed,          // a file rollrig reads is not what it expects (message: path, what, where)
};

struct IoError {
  IoErrorKind kind = IoErrorKind::kNone;
  std::string message;
  int os_errno = 0;

  explicit operator bool() const { return kind != IoErrorKind::kNone; }
};

inline IoError makeError(IoErrorKind kind, std::string message, int os_errno = 0) {
  return IoError{kind, std::move(message), os_errno};
}

const char* errorKindName(IoErrorKind kind);

}  // namespace rollrig::io

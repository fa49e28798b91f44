// Serial ports: real USB serial adapters through libserialport, pseudo-terminals (the firmware
// twin, socat, tests) through POSIX termios, because libserialport 0.1.1 refuses ptys (it wants a
// /dev node with a sysfs entry).
//
// openPort() picks the right one, opens the port exclusively, configures 8N1, no flow control,
// raw mode at `baud`, and maps failures to IoErrorKind with a message that says what to do.
// Exclusive, as other serial tools do it: flock(LOCK_EX | LOCK_NB) (stops a second rollrig or
// picocom, root included), a TIOCEXCL another program already set is refused (root would
// otherwise get in and share the bytes with it), and TIOCEXCL is set so programs opening the
// port later get EBUSY (root excepted). A program that opened the port earlier with neither
// lock cannot be seen. Reading 0 bytes is a hang-up only together with POLLHUP/POLLERR.
//   kNotFound   — "no serial port at /dev/ttyUSB9 — run `rollrig ports` to list the ports";
//                 "/dev/urandom is not a serial port" for anything that is not a terminal
//   kPermission — names the group that owns the device node (usually dialout) and how to join it
//   kBusy       — another program has the port open
// Thread safety: the returned stream has one owner.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rollrig/io/byte_stream.h"

namespace rollrig::io {

// 250000 baud is exact on a 16 MHz AVR (115200 is off by 2.1 %); the firmware uses the same.
inline constexpr int kDefaultBaud = 250000;

std::unique_ptr<ByteStream> openPort(const std::string& path, int baud, IoError* err);

// The libserialport and termios implementations, exposed for tests.
std::unique_ptr<ByteStream> openSerialPortLibserialport(const std::string& path, int baud,
                                                        IoError* err);
std::unique_ptr<ByteStream> openPtyPort(const std::string& path, int baud, IoError* err);

struct PortInfo {
  std::string path;         // e.g. /dev/ttyACM0
  std::string description;  // libserialport's description, e.g. "Arduino Uno"
  std::string transport;    // "usb", "native", "bluetooth", "unknown"
  int usb_vid = -1;         // -1 when not USB
  int usb_pid = -1;
  std::string manufacturer;
  std::string product;
  std::string serial_number;
};

// Lists the serial ports libserialport can see. Returns false with *err on failure.
bool listPorts(std::vector<PortInfo>* ports, IoError* err);

}  // namespace rollrig::io

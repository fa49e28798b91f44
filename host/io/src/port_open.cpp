// openPort(): pick the transport for a path. Pseudo-terminals go straight to termios
// (libserialport 0.1.1 refuses them); everything else tries libserialport first and falls back
// to termios only when libserialport does not recognise the node as a serial port at all.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "port_errors.h"
#include "rollrig/io/serial_port.h"

namespace rollrig::io {
namespace {

bool resolvesUnderDevPts(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return false;
  const bool under = std::string(resolved).rfind("/dev/pts/", 0) == 0;
  std::free(resolved);
  return under;
}

}  // namespace

std::unique_ptr<ByteStream> openPort(const std::string& path, int baud, IoError* err) {
  // stat() follows symlinks (the twin or udev may publish one), so st_rdev is the target's.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    detail::setError(err, detail::classifyErrno(errno, path, detail::PortOp::kOpen));
    return nullptr;
  }
  if (!S_ISCHR(st.st_mode)) {
    detail::setError(err, detail::notASerialPortError(path));
    return nullptr;
  }
  if (detail::isPtySlave(st.st_rdev) || resolvesUnderDevPts(path)) {
    return openPtyPort(path, baud, err);
  }
  bool recognised = true;
  std::unique_ptr<ByteStream> stream = detail::openLibserialport(path, baud, err, &recognised);
  if (stream || recognised) return stream;
  // A tty without a /sys/class/tty entry (e.g. inside a container without sysfs): still a tty.
  return openPtyPort(path, baud, err);
}

}  // namespace rollrig::io

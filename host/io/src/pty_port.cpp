// The POSIX termios transport: pseudo-terminals (the firmware twin, socat, tests) and any tty
// libserialport 0.1.1 will not open (it only knows nodes with a /sys/class/tty entry).
// Also home of the poll()-based fd I/O both transports share (see port_errors.h).
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "port_errors.h"
#include "rollrig/io/serial_port.h"

namespace rollrig::io {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

// poll() on one fd, retrying EINTR against a fixed deadline. Returns >0 when ready (events in
// *revents), 0 on timeout, -1 with errno set.
int pollFor(int fd, short events, int timeout_ms, short* revents) {
  if (timeout_ms < 0) timeout_ms = 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (r < 0 && errno == EINTR) continue;
    *revents = p.revents;
    return r;
  }
}

}  // namespace

bool lockExclusively(int fd, const std::string& path, IoError* err, bool* tiocexcl_set) {
  *tiocexcl_set = false;
  // flock is the cooperative lock serial tools share (picocom, other rollrigs); it also stops
  // root. A held lock fails with EWOULDBLOCK -> kBusy.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    setError(err, classifyErrno(errno, path, PortOp::kOpen));
    return false;
  }
#ifdef TIOCGEXCL
  // TIOCEXCL set by another program (Arduino's serial monitor, screen, ...) makes our open()
  // fail with EBUSY, except for root, who gets in anyway and would share the bytes with it.
  // Ask the tty: already exclusive means someone else holds it.
  int already = 0;
  if (::ioctl(fd, TIOCGEXCL, &already) == 0 && already != 0) {
    setError(err, busyError(path, EBUSY));
    return false;
  }
#endif
  // Then claim it: other programs' open() now fails with EBUSY (unless they run as root).
  // Best effort: not every tty supports it.
  *tiocexcl_set = ::ioctl(fd, TIOCEXCL) == 0;
  return true;
}

bool isPtySlave(dev_t rdev) {
  const unsigned m = major(rdev);
  return m >= 136 && m <= 143;
}

long readFd(int fd, uint8_t* buf, size_t cap, int timeout_ms, const std::string& path,
            IoError* err) {
  if (cap == 0) return 0;
  short revents = 0;
  const int ready = pollFor(fd, POLLIN, timeout_ms, &revents);
  if (ready < 0) {
    setError(err, classifyErrno(errno, path, PortOp::kRead));
    return -1;
  }
  if (ready == 0) return 0;
  if (revents & POLLNVAL) {
    setError(err, classifyErrno(EBADF, path, PortOp::kRead));
    return -1;
  }
  // POLLHUP/POLLERR may come with bytes still queued; read() tells data from EOF/EIO.
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    for (;;) {
      const ssize_t n = ::read(fd, buf, cap);
      if (n > 0) return static_cast<long>(n);
      // 0 bytes is a hang-up only when poll() said so. In raw mode with VMIN = VTIME = 0 an
      // empty tty also reads 0, and poll() can report POLLIN for bytes another reader of the
      // same port (a serial monitor) took first: that is "nothing now", not an unplugged cable.
      // (A pty slave whose master closed returns EIO instead.)
      if (n == 0) {
        if (revents & (POLLHUP | POLLERR)) {
          setError(err, disconnectedError(path));
          return -1;
        }
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      setError(err, classifyErrno(errno, path, PortOp::kRead));
      return -1;
    }
  }
  if (revents & POLLHUP) {
    setError(err, disconnectedError(path));
    return -1;
  }
  return 0;
}

bool writeFd(int fd, const uint8_t* data, size_t len, int stall_timeout_ms, const std::string& path,
             IoError* err) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::write(fd, data + done, len - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      setError(err, classifyErrno(errno, path, PortOp::kWrite));
      return false;
    }
    short revents = 0;
    const int ready = pollFor(fd, POLLOUT, stall_timeout_ms, &revents);
    if (ready < 0) {
      setError(err, classifyErrno(errno, path, PortOp::kWrite));
      return false;
    }
    if (ready == 0) {
      setError(err, writeStalledError(path, stall_timeout_ms));
      return false;
    }
    if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLOUT)) {
      setError(err, disconnectedError(path));
      return false;
    }
  }
  return true;
}

}  // namespace detail

namespace {

using detail::PortOp;

// Rates termios.h names on Linux. 250000 is not among them: setting it needs termios2/BOTHER,
// which libserialport does for real ports. A pty ignores the rate anyway.
bool standardSpeed(int baud, speed_t* speed) {
  struct Rate {
    int baud;
    speed_t speed;
  };
  static constexpr Rate kRates[] = {
      {1200, B1200},       {2400, B2400},       {4800, B4800},       {9600, B9600},
      {19200, B19200},     {38400, B38400},     {57600, B57600},     {115200, B115200},
      {230400, B230400},   {460800, B460800},   {500000, B500000},   {576000, B576000},
      {921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
      {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000},
      {4000000, B4000000},
  };
  for (const Rate& r : kRates) {
    if (r.baud == baud) {
      *speed = r.speed;
      return true;
    }
  }
  return false;
}

class TermiosPort final : public ByteStream {
 public:
  TermiosPort(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  TermiosPort(const TermiosPort&) = delete;
  TermiosPort& operator=(const TermiosPort&) = delete;

  ~TermiosPort() override {
    // A pty slave's tty outlives our fd while the master is open, and so would TIOCEXCL:
    // without this, the next (non-root) open of the same pty would fail with EBUSY.
    if (m_exclusive) ::ioctl(m_fd, TIOCNXCL);
    ::close(m_fd);
  }

  // Called once this process holds the flock: only then is the exclusivity flag ours to clear.
  void markExclusive() { m_exclusive = true; }

  long read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) override {
    return detail::readFd(m_fd, buf, cap, timeout_ms, m_path, err);
  }

  bool write(const uint8_t* data, size_t len, IoError* err) override {
    return detail::writeFd(m_fd, data, len, detail::kWriteStallTimeoutMs, m_path, err);
  }

  void flushInput() override { ::tcflush(m_fd, TCIFLUSH); }

  std::string describe() const override { return m_path; }

 private:
  int m_fd;
  std::string m_path;
  bool m_exclusive = false;
};

}  // namespace

std::unique_ptr<ByteStream> openPtyPort(const std::string& path, int baud, IoError* err) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    detail::setError(err, detail::classifyErrno(errno, path, PortOp::kOpen));
    return nullptr;
  }
  // Anything that is not a terminal (/dev/urandom, /dev/zero, a regular file) is "not a serial
  // port", whatever errno its driver would give a termios call (urandom says EINVAL).
  if (!::isatty(fd)) {
    ::close(fd);
    detail::setError(err, detail::notASerialPortError(path));
    return nullptr;
  }
  auto port = std::make_unique<TermiosPort>(fd, path);

  bool exclusive = false;
  if (!detail::lockExclusively(fd, path, err, &exclusive)) return nullptr;
  if (exclusive) port->markExclusive();

  struct stat st {};
  const bool pty = ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && detail::isPtySlave(st.st_rdev);

  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) {
    detail::setError(err, detail::classifyErrno(errno, path, PortOp::kConfigure));
    return nullptr;
  }
  ::cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | CSTOPB | CRTSCTS);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  speed_t speed = B0;
  if (standardSpeed(baud, &speed)) {
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
  } else if (!pty) {
    detail::setError(
        err, makeError(IoErrorKind::kSystem,
                       "could not configure " + path + ": " + std::to_string(baud) +
                           " baud is not a standard termios rate, and libserialport (which can "
                           "set it) does not recognise this port",
                       EINVAL));
    return nullptr;
  }
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
    detail::setError(err, detail::classifyErrno(errno, path, PortOp::kConfigure));
    return nullptr;
  }
  detail::setError(err, IoError{});
  return port;
}

}  // namespace rollrig::io

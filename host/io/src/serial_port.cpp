// Real serial ports through libserialport 0.1.1: open, 8N1 at any rate (it sets 250000 baud via
// termios2), USB identity for `rollrig ports`.
#include <fcntl.h>
#include <libserialport.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "port_errors.h"
#include "rollrig/io/serial_port.h"

namespace rollrig::io {
namespace {

using detail::PortOp;

// A libserialport failure as an IoError. Only SP_ERR_FAIL carries an errno, and 0.1.1's
// sp_last_error_code() just returns the current errno: call this straight after the failing call
// (its arguments allocate nothing, so errno is still intact when it is read).
IoError spError(sp_return r, const std::string& path, PortOp op, const char* what) {
  const int os_errno = r == SP_ERR_FAIL ? sp_last_error_code() : 0;
  switch (r) {
    case SP_ERR_FAIL:
      return detail::classifyErrno(os_errno, path, op);
    case SP_ERR_MEM:
      return detail::classifyErrno(ENOMEM, path, op);
    default:
      return makeError(
          IoErrorKind::kSystem,
          std::string("could not ") + what + " on " + path + ": libserialport does not support it",
          EINVAL);
  }
}

std::string orEmpty(const char* s) {
  return s ? s : "";
}

class LibserialportPort final : public ByteStream {
 public:
  LibserialportPort(sp_port* port, std::string path) : m_port(port), m_path(std::move(path)) {}
  LibserialportPort(const LibserialportPort&) = delete;
  LibserialportPort& operator=(const LibserialportPort&) = delete;

  ~LibserialportPort() override {
    if (m_exclusive) ::ioctl(m_fd, TIOCNXCL);
    if (m_fd >= 0) sp_close(m_port);
    sp_free_port(m_port);
  }

  // Opens, locks and configures the port; on failure the destructor undoes what was done.
  bool open(int baud, IoError* err) {
    sp_return r = sp_open(m_port, SP_MODE_READ_WRITE);
    if (r != SP_OK) return fail(spError(r, m_path, PortOp::kOpen, "open"), err);
    r = sp_get_port_handle(m_port, &m_fd);
    if (r != SP_OK) {
      IoError e = spError(r, m_path, PortOp::kOpen, "get the handle");
      sp_close(m_port);
      m_fd = -1;
      return fail(std::move(e), err);
    }
    // libserialport opens without O_CLOEXEC; a child process (a flasher, say) must not inherit
    // the port and keep it busy.
    ::fcntl(m_fd, F_SETFD, FD_CLOEXEC);
    if (!::isatty(m_fd)) return fail(detail::notASerialPortError(m_path), err);
    // flock, a TIOCEXCL someone else set, then our own TIOCEXCL (libserialport sets none).
    if (!detail::lockExclusively(m_fd, m_path, err, &m_exclusive)) return false;

    if ((r = sp_set_baudrate(m_port, baud)) != SP_OK)
      return fail(spError(r, m_path, PortOp::kConfigure, "set the baud rate"), err);
    if ((r = sp_set_bits(m_port, 8)) != SP_OK)
      return fail(spError(r, m_path, PortOp::kConfigure, "set 8 data bits"), err);
    if ((r = sp_set_parity(m_port, SP_PARITY_NONE)) != SP_OK)
      return fail(spError(r, m_path, PortOp::kConfigure, "turn parity off"), err);
    if ((r = sp_set_stopbits(m_port, 1)) != SP_OK)
      return fail(spError(r, m_path, PortOp::kConfigure, "set 1 stop bit"), err);
    if ((r = sp_set_flowcontrol(m_port, SP_FLOWCONTROL_NONE)) != SP_OK)
      return fail(spError(r, m_path, PortOp::kConfigure, "turn flow control off"), err);
    return true;
  }

  // Not sp_blocking_read_next(): in 0.1.1 it treats read() == 0 as "nothing yet" and spins until
  // the timeout, so an unplugged adapter would look like a silent one. poll() + read() on the
  // port's own fd reports the hang-up.
  long read(uint8_t* buf, size_t cap, int timeout_ms, IoError* err) override {
    return detail::readFd(m_fd, buf, cap, timeout_ms, m_path, err);
  }

  bool write(const uint8_t* data, size_t len, IoError* err) override {
    if (len == 0) return true;
    const sp_return r =
        sp_blocking_write(m_port, data, len, static_cast<unsigned>(detail::kWriteStallTimeoutMs));
    if (r < 0) {
      detail::setError(err, spError(r, m_path, PortOp::kWrite, "write"));
      return false;
    }
    if (static_cast<size_t>(r) < len) {
      detail::setError(err, detail::writeStalledError(m_path, detail::kWriteStallTimeoutMs));
      return false;
    }
    return true;
  }

  void flushInput() override { sp_flush(m_port, SP_BUF_INPUT); }

  std::string describe() const override { return m_path; }

 private:
  static bool fail(IoError e, IoError* err) {
    detail::setError(err, std::move(e));
    return false;
  }

  sp_port* m_port;
  std::string m_path;
  int m_fd = -1;
  bool m_exclusive = false;
};

const char* transportName(sp_transport t) {
  switch (t) {
    case SP_TRANSPORT_NATIVE:
      return "native";
    case SP_TRANSPORT_USB:
      return "usb";
    case SP_TRANSPORT_BLUETOOTH:
      return "bluetooth";
  }
  return "unknown";
}

}  // namespace

namespace detail {

std::unique_ptr<ByteStream> openLibserialport(const std::string& path, int baud, IoError* err,
                                              bool* recognised) {
  if (recognised) *recognised = true;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    setError(err, classifyErrno(errno, path, PortOp::kOpen));
    return nullptr;
  }
  // libserialport looks the name up as /sys/class/tty/<name minus "/dev/">, so a symlink such as
  // /dev/serial/by-id/usb-Arduino... must be resolved first or it is "not a port".
  std::string real = path;
  if (char* resolved = ::realpath(path.c_str(), nullptr)) {
    real = resolved;
    std::free(resolved);
  }
  sp_port* raw = nullptr;
  const sp_return r = sp_get_port_by_name(real.c_str(), &raw);
  if (r == SP_ERR_ARG) {
    if (recognised) *recognised = false;
    setError(err, notASerialPortError(path));
    return nullptr;
  }
  if (r != SP_OK) {
    setError(err, spError(r, path, PortOp::kOpen, "look up the port"));
    return nullptr;
  }
  auto port = std::make_unique<LibserialportPort>(raw, path);
  if (!port->open(baud, err)) return nullptr;
  setError(err, IoError{});
  return port;
}

}  // namespace detail

std::unique_ptr<ByteStream> openSerialPortLibserialport(const std::string& path, int baud,
                                                        IoError* err) {
  return detail::openLibserialport(path, baud, err, nullptr);
}

bool listPorts(std::vector<PortInfo>* ports, IoError* err) {
  sp_port** list = nullptr;
  const sp_return r = sp_list_ports(&list);
  if (r != SP_OK) {
    detail::setError(err, spError(r, "", PortOp::kList, "list ports"));
    return false;
  }
  ports->clear();
  for (sp_port** p = list; *p; ++p) {
    PortInfo info;
    info.path = orEmpty(sp_get_port_name(*p));
    info.description = orEmpty(sp_get_port_description(*p));
    const sp_transport transport = sp_get_port_transport(*p);
    info.transport = transportName(transport);
    if (transport == SP_TRANSPORT_USB) {
      int vid = -1, pid = -1;
      if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
        info.usb_vid = vid;
        info.usb_pid = pid;
      }
      info.manufacturer = orEmpty(sp_get_port_usb_manufacturer(*p));
      info.product = orEmpty(sp_get_port_usb_product(*p));
      info.serial_number = orEmpty(sp_get_port_usb_serial(*p));
    }
    ports->push_back(std::move(info));
  }
  sp_free_port_list(list);
  // libserialport lists in directory order; sort so the listing is stable between runs.
  std::sort(ports->begin(), ports->end(),
            [](const PortInfo& a, const PortInfo& b) { return a.path < b.path; });
  detail::setError(err, IoError{});
  return true;
}

}  // namespace rollrig::io

#include "rollrig/io/io_error.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "port_errors.h"

namespace rollrig::io {

const char* errorKindName(IoErrorKind kind) {
  switch (kind) {
    case IoErrorKind::kNone:
      return "none";
    case IoErrorKind::kNotFound:
      return "not_found";
    case IoErrorKind::kPermission:
      return "permission";
    case IoErrorKind::kBusy:
      return "busy";
    case IoErrorKind::kNotRollrig:
      return "not_rollrig";
    case IoErrorKind::kProtocolVersion:
      return "protocol_version";
    case IoErrorKind::kUnsupportedDevice:
      return "unsupported_device";
    case IoErrorKind::kDisconnected:
      return "disconnected";
    case IoErrorKind::kSystem:
      return "system";
    case IoErrorKind::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace detail {
namespace {

// strerror_r comes in two flavours (XSI returns int, GNU returns char*); overloads pick either.
[[maybe_unused]] const char* strerrorResult(int, const char* buf) {
  return buf;
}
[[maybe_unused]] const char* strerrorResult(const char* msg, const char*) {
  return msg;
}

std::string errnoText(int os_errno) {
  char buf[256] = "";
  return strerrorResult(strerror_r(os_errno, buf, sizeof(buf)), buf);
}

std::string systemMessage(int os_errno, const std::string& path, PortOp op) {
  std::string what;
  switch (op) {
    case PortOp::kOpen:
      what = "could not open " + path;
      break;
    case PortOp::kConfigure:
      what = "could not configure " + path;
      break;
    case PortOp::kRead:
      what = "reading from " + path + " failed";
      break;
    case PortOp::kWrite:
      what = "writing to " + path + " failed";
      break;
    case PortOp::kList:
      what = "could not list serial ports";
      break;
  }
  return what + ": " + errnoText(os_errno);
}

}  // namespace

std::string deviceGroupName(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "dialout";
  long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 4096);
  for (;;) {
    struct group gr {};
    struct group* found = nullptr;
    const int rc = ::getgrgid_r(st.st_gid, &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || !found || !found->gr_name || !*found->gr_name) return "dialout";
    return found->gr_name;
  }
}

IoError notFoundError(const std::string& path, int os_errno) {
  return makeError(IoErrorKind::kNotFound,
                   "no serial port at " + path + " — run `rollrig ports` to list the ports",
                   os_errno);
}

IoError notASerialPortError(const std::string& path, int os_errno) {
  return makeError(IoErrorKind::kNotFound,
                   path + " is not a serial port — run `rollrig ports` to list the ports",
                   os_errno);
}

IoError permissionError(const std::string& path, int os_errno) {
  const std::string group = deviceGroupName(path);
  if (group == "root") {
    // Joining root's group is not advice we give; the node needs a udev rule first.
    return makeError(IoErrorKind::kPermission,
                     "permission denied opening " + path +
                         " — only root may open it; ask for a udev rule that gives it to the "
                         "group `dialout`, then join that group with `sudo usermod -aG dialout "
                         "$USER`, then log out and back in",
                     os_errno);
  }
  return makeError(IoErrorKind::kPermission,
                   "permission denied opening " + path + " — it belongs to the group `" + group +
                       "`; join it with `sudo usermod -aG " + group +
                       " $USER`, then log out and back in",
                   os_errno);
}

IoError busyError(const std::string& path, int os_errno) {
  return makeError(IoErrorKind::kBusy,
                   "another program is using " + path +
                       " (a serial monitor, another rollrig?) — close it and try again",
                   os_errno);
}

IoError disconnectedError(const std::string& path, int os_errno) {
  return makeError(IoErrorKind::kDisconnected,
                   "the device at " + path + " went away — check the USB cable", os_errno);
}

IoError writeStalledError(const std::string& path, int stalled_ms) {
  return makeError(IoErrorKind::kSystem,
                   "writing to " + path + " stalled for " + std::to_string(stalled_ms) +
                       " ms: " + errnoText(ETIMEDOUT) + " (is the device still running?)",
                   ETIMEDOUT);
}

IoError classifyErrno(int os_errno, const std::string& path, PortOp op) {
  // Listing has no single device node to blame or advise about.
  if (op == PortOp::kList) {
    return makeError(IoErrorKind::kSystem, systemMessage(os_errno, path, op), os_errno);
  }
  const bool opening = op == PortOp::kOpen;
  switch (os_errno) {
    case ENOENT:
    case ENOTDIR:
      return notFoundError(path, os_errno);
    case ENODEV:
    case ENXIO:
      // At open: the node exists but no device answers behind it. Once open: it was unplugged.
      return opening ? notFoundError(path, os_errno) : disconnectedError(path, os_errno);
    case ENOTTY:
    case EISDIR:
      return notASerialPortError(path, os_errno);
    case EACCES:
    case EPERM:
      return permissionError(path, os_errno);
    case EBUSY:
      return busyError(path, os_errno);
    case EIO:
    case EPIPE:
    case ECONNRESET:
    case ESHUTDOWN:
      return disconnectedError(path, os_errno);
    default:
      break;
  }
  // flock(LOCK_NB) reports a held lock as EWOULDBLOCK; elsewhere it just means "try later".
  if (opening && os_errno == EWOULDBLOCK) return busyError(path, os_errno);
  return makeError(IoErrorKind::kSystem, systemMessage(os_errno, path, op), os_errno);
}

}  // namespace detail
}  // namespace rollrig::io

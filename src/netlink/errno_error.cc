// errno → Error mapping shared by the netlink, sysctl and namespace code.
#include "netlink/errno_error.h"

#include <cerrno>
#include <system_error>

namespace berth::netlink {

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

ErrorKind kind_for_errno(int err) {
  switch (err) {
    case EEXIST:
    case EADDRINUSE:
      return ErrorKind::kConflict;
    case ENODEV:
    case ENOENT:
    case ESRCH:
      return ErrorKind::kNotFound;
    case EPERM:
    case EACCES:
    case EROFS:
    case ENOBUFS:
    case ENOMEM:
    case EAGAIN:
    case EBUSY:
    case EPROTONOSUPPORT:
    case EAFNOSUPPORT:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

Error errno_error(const std::string& what, int err) {
  return Error(kind_for_errno(err), what + ": " + errno_text(err));
}

}  // namespace berth::netlink

// Turning an errno into a berth Error, for system calls and for the errno the
// kernel answers a netlink request with.
#pragma once

#include <string>

#include "common/result.h"

namespace berth::netlink {

// EEXIST → Conflict, ENODEV/ENOENT/ESRCH → NotFound, EINVAL → InvalidArgument
// only where the caller says so, permission and resource shortage →
// Unavailable, anything else → Internal.
ErrorKind kind_for_errno(int err);

// strerror's text ("File exists"), without strerror's shared buffer.
std::string errno_text(int err);

// "<what>: <errno text>" with kind_for_errno's kind.
Error errno_error(const std::string& what, int err);

}  // namespace berth::netlink

// NlSocket: opening a NETLINK_ROUTE socket through libnl, and turning the
// kernel's answers into berth errors.
//
// libnl maps the kernel's errno to an NLE_* code and loses it (ENODEV and
// ENOENT both become "Object not found"). A custom error callback sees the
// raw struct nlmsgerr first; it records errno and, with NETLINK_EXT_ACK on,
// the kernel's message (netlink(7), "NLMSGERR_ATTR_MSG"), then returns NL_STOP
// so that libnl returns its usual negative code.
#include "netlink/nl_socket.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstring>

#include "netlink/errno_error.h"

namespace berth::netlink {
namespace {

// Reads NLMSGERR_ATTR_MSG from the TLVs the kernel appends to an error when
// the request socket has NETLINK_EXT_ACK set (NLM_F_ACK_TLVS in the header of
// the error message). libnl hands us only the payload; the header sits right
// before it, and libnl has already checked that the whole message
// (nlmsg_len bytes) is inside its receive buffer.
std::string extack_message(const nlmsgerr* e) {
  const auto* outer =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if ((outer->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  // The kernel puts struct nlmsgerr, then (unless NLM_F_CAPPED) the payload
  // of the request, then the TLVs (net/netlink/af_netlink.c, netlink_ack).
  size_t payload = sizeof(nlmsgerr);
  if ((outer->nlmsg_flags & NLM_F_CAPPED) == 0 && e->msg.nlmsg_len >= NLMSG_HDRLEN) {
    payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
  }
  size_t offset = NLMSG_ALIGN(NLMSG_HDRLEN + payload);
  const char* base = reinterpret_cast<const char*>(outer);
  size_t end = outer->nlmsg_len;
  while (offset + NLA_HDRLEN <= end) {
    const auto* attr = reinterpret_cast<const nlattr*>(base + offset);
    if (attr->nla_len < NLA_HDRLEN || offset + attr->nla_len > end) break;
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = base + offset + NLA_HDRLEN;
      size_t len = attr->nla_len - NLA_HDRLEN;
      return std::string(text, strnlen(text, len));
    }
    offset += NLA_ALIGN(attr->nla_len);
  }
  return {};
}

int record_kernel_error(sockaddr_nl* /*who*/, nlmsgerr* e, void* arg) {
  auto* answer = static_cast<NlSocket::KernelAnswer*>(arg);
  answer->err = -e->error;
  answer->ext_msg = extack_message(e);
  return NL_STOP;
}

}  // namespace

Result<NlSocket> NlSocket::open() {
  NlSockPtr sock(nl_socket_alloc());
  if (!sock) return unavailable("netlink: cannot allocate a socket");
  auto answer = std::make_unique<KernelAnswer>();
  int rc = nl_socket_modify_err_cb(sock.get(), NL_CB_CUSTOM, record_kernel_error, answer.get());
  if (rc < 0) return internal_error(std::string("netlink: ") + nl_geterror(rc));
  // libnl 3.7 opens the socket with SOCK_CLOEXEC itself (lib/nl.c, nl_connect).
  rc = nl_connect(sock.get(), NETLINK_ROUTE);
  if (rc < 0) return unavailable(std::string("netlink: connect: ") + nl_geterror(rc));
  int fd = nl_socket_get_fd(sock.get());
  // Best effort: without them errors carry errno only (kernels before 4.12).
  int one = 1;
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  return NlSocket(std::move(sock), std::move(answer));
}

Error NlSocket::error(int nl_code, const std::string& what) const {
  if (last_->err != 0) {
    std::string reason = errno_text(last_->err);
    if (!last_->ext_msg.empty()) reason += " (" + last_->ext_msg + ")";
    return Error(kind_for_errno(last_->err), what + ": " + reason);
  }
  // libnl failed on its own (allocation, message building, parsing).
  ErrorKind kind = ErrorKind::kInternal;
  switch (-nl_code) {
    case NLE_EXIST:
      kind = ErrorKind::kConflict;
      break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      kind = ErrorKind::kNotFound;
      break;
    case NLE_PERM:
    case NLE_NOACCESS:
    case NLE_NOMEM:
    case NLE_BUSY:
      kind = ErrorKind::kUnavailable;
      break;
    default:
      break;
  }
  return Error(kind, what + ": " + nl_geterror(nl_code));
}

}  // namespace berth::netlink

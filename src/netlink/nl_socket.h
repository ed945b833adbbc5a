// NlSocket: a move-only NETLINK_ROUTE socket (libnl's nl_sock) that also
// remembers how the kernel answered the last request. libnl reduces kernel
// errors to its own NLE_* codes ("Object exists"); the socket keeps the errno
// and the kernel's extended-ack text so that errors can say "File exists" or
// "MTU greater than device maximum".
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "common/result.h"
#include "netlink/nl_object.h"

namespace berth::netlink {

class NlSocket {
 public:
  // Opens and connects a socket in the network namespace of the calling
  // thread. The socket stays in that namespace; any thread may use it, but
  // only one at a time.
  static Result<NlSocket> open();

  NlSocket(NlSocket&&) noexcept = default;
  NlSocket& operator=(NlSocket&&) noexcept = default;
  NlSocket(const NlSocket&) = delete;
  NlSocket& operator=(const NlSocket&) = delete;
  ~NlSocket() = default;

  nl_sock* get() const { return sock_.get(); }

  // Runs one libnl call that talks to the kernel on this socket (`request`
  // returns libnl's int: ≥ 0 success, < 0 a negated NLE_* code). On failure
  // the error reads "<what>: <reason>", the reason being the kernel's errno
  // text plus its extended-ack message when it sent one.
  template <typename F>
  Status run(const std::string& what, F&& request) {
    last_->clear();
    int rc = std::forward<F>(request)();
    if (rc >= 0) return ok_status();
    return error(rc, what);
  }

  // The errno the kernel answered the last failed request with, 0 if the
  // failure came from libnl itself.
  int last_errno() const { return last_->err; }

  // What the kernel said about a failed request (see run()).
  struct KernelAnswer {
    int err = 0;          // positive errno
    std::string ext_msg;  // NLMSGERR_ATTR_MSG, if any
    void clear() {
      err = 0;
      ext_msg.clear();
    }
  };

 private:
  explicit NlSocket(NlSockPtr sock, std::unique_ptr<KernelAnswer> last)
      : sock_(std::move(sock)), last_(std::move(last)) {}

  Error error(int nl_code, const std::string& what) const;

  NlSockPtr sock_;
  // Heap-allocated so that the address libnl's error callback holds stays
  // valid when the NlSocket is moved.
  std::unique_ptr<KernelAnswer> last_;
};

}  // namespace berth::netlink

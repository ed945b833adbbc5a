// Opening NlNetlink, in the calling thread's network namespace or another.
#include "netlink/nl_netlink.h"

#include <fcntl.h>
#include <netlink/netlink.h>
#include <sys/stat.h>

#include <cerrno>

#include "netlink/errno_error.h"

namespace berth::netlink {
namespace {

// The calling thread's namespace; /proc/self would name the main thread's.
constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";

}  // namespace

Result<std::unique_ptr<NlNetlink>> NlNetlink::open() {
  UniqueFd netns(::open(kThreadNetns, O_RDONLY | O_CLOEXEC));
  if (!netns.valid()) return errno_error(std::string("netlink: open ") + kThreadNetns, errno);
  auto sock = NlSocket::open();
  if (!sock.ok()) return sock.error();
  return std::unique_ptr<NlNetlink>(new NlNetlink(std::move(*sock), std::move(netns)));
}

Status NlNetlink::in_own_netns(const std::function<Status()>& fn) {
  struct stat mine {};
  struct stat here {};
  if (::fstat(netns_.get(), &mine) == 0 && ::stat(kThreadNetns, &here) == 0 &&
      mine.st_dev == here.st_dev && mine.st_ino == here.st_ino) {
    return fn();
  }
  return run_in_netns(netns_.get(), fn);
}

Status NlNetlink::send_request(const std::string& what, nl_msg* msg) {
  return sock_.run(what, [&] {
    // nl_send_auto completes the header (sequence number, NLM_F_REQUEST and,
    // with libnl's default auto-ack, NLM_F_ACK); the kernel's error, if any,
    // reaches NlSocket's error callback while waiting for the ack.
    int rc = nl_send_auto(sock_.get(), msg);
    if (rc < 0) return rc;
    return nl_wait_for_ack(sock_.get());
  });
}

Result<std::unique_ptr<Netlink>> open_netlink() {
  auto nl = NlNetlink::open();
  if (!nl.ok()) return nl.error();
  return std::unique_ptr<Netlink>(std::move(*nl));
}

Result<std::unique_ptr<Netlink>> open_netlink_in(const std::string& netns_path) {
  std::unique_ptr<Netlink> nl;
  BERTH_TRY(run_in_netns(netns_path, [&]() -> Status {
    auto opened = open_netlink();
    if (!opened.ok()) return opened.error();
    nl = std::move(*opened);
    return ok_status();
  }));
  return nl;
}

}  // namespace berth::netlink

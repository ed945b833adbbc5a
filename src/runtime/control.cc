// Client side of the shim's control socket (bundle_dir/shim.sock). The path
// is reached through /proc/self/fd/N of the bundle directory, so a long data
// root does not overflow sun_path (108 bytes); the kernel resolves the magic
// link like any other directory.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "runtime/file_io.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

constexpr int kReplyTimeoutMs = 5000;

Result<json> request(const std::string& bundle_dir, const json& req) {
  auto fd = connect_shim(bundle_dir);
  if (!fd.ok()) return fd.error();
  const std::string line = req.dump() + "\n";
  if (::send(fd->get(), line.data(), line.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(line.size())) {
    return unavailable("send to the shim of " + bundle_dir + ": " + std::strerror(errno));
  }
  std::string in;
  char buf[1024];
  while (in.find('\n') == std::string::npos) {
    pollfd p{fd->get(), POLLIN, 0};
    const int r = ::poll(&p, 1, kReplyTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return unavailable("the shim of " + bundle_dir + " did not answer");
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unavailable("the shim of " + bundle_dir + " closed the connection");
    in.append(buf, static_cast<size_t>(n));
  }
  json reply = json::parse(in.substr(0, in.find('\n')), nullptr, false);
  if (!reply.is_object()) return internal_error("invalid reply from the shim of " + bundle_dir);
  return reply;
}

}  // namespace

Result<UniqueFd> connect_shim(const std::string& bundle_dir) {
  UniqueFd dir(::open(bundle_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return errno_to_error("open " + bundle_dir, errno);
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return errno_to_error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = "/proc/self/fd/" + std::to_string(dir.get()) + "/shim.sock";
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return unavailable("connect to the shim of " + bundle_dir + ": " + std::strerror(errno));
  }
  return s;
}

Status resize(const std::string& bundle_dir, int rows, int cols) {
  auto reply = request(bundle_dir, {{"op", "resize"}, {"rows", rows}, {"cols", cols}});
  if (!reply.ok()) return reply.error();
  if (!reply->value("ok", false)) return invalid_argument(reply->value("error", "resize failed"));
  return ok_status();
}

}  // namespace berth::runtime

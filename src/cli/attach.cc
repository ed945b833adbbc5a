#include "cli/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <istream>
#include <ostream>
#include <thread>

#include "cli/stdcopy.h"

namespace berth::cli {
namespace {

constexpr char kCtrlP = 0x10;
constexpr char kCtrlQ = 0x11;

// moby/term MakeRaw on stdin for the session; restored when destroyed.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (fd_ < 0 || !isatty(fd_) || tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_iflag &=
        ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

std::string EscapeProxy::feed(std::string_view in, bool* detached) {
  std::string out;
  for (char c : in) {
    if (pending_) {
      pending_ = false;
      if (c == kCtrlQ) {
        *detached = true;
        return out;
      }
      out += kCtrlP;
    }
    if (c == kCtrlP) {
      pending_ = true;
      continue;
    }
    out += c;
  }
  return out;
}

Result<AttachEnd> stream_attached(client::HijackedConnection& conn, bool tty, bool with_stdin,
                                  AttachStreams streams) {
  std::atomic<bool> detached{false};
  int wake[2] = {-1, -1};
  if (pipe2(wake, O_CLOEXEC) != 0) return internal_error("pipe: cannot create");
  std::unique_ptr<RawTerminal> raw;
  if (with_stdin && tty) raw = std::make_unique<RawTerminal>(streams.in_fd);

  // Input: copied until its end, then the write side is half-closed (at
  // once when stdin is not attached), as docker does.
  std::thread input([&] {
    EscapeProxy escape;
    auto forward = [&](std::string_view data) {
      bool detach = false;
      std::string out = tty ? escape.feed(data, &detach) : std::string(data);
      if (!out.empty() && !conn.write_all(out).ok()) return false;
      if (detach) {
        detached = true;
        conn.close();
        return false;
      }
      return true;
    };
    if (with_stdin && streams.in_fd >= 0) {
      char buf[4096];
      for (;;) {
        pollfd p[2] = {{streams.in_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        if (p[1].revents != 0) return;
        ssize_t n = ::read(streams.in_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!forward(std::string_view(buf, static_cast<size_t>(n)))) return;
      }
    } else if (with_stdin && streams.in != nullptr) {
      std::string all((std::istreambuf_iterator<char>(*streams.in)),
                      std::istreambuf_iterator<char>());
      if (!all.empty() && !forward(all)) return;
    }
    conn.close_write();
  });

  Status result = ok_status();
  StdDemux demux;
  char buf[16384];
  for (;;) {
    auto n = conn.read(buf, sizeof buf);
    if (!n.ok()) {
      if (!detached) result = n.error();
      break;
    }
    if (*n == 0) break;
    std::string_view data(buf, *n);
    if (tty) {
      streams.out << data << std::flush;
      continue;
    }
    result = demux.feed(data, [&](StdDemux::Stream which, std::string_view d) {
      std::ostream& o = which == StdDemux::Stream::kStderr ? streams.err : streams.out;
      o << d << std::flush;
    });
    if (!result.ok()) break;
  }
  (void)!::write(wake[1], "x", 1);
  input.join();
  ::close(wake[0]);
  ::close(wake[1]);
  raw.reset();
  if (!result.ok()) return result.error();
  return detached ? AttachEnd::kDetached : AttachEnd::kOutputEnded;
}

}  // namespace berth::cli

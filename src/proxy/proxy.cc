// The userland proxy (proxy.h). Everything after reserve() runs on the
// proxy's own thread: listeners, connections and flows are owned there, so
// they need no locks; only the table of held ports is shared (mu_).
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before Asio (PITFALLS.md)

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <algorithm>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace berth::proxy {
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

constexpr int kPipeSize = 256 * 1024;
constexpr int kAcceptBatch = 64;
constexpr int kUdpBatch = 32;
constexpr size_t kUdpMax = 65536;
// UDP: room for ~160 ms of 500 Mbit/s while the proxy thread waits for a
// CPU on a busy machine (a datagram costs ~2x its size in buffer).
constexpr int kSocketBuffer = 16 * 1024 * 1024;
constexpr int kSpliceRounds = 16;  // then yield to other connections
// Small transfers go through a plain recv/send (2 syscalls, one copy each)
// with this per-thread buffer; a read that fills it switches its direction
// to splice(2) through the pipe (bulk: no copy through user space).
constexpr size_t kCopyBuf = 64 * 1024;
constexpr int kMaxThreads = 8;

std::string ip_text(uint32_t ip) {
  char buf[INET_ADDRSTRLEN];
  in_addr a{htonl(ip)};
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string proto_text(int proto) { return proto == IPPROTO_UDP ? "udp" : "tcp"; }

sockaddr_in sin_of(uint32_t ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

void set_int(int fd, int level, int opt, int v) { (void)::setsockopt(fd, level, opt, &v, sizeof v); }

void big_buffers(int fd) {
  // As root the FORCE variants pass net.core.[rw]mem_max.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) != 0) {
    set_int(fd, SOL_SOCKET, SO_RCVBUF, kSocketBuffer);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) != 0) {
    set_int(fd, SOL_SOCKET, SO_SNDBUF, kSocketBuffer);
  }
}

// Binds (and for TCP listens on) one host address and port. errno on failure.
int bind_one(int proto, uint32_t ip, int port, UniqueFd& out) {
  const int type = proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno;
  // As Docker: SO_REUSEADDR, so a port whose last connections sit in
  // TIME_WAIT can be bound again; berth's own table catches double use.
  if (proto == IPPROTO_TCP) {
    set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    set_int(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);  // accepted sockets inherit it
  }
  sockaddr_in a = sin_of(ip, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return errno;
  if (proto == IPPROTO_TCP && ::listen(fd.get(), 4096) != 0) return errno;
  if (proto == IPPROTO_UDP) big_buffers(fd.get());
  out = std::move(fd);
  return 0;
}

}  // namespace

std::pair<int, int> local_port_range() {
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  int a = 0, b = 0;
  if (f >> a >> b && a > 0 && b >= a && b <= 65535) return {a, b};
  return {49153, 65535};
}

// ---------------------------------------------------------------- TCP ----
//
// TCP sockets do not go through Asio: each proxy thread keeps them in an
// epoll set of its own (edge-triggered), and only that set's descriptor is
// watched on the thread's io_context. Measured per proxied connection with
// Asio sockets (strace -c, bench/RESULTS.md issue 5 run 5): 7 epoll_ctl, 2
// ioctl(FIONBIO), a getsockopt and a timer; here 2 epoll_ctl (an ADD per
// socket: close(2) drops the registration, and a generation in the event
// key makes a registration that outlives its socket harmless, e.g. while a
// forked child still holds the descriptor).

// Empty pipes kept for the next connection (proxy thread only): a new
// connection costs no pipe2/fcntl/close per direction.
struct PipePool {
  std::vector<std::pair<UniqueFd, UniqueFd>> free;
  static constexpr size_t kMax = 256;
  bool get(UniqueFd& r, UniqueFd& w) {
    if (!free.empty()) {
      r = std::move(free.back().first);
      w = std::move(free.back().second);
      free.pop_back();
      return true;
    }
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
    r.reset(fds[0]);
    w.reset(fds[1]);
    (void)::fcntl(fds[1], F_SETPIPE_SZ, kPipeSize);
    return true;
  }
  void put(UniqueFd& r, UniqueFd& w, size_t pending) {
    if (pending == 0 && r.valid() && w.valid() && free.size() < kMax) {
      free.emplace_back(std::move(r), std::move(w));
    }
    r.reset();
    w.reset();
  }
};

struct PortBase {
  PortStats st;
  virtual ~PortBase() = default;
  virtual void close() = 0;
};

// What an epoll event is for: a listener or a connection (side 0 = the
// client socket, 1 = the backend socket).
struct Handler {
  virtual ~Handler() = default;
  virtual void on_event(int side, uint32_t events) = 0;
};

// Handlers by slot; an event's key is (generation << 32 | slot << 1 | side),
// and a slot's generation moves on when it is freed.
class Slots {
 public:
  uint32_t add(Handler* h) {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = static_cast<uint32_t>(v_.size());
      v_.push_back({});
    }
    v_[i].h = h;
    return i;
  }
  void remove(uint32_t i) {
    v_[i].h = nullptr;
    ++v_[i].gen;
    free_.push_back(i);
  }
  uint64_t key(uint32_t i, int side) const {
    return (uint64_t{v_[i].gen} << 32) | (uint64_t{i} << 1) | static_cast<uint64_t>(side);
  }
  // The handler of an event's key, or null when its slot moved on.
  Handler* find(uint64_t key, int& side) const {
    const auto i = static_cast<uint32_t>(key & 0xffffffffu) >> 1;
    side = static_cast<int>(key & 1);
    if (i >= v_.size() || v_[i].gen != static_cast<uint32_t>(key >> 32)) return nullptr;
    return v_[i].h;
  }

 private:
  struct Entry {
    Handler* h = nullptr;
    uint32_t gen = 0;
  };
  std::vector<Entry> v_;
  std::vector<uint32_t> free_;
};

struct Conn;
struct TcpPort;

// One thread's epoll set and what goes with it.
struct Loop {
  explicit Loop(asio::io_context& io) : io(io), watch(io), timeouts(io) {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    boost::system::error_code ec;
    watch.assign(fd, ec);
    arm();
  }
  ~Loop();
  asio::io_context& io;
  asio::posix::stream_descriptor watch;  // the epoll set's descriptor
  asio::steady_timer timeouts;           // connect timeouts, while any connect is pending
  Slots slots;
  PipePool pipes;
  std::vector<char> copy_buf = std::vector<char>(kCopyBuf);
  std::vector<Conn*> again;  // busy connections that yielded
  std::vector<Conn*> dead;   // closed, freed after the current pass
  Conn* connecting_head = nullptr;  // pending connects, oldest first
  Conn* connecting_tail = nullptr;
  bool armed = false, posted = false, timing = false, polling = false;

  int ep() { return watch.native_handle(); }
  bool add(int fd, uint32_t events, uint32_t slot, int side) {
    epoll_event e{};
    e.events = events;
    e.data.u64 = slots.key(slot, side);
    return ::epoll_ctl(ep(), EPOLL_CTL_ADD, fd, &e) == 0;
  }
  bool modify(int fd, uint32_t events, uint32_t slot, int side) {
    epoll_event e{};
    e.events = events;
    e.data.u64 = slots.key(slot, side);
    return ::epoll_ctl(ep(), EPOLL_CTL_MOD, fd, &e) == 0;
  }
  void arm();
  void schedule();
  void poll();
  void retire(Conn* c);
  void watch_connect(Conn* c);
  void unwatch_connect(Conn* c);
  void check_timeouts();
  void arm_timeouts();
};

// One proxied connection: two sockets, a pipe per direction (taken only for
// bulk and for what a destination could not take at once).
struct Conn final : Handler {
  struct Pump {
    int src = 0, dst = 1;  // sides
    UniqueFd pipe_r, pipe_w;
    size_t pending = 0;       // bytes in the pipe
    bool eof = false;         // source ended
    bool done = false;        // EOF passed on
    bool bulk = false;        // splice from the source (a read filled the copy buffer)
    bool hup = false;         // the source's peer shut down writing (EPOLLRDHUP)
    bool wait_write = false;  // the destination was full
    bool busy = false;        // yielded with more to do
    uint64_t* bytes = nullptr;
  };

  Conn(Loop* l, TcpPort* p, int client_fd);
  Loop* loop;
  TcpPort* port;
  int fd[2] = {-1, -1};
  uint32_t slot = 0;
  Pump up, down;  // client → backend, backend → client
  bool connecting = true;
  bool closed = false;
  bool client_out = false;  // EPOLLOUT registered on the client socket
  std::chrono::steady_clock::time_point deadline;
  Conn* prev = nullptr;  // the port's connections
  Conn* next = nullptr;
  Conn* cprev = nullptr;  // the loop's pending connects
  Conn* cnext = nullptr;

  void start_connect(uint32_t ip, int cport, int timeout_ms);
  void on_event(int side, uint32_t events) override;
  void on_connected();
  void run(Pump& p);
  void resume();
  bool need_write(Pump& p);
  bool take_pipe(Pump& p);
  void finish() {
    if (up.done && down.done) close();
  }
  void close();
};

// A TCP port on one proxy thread: the listener (the one bound socket is in
// every thread's epoll set, EPOLLEXCLUSIVE, so the kernel hands each
// connection to one thread and nothing is passed between threads; the first
// thread owns the descriptor) and the connections this thread accepted.
struct TcpPort final : PortBase, Handler {
  // Without serving, the socket is only held (not watched).
  TcpPort(Loop* l, int fd, bool owner, bool serve) : loop(l), lfd(fd), owner(owner), watched(serve && fd >= 0) {
    if (watched) {
      slot = loop->slots.add(this);
      loop->add(lfd, EPOLLIN | EPOLLEXCLUSIVE, slot, 0);
    }
  }
  ~TcpPort() override {
    if (owner && lfd >= 0) ::close(lfd);
  }
  Loop* loop;
  int lfd;
  bool owner;
  bool watched;
  uint32_t slot = 0;
  uint32_t backend_ip = 0;
  int backend_port = 0;
  int connect_timeout_ms = 10000;
  bool closed = false;
  Conn* conns = nullptr;  // list head

  void on_event(int, uint32_t) override {
    for (int i = 0; i < kAcceptBatch && !closed; ++i) {
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) ++st.errors;
        return;
      }
      adopt(fd);
    }
    // More in the queue: the listener is level-triggered in this set, but
    // the set itself is watched edge-triggered, so come back by a pass.
    loop->schedule();
  }

  void adopt(int fd) {
    auto* c = new Conn(loop, this, fd);
    c->next = conns;
    if (conns) conns->prev = c;
    conns = c;
    ++st.connections;
    ++st.active;
    c->start_connect(backend_ip, backend_port, connect_timeout_ms);
  }

  void unlink(Conn* c) {
    if (c->prev) c->prev->next = c->next;
    else if (conns == c) conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = nullptr;
    --st.active;
  }

  // Every other thread's port closes before the owner's (Impl::close_key),
  // so the descriptor is still open for their DEL.
  void close() override {
    if (closed) return;
    closed = true;
    if (watched) {
      (void)::epoll_ctl(loop->ep(), EPOLL_CTL_DEL, lfd, nullptr);
      loop->slots.remove(slot);
    }
    if (owner && lfd >= 0) ::close(lfd);
    lfd = -1;
    while (conns) conns->close();
    st.active = 0;
  }
};

// ---- the loop

void Loop::arm() {
  if (armed) return;
  armed = true;
  watch.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    armed = false;
    if (!ec) poll();
  });
}

// Another pass soon, after what else the io_context has queued.
void Loop::schedule() {
  if (posted) return;
  posted = true;
  asio::post(io, [this] {
    posted = false;
    poll();
  });
}

void Loop::poll() {
  constexpr int kEvents = 128;
  epoll_event evs[kEvents];
  int n = 0;
  polling = true;
  for (int round = 0; round < 4; ++round) {
    n = ::epoll_wait(ep(), evs, kEvents, 0);
    for (int i = 0; i < n; ++i) {
      int side = 0;
      if (Handler* h = slots.find(evs[i].data.u64, side)) h->on_event(side, evs[i].events);
    }
    if (n < kEvents) break;
  }
  if (!again.empty()) {
    auto busy = std::move(again);
    again.clear();
    for (Conn* c : busy) c->resume();
  }
  for (Conn* c : dead) delete c;
  dead.clear();
  polling = false;
  if (!again.empty() || n == kEvents) {
    schedule();
  }
  arm();
}

Loop::~Loop() {
  for (Conn* c : dead) delete c;
}

void Loop::retire(Conn* c) {
  dead.push_back(c);
  if (!polling) schedule();  // a pass frees what closed in it at its end
}

void Loop::watch_connect(Conn* c) {
  c->cprev = connecting_tail;
  c->cnext = nullptr;
  if (connecting_tail) connecting_tail->cnext = c;
  else connecting_head = c;
  connecting_tail = c;
  arm_timeouts();
}

// The sweep over pending connects, every 250 ms while there are any.
void Loop::arm_timeouts() {
  if (timing) return;
  timing = true;
  timeouts.expires_after(std::chrono::milliseconds(250));
  timeouts.async_wait([this](const boost::system::error_code& ec) {
    timing = false;
    if (!ec) check_timeouts();
  });
}

void Loop::unwatch_connect(Conn* c) {
  if (c->cprev) c->cprev->cnext = c->cnext;
  else if (connecting_head == c) connecting_head = c->cnext;
  if (c->cnext) c->cnext->cprev = c->cprev;
  else if (connecting_tail == c) connecting_tail = c->cprev;
  c->cprev = c->cnext = nullptr;
}

void Loop::check_timeouts() {
  const auto now = std::chrono::steady_clock::now();
  for (Conn* c = connecting_head; c;) {
    Conn* nx = c->cnext;
    if (c->deadline <= now) {
      spdlog::debug("proxy: connect to backend timed out");
      ++c->port->st.errors;
      c->close();
    }
    c = nx;
  }
  if (connecting_head) arm_timeouts();
}

// ---- a connection

Conn::Conn(Loop* l, TcpPort* p, int client_fd) : loop(l), port(p) {
  fd[0] = client_fd;
  slot = loop->slots.add(this);
  up.src = 0;
  up.dst = 1;
  up.bytes = &port->st.bytes_in;
  down.src = 1;
  down.dst = 0;
  down.bytes = &port->st.bytes_out;
}

void Conn::start_connect(uint32_t ip, int cport, int timeout_ms) {
  // The client socket inherited TCP_NODELAY from the listener.
  if (!loop->add(fd[0], EPOLLIN | EPOLLRDHUP | EPOLLET, slot, 0)) {
    ++port->st.errors;
    close();
    return;
  }
  fd[1] = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd[1] < 0) {
    ++port->st.errors;
    close();
    return;
  }
  set_int(fd[1], IPPROTO_TCP, TCP_NODELAY, 1);
  // On a connecting socket TCP_DEFER_ACCEPT holds back the last ACK of the
  // handshake (tcp_rcv_synsent_state_process) so that it rides on the first
  // data: the client's request usually waits in its socket already, and the
  // backend then gets one segment (and its server one wake-up) instead of
  // two. on_connected() sends the ACK at once when there is nothing to send.
  set_int(fd[1], IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
  sockaddr_in a = sin_of(ip, cport);
  if (::connect(fd[1], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    spdlog::debug("proxy: can't forward traffic to backend: {}", strerror(errno));
    ++port->st.errors;
    close();
    return;
  }
  // Registered after connect(2): an unconnected socket polls as EPOLLHUP.
  // Writable = connected; EPOLLERR = failed. A handshake that completed
  // inside connect() is reported by the ADD itself.
  if (!loop->add(fd[1], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, slot, 1)) {
    ++port->st.errors;
    close();
    return;
  }
  deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  loop->watch_connect(this);
}

void Conn::on_event(int side, uint32_t ev) {
  if (closed) return;
  if (connecting) {
    if (side == 0) {
      if (ev & EPOLLRDHUP) up.hup = true;  // the data waits in the socket
      return;
    }
    if (ev & (EPOLLERR | EPOLLHUP)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
      spdlog::debug("proxy: can't forward traffic to backend: {}", strerror(err));
      ++port->st.errors;
      close();
      return;
    }
    if (!(ev & EPOLLOUT)) return;
    connecting = false;
    loop->unwatch_connect(this);
    on_connected();
    return;
  }
  Pump& reader = side == 0 ? up : down;  // reads from this side
  Pump& writer = side == 0 ? down : up;  // writes to this side
  if (ev & EPOLLRDHUP) reader.hup = true;
  if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !reader.wait_write && !reader.eof) {
    run(reader);
  }
  if (!closed && (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && writer.wait_write) run(writer);
}

void Conn::on_connected() {
  const uint64_t before = *up.bytes;
  run(up);
  if (closed) return;
  // Nothing went to the backend (a protocol whose server speaks first, or a
  // client that has not written yet): the deferred ACK goes out now, so the
  // backend's accept does not wait for the delayed-ACK timer.
  if (*up.bytes == before && !up.done) set_int(fd[1], IPPROTO_TCP, TCP_QUICKACK, 1);
  run(down);
}

void Conn::resume() {
  for (Pump* p : {&up, &down}) {
    if (closed) return;
    if (p->busy) {
      p->busy = false;
      run(*p);
    }
  }
}

bool Conn::take_pipe(Pump& p) {
  if (p.pipe_r.valid()) return true;
  if (loop->pipes.get(p.pipe_r, p.pipe_w)) return true;
  ++port->st.errors;
  close();
  return false;
}

// The destination is full: wait until it is writable (the client socket
// is registered for EPOLLOUT the first time this happens).
bool Conn::need_write(Pump& p) {
  p.wait_write = true;
  if (p.dst == 0 && !client_out) {
    client_out = true;
    if (!loop->modify(fd[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, slot, 0)) {
      ++port->st.errors;
      close();
      return false;
    }
  }
  return true;
}

// Moves what is readable from the source to the destination until one side
// would block; then waits for that side's edge. Small reads are copied (recv,
// send); what the destination does not take goes to the pipe, and a read
// that fills the copy buffer switches the direction to splice (source →
// pipe → destination). A full destination stops reading the source: that is
// the backpressure.
void Conn::run(Pump& p) {
  if (closed) return;
  p.wait_write = false;
  const int src = fd[p.src], dst = fd[p.dst];
  for (int round = 0; round < kSpliceRounds; ++round) {
    if (p.pending > 0) {
      ssize_t n = ::splice(p.pipe_r.get(), nullptr, dst, nullptr, p.pending,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        p.pending -= static_cast<size_t>(n);
        *p.bytes += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        need_write(p);
        return;
      }
      ++port->st.errors;  // EPIPE/ECONNRESET: the destination is gone
      close();
      return;
    }
    if (p.eof) {
      p.done = true;
      Pump& other = &p == &up ? down : up;
      // Half-close passed on; when the other way is done already, close(2)
      // sends the same FIN (its queue was read to the end), one call less.
      if (!other.done) ::shutdown(dst, SHUT_WR);
      finish();
      return;
    }
    ssize_t n;
    if (!p.bulk) {
      char* buf = loop->copy_buf.data();
      n = ::recv(src, buf, kCopyBuf, MSG_DONTWAIT);
      if (n > 0) {
        const auto got = static_cast<size_t>(n);
        // A short read after the peer's FIN is the last data: MSG_MORE holds
        // it for the FIN that follows at once, so both leave in one segment
        // (one wake-up of the receiver instead of two).
        const int more = p.hup && got < kCopyBuf ? MSG_MORE : 0;
        size_t sent = 0;
        for (;;) {
          ssize_t m = ::send(dst, buf + sent, got - sent, MSG_DONTWAIT | MSG_NOSIGNAL | more);
          if (m > 0) {
            sent += static_cast<size_t>(m);
            if (sent < got) continue;
            break;
          }
          if (m < 0 && errno == EINTR) continue;
          if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          ++port->st.errors;  // EPIPE/ECONNRESET: the destination is gone
          close();
          return;
        }
        *p.bytes += sent;
        if (sent < got) {
          // The rest waits in the (empty) pipe, which holds at least 64 KiB.
          if (!take_pipe(p)) return;
          ssize_t w = ::write(p.pipe_w.get(), buf + sent, got - sent);
          if (w != static_cast<ssize_t>(got - sent)) {
            ++port->st.errors;
            close();
            return;
          }
          p.pending = got - sent;
        }
        if (got == kCopyBuf) {
          p.bulk = true;
          continue;
        }
        if (p.pending > 0) continue;
        // A short read took everything queued. With the peer's FIN seen,
        // nothing more can come: that is the EOF, without a recv to say so.
        if (p.hup) {
          p.eof = true;
          continue;
        }
        return;  // more data or the FIN is a new edge
      }
    } else {
      if (!take_pipe(p)) return;
      n = ::splice(src, nullptr, p.pipe_w.get(), nullptr, kPipeSize, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        p.pending = static_cast<size_t>(n);
        continue;
      }
    }
    // Nothing read, by either path.
    if (n == 0) {
      p.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // wait for the next edge
    ++port->st.errors;  // ECONNRESET
    close();
    return;
  }
  // Busy connection: let the others run, then continue.
  p.busy = true;
  loop->again.push_back(this);
}

void Conn::close() {
  if (closed) return;
  closed = true;
  if (connecting) loop->unwatch_connect(this);
  // close(2) takes the sockets out of the epoll set; the slot's generation
  // moves on for any event still queued for them.
  for (int& f : fd) {
    if (f >= 0) ::close(f);
    f = -1;
  }
  loop->slots.remove(slot);
  loop->pipes.put(up.pipe_r, up.pipe_w, up.pending);
  loop->pipes.put(down.pipe_r, down.pipe_w, down.pending);
  port->unlink(this);
  loop->retire(this);
}

// ---------------------------------------------------------------- UDP ----

// Scratch space for a batch of datagrams; one per proxy (its one thread).
struct UdpBatch {
  std::vector<char> buf = std::vector<char>(kUdpBatch * kUdpMax);
  mmsghdr msgs[kUdpBatch]{};
  iovec iov[kUdpBatch]{};
  sockaddr_in addrs[kUdpBatch]{};

  // Prepares every slot for a receive (with or without the peer address).
  void arm(bool names) {
    for (int i = 0; i < kUdpBatch; ++i) {
      iov[i] = {buf.data() + static_cast<size_t>(i) * kUdpMax, kUdpMax};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (names) {
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
      }
      msgs[i].msg_len = 0;
    }
  }
};

struct UdpPort;

struct Flow : std::enable_shared_from_this<Flow> {
  Flow(asio::io_context& io, UdpPort* p) : sock(io), port(p) {}
  udp::socket sock;  // connected to the container
  sockaddr_in client{};
  uint64_t key = 0;
  UdpPort* port;
  std::chrono::steady_clock::time_point last;
  bool closed = false;
  void start();
  void close() {
    closed = true;
    boost::system::error_code ec;
    sock.close(ec);
  }
};

struct UdpPort : PortBase {
  UdpPort(asio::io_context& io, int fd, UdpBatch* b) : io_(io), sock(io), batch(b) {
    boost::system::error_code ec;
    sock.assign(udp::v4(), fd, ec);
  }
  asio::io_context& io_;
  udp::socket sock;
  UdpBatch* batch;
  uint32_t backend_ip = 0;
  int backend_port = 0;
  int max_flows = 4096;
  bool serve = true;
  bool closed = false;
  std::unordered_map<uint64_t, std::shared_ptr<Flow>> flows;

  void start() {
    if (!serve || closed) return;
    sock.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
      if (ec || closed) return;
      read_batch();
      start();
    });
  }

  std::shared_ptr<Flow> flow_for(const sockaddr_in& from) {
    const uint64_t key = (uint64_t{ntohl(from.sin_addr.s_addr)} << 16) | ntohs(from.sin_port);
    if (auto it = flows.find(key); it != flows.end()) return it->second;
    if (static_cast<int>(flows.size()) >= max_flows) return nullptr;
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    big_buffers(fd);
    sockaddr_in to = sin_of(backend_ip, backend_port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ::close(fd);
      return nullptr;
    }
    auto f = std::make_shared<Flow>(io_, this);
    boost::system::error_code ec;
    f->sock.assign(udp::v4(), fd, ec);
    f->client = from;
    f->key = key;
    flows[key] = f;
    ++st.connections;
    st.active = flows.size();
    f->start();
    return f;
  }

  // Client datagrams: a batch in, then one sendmmsg per run of datagrams
  // from the same client.
  void read_batch() {
    for (int round = 0; round < 8; ++round) {
      batch->arm(true);
      int n = ::recvmmsg(sock.native_handle(), batch->msgs, kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      int i = 0;
      while (i < n) {
        auto f = flow_for(batch->addrs[i]);
        int j = i + 1;
        while (j < n && batch->addrs[j].sin_addr.s_addr == batch->addrs[i].sin_addr.s_addr &&
               batch->addrs[j].sin_port == batch->addrs[i].sin_port) {
          ++j;
        }
        if (!f) {
          st.errors += static_cast<uint64_t>(j - i);
          i = j;
          continue;
        }
        f->last = std::chrono::steady_clock::now();
        for (int k = i; k < j; ++k) {
          batch->iov[k].iov_len = batch->msgs[k].msg_len;
          batch->msgs[k].msg_hdr.msg_name = nullptr;
          batch->msgs[k].msg_hdr.msg_namelen = 0;
          st.bytes_in += batch->msgs[k].msg_len;
        }
        int sent = ::sendmmsg(f->sock.native_handle(), batch->msgs + i, static_cast<unsigned>(j - i),
                              MSG_DONTWAIT);
        if (sent < j - i) st.errors += static_cast<uint64_t>(j - i - std::max(sent, 0));
        i = j;
      }
      if (n < kUdpBatch) return;
    }
  }

  void sweep(std::chrono::steady_clock::time_point deadline) {
    for (auto it = flows.begin(); it != flows.end();) {
      if (it->second->last < deadline) {
        it->second->close();
        it = flows.erase(it);
      } else {
        ++it;
      }
    }
    st.active = flows.size();
  }

  void close() override {
    closed = true;
    boost::system::error_code ec;
    sock.close(ec);
    for (auto& [k, f] : flows) f->close();
    flows.clear();
    st.active = 0;
  }
};

// Container replies: a batch in, one sendmmsg back to the client.
void Flow::start() {
  auto self = shared_from_this();
  sock.async_wait(udp::socket::wait_read, [self](const boost::system::error_code& ec) {
    if (ec || self->closed || self->port->closed) return;
    UdpBatch* b = self->port->batch;
    for (int round = 0; round < 8; ++round) {
      b->arm(false);
      int n = ::recvmmsg(self->sock.native_handle(), b->msgs, kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;  // ECONNREFUSED is ignored until the timeout, as Docker
      for (int k = 0; k < n; ++k) {
        b->iov[k].iov_len = b->msgs[k].msg_len;
        b->msgs[k].msg_hdr.msg_name = &self->client;
        b->msgs[k].msg_hdr.msg_namelen = sizeof self->client;
        self->port->st.bytes_out += b->msgs[k].msg_len;
      }
      int sent = ::sendmmsg(self->port->sock.native_handle(), b->msgs, static_cast<unsigned>(n),
                            MSG_DONTWAIT);
      if (sent < n) self->port->st.errors += static_cast<uint64_t>(n - std::max(sent, 0));
      self->last = std::chrono::steady_clock::now();
      if (n < kUdpBatch) break;
    }
    self->start();
  });
}

// ------------------------------------------------------------- Proxy ----

// One proxy thread: its own io_context (sockets are registered and used
// only on it, so the reactor needs no locks for I/O; posting from other
// threads stays safe), its epoll set for TCP and ports by container key.
struct Worker {
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  Loop loop{io};
  std::map<std::string, std::vector<std::unique_ptr<PortBase>>> by_key;
  std::thread thread;

  // Runs f on this thread and waits for it.
  template <typename F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }

  void close_key(const std::string& key) {
    auto it = by_key.find(key);
    if (it == by_key.end()) return;
    for (auto& p : it->second) p->close();
    by_key.erase(it);
  }
};

// Threads: each accepts TCP connections from every listener (its own
// descriptor of it, EPOLLEXCLUSIVE); the first owns the UDP ports.
struct Proxy::Impl {
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<asio::steady_timer> sweep_timer;  // on the first thread
  UdpBatch batch;                                    // the first thread's
  std::map<std::string, std::vector<Bound>> bound_by_key;  // Proxy::mu_
  int idle_ms = 90000;

  Worker& first() { return *workers.front(); }

  void schedule_sweep() {
    sweep_timer->expires_after(std::chrono::milliseconds(std::max(idle_ms / 4, 50)));
    sweep_timer->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const auto deadline =
          std::chrono::steady_clock::now() - std::chrono::milliseconds(idle_ms);
      for (auto& [k, ports] : first().by_key) {
        for (auto& p : ports) {
          if (auto* u = dynamic_cast<UdpPort*>(p.get())) u->sweep(deadline);
        }
      }
      schedule_sweep();
    });
  }

  // Closes `key` on every thread: its listeners and the connections each
  // accepted; the first thread (which owns the descriptors) last.
  void close_key(const std::string& key) {
    for (auto it = workers.rbegin(); it != workers.rend(); ++it) {
      auto& w = *it;
      w->call([&] {
        w->close_key(key);
        return 0;
      });
    }
  }
};

Reservation::~Reservation() {
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i].valid()) proxy_->unhold(bound_[i]);
  }
}

Proxy::Proxy(Options opts) : opts_(opts), impl_(std::make_unique<Impl>()) {
  impl_->idle_ms = opts_.udp_idle_timeout_ms;
  int n = opts_.threads > 0 ? opts_.threads : static_cast<int>(std::thread::hardware_concurrency());
  n = std::clamp(n, 1, kMaxThreads);
  if (!opts_.serve) n = 1;  // only holding ports
  for (int i = 0; i < n; ++i) impl_->workers.push_back(std::make_unique<Worker>());
  impl_->sweep_timer = std::make_unique<asio::steady_timer>(impl_->first().io);
  impl_->schedule_sweep();
  for (auto& w : impl_->workers) {
    Worker* wp = w.get();
    w->thread = std::thread([wp] {
      for (;;) {
        try {
          wp->io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("proxy: {}", e.what());
        }
      }
    });
  }
}

Proxy::~Proxy() {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, v] : impl_->bound_by_key) keys.push_back(k);
  }
  for (const auto& k : keys) impl_->close_key(k);
  impl_->first().call([this] {
    impl_->sweep_timer->cancel();
    return 0;
  });
  for (auto& w : impl_->workers) {
    w->work.reset();
    w->io.stop();
    if (w->thread.joinable()) w->thread.join();
  }
  impl_->sweep_timer.reset();
}

bool Proxy::held(int proto, uint32_t ip, int port) {
  auto it = holds_.find({proto, port});
  if (it == holds_.end()) return false;
  for (uint32_t h : it->second) {
    if (h == ip || h == 0 || ip == 0) return true;
  }
  return false;
}

void Proxy::unhold(const Bound& b) {
  std::lock_guard lock(mu_);
  auto it = holds_.find({b.proto, b.host_port});
  if (it == holds_.end()) return;
  auto& v = it->second;
  for (auto i = v.begin(); i != v.end(); ++i) {
    if (*i == b.host_ip) {
      v.erase(i);
      break;
    }
  }
  if (v.empty()) holds_.erase(it);
}

Result<std::unique_ptr<Reservation>> Proxy::reserve(const std::vector<Request>& reqs,
                                                    const std::string& container_ip) {
  std::unique_ptr<Reservation> r(new Reservation(this));
  std::lock_guard lock(mu_);
  auto hold = [&](int proto, uint32_t ip, int port, UniqueFd fd) {
    holds_[{proto, port}].push_back(ip);
    r->bound_.push_back(Bound{proto, ip, port, 0});
    r->fds_.push_back(std::move(fd));
  };
  auto release_all = [&] {
    for (size_t i = 0; i < r->bound_.size(); ++i) {
      auto& v = holds_[{r->bound_[i].proto, r->bound_[i].host_port}];
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (*it == r->bound_[i].host_ip) {
          v.erase(it);
          break;
        }
      }
      if (v.empty()) holds_.erase({r->bound_[i].proto, r->bound_[i].host_port});
      r->fds_[i].reset();
    }
  };
  for (const auto& q : reqs) {
    const std::string ip = ip_text(q.host_ip);
    const std::string proto = proto_text(q.proto);
    if (q.host_port_first == q.host_port_last && q.host_port_first != 0) {
      const int port = q.host_port_first;
      if (held(q.proto, q.host_ip, port)) {
        release_all();
        return internal_error("Bind for " + ip + ":" + std::to_string(port) +
                              " failed: port is already allocated");
      }
      UniqueFd fd;
      if (int err = bind_one(q.proto, q.host_ip, port, fd); err != 0) {
        release_all();
        return internal_error("failed to bind host port for " + ip + ":" + std::to_string(port) +
                              ":" + container_ip + ":" + std::to_string(q.container_port) + "/" +
                              proto + ": " + (err == EADDRINUSE ? "address already in use"
                                                                : std::string(strerror(err))));
      }
      hold(q.proto, q.host_ip, port, std::move(fd));
      r->bound_.back().container_port = q.container_port;
      continue;
    }
    // A range, or any ephemeral port: serially from after the last one
    // chosen for this address and protocol, wrapping once.
    int first = q.host_port_first, last = q.host_port_last;
    const bool ephemeral = first == 0;
    if (ephemeral) {
      first = opts_.ephemeral_first;
      last = opts_.ephemeral_last;
    }
    int& cur = cursor_[{q.proto, q.host_ip}];
    int start = ephemeral && cur >= first && cur < last ? cur + 1 : first;
    bool got = false;
    const int span = last - first + 1;
    for (int k = 0; k < span && !got; ++k) {
      int port = first + (start - first + k) % span;
      if (held(q.proto, q.host_ip, port)) continue;
      UniqueFd fd;
      if (bind_one(q.proto, q.host_ip, port, fd) != 0) continue;
      hold(q.proto, q.host_ip, port, std::move(fd));
      r->bound_.back().container_port = q.container_port;
      if (ephemeral) cur = port;
      got = true;
    }
    if (!got) {
      release_all();
      const std::string range =
          ephemeral ? "" : ":" + std::to_string(first) + "-" + std::to_string(last);
      return internal_error("Bind for " + ip + range + " failed: port is already allocated");
    }
  }
  return r;
}

void Proxy::activate(const std::string& key, std::unique_ptr<Reservation> r,
                     uint32_t container_ip) {
  std::vector<std::pair<Bound, int>> items;
  for (size_t i = 0; i < r->bound_.size(); ++i) {
    items.emplace_back(r->bound_[i], r->fds_[i].release());
  }
  {
    std::lock_guard lock(mu_);
    auto& v = impl_->bound_by_key[key];
    v.insert(v.end(), r->bound_.begin(), r->bound_.end());
  }
  r.reset();
  auto& workers = impl_->workers;
  auto make_tcp = [&](Worker& w, const Bound& b, int fd, bool owner) {
    auto p = std::make_unique<TcpPort>(&w.loop, fd, owner, opts_.serve);
    p->backend_ip = container_ip;
    p->backend_port = b.container_port;
    p->connect_timeout_ms = opts_.connect_timeout_ms;
    p->st.proto = b.proto;
    p->st.host_ip = b.host_ip;
    p->st.host_port = b.host_port;
    return p;
  };
  // The other threads' listeners first (the same descriptors, watched by
  // their epoll sets), then the first thread's, with the UDP ports.
  for (size_t wi = 1; wi < workers.size() && opts_.serve; ++wi) {
    Worker& w = *workers[wi];
    w.call([&] {
      auto& ports = w.by_key[key];
      for (auto& [b, fd] : items) {
        if (b.proto != IPPROTO_TCP) continue;
        ports.push_back(make_tcp(w, b, fd, false));
      }
      return 0;
    });
  }
  Worker& w0 = impl_->first();
  w0.call([&] {
    auto& ports = w0.by_key[key];
    for (auto& [b, fd] : items) {
      if (b.proto == IPPROTO_UDP) {
        auto p = std::make_unique<UdpPort>(w0.io, fd, &impl_->batch);
        p->backend_ip = container_ip;
        p->backend_port = b.container_port;
        p->max_flows = opts_.udp_max_flows;
        p->serve = opts_.serve;
        p->st.proto = b.proto;
        p->st.host_ip = b.host_ip;
        p->st.host_port = b.host_port;
        p->start();
        ports.push_back(std::move(p));
      } else {
        ports.push_back(make_tcp(w0, b, fd, true));
      }
    }
    return 0;
  });
}

void Proxy::release(const std::string& key) {
  std::vector<Bound> freed;
  {
    std::lock_guard lock(mu_);
    auto it = impl_->bound_by_key.find(key);
    if (it == impl_->bound_by_key.end()) return;
    freed = std::move(it->second);
    impl_->bound_by_key.erase(it);
  }
  impl_->close_key(key);
  for (const auto& b : freed) unhold(b);
}

std::vector<PortStats> Proxy::stats() {
  std::vector<PortStats> out;
  std::map<std::tuple<int, uint32_t, int>, size_t> index;
  for (auto& w : impl_->workers) {
    auto part = w->call([&] {
      std::vector<PortStats> v;
      for (auto& [k, ports] : w->by_key) {
        for (auto& p : ports) v.push_back(p->st);
      }
      return v;
    });
    for (const auto& s : part) {
      auto [it, fresh] = index.try_emplace({s.proto, s.host_ip, s.host_port}, out.size());
      if (fresh) {
        out.push_back(s);
        continue;
      }
      PortStats& t = out[it->second];
      t.connections += s.connections;
      t.active += s.active;
      t.bytes_in += s.bytes_in;
      t.bytes_out += s.bytes_out;
      t.errors += s.errors;
    }
  }
  return out;
}

size_t Proxy::port_count() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [k, v] : holds_) n += v.size();
  return n;
}

}  // namespace berth::proxy

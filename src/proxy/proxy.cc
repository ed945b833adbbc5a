// The userland proxy (proxy.h). Everything after reserve() runs on the
// proxy's own thread: listeners, connections and flows are owned there, so
// they need no locks; only the table of held ports is shared (mu_).
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before Asio (PITFALLS.md)

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace berth::proxy {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
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
  if (proto == IPPROTO_TCP) set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
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

struct TcpPort;

// One proxied connection: two sockets, a pipe per direction (used only for
// bulk and for what a destination could not take at once).
struct Conn : std::enable_shared_from_this<Conn> {
  struct Pump {
    UniqueFd pipe_r, pipe_w;
    size_t pending = 0;  // bytes in the pipe
    bool eof = false;    // source ended
    bool done = false;   // EOF passed on
    bool bulk = false;   // splice from the source (a read filled the copy buffer)
    tcp::socket* src = nullptr;
    tcp::socket* dst = nullptr;
    uint64_t* bytes = nullptr;
  };

  Conn(asio::io_context& io, TcpPort* p) : client(io), backend(io), timer(io), port(p) {}
  tcp::socket client, backend;
  asio::steady_timer timer;
  TcpPort* port;
  Pump up, down;  // client → backend, backend → client
  bool closed = false;

  void start_connect(uint32_t ip, int cport, int timeout_ms);
  void on_connected();
  void run(Pump& p);
  void wait_read(Pump& p);
  void finish();
  void close();
};

// A TCP port on one proxy thread. The thread that owns the listener (the
// first) accepts and deals the connections round-robin to every thread's
// TcpPort of the same host port (`shards`, itself first); each serves its
// connections with its own pipes and counters.
struct TcpPort : PortBase {
  TcpPort(asio::io_context& io, int fd, PipePool* pp, char* buf) : io_(io), pipes(pp), copy_buf(buf) {
    if (fd >= 0) {
      acc = std::make_unique<tcp::acceptor>(io);
      boost::system::error_code ec;
      acc->assign(tcp::v4(), fd, ec);
    }
  }
  asio::io_context& io_;
  std::unique_ptr<tcp::acceptor> acc;  // on the owning thread only
  uint32_t backend_ip = 0;
  int backend_port = 0;
  int connect_timeout_ms = 10000;
  bool serve = true;
  bool closed = false;
  PipePool* pipes = nullptr;
  char* copy_buf = nullptr;  // kCopyBuf bytes, this thread's
  std::set<std::shared_ptr<Conn>> conns;
  std::vector<TcpPort*> shards;  // owner: every thread's TcpPort, itself first
  size_t next = 0;

  void start() {
    if (!serve || closed || !acc) return;
    acc->async_wait(tcp::acceptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec || closed) return;
      accept_batch();
      start();
    });
  }

  void accept_batch() {
    std::vector<std::vector<int>> handoff(shards.size());
    for (;;) {
      int fd = ::accept4(acc->native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) ++st.errors;
        break;
      }
      const size_t k = shards.empty() ? 0 : next++ % shards.size();
      if (k == 0) {
        adopt(fd);
      } else {
        handoff[k].push_back(fd);
      }
    }
    for (size_t k = 1; k < handoff.size(); ++k) {
      if (handoff[k].empty()) continue;
      TcpPort* t = shards[k];
      // FIFO per io_context: release() closes this thread's port before any
      // other thread's, so `t` outlives the handler.
      asio::post(t->io_, [t, fds = std::move(handoff[k])] {
        for (int fd : fds) t->adopt(fd);
      });
    }
  }

  void adopt(int fd) {
    if (closed) {
      ::close(fd);
      return;
    }
    set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    auto c = std::make_shared<Conn>(io_, this);
    boost::system::error_code ec;
    c->client.assign(tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      ++st.errors;
      return;
    }
    ++st.connections;
    conns.insert(c);
    st.active = conns.size();
    c->start_connect(backend_ip, backend_port, connect_timeout_ms);
  }

  void close() override {
    closed = true;
    boost::system::error_code ec;
    if (acc) acc->close(ec);
    auto all = std::move(conns);
    for (auto& c : all) c->close();
    st.active = 0;
  }
};

void Conn::start_connect(uint32_t ip, int cport, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ++port->st.errors;
    close();
    return;
  }
  set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  boost::system::error_code ec;
  backend.assign(tcp::v4(), fd, ec);
  sockaddr_in a = sin_of(ip, cport);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc == 0) {
    on_connected();
    return;
  }
  if (errno != EINPROGRESS) {
    ++port->st.errors;
    close();
    return;
  }
  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  auto self = shared_from_this();
  timer.async_wait([self](const boost::system::error_code& e) {
    if (e || self->closed) return;
    spdlog::debug("proxy: connect to backend timed out");
    ++self->port->st.errors;
    self->close();
  });
  backend.async_wait(tcp::socket::wait_write, [self](const boost::system::error_code& e) {
    if (e || self->closed) return;
    self->timer.cancel();
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(self->backend.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      spdlog::debug("proxy: can't forward traffic to backend: {}", strerror(err));
      ++self->port->st.errors;
      self->close();
      return;
    }
    self->on_connected();
  });
}

void Conn::on_connected() {
  for (Pump* p : {&up, &down}) {
    if (!port->pipes->get(p->pipe_r, p->pipe_w)) {
      ++port->st.errors;
      close();
      return;
    }
  }
  up.src = &client;
  up.dst = &backend;
  up.bytes = &port->st.bytes_in;
  down.src = &backend;
  down.dst = &client;
  down.bytes = &port->st.bytes_out;
  run(up);
  if (!closed) run(down);
}

void Conn::wait_read(Pump& p) {
  p.src->async_wait(tcp::socket::wait_read,
                    [self = shared_from_this(), &p](const boost::system::error_code& ec) {
                      if (!ec) self->run(p);
                    });
}

// Moves what is readable from p.src to p.dst until one side would block;
// then waits for that side only. Small reads are copied (recv, send); what
// the destination does not take goes to the pipe, and a read that fills the
// copy buffer switches the direction to splice (source → pipe → destination).
// A full destination stops reading the source: that is the backpressure.
void Conn::run(Pump& p) {
  if (closed) return;
  for (int round = 0; round < kSpliceRounds; ++round) {
    if (p.pending > 0) {
      ssize_t n = ::splice(p.pipe_r.get(), nullptr, p.dst->native_handle(), nullptr, p.pending,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        p.pending -= static_cast<size_t>(n);
        *p.bytes += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        p.dst->async_wait(tcp::socket::wait_write,
                          [self = shared_from_this(), &p](const boost::system::error_code& ec) {
                            if (!ec) self->run(p);
                          });
        return;
      }
      ++port->st.errors;  // EPIPE/ECONNRESET: the destination is gone
      close();
      return;
    }
    if (p.eof) {
      ::shutdown(p.dst->native_handle(), SHUT_WR);  // half-close passed on
      p.done = true;
      finish();
      return;
    }
    ssize_t n;
    if (!p.bulk) {
      n = ::recv(p.src->native_handle(), port->copy_buf, kCopyBuf, MSG_DONTWAIT);
      if (n > 0) {
        const auto got = static_cast<size_t>(n);
        size_t sent = 0;
        for (;;) {
          ssize_t m = ::send(p.dst->native_handle(), port->copy_buf + sent, got - sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
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
          ssize_t w = ::write(p.pipe_w.get(), port->copy_buf + sent, got - sent);
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
        // A short read took everything queued; more data or EOF is a new
        // edge, so wait without another recv that would say EAGAIN.
        wait_read(p);
        return;
      }
    } else {
      n = ::splice(p.src->native_handle(), nullptr, p.pipe_w.get(), nullptr, kPipeSize,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
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
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_read(p);
      return;
    }
    ++port->st.errors;  // ECONNRESET
    close();
    return;
  }
  // Busy connection: let the others run, then continue.
  asio::post(client.get_executor(), [self = shared_from_this(), &p] { self->run(p); });
}

void Conn::finish() {
  if (up.done && down.done) close();
}

void Conn::close() {
  if (closed) return;
  closed = true;
  boost::system::error_code ec;
  timer.cancel();
  client.close(ec);
  backend.close(ec);
  if (!port->closed) {
    port->pipes->put(up.pipe_r, up.pipe_w, up.pending);
    port->pipes->put(down.pipe_r, down.pipe_w, down.pending);
    port->conns.erase(shared_from_this());
    port->st.active = port->conns.size();
  }
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
// threads stays safe), pipes, copy buffer and ports by container key.
struct Worker {
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  PipePool pipes;
  std::vector<char> copy_buf = std::vector<char>(kCopyBuf);
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

// Threads: the first owns every listener and UDP port (and accepts); TCP
// connections are dealt to all of them.
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

  // Closes `key` everywhere: the owning thread first (no more connections
  // are dealt after it), then the others (FIFO: dealt ones are adopted and
  // closed).
  void close_key(const std::string& key) {
    for (auto& w : workers) {
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
  auto make_tcp = [&](Worker& w, const Bound& b, int fd) {
    auto p = std::make_unique<TcpPort>(w.io, fd, &w.pipes, w.copy_buf.data());
    p->backend_ip = container_ip;
    p->backend_port = b.container_port;
    p->connect_timeout_ms = opts_.connect_timeout_ms;
    p->serve = opts_.serve;
    p->st.proto = b.proto;
    p->st.host_ip = b.host_ip;
    p->st.host_port = b.host_port;
    return p;
  };
  // The other threads' TcpPorts first (they only serve dealt connections),
  // then the owning thread's listeners.
  std::vector<std::vector<TcpPort*>> shards(items.size());
  for (size_t wi = 1; wi < workers.size() && opts_.serve; ++wi) {
    Worker& w = *workers[wi];
    w.call([&] {
      auto& ports = w.by_key[key];
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].first.proto != IPPROTO_TCP) continue;
        auto p = make_tcp(w, items[i].first, -1);
        shards[i].push_back(p.get());
        ports.push_back(std::move(p));
      }
      return 0;
    });
  }
  Worker& w0 = impl_->first();
  w0.call([&] {
    auto& ports = w0.by_key[key];
    for (size_t i = 0; i < items.size(); ++i) {
      auto& [b, fd] = items[i];
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
        auto p = make_tcp(w0, b, fd);
        p->shards.push_back(p.get());
        p->shards.insert(p->shards.end(), shards[i].begin(), shards[i].end());
        p->start();
        ports.push_back(std::move(p));
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

#include <utility>  // before Asio (g++ 12, awaitable.hpp)

#include "lb/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include "lb/balancer.h"
#include "lb/dns_query.h"
#include "lb/http1.h"

namespace berth::lb {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Every I/O object and coroutine names the io_context's own executor type
// rather than asio::any_io_executor: no type-erased executor is built,
// copied and destroyed on each asynchronous operation of the request path.
using Exec = asio::io_context::executor_type;
template <class T>
using awaitable = asio::awaitable<T, Exec>;
using Socket = asio::basic_stream_socket<tcp, Exec>;
using Acceptor = asio::basic_socket_acceptor<tcp, Exec>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Exec>;
const asio::use_awaitable_t<Exec> use_aw{};

namespace {

// Deadlines and fail_timeout are in milliseconds and checked by a 250 ms
// sweep: the coarse monotonic clock (the last tick, no clock read) is enough,
// and it is read several times per request.
int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void log_error(const std::string& m) {
  // error_log: stderr (the service manager's journal), like `nginx -g 'daemon off;'`
  std::cerr << "berth-lb: [error] " << m << "\n";
}

constexpr size_t kBuf = 16 * 1024;

// One sendmsg of a then b, without waiting: the bytes the socket took (0 when
// it is full); a real error lands in ec. A head and a small body nearly always
// fit, and then no asynchronous operation is started at all.
template <class S>
size_t send_now(S& s, std::string_view a, std::string_view b, error_code& ec) {
  iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = b.empty() ? 1 : 2;
  for (;;) {
    ssize_t n = ::sendmsg(s.native_handle(), &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, asio::error::get_system_category());
    return 0;
  }
}

// What send_now left of a then b after n bytes.
std::array<asio::const_buffer, 2> unsent(std::string_view a, std::string_view b, size_t n) {
  if (n < a.size()) return {asio::buffer(a.data() + n, a.size() - n), asio::buffer(b.data(), b.size())};
  n -= a.size();
  return {asio::buffer(b.data() + n, b.size() - n), asio::const_buffer()};
}

}  // namespace

// ---------------------------------------------------------------- listeners
Result<int> Listeners::get(uint32_t addr, uint16_t port, int index, int backlog) {
  std::lock_guard lk(mu_);
  auto key = std::make_tuple(addr, port, index);
  auto it = fds_.find(key);
  if (it == fds_.end()) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return internal_error(std::string("socket() failed: ") + strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(addr);
    std::string where = format_ipv4(addr) + ":" + std::to_string(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int e = errno;
      close(fd);
      return unavailable("bind() to " + where + " failed (" + std::to_string(e) + ": " + strerror(e) + ")");
    }
    if (listen(fd, backlog) != 0) {
      int e = errno;
      close(fd);
      return unavailable("listen() to " + where + " failed (" + std::to_string(e) + ": " + strerror(e) + ")");
    }
    it = fds_.emplace(key, fd).first;
  }
  int d = fcntl(it->second, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return internal_error(std::string("dup failed: ") + strerror(errno));
  return d;
}

void Listeners::retain(const Config& cfg) {
  std::lock_guard lk(mu_);
  for (auto it = fds_.begin(); it != fds_.end();) {
    auto [addr, port, index] = it->first;
    bool used = index < cfg.workers && std::any_of(cfg.servers.begin(), cfg.servers.end(), [&](const Server& s) {
                  return std::any_of(s.listens.begin(), s.listens.end(),
                                     [&](const Listen& l) { return l.addr == addr && l.port == port; });
                });
    if (!used) {
      close(it->second);
      it = fds_.erase(it);
    } else {
      ++it;
    }
  }
}

Listeners::~Listeners() {
  for (auto& [k, fd] : fds_) close(fd);
}

// ---------------------------------------------------------------- generation
struct UpstreamRt {
  const Upstream* cfg = nullptr;
  std::atomic<uint64_t> rr{0}, rr_backup{0};
  std::atomic<uint64_t> version{1};
  std::mutex mu;
  std::shared_ptr<const PoolSnapshot> snap;  // guarded by mu
  std::vector<std::vector<std::shared_ptr<PeerState>>> by_server;  // control thread (and start)
  const Location* health = nullptr;
  std::vector<int> hc_fails, hc_passes;  // control thread, by peer id
  int64_t next_resolve_ms = 0;
  int64_t next_health_ms = 0;

  std::shared_ptr<const PoolSnapshot> current() {
    std::lock_guard lk(mu);
    return snap;
  }
};

class Worker;

class Generation {
 public:
  std::shared_ptr<const Config> cfg;
  std::vector<std::unique_ptr<UpstreamRt>> ups;
  std::mutex peers_mu;
  std::vector<std::shared_ptr<PeerState>> peers;  // every peer ever made, id = index
  std::vector<std::unique_ptr<Worker>> workers;
  std::thread control;
  std::atomic<bool> stop_control{false};
  std::atomic<int> running{0};
  std::atomic<uint64_t> accepted{0}, handled{0};

  std::shared_ptr<PeerState> new_peer(const UpstreamServer& s, uint32_t addr) {
    auto p = std::make_shared<PeerState>();
    p->addr = addr;
    p->port = s.port;
    p->weight = s.weight;
    p->max_fails = s.max_fails;
    p->fail_timeout_ms = s.fail_timeout_s * 1000;
    p->backup = s.backup;
    p->down = s.down;
    p->name = format_ipv4(addr) + ":" + std::to_string(s.port);
    std::lock_guard lk(peers_mu);
    p->id = static_cast<uint32_t>(peers.size());
    peers.push_back(p);
    return p;
  }

  void publish(UpstreamRt& u) {
    std::vector<std::shared_ptr<PeerState>> all;
    for (auto& v : u.by_server)
      for (auto& p : v) all.push_back(p);
    auto s = PoolSnapshot::make(std::move(all));
    {
      std::lock_guard lk(u.mu);
      u.snap = std::move(s);
    }
    u.version.fetch_add(1, std::memory_order_release);
  }

  std::string metrics();
  void control_loop();
};

struct UpConn {
  explicit UpConn(asio::io_context& io) : sock(io) {}
  Socket sock;
  PeerState* peer = nullptr;
  bool connecting = false;  // async_connect in progress
  char buf[kBuf];
  size_t beg = 0, end = 0;
};

struct ClientConn {
  explicit ClientConn(Socket s) : sock(std::move(s)) {}
  Socket sock;
  std::unique_ptr<char[]> buf{new char[kBuf]};
  size_t beg = 0, end = 0;
  uint32_t ip = 0;
  uint16_t local_port = 0;
  std::string ip_text;
  std::string out;  // head being written
  // Per-request state of proxy(), here rather than in its coroutine frame:
  // Asio recycles frame memory only up to 1020 bytes; above that each
  // request costs a malloc and a free outside glibc's per-thread cache
  // (the response head alone is 2 KB).
  http1::Head resp;
  http1::ChunkedScanner chunk, rchunk;  // request and response bodies
  PickContext pc;
  int64_t deadline = 0;
  bool idle = true;  // waiting for a new request, nothing read
  UpConn* up = nullptr;
  ClientConn *prev = nullptr, *next = nullptr;
};

class Worker {
 public:
  static constexpr uint32_t kMaxStats = 4096;
  // Snapshots in use by this thread's requests: a thread-local count instead
  // of copying the shared_ptr (an atomic on a line every thread touches).
  struct LocalSnap {
    std::shared_ptr<const PoolSnapshot> snap;
    uint64_t version = 0;
    int refs = 0;
  };
  uint64_t counter(uint32_t id, Counter k) const {
    return id < kMaxStats ? stats_[id].v[k].load(std::memory_order_relaxed) : 0;
  }

  // Each socket is only ever touched by this worker's thread: the reactor's
  // per-descriptor locking is switched off (the scheduler keeps its lock for
  // drain()'s post and stop() from the main thread).
  Worker(Generation& g, int index)
      : g_(g), index_(index), ioc_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), sweep_(ioc_) {
    rng_ = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
    current_.resize(g.ups.size());
  }

  struct Bound {
    std::unique_ptr<Acceptor> acc;
    std::vector<const Server*> servers;
  };

  Result<bool> bind(Listeners& ls) {
    const Config& c = *g_.cfg;
    for (const auto& s : c.servers) {
      for (const auto& l : s.listens) {
        Bound* b = nullptr;
        for (auto& x : bound_)
          if (x.addr == l.addr && x.port == l.port) b = &x.b;
        if (!b) {
          auto fd = ls.get(l.addr, l.port, index_, l.backlog);
          if (!fd) return fd.error();
          bound_.push_back({l.addr, l.port, {}});
          b = &bound_.back().b;
          b->acc = std::make_unique<Acceptor>(ioc_, tcp::v4(), *fd);
        }
        if (l.default_server)
          b->servers.insert(b->servers.begin(), &s);
        else
          b->servers.push_back(&s);
      }
    }
    return true;
  }

  void start() {
    for (auto& x : bound_) asio::co_spawn(ioc_, accept_loop(x.b), asio::detached);
    arm_sweep();
    g_.running.fetch_add(1);
    thread_ = std::thread([this] {
      try {
        ioc_.run();
      } catch (const std::exception& e) {
        log_error(std::string("worker: ") + e.what());
      }
      for (auto& v : pool_) v.clear();
      g_.running.fetch_sub(1);
    });
  }

  void drain() {
    asio::post(ioc_, [this] {
      draining_ = true;
      drain_since_ = now_ms();
      for (auto& x : bound_) {
        error_code ec;
        x.b.acc->close(ec);
      }
      maybe_finish();
    });
  }
  void stop() { ioc_.stop(); }
  ~Worker() {
    join();
    dying_ = true;  // the coroutines destroyed with ioc_ must not touch sweep_
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct BoundAt {
    uint32_t addr;
    uint16_t port;
    Bound b;
  };

  void maybe_finish() {
    if (draining_ && live_ == 0) {
      sweep_.cancel();
      for (auto& v : pool_) v.clear();
      ioc_.stop();
    }
  }

  void arm_sweep() {
    sweep_.expires_after(std::chrono::milliseconds(250));
    sweep_.async_wait([this](error_code ec) {
      if (ec) return;
      int64_t now = now_ms();
      for (ClientConn* c = head_; c; c = c->next) {
        bool expire = now > c->deadline || (draining_ && c->idle && now > drain_since_ + 1000);
        if (expire) {
          error_code e;
          c->sock.close(e);
          if (c->up) c->up->sock.close(e);
        } else if (c->up && c->up->connecting && !c->up->peer->member.load(std::memory_order_relaxed)) {
          // The server left the pool (its name no longer resolves to it)
          // while we wait for its SYN-ACK: a stopped container's address
          // answers nothing until ARP gives up (3 s). Abandon the attempt;
          // the request goes to the next server as after a failed connect.
          error_code e;
          c->up->sock.close(e);
        }
      }
      if (!(draining_ && live_ == 0)) arm_sweep();
    });
  }

  awaitable<void> accept_loop(Bound& b) {
    for (;;) {
      error_code ec;
      Socket s = co_await b.acc->async_accept(asio::redirect_error(use_aw, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !b.acc->is_open()) co_return;
        if (ec == asio::error::no_descriptors) {
          Timer t(ioc_, std::chrono::milliseconds(50));
          co_await t.async_wait(asio::redirect_error(use_aw, ec));
        }
        continue;
      }
      if (live_ >= g_.cfg->worker_connections) continue;  // closes s
      g_.accepted.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(ioc_, serve(std::move(s), &b), [](std::exception_ptr e) {
        if (e) try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            log_error(std::string("connection: ") + x.what());
          }
      });
    }
  }

  void link(ClientConn* c) {
    c->next = head_;
    if (head_) head_->prev = c;
    head_ = c;
    ++live_;
  }
  void unlink(ClientConn* c) {
    if (c->prev) c->prev->next = c->next;
    else head_ = c->next;
    if (c->next) c->next->prev = c->prev;
    --live_;
    if (!dying_) maybe_finish();
  }

  const Server* pick_server(const Bound& b, const http1::Head& req) {
    if (b.servers.size() == 1) return b.servers[0];
    std::string_view host;
    for (int i = 0; i < req.n_headers; ++i)
      if (http1::iequals(req.headers[i].name, "host")) host = req.headers[i].value;
    if (auto c = host.find(':'); c != std::string_view::npos) host = host.substr(0, c);
    for (const Server* s : b.servers)
      for (const auto& n : s->names)
        if (http1::iequals(n, host)) return s;
    return b.servers[0];
  }

  static const Location* pick_location(const Server& s, std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    const Location* best = nullptr;
    for (const auto& l : s.locations) {
      if (l.exact) {
        if (path == l.path) return &l;
      } else if (path.substr(0, l.path.size()) == l.path && (!best || l.path.size() > best->path.size())) {
        best = &l;
      }
    }
    return best;
  }

  static const char* reason(int code) {
    switch (code) {
      case 200: return "OK";
      case 204: return "No Content";
      case 301: return "Moved Permanently";
      case 302: return "Found";
      case 400: return "Bad Request";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 408: return "Request Time-out";
      case 413: return "Request Entity Too Large";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 501: return "Not Implemented";
      case 502: return "Bad Gateway";
      case 503: return "Service Temporarily Unavailable";
      case 504: return "Gateway Time-out";
      default: return "";
    }
  }

  // A complete response of our own; false if the client went away.
  awaitable<bool> respond(ClientConn& c, int code, std::string_view body, std::string_view type, bool close,
                          bool head_only = false) {
    c.out.clear();
    c.out += "HTTP/1.1 ";
    c.out += std::to_string(code);
    c.out += ' ';
    c.out += reason(code);
    c.out += "\r\nServer: berth-lb\r\nContent-Type: ";
    c.out += type;
    c.out += "\r\nContent-Length: ";
    c.out += std::to_string(body.size());
    if ((code == 301 || code == 302) && !body.empty()) {
      c.out += "\r\nLocation: ";
      c.out += body;
    }
    c.out += close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
    if (!head_only) c.out += body;
    error_code ec;
    co_await asio::async_write(c.sock, asio::buffer(c.out), asio::redirect_error(use_aw, ec));
    co_return !ec;
  }

  awaitable<bool> error_page(ClientConn& c, int code) {
    std::string body = "<html>\r\n<head><title>" + std::to_string(code) + " " + reason(code) +
                       "</title></head>\r\n<body>\r\n<center><h1>" + std::to_string(code) + " " + reason(code) +
                       "</h1></center>\r\n<hr><center>berth-lb</center>\r\n</body>\r\n</html>\r\n";
    co_return co_await respond(c, code, body, "text/html", true);
  }

  // Before reading what a peer will send in answer to what we just sent: let
  // the other ready connections go first. By then the answer has mostly
  // arrived and Asio's speculative read gets it at once; read at once it
  // would mostly be a recv() that fails with EAGAIN and then a wait in epoll.
  auto let_peer_run() { return asio::post(ioc_.get_executor(), use_aw); }

  // Makes room at the end of c.buf (compacting first); false when it is full.
  static bool make_room(ClientConn& c) {
    if (c.beg == c.end) c.beg = c.end = 0;
    if (c.end == kBuf && c.beg > 0) {
      memmove(c.buf.get(), c.buf.get() + c.beg, c.end - c.beg);
      c.end -= c.beg;
      c.beg = 0;
    }
    return c.end < kBuf;
  }

  // Reads more client bytes into c.buf after make_room(): Asio's awaitable
  // itself, not a coroutine of our own (a coroutine frame is a malloc).
  // Returns how many bytes, 0 on EOF or error.
  auto read_more(ClientConn& c, int64_t timeout_ms, error_code& ec) {
    c.deadline = now_ms() + timeout_ms;
    return c.sock.async_read_some(asio::buffer(c.buf.get() + c.end, kBuf - c.end), asio::redirect_error(use_aw, ec));
  }

  awaitable<void> serve(Socket s, const Bound* b) {
    ClientConn c(std::move(s));
    link(&c);
    struct Unlink {
      Worker* w;
      ClientConn* c;
      ~Unlink() { w->unlink(c); }
    } unlinker{this, &c};
    error_code ec;
    c.sock.set_option(tcp::no_delay(true), ec);
    auto rep = c.sock.remote_endpoint(ec);
    if (ec) co_return;
    c.ip = rep.address().to_v4().to_uint();
    c.ip_text = rep.address().to_string();
    c.local_port = c.sock.local_endpoint(ec).port();
    c.out.reserve(2048);
    int64_t keepalive_ms = int64_t{g_.cfg->keepalive_timeout_s} * 1000;
    int served = 0;
    http1::Head req;
    for (;;) {
      // ---- request head
      c.idle = (c.beg == c.end);
      if (c.idle && served > 0) co_await let_peer_run();
      http1::Parse r = http1::Parse::kIncomplete;
      for (;;) {
        if (c.end > c.beg) {
          r = http1::parse_request({c.buf.get() + c.beg, c.end - c.beg}, req);
          if (r != http1::Parse::kIncomplete) break;
          if (c.end - c.beg >= kBuf) {
            r = http1::Parse::kError;
            break;
          }
        }
        if (!make_room(c)) co_return;
        size_t n = co_await read_more(c, c.idle && served > 0 ? keepalive_ms : 60000, ec);
        if (ec || n == 0) co_return;
        c.end += n;
        c.idle = false;
      }
      c.idle = false;
      if (r == http1::Parse::kError) {
        co_await error_page(c, req.head_len == 0 && req.error && strcmp(req.error, "head too large") == 0 ? 431 : 400);
        co_return;
      }
      ++served;
      g_.handled.fetch_add(1, std::memory_order_relaxed);
      bool close = req.conn_close || draining_ || served >= g_.cfg->keepalive_requests;
      const Server* srv = pick_server(*b, req);
      const Location* loc = pick_location(*srv, req.target);
      bool has_body = req.chunked || req.content_length > 0;
      bool ok;
      if (!loc || loc->return_code || loc->status) {
        // our own answer; a request body is not read: close afterwards
        if (has_body) close = true;
        int code = loc ? loc->return_code : 404;
        c.beg += req.head_len;
        bool head_only = req.method == "HEAD";
        if (loc && loc->status) {
          std::string m = g_.metrics();
          ok = co_await respond(c, 200, m, "text/plain; version=0.0.4", close, head_only);
        } else if (code >= 400 && (!loc || loc->return_text.empty())) {
          ok = co_await error_page(c, code);
          close = true;
        } else {
          ok = co_await respond(c, code, loc->return_text, "text/plain", close, head_only);
        }
      } else {
        ok = co_await proxy(c, req, *loc, close);
      }
      if (!ok || close) co_return;
    }
  }

  LocalSnap* acquire(size_t ui) {
    UpstreamRt& u = *g_.ups[ui];
    auto& cur = current_[ui];
    uint64_t v = u.version.load(std::memory_order_acquire);
    if (!cur || v != cur->version) {
      if (cur && cur->refs > 0) retired_.push_back(std::move(cur));
      cur = std::make_unique<LocalSnap>();
      cur->snap = u.current();
      cur->version = v;
    }
    ++cur->refs;
    return cur.get();
  }
  void release(LocalSnap* l) {
    if (--l->refs > 0) return;
    for (size_t i = 0; i < retired_.size(); ++i)
      if (retired_[i].get() == l) {
        retired_.erase(retired_.begin() + static_cast<long>(i));
        return;
      }
  }
  void add(PeerState* p, Counter k, uint64_t n = 1) {
    if (p->id < kMaxStats) stats_[p->id].add(k, n);
    else p->overflow.v[k].fetch_add(n, std::memory_order_relaxed);
  }

  size_t upstream_index(const std::string& name) const {
    for (size_t i = 0; i < g_.ups.size(); ++i)
      if (g_.ups[i]->cfg->name == name) return i;
    return 0;
  }

  std::unique_ptr<UpConn> take_pooled(PeerState* p) {
    if (p->id < pool_.size() && !pool_[p->id].empty()) {
      auto u = std::move(pool_[p->id].back());
      pool_[p->id].pop_back();
      return u;
    }
    return nullptr;
  }
  void give_back(std::unique_ptr<UpConn> u, int keepalive) {
    uint32_t id = u->peer->id;
    if (id >= pool_.size()) pool_.resize(id + 1);
    if (draining_ || !u->peer->member.load(std::memory_order_relaxed) ||
        pool_[id].size() >= static_cast<size_t>(keepalive))
      return;  // closes
    u->beg = u->end = 0;
    pool_[id].push_back(std::move(u));
  }

  void expand(std::string& out, std::string_view v, const ClientConn& c, const http1::Head& req,
              const std::string& upstream, std::string_view host, std::string_view xff) {
    size_t i = 0;
    while (i < v.size()) {
      if (v[i] != '$') {
        out += v[i++];
        continue;
      }
      size_t j = i + 1;
      while (j < v.size() && (isalnum(static_cast<unsigned char>(v[j])) || v[j] == '_')) ++j;
      std::string_view var = v.substr(i + 1, j - i - 1);
      if (var == "host") {
        std::string_view h = host.substr(0, host.find(':'));
        for (char ch : h) out += static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      } else if (var == "http_host") {
        out += host;
      } else if (var == "remote_addr") {
        out += c.ip_text;
      } else if (var == "proxy_add_x_forwarded_for") {
        if (!xff.empty()) {
          out += xff;
          out += ", ";
        }
        out += c.ip_text;
      } else if (var == "scheme") {
        out += "http";
      } else if (var == "proxy_host") {
        out += upstream;
      } else if (var == "request_uri") {
        out += req.target;
      } else if (var == "server_port") {
        out += std::to_string(c.local_port);
      } else if (var.substr(0, 5) == "http_") {
        std::string_view want = var.substr(5);
        for (int k = 0; k < req.n_headers; ++k) {
          std::string_view n = req.headers[k].name;
          if (n.size() != want.size()) continue;
          bool eq = true;
          for (size_t q = 0; q < n.size() && eq; ++q) {
            char a = static_cast<char>(tolower(static_cast<unsigned char>(n[q])));
            if (a == '-') a = '_';
            eq = a == want[q];
          }
          if (eq) {
            out += req.headers[k].value;
            break;
          }
        }
      }
      i = j;
    }
  }

  // Builds the upstream request head into c.out.
  void build_request(ClientConn& c, const http1::Head& req, const Location& loc) {
    std::string& o = c.out;
    o.clear();
    o += req.method;
    o += ' ';
    if (loc.proxy_uri) {
      o += *loc.proxy_uri;
      o += req.target.substr(std::min(loc.path.size(), req.target.size()));
    } else {
      o += req.target;
    }
    // An HTTP/1.0 client cannot read chunked bodies: ask the upstream in
    // HTTP/1.0 too (keep-alive kept explicitly), so it never chunks.
    o += req.version_minor == 0 ? " HTTP/1.0\r\nConnection: keep-alive\r\n" : " HTTP/1.1\r\n";
    std::string_view host, xff;
    for (int i = 0; i < req.n_headers; ++i) {
      if (http1::iequals(req.headers[i].name, "host")) host = req.headers[i].value;
      else if (http1::iequals(req.headers[i].name, "x-forwarded-for")) xff = req.headers[i].value;
    }
    bool set_host = false, set_xff = false;
    for (const auto& h : loc.set_headers) {
      if (http1::iequals(h.name, "host")) set_host = true;
      if (http1::iequals(h.name, "x-forwarded-for")) set_xff = true;
    }
    if (!set_host) {
      o += "Host: ";
      o += loc.upstream;  // nginx's default: $proxy_host
      o += "\r\n";
    }
    for (int i = 0; i < req.n_headers; ++i) {
      const auto& h = req.headers[i];
      if (http1::is_hop_by_hop(h.name) || http1::iequals(h.name, "host") ||
          http1::iequals(h.name, "x-forwarded-for") || (req.expect_continue && http1::iequals(h.name, "expect")))
        continue;
      bool overridden = false;
      for (const auto& s : loc.set_headers)
        if (http1::iequals(s.name, h.name)) overridden = true;
      if (overridden) continue;
      o += h.name;
      o += ": ";
      o += h.value;
      o += "\r\n";
    }
    for (const auto& s : loc.set_headers) {
      if (http1::iequals(s.name, "connection")) continue;  // upstream connections are ours to keep alive
      size_t mark = o.size();
      o += s.name;
      o += ": ";
      size_t vstart = o.size();
      expand(o, s.value, c, req, loc.upstream, host, xff);
      if (o.size() == vstart) {
        o.resize(mark);  // nginx: an empty value removes the header
        continue;
      }
      o += "\r\n";
    }
    if (!set_xff) {
      o += "X-Forwarded-For: ";
      if (!xff.empty()) {
        o += xff;
        o += ", ";
      }
      o += c.ip_text;
      o += "\r\n";
    }
    o += "\r\n";
  }

  awaitable<std::unique_ptr<UpConn>> connect(PeerState* p, const Location& loc, ClientConn& c, error_code& ec) {
    auto u = std::make_unique<UpConn>(ioc_);
    u->peer = p;
    p->connects.fetch_add(1, std::memory_order_relaxed);
    c.up = u.get();
    c.deadline = now_ms() + loc.connect_timeout_ms;
    tcp::endpoint ep(asio::ip::address_v4(p->addr), p->port);
    u->connecting = true;
    co_await u->sock.async_connect(ep, asio::redirect_error(use_aw, ec));
    u->connecting = false;
    c.up = nullptr;
    if (!ec) {
      error_code e2;
      u->sock.set_option(tcp::no_delay(true), e2);
    }
    co_return u;
  }

  // Streams the rest of a request body from the client to the upstream.
  awaitable<bool> stream_request_body(ClientConn& c, UpConn& u, int64_t& cl_left, http1::ChunkedScanner* chunk,
                                      int64_t timeout_ms) {
    error_code ec;
    while (chunk ? !chunk->done() : cl_left > 0) {
      if (c.beg == c.end) {
        if (!make_room(c)) co_return false;
        size_t n = co_await read_more(c, timeout_ms, ec);
        if (ec || n == 0) co_return false;
        c.end += n;
      }
      std::string_view avail(c.buf.get() + c.beg, c.end - c.beg);
      size_t take;
      if (chunk) {
        take = chunk->feed(avail);
        if (chunk->error()) co_return false;
      } else {
        take = static_cast<size_t>(std::min<int64_t>(cl_left, static_cast<int64_t>(avail.size())));
        cl_left -= static_cast<int64_t>(take);
      }
      size_t piece_now = send_now(u.sock, {avail.data(), take}, {}, ec);
      if (!ec && piece_now < take) {
        c.up = &u;
        c.deadline = now_ms() + timeout_ms;
        co_await asio::async_write(u.sock, asio::buffer(avail.data() + piece_now, take - piece_now),
                                   asio::redirect_error(use_aw, ec));
        c.up = nullptr;
      }
      if (ec) co_return false;
      c.beg += take;
    }
    co_return true;
  }

  static bool idempotent(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
  }

  enum class Streamed { kAll, kUpstreamEnded, kClientGone };

  // Relays the rest of a response body that did not come with its head (a
  // coroutine of its own, so that proxy()'s frame, allocated per request,
  // stays small). kUpstreamEnded: a body read until close has ended, or a
  // chunked body was malformed; the connection is not reused.
  awaitable<Streamed> stream_response_body(ClientConn& c, UpConn& u, const Location& loc, PeerState& p, bool chunked,
                                           bool until_close, int64_t rleft, uint64_t& sent) {
    http1::ChunkedScanner& rchunk = c.rchunk;
    error_code ec;
    for (;;) {
      bool done = chunked ? rchunk.done() : (!until_close && rleft == 0);
      if (done) co_return Streamed::kAll;
      if (chunked && rchunk.error()) co_return Streamed::kUpstreamEnded;
      u.beg = u.end = 0;
      c.up = &u;
      c.deadline = now_ms() + loc.read_timeout_ms;
      size_t n = co_await u.sock.async_read_some(asio::buffer(u.buf, kBuf), asio::redirect_error(use_aw, ec));
      c.up = nullptr;
      if (ec || n == 0) {
        if (!until_close) {
          log_error("upstream prematurely closed connection while reading upstream from " + p.name);
          co_return Streamed::kClientGone;  // the client sees a truncated body: close it
        }
        co_return Streamed::kUpstreamEnded;
      }
      u.end = n;
      std::string_view piece(u.buf, n);
      size_t take;
      if (chunked) {
        take = rchunk.feed(piece);
        if (rchunk.error()) co_return Streamed::kClientGone;
      } else if (until_close) {
        take = n;
      } else {
        take = static_cast<size_t>(std::min<int64_t>(rleft, static_cast<int64_t>(n)));
        rleft -= static_cast<int64_t>(take);
      }
      u.beg = take;
      size_t piece_now = send_now(c.sock, {u.buf, take}, {}, ec);
      if (!ec && piece_now < take) {
        c.deadline = now_ms() + 60000;
        co_await asio::async_write(c.sock, asio::buffer(u.buf + piece_now, take - piece_now),
                                   asio::redirect_error(use_aw, ec));
      }
      if (ec) co_return Streamed::kClientGone;
      sent += take;
    }
  }

  awaitable<bool> proxy(ClientConn& c, const http1::Head& req, const Location& loc, bool& close) {
    size_t ui = upstream_index(loc.upstream);
    UpstreamRt& ur = *g_.ups[ui];
    LocalSnap* ls = acquire(ui);  // keeps the snapshot alive for this request
    struct Release {
      Worker* w;
      LocalSnap* l;
      ~Release() { w->release(l); }
    } rel{this, ls};
    const PoolSnapshot* snap = ls->snap.get();
    const bool track_active = ur.cfg->policy == Policy::kLeastConn || ur.cfg->policy == Policy::kRandomTwo;
    if (req.expect_continue && req.version_minor == 1) {
      static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      error_code ec;
      co_await asio::async_write(c.sock, asio::buffer(k100.data(), k100.size()),
                                 asio::redirect_error(use_aw, ec));
      if (ec) co_return false;
    }
    build_request(c, req, loc);
    // Body bytes already read, and whether the whole body is in the buffer.
    std::string_view after(c.buf.get() + c.beg + req.head_len, c.end - c.beg - req.head_len);
    http1::ChunkedScanner& chunk = c.chunk;
    chunk = {};
    int64_t cl_left = 0;
    size_t first_body;
    if (req.chunked) {
      first_body = chunk.feed(after);
      if (chunk.error()) {
        co_await error_page(c, 400);
        co_return false;
      }
    } else {
      cl_left = req.content_length > 0 ? req.content_length : 0;
      first_body = static_cast<size_t>(std::min<int64_t>(cl_left, static_cast<int64_t>(after.size())));
      cl_left -= static_cast<int64_t>(first_body);
    }
    bool whole = req.chunked ? chunk.done() : cl_left == 0;
    const char* body0 = after.data();
    c.beg += req.head_len + first_body;  // the bytes stay in place until the next read

    bool may_retry_method = idempotent(req.method) || loc.next_non_idempotent;
    bool head_req = req.method == "HEAD";
    PickContext& pc = c.pc;
    pc = {};
    pc.rr = &ur.rr;
    pc.rr_backup = &ur.rr_backup;
    pc.client_ip = c.ip;
    int tries = 0, stale_retries = 0;
    int last_error = 502;
    const int max_tries = static_cast<int>(snap->primary.size() + snap->backup.size());
    while (tries < max_tries) {
      pc.now_ms = now_ms();
      rng_ ^= rng_ << 13;
      rng_ ^= rng_ >> 7;
      rng_ ^= rng_ << 17;
      pc.random = rng_;
      PeerState* p = pick(ur.cfg->policy, *snap, pc);
      if (!p) break;
      ++tries;
      pc.tried |= uint64_t{1} << (p->id % 64);
      std::unique_ptr<UpConn> u = take_pooled(p);
      bool reused = u != nullptr;
      error_code ec;
      if (!u) {
        u = co_await connect(p, loc, c, ec);
        if (ec) {
          bool timeout = !c.sock.is_open() ? false : now_ms() >= c.deadline;
          if (!c.sock.is_open()) co_return false;
          p->record_failure(now_ms());
          last_error = timeout ? 504 : 502;
          log_error("connect() to " + p->name + " failed (" + ec.message() + ") while connecting to upstream");
          if (loc.next_off || !(loc.next_error || (timeout && loc.next_timeout))) break;
          continue;
        }
      }
      if (track_active) p->active.fetch_add(1, std::memory_order_relaxed);
      add(p, kInFlight, 1);
      struct Active {
        Worker* w;
        PeerState* p;
        bool track;
        ~Active() {
          if (track) p->active.fetch_sub(1, std::memory_order_relaxed);
          w->add(p, kInFlight, ~uint64_t{0});
        }
      } active{this, p, track_active};
      add(p, kRequests);
      // ---- send head + buffered body
      c.up = u.get();
      c.deadline = now_ms() + loc.read_timeout_ms;
      std::string_view head_out = c.out, body_out{body0, first_body};
      size_t sent_now = send_now(u->sock, head_out, body_out, ec);
      if (!ec && sent_now < head_out.size() + body_out.size())
        co_await asio::async_write(u->sock, unsent(head_out, body_out, sent_now), asio::redirect_error(use_aw, ec));
      else if (!ec)
        co_await let_peer_run();
      c.up = nullptr;
      bool sent_all = !ec;
      if (sent_all && !whole) {
        bool okb = co_await stream_request_body(c, *u, cl_left, req.chunked ? &chunk : nullptr, loc.read_timeout_ms);
        whole = true;  // consumed: no retry possible past this point
        may_retry_method = false;
        if (!okb) {
          if (!c.sock.is_open()) co_return false;
          p->record_failure(now_ms());
          co_await error_page(c, 502);
          co_return false;
        }
      }
      // ---- response head
      http1::Head& resp = c.resp;
      http1::Parse pr = http1::Parse::kIncomplete;
      bool got_any = false;
      while (sent_all) {
        if (u->end > u->beg) {
          pr = http1::parse_response({u->buf + u->beg, u->end - u->beg}, resp);
          if (pr == http1::Parse::kOk && resp.status >= 100 && resp.status < 200 && resp.status != 101) {
            u->beg += resp.head_len;  // interim response: dropped (100 Continue was ours)
            continue;
          }
          if (pr != http1::Parse::kIncomplete) break;
        }
        if (u->end == kBuf) {
          if (u->beg == 0) {
            pr = http1::Parse::kError;
            break;
          }
          memmove(u->buf, u->buf + u->beg, u->end - u->beg);
          u->end -= u->beg;
          u->beg = 0;
        }
        c.up = u.get();
        c.deadline = now_ms() + loc.read_timeout_ms;
        size_t n = co_await u->sock.async_read_some(asio::buffer(u->buf + u->end, kBuf - u->end),
                                                    asio::redirect_error(use_aw, ec));
        c.up = nullptr;
        if (ec || n == 0) {
          if (!ec) ec = asio::error::eof;
          break;
        }
        got_any = true;
        u->end += n;
      }
      if (!c.sock.is_open()) co_return false;
      if (pr != http1::Parse::kOk) {
        bool timeout = ec == asio::error::operation_aborted;
        if (reused && !got_any && !timeout && whole && stale_retries < 2) {
          // a kept-alive connection the upstream had closed: not the peer's fault
          ++stale_retries;
          --tries;
          pc.tried &= ~(uint64_t{1} << (p->id % 64));
          add(p, kRequests, ~uint64_t{0});
          continue;
        }
        p->record_failure(now_ms());
        last_error = timeout ? 504 : 502;
        if (pr == http1::Parse::kError) log_error("upstream sent an invalid header from " + p->name);
        if (loc.next_off || !whole || !may_retry_method || !(timeout ? loc.next_timeout : loc.next_error)) break;
        continue;
      }
      if (resp.status == 101) {
        last_error = 502;  // upgrades are not relayed
        break;
      }
      if (((resp.status == 502 && loc.next_502) || (resp.status == 503 && loc.next_503) ||
           (resp.status == 504 && loc.next_504)) &&
          whole && may_retry_method && tries < max_tries) {
        p->record_failure(now_ms());
        continue;
      }
      // ---- response to the client
      bool bodiless = head_req || resp.status == 204 || resp.status == 304;
      bool until_close = !bodiless && !resp.chunked && resp.content_length < 0;
      if (until_close) close = true;
      std::string& o = c.out;
      o.clear();
      o += "HTTP/1.1 ";
      o += std::to_string(resp.status);
      o += ' ';
      o += resp.reason;
      o += "\r\n";
      for (int i = 0; i < resp.n_headers; ++i) {
        const auto& h = resp.headers[i];
        if (http1::is_hop_by_hop(h.name)) continue;
        o += h.name;
        o += ": ";
        o += h.value;
        o += "\r\n";
      }
      if (close) o += "Connection: close\r\n";
      else if (req.version_minor == 0) o += "Connection: keep-alive\r\n";
      o += "\r\n";
      u->beg += resp.head_len;
      // body bytes already read
      std::string_view rb(u->buf + u->beg, u->end - u->beg);
      http1::ChunkedScanner& rchunk = c.rchunk;
      rchunk = {};
      int64_t rleft = bodiless ? 0 : (resp.chunked ? 0 : resp.content_length);
      size_t take;
      if (bodiless) {
        take = 0;
      } else if (resp.chunked) {
        take = rchunk.feed(rb);
      } else if (until_close) {
        take = rb.size();
      } else {
        take = static_cast<size_t>(std::min<int64_t>(rleft, static_cast<int64_t>(rb.size())));
        rleft -= static_cast<int64_t>(take);
      }
      u->beg += take;
      std::string_view body_in{rb.data(), take};
      size_t out_now = send_now(c.sock, o, body_in, ec);
      if (!ec && out_now < o.size() + take) {
        c.deadline = now_ms() + 60000;
        co_await asio::async_write(c.sock, unsent(o, body_in, out_now), asio::redirect_error(use_aw, ec));
      }
      if (ec) co_return false;
      uint64_t sent = take;
      bool up_ok = true;
      bool done = bodiless || (resp.chunked ? rchunk.done() : (!until_close && rleft == 0));
      if (!done) {
        Streamed st = co_await stream_response_body(c, *u, loc, *p, resp.chunked, until_close, rleft, sent);
        if (st == Streamed::kClientGone) co_return false;
        up_ok = st == Streamed::kAll;
      }
      add(p, kBytesOut, sent);
      p->record_success();
      int cls = resp.status / 100;
      add(p, cls == 2 ? k2xx : cls == 3 ? k3xx : cls == 4 ? k4xx : k5xx);
      if (up_ok && !until_close && !resp.conn_close && u->beg == u->end && !(resp.status == 101))
        give_back(std::move(u), ur.cfg->keepalive);
      co_return true;
    }
    if (!c.sock.is_open()) co_return false;
    if (tries == 0 && last_error == 502)
      log_error("no live upstreams while connecting to upstream \"" + ur.cfg->name + "\"");
    co_await error_page(c, last_error);
    co_return false;
  }

  Generation& g_;
  int index_;
  // Declared before ioc_: destroying ioc_ destroys the suspended connection
  // coroutines, whose unlink() still reads these.
  ClientConn* head_ = nullptr;
  int live_ = 0;
  bool draining_ = false;
  bool dying_ = false;
  asio::io_context ioc_;
  Timer sweep_;
  std::vector<BoundAt> bound_;
  std::thread thread_;
  std::vector<std::vector<std::unique_ptr<UpConn>>> pool_;
  int64_t drain_since_ = 0;
  std::unique_ptr<PeerCounters[]> stats_{new PeerCounters[kMaxStats]};  // by peer id; this thread writes
  std::vector<std::unique_ptr<LocalSnap>> current_;
  std::vector<std::unique_ptr<LocalSnap>> retired_;
  uint64_t rng_;
};

// ---------------------------------------------------------------- status
std::string Generation::metrics() {
  std::string o;
  o += "# HELP berth_lb_connections_accepted_total Client connections accepted.\n";
  o += "# TYPE berth_lb_connections_accepted_total counter\n";
  o += "berth_lb_connections_accepted_total " + std::to_string(accepted.load()) + "\n";
  o += "# HELP berth_lb_requests_total Client requests read.\n";
  o += "# TYPE berth_lb_requests_total counter\n";
  o += "berth_lb_requests_total " + std::to_string(handled.load()) + "\n";
  struct Row {
    std::string labels;
    PeerState* p;
  };
  std::vector<Row> rows;
  std::vector<std::shared_ptr<const PoolSnapshot>> keep;
  for (auto& u : ups) {
    auto s = u->current();
    keep.push_back(s);
    for (const auto* v : {&s->primary, &s->backup})
      for (const auto& p : *v)
        rows.push_back({"upstream=\"" + u->cfg->name + "\",server=\"" + p->name + "\"", p.get()});
  }
  auto sum = [&](PeerState& p, Counter k) {
    uint64_t t = p.overflow.v[k].load(std::memory_order_relaxed);
    for (auto& w : workers) t += w->counter(p.id, k);
    return t;
  };
  auto family = [&](const char* name, const char* type, const char* help, auto get) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& r : rows) o += std::string(name) + "{" + r.labels + "} " + std::to_string(get(*r.p)) + "\n";
  };
  family("berth_lb_upstream_requests_total", "counter", "Requests sent to the server.",
         [&](PeerState& p) { return sum(p, kRequests); });
  family("berth_lb_upstream_failures_total", "counter", "Failed attempts (connect, read, timeout).",
         [](PeerState& p) { return p.failures.load(); });
  family("berth_lb_upstream_connects_total", "counter", "Upstream connections opened.",
         [](PeerState& p) { return p.connects.load(); });
  o += "# HELP berth_lb_upstream_responses_total Responses by status class.\n# TYPE berth_lb_upstream_responses_total counter\n";
  for (const auto& r : rows) {
    const std::pair<const char*, uint64_t> cls[] = {{"2xx", sum(*r.p, k2xx)},
                                                    {"3xx", sum(*r.p, k3xx)},
                                                    {"4xx", sum(*r.p, k4xx)},
                                                    {"5xx", sum(*r.p, k5xx)}};
    for (auto& [k, v] : cls)
      o += "berth_lb_upstream_responses_total{" + r.labels + ",code=\"" + k + "\"} " + std::to_string(v) + "\n";
  }
  family("berth_lb_upstream_response_bytes_total", "counter", "Response body bytes relayed.",
         [&](PeerState& p) { return sum(p, kBytesOut); });
  family("berth_lb_upstream_active", "gauge", "Requests in flight.", [&](PeerState& p) { return sum(p, kInFlight); });
  int64_t now = now_ms();
  family("berth_lb_upstream_up", "gauge", "1 if the server is selectable (not down, failed or unhealthy).",
         [now](PeerState& p) { return p.available(now) ? 1 : 0; });
  return o;
}

// ---------------------------------------------------------------- control thread
namespace {

// One active health probe: GET uri, 2xx/3xx within 1 s.
bool probe(uint32_t addr, uint16_t port, const std::string& uri) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr);
  bool ok = false;
  auto deadline = now_ms() + 1000;
  auto wait = [&](short ev) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    pollfd pf{fd, ev, 0};
    return poll(&pf, 1, static_cast<int>(left)) == 1;
  };
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  if (r == 0 || (errno == EINPROGRESS && wait(POLLOUT))) {
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err == 0) {
      std::string q = "GET " + uri + " HTTP/1.1\r\nHost: " + format_ipv4(addr) + "\r\nConnection: close\r\nUser-Agent: berth-lb health_check\r\n\r\n";
      if (send(fd, q.data(), q.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(q.size())) {
        char buf[512];
        size_t got = 0;
        while (got < 12 && wait(POLLIN)) {
          ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
          if (n <= 0) break;
          got += static_cast<size_t>(n);
        }
        if (got >= 12 && memcmp(buf, "HTTP/1.", 7) == 0) ok = buf[9] == '2' || buf[9] == '3';
      }
    }
  }
  close(fd);
  return ok;
}

}  // namespace

void Generation::control_loop() {
  while (!stop_control.load()) {
    int64_t now = now_ms();
    for (auto& up : ups) {
      UpstreamRt& u = *up;
      bool any_resolve = false;
      for (const auto& s : u.cfg->servers) any_resolve |= s.resolve;
      if (any_resolve && cfg->resolver && now >= u.next_resolve_ms) {
        bool changed = false;
        for (size_t si = 0; si < u.cfg->servers.size(); ++si) {
          const auto& s = u.cfg->servers[si];
          if (!s.resolve) continue;
          std::optional<dnsq::Answer> a;
          for (const auto& [addr, port] : cfg->resolver->addrs)
            if ((a = dnsq::query_a(addr, port, s.host, 1000))) break;
          if (!a || (a->rcode != 0 && a->rcode != 3)) continue;  // keep what we have
          std::vector<uint32_t> cur;
          for (auto& p : u.by_server[si]) cur.push_back(p->addr);
          if (cur == a->addrs) continue;
          std::vector<std::shared_ptr<PeerState>> next;
          for (uint32_t ip : a->addrs) {
            auto it = std::find_if(u.by_server[si].begin(), u.by_server[si].end(),
                                   [&](auto& p) { return p->addr == ip; });
            next.push_back(it != u.by_server[si].end() ? *it : new_peer(s, ip));
          }
          for (auto& p : u.by_server[si])
            if (std::find(next.begin(), next.end(), p) == next.end()) p->member.store(false);
          u.by_server[si] = std::move(next);
          changed = true;
        }
        if (changed) publish(u);
        u.next_resolve_ms = now + int64_t{std::max(1, cfg->resolver->valid_s ? cfg->resolver->valid_s : 5)} * 1000;
      }
      if (u.health && now >= u.next_health_ms) {
        auto snap = u.current();
        for (const auto* v : {&snap->primary, &snap->backup}) {
          for (const auto& p : *v) {
            if (p->id >= u.hc_fails.size()) {
              u.hc_fails.resize(p->id + 1);
              u.hc_passes.resize(p->id + 1);
            }
            if (probe(p->addr, p->port, u.health->health.uri)) {
              u.hc_fails[p->id] = 0;
              if (++u.hc_passes[p->id] >= u.health->health.passes && !p->healthy.load()) p->healthy.store(true);
            } else {
              u.hc_passes[p->id] = 0;
              if (++u.hc_fails[p->id] >= u.health->health.fails && p->healthy.load()) {
                p->healthy.store(false);
                log_error("health check of " + p->name + " in upstream \"" + u.cfg->name + "\" failed");
              }
            }
          }
        }
        u.next_health_ms = now_ms() + u.health->health.interval_ms;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// ---------------------------------------------------------------- lifecycle
Result<std::shared_ptr<Generation>> start_generation(std::shared_ptr<const Config> cfg, Listeners& listeners) {
  auto g = std::make_shared<Generation>();
  g->cfg = cfg;
  bool need_control = false;
  for (const auto& up : cfg->upstreams) {
    auto u = std::make_unique<UpstreamRt>();
    u->cfg = &up;
    u->by_server.resize(up.servers.size());
    for (size_t i = 0; i < up.servers.size(); ++i) {
      const auto& s = up.servers[i];
      if (s.resolve) {
        need_control = true;
        // first answer now, so that the first requests have a pool
        std::optional<dnsq::Answer> a;
        for (const auto& [addr, port] : cfg->resolver->addrs)
          if ((a = dnsq::query_a(addr, port, s.host, 1000))) break;
        if (a)
          for (uint32_t ip : a->addrs) u->by_server[i].push_back(g->new_peer(s, ip));
      } else {
        auto ip = parse_ipv4(s.host == "localhost" ? "127.0.0.1" : s.host);
        if (!ip) return invalid_argument("host not found in upstream \"" + s.host + "\"");
        u->by_server[i].push_back(g->new_peer(s, *ip));
      }
    }
    g->publish(*u);
    g->ups.push_back(std::move(u));
  }
  for (const auto& srv : cfg->servers)
    for (const auto& loc : srv.locations)
      if (loc.health.enabled)
        for (auto& u : g->ups)
          if (u->cfg->name == loc.upstream && !u->health) {
            u->health = &loc;
            need_control = true;
          }
  for (int i = 0; i < cfg->workers; ++i) {
    auto w = std::make_unique<Worker>(*g, i);
    auto b = w->bind(listeners);
    if (!b) return b.error();
    g->workers.push_back(std::move(w));
  }
  for (auto& w : g->workers) w->start();
  if (need_control) g->control = std::thread([gp = g.get()] { gp->control_loop(); });
  return g;
}

void drain(Generation& g) {
  for (auto& w : g.workers) w->drain();
}

void stop_now(Generation& g) {
  for (auto& w : g.workers) w->stop();
}

bool finished(Generation& g) { return g.running.load() == 0; }

void join(Generation& g) {
  g.stop_control.store(true);
  if (g.control.joinable()) g.control.join();
  for (auto& w : g.workers) w->join();
}

}  // namespace berth::lb

namespace berth::lb {
const Config& config_of(const Generation& g) { return *g.cfg; }
}  // namespace berth::lb

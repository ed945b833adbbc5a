// The embedded DNS server's event loop. One thread, one epoll set; level-
// triggered, so a socket handed over by attach_container() may already hold
// queries when the loop first sees it. The UDP hot path takes up to 32
// datagrams with one recvmmsg, answers each from the snapshot into
// preallocated buffers and sends all answers with one sendmmsg: no
// allocation and no lock per query (the snapshot is loaded once per batch).
// Forwarded queries carry their own state (a copy of the query, the client,
// the upstream order) until an upstream answers or all have failed.
#include "dns/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "dns/cache.h"
#include "firewall/firewall.h"
#include "netlink/netlink.h"

namespace berth::dns {
namespace {

constexpr int kBatch = 32;
constexpr size_t kInSize = 2048;   // a query larger than this is not one we answer
constexpr size_t kOutSize = 4096;  // UDP answers: the most we announce (kOurUdpSize)
constexpr size_t kMaxConns = 512;
constexpr uint64_t kConnIdleMs = 10000;
constexpr uint32_t kResolverIp = (127u << 24) | 11u;  // 127.0.0.11

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string errno_text() { return std::strerror(errno); }

bool parse_server(const std::string& s, sockaddr_in& out) {
  std::string host = s;
  uint16_t port = 53;
  if (auto colon = s.rfind(':'); colon != std::string::npos && s.find(':') == colon) {
    host = s.substr(0, colon);
    port = static_cast<uint16_t>(std::stoi(s.substr(colon + 1)));
  }
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

sockaddr_in make_addr(uint32_t ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  return a;
}

Result<UniqueFd> bound_socket(int type, uint32_t ip, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return internal_error("socket: " + errno_text());
  int one = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = make_addr(ip, port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    char buf[INET_ADDRSTRLEN];
    in_addr ia{htonl(ip)};
    inet_ntop(AF_INET, &ia, buf, sizeof buf);
    return unavailable(std::string("bind ") + (type == SOCK_STREAM ? "tcp " : "udp ") + buf + ":" +
                       std::to_string(port) + ": " + errno_text());
  }
  if (type == SOCK_STREAM && ::listen(fd.get(), 128) != 0) {
    return internal_error("listen: " + errno_text());
  }
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Docker's DOCKER_OUTPUT / DOCKER_POSTROUTING chains (resolver_unix.go) as an
// nft table in the container's netns, replaced whole.
std::string nat_script(uint16_t udp_port, uint16_t tcp_port) {
  const std::string u = std::to_string(udp_port), t = std::to_string(tcp_port);
  return "add table ip berth_dns\n"
         "delete table ip berth_dns\n"
         "table ip berth_dns {\n"
         "  chain output {\n"
         "    type nat hook output priority -100; policy accept;\n"
         "    ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:" + u + "\n"
         "    ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:" + t + "\n"
         "  }\n"
         "  chain postrouting {\n"
         "    type nat hook postrouting priority 100; policy accept;\n"
         "    ip saddr 127.0.0.11 udp sport " + u + " snat to 127.0.0.11:53\n"
         "    ip saddr 127.0.0.11 tcp sport " + t + " snat to 127.0.0.11:53\n"
         "  }\n"
         "}\n";
}

enum class Kind { kWake, kUdp, kTcpListen, kTcpConn, kUpstream, kUpstreamTcp };

struct Handle {
  explicit Handle(Kind k) : kind(k) {}
  Kind kind;
};

struct UpstreamGroup : Handle {
  UpstreamGroup() : Handle(Kind::kUpstream) {}
  uint32_t id = 0;
  UniqueFd fd;
  std::vector<sockaddr_in> servers;
  std::vector<uint64_t> dead_until;
  std::unordered_map<uint16_t, uint64_t> inflight;  // query id sent → pending id
  UniqueFd netns;  // the container's netns for TCP sockets; invalid: berthd's own
};

// A forwarded query retried over TCP because the upstream's UDP answer was
// truncated: one connection per attempt, the query written, one answer read.
struct UpstreamTcp : Handle {
  UpstreamTcp() : Handle(Kind::kUpstreamTcp) {}
  uint64_t pending_id = 0;
  UniqueFd fd;
  std::vector<uint8_t> out, in;
  size_t sent = 0;
};

struct Listener : Handle, std::enable_shared_from_this<Listener> {
  explicit Listener(Kind k) : Handle(k) {}
  UniqueFd fd;
  std::string scope_key;
  bool gateway = false;
  uint32_t subnet = 0, mask = 0;
  std::shared_ptr<UpstreamGroup> group;  // nullptr: the host group
  bool allowed(const sockaddr_in& from) const {
    if (!gateway) return true;
    const uint32_t ip = ntohl(from.sin_addr.s_addr);
    return (ip & mask) == subnet || (ip >> 24) == 127;
  }
};

struct Conn : Handle {
  Conn() : Handle(Kind::kTcpConn) {}
  uint64_t id = 0;
  UniqueFd fd;
  std::shared_ptr<Listener> listener;
  std::vector<uint8_t> in, out;
  uint64_t last_ms = 0;
};

struct Pending {
  std::shared_ptr<Listener> listener;
  std::shared_ptr<UpstreamGroup> group;
  uint64_t conn_id = 0;  // 0: UDP
  sockaddr_in client{};
  std::vector<uint8_t> query;
  size_t question_end = 0;
  size_t max_size = 512;
  uint16_t client_id = 0;
  uint16_t qid = 0;
  std::vector<uint8_t> order;  // server indices, alive ones first
  size_t attempt = 0;
  uint32_t seq = 0;  // sends so far; a deadline is for one send
  bool tcp = false;  // an upstream truncated its UDP answer: TCP from now on
  std::unique_ptr<UpstreamTcp> conn;
  std::string cache_key;
};

}  // namespace

struct Server::Loop {
  explicit Loop(const ServerConfig& c) : cfg(c), cache(c.cache_entries, c.cache_max_ttl) {}

  ServerConfig cfg;
  UniqueFd ep, wake;
  Handle wake_handle{Kind::kWake};
  std::atomic<bool> stopping{false};
  std::mutex q_mu;
  std::vector<std::function<void(Loop&)>> queue;
  std::atomic<std::shared_ptr<const Snapshot>> snap;
  Cache cache;
  std::atomic<uint64_t> st_local{0}, st_fwd{0}, st_hits{0}, st_refused{0}, st_servfail{0},
      st_timeouts{0};

  std::shared_ptr<UpstreamGroup> host_group;
  uint32_t next_group_id = 1;
  struct Attachment {
    std::shared_ptr<Listener> udp, tcp;
    std::shared_ptr<UpstreamGroup> group;
  };
  std::map<std::string, Attachment> containers;
  std::map<std::string, Attachment> gateways;
  std::unordered_map<uint64_t, std::shared_ptr<Conn>> conns;
  uint64_t next_conn = 1;
  std::unordered_map<uint64_t, Pending> pending;
  uint64_t next_pending = 1;
  struct Deadline {
    uint64_t at;
    uint64_t pending_id;
    uint32_t seq;
  };
  std::deque<Deadline> deadlines;
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  // Upstream TCP handles closed during a batch, freed before the next one
  // (a later event of the same batch may still point at them).
  std::vector<std::unique_ptr<UpstreamTcp>> graveyard;

  // Preallocated batch buffers.
  std::array<std::array<uint8_t, kInSize>, kBatch> in_bufs{};
  std::array<std::array<uint8_t, kOutSize>, kBatch> out_bufs{};
  std::array<sockaddr_in, kBatch> addrs{};
  std::array<iovec, kBatch> in_iov{}, out_iov{};
  std::array<mmsghdr, kBatch> in_msgs{}, out_msgs{};
  std::vector<uint8_t> big = std::vector<uint8_t>(65535 + 2);
  std::vector<uint8_t> up_buf = std::vector<uint8_t>(65535);
  char key_buf[8 + kMaxName + 8];
  Query q;

  uint16_t random16() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<uint16_t>(rng >> 16);
  }

  void add(int fd, Handle* h, uint32_t events = EPOLLIN) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = h;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      spdlog::warn("dns: epoll add: {}", errno_text());
    }
  }
  void del(int fd) { ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr); }

  void drop(Attachment& a) {
    for (auto* l : {a.udp.get(), a.tcp.get()}) {
      if (l && l->fd.valid()) {
        del(l->fd.get());
        l->fd.reset();
      }
    }
    if (a.group && a.group->fd.valid()) {
      del(a.group->fd.get());
      a.group->fd.reset();
    }
  }

  void run() {
    std::array<epoll_event, 64> evs;
    uint64_t last_sweep = now_ms();
    while (!stopping.load(std::memory_order_relaxed)) {
      int timeout = 1000;
      if (!deadlines.empty()) {
        const uint64_t now = now_ms();
        timeout = deadlines.front().at <= now ? 0 : static_cast<int>(std::min<uint64_t>(1000, deadlines.front().at - now));
      }
      graveyard.clear();
      const int n = ::epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), timeout);
      if (n < 0 && errno != EINTR) {
        spdlog::error("dns: epoll_wait: {}", errno_text());
        return;
      }
      bool commands = false;
      for (int i = 0; i < n; ++i) {
        auto* h = static_cast<Handle*>(evs[i].data.ptr);
        switch (h->kind) {
          case Kind::kWake: {
            uint64_t v;
            (void)!::read(wake.get(), &v, sizeof v);
            commands = true;
            break;
          }
          case Kind::kUdp: on_udp(static_cast<Listener*>(h)); break;
          case Kind::kTcpListen: on_accept(static_cast<Listener*>(h)); break;
          case Kind::kTcpConn: on_conn(static_cast<Conn*>(h), evs[i].events); break;
          case Kind::kUpstream: on_upstream(static_cast<UpstreamGroup*>(h)); break;
          case Kind::kUpstreamTcp: on_upstream_tcp(static_cast<UpstreamTcp*>(h), evs[i].events); break;
        }
      }
      const uint64_t now = now_ms();
      expire(now);
      if (now - last_sweep >= 1000) {
        sweep_conns(now);
        last_sweep = now;
      }
      // Commands run after the batch, so no event of this batch points at a
      // handle a command closed.
      if (commands) {
        std::vector<std::function<void(Loop&)>> todo;
        {
          std::lock_guard lock(q_mu);
          todo.swap(queue);
        }
        for (auto& f : todo) f(*this);
      }
    }
  }

  const Scope* scope_of(const Snapshot* s, const Listener* l) const {
    return s ? s->scope(l->scope_key) : nullptr;
  }

  void on_udp(Listener* l) {
    for (int round = 0; round < 8; ++round) {
      for (int i = 0; i < kBatch; ++i) {
        in_iov[i] = {in_bufs[i].data(), kInSize};
        in_msgs[i].msg_hdr = {};
        in_msgs[i].msg_hdr.msg_name = &addrs[i];
        in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
        in_msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(l->fd.get(), in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      const std::shared_ptr<const Snapshot> s = snap.load(std::memory_order_acquire);
      const Scope* scope = scope_of(s.get(), l);
      const uint32_t ttl = s ? s->ttl : cfg.ttl;
      int out = 0;
      for (int i = 0; i < n; ++i) {
        if (!l->allowed(addrs[i])) continue;
        const std::span<const uint8_t> query(in_bufs[i].data(), in_msgs[i].msg_len);
        const Outcome o = answer(query, scope, ttl, false, out_bufs[out], q);
        size_t len = 0;
        if (o.action == Action::kReply) {
          len = o.len;
          st_local.fetch_add(1, std::memory_order_relaxed);
        } else if (o.action == Action::kForward) {
          len = forward(l, q, query, 0, addrs[i], out_bufs[out]);
        }
        if (len == 0) continue;
        out_iov[out] = {out_bufs[out].data(), len};
        out_msgs[out].msg_hdr = {};
        out_msgs[out].msg_hdr.msg_name = &addrs[i];
        out_msgs[out].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        out_msgs[out].msg_hdr.msg_iov = &out_iov[out];
        out_msgs[out].msg_hdr.msg_iovlen = 1;
        ++out;
      }
      int sent = 0;
      while (sent < out) {
        const int r = ::sendmmsg(l->fd.get(), out_msgs.data() + sent, static_cast<unsigned>(out - sent), 0);
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          ++sent;  // drop the one that failed (EAGAIN, ECONNREFUSED …), keep the rest
          continue;
        }
        sent += r;
      }
      if (n < kBatch) return;
    }
  }

  // Forwards a query, or answers it at once from the cache or with REFUSED /
  // SERVFAIL; returns the length of an immediate answer written to `out`.
  size_t forward(Listener* l, const Query& fq, std::span<const uint8_t> query,
                 uint64_t conn_id, const sockaddr_in& client, std::span<uint8_t> out) {
    std::shared_ptr<UpstreamGroup> g = l && l->group ? l->group : host_group;
    const size_t max_size = conn_id ? 65535 : std::max<size_t>(512, fq.has_edns ? fq.edns_udp_size : 512);
    if (!g || g->servers.empty() || !g->fd.valid()) {
      st_servfail.fetch_add(1, std::memory_order_relaxed);
      return error_answer(query, fq, kRcodeServFail, out);
    }
    const uint64_t now = now_ms();
    const std::string_view key = Cache::key(fq, g->id, key_buf);
    if (size_t n = cache.lookup(key, query, fq, now, max_size, out); n > 0) {
      st_hits.fetch_add(1, std::memory_order_relaxed);
      return n;
    }
    if (pending.size() >= cfg.max_concurrent) {
      st_refused.fetch_add(1, std::memory_order_relaxed);
      return error_answer(query, fq, kRcodeRefused, out);
    }
    st_fwd.fetch_add(1, std::memory_order_relaxed);
    const uint64_t id = next_pending++;
    Pending& p = pending[id];
    p.listener = l->shared_from_this();  // pending queries outlive a detach
    p.group = g;
    p.conn_id = conn_id;
    p.client = client;
    p.query.assign(query.begin(), query.end());
    p.question_end = fq.question_end;
    p.max_size = max_size;
    p.client_id = fq.id;
    p.cache_key.assign(key);
    for (size_t i = 0; i < g->servers.size(); ++i) {
      if (g->dead_until[i] <= now) p.order.push_back(static_cast<uint8_t>(i));
    }
    for (size_t i = 0; i < g->servers.size(); ++i) {
      if (g->dead_until[i] > now) p.order.push_back(static_cast<uint8_t>(i));
    }
    p.attempt = 0;
    send_attempt(id, p, now);
    return 0;
  }

  void send_attempt(uint64_t id, Pending& p, uint64_t now) {
    for (;;) {
      if (p.attempt >= p.order.size()) {
        fail(id, p);
        return;
      }
      UpstreamGroup& g = *p.group;
      uint16_t qid;
      do {
        qid = random16();
      } while (g.inflight.count(qid));
      p.qid = qid;
      put16(p.query.data(), qid);
      const sockaddr_in& to = g.servers[p.order[p.attempt]];
      if (p.tcp) {
        if (!start_tcp(id, p, to)) {
          ++p.attempt;  // unreachable: the next one at once
          continue;
        }
      } else {
        const ssize_t r = ::sendto(g.fd.get(), p.query.data(), p.query.size(), MSG_DONTWAIT,
                                   reinterpret_cast<const sockaddr*>(&to), sizeof to);
        if (r < 0) {
          ++p.attempt;  // unreachable: the next one at once
          continue;
        }
      }
      g.inflight[qid] = id;
      deadlines.push_back({now + static_cast<uint64_t>(cfg.upstream_timeout_ms), id, ++p.seq});
      return;
    }
  }

  void fail(uint64_t id, Pending& p) {
    bury(p);
    st_servfail.fetch_add(1, std::memory_order_relaxed);
    put16(p.query.data(), p.client_id);
    Query fq;
    if (parse_query(p.query, fq) == ParseStatus::kOk) {
      const size_t n = error_answer(p.query, fq, kRcodeServFail, up_buf);
      deliver(p, std::span<const uint8_t>(up_buf.data(), n));
    }
    pending.erase(id);
  }

  void expire(uint64_t now) {
    while (!deadlines.empty() && deadlines.front().at <= now) {
      const Deadline d = deadlines.front();
      deadlines.pop_front();
      auto it = pending.find(d.pending_id);
      if (it == pending.end() || it->second.seq != d.seq) continue;
      Pending& p = it->second;
      UpstreamGroup& g = *p.group;
      const size_t server = p.order[p.attempt];
      g.dead_until[server] = now + static_cast<uint64_t>(cfg.dead_hold_ms);
      g.inflight.erase(p.qid);
      bury(p);
      st_timeouts.fetch_add(1, std::memory_order_relaxed);
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &g.servers[server].sin_addr, buf, sizeof buf);
      spdlog::debug("dns: upstream {} timed out; skipped for {} ms", buf, cfg.dead_hold_ms);
      ++p.attempt;
      send_attempt(d.pending_id, p, now);
    }
  }

  void on_upstream(UpstreamGroup* g) {
    for (int i = 0; i < 64; ++i) {
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      const ssize_t n = ::recvfrom(g->fd.get(), up_buf.data(), up_buf.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) return;
      if (n < static_cast<ssize_t>(kHeaderSize)) continue;
      const uint16_t qid = get16(up_buf.data());
      auto in = g->inflight.find(qid);
      if (in == g->inflight.end()) continue;
      auto it = pending.find(in->second);
      if (it == pending.end()) {
        g->inflight.erase(in);
        continue;
      }
      Pending& p = it->second;
      const sockaddr_in& to = g->servers[p.order[p.attempt]];
      if (from.sin_addr.s_addr != to.sin_addr.s_addr || from.sin_port != to.sin_port) continue;
      const auto len = static_cast<size_t>(n);
      if (!response_matches(std::span<const uint8_t>(up_buf.data(), len), p.query, p.question_end)) {
        continue;
      }
      g->inflight.erase(in);
      const uint64_t id = it->first;
      if (p.conn_id != 0 && is_truncated(std::span<const uint8_t>(up_buf.data(), len))) {
        // The client asked over TCP: it wants the whole answer. The same
        // upstream again over TCP (and the next ones, on failure, too).
        p.tcp = true;
        send_attempt(id, p, now_ms());
        continue;
      }
      complete(id, p, std::span<uint8_t>(up_buf.data(), len));
    }
  }

  // An upstream's answer to pending query `id` (over UDP or TCP): the next
  // upstream on SERVFAIL/REFUSED, else cached (never when truncated: the
  // cache refuses TC) and delivered. Erases the pending query unless retried.
  void complete(uint64_t id, Pending& p, std::span<uint8_t> msg) {
    const uint8_t rcode = msg[3] & 0x0f;
    bury(p);
    if (rcode == kRcodeServFail || rcode == kRcodeRefused) {
      ++p.attempt;  // Docker: the next server on SERVFAIL and REFUSED
      send_attempt(id, p, now_ms());
      return;
    }
    cache.insert(p.cache_key, msg, now_ms());
    put16(msg.data(), p.client_id);
    if (msg.size() > p.max_size) {
      // Too large for the client's UDP: header and question with TC.
      std::memset(msg.data() + 6, 0, 6);
      msg[2] |= 0x02;
      deliver(p, msg.first(p.question_end));
    } else {
      deliver(p, msg);
    }
    pending.erase(id);
  }

  // Closes the pending query's upstream TCP connection, if any.
  void bury(Pending& p) {
    if (!p.conn) return;
    if (p.conn->fd.valid()) del(p.conn->fd.get());
    p.conn->fd.reset();
    graveyard.push_back(std::move(p.conn));
  }

  // Starts a TCP attempt: a non-blocking connect; the query is written once
  // it is connected. False if it failed at once (the caller tries the next).
  bool start_tcp(uint64_t id, Pending& p, const sockaddr_in& to) {
    UpstreamGroup& g = *p.group;
    UniqueFd fd;
    if (g.netns.valid()) {
      // The container's own --dns servers are reached from its netns: the
      // socket is made there on a short-lived thread (rare: truncated only).
      auto st = netlink::run_in_netns(g.netns.get(), [&]() -> Status {
        fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        return fd.valid() ? ok_status() : internal_error("socket: " + errno_text());
      });
      if (!st.ok()) {
        spdlog::debug("dns: upstream tcp socket: {}", st.error().message());
        return false;
      }
    } else {
      fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    }
    if (!fd.valid()) return false;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
      return false;
    }
    auto c = std::make_unique<UpstreamTcp>();
    c->pending_id = id;
    c->fd = std::move(fd);
    c->out.resize(2 + p.query.size());
    put16(c->out.data(), static_cast<uint16_t>(p.query.size()));
    std::memcpy(c->out.data() + 2, p.query.data(), p.query.size());
    add(c->fd.get(), c.get(), EPOLLOUT | EPOLLIN);
    p.conn = std::move(c);
    return true;
  }

  void on_upstream_tcp(UpstreamTcp* c, uint32_t events) {
    if (!c->fd.valid()) return;  // buried earlier in this batch
    auto it = pending.find(c->pending_id);
    if (it == pending.end() || it->second.conn.get() != c) return;
    const uint64_t id = it->first;
    Pending& p = it->second;
    auto failed = [&] {
      // Refused, reset or closed early: the next upstream at once, as a
      // UDP send error does (a timeout marks it dead instead).
      bury(p);
      p.group->inflight.erase(p.qid);
      ++p.attempt;
      send_attempt(id, p, now_ms());
    };
    if (events & EPOLLERR) return failed();
    if (c->sent < c->out.size()) {
      const ssize_t w = ::send(c->fd.get(), c->out.data() + c->sent, c->out.size() - c->sent,
                               MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINPROGRESS) return;
        return failed();
      }
      c->sent += static_cast<size_t>(w);
      if (c->sent == c->out.size()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        ::epoll_ctl(ep.get(), EPOLL_CTL_MOD, c->fd.get(), &ev);
      }
      if (!(events & (EPOLLIN | EPOLLHUP))) return;
    }
    for (;;) {
      uint8_t buf[4096];
      const ssize_t n = ::read(c->fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        return failed();
      }
      if (n == 0) return failed();
      c->in.insert(c->in.end(), buf, buf + n);
      const long len = framed_length(c->in);
      if (len < 0) continue;
      std::span<uint8_t> msg(c->in.data() + 2, static_cast<size_t>(len));
      if (!response_matches(msg, p.query, p.question_end)) return failed();
      p.group->inflight.erase(p.qid);
      // complete() buries the connection; the buffer lives on in the graveyard.
      return complete(id, p, msg);
    }
  }

  void deliver(const Pending& p, std::span<const uint8_t> msg) {
    if (p.conn_id == 0) {
      if (p.listener && p.listener->fd.valid()) {
        (void)::sendto(p.listener->fd.get(), msg.data(), msg.size(), MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&p.client), sizeof p.client);
      }
      return;
    }
    auto c = conns.find(p.conn_id);
    if (c != conns.end()) write_framed(*c->second, msg);
  }

  // ---- TCP (RFC 7766): length-prefixed messages, several per connection ----

  void on_accept(Listener* l) {
    for (int i = 0; i < 16; ++i) {
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      UniqueFd fd(::accept4(l->fd.get(), reinterpret_cast<sockaddr*>(&from), &flen,
                            SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd.valid()) return;
      if (!l->allowed(from) || conns.size() >= kMaxConns) continue;
      auto c = std::make_shared<Conn>();
      c->id = next_conn++;
      c->fd = std::move(fd);
      c->listener = l->shared_from_this();
      c->last_ms = now_ms();
      add(c->fd.get(), c.get());
      conns[c->id] = std::move(c);
    }
  }

  void close_conn(Conn* c) {
    del(c->fd.get());
    conns.erase(c->id);  // frees c
  }

  void on_conn(Conn* c, uint32_t events) {
    if (events & EPOLLOUT) {
      flush(*c);
      if (!c->fd.valid()) return close_conn(c);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    uint8_t buf[4096];
    const ssize_t n = ::read(c->fd.get(), buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      return close_conn(c);
    }
    c->last_ms = now_ms();
    c->in.insert(c->in.end(), buf, buf + n);
    if (c->in.size() > 70000) return close_conn(c);
    size_t off = 0;
    while (c->in.size() - off >= 2) {
      const size_t len = get16(c->in.data() + off);
      if (c->in.size() - off - 2 < len) break;
      const std::span<const uint8_t> query(c->in.data() + off + 2, len);
      off += 2 + len;
      const std::shared_ptr<const Snapshot> s = snap.load(std::memory_order_acquire);
      const Outcome o = answer(query, scope_of(s.get(), c->listener.get()), s ? s->ttl : cfg.ttl,
                               true, std::span<uint8_t>(big.data() + 2, 65535), q);
      size_t alen = 0;
      if (o.action == Action::kReply) {
        alen = o.len;
        st_local.fetch_add(1, std::memory_order_relaxed);
      } else if (o.action == Action::kForward) {
        alen = forward(c->listener.get(), q, query, c->id, sockaddr_in{},
                       std::span<uint8_t>(big.data() + 2, 65535));
      }
      if (alen > 0) write_framed(*c, std::span<const uint8_t>(big.data() + 2, alen));
      if (!c->fd.valid()) break;
    }
    if (!c->fd.valid()) return close_conn(c);
    c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(off));
  }

  void write_framed(Conn& c, std::span<const uint8_t> msg) {
    uint8_t len[2];
    put16(len, static_cast<uint16_t>(msg.size()));
    c.out.insert(c.out.end(), len, len + 2);
    c.out.insert(c.out.end(), msg.begin(), msg.end());
    flush(c);
  }

  void flush(Conn& c) {
    while (!c.out.empty()) {
      const ssize_t w = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) break;
        del(c.fd.get());
        c.fd.reset();  // the caller closes it
        return;
      }
      c.out.erase(c.out.begin(), c.out.begin() + w);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    ev.data.ptr = &c;
    ::epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
  }

  void sweep_conns(uint64_t now) {
    std::vector<uint64_t> idle;
    for (auto& [id, c] : conns) {
      if (now - c->last_ms > kConnIdleMs || !c->fd.valid()) idle.push_back(id);
    }
    for (auto id : idle) {
      auto& c = conns[id];
      if (c->fd.valid()) del(c->fd.get());
      conns.erase(id);
    }
  }
};

Server::Server(ServerConfig cfg) : cfg_(std::move(cfg)), loop_(std::make_unique<Loop>(cfg_)) {}

Server::~Server() { stop(); }

Status Server::start() {
  Loop& l = *loop_;
  l.ep.reset(::epoll_create1(EPOLL_CLOEXEC));
  l.wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!l.ep.valid() || !l.wake.valid()) return internal_error("dns: epoll/eventfd: " + errno_text());
  (void)!::getrandom(&l.rng, sizeof l.rng, 0);
  l.rng |= 1;
  l.add(l.wake.get(), &l.wake_handle);
  // The host-side upstreams, contacted from berthd's own namespace.
  auto g = std::make_shared<UpstreamGroup>();
  g->id = 0;
  for (const auto& s : cfg_.upstreams) {
    sockaddr_in a;
    if (parse_server(s, a)) {
      g->servers.push_back(a);
    } else {
      spdlog::warn("dns: ignoring upstream {}: not an IPv4 address", s);
    }
  }
  if (g->servers.size() > 3) g->servers.resize(3);  // Docker's maxExtDNS
  g->dead_until.assign(g->servers.size(), 0);
  auto fd = bound_socket(SOCK_DGRAM, 0, 0);
  if (!fd.ok()) return fd.error();
  g->fd = std::move(*fd);
  l.add(g->fd.get(), g.get());
  l.host_group = std::move(g);
  if (l.host_group->servers.empty()) spdlog::warn("DNS resolver has no external nameservers");
  thread_ = std::thread([this] { loop_->run(); });
  return ok_status();
}

void Server::stop() {
  if (!thread_.joinable()) return;
  loop_->stopping = true;
  uint64_t one = 1;
  (void)!::write(loop_->wake.get(), &one, sizeof one);
  thread_.join();
  const ServerStats st = stats();
  spdlog::info("dns: {} answered locally, {} forwarded, {} from the cache, {} refused, {} servfail, {} upstream timeouts",
               st.answered_local, st.forwarded, st.cache_hits, st.refused, st.servfail,
               st.upstream_timeouts);
}

void Server::post(std::function<void(Loop&)> fn) {
  {
    std::lock_guard lock(loop_->q_mu);
    loop_->queue.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)!::write(loop_->wake.get(), &one, sizeof one);
}

Status Server::attach_container(const std::string& id, const std::string& netns_path,
                                const std::vector<std::string>& own_servers,
                                bool host_upstreams) {
  struct Opened {
    UniqueFd udp, tcp, fwd, netns;
  };
  auto o = std::make_shared<Opened>();
  std::vector<sockaddr_in> servers;
  for (const auto& s : own_servers) {
    sockaddr_in a;
    if (parse_server(s, a)) servers.push_back(a);
  }
  if (servers.size() > 3) servers.resize(3);
  const std::string nft = cfg_.nft;
  if (!servers.empty()) {
    // Kept for TCP retries of truncated answers (sockets made in the netns).
    o->netns.reset(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  auto st = netlink::run_in_netns(netns_path, [&]() -> Status {
    auto u = bound_socket(SOCK_DGRAM, kResolverIp, 0);
    if (!u.ok()) return u.error();
    auto t = bound_socket(SOCK_STREAM, kResolverIp, 0);
    if (!t.ok()) return t.error();
    if (!servers.empty()) {
      auto f = bound_socket(SOCK_DGRAM, 0, 0);
      if (!f.ok()) return f.error();
      o->fwd = std::move(*f);
    }
    firewall::NftFirewall fw(nft);
    if (auto s = fw.apply(nat_script(local_port(u->get()), local_port(t->get()))); !s.ok()) {
      return s.error().wrap("embedded DNS NAT rules");
    }
    o->udp = std::move(*u);
    o->tcp = std::move(*t);
    return ok_status();
  });
  if (!st.ok()) return st.error().wrap("start the embedded DNS resolver");
  spdlog::debug("dns: container {} resolver on udp {} tcp {}", id.substr(0, 12),
                local_port(o->udp.get()), local_port(o->tcp.get()));
  post([id, o, servers, host_upstreams](Loop& l) {
    if (auto it = l.containers.find(id); it != l.containers.end()) {
      l.drop(it->second);
      l.containers.erase(it);
    }
    Loop::Attachment a;
    if (o->fwd.valid()) {
      a.group = std::make_shared<UpstreamGroup>();
      a.group->id = l.next_group_id++;
      a.group->servers = servers;
      a.group->dead_until.assign(servers.size(), 0);
      a.group->fd = std::move(o->fwd);
      a.group->netns = std::move(o->netns);
      l.add(a.group->fd.get(), a.group.get());
    } else if (!host_upstreams) {
      a.group = std::make_shared<UpstreamGroup>();  // no servers: SERVFAIL
      a.group->id = l.next_group_id++;
    }
    a.udp = std::make_shared<Listener>(Kind::kUdp);
    a.udp->fd = std::move(o->udp);
    a.udp->scope_key = id;
    a.udp->group = a.group;
    a.tcp = std::make_shared<Listener>(Kind::kTcpListen);
    a.tcp->fd = std::move(o->tcp);
    a.tcp->scope_key = id;
    a.tcp->group = a.group;
    l.add(a.udp->fd.get(), a.udp.get());
    l.add(a.tcp->fd.get(), a.tcp.get());
    l.containers[id] = std::move(a);
  });
  return ok_status();
}

void Server::detach_container(const std::string& id) {
  post([id](Loop& l) {
    if (auto it = l.containers.find(id); it != l.containers.end()) {
      l.drop(it->second);
      l.containers.erase(it);
    }
  });
}

std::vector<std::string> Server::set_gateways(const std::vector<GatewaySpec>& gws) {
  std::lock_guard lock(mu_);
  std::vector<std::string> warnings;
  // Close the listeners of removed networks first, and wait for the loop to
  // have closed them: a new network may reuse the gateway address at once.
  std::vector<std::string> gone;
  for (const auto& [old, bound] : gateways_) {
    bool keep = false;
    for (const auto& g : gws) {
      if (g.network_id == old.network_id && g.gateway == old.gateway) keep = true;
    }
    if (!keep && bound) gone.push_back(old.network_id);
  }
  if (!gone.empty()) {
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    post([gone, done](Loop& l) {
      for (const auto& nid : gone) {
        if (auto it = l.gateways.find(nid); it != l.gateways.end()) {
          l.drop(it->second);
          l.gateways.erase(it);
        }
      }
      done->set_value();
    });
    if (thread_.joinable()) fut.wait_for(std::chrono::seconds(2));
  }
  std::vector<std::pair<GatewaySpec, bool>> next;
  for (const auto& g : gws) {
    bool known = false;
    for (const auto& [old, bound] : gateways_) {
      if (old.network_id == g.network_id && old.gateway == g.gateway && bound) known = true;
    }
    if (known) {
      next.emplace_back(g, true);
      continue;
    }
    auto u = bound_socket(SOCK_DGRAM, g.gateway, 53);
    auto t = u.ok() ? bound_socket(SOCK_STREAM, g.gateway, 53) : Result<UniqueFd>(u.error());
    if (!u.ok() || !t.ok()) {
      const std::string msg = "WARNING: embedded DNS for network " + g.network_name +
                              " not available on its gateway: " +
                              (u.ok() ? t.error().message() : u.error().message());
      spdlog::warn("{}", msg);
      warnings.push_back(msg);
      next.emplace_back(g, false);
      continue;
    }
    auto fds = std::make_shared<std::pair<UniqueFd, UniqueFd>>(std::move(*u), std::move(*t));
    post([g, fds](Loop& l) {
      Loop::Attachment a;
      a.udp = std::make_shared<Listener>(Kind::kUdp);
      a.tcp = std::make_shared<Listener>(Kind::kTcpListen);
      a.udp->fd = std::move(fds->first);
      a.tcp->fd = std::move(fds->second);
      for (auto* li : {a.udp.get(), a.tcp.get()}) {
        li->scope_key = "net:" + g.network_id;
        li->gateway = true;
        li->subnet = g.subnet;
        li->mask = g.mask;
      }
      l.add(a.udp->fd.get(), a.udp.get());
      l.add(a.tcp->fd.get(), a.tcp.get());
      if (auto it = l.gateways.find(g.network_id); it != l.gateways.end()) l.drop(it->second);
      l.gateways[g.network_id] = std::move(a);
    });
    next.emplace_back(g, true);
  }
  gateways_ = std::move(next);
  if (cfg_.firewall) {
    std::vector<GatewaySpec> bound;
    for (const auto& [g, b] : gateways_) {
      if (b) bound.push_back(g);
    }
    std::string script = render_gateway_guard(bound);
    if (script != guard_script_) {
      firewall::NftFirewall fw(cfg_.nft);
      if (auto st = fw.apply(script); st.ok()) {
        guard_script_ = std::move(script);
      } else {
        const std::string msg = "WARNING: embedded DNS input rule: " + st.error().message();
        spdlog::warn("{}", msg);
        warnings.push_back(msg);
      }
    }
  }
  return warnings;
}

std::string render_gateway_guard(const std::vector<GatewaySpec>& gws) {
  auto ip = [](uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff) + "." +
           std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
  };
  std::string s =
      "add table ip berth_dns\n"
      "delete table ip berth_dns\n"
      "table ip berth_dns {\n"
      "  chain input {\n"
      "    type filter hook input priority filter; policy accept;\n";
  for (const auto& g : gws) {
    int len = 0;
    for (uint32_t m = g.mask; m & 0x80000000u; m <<= 1) ++len;
    s += "    ip daddr " + ip(g.gateway) + " meta l4proto { tcp, udp } th dport 53 ip saddr != " +
         ip(g.subnet) + "/" + std::to_string(len) + " fib saddr type != local drop\n";
  }
  s += "  }\n}\n";
  return s;
}

void Server::publish(const State& st) {
  std::shared_ptr<const Snapshot> s;
  {
    std::lock_guard lock(mu_);
    s = builder_.build(st);
  }
  loop_->snap.store(std::move(s), std::memory_order_release);
}

ServerStats Server::stats() const {
  const Loop& l = *loop_;
  return {l.st_local.load(), l.st_fwd.load(), l.st_hits.load(),
          l.st_refused.load(), l.st_servfail.load(), l.st_timeouts.load()};
}

}  // namespace berth::dns

// The userland proxy: one for every published port, inside berthd, on a
// thread and io_context of its own (not the API's). It holds each host port
// (a bound socket), so a second binding of the same port fails with Docker's
// "port is already allocated", and in serving mode forwards:
//   TCP: accept → non-blocking connect with a timeout → recv/send for small
//        transfers, splice(2) through a pipe per direction for bulk; half-close
//        kept (EOF on one side is a shutdown(SHUT_WR) on the other);
//        backpressure (a direction stops reading while its destination is
//        full). The sockets sit in an epoll set per thread, not in Asio.
//   UDP: a flow per client address (a connected socket to the container),
//        closed after an idle timeout; recvmmsg/sendmmsg in batches.
// Counters per port (connections, bytes, errors) are kept for metrics.
//
// Threading: every public method may be called from any thread except the
// proxy's own; sockets are bound on the calling thread (errors come back at
// once), then handed to the proxy's threads (Options.threads: each accepts
// from every TCP listener, EPOLLEXCLUSIVE; the first serves UDP).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::proxy {

struct Options {
  bool serve = true;         // false: only hold the ports (--userland-proxy=false)
  int connect_timeout_ms = 10000;
  int udp_idle_timeout_ms = 90000;  // Docker's DefaultConnTrackTimeout
  int udp_max_flows = 4096;         // per port; new clients beyond it are dropped
  // Ephemeral host ports (HostPort ""), chosen serially as Docker does.
  int ephemeral_first = 32768;
  int ephemeral_last = 60999;
  // Proxy threads (each its own io_context and epoll set); 0 = one per CPU
  // (at most 8). Each accepts TCP connections from every listener (the
  // kernel wakes one of them per connection); the first serves the UDP
  // ports. Without serving: one. Default one per CPU: on 2 CPUs two
  // threads made 1.16x the connections/s of one for ~1.1x the CPU per
  // keep-alive request (bench/RESULTS.md, issue 5 run 5).
  int threads = 0;
};

// /proc/sys/net/ipv4/ip_local_port_range, or Docker's fallback 49153-65535.
std::pair<int, int> local_port_range();

// A requested binding. host_port_first..last: the host ports allowed (0..0 =
// any from the ephemeral range; first==last = exactly that one).
struct Request {
  int proto = 6;             // IPPROTO_TCP / IPPROTO_UDP
  uint32_t host_ip = 0;      // host byte order, 0 = every address
  int host_port_first = 0;
  int host_port_last = 0;
  int container_port = 0;
};

// A bound binding: the host port chosen.
struct Bound {
  int proto = 6;
  uint32_t host_ip = 0;
  int host_port = 0;
  int container_port = 0;
};

struct PortStats {
  int proto = 6;
  uint32_t host_ip = 0;
  int host_port = 0;
  uint64_t connections = 0;  // TCP connections accepted / UDP flows created
  uint64_t active = 0;       // open connections / flows now
  uint64_t bytes_in = 0;     // client → container
  uint64_t bytes_out = 0;    // container → client
  uint64_t errors = 0;       // failed connects, splice errors, dropped datagrams
};

class Proxy;

// Sockets bound for one container, not yet serving. Destroying it releases
// the ports (the undo of a failed start).
class Reservation {
 public:
  ~Reservation();
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  const std::vector<Bound>& bound() const { return bound_; }

 private:
  friend class Proxy;
  explicit Reservation(Proxy* p) : proxy_(p) {}
  Proxy* proxy_;
  std::vector<Bound> bound_;
  std::vector<UniqueFd> fds_;  // parallel to bound_
};

class Proxy {
 public:
  explicit Proxy(Options opts);
  ~Proxy();  // stops the thread, closes every socket

  // Binds every request (all or none). Conflict with Docker's text when a
  // port is held by berth already ("Bind for 0.0.0.0:8080 failed: port is
  // already allocated"), Unavailable when another process holds it ("failed
  // to bind host port for 0.0.0.0:8080:172.17.0.2:80/tcp: address already in
  // use"). `container_ip` is only used in that message.
  Result<std::unique_ptr<Reservation>> reserve(const std::vector<Request>& reqs,
                                               const std::string& container_ip);

  // Starts serving a reservation under `key` (the container id), forwarding
  // to container_ip (host byte order). Without serving (Options.serve false)
  // the sockets are only kept.
  void activate(const std::string& key, std::unique_ptr<Reservation> r, uint32_t container_ip);

  // Closes the ports of `key` and their connections; waits until done.
  void release(const std::string& key);

  std::vector<PortStats> stats();
  size_t port_count();

 private:
  friend class Reservation;
  struct Impl;
  void unhold(const Bound& b);
  bool held(int proto, uint32_t ip, int port);  // mu_ held

  Options opts_;
  std::mutex mu_;
  // (proto, port) → host addresses held.
  std::map<std::pair<int, int>, std::vector<uint32_t>> holds_;
  std::map<std::pair<int, uint32_t>, int> cursor_;  // serial ephemeral allocation
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::proxy

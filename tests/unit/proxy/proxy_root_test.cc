// The userland proxy against real sockets on loopback, in a network
// namespace the test creates (unshare), so nothing touches the host's ports.
#include <arpa/inet.h>
#include <linux/tcp.h>  // tcp_info with tcpi_segs_in
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/proxy.h"

namespace berth::proxy {
namespace {

constexpr uint32_t kLo = 0x7f000001;

class ProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << strerror(errno);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr {};
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ASSERT_EQ(::ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(::ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
    ::close(fd);
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

sockaddr_in lo_addr(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(kLo);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

int listen_on(int type, int* port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a = lo_addr(0);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(fd, 16), 0);
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = lo_addr(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
  return fd;
}

// A TCP backend: for each connection reads until EOF, then answers with
// everything it read (so the answer proves the client's half-close arrived),
// then closes.
struct EchoAfterEof {
  int lfd = -1, port = 0;
  std::thread t;
  // delay_ms: a backend slow to start reading (the proxy's destination full).
  explicit EchoAfterEof(int conns, int delay_ms = 0) {
    lfd = listen_on(SOCK_STREAM, &port);
    if (delay_ms > 0) {  // and a small window, so the proxy's sends fall short
      int v = 4096;
      ::setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    }
    t = std::thread([this, conns, delay_ms] {
      for (int i = 0; i < conns; ++i) {
        int c = ::accept(lfd, nullptr, nullptr);
        if (c < 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        std::string got;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
        size_t off = 0;
        while (off < got.size()) {
          n = ::write(c, got.data() + off, got.size() - off);
          if (n <= 0) break;
          off += static_cast<size_t>(n);
        }
        ::close(c);
      }
    });
  }
  ~EchoAfterEof() {
    t.join();
    ::close(lfd);
  }
};

std::unique_ptr<Reservation> reserve_ok(Proxy& p, int proto, int port = 0) {
  auto r = p.reserve({Request{proto, kLo, port, port, 80}}, "127.0.0.1");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : nullptr;
}

// Publishes an ephemeral port on 127.0.0.1 for container `id` at kLo:backend
// and returns it (0 when the reservation failed).
int serve(Proxy& p, int proto, int backend, const std::string& id) {
  auto r = p.reserve({Request{proto, kLo, 0, 0, backend}}, "127.0.0.1");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return 0;
  const int hp = (*r)->bound()[0].host_port;
  p.activate(id, std::move(*r), kLo);
  return hp;
}

// One connection through the proxy: writes `data` in `chunk`-byte writes
// (`pause_us` between them), half-closes, and returns all it read back.
std::string echo_through(int port, const std::string& data, size_t chunk, int pause_us) {
  int c = connect_to(port);
  std::thread writer([&] {
    for (size_t off = 0; off < data.size();) {
      ssize_t n = ::write(c, data.data() + off, std::min(data.size() - off, chunk));
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
      if (pause_us > 0) ::usleep(static_cast<useconds_t>(pause_us));
    }
    ::shutdown(c, SHUT_WR);
  });
  std::string got;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  writer.join();
  ::close(c);
  return got;
}

// One port's counters after `conns` echoes of `size` bytes each, without error.
void expect_counters(Proxy& p, uint64_t conns, size_t size) {
  auto st = p.stats();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].connections, conns);
  EXPECT_EQ(st[0].bytes_in, conns * size);
  EXPECT_EQ(st[0].bytes_out, conns * size);
  EXPECT_EQ(st[0].errors, 0u);
}

TEST_F(ProxyTest, TcpSpliceEchoWithHalfClose) {
  EchoAfterEof backend(2);
  Proxy p(Options{});
  const int hp = serve(p, IPPROTO_TCP, backend.port, "c1");
  ASSERT_GT(hp, 0);
  ASSERT_GE(hp, 32768);

  // 8 MiB through the proxy, then a half-close; the answer arrives after it.
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 12));
  for (int round = 0; round < 2; ++round) {
    std::string got = echo_through(hp, data, 1 << 20, 0);
    ASSERT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
  }
  expect_counters(p, 2, data.size());
}

// Small writes go through the copy path (recv/send); a backend that does not
// read yet makes send fall short, the rest waits in the pipe, then the
// direction turns to splice. Three threads: each accepts (EPOLLEXCLUSIVE),
// the counters are summed.
TEST_F(ProxyTest, SmallWritesSlowBackendManyThreads) {
  EchoAfterEof backend(3, 300);
  Options o;
  o.threads = 3;
  Proxy p(o);
  const int hp = serve(p, IPPROTO_TCP, backend.port, "c1");
  ASSERT_GT(hp, 0);
  std::string data(6 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + (i >> 10));
  for (int round = 0; round < 3; ++round) {
    // Paced 1,000-byte writes: the proxy's reads stay small.
    std::string got = echo_through(hp, data, 1000, 10);
    ASSERT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
  }
  expect_counters(p, 3, data.size());
  p.release("c1");
  EXPECT_EQ(p.port_count(), 0u);
  EXPECT_TRUE(p.stats().empty());
}

TEST_F(ProxyTest, RefusedBackendClosesClientAndCounts) {
  int dead_port;
  int fd = listen_on(SOCK_STREAM, &dead_port);
  ::close(fd);  // nothing listens there now
  Proxy p(Options{});
  const int hp = serve(p, IPPROTO_TCP, dead_port, "c");
  ASSERT_GT(hp, 0);
  int c = connect_to(hp);
  char b;
  EXPECT_LE(::read(c, &b, 1), 0);
  ::close(c);
  EXPECT_EQ(p.stats()[0].errors, 1u);
}

// A backend whose accept queue is full drops the proxy's SYN: the connect
// times out, the client is closed, the error counted, and nothing is left.
TEST_F(ProxyTest, ConnectTimeoutClosesClient) {
  int port;
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = lo_addr(0);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  std::vector<int> fill;
  for (int i = 0; i < 3; ++i) {  // never accepted
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fill.push_back(f);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Options o;
  o.connect_timeout_ms = 300;
  Proxy p(o);
  const int hp = serve(p, IPPROTO_TCP, port, "c");
  ASSERT_GT(hp, 0);
  const auto t0 = std::chrono::steady_clock::now();
  int c = connect_to(hp);
  char b;
  EXPECT_LE(::read(c, &b, 1), 0);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
  ::close(c);
  auto st = p.stats();
  EXPECT_EQ(st[0].errors, 1u);
  EXPECT_EQ(st[0].active, 0u);
  for (int f : fill) ::close(f);
  ::close(lfd);
}

// The proxy's connect holds the handshake's last ACK back until it has
// data to send: a backend whose client wrote at once gets the SYN and one
// segment with the ACK and the data (segs_in 2, was 3). A backend that
// speaks first gets its ACK at once, not after the 200 ms delayed-ACK timer.
TEST_F(ProxyTest, HandshakeAckRidesOnFirstDataUnlessServerSpeaksFirst) {
  int bport;
  int lfd = listen_on(SOCK_STREAM, &bport);
  Proxy p(Options{});
  const int hp = serve(p, IPPROTO_TCP, bport, "c");
  ASSERT_GT(hp, 0);

  for (int i = 0; i < 3; ++i) {  // the client writes first
    // ... and, by the same option, its own handshake's ACK comes with the
    // data, so the request is there when the proxy accepts (as under load).
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ASSERT_EQ(::setsockopt(c, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one), 0);
    sockaddr_in a = lo_addr(hp);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::write(c, "ping", 4), 4);
    int s = ::accept(lfd, nullptr, nullptr);
    ASSERT_GE(s, 0);
    char buf[8];
    ASSERT_EQ(::read(s, buf, sizeof buf), 4);
    tcp_info ti{};
    socklen_t len = sizeof ti;
    ASSERT_EQ(::getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    EXPECT_EQ(ti.tcpi_segs_in, 2u) << "SYN, then the ACK with the data";
    ::close(s);
    ::close(c);
  }
  for (int i = 0; i < 3; ++i) {  // the server writes first
    const auto t0 = std::chrono::steady_clock::now();
    int c = connect_to(hp);
    int s = ::accept(lfd, nullptr, nullptr);
    ASSERT_GE(s, 0);
    ASSERT_EQ(::write(s, "220 hi", 6), 6);
    char buf[8];
    ASSERT_EQ(::read(c, buf, sizeof buf), 6);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
    EXPECT_LT(ms, 150) << "the backend's accept waited for the delayed ACK";
    ::close(s);
    ::close(c);
  }
  ::close(lfd);
  EXPECT_EQ(p.stats()[0].errors, 0u);
}

TEST_F(ProxyTest, ConflictsUseDockersMessages) {
  Proxy p(Options{});
  auto a = reserve_ok(p, IPPROTO_TCP, 18080);
  auto b = p.reserve({Request{IPPROTO_TCP, 0, 18080, 18080, 80}}, "172.17.0.2");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message(), "Bind for 0.0.0.0:18080 failed: port is already allocated");
  // The same port over UDP is another binding.
  auto u = reserve_ok(p, IPPROTO_UDP, 18080);
  EXPECT_EQ(p.port_count(), 2u);
  a.reset();  // undo: the port is free again
  u.reset();
  EXPECT_EQ(p.port_count(), 0u);
  // Held by another program.
  int other;
  int fd = listen_on(SOCK_STREAM, &other);
  auto c = p.reserve({Request{IPPROTO_TCP, 0, 18081, 18081, 80}, Request{IPPROTO_TCP, kLo, other, other, 80}},
                     "172.17.0.2");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "failed to bind host port for 127.0.0.1:" + std::to_string(other) +
                                     ":172.17.0.2:80/tcp: address already in use");
  EXPECT_EQ(p.port_count(), 0u);  // all or none: 18081 was released too
  ::close(fd);
}

TEST_F(ProxyTest, EphemeralPortsAreSerial) {
  Options o;
  o.ephemeral_first = 40000;
  o.ephemeral_last = 40009;
  Proxy p(o);
  auto a = reserve_ok(p, IPPROTO_TCP);
  auto b = reserve_ok(p, IPPROTO_TCP);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->bound()[0].host_port, 40000);
  EXPECT_EQ(b->bound()[0].host_port, 40001);
  a.reset();
  auto c = reserve_ok(p, IPPROTO_TCP);
  EXPECT_EQ(c->bound()[0].host_port, 40002);  // serial, not lowest free
}

TEST_F(ProxyTest, UdpEchoWithFlowsAndIdleTimeout) {
  int bport;
  int bfd = listen_on(SOCK_DGRAM, &bport);
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    timeval tv{0, 100000};
    ::setsockopt(bfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[2048];
    while (!stop) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(bfd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) ::sendto(bfd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  Options o;
  o.udp_idle_timeout_ms = 300;
  Proxy p(o);
  const int hp = serve(p, IPPROTO_UDP, bport, "u");
  ASSERT_GT(hp, 0);
  for (int client = 0; client < 2; ++client) {
    int c = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a = lo_addr(hp);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    for (int i = 0; i < 20; ++i) {
      std::string msg = "client " + std::to_string(client) + " #" + std::to_string(i);
      ASSERT_EQ(::send(c, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
      char buf[256];
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      ASSERT_EQ(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))), msg);
    }
    ::close(c);
  }
  auto st = p.stats();
  EXPECT_EQ(st[0].connections, 2u);  // one flow per client
  EXPECT_EQ(st[0].active, 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  EXPECT_EQ(p.stats()[0].active, 0u);  // idle flows closed
  stop = true;
  echo.join();
  ::close(bfd);
}

}  // namespace
}  // namespace berth::proxy

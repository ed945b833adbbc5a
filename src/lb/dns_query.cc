#include "lb/dns_query.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace berth::lb::dnsq {

std::vector<uint8_t> build_a_query(const std::string& name, uint16_t id) {
  std::vector<uint8_t> q = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t s = 0;
  while (s < name.size()) {
    size_t d = name.find('.', s);
    if (d == std::string::npos) d = name.size();
    size_t len = std::min<size_t>(d - s, 63);
    if (len > 0) {
      q.push_back(static_cast<uint8_t>(len));
      q.insert(q.end(), name.begin() + static_cast<long>(s), name.begin() + static_cast<long>(s + len));
    }
    s = d + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {0, 1, 0, 1});  // A, IN
  return q;
}

namespace {
// Skips a (possibly compressed) name; false if malformed.
bool skip_name(const uint8_t* p, size_t n, size_t& i) {
  for (int guard = 0; guard < 128; ++guard) {
    if (i >= n) return false;
    uint8_t l = p[i];
    if (l == 0) { ++i; return true; }
    if ((l & 0xc0) == 0xc0) { if (i + 2 > n) return false; i += 2; return true; }
    if (l & 0xc0) return false;
    i += 1 + l;
  }
  return false;
}
}  // namespace

std::optional<Answer> parse_a_response(const uint8_t* p, size_t n, uint16_t id) {
  if (n < 12) return std::nullopt;
  if (((p[0] << 8) | p[1]) != id || !(p[2] & 0x80)) return std::nullopt;
  Answer a;
  a.rcode = p[3] & 0x0f;
  int qd = (p[4] << 8) | p[5], an = (p[6] << 8) | p[7];
  size_t i = 12;
  for (int k = 0; k < qd; ++k) {
    if (!skip_name(p, n, i) || i + 4 > n) return std::nullopt;
    i += 4;
  }
  for (int k = 0; k < an; ++k) {
    if (!skip_name(p, n, i) || i + 10 > n) return std::nullopt;
    int type = (p[i] << 8) | p[i + 1], cls = (p[i + 2] << 8) | p[i + 3];
    size_t rdlen = static_cast<size_t>((p[i + 8] << 8) | p[i + 9]);
    i += 10;
    if (i + rdlen > n) return std::nullopt;
    if (type == 1 && cls == 1 && rdlen == 4)
      a.addrs.push_back((uint32_t{p[i]} << 24) | (uint32_t{p[i + 1]} << 16) | (uint32_t{p[i + 2]} << 8) | p[i + 3]);
    i += rdlen;
  }
  std::sort(a.addrs.begin(), a.addrs.end());
  a.addrs.erase(std::unique(a.addrs.begin(), a.addrs.end()), a.addrs.end());
  return a;
}

std::optional<Answer> query_a(uint32_t server, uint16_t port, const std::string& name, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::nullopt;
  static thread_local std::mt19937 rng{std::random_device{}()};
  uint16_t id = static_cast<uint16_t>(rng());
  auto q = build_a_query(name, id);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(server);
  std::optional<Answer> out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && send(fd, q.data(), q.size(), 0) >= 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    uint8_t buf[1500];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      pollfd pf{fd, POLLIN, 0};
      if (poll(&pf, 1, static_cast<int>(left)) <= 0) break;
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r < 0) break;
      if ((out = parse_a_response(buf, static_cast<size_t>(r), id))) break;
    }
  }
  close(fd);
  return out;
}

}  // namespace berth::lb::dnsq

// A-record lookups for `server NAME:PORT resolve;`: a tiny pure codec (one
// question, A answers, compressed names skipped) and a blocking UDP query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::lb::dnsq {

std::vector<uint8_t> build_a_query(const std::string& name, uint16_t id);

struct Answer {
  int rcode = 0;
  std::vector<uint32_t> addrs;  // IPv4, host order, sorted
};
// nullopt: not a response to `id`, or malformed.
std::optional<Answer> parse_a_response(const uint8_t* p, size_t n, uint16_t id);

// Asks `server` (IPv4 host order) over UDP, waits at most timeout_ms.
std::optional<Answer> query_a(uint32_t server, uint16_t port, const std::string& name, int timeout_ms);

}  // namespace berth::lb::dnsq

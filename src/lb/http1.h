// HTTP/1.x message framing for the proxy: pure functions over byte spans.
// The proxy forwards bytes as they arrive; these parsers only find where a
// head ends, what the body framing is, and which headers it must rewrite.
// Smuggling defences (RFC 9112 §6.3): Content-Length together with
// Transfer-Encoding, differing Content-Lengths, a Transfer-Encoding other than
// a final "chunked", obs-fold, and whitespace before the colon are errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace berth::lb::http1 {

enum class Parse { kOk, kIncomplete, kError };

struct Header {
  std::string_view name, value;
};

constexpr int kMaxHeaders = 64;

struct Head {
  // request: method + target; response: status
  std::string_view method, target, reason;
  int status = 0;
  int version_minor = 1;
  size_t head_len = 0;         // bytes up to and including the blank line
  int64_t content_length = -1;  // -1: none
  bool chunked = false;
  bool conn_close = false;      // Connection: close (or HTTP/1.0 without keep-alive)
  bool conn_keep_alive = false;  // explicit Connection: keep-alive
  bool expect_continue = false;
  bool upgrade = false;
  int n_headers = 0;
  Header headers[kMaxHeaders];
  const char* error = nullptr;  // why kError
};

Parse parse_request(std::string_view buf, Head& h);
Parse parse_response(std::string_view buf, Head& h);

// True for headers a proxy must not forward (hop-by-hop, RFC 9110 §7.6.1)
// plus those berth-lb sets itself.
bool is_hop_by_hop(std::string_view name);
bool iequals(std::string_view a, std::string_view b);

// Where a chunked body ends, fed in pieces. The bytes are forwarded as they
// are; the decoder only counts.
class ChunkedScanner {
 public:
  // Consumes bytes of `in` that belong to the body; returns how many (less
  // than in.size() only when done() or error()).
  size_t feed(std::string_view in);
  bool done() const { return state_ == kDone; }
  bool error() const { return state_ == kError; }
  // Payload bytes seen so far (for statistics and the limit).
  uint64_t payload() const { return payload_; }

 private:
  enum State { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kLastLf, kDone, kError };
  State state_ = kSize;
  uint64_t size_ = 0;
  int digits_ = 0;
  uint64_t payload_ = 0;
};

}  // namespace berth::lb::http1

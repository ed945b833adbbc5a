// Fuzzes berth-lb's pure parsers: the first byte picks nginx.conf, an HTTP
// request head, a response head, or a chunked body fed in pieces. Also
// linked into the unit tests (lb_fuzz_smoke) for a short run in `make test`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lb/config.h"
#include "lb/http1.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace berth::lb;
  switch (data[0] % 4) {
    case 0: {
      auto c = parse_config(in, "fuzz.conf");
      (void)c;
      break;
    }
    case 1: {
      http1::Head h;
      if (http1::parse_request(in, h) == http1::Parse::kOk) {
        if (h.head_len > in.size() || h.n_headers > http1::kMaxHeaders) __builtin_trap();
        if (h.chunked && h.content_length >= 0) __builtin_trap();
      }
      break;
    }
    case 2: {
      http1::Head h;
      if (http1::parse_response(in, h) == http1::Parse::kOk && h.head_len > in.size()) __builtin_trap();
      break;
    }
    default: {
      http1::ChunkedScanner a, b;
      size_t whole = a.feed(in), pieces = 0;
      for (size_t i = 0; i < in.size() && !b.done() && !b.error(); i += 3)
        pieces += b.feed(in.substr(i, 3));
      if (a.done() != b.done() || (a.done() && whole != pieces)) __builtin_trap();
      break;
    }
  }
  return 0;
}

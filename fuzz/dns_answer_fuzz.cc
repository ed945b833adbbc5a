// Fuzzes the embedded DNS's answer path: the bytes as a query answered from a
// snapshot (UDP and TCP limits, an alias group, PTR), and the same bytes as
// an upstream response stored in and served from the cache.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "dns/cache.h"
#include "dns/resolver.h"
#include "dns/wire.h"

namespace {

using namespace berth::dns;

std::shared_ptr<const Snapshot> make_snapshot() {
  State st;
  NetworkSpec n{"n1", "netlb", {}};
  for (uint32_t i = 0; i < 40; ++i) {
    n.members.push_back({{"nettest" + std::to_string(i), "tg-net", "abcdef0000" + std::to_string(i)},
                         (172u << 24) | (200u << 16) | (1u << 8) | (2 + i)});
  }
  st.networks = {n};
  st.scopes = {{"s", {"n1"}}, {"s-ndots", {"n1"}, true}};
  static SnapshotBuilder b;
  return b.build(st);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto snap = make_snapshot();
  static uint8_t out[65536];
  static Cache cache(64, 3600);
  const std::span<const uint8_t> in(data, size);
  Query q;
  // Without and with Docker's ndots rule (single-label names answered empty).
  const Scope* scope = snap->scope(size % 2 ? "s-ndots" : "s");
  for (bool tcp : {false, true}) {
    const Outcome o = answer(in, scope, 600, tcp, std::span<uint8_t>(out, tcp ? 65535 : 4096), q);
    if (o.len > (tcp ? 65535u : 4096u)) __builtin_trap();
    if (o.action == Action::kReply) {
      // Our own answers must walk cleanly.
      if (!walk_records(std::span<const uint8_t>(out, o.len), [](size_t, uint16_t, uint32_t, size_t, uint16_t) {})) {
        __builtin_trap();
      }
    }
    if (o.action == Action::kForward) {
      char key[8 + kMaxName + 8];
      const auto k = Cache::key(q, 0, key);
      (void)error_answer(in, q, kRcodeServFail, std::span<uint8_t>(out, 512));
      cache.insert(k, in, 1000);
      (void)cache.lookup(k, in, q, 2000, 4096, std::span<uint8_t>(out, 4096));
    }
  }
  // The checks on an upstream's answer (UDP and TCP paths), and TCP framing.
  (void)response_matches(in, in, q.question_end);
  (void)is_truncated(in);
  if (const long n = framed_length(in); n >= 0 && n > static_cast<long>(size) - 2) __builtin_trap();
  // The bytes as an upstream response: cached, then served.
  if (size >= kHeaderSize && size <= 4096) {
    static uint8_t buf[4096];
    std::memcpy(buf, data, size);
    buf[2] |= 0x80;
    const size_t qend = skip_name(std::span<const uint8_t>(buf, size), kHeaderSize);
    if (qend != 0 && qend + 4 <= size) {
      Query rq{};
      rq.question_end = qend + 4;
      const std::string_view key(reinterpret_cast<const char*>(buf) + kHeaderSize, qend - kHeaderSize);
      cache.insert(key, std::span<const uint8_t>(buf, size), 1000);
      (void)cache.lookup(key, std::span<const uint8_t>(buf, size), rq, 5000, 4096,
                         std::span<uint8_t>(out, 4096));
    }
  }
  uint8_t name[kMaxName + 1];
  size_t len = 0;
  for (size_t off = 0; off < size && off < 64; off += 7) (void)read_name(in, off, name, &len);
  return 0;
}

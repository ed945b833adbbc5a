// The DNS wire codec. Every read is checked against the message length
// before it happens; names are bounded at 255 bytes and compression pointers
// must point backwards (RFC 1035 §4.1.4), which also rules out loops.
#include "dns/wire.h"

#include <cstring>

namespace berth::dns {
namespace {

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

}  // namespace

size_t read_name(std::span<const uint8_t> msg, size_t off, uint8_t* out, size_t* out_len) {
  size_t len = 0;
  size_t end = 0;  // offset after the name in its original position
  size_t limit = off;  // pointers must go strictly below this
  const uint8_t* p = msg.data();
  const size_t n = msg.size();
  for (;;) {
    if (off >= n) return 0;
    const uint8_t c = p[off];
    if ((c & 0xc0) == 0xc0) {
      if (off + 1 >= n) return 0;
      const size_t target = static_cast<size_t>((c & 0x3f) << 8 | p[off + 1]);
      if (end == 0) end = off + 2;
      if (target >= limit) return 0;
      limit = target;
      off = target;
      continue;
    }
    if (c & 0xc0) return 0;  // 0x40/0x80: extended label types, unsupported
    if (off + 1 + c > n) return 0;
    if (len + 1 + c > kMaxName) return 0;
    out[len++] = c;
    for (size_t i = 0; i < c; ++i) out[len++] = lower(p[off + 1 + i]);
    off += 1 + c;
    if (c == 0) break;
  }
  if (end == 0) end = off;
  *out_len = len;
  return end;
}

size_t skip_name(std::span<const uint8_t> msg, size_t off) {
  size_t total = 0;
  const uint8_t* p = msg.data();
  for (;;) {
    if (off >= msg.size()) return 0;
    const uint8_t c = p[off];
    if ((c & 0xc0) == 0xc0) return off + 2 <= msg.size() ? off + 2 : 0;
    if (c & 0xc0) return 0;
    total += 1 + c;
    if (total > kMaxName) return 0;
    off += 1 + c;
    if (c == 0) return off <= msg.size() ? off : 0;
  }
}

ParseStatus parse_query(std::span<const uint8_t> msg, Query& q) {
  if (msg.size() < kHeaderSize) return ParseStatus::kDrop;
  const uint8_t* p = msg.data();
  q.id = get16(p);
  q.flags = get16(p + 2);
  if (q.flags & 0x8000) return ParseStatus::kDrop;  // a response: never answer one
  q.opcode = static_cast<uint8_t>((q.flags >> 11) & 0xf);
  q.rd = (q.flags & 0x0100) != 0;
  q.has_edns = false;
  q.edns_udp_size = 0;
  if (q.opcode != 0) return ParseStatus::kNotImp;
  if (get16(p + 4) != 1 || get16(p + 6) != 0 || get16(p + 8) != 0 || get16(p + 10) > 1) {
    return ParseStatus::kFormErr;
  }
  // The question name: plain labels only.
  size_t off = kHeaderSize;
  size_t len = 0;
  for (;;) {
    if (off >= msg.size()) return ParseStatus::kFormErr;
    const uint8_t c = p[off];
    if (c & 0xc0) return ParseStatus::kFormErr;
    if (off + 1 + c > msg.size() || len + 1 + c > kMaxName) return ParseStatus::kFormErr;
    q.qname_buf[len++] = c;
    for (size_t i = 0; i < c; ++i) q.qname_buf[len++] = lower(p[off + 1 + i]);
    off += 1 + c;
    if (c == 0) break;
  }
  q.qname_len = static_cast<uint8_t>(len);
  if (off + 4 > msg.size()) return ParseStatus::kFormErr;
  q.qtype = get16(p + off);
  q.qclass = get16(p + off + 2);
  off += 4;
  q.question_end = off;
  if (get16(p + 10) == 1) {
    // RFC 6891 §6.1.2: the OPT's owner is the root, its class the payload size.
    if (off + 11 > msg.size() || p[off] != 0) return ParseStatus::kFormErr;
    if (get16(p + off + 1) != kTypeOPT) return ParseStatus::kFormErr;
    const uint16_t rdlen = get16(p + off + 9);
    if (off + 11 + rdlen > msg.size()) return ParseStatus::kFormErr;
    q.has_edns = true;
    q.edns_udp_size = get16(p + off + 3);
  }
  return ParseStatus::kOk;
}

bool encode_name(std::string_view dotted, std::string& wire) {
  wire.clear();
  if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
  if (dotted.empty()) {
    wire.push_back('\0');
    return true;
  }
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    const size_t n = dot - start;
    if (n == 0 || n > 63) return false;
    wire.push_back(static_cast<char>(n));
    for (size_t i = start; i < dot; ++i) wire.push_back(static_cast<char>(lower(static_cast<uint8_t>(dotted[i]))));
    start = dot + 1;
  }
  wire.push_back('\0');
  return wire.size() <= kMaxName;
}

std::string name_to_text(std::string_view wire) {
  std::string out;
  size_t i = 0;
  while (i < wire.size()) {
    const auto n = static_cast<uint8_t>(wire[i]);
    if (n == 0) break;
    if (i + 1 + n > wire.size()) break;
    out.append(wire.substr(i + 1, n));
    out.push_back('.');
    i += 1 + n;
  }
  return out.empty() ? "." : out;
}

bool parse_reverse_v4(std::string_view wire, uint32_t& addr) {
  // Four decimal labels, then "in-addr" and "arpa".
  uint32_t parts[4];
  size_t i = 0;
  for (int k = 0; k < 4; ++k) {
    if (i >= wire.size()) return false;
    const auto n = static_cast<uint8_t>(wire[i]);
    if (n < 1 || n > 3 || i + 1 + n > wire.size()) return false;
    uint32_t v = 0;
    for (size_t j = 0; j < n; ++j) {
      const char c = wire[i + 1 + j];
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v > 255 || (n > 1 && wire[i + 1] == '0')) return false;
    parts[k] = v;
    i += 1 + n;
  }
  static constexpr std::string_view kTail("\7in-addr\4arpa\0", 14);
  if (wire.substr(i) != kTail) return false;
  addr = parts[3] << 24 | parts[2] << 16 | parts[1] << 8 | parts[0];
  return true;
}

AnswerWriter::AnswerWriter(std::span<uint8_t> out, size_t limit, bool room_for_opt)
    : out_(out.data()),
      cap_(limit < out.size() ? limit : out.size()),
      opt_room_(room_for_opt && cap_ >= 11 ? 11 : 0) {
  cap_ -= opt_room_;
}

bool AnswerWriter::reserve(size_t n) { return len_ + n <= cap_; }

bool AnswerWriter::begin(std::span<const uint8_t> query, const Query& q, uint8_t rcode) {
  if (!reserve(q.question_end) || query.size() < q.question_end) return false;
  std::memcpy(out_, query.data(), q.question_end);
  // QR, opcode and RD as asked, RA; AA, TC, Z, AD, CD clear.
  const uint16_t flags = static_cast<uint16_t>(0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 0xf));
  put16(out_ + 2, flags);
  put16(out_ + 4, 1);
  put16(out_ + 6, 0);
  put16(out_ + 8, 0);
  put16(out_ + 10, 0);
  len_ = q.question_end;
  ancount_ = 0;
  truncated_ = false;
  return true;
}

bool AnswerWriter::begin_header_only(std::span<const uint8_t> query, uint8_t rcode) {
  if (!reserve(kHeaderSize) || query.size() < kHeaderSize) return false;
  std::memcpy(out_, query.data(), kHeaderSize);
  const uint16_t qflags = get16(query.data() + 2);
  put16(out_ + 2, static_cast<uint16_t>(0x8000 | (qflags & 0x7900) | 0x0080 | (rcode & 0xf)));
  std::memset(out_ + 4, 0, 8);
  len_ = kHeaderSize;
  return true;
}

bool AnswerWriter::add_a(uint32_t ttl, uint32_t addr) {
  if (truncated_ || !reserve(16)) {
    truncated_ = true;
    out_[2] |= 0x02;
    return false;
  }
  uint8_t* p = out_ + len_;
  put16(p, 0xc00c);
  put16(p + 2, kTypeA);
  put16(p + 4, kClassIN);
  put32(p + 6, ttl);
  put16(p + 10, 4);
  put32(p + 12, addr);
  len_ += 16;
  put16(out_ + 6, ++ancount_);
  return true;
}

bool AnswerWriter::add_ptr(uint32_t ttl, std::string_view target) {
  if (truncated_ || !reserve(12 + target.size())) {
    truncated_ = true;
    out_[2] |= 0x02;
    return false;
  }
  uint8_t* p = out_ + len_;
  put16(p, 0xc00c);
  put16(p + 2, kTypePTR);
  put16(p + 4, kClassIN);
  put32(p + 6, ttl);
  put16(p + 10, static_cast<uint16_t>(target.size()));
  std::memcpy(p + 12, target.data(), target.size());
  len_ += 12 + target.size();
  put16(out_ + 6, ++ancount_);
  return true;
}

bool AnswerWriter::add_opt(uint16_t udp_size) {
  if (len_ + 11 > cap_ + opt_room_) return false;
  uint8_t* p = out_ + len_;
  p[0] = 0;
  put16(p + 1, kTypeOPT);
  put16(p + 3, udp_size);
  put32(p + 5, 0);
  put16(p + 9, 0);
  len_ += 11;
  put16(out_ + 10, 1);
  return true;
}

bool response_matches(std::span<const uint8_t> resp, std::span<const uint8_t> query,
                      size_t question_end) {
  if (query.size() < question_end || question_end < kHeaderSize || resp.size() < question_end) {
    return false;
  }
  if (get16(resp.data()) != get16(query.data()) || !(resp[2] & 0x80) || get16(resp.data() + 4) != 1) {
    return false;
  }
  for (size_t i = kHeaderSize; i < question_end; ++i) {
    if (lower(resp[i]) != lower(query[i])) return false;
  }
  return true;
}

}  // namespace berth::dns

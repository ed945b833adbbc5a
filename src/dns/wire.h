// The DNS wire format (RFC 1035, RFC 6891) as far as the embedded resolver
// needs it: the header, one question, A/AAAA/PTR answers with name
// compression, the OPT pseudo-record, and a walk over the records of an
// upstream answer (to find TTLs for the cache). Pure and allocation-free:
// every function works on caller-owned byte spans and checks every bound,
// so it may be fed any bytes (fuzz/dns_answer_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace berth::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNS = 2;
inline constexpr uint16_t kTypeCNAME = 5;
inline constexpr uint16_t kTypeSOA = 6;
inline constexpr uint16_t kTypePTR = 12;
inline constexpr uint16_t kTypeMX = 15;
inline constexpr uint16_t kTypeTXT = 16;
inline constexpr uint16_t kTypeAAAA = 28;
inline constexpr uint16_t kTypeOPT = 41;
inline constexpr uint16_t kClassIN = 1;

inline constexpr uint8_t kRcodeNoError = 0;
inline constexpr uint8_t kRcodeFormErr = 1;
inline constexpr uint8_t kRcodeServFail = 2;
inline constexpr uint8_t kRcodeNXDomain = 3;
inline constexpr uint8_t kRcodeNotImp = 4;
inline constexpr uint8_t kRcodeRefused = 5;

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxName = 255;  // wire length, RFC 1035 §2.3.4

inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// A parsed query. `qname` is the question name in wire form, lower-cased
// (ASCII only, as RFC 4343 asks), pointing into `qname_buf`.
struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // the header's second 16 bits as received
  uint8_t opcode = 0;
  bool rd = false;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t question_end = 0;  // offset just past the question
  bool has_edns = false;
  uint16_t edns_udp_size = 0;  // the requestor's payload size (RFC 6891 §6.2.3)
  uint8_t qname_len = 0;
  uint8_t qname_buf[kMaxName + 1];
  std::string_view qname() const {
    return {reinterpret_cast<const char*>(qname_buf), qname_len};
  }
};

enum class ParseStatus {
  kOk,
  kDrop,     // not worth an answer: shorter than a header, or a response
  kFormErr,  // a header we can answer with FORMERR
  kNotImp,   // an opcode other than QUERY
};

// Parses a query: exactly one question, no answer or authority records, at
// most one additional record (the OPT). Names in the question must not use
// compression pointers.
ParseStatus parse_query(std::span<const uint8_t> msg, Query& q);

// Reads a (possibly compressed) name starting at `off` of `msg` into `out`
// (wire form, lower-cased). Returns the offset after the name in the
// original position, or 0 on any error (loops, out of bounds, > 255 bytes).
size_t read_name(std::span<const uint8_t> msg, size_t off, uint8_t* out, size_t* out_len);

// Converts "a.b.c" (or "a.b.c.") to lower-cased wire form. Returns false for
// an empty label, a label over 63 bytes or a name over 255 bytes.
bool encode_name(std::string_view dotted, std::string& wire);

// Wire form to "a.b.c." (for logs and tests).
std::string name_to_text(std::string_view wire);

// The IPv4 address of "d.c.b.a.in-addr.arpa." (wire form, lower-cased).
bool parse_reverse_v4(std::string_view wire, uint32_t& addr);

// Whether `resp` answers the forwarded `query` (whose question ends at
// `question_end`): a response (QR) with the query's id and exactly its one
// question, letters compared without case (RFC 5452 §9.1).
bool response_matches(std::span<const uint8_t> resp, std::span<const uint8_t> query,
                      size_t question_end);

// Whether a response has TC set (the answer did not fit its UDP payload).
inline bool is_truncated(std::span<const uint8_t> resp) {
  return resp.size() >= kHeaderSize && (resp[2] & 0x02) != 0;
}

// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message carries a two-byte
// length prefix. The length of the first complete message in `buf` (prefix
// not counted), or -1 while it is incomplete.
inline long framed_length(std::span<const uint8_t> buf) {
  if (buf.size() < 2) return -1;
  const size_t len = get16(buf.data());
  return buf.size() - 2 >= len ? static_cast<long>(len) : -1;
}

// Writes an answer into a fixed buffer: the header and question copied from
// the query, then records until the buffer's limit; a record that does not
// fit sets TC instead (RFC 2181 §9).
class AnswerWriter {
 public:
  // `limit` is the largest message allowed (UDP payload size or 65535).
  // With `room_for_opt` the last 11 bytes of the limit are kept for add_opt.
  AnswerWriter(std::span<uint8_t> out, size_t limit, bool room_for_opt = false);
  // Header (id, opcode, RD from the query; QR and RA set; AA clear as Docker)
  // and the question exactly as received. False if it does not fit.
  bool begin(std::span<const uint8_t> query, const Query& q, uint8_t rcode);
  // Header only (FORMERR/NOTIMP for unparsable questions).
  bool begin_header_only(std::span<const uint8_t> query, uint8_t rcode);
  // Answer records whose owner is the question name (pointer to offset 12).
  bool add_a(uint32_t ttl, uint32_t addr);
  bool add_ptr(uint32_t ttl, std::string_view target_wire);
  // An OPT record in the additional section; call last.
  bool add_opt(uint16_t udp_size);
  bool truncated() const { return truncated_; }
  size_t size() const { return len_; }

 private:
  bool reserve(size_t n);
  uint8_t* out_;
  size_t cap_;
  size_t opt_room_;
  size_t len_ = 0;
  bool truncated_ = false;
  uint16_t ancount_ = 0;
};

// Calls `fn(offset_of_ttl, type, ttl, rdata_offset, rdlength)` for every resource record of a
// response (answer, authority, additional), OPT records included. Returns
// false when the message is malformed.
template <typename Fn>
bool walk_records(std::span<const uint8_t> msg, Fn&& fn);

// Offset after a (possibly compressed) name at `off` without decoding it; 0
// on error.
size_t skip_name(std::span<const uint8_t> msg, size_t off);

template <typename Fn>
bool walk_records(std::span<const uint8_t> msg, Fn&& fn) {
  if (msg.size() < kHeaderSize) return false;
  const uint8_t* p = msg.data();
  const unsigned qd = get16(p + 4);
  const unsigned rr = unsigned{get16(p + 6)} + get16(p + 8) + get16(p + 10);
  size_t off = kHeaderSize;
  for (unsigned i = 0; i < qd; ++i) {
    off = skip_name(msg, off);
    if (off == 0 || off + 4 > msg.size()) return false;
    off += 4;
  }
  for (unsigned i = 0; i < rr; ++i) {
    off = skip_name(msg, off);
    if (off == 0 || off + 10 > msg.size()) return false;
    const uint16_t type = get16(p + off);
    const uint32_t ttl = get32(p + off + 4);
    const uint16_t rdlen = get16(p + off + 8);
    if (off + 10 + rdlen > msg.size()) return false;
    fn(off + 4, type, ttl, off + 10, rdlen);
    off += 10;
    off += rdlen;
  }
  return true;
}

}  // namespace berth::dns

#include "lb/http1.h"

#include <cstddef>
#include <cstring>

namespace berth::lb::http1 {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_tchar(unsigned char c) {
  static const bool* table = [] {
    static bool t[256] = {};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (const char* p = "!#$%&'*+-.^_`|~"; *p; ++p) t[static_cast<unsigned char>(*p)] = true;
    return t;
  }();
  return table[c];
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Does the comma list `v` contain token `tok` (case-insensitive)?
bool has_token(std::string_view v, std::string_view tok) {
  while (!v.empty()) {
    size_t c = v.find(',');
    std::string_view t = trim(v.substr(0, c));
    if (iequals(t, tok)) return true;
    if (c == std::string_view::npos) break;
    v.remove_prefix(c + 1);
  }
  return false;
}

Parse fail(Head& h, const char* why) {
  h.error = why;
  return Parse::kError;
}

// Parses header lines from `p` (just after the start line) to the blank line.
Parse parse_headers(std::string_view rest, Head& h, bool request) {
  bool saw_te = false;
  while (true) {
    size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) return fail(h, "malformed header");
    if (eol == 0) break;
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (line[0] == ' ' || line[0] == '\t') return fail(h, "obsolete line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(h, "malformed header");
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(static_cast<unsigned char>(c))) return fail(h, "invalid header name");
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return fail(h, "invalid header value");
    if (h.n_headers >= kMaxHeaders) return fail(h, "too many headers");
    h.headers[h.n_headers++] = {name, value};
    switch (lower(name[0])) {
      case 'c':
        if (iequals(name, "content-length")) {
          if (value.empty() || value.size() > 18) return fail(h, "invalid Content-Length");
          int64_t n = 0;
          for (char c : value) {
            if (c < '0' || c > '9') return fail(h, "invalid Content-Length");
            n = n * 10 + (c - '0');
          }
          if (h.content_length >= 0 && h.content_length != n) return fail(h, "conflicting Content-Length");
          h.content_length = n;
        } else if (iequals(name, "connection")) {
          if (has_token(value, "close")) h.conn_close = true;
          if (has_token(value, "keep-alive")) h.conn_keep_alive = true;
          if (has_token(value, "upgrade")) h.upgrade = true;
        }
        break;
      case 't':
        if (iequals(name, "transfer-encoding")) {
          // only a final "chunked" is accepted (anything else cannot be framed)
          if (saw_te) return fail(h, "repeated Transfer-Encoding");
          saw_te = true;
          size_t c = value.rfind(',');
          std::string_view last = trim(c == std::string_view::npos ? value : value.substr(c + 1));
          if (!iequals(last, "chunked")) return fail(h, "unsupported Transfer-Encoding");
          if (request && c != std::string_view::npos) return fail(h, "unsupported Transfer-Encoding");
          h.chunked = true;
        }
        break;
      case 'e':
        if (iequals(name, "expect") && iequals(value, "100-continue")) h.expect_continue = true;
        break;
      default:
        break;
    }
  }
  if (h.chunked && h.content_length >= 0) return fail(h, "both Transfer-Encoding and Content-Length");
  if (h.chunked && h.version_minor == 0) return fail(h, "Transfer-Encoding in HTTP/1.0");
  if (h.version_minor == 0 && !h.conn_keep_alive) h.conn_close = true;
  return Parse::kOk;
}

// Locates the end of the head; kIncomplete or kError (too long) otherwise.
Parse find_head(std::string_view buf, Head& h) {
  const void* p = memmem(buf.data(), buf.size(), "\r\n\r\n", 4);
  if (!p) {
    if (buf.size() > kMaxHead) return fail(h, "head too large");
    return Parse::kIncomplete;
  }
  h.head_len = static_cast<size_t>(static_cast<const char*>(p) - buf.data()) + 4;
  if (h.head_len > kMaxHead) return fail(h, "head too large");
  return Parse::kOk;
}

// Head{} without the header array (2 KB; only the first n_headers entries
// are ever read): the parsers run twice per proxied request.
void reset(Head& h) {
  static_assert(sizeof(Head) == offsetof(Head, headers) + sizeof(Head::headers) + sizeof(const char*),
                "reset() must clear every field of Head");
  h.method = h.target = h.reason = {};
  h.status = 0;
  h.version_minor = 1;
  h.head_len = 0;
  h.content_length = -1;
  h.chunked = h.conn_close = h.conn_keep_alive = h.expect_continue = h.upgrade = false;
  h.n_headers = 0;
  h.error = nullptr;
}

bool parse_version(std::string_view v, Head& h) {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1.") return false;
  if (v[7] == '1') h.version_minor = 1;
  else if (v[7] == '0') h.version_minor = 0;
  else return false;
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_hop_by_hop(std::string_view n) {
  switch (lower(n.empty() ? 0 : n[0])) {
    case 'c': return iequals(n, "connection");
    case 'k': return iequals(n, "keep-alive");
    case 'p': return iequals(n, "proxy-connection");
    case 't': return iequals(n, "te") || iequals(n, "trailer");
    case 'u': return iequals(n, "upgrade");
    default: return false;
  }
}

Parse parse_request(std::string_view buf, Head& h) {
  reset(h);
  // RFC 9112 §2.2: empty lines before a request line are ignored (some
  // clients send CRLF after a POST body)
  size_t skip = 0;
  while (skip < 8 && buf.size() >= skip + 2 && buf[skip] == '\r' && buf[skip + 1] == '\n') skip += 2;
  if (skip == 8) return fail(h, "empty lines before the request");
  buf.remove_prefix(skip);
  if (Parse r = find_head(buf, h); r != Parse::kOk) return r;
  std::string_view head = buf.substr(0, h.head_len);
  h.head_len += skip;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return fail(h, "malformed request line");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return fail(h, "malformed request line");
  h.method = line.substr(0, sp1);
  for (char c : h.method)
    if (!is_tchar(static_cast<unsigned char>(c))) return fail(h, "invalid method");
  h.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : h.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail(h, "invalid target");
  if (!parse_version(line.substr(sp2 + 1), h)) return fail(h, "invalid version");
  return parse_headers(head.substr(eol + 2), h, true);
}

Parse parse_response(std::string_view buf, Head& h) {
  reset(h);
  if (Parse r = find_head(buf, h); r != Parse::kOk) return r;
  std::string_view head = buf.substr(0, h.head_len);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || !parse_version(line.substr(0, 8), h) || line[8] != ' ') return fail(h, "malformed status line");
  int st = 0;
  for (int i = 9; i < 12; ++i) {
    char c = line[i];
    if (c < '0' || c > '9') return fail(h, "malformed status line");
    st = st * 10 + (c - '0');
  }
  if (st < 100) return fail(h, "malformed status line");
  if (line.size() > 12 && line[12] != ' ') return fail(h, "malformed status line");
  h.status = st;
  h.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  return parse_headers(head.substr(eol + 2), h, false);
}

size_t ChunkedScanner::feed(std::string_view in) {
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (state_) {
      case kSize: {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d >= 0) {
          if (++digits_ > 15) { state_ = kError; return i; }
          size_ = size_ * 16 + static_cast<uint64_t>(d);
          ++i;
        } else if (digits_ == 0) {
          state_ = kError;
          return i;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = kExt;
          ++i;
        } else if (c == '\r') {
          state_ = kSizeLf;
          ++i;
        } else {
          state_ = kError;
          return i;
        }
        break;
      }
      case kExt:
        if (c == '\r') state_ = kSizeLf;
        else if (c == '\n' || static_cast<unsigned char>(c) < 0x09) { state_ = kError; return i; }
        ++i;
        break;
      case kSizeLf:
        if (c != '\n') { state_ = kError; return i; }
        ++i;
        digits_ = 0;
        state_ = size_ == 0 ? kTrailerStart : kData;
        break;
      case kData: {
        size_t n = std::min<uint64_t>(size_, in.size() - i);
        i += n;
        size_ -= n;
        payload_ += n;
        if (size_ == 0) state_ = kDataCr;
        break;
      }
      case kDataCr:
        if (c != '\r') { state_ = kError; return i; }
        ++i;
        state_ = kDataLf;
        break;
      case kDataLf:
        if (c != '\n') { state_ = kError; return i; }
        ++i;
        state_ = kSize;
        break;
      case kTrailerStart:
        if (c == '\r') state_ = kLastLf;
        else state_ = kTrailer;
        ++i;
        break;
      case kTrailer:
        if (c == '\r') state_ = kTrailerLf;
        else if (c == '\n') { state_ = kError; return i; }
        ++i;
        break;
      case kTrailerLf:
        if (c != '\n') { state_ = kError; return i; }
        ++i;
        state_ = kTrailerStart;
        break;
      case kLastLf:
        if (c != '\n') { state_ = kError; return i; }
        ++i;
        state_ = kDone;
        return i;
      case kDone:
      case kError:
        return i;
    }
  }
  return i;
}

}  // namespace berth::lb::http1

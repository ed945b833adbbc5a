// Image references in Docker's familiar form (distribution/reference's
// grammar, simplified to what berth stores: name and tag, no digests).
#include <openssl/evp.h>

#include <regex>

#include "image/image.h"

namespace berth::image {

Result<Reference> parse_reference(std::string_view in) {
  std::string s(in);
  const Error bad = invalid_argument("invalid reference format");
  if (s.empty() || s.size() > 255) return bad;
  if (s.find('@') != std::string::npos) {
    return invalid_argument("invalid reference format: berth stores no digests (" + s + ")");
  }
  Reference r;
  const size_t slash = s.rfind('/');
  const size_t colon = s.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = s.substr(colon + 1);
    s = s.substr(0, colon);
  } else {
    r.tag = "latest";
  }
  static const std::regex kTag(R"(^[\w][\w.-]{0,127}$)");
  if (!std::regex_match(r.tag, kTag)) return bad;
  // Split the domain off: the first component when it has '.' or ':' or is
  // "localhost".
  std::string domain, path = s;
  if (auto first = s.find('/'); first != std::string::npos) {
    const std::string c = s.substr(0, first);
    if (c.find('.') != std::string::npos || c.find(':') != std::string::npos || c == "localhost") {
      domain = c;
      path = s.substr(first + 1);
    }
  }
  static const std::regex kComponent(R"(^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$)");
  static const std::regex kComponentAnyCase(R"(^[a-zA-Z0-9]+(?:(?:[._]|__|[-]+)[a-zA-Z0-9]+)*$)");
  size_t pos = 0;
  for (;;) {
    const size_t next = path.find('/', pos);
    const std::string comp = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    if (!std::regex_match(comp, kComponent)) {
      if (std::regex_match(comp, kComponentAnyCase)) {
        return invalid_argument("invalid reference format: repository name (" + path +
                                ") must be lowercase");
      }
      return bad;
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (domain == "docker.io" || domain == "index.docker.io") {
    domain.clear();
    if (path.rfind("library/", 0) == 0 && path.find('/', 8) == std::string::npos) path = path.substr(8);
  }
  if (domain.empty() && path.size() == 64 &&
      path.find_first_not_of("0123456789abcdef") == std::string::npos) {
    return invalid_argument("invalid repository name (" + path +
                            "), cannot specify 64-byte hexadecimal strings");
  }
  r.repo = domain.empty() ? path : domain + "/" + path;
  return r;
}

bool looks_like_id(std::string_view s) {
  if (s.rfind("sha256:", 0) == 0) s.remove_prefix(7);
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string sha256_digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace berth::image

#include "cli/image_ref.h"

#include <regex>

namespace berth::cli {
namespace {

const std::string kAlnum = "[a-z0-9]+";
const std::string kSeparator = "(?:[._]|__|[-]+)";
const std::string kPathComponent = kAlnum + "(?:" + kSeparator + kAlnum + ")*";
const std::string kDomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const std::string kHost =
    "(?:" + kDomainComponent + "(?:\\." + kDomainComponent + ")*|\\[(?:[a-fA-F0-9:]+)\\])";
const std::string kDomain = kHost + "(?::[0-9]+)?";
const std::string kTag = "[\\w][\\w.-]{0,127}";
const std::string kDigest =
    "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";

const std::regex& reference_regex() {
  static const std::regex r("^((?:" + kDomain + "/)?" + kPathComponent + "(?:/" + kPathComponent +
                            ")*)(?::(" + kTag + "))?(?:@(" + kDigest + "))?$");
  return r;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string ImageRef::familiar() const {
  if (!named) return digest;
  std::string n = path;
  if (domain != "docker.io") {
    n = domain + "/" + path;
  } else if (n.rfind("library/", 0) == 0 && n.find('/', 8) == std::string::npos) {
    n = n.substr(8);
  }
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

ImageRef tag_name_only(ImageRef r) {
  if (r.named && r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

Result<ImageRef> parse_image_reference(const std::string& s) {
  ImageRef ref;
  if (is_hex64(s)) {
    ref.named = false;
    ref.digest = "sha256:" + s;
    return ref;
  }
  if (s.rfind("sha256:", 0) == 0 && is_hex64(s.substr(7))) {
    ref.named = false;
    ref.digest = s;
    return ref;
  }
  // splitDockerDomain.
  std::string domain = "docker.io", remainder = s;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    std::string first = s.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost" ||
        lower(first) != first) {
      domain = first;
      remainder = s.substr(slash + 1);
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && remainder.find('/') == std::string::npos) {
    remainder = "library/" + remainder;
  }
  std::string remote = remainder.substr(0, remainder.find(':'));
  if (lower(remote) != remote) {
    return invalid_argument("invalid reference format: repository name (" + remote +
                            ") must be lowercase");
  }
  std::string full = domain + "/" + remainder;
  std::smatch m;
  if (!std::regex_match(full, m, reference_regex())) {
    return invalid_argument("invalid reference format");
  }
  std::string name = m[1].str();
  if (name.size() > 255) {
    return invalid_argument("repository name must not be more than 255 characters");
  }
  ref.domain = domain;
  ref.path = name.substr(domain.size() + 1);
  ref.tag = m[2].str();
  ref.digest = m[3].str();
  return ref;
}

}  // namespace berth::cli

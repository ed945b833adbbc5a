// Layer extraction with libarchive (PITFALLS.md "libarchive"): every entry
// path is checked here, not by libarchive's SECURE_NOABSOLUTEPATHS (which
// would also reject the destination prefix); hard link targets get the same
// prefix; names are never mapped through the host's passwd (no
// standard_lookup); whiteouts become what overlayfs understands.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <vector>

#include "image/archive_internal.h"
#include "image/image.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaque = ".wh..wh..opq";

struct Source {
  int fd = -1;
  std::vector<char> buf = std::vector<char>(256 * 1024);
  EVP_MD_CTX* md = nullptr;
  uint64_t bytes = 0;
};

la_ssize_t read_cb(struct archive* a, void* p, const void** out) {
  auto* s = static_cast<Source*>(p);
  for (;;) {
    const ssize_t n = ::read(s->fd, s->buf.data(), s->buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read: %s", std::strerror(errno));
      return -1;
    }
    if (n > 0) EVP_DigestUpdate(s->md, s->buf.data(), static_cast<size_t>(n));
    s->bytes += static_cast<uint64_t>(n);
    *out = s->buf.data();
    return n;
  }
}

std::string hex_of(EVP_MD_CTX* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(md, out, &n);
  static const char* kHex = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[out[i] >> 4];
    s += kHex[out[i] & 15];
  }
  return s;
}

struct ReadArchive {
  struct archive* a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
};
struct WriteDisk {
  struct archive* a = archive_write_disk_new();
  ~WriteDisk() { archive_write_free(a); }
};

}  // namespace

std::optional<std::string> clean_relative(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t next = p.find('/', pos);
    if (next == std::string_view::npos) next = p.size();
    const std::string_view c = p.substr(pos, next - pos);
    pos = next + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(c);
  }
  std::string out;
  for (const auto& c : parts) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

Status open_archive_file(struct archive* a, const std::string& path, void* source) {
  auto* s = static_cast<Source*>(source);
  s->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (s->fd < 0) return internal_error("open " + path + ": " + std::strerror(errno));
  if (archive_read_open(a, s, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
    return invalid_argument(std::string("not a tar archive: ") + archive_error_string(a));
  }
  return ok_status();
}

Result<ExtractStats> extract_layer(const std::string& archive_path, const std::string& dest_in,
                                   const ExtractOptions& opts) {
  std::error_code ec;
  const std::string dest = fs::canonical(dest_in, ec).string();
  if (ec) return internal_error("layer directory " + dest_in + ": " + ec.message());
  ReadArchive r;
  archive_read_support_filter_all(r.a);
  archive_read_support_format_tar(r.a);
  archive_read_support_format_gnutar(r.a);
  Source src;
  src.md = EVP_MD_CTX_new();
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md_guard(src.md, EVP_MD_CTX_free);
  EVP_DigestInit_ex(src.md, EVP_sha256(), nullptr);
  struct FdGuard {
    int* fd;
    ~FdGuard() {
      if (*fd >= 0) ::close(*fd);
    }
  } fd_guard{&src.fd};
  BERTH_TRY(open_archive_file(r.a, archive_path, &src));

  WriteDisk w;
  archive_write_disk_set_options(
      w.a, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
               ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
               ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK);

  ExtractStats stats;
  std::set<std::string> opaque_dirs;
  std::map<std::string, std::string> symlinks;  // this layer's, rel path → target
  bool first = true;
  for (;;) {
    struct archive_entry* e = nullptr;
    const int rc = archive_read_next_header(r.a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      const std::string why = archive_error_string(r.a) ? archive_error_string(r.a) : "unreadable";
      if (first) return invalid_argument("not a tar archive: " + why);
      return invalid_argument("invalid tar archive: " + why);
    }
    first = false;
    const char* raw_name = archive_entry_pathname(e);
    if (raw_name == nullptr) return invalid_argument("invalid tar archive: an entry has no name");
    const std::string name = raw_name;
    auto rel = clean_relative(name);
    if (!rel) return invalid_argument("invalid tar archive: path \"" + name + "\" is outside of the root");
    ++stats.entries;
    if (rel->empty()) continue;  // the root itself
    // Nothing may be written through a symlink of the archive (libarchive
    // would replace the link with a directory; Docker refuses to leave the
    // root, so does berth, loudly).
    for (size_t slash = rel->find('/'); slash != std::string::npos; slash = rel->find('/', slash + 1)) {
      auto link = symlinks.find(rel->substr(0, slash));
      if (link != symlinks.end()) {
        return invalid_argument("invalid tar archive: \"" + name + "\" would be written through the symlink \"" +
                                link->first + "\" -> \"" + link->second + "\"");
      }
    }
    if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e) != nullptr) {
      symlinks[*rel] = archive_entry_symlink(e);
    } else {
      symlinks.erase(*rel);
    }
    const fs::path relp(*rel);
    const std::string base = relp.filename().string();
    const std::string parent = relp.parent_path().string();
    // Whiteouts.
    if (base == kOpaque) {
      if (opts.whiteouts) opaque_dirs.insert(parent);
      continue;
    }
    if (base.rfind(".wh..wh.", 0) == 0) continue;  // aufs metadata (plnk, orph)
    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      if (!opts.whiteouts) continue;
      const std::string hidden = base.substr(4);
      if (hidden.empty()) return invalid_argument("invalid tar archive: empty whiteout in " + name);
      const fs::path dir = fs::path(dest) / parent;
      fs::create_directories(dir, ec);
      if (ec) return internal_error("create " + dir.string() + ": " + ec.message());
      const std::string target = (dir / hidden).string();
      fs::remove_all(target, ec);
      if (::mknod(target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        return internal_error("whiteout " + target + ": " + std::strerror(errno));
      }
      continue;
    }
    if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
      auto t = clean_relative(hl);
      if (!t || t->empty()) {
        return invalid_argument("invalid tar archive: invalid hardlink \"" + name + "\" -> \"" +
                                hl + "\" (outside of the root)");
      }
      // link(2) would follow a symlink of the archive in the target's path.
      for (size_t slash = t->find('/'); slash != std::string::npos; slash = t->find('/', slash + 1)) {
        if (symlinks.count(t->substr(0, slash))) {
          return invalid_argument("invalid tar archive: invalid hardlink \"" + name + "\" -> \"" + hl +
                                  "\" (through the symlink \"" + t->substr(0, slash) + "\")");
        }
      }
      archive_entry_copy_hardlink(e, (dest + "/" + *t).c_str());
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      const std::string t = target ? target : "";
      if (!t.empty() && t[0] != '/' && !clean_relative(parent + "/" + t)) {
        return invalid_argument("invalid tar archive: invalid symlink \"" + name + "\" -> \"" + t +
                                "\" (outside of the root)");
      }
    }
    // A tar must not bring overlay metadata of its own.
    std::vector<std::tuple<std::string, std::string>> keep;
    archive_entry_xattr_reset(e);
    const char* xn;
    const void* xv;
    size_t xs;
    bool drop = false;
    while (archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK) {
      if (std::string_view(xn).rfind("trusted.overlay.", 0) == 0) {
        drop = true;
        continue;
      }
      keep.emplace_back(xn, std::string(static_cast<const char*>(xv), xs));
    }
    if (drop) {
      archive_entry_xattr_clear(e);
      for (const auto& [k, v] : keep) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    }
    archive_entry_copy_pathname(e, (dest + "/" + *rel).c_str());
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == nullptr) {
      stats.size += static_cast<uint64_t>(archive_entry_size(e));
    }
    int wr = archive_write_header(w.a, e);
    if (wr < ARCHIVE_WARN) {
      return invalid_argument("invalid tar archive: cannot extract \"" + name +
                              "\": " + archive_error_string(w.a));
    }
    if (archive_entry_size(e) > 0 && archive_entry_hardlink(e) == nullptr) {
      for (;;) {
        const void* buf;
        size_t size;
        la_int64_t offset;
        const int dr = archive_read_data_block(r.a, &buf, &size, &offset);
        if (dr == ARCHIVE_EOF) break;
        if (dr < ARCHIVE_WARN) {
          return invalid_argument(std::string("invalid tar archive: ") + archive_error_string(r.a));
        }
        if (archive_write_data_block(w.a, buf, size, offset) < ARCHIVE_WARN) {
          return internal_error("write \"" + name + "\": " + archive_error_string(w.a));
        }
      }
    }
    if (archive_write_finish_entry(w.a) < ARCHIVE_WARN) {
      return internal_error("finish \"" + name + "\": " + archive_error_string(w.a));
    }
    if (opts.progress) opts.progress(src.bytes);
  }
  if (first) {
    // libarchive accepts an empty input as an empty tar; so does Docker.
  }
  if (archive_write_close(w.a) < ARCHIVE_WARN) {
    return internal_error(std::string("finish extraction: ") + archive_error_string(w.a));
  }
  for (const auto& d : opaque_dirs) {
    const fs::path dir = fs::path(dest) / d;
    fs::create_directories(dir, ec);
    if (::setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return internal_error("opaque directory " + dir.string() + ": " + std::strerror(errno));
    }
  }
  stats.compressed = archive_filter_count(r.a) > 1;
  // The hash covers the whole file, padding after the end blocks included.
  for (;;) {
    const ssize_t n = ::read(src.fd, src.buf.data(), src.buf.size());
    if (n <= 0) break;
    EVP_DigestUpdate(src.md, src.buf.data(), static_cast<size_t>(n));
    src.bytes += static_cast<uint64_t>(n);
  }
  stats.raw_digest = hex_of(src.md);
  if (opts.progress) opts.progress(src.bytes);
  return stats;
}

}  // namespace berth::image

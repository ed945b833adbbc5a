// `docker save` archives: the legacy layout (manifest.json naming a config
// and layer tars) that every docker writes, which docker 25+ builds from
// symlinks into an OCI layout (index.json, blobs/sha256/…), and a bare OCI
// layout as a fallback. The outer archive is unpacked into a staging
// directory first because manifest.json may come after the layers.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "image/archive_internal.h"
#include "image/image.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Unpacked {
  std::string root;
  // Symlinks and hard links of the archive, path → target as an archive
  // path (already cleaned, relative to the archive's root).
  std::map<std::string, std::string> links;
};

Status write_entry_file(struct archive* a, const std::string& path, const std::string& name) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return internal_error("create " + path + ": " + ec.message());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return internal_error("create " + path + ": " + std::strerror(errno));
  char buf[256 * 1024];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      ::close(fd);
      return invalid_argument("invalid tar archive: " + name + ": " + archive_error_string(a));
    }
    la_ssize_t off = 0;
    while (off < n) {
      const ssize_t w = ::write(fd, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int err = errno;
        ::close(fd);
        return internal_error("write " + path + ": " + std::strerror(err));
      }
      off += w;
    }
  }
  ::close(fd);
  return ok_status();
}

Result<Unpacked> unpack(const std::string& archive_path, const std::string& staging,
                        const std::function<void(uint64_t)>& progress) {
  struct archive* a = archive_read_new();
  struct Guard {
    struct archive* a;
    ~Guard() { archive_read_free(a); }
  } guard{a};
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  if (archive_read_open_filename(a, archive_path.c_str(), 256 * 1024) != ARCHIVE_OK) {
    return invalid_argument(std::string("not a tar archive: ") + archive_error_string(a));
  }
  Unpacked u;
  u.root = staging;
  bool first = true;
  for (;;) {
    struct archive_entry* e = nullptr;
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      const std::string why = archive_error_string(a) ? archive_error_string(a) : "unreadable";
      return invalid_argument((first ? "not a tar archive: " : "invalid tar archive: ") + why);
    }
    first = false;
    const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    auto rel = clean_relative(name);
    if (!rel) return invalid_argument("invalid tar archive: path \"" + name + "\" is outside of the root");
    if (rel->empty()) continue;
    if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
      auto t = clean_relative(hl);
      if (!t || t->empty()) {
        return invalid_argument("invalid tar archive: invalid hardlink \"" + name + "\" -> \"" +
                                hl + "\" (outside of the root)");
      }
      u.links[*rel] = *t;
      continue;
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: {
        std::error_code ec;
        fs::create_directories(fs::path(staging) / *rel, ec);
        if (ec) return internal_error("create " + *rel + ": " + ec.message());
        break;
      }
      case AE_IFREG:
        BERTH_TRY(write_entry_file(a, staging + "/" + *rel, name));
        break;
      case AE_IFLNK: {
        const std::string t = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        const std::string joined = t.rfind('/', 0) == 0 ? t : fs::path(*rel).parent_path().string() + "/" + t;
        auto target = clean_relative(joined);
        if (!target || target->empty()) {
          return invalid_argument("invalid tar archive: invalid symlink \"" + name + "\" -> \"" + t +
                                  "\" (outside of the root)");
        }
        u.links[*rel] = *target;
        break;
      }
      default:
        break;  // devices and fifos have no place in a docker save archive
    }
    if (progress) progress(static_cast<uint64_t>(archive_filter_bytes(a, -1)));
  }
  if (first) return invalid_argument("invalid archive: it is empty (no manifest.json or index.json)");
  return u;
}

// The staged file behind an archive path, following the archive's links.
Result<std::string> resolve(const Unpacked& u, const std::string& archive_name, const std::string& what) {
  auto p = clean_relative(archive_name);
  if (!p || p->empty()) {
    return invalid_argument("invalid archive: " + what + " \"" + archive_name + "\" is outside of the archive");
  }
  std::string cur = *p;
  for (int hops = 0; hops < 40; ++hops) {
    auto it = u.links.find(cur);
    if (it == u.links.end()) break;
    cur = it->second;
  }
  const std::string full = u.root + "/" + cur;
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(full, ec))) {
    return invalid_argument("invalid archive: " + what + " \"" + archive_name + "\" is not in the archive");
  }
  return full;
}

Result<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return internal_error("open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<json> read_json(const Unpacked& u, const std::string& archive_name, const std::string& what) {
  auto path = resolve(u, archive_name, what);
  if (!path.ok()) return path.error();
  auto text = slurp(*path);
  if (!text.ok()) return text.error();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return invalid_argument("invalid archive: " + what + " " + archive_name + " is not valid JSON");
  return j;
}

std::string blob_path(const std::string& digest) {
  const auto colon = digest.find(':');
  if (colon == std::string::npos) return "blobs/sha256/" + digest;
  return "blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

Result<SavedImage> finish(const Unpacked& u, SavedImage img) {
  auto cfg = resolve(u, img.config_path, "config");
  if (!cfg.ok()) return cfg.error();
  auto text = slurp(*cfg);
  if (!text.ok()) return text.error();
  img.config = std::move(*text);
  json c = json::parse(img.config, nullptr, false);
  if (c.is_discarded() || !c.is_object()) {
    return invalid_argument("invalid archive: config " + img.config_path + " is not valid JSON");
  }
  for (auto& l : img.layer_paths) {
    auto p = resolve(u, l, "layer");
    if (!p.ok()) return p.error();
    l = *p;
  }
  return img;
}

Result<std::vector<SavedImage>> from_oci_index(const Unpacked& u, const json& index) {
  std::vector<SavedImage> out;
  if (!index.contains("manifests") || !index["manifests"].is_array()) {
    return invalid_argument("invalid archive: index.json has no manifests");
  }
  for (const auto& m : index["manifests"]) {
    if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string()) {
      return invalid_argument("invalid archive: index.json has a manifest without digest");
    }
    auto man = read_json(u, blob_path(m["digest"].get<std::string>()), "manifest");
    if (!man.ok()) return man.error();
    if (man->contains("manifests")) {
      // A nested index (multi-platform): its first manifest.
      auto nested = from_oci_index(u, *man);
      if (!nested.ok()) return nested.error();
      if (nested->empty()) continue;
      SavedImage img = std::move(nested->front());
      img.repo_tags.clear();
      out.push_back(std::move(img));
    } else {
      SavedImage img;
      if (!man->contains("config") || !(*man)["config"].contains("digest")) {
        return invalid_argument("invalid archive: manifest without config");
      }
      img.config_path = blob_path((*man)["config"]["digest"].get<std::string>());
      if (man->contains("layers") && (*man)["layers"].is_array()) {
        for (const auto& l : (*man)["layers"]) {
          if (l.contains("digest") && l["digest"].is_string()) {
            img.layer_paths.push_back(blob_path(l["digest"].get<std::string>()));
          }
        }
      }
      auto fin = finish(u, std::move(img));
      if (!fin.ok()) return fin.error();
      out.push_back(std::move(*fin));
    }
    if (m.contains("annotations") && m["annotations"].is_object()) {
      const auto& a = m["annotations"];
      std::string name;
      if (a.contains("io.containerd.image.name") && a["io.containerd.image.name"].is_string()) {
        name = a["io.containerd.image.name"].get<std::string>();
      } else if (a.contains("org.opencontainers.image.ref.name") &&
                 a["org.opencontainers.image.ref.name"].is_string()) {
        name = a["org.opencontainers.image.ref.name"].get<std::string>();
        if (name.find(':') == std::string::npos && name.find('/') == std::string::npos) name.clear();
      }
      if (!name.empty()) out.back().repo_tags.push_back(name);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<SavedImage>> read_docker_save(const std::string& archive_path,
                                                 const std::string& staging,
                                                 const std::function<void(uint64_t)>& progress) {
  auto u = unpack(archive_path, staging, progress);
  if (!u.ok()) return u.error();
  std::error_code ec;
  const bool has_manifest = fs::exists(staging + "/manifest.json", ec) || u->links.count("manifest.json");
  if (!has_manifest) {
    if (fs::exists(staging + "/index.json", ec)) {
      auto index = read_json(*u, "index.json", "index");
      if (!index.ok()) return index.error();
      return from_oci_index(*u, *index);
    }
    return invalid_argument("invalid archive: no manifest.json or index.json (not a docker save archive)");
  }
  auto manifest = read_json(*u, "manifest.json", "manifest");
  if (!manifest.ok()) return manifest.error();
  if (!manifest->is_array()) return invalid_argument("invalid archive: manifest.json is not a list");
  std::vector<SavedImage> out;
  for (const auto& m : *manifest) {
    if (!m.is_object() || !m.contains("Config") || !m["Config"].is_string()) {
      return invalid_argument("invalid archive: a manifest.json entry has no Config");
    }
    SavedImage img;
    img.config_path = m["Config"].get<std::string>();
    if (m.contains("Layers") && m["Layers"].is_array()) {
      for (const auto& l : m["Layers"]) {
        if (!l.is_string()) return invalid_argument("invalid archive: a layer name is not a string");
        img.layer_paths.push_back(l.get<std::string>());
      }
    }
    if (m.contains("RepoTags") && m["RepoTags"].is_array()) {
      for (const auto& t : m["RepoTags"]) {
        if (t.is_string()) img.repo_tags.push_back(t.get<std::string>());
      }
    }
    auto fin = finish(*u, std::move(img));
    if (!fin.ok()) return fin.error();
    out.push_back(std::move(*fin));
  }
  if (out.empty()) return invalid_argument("invalid archive: manifest.json names no image");
  return out;
}

}  // namespace berth::image

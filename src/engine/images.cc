// Images: import and load prepare everything in a staging directory under
// <data-root>/images/tmp without the engine lock (extraction takes seconds),
// then commit under the lock: rename into <data-root>/images/<hex> and write
// the rows. A failure removes the staging directory, so a bad archive leaves
// nothing in the data root. rmi follows moby's daemon/images/image_delete.go.
#include <ctime>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "common/random_id.h"
#include "engine/engine.h"
#include "image/image.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

std::string hex_of(const std::string& id) { return id.rfind("sha256:", 0) == 0 ? id.substr(7) : id; }
std::string short_id(const std::string& id) { return hex_of(id).substr(0, 12); }

// RFC 3339 as image configs carry it → unix nanoseconds (0 if unparsable).
int64_t parse_rfc3339(const std::string& s) {
  struct tm tm {};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return 0;
  int64_t nanos = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (*rest - '0');
        ++digits;
      }
      ++rest;
    }
    while (digits++ < 9) nanos *= 10;
  }
  int64_t offset = 0;
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hh, &mm) == 2) offset = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
  }
  return (static_cast<int64_t>(timegm(&tm)) - offset) * 1000000000 + nanos;
}

// Removes a staging directory when it goes out of scope.
// Removes a staging directory (and images/tmp once empty) when it goes out
// of scope.
struct Staging {
  std::string path;
  ~Staging() {
    std::error_code ec;
    if (path.empty()) return;
    fs::remove_all(path, ec);
    fs::remove(fs::path(path).parent_path(), ec);  // only when empty
  }
};

int64_t created_of(const std::string& config) {
  auto j = nlohmann::json::parse(config, nullptr, false);
  if (j.is_object() && j.contains("created") && j["created"].is_string()) {
    return parse_rfc3339(j["created"].get<std::string>());
  }
  return 0;
}

}  // namespace

std::string Engine::image_dir(const std::string& id) const {
  return cfg_.data_root + "/images/" + hex_of(id);
}

void Engine::clear_image_staging() {
  // What a crash left: staging directories and spooled uploads.
  std::error_code ec;
  fs::remove_all(cfg_.data_root + "/images/tmp", ec);
  for (const auto& e : fs::directory_iterator(cfg_.data_root + "/images", ec)) {
    if (e.path().filename().string().rfind("upload-", 0) == 0) fs::remove(e.path(), ec);
  }
}

Result<std::string> Engine::import_image(const ImportRequest& req) {
  std::vector<std::string> tags;
  if (!req.repo_tag.empty()) {
    auto ref = image::parse_reference(req.repo_tag);
    if (!ref.ok()) return ref.error();
    tags.push_back(ref->str());
  }
  ojson container_config = image::empty_container_config();
  BERTH_TRY(image::apply_changes(container_config, req.changes));

  Staging st{cfg_.data_root + "/images/tmp/" + random_id().substr(0, 16)};
  std::error_code ec;
  fs::create_directories(st.path + "/layers/0", ec);
  if (ec) return internal_error("create " + st.path + ": " + ec.message());
  image::ExtractOptions opts;
  opts.whiteouts = false;
  auto stats = image::extract_layer(req.archive_path, st.path + "/layers/0", opts);
  if (!stats.ok()) return stats.error();

  const int64_t now = now_nanos();
  const std::string comment = req.message.empty() ? "Imported from " + req.source : req.message;
  const std::string config =
      image::import_config(container_config, comment, rfc3339_nano(now), stats->raw_digest);
  store::ImageRecord rec;
  rec.id = image::sha256_digest(config);
  rec.created = now;
  rec.size = static_cast<int64_t>(stats->size);
  rec.layers = 1;
  rec.config = config;
  rec.loaded = now;

  std::lock_guard lock(mu_);
  const std::string dir = image_dir(rec.id);
  if (!fs::exists(dir, ec)) {
    fs::rename(st.path, dir, ec);
    if (ec) return internal_error("store image " + dir + ": " + ec.message());
  }
  auto moved = store_.insert_image(rec, tags);
  if (!moved.ok()) return moved.error();
  spdlog::info("image {} imported ({} bytes){}", rec.id, rec.size,
               tags.empty() ? "" : " as " + tags.front());
  return rec.id;
}

Status Engine::load_images(const std::string& archive_path, std::vector<std::string>& lines,
                           const LayerProgress& progress) {
  Staging st{cfg_.data_root + "/images/tmp/" + random_id().substr(0, 16)};
  std::error_code ec;
  fs::create_directories(st.path + "/save", ec);
  if (ec) return internal_error("create " + st.path + ": " + ec.message());
  auto saved = image::read_docker_save(archive_path, st.path + "/save");
  if (!saved.ok()) return saved.error();

  struct Prepared {
    store::ImageRecord rec;
    std::vector<std::string> tags;
    std::string staged;  // "" when the image exists already
  };
  std::vector<Prepared> ready;
  for (size_t i = 0; i < saved->size(); ++i) {
    const image::SavedImage& s = (*saved)[i];
    Prepared p;
    for (const auto& t : s.repo_tags) {
      auto ref = image::parse_reference(t);
      if (!ref.ok()) return ref.error().wrap("invalid archive: tag \"" + t + "\"");
      p.tags.push_back(ref->str());
    }
    p.rec.id = image::sha256_digest(s.config);
    p.rec.config = s.config;
    p.rec.created = created_of(s.config);
    p.rec.layers = static_cast<int>(s.layer_paths.size());
    p.rec.loaded = now_nanos();
    auto cfg = nlohmann::json::parse(s.config, nullptr, false);
    std::vector<std::string> diff_ids;
    if (cfg.contains("rootfs") && cfg["rootfs"].is_object() && cfg["rootfs"].contains("diff_ids") &&
        cfg["rootfs"]["diff_ids"].is_array()) {
      for (const auto& d : cfg["rootfs"]["diff_ids"]) {
        if (d.is_string()) diff_ids.push_back(d.get<std::string>());
      }
      if (diff_ids.size() != s.layer_paths.size()) {
        return invalid_argument("invalid archive: the config of " + short_id(p.rec.id) + " names " +
                                std::to_string(diff_ids.size()) + " layers, the manifest " +
                                std::to_string(s.layer_paths.size()));
      }
    }
    auto existing = store_.get_image(p.rec.id);
    if (!existing.ok()) return existing.error();
    if (existing->has_value() && fs::exists(image_dir(p.rec.id), ec)) {
      p.rec = **existing;
      ready.push_back(std::move(p));
      continue;
    }
    p.staged = st.path + "/img" + std::to_string(i);
    for (size_t k = 0; k < s.layer_paths.size(); ++k) {
      const std::string dest = p.staged + "/layers/" + std::to_string(k);
      fs::create_directories(dest, ec);
      if (ec) return internal_error("create " + dest + ": " + ec.message());
      const std::string layer_name = k < diff_ids.size() ? short_id(diff_ids[k]) : std::to_string(k);
      const uint64_t total = fs::file_size(s.layer_paths[k], ec);
      image::ExtractOptions opts;
      opts.whiteouts = k > 0;
      if (progress) {
        opts.progress = [&](uint64_t done) { progress(layer_name, done, total); };
      }
      auto stats = image::extract_layer(s.layer_paths[k], dest, opts);
      if (!stats.ok()) return stats.error().wrap("layer " + std::to_string(k + 1));
      if (k < diff_ids.size() && !stats->compressed && stats->raw_digest != diff_ids[k]) {
        return invalid_argument("invalid archive: layer " + std::to_string(k + 1) + " has digest " +
                                stats->raw_digest + ", the config expects " + diff_ids[k]);
      }
      p.rec.size += static_cast<int64_t>(stats->size);
    }
    ready.push_back(std::move(p));
  }

  std::lock_guard lock(mu_);
  for (auto& p : ready) {
    const std::string dir = image_dir(p.rec.id);
    // A directory may exist without its row (rmi -f while a stopped
    // container uses it): same id, same layers, and a container may run on
    // them, so it is kept.
    if (!p.staged.empty() && !fs::exists(dir, ec)) {
      fs::rename(p.staged, dir, ec);
      if (ec) return internal_error("store image " + dir + ": " + ec.message());
    }
    auto moved = store_.insert_image(p.rec, p.tags);
    if (!moved.ok()) return moved.error();
    for (const auto& old : *moved) {
      lines.push_back("The image " + (p.tags.empty() ? std::string() : p.tags.front()) +
                      " already exists, renaming the old one with ID " + old +
                      " to empty string");
    }
    if (p.tags.empty()) {
      lines.push_back("Loaded image ID: " + p.rec.id);
    } else {
      for (const auto& t : p.tags) lines.push_back("Loaded image: " + t);
    }
    spdlog::info("image {} loaded{}", p.rec.id, p.tags.empty() ? "" : " as " + p.tags.front());
  }
  return ok_status();
}

Result<store::ImageRecord> Engine::find_image_locked(const std::string& term) {
  auto all = store_.list_images();
  if (!all.ok()) return all.error();
  std::string not_found_name = term;
  auto ref = image::parse_reference(term);
  if (ref.ok()) {
    not_found_name = ref->str();
    for (const auto& i : *all) {
      if (std::find(i.tags.begin(), i.tags.end(), ref->str()) != i.tags.end()) return i;
    }
  }
  if (image::looks_like_id(term)) {
    const std::string hex = hex_of(term);
    std::vector<const store::ImageRecord*> hits;
    for (const auto& i : *all) {
      if (hex_of(i.id).rfind(hex, 0) == 0) hits.push_back(&i);
    }
    if (hits.size() == 1) return *hits.front();
    if (hits.size() > 1) return invalid_argument("multiple IDs found with provided prefix: " + term);
    not_found_name = term;
  }
  return not_found("No such image: " + not_found_name);
}

Result<store::ImageRecord> Engine::find_image(const std::string& term) {
  std::lock_guard lock(mu_);
  return find_image_locked(term);
}

Result<std::vector<store::ImageRecord>> Engine::list_images() {
  std::lock_guard lock(mu_);
  return store_.list_images();
}

std::map<std::string, int> Engine::image_usage() {
  std::lock_guard lock(mu_);
  std::map<std::string, int> out;
  auto all = store_.list_containers();
  if (all.ok()) {
    for (const auto& c : *all) ++out[c.image_id];
  }
  return out;
}

void Engine::release_image_dir_locked(const std::string& image_id) {
  auto rec = store_.get_image(image_id);
  if (!rec.ok() || rec->has_value()) return;
  auto all = store_.list_containers();
  if (!all.ok()) return;
  for (const auto& c : *all) {
    if (c.image_id == image_id) return;
  }
  std::error_code ec;
  fs::remove_all(image_dir(image_id), ec);
}

Result<std::vector<Engine::ImageDeleteItem>> Engine::remove_image(const std::string& term, bool force) {
  std::lock_guard lock(mu_);
  auto img = find_image_locked(term);
  if (!img.ok()) return img.error();
  auto containers = store_.list_containers();
  if (!containers.ok()) return containers.error();
  const store::ContainerRecord* running = nullptr;
  const store::ContainerRecord* stopped = nullptr;
  for (const auto& c : *containers) {
    if (c.image_id != img->id) continue;
    if (c.status == "running") {
      if (!running) running = &c;
    } else if (!stopped) {
      stopped = &c;
    }
  }
  const store::ContainerRecord* any = running ? running : stopped;
  auto conflict_msg = [&](bool hard, const std::string& why) {
    return conflict("conflict: unable to delete " + short_id(img->id) + " (" +
                    (hard ? "cannot be forced" : "must be forced") + ") - " + why);
  };
  std::vector<ImageDeleteItem> out;
  const bool by_name = !(image::looks_like_id(term) && hex_of(img->id).rfind(hex_of(term), 0) == 0);
  if (by_name) {
    auto ref = image::parse_reference(term);
    const std::string tag = ref.ok() ? ref->str() : term;
    if (!force && img->tags.size() <= 1 && any) {
      return conflict("conflict: unable to remove repository reference \"" + term +
                      "\" (must force) - container " + any->id.substr(0, 12) +
                      " is using its referenced image " + short_id(img->id));
    }
    BERTH_TRY(store_.untag_image(tag));
    out.push_back({tag, ""});
    if (img->tags.size() > 1) return out;
    // moby ignores the conflicts of an image it just untagged when a
    // container still uses it: it stays, dangling.
    if (running) return out;
  } else if (img->tags.size() <= 1) {
    if (running) return conflict_msg(true, "image is being used by running container " + running->id.substr(0, 12));
    if (!force && stopped) {
      return conflict_msg(false, "image is being used by stopped container " + stopped->id.substr(0, 12));
    }
  }
  // imageDeleteHelper: hard conflicts always, soft ones unless forced.
  if (running) return conflict_msg(true, "image is being used by running container " + running->id.substr(0, 12));
  if (!force && !by_name && img->tags.size() > 1) {
    return conflict_msg(false, "image is referenced in multiple repositories");
  }
  if (!force && stopped) {
    return conflict_msg(false, "image is being used by stopped container " + stopped->id.substr(0, 12));
  }
  if (!by_name) {
    for (const auto& t : img->tags) out.push_back({t, ""});
  }
  BERTH_TRY(store_.delete_image(img->id));
  // A stopped container still on it keeps the layers until it is removed.
  if (!stopped) {
    std::error_code ec;
    fs::remove_all(image_dir(img->id), ec);
    if (ec) spdlog::warn("remove {}: {}", image_dir(img->id), ec.message());
  }
  out.push_back({"", img->id});
  spdlog::info("image {} deleted", img->id);
  return out;
}

Status Engine::tag_image(const std::string& source, const std::string& target) {
  auto ref = image::parse_reference(target);
  if (!ref.ok()) return ref.error();
  std::lock_guard lock(mu_);
  auto img = find_image_locked(source);
  if (!img.ok()) return img.error();
  return store_.tag_image(img->id, ref->str());
}

}  // namespace berth::engine

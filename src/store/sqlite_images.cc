// SqliteStore: the image rows (migration 3). Tags are their own table so
// that a tag moves between images in one statement, as `docker load` and
// `docker tag` move them.
#include <sqlite3.h>

#include "store/sqlite_stmt.h"
#include "store/store.h"

namespace berth::store {
namespace {

Error err(sqlite3* db, const std::string& what) { return internal_error(what + ": " + sqlite3_errmsg(db)); }

int64_t now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Points `ref` at `id`; returns the image it pointed at before ("" if none).
Result<std::string> set_tag(sqlite3* db, const std::string& id, const std::string& ref, int64_t when) {
  std::string old;
  {
    Stmt s(db, "SELECT image_id FROM image_tags WHERE ref = ?");
    s.bind(1, ref);
    if (s.step() == SQLITE_ROW) old = s.text(0);
  }
  if (old == id) return std::string();
  Stmt s(db, "INSERT OR REPLACE INTO image_tags (ref, image_id, tagged) VALUES (?,?,?)");
  s.bind(1, ref).bind(2, id).bind(3, when);
  if (s.step() != SQLITE_DONE) return err(db, "tag image");
  return old;
}

}  // namespace

Result<std::vector<std::string>> SqliteStore::insert_image(const ImageRecord& img,
                                                           const std::vector<std::string>& tags) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return err(db_, "begin");
  {
    Stmt s(db_,
           "INSERT OR IGNORE INTO images (id, created, size, layers, config, loaded) "
           "VALUES (?,?,?,?,?,?)");
    s.bind(1, img.id).bind(2, img.created).bind(3, img.size).bind(4, static_cast<int64_t>(img.layers));
    s.bind(5, img.config).bind(6, img.loaded);
    if (s.step() != SQLITE_DONE) return err(db_, "insert image");
  }
  std::vector<std::string> moved;
  const int64_t when = now_ns();
  for (const auto& t : tags) {
    auto old = set_tag(db_, img.id, t, when);
    if (!old.ok()) return old.error();
    if (!old->empty()) moved.push_back(*old);
  }
  if (!tx.commit()) return err(db_, "commit");
  return moved;
}

Status SqliteStore::tag_image(const std::string& id, const std::string& ref) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return err(db_, "begin");
  auto old = set_tag(db_, id, ref, now_ns());
  if (!old.ok()) return old.error();
  if (!tx.commit()) return err(db_, "commit");
  return ok_status();
}

Status SqliteStore::untag_image(const std::string& ref) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM image_tags WHERE ref = ?");
  s.bind(1, ref);
  if (s.step() != SQLITE_DONE) return err(db_, "untag image");
  if (sqlite3_changes(db_) == 0) return not_found("No such image: " + ref);
  return ok_status();
}

Status SqliteStore::delete_image(const std::string& id) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return err(db_, "begin");
  for (const char* sql : {"DELETE FROM image_tags WHERE image_id = ?", "DELETE FROM images WHERE id = ?"}) {
    Stmt s(db_, sql);
    s.bind(1, id);
    if (s.step() != SQLITE_DONE) return err(db_, "delete image");
  }
  if (!tx.commit()) return err(db_, "commit");
  return ok_status();
}

Result<std::vector<ImageRecord>> SqliteStore::list_images() {
  std::lock_guard lock(mu_);
  std::vector<ImageRecord> out;
  {
    Stmt s(db_, "SELECT id, created, size, layers, config, loaded FROM images ORDER BY created DESC, id");
    while (s.step() == SQLITE_ROW) {
      ImageRecord r;
      r.id = s.text(0);
      r.created = s.integer(1);
      r.size = s.integer(2);
      r.layers = static_cast<int>(s.integer(3));
      r.config = s.text(4);
      r.loaded = s.integer(5);
      out.push_back(std::move(r));
    }
  }
  Stmt t(db_, "SELECT ref, image_id, tagged FROM image_tags ORDER BY tagged, ref");
  while (t.step() == SQLITE_ROW) {
    const std::string id = t.text(1);
    for (auto& r : out) {
      if (r.id != id) continue;
      r.tags.push_back(t.text(0));
      r.last_tag_time = std::max(r.last_tag_time, t.integer(2));
    }
  }
  return out;
}

Result<std::optional<ImageRecord>> SqliteStore::get_image(const std::string& id) {
  auto all = list_images();
  if (!all.ok()) return all.error();
  for (auto& r : *all) {
    if (r.id == id) return std::optional<ImageRecord>(std::move(r));
  }
  return std::optional<ImageRecord>();
}

}  // namespace berth::store

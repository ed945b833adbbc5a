// SqliteStore: berth's state in one SQLite database (WAL) under the data
// root. Every write runs in a `BEGIN IMMEDIATE` transaction so that checks
// (name taken, subnet overlap) and the insert are atomic; UNIQUE constraints
// back them up. Schema changes are numbered migrations applied at open.
//
// Threading: one SqliteStore may be used from several threads; calls are
// serialised by an internal mutex (the engine serialises anyway).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/records.h"

struct sqlite3;

namespace berth::store {

class SqliteStore {
 public:
  // Opens (creating if needed) the database at `path` and migrates it.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore();

  int schema_version();

  // Inserts a network. Fails with Conflict "network with name X already
  // exists" when the name is taken, and with Forbidden "invalid pool request:
  // Pool overlaps with other one on this address space" when its subnet
  // overlaps another network's (checked inside the same transaction).
  Status insert_network(const NetworkRecord& n);
  Status delete_network(const std::string& id);
  Result<std::vector<NetworkRecord>> list_networks();
  Result<std::optional<NetworkRecord>> get_network(const std::string& id);

  // Containers. insert fails with Conflict (Docker's "The container name
  // ... is already in use" text) when the name is taken.
  Status insert_container(const ContainerRecord& c);
  Status update_container(const ContainerRecord& c);  // whole row, by id
  Status delete_container(const std::string& id);     // and its endpoints
  Result<std::vector<ContainerRecord>> list_containers();
  Result<std::optional<ContainerRecord>> get_container(const std::string& id);

  // Endpoints: inserted together in one transaction (all or none); an
  // address already taken on that network fails with Conflict "Address
  // already in use".
  Status insert_endpoints(const std::vector<EndpointRecord>& eps);
  Status delete_endpoints(const std::string& container_id);
  Result<std::vector<EndpointRecord>> list_endpoints();  // all, ordered by container, ifname
  Status delete_endpoint(const std::string& endpoint_id);  // one (network disconnect)

  // Docker's HasBeenManuallyStopped: set by stop/kill, cleared by start;
  // decides unless-stopped across daemon restarts. False when never set.
  Status set_manually_stopped(const std::string& container_id, bool stopped);
  Result<bool> manually_stopped(const std::string& container_id);

  // Images (sqlite_images.cc). insert_image adds the row when the id is new
  // and points each tag at it (moving a tag from another image); returns the
  // ids of images whose tag was moved away. delete_image removes the row and
  // its tags.
  Result<std::vector<std::string>> insert_image(const ImageRecord& img,
                                                const std::vector<std::string>& tags);
  Status tag_image(const std::string& id, const std::string& ref);  // moves the tag
  Status untag_image(const std::string& ref);                       // NotFound if unknown
  Status delete_image(const std::string& id);
  Result<std::vector<ImageRecord>> list_images();  // with tags, newest first
  Result<std::optional<ImageRecord>> get_image(const std::string& id);

  // Published ports of running containers, inserted together (all or none);
  // a host address/port/protocol held twice fails with Conflict (Docker's
  // "port is already allocated" text).
  Status insert_ports(const std::vector<PortRecord>& ports);
  Status delete_ports(const std::string& container_id);
  Result<std::vector<PortRecord>> list_ports();  // all, by container, in insertion order

  // Dumps every table as text rows, for tests that prove nothing changed.
  Result<std::string> dump();

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Status exec(const std::string& sql);
  Status migrate();

  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace berth::store

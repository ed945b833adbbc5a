// SqliteStore: schema, migrations and the network rows. Writes use
// BEGIN IMMEDIATE (PITFALLS.md: a deferred transaction that reads then
// writes gets SQLITE_BUSY at once, ignoring the busy timeout).
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "store/sqlite_stmt.h"
#include "store/store.h"

namespace berth::store {
namespace {

// Numbered migrations: entry i brings the schema from version i to i+1.
// Never edit a released entry; append a new one.
const char* const kMigrations[] = {
    // 1: networks
    R"sql(
CREATE TABLE networks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  scope TEXT NOT NULL,
  created INTEGER NOT NULL,
  predefined INTEGER NOT NULL DEFAULT 0,
  internal INTEGER NOT NULL DEFAULT 0,
  attachable INTEGER NOT NULL DEFAULT 0,
  ingress INTEGER NOT NULL DEFAULT 0,
  enable_ipv6 INTEGER NOT NULL DEFAULT 0,
  bridge TEXT UNIQUE,
  subnet TEXT NOT NULL DEFAULT '',
  ip_range TEXT NOT NULL DEFAULT '',
  gateway TEXT NOT NULL DEFAULT '',
  gateway_from_user INTEGER NOT NULL DEFAULT 0,
  subnet_from_user INTEGER NOT NULL DEFAULT 0,
  aux_addresses TEXT NOT NULL DEFAULT '{}',
  mtu INTEGER NOT NULL DEFAULT 1500,
  icc INTEGER NOT NULL DEFAULT 1,
  masquerade INTEGER NOT NULL DEFAULT 1,
  ipam_driver TEXT NOT NULL DEFAULT 'default',
  ipam_options_null INTEGER NOT NULL DEFAULT 0,
  ipam_options TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  labels TEXT NOT NULL DEFAULT '{}',
  subnet_first INTEGER NOT NULL DEFAULT -1,
  subnet_last INTEGER NOT NULL DEFAULT -1
);
CREATE INDEX networks_subnet ON networks(subnet_first, subnet_last);
)sql",
    // 2: containers and their active endpoints
    R"sql(
CREATE TABLE containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  config TEXT NOT NULL,
  host_config TEXT NOT NULL,
  networking TEXT NOT NULL,
  network_mode TEXT NOT NULL,
  hostname TEXT NOT NULL,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  pid_start_time INTEGER NOT NULL DEFAULT 0,
  shim_pid INTEGER NOT NULL DEFAULT 0,
  shim_start_time INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  restart_count INTEGER NOT NULL DEFAULT 0,
  netns_path TEXT NOT NULL DEFAULT ''
);
CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  network_id TEXT NOT NULL REFERENCES networks(id),
  ifname TEXT NOT NULL,
  host_ifname TEXT NOT NULL UNIQUE,
  ip TEXT NOT NULL,
  ip_int INTEGER NOT NULL,
  prefix_len INTEGER NOT NULL,
  mac TEXT NOT NULL,
  gateway TEXT NOT NULL,
  static_ip INTEGER NOT NULL DEFAULT 0,
  UNIQUE (network_id, ip_int),
  UNIQUE (container_id, network_id),
  UNIQUE (container_id, ifname)
);
)sql",
    // 3: the lifecycle flags a restart policy needs across daemon restarts
    // (Docker's HasBeenManuallyStopped)
    R"sql(
CREATE TABLE container_flags (
  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
  manually_stopped INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 4: images and their tags (image issue)
    R"sql(
CREATE TABLE images (
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  size INTEGER NOT NULL,
  layers INTEGER NOT NULL,
  config TEXT NOT NULL,
  loaded INTEGER NOT NULL
);
CREATE TABLE image_tags (
  ref TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  tagged INTEGER NOT NULL
);
)sql",
    // 5: published ports of running containers (NetworkSettings.Ports)
    R"sql(
CREATE TABLE port_bindings (
  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
  proto TEXT NOT NULL,
  host_ip TEXT NOT NULL,
  host_port INTEGER NOT NULL,
  container_port INTEGER NOT NULL,
  container_ip TEXT NOT NULL,
  PRIMARY KEY (proto, host_ip, host_port)
);
)sql",
};

std::string map_to_json(const std::map<std::string, std::string>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j.dump();
}

std::map<std::string, std::string> json_to_map(const std::string& s) {
  std::map<std::string, std::string> m;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(s, nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return m;
  }
  if (!j.is_object()) return m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) m[it.key()] = it.value().get<std::string>();
  }
  return m;
}

constexpr const char* kNetworkColumns =
    "id, name, driver, scope, created, predefined, internal, attachable, ingress, enable_ipv6, "
    "bridge, subnet, ip_range, gateway, gateway_from_user, subnet_from_user, aux_addresses, mtu, "
    "icc, masquerade, ipam_driver, ipam_options_null, ipam_options, options, labels, "
    "subnet_first, subnet_last";

NetworkRecord read_network(const Stmt& s) {
  NetworkRecord n;
  int c = 0;
  n.id = s.text(c++);
  n.name = s.text(c++);
  n.driver = s.text(c++);
  n.scope = s.text(c++);
  n.created = s.integer(c++);
  n.predefined = s.integer(c++) != 0;
  n.internal = s.integer(c++) != 0;
  n.attachable = s.integer(c++) != 0;
  n.ingress = s.integer(c++) != 0;
  n.enable_ipv6 = s.integer(c++) != 0;
  n.bridge = s.text(c++);
  n.subnet = s.text(c++);
  n.ip_range = s.text(c++);
  n.gateway = s.text(c++);
  n.gateway_from_user = s.integer(c++) != 0;
  n.subnet_from_user = s.integer(c++) != 0;
  n.aux_addresses = json_to_map(s.text(c++));
  n.mtu = static_cast<int>(s.integer(c++));
  n.icc = s.integer(c++) != 0;
  n.masquerade = s.integer(c++) != 0;
  n.ipam_driver = s.text(c++);
  n.ipam_options_null = s.integer(c++) != 0;
  n.ipam_options = json_to_map(s.text(c++));
  n.options = json_to_map(s.text(c++));
  n.labels = json_to_map(s.text(c++));
  n.subnet_first = s.integer(c++);
  n.subnet_last = s.integer(c++);
  return n;
}


Error db_error(sqlite3* db, const std::string& what) {
  return internal_error(what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return unavailable("open database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteStore> s(new SqliteStore(db));
  sqlite3_busy_timeout(db, 5000);
  BERTH_TRY(s->exec("PRAGMA journal_mode=WAL"));
  BERTH_TRY(s->exec("PRAGMA synchronous=NORMAL"));
  BERTH_TRY(s->exec("PRAGMA foreign_keys=ON"));
  BERTH_TRY(s->migrate());
  return s;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

Status SqliteStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return internal_error("sqlite: " + msg);
  }
  return ok_status();
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "PRAGMA user_version");
  return s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : -1;
}

Status SqliteStore::migrate() {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin migration");
  int version;
  {
    Stmt s(db_, "PRAGMA user_version");
    version = s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : 0;
  }
  const int target = static_cast<int>(std::size(kMigrations));
  if (version > target) {
    return unavailable("database schema version " + std::to_string(version) +
                       " is newer than this berthd understands (" + std::to_string(target) + ")");
  }
  for (int v = version; v < target; ++v) {
    BERTH_TRY(exec(kMigrations[v]));
  }
  BERTH_TRY(exec("PRAGMA user_version=" + std::to_string(target)));
  if (!tx.commit()) return db_error(db_, "commit migration");
  return ok_status();
}

Status SqliteStore::insert_network(const NetworkRecord& n) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  {
    Stmt s(db_, "SELECT 1 FROM networks WHERE name = ?");
    s.bind(1, n.name);
    if (s.step() == SQLITE_ROW) return conflict("network with name " + n.name + " already exists");
  }
  if (n.subnet_first >= 0) {
    Stmt s(db_,
           "SELECT 1 FROM networks WHERE subnet_first >= 0 AND subnet_first <= ? AND "
           "subnet_last >= ?");
    s.bind(1, n.subnet_last).bind(2, n.subnet_first);
    if (s.step() == SQLITE_ROW) {
      return forbidden("invalid pool request: Pool overlaps with other one on this address space");
    }
  }
  std::string sql = std::string("INSERT INTO networks (") + kNetworkColumns +
                    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return db_error(db_, "prepare insert network");
  int c = 0;
  auto text = [&](const std::string& v) { s.bind(++c, v); };
  auto num = [&](int64_t v) { s.bind(++c, v); };
  text(n.id);
  text(n.name);
  text(n.driver);
  text(n.scope);
  num(n.created);
  num(n.predefined);
  num(n.internal);
  num(n.attachable);
  num(n.ingress);
  num(n.enable_ipv6);
  if (n.bridge.empty()) {
    s.bind_null(++c);
  } else {
    text(n.bridge);
  }
  text(n.subnet);
  text(n.ip_range);
  text(n.gateway);
  num(n.gateway_from_user);
  num(n.subnet_from_user);
  text(map_to_json(n.aux_addresses));
  num(n.mtu);
  num(n.icc);
  num(n.masquerade);
  text(n.ipam_driver);
  num(n.ipam_options_null);
  text(map_to_json(n.ipam_options));
  text(map_to_json(n.options));
  text(map_to_json(n.labels));
  num(n.subnet_first);
  num(n.subnet_last);
  if (s.step() != SQLITE_DONE) {
    const int code = s.extended_code();
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
      std::string msg = s.error();
      if (msg.find("networks.bridge") != std::string::npos) {
        return conflict("cannot create network " + n.id + " (" + n.bridge +
                        "): conflicts with another network: networks have same bridge name");
      }
      return conflict("network with name " + n.name + " already exists");
    }
    return db_error(db_, "insert network");
  }
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::delete_network(const std::string& id) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  Stmt s(db_, "DELETE FROM networks WHERE id = ?");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete network");
  if (sqlite3_changes(db_) == 0) return not_found("network " + id + " not found");
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Result<std::vector<NetworkRecord>> SqliteStore::list_networks() {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kNetworkColumns + " FROM networks ORDER BY created, id";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return db_error(db_, "prepare list networks");
  std::vector<NetworkRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_network(s));
  if (rc != SQLITE_DONE) return db_error(db_, "list networks");
  return out;
}

Result<std::optional<NetworkRecord>> SqliteStore::get_network(const std::string& id) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kNetworkColumns + " FROM networks WHERE id = ?";
  Stmt s(db_, sql.c_str());
  s.bind(1, id);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<NetworkRecord>(read_network(s));
  if (rc != SQLITE_DONE) return db_error(db_, "get network");
  return std::optional<NetworkRecord>();
}

namespace {

constexpr const char* kContainerColumns =
    "id, name, created, image, image_id, config, host_config, networking, network_mode, "
    "hostname, status, pid, pid_start_time, shim_pid, shim_start_time, exit_code, error, "
    "started_at, finished_at, restart_count, netns_path";

ContainerRecord read_container(const Stmt& s) {
  ContainerRecord c;
  int i = 0;
  c.id = s.text(i++);
  c.name = s.text(i++);
  c.created = s.integer(i++);
  c.image = s.text(i++);
  c.image_id = s.text(i++);
  c.config_json = s.text(i++);
  c.host_config_json = s.text(i++);
  c.networking_json = s.text(i++);
  c.network_mode = s.text(i++);
  c.hostname = s.text(i++);
  c.status = s.text(i++);
  c.pid = static_cast<int>(s.integer(i++));
  c.pid_start_time = s.integer(i++);
  c.shim_pid = static_cast<int>(s.integer(i++));
  c.shim_start_time = s.integer(i++);
  c.exit_code = static_cast<int>(s.integer(i++));
  c.error = s.text(i++);
  c.started_at = s.integer(i++);
  c.finished_at = s.integer(i++);
  c.restart_count = static_cast<int>(s.integer(i++));
  c.netns_path = s.text(i++);
  return c;
}

// Binds the container's columns in kContainerColumns order from index 1.
void bind_container(Stmt& s, const ContainerRecord& c) {
  int i = 0;
  auto text = [&](const std::string& v) { s.bind(++i, v); };
  auto num = [&](int64_t v) { s.bind(++i, v); };
  text(c.id);
  text(c.name);
  num(c.created);
  text(c.image);
  text(c.image_id);
  text(c.config_json);
  text(c.host_config_json);
  text(c.networking_json);
  text(c.network_mode);
  text(c.hostname);
  text(c.status);
  num(c.pid);
  num(c.pid_start_time);
  num(c.shim_pid);
  num(c.shim_start_time);
  num(c.exit_code);
  text(c.error);
  num(c.started_at);
  num(c.finished_at);
  num(c.restart_count);
  text(c.netns_path);
}

constexpr const char* kEndpointColumns =
    "id, container_id, network_id, ifname, host_ifname, ip, ip_int, prefix_len, mac, gateway, "
    "static_ip";

EndpointRecord read_endpoint(const Stmt& s) {
  EndpointRecord e;
  int i = 0;
  e.id = s.text(i++);
  e.container_id = s.text(i++);
  e.network_id = s.text(i++);
  e.ifname = s.text(i++);
  e.host_ifname = s.text(i++);
  e.ip = s.text(i++);
  e.ip_int = s.integer(i++);
  e.prefix_len = static_cast<int>(s.integer(i++));
  e.mac = s.text(i++);
  e.gateway = s.text(i++);
  e.static_ip = s.integer(i++) != 0;
  return e;
}

}  // namespace

Status SqliteStore::insert_container(const ContainerRecord& c) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  {
    Stmt s(db_, "SELECT id FROM containers WHERE name = ?");
    s.bind(1, c.name);
    if (s.step() == SQLITE_ROW) {
      return conflict("Conflict. The container name \"/" + c.name +
                      "\" is already in use by container \"" + s.text(0) +
                      "\". You have to remove (or rename) that container to be able to reuse "
                      "that name.");
    }
  }
  std::string sql = std::string("INSERT INTO containers (") + kContainerColumns +
                    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return db_error(db_, "prepare insert container");
  bind_container(s, c);
  if (s.step() != SQLITE_DONE) return db_error(db_, "insert container");
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::update_container(const ContainerRecord& c) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  {
    Stmt check(db_, "SELECT 1 FROM containers WHERE id = ?");
    check.bind(1, c.id);
    if (check.step() != SQLITE_ROW) return not_found("No such container: " + c.id);
  }
  // REPLACE would delete the row first and cascade to its endpoints: update
  // in place instead.
  std::string upd = "UPDATE containers SET name=?2, created=?3, image=?4, image_id=?5, config=?6, "
                    "host_config=?7, networking=?8, network_mode=?9, hostname=?10, status=?11, "
                    "pid=?12, pid_start_time=?13, shim_pid=?14, shim_start_time=?15, "
                    "exit_code=?16, error=?17, started_at=?18, finished_at=?19, "
                    "restart_count=?20, netns_path=?21 WHERE id=?1";
  Stmt s(db_, upd.c_str());
  if (!s.prepared()) return db_error(db_, "prepare update container");
  bind_container(s, c);
  if (s.step() != SQLITE_DONE) {
    if (s.extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
      return conflict("Conflict. The container name \"/" + c.name + "\" is already in use");
    }
    return db_error(db_, "update container");
  }
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::delete_container(const std::string& id) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  {
    Stmt e(db_, "DELETE FROM endpoints WHERE container_id = ?");
    e.bind(1, id);
    if (e.step() != SQLITE_DONE) return db_error(db_, "delete endpoints");
  }
  Stmt s(db_, "DELETE FROM containers WHERE id = ?");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete container");
  if (sqlite3_changes(db_) == 0) return not_found("No such container: " + id);
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Result<std::vector<ContainerRecord>> SqliteStore::list_containers() {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kContainerColumns + " FROM containers ORDER BY created DESC, id";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return db_error(db_, "prepare list containers");
  std::vector<ContainerRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_container(s));
  if (rc != SQLITE_DONE) return db_error(db_, "list containers");
  return out;
}

Result<std::optional<ContainerRecord>> SqliteStore::get_container(const std::string& id) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kContainerColumns + " FROM containers WHERE id = ?";
  Stmt s(db_, sql.c_str());
  s.bind(1, id);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<ContainerRecord>(read_container(s));
  if (rc != SQLITE_DONE) return db_error(db_, "get container");
  return std::optional<ContainerRecord>();
}

Status SqliteStore::insert_endpoints(const std::vector<EndpointRecord>& eps) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  std::string sql = std::string("INSERT INTO endpoints (") + kEndpointColumns +
                    ") VALUES (?,?,?,?,?,?,?,?,?,?,?)";
  for (const auto& e : eps) {
    Stmt s(db_, sql.c_str());
    if (!s.prepared()) return db_error(db_, "prepare insert endpoint");
    int i = 0;
    s.bind(++i, e.id);
    s.bind(++i, e.container_id);
    s.bind(++i, e.network_id);
    s.bind(++i, e.ifname);
    s.bind(++i, e.host_ifname);
    s.bind(++i, e.ip);
    s.bind(++i, e.ip_int);
    s.bind(++i, int64_t{e.prefix_len});
    s.bind(++i, e.mac);
    s.bind(++i, e.gateway);
    s.bind(++i, int64_t{e.static_ip});
    if (s.step() != SQLITE_DONE) {
      const std::string msg = s.error();
      if (s.extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
        if (msg.find("ip_int") != std::string::npos) return conflict("Address already in use");
        return conflict("endpoint conflict: " + msg);
      }
      return db_error(db_, "insert endpoint");
    }
  }
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::delete_endpoints(const std::string& container_id) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  Stmt s(db_, "DELETE FROM endpoints WHERE container_id = ?");
  s.bind(1, container_id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete endpoints");
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::delete_endpoint(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  Stmt s(db_, "DELETE FROM endpoints WHERE id = ?");
  s.bind(1, endpoint_id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete endpoint");
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::set_manually_stopped(const std::string& container_id, bool stopped) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  // A missing row means "not stopped by hand": clearing the flag deletes the
  // row, so a start that fails leaves the database as it was.
  Stmt s(db_, stopped ? "INSERT INTO container_flags (container_id, manually_stopped) VALUES (?, 1) "
                        "ON CONFLICT(container_id) DO UPDATE SET manually_stopped = 1"
                      : "DELETE FROM container_flags WHERE container_id = ?");
  s.bind(1, container_id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "set manually_stopped");
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Result<bool> SqliteStore::manually_stopped(const std::string& container_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT manually_stopped FROM container_flags WHERE container_id = ?");
  s.bind(1, container_id);
  int rc = s.step();
  if (rc == SQLITE_ROW) return s.integer(0) != 0;
  if (rc != SQLITE_DONE) return db_error(db_, "get manually_stopped");
  return false;
}

Result<std::vector<EndpointRecord>> SqliteStore::list_endpoints() {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kEndpointColumns +
                    " FROM endpoints ORDER BY container_id, ifname";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return db_error(db_, "prepare list endpoints");
  std::vector<EndpointRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_endpoint(s));
  if (rc != SQLITE_DONE) return db_error(db_, "list endpoints");
  return out;
}

Status SqliteStore::insert_ports(const std::vector<PortRecord>& ports) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.began()) return db_error(db_, "begin");
  for (const auto& p : ports) {
    Stmt s(db_,
           "INSERT INTO port_bindings (container_id, proto, host_ip, host_port, container_port, "
           "container_ip) VALUES (?,?,?,?,?,?)");
    if (!s.prepared()) return db_error(db_, "prepare insert port");
    s.bind(1, p.container_id);
    s.bind(2, p.proto);
    s.bind(3, p.host_ip);
    s.bind(4, int64_t{p.host_port});
    s.bind(5, int64_t{p.container_port});
    s.bind(6, p.container_ip);
    if (s.step() != SQLITE_DONE) {
      if (s.extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY ||
          s.extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
        return conflict("Bind for " + p.host_ip + ":" + std::to_string(p.host_port) +
                        " failed: port is already allocated");
      }
      return db_error(db_, "insert port");
    }
  }
  if (!tx.commit()) return db_error(db_, "commit");
  return ok_status();
}

Status SqliteStore::delete_ports(const std::string& container_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM port_bindings WHERE container_id = ?");
  s.bind(1, container_id);
  if (s.step() != SQLITE_DONE) return db_error(db_, "delete ports");
  return ok_status();
}

Result<std::vector<PortRecord>> SqliteStore::list_ports() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT container_id, proto, host_ip, host_port, container_port, container_ip FROM "
         "port_bindings ORDER BY container_id, rowid");
  if (!s.prepared()) return db_error(db_, "prepare list ports");
  std::vector<PortRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    PortRecord p;
    p.container_id = s.text(0);
    p.proto = s.text(1);
    p.host_ip = s.text(2);
    p.host_port = static_cast<int>(s.integer(3));
    p.container_port = static_cast<int>(s.integer(4));
    p.container_ip = s.text(5);
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "list ports");
  return out;
}

Result<std::string> SqliteStore::dump() {
  std::lock_guard lock(mu_);
  std::string out;
  std::vector<std::string> tables;
  {
    Stmt s(db_, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
    while (s.step() == SQLITE_ROW) tables.push_back(s.text(0));
  }
  for (const auto& t : tables) {
    out += "# " + t + "\n";
    std::string sql = "SELECT * FROM \"" + t + "\" ORDER BY 1";
    Stmt s(db_, sql.c_str());
    while (s.step() == SQLITE_ROW) {
      for (int c = 0; c < s.columns(); ++c) {
        if (c) out += "|";
        out += s.is_null(c) ? "NULL" : s.text(c);
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace berth::store

#include "lb/config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace berth::lb {
namespace {

// ---------------------------------------------------------------- syntax tree
struct Node {
  std::string name;
  std::vector<std::string> args;
  int line = 0;  // where the directive ends (";" or "{"), as nginx reports
  bool block = false;
  std::vector<Node> children;
};

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : t_(text), file_(file) {}

  std::optional<Error> parse_block(std::vector<Node>& out, bool top) {
    for (;;) {
      Node n;
      bool have_word = false;
      for (;;) {
        skip_space();
        if (p_ >= t_.size()) {
          if (have_word) return err("unexpected end of file, expecting \";\" or \"}\"");
          if (!top) return err("unexpected end of file, expecting \"}\"");
          return std::nullopt;
        }
        char c = t_[p_];
        if (c == ';') {
          ++p_;
          if (!have_word) return err("unexpected \";\"");
          n.line = line_;
          out.push_back(std::move(n));
          break;
        }
        if (c == '{') {
          ++p_;
          if (!have_word) return err("unexpected \"{\"");
          n.line = line_;
          n.block = true;
          if (auto e = parse_block(n.children, false)) return e;
          out.push_back(std::move(n));
          break;
        }
        if (c == '}') {
          ++p_;
          if (have_word) return err("unexpected \"}\"");
          if (top) return err("unexpected \"}\"");
          return std::nullopt;
        }
        std::string w;
        if (auto e = word(w)) return e;
        if (!have_word) {
          n.name = std::move(w);
          have_word = true;
        } else {
          n.args.push_back(std::move(w));
        }
      }
    }
  }

 private:
  Error err(const std::string& m) const {
    return invalid_argument(m + " in " + file_ + ":" + std::to_string(line_));
  }
  void skip_space() {
    while (p_ < t_.size()) {
      char c = t_[p_];
      if (c == '\n') {
        ++line_;
        ++p_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++p_;
      } else if (c == '#') {
        while (p_ < t_.size() && t_[p_] != '\n') ++p_;
      } else {
        break;
      }
    }
  }
  std::optional<Error> word(std::string& w) {
    char q = t_[p_];
    if (q == '"' || q == '\'') {
      ++p_;
      while (p_ < t_.size() && t_[p_] != q) {
        char c = t_[p_++];
        if (c == '\n') ++line_;
        if (c == '\\' && p_ < t_.size()) {
          char d = t_[p_++];
          if (d == 'n') w += '\n';
          else if (d == 't') w += '\t';
          else if (d == 'r') w += '\r';
          else if (d == q || d == '\\') w += d;
          else { w += '\\'; w += d; }
          if (d == '\n') ++line_;
          continue;
        }
        w += c;
      }
      if (p_ >= t_.size()) return err("unexpected end of file, expecting \";\" or \"}\"");
      ++p_;
      if (p_ < t_.size()) {
        char c = t_[p_];
        if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{' || c == '}'))
          return err(std::string("unexpected \"") + c + "\"");
      }
      return std::nullopt;
    }
    while (p_ < t_.size()) {
      char c = t_[p_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{' || c == '}') break;
      if (c == '\\' && p_ + 1 < t_.size()) {
        w += t_[p_ + 1];
        p_ += 2;
        continue;
      }
      w += c;
      ++p_;
    }
    return std::nullopt;
  }

  std::string_view t_;
  const std::string& file_;
  size_t p_ = 0;
  int line_ = 1;
};

// ---------------------------------------------------------------- directives
enum Ctx : unsigned { kMain = 1, kEvents = 2, kHttp = 4, kUpstream = 8, kServer = 16, kLocation = 32 };

struct Spec {
  const char* name;
  unsigned ctx;
  int min_args, max_args;  // max -1: any
  bool block;
};

constexpr unsigned kHSL = kHttp | kServer | kLocation;
constexpr Spec kSpecs[] = {
    {"worker_processes", kMain, 1, 1, false},
    {"pid", kMain, 1, 1, false},
    {"daemon", kMain, 1, 1, false},
    {"user", kMain, 1, 2, false},
    {"worker_rlimit_nofile", kMain, 1, 1, false},
    {"error_log", kMain | kHSL, 1, 2, false},
    {"events", kMain, 0, 0, true},
    {"http", kMain, 0, 0, true},
    {"worker_connections", kEvents, 1, 1, false},
    {"use", kEvents, 1, 1, false},
    {"multi_accept", kEvents, 1, 1, false},
    {"accept_mutex", kEvents, 1, 1, false},
    {"upstream", kHttp, 1, 1, true},
    {"server", kHttp | kUpstream, 0, -1, false},  // block in http, directive in upstream
    {"access_log", kHSL, 1, 4, false},
    {"resolver", kHSL, 1, -1, false},
    {"resolver_timeout", kHSL, 1, 1, false},
    {"keepalive_timeout", kHSL | kUpstream, 1, 2, false},
    {"keepalive_requests", kHSL | kUpstream, 1, 1, false},
    {"sendfile", kHSL, 1, 1, false},
    {"tcp_nopush", kHSL, 1, 1, false},
    {"tcp_nodelay", kHSL, 1, 1, false},
    {"server_tokens", kHSL, 1, 1, false},
    {"default_type", kHSL, 1, 1, false},
    {"types_hash_max_size", kHSL, 1, 1, false},
    {"gzip", kHSL, 1, 1, false},
    {"proxy_set_header", kHSL, 2, 2, false},
    {"proxy_http_version", kHSL, 1, 1, false},
    {"proxy_connect_timeout", kHSL, 1, 1, false},
    {"proxy_read_timeout", kHSL, 1, 1, false},
    {"proxy_send_timeout", kHSL, 1, 1, false},
    {"proxy_next_upstream", kHSL, 1, -1, false},
    {"proxy_buffering", kHSL, 1, 1, false},
    {"least_conn", kUpstream, 0, 0, false},
    {"ip_hash", kUpstream, 0, 0, false},
    {"random", kUpstream, 0, 2, false},
    {"keepalive", kUpstream, 1, 1, false},
    {"zone", kUpstream, 1, 2, false},
    {"listen", kServer, 1, -1, false},
    {"server_name", kServer, 1, -1, false},
    {"location", kServer, 1, 2, true},
    {"return", kServer | kLocation, 1, 2, false},
    {"proxy_pass", kLocation, 1, 1, false},
    {"stub_status", kLocation, 0, 1, false},
    {"health_check", kLocation, 0, -1, false},
};

const Spec* find_spec(const std::string& name) {
  for (const auto& s : kSpecs)
    if (name == s.name) return &s;
  return nullptr;
}

// nginx time: "60", "60s", "500ms", "1m", "1h", "1d", combinations like "1m30s".
std::optional<int64_t> parse_time_ms(std::string_view v) {
  if (v.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < v.size()) {
    int64_t n = 0;
    size_t s = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
      n = n * 10 + (v[i] - '0');
      if (n > 1000000000) return std::nullopt;
      ++i;
    }
    if (i == s) return std::nullopt;
    int64_t mul = 1000;
    if (i < v.size()) {
      if (v.substr(i, 2) == "ms") { mul = 1; i += 2; }
      else if (v[i] == 's') { mul = 1000; ++i; }
      else if (v[i] == 'm') { mul = 60000; ++i; }
      else if (v[i] == 'h') { mul = 3600000; ++i; }
      else if (v[i] == 'd') { mul = 86400000; ++i; }
      else return std::nullopt;
    } else if (s != 0) {
      return std::nullopt;  // "1m30" is not valid
    }
    total += n * mul;
    if (total > (int64_t{1} << 40)) return std::nullopt;
  }
  return total;
}

std::optional<int> parse_int(std::string_view v, int lo, int hi) {
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) return std::nullopt;
  return n;
}

struct ProxyDefaults {
  std::vector<HeaderSet> set_headers;
  bool next_error = true, next_timeout = true, next_off = false;
  bool next_502 = false, next_503 = false, next_504 = false, next_non_idempotent = false;
  int connect_timeout_ms = 60000;
  int read_timeout_ms = 60000;
};

class Interp {
 public:
  explicit Interp(const std::string& file) : file_(file) { cfg_.file = file; }

  std::optional<Error> run(const std::vector<Node>& top) {
    if (auto e = check(top, kMain)) return e;
    bool have_events = false;
    for (const auto& n : top) {
      if (n.name == "worker_processes") {
        if (n.args[0] == "auto") {
          long c = sysconf(_SC_NPROCESSORS_ONLN);
          cfg_.workers = c > 0 ? static_cast<int>(c) : 1;
        } else if (auto v = parse_int(n.args[0], 1, 1024)) {
          cfg_.workers = *v;
        } else {
          return err(n, "invalid value \"" + n.args[0] + "\" in \"worker_processes\" directive");
        }
      } else if (n.name == "pid") {
        cfg_.pid_file = n.args[0];
      } else if (n.name == "error_log") {
        cfg_.error_log = n.args[0];
      } else if (n.name == "events") {
        if (have_events) return err(n, "\"events\" directive is duplicate");
        have_events = true;
        if (auto e = check(n.children, kEvents)) return e;
        for (const auto& c : n.children) {
          if (c.name == "worker_connections") {
            auto v = parse_int(c.args[0], 1, 1 << 24);
            if (!v) return err(c, "invalid number \"" + c.args[0] + "\"");
            cfg_.worker_connections = *v;
          }
        }
      } else if (n.name == "http") {
        if (have_http_) return err(n, "\"http\" directive is duplicate");
        have_http_ = true;
        if (auto e = http(n)) return e;
      }
    }
    if (!have_events) return invalid_argument("no \"events\" section in configuration");
    return std::nullopt;
  }

  Config take() { return std::move(cfg_); }

 private:
  Error err(const Node& n, const std::string& m) const {
    return invalid_argument(m + " in " + file_ + ":" + std::to_string(n.line));
  }

  std::optional<Error> check(const std::vector<Node>& nodes, Ctx ctx) {
    for (const auto& n : nodes) {
      const Spec* s = find_spec(n.name);
      if (!s) return err(n, "unknown directive \"" + n.name + "\"");
      if (!(s->ctx & ctx)) return err(n, "\"" + n.name + "\" directive is not allowed here");
      bool want_block = s->block || (n.name == "server" && ctx == kHttp);
      if (want_block && !n.block) return err(n, "directive \"" + n.name + "\" has no opening \"{\"");
      if (!want_block && n.block) return err(n, "directive \"" + n.name + "\" is not terminated by \";\"");
      int argc = static_cast<int>(n.args.size());
      int min = s->min_args, max = s->max_args;
      if (n.name == "server") {
        if (ctx == kHttp) { min = 0; max = 0; }
        else { min = 1; max = -1; }
      }
      if (argc < min || (max >= 0 && argc > max))
        return err(n, "invalid number of arguments in \"" + n.name + "\" directive");
    }
    return std::nullopt;
  }

  // Directives shared by http, server and location (inherited downwards).
  std::optional<Error> common(const Node& n, ProxyDefaults& d, bool& headers_here) {
    if (n.name == "proxy_set_header") {
      if (!headers_here) {
        d.set_headers.clear();
        headers_here = true;
      }
      d.set_headers.push_back({n.args[0], n.args[1]});
    } else if (n.name == "proxy_connect_timeout" || n.name == "proxy_read_timeout" ||
               n.name == "proxy_send_timeout") {
      auto v = parse_time_ms(n.args[0]);
      if (!v || *v <= 0 || *v > (int64_t{1} << 30)) return err(n, "\"" + n.name + "\" directive invalid value");
      if (n.name == "proxy_connect_timeout") d.connect_timeout_ms = static_cast<int>(*v);
      if (n.name == "proxy_read_timeout") d.read_timeout_ms = static_cast<int>(*v);
    } else if (n.name == "proxy_next_upstream") {
      d.next_error = d.next_timeout = d.next_off = d.next_502 = d.next_503 = d.next_504 = false;
      d.next_non_idempotent = false;
      for (const auto& a : n.args) {
        if (a == "error") d.next_error = true;
        else if (a == "timeout") d.next_timeout = true;
        else if (a == "off") d.next_off = true;
        else if (a == "http_502") d.next_502 = true;
        else if (a == "http_503") d.next_503 = true;
        else if (a == "http_504") d.next_504 = true;
        else if (a == "non_idempotent") d.next_non_idempotent = true;
        else if (a == "invalid_header" || a == "http_500" || a == "http_403" || a == "http_404" ||
                 a == "http_429") {
        } else {
          return err(n, "invalid value \"" + a + "\"");
        }
      }
      if (d.next_off && n.args.size() > 1) return err(n, "invalid value \"off\"");
    } else if (n.name == "proxy_http_version") {
      if (n.args[0] != "1.0" && n.args[0] != "1.1") return err(n, "invalid value \"" + n.args[0] + "\"");
    } else if (n.name == "access_log") {
      cfg_.access_log = n.args[0];
    } else if (n.name == "error_log") {
      cfg_.error_log = n.args[0];
    } else if (n.name == "keepalive_timeout") {
      auto v = parse_time_ms(n.args[0]);
      if (!v) return err(n, "\"keepalive_timeout\" directive invalid value");
      cfg_.keepalive_timeout_s = static_cast<int>(*v / 1000);
    } else if (n.name == "keepalive_requests") {
      auto v = parse_int(n.args[0], 0, 2000000000);
      if (!v) return err(n, "invalid number \"" + n.args[0] + "\"");
      cfg_.keepalive_requests = *v;
    } else if (n.name == "resolver") {
      Resolver r;
      for (const auto& a : n.args) {
        if (a.rfind("valid=", 0) == 0) {
          auto v = parse_time_ms(a.substr(6));
          if (!v) return err(n, "invalid parameter \"" + a + "\"");
          r.valid_s = static_cast<int>(std::max<int64_t>(1, *v / 1000));
        } else if (a.rfind("ipv6=", 0) == 0 || a.rfind("status_zone=", 0) == 0) {
        } else {
          std::string host = a;
          uint16_t port = 53;
          if (auto c = a.rfind(':'); c != std::string::npos) {
            auto p = parse_int(std::string_view(a).substr(c + 1), 1, 65535);
            if (!p) return err(n, "invalid port in resolver \"" + a + "\"");
            port = static_cast<uint16_t>(*p);
            host = a.substr(0, c);
          }
          auto ip = parse_ipv4(host);
          if (!ip) return err(n, "host not found in resolver \"" + a + "\"");
          r.addrs.push_back({*ip, port});
        }
      }
      if (r.addrs.empty()) return err(n, "invalid number of arguments in \"resolver\" directive");
      cfg_.resolver = r;
    }
    return std::nullopt;
  }

  std::optional<Error> http(const Node& h) {
    if (auto e = check(h.children, kHttp)) return e;
    ProxyDefaults d;
    bool hh = false;
    for (const auto& n : h.children)
      if (n.name != "upstream" && n.name != "server")
        if (auto e = common(n, d, hh)) return e;
    for (const auto& n : h.children)
      if (n.name == "upstream")
        if (auto e = upstream(n)) return e;
    for (const auto& n : h.children)
      if (n.name == "server")
        if (auto e = server(n, d)) return e;
    return std::nullopt;
  }

  std::optional<Error> upstream(const Node& u) {
    if (auto e = check(u.children, kUpstream)) return e;
    for (const auto& x : cfg_.upstreams)
      if (x.name == u.args[0]) return err(u, "duplicate upstream \"" + u.args[0] + "\"");
    Upstream up;
    up.name = u.args[0];
    up.line = u.line;
    for (const auto& n : u.children) {
      if (n.name == "server") {
        UpstreamServer s;
        s.line = n.line;
        auto hp = split_host_port(n.args[0]);
        if (!hp) return err(n, "invalid port in upstream \"" + n.args[0] + "\"");
        s.host = hp->first;
        s.port = hp->second;
        for (size_t i = 1; i < n.args.size(); ++i) {
          const std::string& a = n.args[i];
          auto val = [&](const char* k) -> std::optional<std::string_view> {
            size_t l = strlen(k);
            if (a.compare(0, l, k) == 0) return std::string_view(a).substr(l);
            return std::nullopt;
          };
          if (auto v = val("weight=")) {
            auto w = parse_int(*v, 1, 1000);
            if (!w) return err(n, "invalid parameter \"" + a + "\"");
            s.weight = *w;
          } else if (auto v = val("max_fails=")) {
            auto w = parse_int(*v, 0, 1000000);
            if (!w) return err(n, "invalid parameter \"" + a + "\"");
            s.max_fails = *w;
          } else if (auto v = val("fail_timeout=")) {
            auto t = parse_time_ms(*v);
            if (!t) return err(n, "invalid parameter \"" + a + "\"");
            s.fail_timeout_s = static_cast<int>(*t / 1000);
          } else if (auto v = val("max_conns=")) {
            if (!parse_int(*v, 0, 1 << 30)) return err(n, "invalid parameter \"" + a + "\"");
          } else if (auto v = val("service=")) {
            (void)v;
          } else if (a == "backup") {
            s.backup = true;
          } else if (a == "down") {
            s.down = true;
          } else if (a == "resolve") {
            s.resolve = true;
          } else {
            return err(n, "invalid parameter \"" + a + "\"");
          }
        }
        up.servers.push_back(std::move(s));
      } else if (n.name == "least_conn") {
        up.policy = Policy::kLeastConn;
      } else if (n.name == "ip_hash") {
        up.policy = Policy::kIpHash;
      } else if (n.name == "random") {
        if (!n.args.empty() && n.args[0] != "two") return err(n, "invalid parameter \"" + n.args[0] + "\"");
        if (n.args.size() == 2 && n.args[1] != "least_conn")
          return err(n, "invalid parameter \"" + n.args[1] + "\"");
        up.policy = Policy::kRandomTwo;
      } else if (n.name == "keepalive") {
        auto v = parse_int(n.args[0], 1, 1 << 20);
        if (!v) return err(n, "invalid value \"" + n.args[0] + "\" in \"keepalive\" directive");
        up.keepalive = *v;
      }
    }
    if (up.servers.empty()) return err(u, "no servers are inside upstream");
    bool any_resolve = false;
    for (const auto& s : up.servers) {
      if (s.backup && (up.policy == Policy::kIpHash || up.policy == Policy::kRandomTwo)) {
        Node n;
        n.line = s.line;
        return err(n, "balancing method does not support parameter \"backup\"");
      }
      any_resolve |= s.resolve;
    }
    if (any_resolve) resolve_users_.push_back(up.line);
    cfg_.upstreams.push_back(std::move(up));
    return std::nullopt;
  }

  static std::optional<std::pair<std::string, uint16_t>> split_host_port(const std::string& a) {
    auto c = a.rfind(':');
    if (c == std::string::npos) return std::pair{a, uint16_t{80}};
    auto p = parse_int(std::string_view(a).substr(c + 1), 1, 65535);
    if (!p || c == 0) return std::nullopt;
    return std::pair{a.substr(0, c), static_cast<uint16_t>(*p)};
  }

  std::optional<Error> server(const Node& s, const ProxyDefaults& parent) {
    if (auto e = check(s.children, kServer)) return e;
    Server srv;
    srv.line = s.line;
    ProxyDefaults d = parent;
    bool hh = false;
    std::vector<int> return_code;
    for (const auto& n : s.children) {
      if (n.name == "listen") {
        Listen l;
        const std::string& a = n.args[0];
        std::string host, port = a;
        if (auto c = a.rfind(':'); c != std::string::npos) {
          host = a.substr(0, c);
          port = a.substr(c + 1);
        } else if (a.find('.') != std::string::npos || !parse_int(a, 0, 1 << 30)) {
          host = a;
          port = "80";
        }
        auto p = parse_int(port, 1, 65535);
        if (!p) return err(n, "invalid port in \"" + a + "\" of the \"listen\" directive");
        l.port = static_cast<uint16_t>(*p);
        if (!host.empty() && host != "*") {
          auto ip = parse_ipv4(host == "localhost" ? "127.0.0.1" : host);
          if (!ip) return err(n, "host not found in \"" + a + "\" of the \"listen\" directive");
          l.addr = *ip;
        }
        for (size_t i = 1; i < n.args.size(); ++i) {
          const std::string& x = n.args[i];
          if (x == "default_server" || x == "default" || x == "reuseport" || x == "deferred") {
            if (x != "reuseport" && x != "deferred") l.default_server = true;
          } else if (x.rfind("backlog=", 0) == 0) {
            auto b = parse_int(std::string_view(x).substr(8), 1, 1 << 20);
            if (!b) return err(n, "invalid backlog \"" + x.substr(8) + "\"");
            l.backlog = *b;
          } else {
            return err(n, "invalid parameter \"" + x + "\"");
          }
        }
        srv.listens.push_back(l);
      } else if (n.name == "server_name") {
        for (const auto& a : n.args) srv.names.push_back(a);
      } else if (n.name != "location") {
        if (auto e = common(n, d, hh)) return e;
      }
    }
    if (srv.listens.empty()) srv.listens.push_back(Listen{0, 80, false, 4096});
    for (const auto& n : s.children) {
      if (n.name != "location") continue;
      Location loc;
      loc.line = n.line;
      if (n.args.size() == 2) {
        if (n.args[0] != "=") return err(n, "invalid location modifier \"" + n.args[0] + "\"");
        loc.exact = true;
        loc.path = n.args[1];
      } else {
        if (n.args[0] == "=" || n.args[0] == "~" || n.args[0] == "~*" || n.args[0] == "^~")
          return err(n, "invalid number of arguments in \"location\" directive");
        loc.path = n.args[0];
      }
      for (const auto& o : srv.locations)
        if (o.path == loc.path && o.exact == loc.exact) return err(n, "duplicate location \"" + loc.path + "\"");
      if (auto e = location(n, d, loc)) return e;
      srv.locations.push_back(std::move(loc));
    }
    // a server-level `return` answers every request: model it as location "/".
    for (const auto& n : s.children) {
      if (n.name != "return") continue;
      Location loc;
      loc.line = n.line;
      if (auto e = parse_return(n, loc)) return e;
      srv.locations.insert(srv.locations.begin(), std::move(loc));
      srv.locations.front().path = "";
    }
    cfg_.servers.push_back(std::move(srv));
    return std::nullopt;
  }

  std::optional<Error> parse_return(const Node& n, Location& loc) {
    auto c = parse_int(n.args[0], 0, 999);
    if (!c) {
      if (n.args.size() == 1 && (n.args[0].rfind("http://", 0) == 0 || n.args[0].rfind("https://", 0) == 0)) {
        loc.return_code = 302;
        loc.return_text = n.args[0];
        return std::nullopt;
      }
      return err(n, "invalid return code \"" + n.args[0] + "\"");
    }
    loc.return_code = *c;
    if (n.args.size() == 2) loc.return_text = n.args[1];
    return std::nullopt;
  }

  std::optional<Error> location(const Node& l, ProxyDefaults d, Location& loc) {
    if (auto e = check(l.children, kLocation)) return e;
    bool hh = false;
    bool handler = false;
    for (const auto& n : l.children) {
      if (n.name == "proxy_pass") {
        if (handler) return err(n, "\"proxy_pass\" directive is duplicate");
        handler = true;
        std::string u = n.args[0];
        if (u.rfind("http://", 0) != 0) {
          if (u.rfind("https://", 0) == 0) return err(n, "https upstreams are not supported by berth-lb");
          return err(n, "invalid URL prefix in \"" + u + "\"");
        }
        u = u.substr(7);
        auto slash = u.find('/');
        std::string hostport = u.substr(0, slash);
        if (slash != std::string::npos) loc.proxy_uri = u.substr(slash);
        if (hostport.empty()) return err(n, "no host in \"" + n.args[0] + "\"");
        if (!cfg_.find_upstream(hostport)) {
          auto hp = split_host_port(hostport);
          if (!hp) return err(n, "invalid port in upstream \"" + hostport + "\"");
          if (hostport.find(':') == std::string::npos && !parse_ipv4(hostport) && hostport != "localhost")
            return err(n, "host not found in upstream \"" + hostport + "\"");
          Upstream up;
          up.name = hostport;
          up.implicit = true;
          up.line = n.line;
          UpstreamServer s;
          s.host = hp->first;
          s.port = hp->second;
          s.line = n.line;
          up.servers.push_back(s);
          cfg_.upstreams.push_back(std::move(up));
        }
        loc.upstream = hostport;
      } else if (n.name == "return") {
        if (handler) return err(n, "\"return\" directive is duplicate");
        handler = true;
        if (auto e = parse_return(n, loc)) return e;
      } else if (n.name == "stub_status") {
        if (handler) return err(n, "\"stub_status\" directive is duplicate");
        handler = true;
        loc.status = true;
      } else if (n.name == "health_check") {
        loc.health.enabled = true;
        for (const auto& a : n.args) {
          if (a.rfind("interval=", 0) == 0) {
            auto t = parse_time_ms(a.substr(9));
            if (!t || *t <= 0) return err(n, "invalid parameter \"" + a + "\"");
            loc.health.interval_ms = static_cast<int>(*t);
          } else if (a.rfind("uri=", 0) == 0) {
            loc.health.uri = a.substr(4);
            if (loc.health.uri.empty() || loc.health.uri[0] != '/') return err(n, "invalid parameter \"" + a + "\"");
          } else if (a.rfind("fails=", 0) == 0) {
            auto v = parse_int(std::string_view(a).substr(6), 1, 1000);
            if (!v) return err(n, "invalid parameter \"" + a + "\"");
            loc.health.fails = *v;
          } else if (a.rfind("passes=", 0) == 0) {
            auto v = parse_int(std::string_view(a).substr(7), 1, 1000);
            if (!v) return err(n, "invalid parameter \"" + a + "\"");
            loc.health.passes = *v;
          } else {
            return err(n, "invalid parameter \"" + a + "\"");
          }
        }
      } else {
        if (auto e = common(n, d, hh)) return e;
      }
    }
    if (loc.health.enabled && loc.upstream.empty())
      return err(l, "health_check requires proxy_pass to an upstream");
    loc.set_headers = d.set_headers;
    loc.next_error = d.next_error;
    loc.next_timeout = d.next_timeout;
    loc.next_off = d.next_off;
    loc.next_502 = d.next_502;
    loc.next_503 = d.next_503;
    loc.next_504 = d.next_504;
    loc.next_non_idempotent = d.next_non_idempotent;
    loc.connect_timeout_ms = d.connect_timeout_ms;
    loc.read_timeout_ms = d.read_timeout_ms;
    if (!handler) loc.return_code = 404;  // berth-lb serves no files
    return std::nullopt;
  }

  Config cfg_;
  const std::string& file_;
  bool have_http_ = false;
  std::vector<int> resolve_users_;
};

}  // namespace

const Upstream* Config::find_upstream(std::string_view name) const {
  for (const auto& u : upstreams)
    if (u.name == name) return &u;
  return nullptr;
}

std::string format_ipv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

std::optional<uint32_t> parse_ipv4(std::string_view s) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t st = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - st < 3) v = v * 10 + (s[i++] - '0');
    if (i == st || v > 255) return std::nullopt;
    out = (out << 8) | v;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return out;
}

Result<Config> parse_config(std::string_view text, const std::string& file) {
  Lexer lx(text, file);
  std::vector<Node> top;
  if (auto e = lx.parse_block(top, true)) return *e;
  Interp in(file);
  if (auto e = in.run(top)) return *e;
  Config c = in.take();
  // resolve needs a resolver
  for (const auto& u : c.upstreams)
    for (const auto& s : u.servers)
      if (s.resolve && !c.resolver)
        return invalid_argument("no resolver defined to resolve " + s.host + " in " + file + ":" +
                                std::to_string(s.line));
  return c;
}

Result<Config> load_config(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return invalid_argument("open() \"" + file + "\" failed (" + std::to_string(errno) + ": " + strerror(errno) + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parse_config(ss.str(), file);
  if (!c) return c;
  for (auto& u : c->upstreams) {
    for (auto& s : u.servers) {
      if (s.resolve || parse_ipv4(s.host)) continue;
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (getaddrinfo(s.host.c_str(), nullptr, &hints, &res) != 0 || !res)
        return invalid_argument("host not found in upstream \"" + s.host + ":" + std::to_string(s.port) + "\" in " +
                                file + ":" + std::to_string(s.line));
      uint32_t a = ntohl(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr);
      freeaddrinfo(res);
      s.host = format_ipv4(a);
    }
  }
  return c;
}

}  // namespace berth::lb

// Route table and response shaping. Every reply carries dockerd's headers
// (Api-Version, Docker-Experimental, Ostype, Server); errors are
// {"message": ...} with Content-Type exactly application/json, because the
// docker CLI compares that header as a string.
#include "api/router.h"

#include <spdlog/spdlog.h>

#include "api/filters.h"
#include "api/router_detail.h"

namespace berth::api {

namespace http_ = boost::beast::http;
using http_::status;
using http_::verb;

status status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return status::bad_request;
    case ErrorKind::kForbidden: return status::forbidden;
    case ErrorKind::kNotFound: return status::not_found;
    case ErrorKind::kConflict: return status::conflict;
    case ErrorKind::kUnavailable: return status::service_unavailable;
    case ErrorKind::kInternal: return status::internal_server_error;
  }
  return status::internal_server_error;
}

namespace detail {

void common_headers(http::Response& r) {
  r.set("Api-Version", kMaxApi.str());
  r.set("Docker-Experimental", "false");
  r.set("Ostype", "linux");
  r.set(http_::field::server, "berth/0.1.0 (linux)");
}

http::Response json_response(status s, const std::string& body) {
  http::Response r{s, 11};
  common_headers(r);
  r.set(http_::field::content_type, "application/json");
  r.body() = body;
  return r;
}

http::Response error_response(const Error& e) {
  ojson j;
  j["message"] = e.message();
  return json_response(status_for(e.kind()), go_json(j));
}

http::Response empty_response(status s) {
  http::Response r{s, 11};
  common_headers(r);
  return r;
}

http::Response ping(bool head) {
  http::Response r{status::ok, 11};
  common_headers(r);
  r.set("Builder-Version", "1");
  r.set(http_::field::cache_control, "no-cache, no-store, must-revalidate");
  r.set(http_::field::pragma, "no-cache");
  r.set("Swarm", "inactive");
  r.set(http_::field::content_type, "text/plain; charset=utf-8");
  if (!head) r.body() = "OK";
  return r;
}

// moby's httputils.CheckForJSON: an empty body is fine, otherwise the type
// must be application/json.
Status check_json_content_type(const http::Request& req) {
  if (req.body().empty()) return ok_status();
  std::string ct(req[http_::field::content_type]);
  auto semi = ct.find(';');
  std::string base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base == "application/json") return ok_status();
  return invalid_argument("unsupported Content-Type header (" + ct +
                          "): must be 'application/json'");
}

}  // namespace detail

using namespace detail;

Router::Router(engine::Engine& engine, std::function<SystemFacts()> facts)
    : engine_(engine), facts_(std::move(facts)) {}

http::Reply Router::handle(http::Request& req) {
  auto p = route_path(std::string_view(req.target().data(), req.target().size()));
  http::Reply res = p.ok() ? route(req, *p) : http::Reply(error_response(p.error()));
  spdlog::debug("{} {} → {}", std::string(req.method_string()), std::string(req.target()),
                res.response.result_int());
  return res;
}

http::Reply Router::route(http::Request& req, const RoutedPath& p) {
  const verb m = req.method();
  const std::string& path = p.path;

  if (path == "/_ping" && (m == verb::get || m == verb::head)) return ping(m == verb::head);
  if (path == "/version" && m == verb::get) {
    return json_response(status::ok, go_json(version_json(facts_(), p.version)));
  }
  if (path == "/info" && m == verb::get) {
    return json_response(status::ok, go_json(info_json(facts_(), p.version)));
  }
  bool matched = false;
  http::Reply cr = containers_route(req, p, matched);
  if (matched) return cr;
  http::Reply ir = images_route(req, p, matched);
  if (matched) return ir;
  if (path == "/networks" || path == "/networks/") {
    if (m == verb::get) return networks_list(p);
  }
  if (path == "/networks/create" && m == verb::post) return network_create(req, p);
  if (path == "/networks/prune" && m == verb::post) return networks_prune(p);
  const std::string kNet = "/networks/";
  if (path.rfind(kNet, 0) == 0 && path.size() > kNet.size()) {
    std::string term = path.substr(kNet.size());
    if (term.find('/') == std::string::npos) {
      if (m == verb::get) return network_inspect(term, p);
      if (m == verb::delete_) return network_delete(term);
    }
    if (m == verb::post) {
      auto slash = term.find('/');
      const std::string action = term.substr(slash + 1);
      if (action == "connect" || action == "disconnect") {
        return network_connect(req, term.substr(0, slash), action == "connect");
      }
    }
  }
  return error_response(not_found("page not found"));
}

http::Response Router::networks_list(const RoutedPath& p) {
  auto q = parse_query(p.query);
  auto f = parse_filters(q["filters"]);
  if (!f.ok()) return error_response(f.error());
  auto all = engine_.list_networks();
  if (!all.ok()) return error_response(all.error());
  ojson out = ojson::array();
  for (const auto& n : *all) {
    auto m = network_matches(*f, n);
    if (!m.ok()) return error_response(m.error());
    if (*m) out.push_back(network_json(n, p.version));
  }
  return json_response(status::ok, go_json(out));
}

http::Response Router::network_inspect(const std::string& term, const RoutedPath& p) {
  auto q = parse_query(p.query);
  if (auto it = q.find("scope"); it != q.end() && !it->second.empty() && it->second != "local") {
    return error_response(not_found("network " + term + " not found"));
  }
  auto n = engine_.find_network(term);
  if (!n.ok()) return error_response(n.error());
  ojson j = network_json(*n, p.version);
  if (auto at = engine_.network_attachments(n->id); at.ok()) {
    ojson containers = ojson::object();
    for (const auto& a : *at) {
      ojson e;
      e["Name"] = a.container_name;
      e["EndpointID"] = a.endpoint.id;
      e["MacAddress"] = a.endpoint.mac;
      e["IPv4Address"] = a.endpoint.ip + "/" + std::to_string(a.endpoint.prefix_len);
      e["IPv6Address"] = "";
      containers[a.endpoint.container_id] = std::move(e);
    }
    j["Containers"] = std::move(containers);
  }
  return json_response(status::ok, go_json(j));
}

http::Response Router::network_create(http::Request& req, const RoutedPath& p) {
  if (auto st = check_json_content_type(req); !st.ok()) return error_response(st.error());
  // moby's ReadJSON: no body at all is an empty request, not an error.
  auto r = decode_network_create(req.body().empty() ? std::string_view("{}") : req.body());
  if (!r.ok()) return error_response(r.error());
  auto n = engine_.create_network(*r);
  if (!n.ok()) return error_response(n.error());
  ojson j;
  j["Id"] = n->id;
  j["Warning"] = "";
  (void)p;
  return json_response(status::created, go_json(j));
}

// POST /networks/{id}/connect {"Container", "EndpointConfig"} and
// /disconnect {"Container", "Force"}: 200 with an empty body, as dockerd.
http::Response Router::network_connect(http::Request& req, const std::string& term, bool connect) {
  if (auto st = check_json_content_type(req); !st.ok()) return error_response(st.error());
  ojson body = ojson::parse(req.body().empty() ? std::string("{}") : req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(invalid_argument("invalid JSON: could not decode the request body"));
  }
  std::string ctr;
  if (auto it = body.find("Container"); it != body.end() && it->is_string()) ctr = it->get<std::string>();
  if (ctr.empty()) return error_response(invalid_argument("Container cannot be empty"));
  Status st = ok_status();
  if (connect) {
    ojson ec = ojson::object();
    if (auto it = body.find("EndpointConfig"); it != body.end() && it->is_object()) ec = *it;
    st = engine_.connect_network(term, ctr, ec);
  } else {
    bool force = false;
    if (auto it = body.find("Force"); it != body.end() && it->is_boolean()) force = it->get<bool>();
    st = engine_.disconnect_network(term, ctr, force);
  }
  if (!st.ok()) return error_response(st.error());
  http::Response r{status::ok, 11};
  common_headers(r);
  r.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
  return r;
}

http::Response Router::network_delete(const std::string& term) {
  auto st = engine_.remove_network(term);
  if (!st.ok()) return error_response(st.error());
  return empty_response(status::no_content);
}

http::Response Router::networks_prune(const RoutedPath& p) {
  auto q = parse_query(p.query);
  auto f = parse_filters(q["filters"]);
  if (!f.ok()) return error_response(f.error());
  if (auto st = check_filter_keys(*f, {"label", "label!", "until"}); !st.ok()) {
    return error_response(st.error());
  }
  const int64_t now = now_nanos();
  if (auto st = check_prune_until(*f, now); !st.ok()) return error_response(st.error());
  std::optional<Error> filter_error;
  auto removed = engine_.prune_networks([&](const store::NetworkRecord& n) {
    auto m = prune_matches(*f, n, now);
    if (!m.ok()) {
      filter_error = m.error();
      return false;
    }
    return *m;
  });
  if (filter_error) return error_response(*filter_error);
  if (!removed.ok()) return error_response(removed.error());
  ojson j;
  j["NetworksDeleted"] = removed->empty() ? ojson(nullptr) : ojson(*removed);
  return json_response(status::ok, go_json(j));
}

}  // namespace berth::api

// The Docker Engine API over HTTP: routes requests to the engine and turns
// results into dockerd-shaped responses. The only place an ErrorKind becomes
// an HTTP status (status_for).
//
// Threading: handle() may run concurrently on several connections.
#pragma once

#include <functional>

#include "api/docker_json.h"
#include "engine/engine.h"
#include "http/unix_server.h"

namespace berth::api {

boost::beast::http::status status_for(ErrorKind kind);

class Router {
 public:
  Router(engine::Engine& engine, std::function<SystemFacts()> facts);

  http::Response handle(http::Request& req);

 private:
  http::Response route(http::Request& req, const RoutedPath& p);
  http::Response networks_list(const RoutedPath& p);
  http::Response network_inspect(const std::string& term, const RoutedPath& p);
  http::Response network_create(http::Request& req, const RoutedPath& p);
  http::Response network_delete(const std::string& term);
  http::Response networks_prune(const RoutedPath& p);

  engine::Engine& engine_;
  std::function<SystemFacts()> facts_;
};

}  // namespace berth::api

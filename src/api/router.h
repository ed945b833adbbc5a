// The Docker Engine API over HTTP: routes requests to the engine and turns
// results into dockerd-shaped responses. The only place an ErrorKind becomes
// an HTTP status (status_for).
//
// Threading: handle() may run concurrently on several connections.
#pragma once

#include <functional>

#include "api/container_json.h"
#include "api/docker_json.h"
#include "engine/engine.h"
#include "http/unix_server.h"

namespace berth::api {

boost::beast::http::status status_for(ErrorKind kind);

class Router {
 public:
  Router(engine::Engine& engine, std::function<SystemFacts()> facts);

  http::Reply handle(http::Request& req);

 private:
  http::Reply route(http::Request& req, const RoutedPath& p);
  http::Response networks_list(const RoutedPath& p);
  http::Response network_inspect(const std::string& term, const RoutedPath& p);
  http::Response network_create(http::Request& req, const RoutedPath& p);
  http::Response network_delete(const std::string& term);
  http::Response network_connect(http::Request& req, const std::string& term, bool connect);
  http::Response networks_prune(const RoutedPath& p);

  // Containers (router_containers.cc).
  http::Reply containers_route(http::Request& req, const RoutedPath& p, bool& matched);
  ContainerView view_of(const store::ContainerRecord& c, int64_t now);
  http::Response container_create(http::Request& req, const RoutedPath& p);
  http::Response containers_list(const RoutedPath& p);
  http::Response container_inspect(const std::string& term, const RoutedPath& p);
  http::Reply container_stop(const std::string& term, const RoutedPath& p, bool restart);
  http::Reply container_remove(const std::string& term, const RoutedPath& p);
  http::Reply container_wait(const std::string& term, const RoutedPath& p);
  http::Reply container_logs(const std::string& term, const RoutedPath& p);

  // Images (router_images.cc).
 public:
  // Where UnixServer spools an upload: the data root's images directory for
  // import and load, "" (in memory) for everything else.
  std::string spool_dir(const http::Request& head);

 private:
  http::Reply images_route(http::Request& req, const RoutedPath& p, bool& matched);
  http::Response images_list(const RoutedPath& p);
  http::Response image_inspect(const std::string& term, const RoutedPath& p);

  engine::Engine& engine_;
  std::function<SystemFacts()> facts_;
};

}  // namespace berth::api

// An HTTP/1.1 server on a unix socket (Boost.Beast over Asio coroutines):
// keep-alive, many concurrent connections, one coroutine per connection.
// Protocol logic lives in the handler; this file owns sockets only.
//
// Threading: run the io_context on any number of threads; the handler may be
// called concurrently for different connections.
#pragma once

#include <utility>  // before Asio (PITFALLS.md)

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace berth::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Produces the response to one request. Blocking is allowed but ties up an
// io_context thread; long waits (later: /wait, logs -f) need a streaming API.
using Handler = std::function<Response(Request&)>;

class UnixServer {
 public:
  UnixServer(boost::asio::io_context& io, std::string path, Handler handler);
  ~UnixServer();

  // Binds the socket (replacing a stale socket file) with mode 0660 and
  // starts accepting. Fails when the path cannot be bound.
  Status start();
  // Stops accepting and removes the socket file. Open connections end when
  // the io_context stops.
  void stop();

  const std::string& path() const { return path_; }

  struct State;  // defined in unix_server.cc

 private:
  std::shared_ptr<State> state_;
  std::string path_;
};

}  // namespace berth::http

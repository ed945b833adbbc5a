// An HTTP/1.1 server on a unix socket (Boost.Beast over Asio coroutines):
// keep-alive, many concurrent connections, one coroutine per connection.
// Protocol logic lives in the handler; this file owns sockets only.
//
// Threading: run the io_context on any number of threads; the handler may be
// called concurrently for different connections.
#pragma once

#include <utility>  // before Asio (PITFALLS.md)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace berth::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Writes the body of a streamed (chunked) response. Runs on the
// connection's strand.
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  // Sends one chunk; false once the client is gone.
  virtual boost::asio::awaitable<bool> write(std::string data) = 0;
};

// The answer to one request: a whole response, or headers flushed at once
// followed by a body that `stream` produces (Transfer-Encoding: chunked) —
// what /wait and logs -f need — or a connection taken over after a "101
// UPGRADED" (attach, exec; `hijack` owns the socket and any bytes already
// read from it).
struct Reply {
  Reply() = default;
  Reply(Response r) : response(std::move(r)) {}  // NOLINT: implicit by design
  Response response;
  // When set, the response is whatever this coroutine returns (stop, rm -f:
  // answered after the container ended, without blocking a thread).
  std::function<boost::asio::awaitable<Response>()> deferred;
  std::function<boost::asio::awaitable<void>(ChunkWriter&)> stream;
  std::function<boost::asio::awaitable<void>(boost::asio::local::stream_protocol::socket&,
                                             boost::beast::flat_buffer&)>
      hijack;
};

// Produces the reply to one request. It runs on an io_context thread and
// should not block for long: waiting belongs in `stream`.
using Handler = std::function<Reply(Request&)>;

// Decides, from a request's head, where a large upload goes: a directory to
// spool the body into (a temporary file there, named in the request's
// kBodyFileHeader field, removed once the reply is written), or "" to read
// it into memory (up to 64 MiB). For image archives, which can be larger.
using BodySpool = std::function<std::string(const Request& head)>;
inline constexpr const char* kBodyFileHeader = "X-Berth-Body-File";

class UnixServer {
 public:
  UnixServer(boost::asio::io_context& io, std::string path, Handler handler,
             BodySpool spool = {});
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

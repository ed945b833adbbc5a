// Accept loop and per-connection coroutine of UnixServer.
#include "http/unix_server.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/file_body.hpp>
#include <spdlog/spdlog.h>

namespace berth::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using stream = asio::local::stream_protocol;

struct UnixServer::State {
  explicit State(asio::io_context& io, Handler h, BodySpool sp)
      : acceptor(io), handler(std::move(h)), spool(std::move(sp)) {}
  stream::acceptor acceptor;
  Handler handler;
  BodySpool spool;
};

namespace {

class SocketChunkWriter : public ChunkWriter {
 public:
  explicit SocketChunkWriter(stream::socket& s) : sock_(s) {}
  asio::awaitable<bool> write(std::string data) override {
    if (data.empty() || broken_) co_return !broken_;
    boost::system::error_code ec;
    co_await asio::async_write(sock_, beast::http::make_chunk(asio::buffer(data)),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) broken_ = true;
    co_return !broken_;
  }
  bool broken() const { return broken_; }

 private:
  stream::socket& sock_;
  bool broken_ = false;
};

// Bodies read into memory (JSON requests); uploads go to a file instead.
constexpr std::uint64_t kMemoryBodyLimit = 64 * 1024 * 1024;

asio::awaitable<void> serve(stream::socket sock, std::shared_ptr<UnixServer::State> st) {
  beast::flat_buffer buf;
  for (;;) {
    boost::system::error_code ec;
    beast::http::request_parser<beast::http::empty_body> head_parser;
    // The limit is checked against Content-Length when the head is parsed:
    // the real one depends on where the body goes (decided below).
    head_parser.body_limit(std::uint64_t{1} << 40);
    co_await beast::http::async_read_header(sock, buf, head_parser,
                                            asio::redirect_error(asio::use_awaitable, ec));
    Request req;
    std::string spool_file;
    if (!ec) {
      head_parser.get().erase(kBodyFileHeader);  // only the server sets it
      if (head_parser.get()[beast::http::field::expect] == "100-continue") {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(kContinue, sizeof kContinue - 1),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    std::string spool_dir;
    if (!ec && st->spool) {
      Request head_only{head_parser.get().base()};
      spool_dir = st->spool(head_only);
    }
    if (!ec && !spool_dir.empty()) {
      // A large upload goes to a file, never into memory.
      char tmpl[] = "/upload-XXXXXX";
      spool_file = spool_dir + tmpl;
      std::vector<char> path(spool_file.begin(), spool_file.end());
      path.push_back('\0');
      const int fd = ::mkstemp(path.data());
      if (fd >= 0) ::close(fd);
      spool_file = path.data();
      beast::http::request_parser<beast::http::file_body> fparser{std::move(head_parser)};
      fparser.body_limit(std::uint64_t{1} << 40);
      fparser.get().body().open(spool_file.c_str(), beast::file_mode::write, ec);
      if (!ec) {
        co_await beast::http::async_read(sock, buf, fparser,
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec) {
        fparser.get().body().close();
        req = Request{fparser.get().base()};
        req.set(kBodyFileHeader, spool_file);
      }
    } else if (!ec && head_parser.content_length() &&
               *head_parser.content_length() > kMemoryBodyLimit) {
      ec = beast::http::error::body_limit;
    } else if (!ec) {
      beast::http::request_parser<beast::http::string_body> parser{std::move(head_parser)};
      parser.body_limit(kMemoryBodyLimit);
      co_await beast::http::async_read(sock, buf, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) req = parser.release();
    }
    // Removes the spooled body when this request is done, however it ends.
    struct Unlink {
      std::string path;
      void now() {
        if (!path.empty()) ::unlink(path.c_str());
        path.clear();
      }
      ~Unlink() { now(); }
    } unlink_spool{spool_file};
    if (ec) {
      if (ec != beast::http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        // A malformed request gets a 400 before the connection closes.
        Response r{beast::http::status::bad_request, 11};
        r.set(beast::http::field::content_type, "application/json");
        r.body() = "{\"message\":\"malformed HTTP request: " + ec.message() + "\"}\n";
        r.prepare_payload();
        r.keep_alive(false);
        co_await beast::http::async_write(sock, r, asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;
    }
    Reply reply;
    try {
      reply = st->handler(req);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} threw: {}", std::string(req.method_string()),
                    std::string(req.target()), e.what());
      reply = Reply{};
      reply.response = Response{beast::http::status::internal_server_error, req.version()};
      reply.response.set(beast::http::field::content_type, "application/json");
      reply.response.body() = "{\"message\":\"internal error\"}\n";
    }
    if (reply.deferred) {
      try {
        reply.response = co_await reply.deferred();
      } catch (const std::exception& e) {
        spdlog::error("deferred reply for {} threw: {}", std::string(req.target()), e.what());
        reply.response = Response{beast::http::status::internal_server_error, req.version()};
        reply.response.set(beast::http::field::content_type, "application/json");
        reply.response.body() = "{\"message\":\"internal error\"}\n";
      }
    }
    // The upload is gone before the client hears the answer (a streamed
    // reply still reads it: dropped when the stream ends).
    if (!reply.stream) unlink_spool.now();
    Response& res = reply.response;
    if (reply.hijack) {
      // The 101 is written raw; from then on the socket belongs to hijack.
      std::string head = "HTTP/1.1 101 UPGRADED\r\n";
      for (const auto& f : res) {
        head += std::string(f.name_string()) + ": " + std::string(f.value()) + "\r\n";
      }
      head += "\r\n";
      co_await asio::async_write(sock, asio::buffer(head),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      co_await reply.hijack(sock, buf);
      co_return;
    }
    if (reply.stream) {
      // Headers go out at once (the docker CLI waits for them before it
      // sends /start), then the chunks.
      beast::http::response<beast::http::empty_body> head{res.result(), req.version()};
      for (const auto& f : res) head.set(f.name_string(), f.value());
      head.chunked(true);
      head.keep_alive(false);
      beast::http::response_serializer<beast::http::empty_body> hs{head};
      co_await beast::http::async_write_header(sock, hs,
                                               asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      SocketChunkWriter w(sock);
      try {
        co_await reply.stream(w);
        unlink_spool.now();
      } catch (const std::exception& e) {
        spdlog::error("stream for {} threw: {}", std::string(req.target()), e.what());
      }
      if (!w.broken()) {
        co_await asio::async_write(sock, beast::http::make_chunk_last(),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;  // a streamed response ends the connection
    }
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (req.method() != beast::http::verb::head) {
      res.prepare_payload();
    } else if (!res.has_content_length()) {
      res.content_length(0);
    }
    const bool close = !res.keep_alive();
    beast::http::serializer<false, beast::http::string_body> sr{res};
    if (req.method() == beast::http::verb::head) sr.split(true);
    if (req.method() == beast::http::verb::head) {
      co_await beast::http::async_write_header(sock, sr,
                                               asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await beast::http::async_write(sock, sr, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || close) co_return;
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<UnixServer::State> st) {
  for (;;) {
    boost::system::error_code ec;
    stream::socket sock = co_await st->acceptor.async_accept(
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    // Each connection runs on a strand, so events posted to it from other
    // threads (a container exited) never race with its own handlers.
    auto strand = asio::make_strand(st->acceptor.get_executor());
    asio::co_spawn(strand, serve(std::move(sock), st), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection: {}", ex.what());
      }
    });
  }
}

}  // namespace

UnixServer::UnixServer(asio::io_context& io, std::string path, Handler handler, BodySpool spool)
    : state_(std::make_shared<State>(io, std::move(handler), std::move(spool))),
      path_(std::move(path)) {}

UnixServer::~UnixServer() { stop(); }

Status UnixServer::start() {
  ::unlink(path_.c_str());
  boost::system::error_code ec;
  stream::endpoint ep(path_);
  state_->acceptor.open(ep.protocol(), ec);
  if (!ec) state_->acceptor.bind(ep, ec);
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("listen on unix://" + path_ + ": " + ec.message());
  ::chmod(path_.c_str(), 0660);
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("accept loop: {}", ex.what());
    }
  });
  return ok_status();
}

void UnixServer::stop() {
  if (state_->acceptor.is_open()) {
    boost::system::error_code ec;
    state_->acceptor.close(ec);
    ::unlink(path_.c_str());
  }
}

}  // namespace berth::http

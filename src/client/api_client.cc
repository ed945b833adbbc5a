// Synchronous Beast client over a unix socket. One connection is kept open
// across requests (the daemon serves keep-alive); when the daemon closed it
// between two requests, the request is retried once on a new connection.
#include "client/api_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>  // before Asio: g++ 12 needs std::exchange in awaitable.hpp

#include "common/go_json.h"

namespace berth::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using ojson = nlohmann::ordered_json;

constexpr std::string_view kUnixScheme = "unix://";
// Responses larger than this are refused (an inspect of a big network is a
// few hundred KiB).
constexpr std::uint64_t kMaxBody = 256ull << 20;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string trim_space(std::string_view s) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// The URL as Go prints it in errors: the socket path is the host, escaped.
std::string go_request_url(const Endpoint& ep, std::string_view target) {
  std::string host;
  for (char c : ep.socket_path) {
    if (c == '/') {
      host += "%2F";
    } else {
      host += c;
    }
  }
  return "http://" + host + std::string(target);
}

}  // namespace

std::string resolve_host(std::string_view flag, std::string_view berth_host_env,
                         std::string_view docker_host_env) {
  if (!flag.empty()) return std::string(flag);
  if (!berth_host_env.empty()) return std::string(berth_host_env);
  if (!docker_host_env.empty()) return std::string(docker_host_env);
  return std::string(kDefaultHost);
}

Result<Endpoint> parse_host(std::string_view host) {
  std::string trimmed = trim_space(host);
  std::string_view h = trimmed;
  std::string path;
  if (h.substr(0, kUnixScheme.size()) == kUnixScheme) {
    path = std::string(h.substr(kUnixScheme.size()));
  } else if (!h.empty() && h.front() == '/') {
    path = std::string(h);
  } else {
    return invalid_argument("unable to resolve berth endpoint: invalid bind address format: " +
                            std::string(host));
  }
  if (path.empty() || path.front() != '/') {
    return invalid_argument("unable to resolve berth endpoint: invalid bind address format: " +
                            std::string(host));
  }
  return Endpoint{"unix://" + path, path};
}

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string status_text(unsigned status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return {};
  }
}

std::string error_message(const Response& r, std::string_view request_url) {
  if (r.body.empty()) {
    return "request returned " + std::to_string(r.status) + " " + status_text(r.status) +
           " for API route and version " + std::string(request_url) +
           ", check if the server supports the requested API version";
  }
  std::string message;
  // The content type is compared as a whole string, as the Go client does:
  // "application/json; charset=utf-8" prints the raw body.
  if (r.header("Content-Type") == "application/json") {
    ojson j = ojson::parse(r.body, nullptr, false);
    if (j.is_discarded()) {
      return "Error reading JSON: invalid character in error response";
    }
    if (j.is_object() && j.contains("message") && j["message"].is_string()) {
      message = trim_space(j["message"].get<std::string>());
    }
    if (message.empty()) {
      message = "API returned a " + std::to_string(r.status) + " (" + status_text(r.status) +
                ") but provided no error-message";
    }
  } else {
    message = trim_space(r.body);
  }
  return "Error response from daemon: " + message;
}

ErrorKind kind_for_status(unsigned status) {
  switch (status) {
    case 400:
      return ErrorKind::kInvalidArgument;
    case 401:
    case 403:
      return ErrorKind::kForbidden;
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    case 503:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& s) {
      long n = 0;
      size_t i = 0;
      while (i < s.size() && s[i] != '.') {
        if (s[i] >= '0' && s[i] <= '9') n = n * 10 + (s[i] - '0');
        ++i;
      }
      s.remove_prefix(i < s.size() ? i + 1 : i);
      return n;
    };
    long x = take(a), y = take(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string negotiate_version(std::string_view server_version) {
  if (server_version.empty()) return std::string(kFallbackApiVersion);
  if (compare_versions(server_version, kMaxApiVersion) < 0) return std::string(server_version);
  return std::string(kMaxApiVersion);
}

std::string path_escape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        std::string_view("-_.~$&+,/:;=@").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string query_escape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct ApiClient::Connection {
  asio::io_context io;
  asio::local::stream_protocol::socket socket{io};
  beast::flat_buffer buffer;
  bool open = false;
};

ApiClient::ApiClient(Endpoint endpoint, std::string version_override)
    : endpoint_(std::move(endpoint)),
      version_override_(std::move(version_override)),
      conn_(std::make_unique<Connection>()) {}

ApiClient::~ApiClient() = default;

Error ApiClient::connect_error(int err) const {
  if (err == EACCES || err == EPERM) {
    return unavailable("permission denied while trying to connect to the berth daemon socket at " +
                       endpoint_.url + ": dial unix " + endpoint_.socket_path +
                       ": connect: permission denied");
  }
  return unavailable("Cannot connect to the berth daemon at " + endpoint_.url +
                     ". Is the berth daemon running?");
}

Result<Response> ApiClient::roundtrip(std::string_view method, const std::string& target,
                                      const std::optional<std::string>& json_body) {
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) return invalid_argument("unknown method " + std::string(method));

  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "api.moby.localhost");
  req.set(http::field::user_agent, std::string(kUserAgent));
  if (json_body) {
    req.set(http::field::content_type, "application/json");
    req.body() = *json_body;
    req.content_length(req.body().size());
  } else if (verb == http::verb::post || verb == http::verb::put) {
    req.content_length(0);
  }

  // A kept-alive connection the daemon closed in the meantime fails on the
  // write or on the first read; such a request is sent once more on a
  // fresh connection. A fresh connection that fails is an error.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = conn_->open;
    if (!conn_->open) {
      boost::system::error_code ec;
      conn_->socket = asio::local::stream_protocol::socket(conn_->io);
      conn_->buffer.clear();
      conn_->socket.connect(asio::local::stream_protocol::endpoint(endpoint_.socket_path), ec);
      if (ec) return connect_error(ec.value());
      conn_->open = true;
    }
    boost::system::error_code ec;
    http::write(conn_->socket, req, ec);
    if (ec) {
      conn_->open = false;
      if (reused) continue;
      return unavailable("error during connect: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    if (verb == http::verb::head) parser.skip(true);
    http::read(conn_->socket, conn_->buffer, parser, ec);
    if (ec) {
      conn_->open = false;
      boost::system::error_code ignored;
      conn_->socket.close(ignored);
      if (reused && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                     ec == asio::error::connection_reset || ec == asio::error::broken_pipe)) {
        continue;
      }
      return unavailable("error reading response from the berth daemon at " + endpoint_.url + ": " +
                         ec.message());
    }
    auto msg = parser.release();
    Response r;
    r.status = msg.result_int();
    r.reason = std::string(msg.reason());
    for (const auto& f : msg) {
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.body = std::move(msg.body());
    if (!msg.keep_alive()) {
      conn_->open = false;
      boost::system::error_code ignored;
      conn_->socket.close(ignored);
    }
    return r;
  }
  return connect_error(ECONNREFUSED);
}

Result<std::string> ApiClient::api_version() {
  if (!version_.empty()) return version_;
  auto ping = roundtrip("HEAD", "/_ping", std::nullopt);
  if (!ping.ok()) return ping.error();
  if (ping->status != 200 && ping->status != 500) {
    ping = roundtrip("GET", "/_ping", std::nullopt);
    if (!ping.ok()) return ping.error();
    if (ping->status >= 400) {
      return Error(kind_for_status(ping->status),
                   error_message(*ping, go_request_url(endpoint_, "/_ping")));
    }
  }
  version_ = version_override_.empty() ? negotiate_version(ping->header("Api-Version"))
                                       : version_override_;
  return version_;
}

// "/v<negotiated version><path>[?query]".
Result<std::string> ApiClient::target_of(std::string_view path, std::string_view query) {
  auto version = api_version();
  if (!version.ok()) return version.error();
  std::string target = "/v" + *version + std::string(path);
  if (!query.empty()) target += "?" + std::string(query);
  return target;
}

Result<Response> ApiClient::versioned(std::string_view method, std::string_view path,
                                      std::string_view query, const ojson* body) {
  auto versioned_target = target_of(path, query);
  if (!versioned_target.ok()) return versioned_target.error();
  const std::string& target = *versioned_target;
  std::optional<std::string> payload;
  if (body != nullptr) payload = go_json(*body);
  auto r = roundtrip(method, target, payload);
  if (!r.ok()) return r.error();
  if (r->status >= 400) {
    return Error(kind_for_status(r->status), error_message(*r, go_request_url(endpoint_, target)));
  }
  return r;
}

Result<Response> ApiClient::get(std::string_view path, std::string_view query) {
  return versioned("GET", path, query, nullptr);
}

Result<Response> ApiClient::post(std::string_view path, std::string_view query, const ojson* body) {
  return versioned("POST", path, query, body);
}

Result<Response> ApiClient::del(std::string_view path, std::string_view query) {
  return versioned("DELETE", path, query, nullptr);
}

// ------------------------------------------------------------- streams --

struct ResponseStream::Impl {
  asio::io_context io;
  asio::local::stream_protocol::socket socket{io};
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  std::string url;  // for messages
};

ResponseStream::ResponseStream() : impl_(std::make_unique<Impl>()) {}

ResponseStream::~ResponseStream() {
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
}

std::string ResponseStream::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (iequals(k, name)) return v;
  }
  return {};
}

Result<bool> ResponseStream::next(std::string* out) {
  auto& p = impl_->parser;
  while (!p.is_done()) {
    char chunk[16384];
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    boost::system::error_code ec;
    http::read_some(impl_->socket, impl_->buffer, p, ec);
    if (ec == http::error::need_buffer) ec = {};
    size_t n = sizeof chunk - p.get().body().size;
    out->append(chunk, n);
    if (ec == http::error::end_of_stream || ec == asio::error::eof) {
      // A body delimited by the end of the connection.
      return n > 0;
    }
    if (ec) {
      return unavailable("error reading response from the berth daemon at " + impl_->url + ": " +
                         ec.message());
    }
    if (n > 0) return true;
  }
  return false;
}

Result<std::string> ResponseStream::rest() {
  std::string all;
  for (;;) {
    auto more = next(&all);
    if (!more.ok()) return more.error();
    if (!*more) return all;
  }
}

Result<std::unique_ptr<ResponseStream>> ApiClient::read_stream_head(
    std::unique_ptr<ResponseStream> s, const std::string& target) {
  ResponseStream::Impl& impl = *s->impl_;
  boost::system::error_code ec;
  // No limit: a log stream may be long. (Boost 1.74 compares the length
  // with an empty optional as "greater", so none cannot be used here.)
  impl.parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(impl.socket, impl.buffer, impl.parser, ec);
  if (ec) {
    return unavailable("error reading response from the berth daemon at " + endpoint_.url + ": " +
                       ec.message());
  }
  const auto& msg = impl.parser.get();
  s->status_ = msg.result_int();
  for (const auto& f : msg) {
    s->headers_.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  if (s->status_ >= 400) {
    Response r;
    r.status = s->status_;
    r.reason = std::string(msg.reason());
    r.headers = s->headers_;
    auto text = s->rest();
    if (!text.ok()) return text.error();
    r.body = std::move(*text);
    return Error(kind_for_status(r.status), error_message(r, go_request_url(endpoint_, target)));
  }
  return s;
}

// A new stream connected to the daemon's socket.
Result<std::unique_ptr<ResponseStream>> ApiClient::open_stream() {
  std::unique_ptr<ResponseStream> s(new ResponseStream());
  s->impl_->url = endpoint_.url;
  boost::system::error_code ec;
  s->impl_->socket.connect(asio::local::stream_protocol::endpoint(endpoint_.socket_path), ec);
  if (ec) return connect_error(ec.value());
  return s;
}

Result<std::unique_ptr<ResponseStream>> ApiClient::stream(std::string_view method,
                                                          std::string_view path,
                                                          std::string_view query, const ojson* body,
                                                          const Headers& extra_headers) {
  auto versioned_target = target_of(path, query);
  if (!versioned_target.ok()) return versioned_target.error();
  const std::string& target = *versioned_target;
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) return invalid_argument("unknown method " + std::string(method));

  auto opened = open_stream();
  if (!opened.ok()) return opened.error();
  std::unique_ptr<ResponseStream> s = std::move(*opened);
  ResponseStream::Impl& impl = *s->impl_;
  boost::system::error_code ec;

  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "api.moby.localhost");
  req.set(http::field::user_agent, std::string(kUserAgent));
  for (const auto& [k, v] : extra_headers) req.set(k, v);
  if (body != nullptr) {
    req.set(http::field::content_type, "application/json");
    req.body() = go_json(*body);
    req.content_length(req.body().size());
  } else if (verb == http::verb::post || verb == http::verb::put) {
    req.content_length(0);
  }
  http::write(impl.socket, req, ec);
  if (ec) return unavailable("error during connect: " + ec.message());
  return read_stream_head(std::move(s), target);
}

Result<std::unique_ptr<ResponseStream>> ApiClient::upload(std::string_view path,
                                                          std::string_view query, int fd,
                                                          std::string_view content_type,
                                                          const std::function<void(uint64_t)>& progress) {
  auto versioned_target = target_of(path, query);
  if (!versioned_target.ok()) return versioned_target.error();
  const std::string& target = *versioned_target;
  auto opened = open_stream();
  if (!opened.ok()) return opened.error();
  std::unique_ptr<ResponseStream> s = std::move(*opened);
  ResponseStream::Impl& impl = *s->impl_;
  boost::system::error_code ec;
  std::string head = "POST " + target + " HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: " +
                     std::string(kUserAgent) + "\r\nContent-Type: " + std::string(content_type) +
                     "\r\nTransfer-Encoding: chunked\r\n\r\n";
  asio::write(impl.socket, asio::buffer(head), ec);
  if (ec) return unavailable("error during connect: " + ec.message());
  std::vector<char> buf(1 << 20);
  uint64_t sent = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable(std::string("read the archive: ") + std::strerror(errno));
    if (n == 0) break;
    char size_line[32];
    const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", static_cast<size_t>(n));
    std::array<asio::const_buffer, 3> parts = {asio::buffer(size_line, static_cast<size_t>(len)),
                                               asio::buffer(buf.data(), static_cast<size_t>(n)),
                                               asio::buffer("\r\n", 2)};
    asio::write(impl.socket, parts, ec);
    if (ec) return unavailable("error during upload: " + ec.message());
    sent += static_cast<uint64_t>(n);
    if (progress) progress(sent);
  }
  asio::write(impl.socket, asio::buffer("0\r\n\r\n", 5), ec);
  if (ec) return unavailable("error during upload: " + ec.message());
  return read_stream_head(std::move(s), target);
}

// --------------------------------------------------------------- hijack --

HijackedConnection::HijackedConnection(int fd, std::string buffered, std::string content_type)
    : fd_(fd), buffered_(std::move(buffered)), content_type_(std::move(content_type)) {}

HijackedConnection::~HijackedConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> HijackedConnection::read(char* buf, size_t n) {
  if (!buffered_.empty()) {
    size_t k = std::min(n, buffered_.size());
    std::memcpy(buf, buffered_.data(), k);
    buffered_.erase(0, k);
    return k;
  }
  for (;;) {
    ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EBADF) return size_t{0};
    return unavailable(std::string("error reading from the container: ") + std::strerror(errno));
  }
}

Status HijackedConnection::write_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return unavailable(std::string("error writing to the container: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return ok_status();
}

void HijackedConnection::close_write() { ::shutdown(fd_, SHUT_WR); }

void HijackedConnection::close() { ::shutdown(fd_, SHUT_RDWR); }

Result<std::unique_ptr<HijackedConnection>> ApiClient::hijack(std::string_view path,
                                                              std::string_view query) {
  auto versioned_target = target_of(path, query);
  if (!versioned_target.ok()) return versioned_target.error();
  const std::string& target = *versioned_target;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return connect_error(errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, endpoint_.socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return connect_error(err);
  }
  // The headers docker's client sends (client/hijack.go).
  std::string req = "POST " + target + " HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: " +
                    std::string(kUserAgent) +
                    "\r\nContent-Length: 0\r\nConnection: Upgrade\r\nContent-Type: "
                    "text/plain\r\nUpgrade: tcp\r\n\r\n";
  // Owns fd until the connection object takes it.
  HijackedConnection handshake(fd, "", "");
  BERTH_TRY(handshake.write_all(req));
  std::string head;
  char buf[4096];
  size_t end;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    auto n = handshake.read(buf, sizeof buf);
    if (!n.ok()) return n.error();
    if (*n == 0) {
      return unavailable("error reading response from the berth daemon at " + endpoint_.url +
                         ": unexpected EOF");
    }
    head.append(buf, *n);
    if (head.size() > 65536) return unavailable("response head too large");
  }
  std::string rest = head.substr(end + 4);
  head.resize(end);
  unsigned status = 0;
  size_t sp = head.find(' ');
  if (sp != std::string::npos) status = static_cast<unsigned>(std::atoi(head.c_str() + sp + 1));
  if (status != 101) {
    return Error(kind_for_status(status),
                 "unable to upgrade to tcp, received " + std::to_string(status));
  }
  std::string content_type;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t nl = head.find("\r\n", pos);
    std::string line = head.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? head.size() : nl + 2;
    size_t colon = line.find(':');
    if (colon != std::string::npos && iequals(line.substr(0, colon), "Content-Type")) {
      content_type = trim_space(line.substr(colon + 1));
    }
  }
  // The bytes that followed the head are the start of the stream.
  return std::make_unique<HijackedConnection>(handshake.release(), std::move(rest), content_type);
}

}  // namespace berth::client

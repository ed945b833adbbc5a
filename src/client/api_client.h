// berth's client of the Docker Engine API: HTTP/1.1 over a unix socket, the
// way the docker CLI's Go client speaks it (docker-api.md §1, §2, §4). One
// HEAD /_ping negotiates the API version, later requests go to
// /v<version>/...; a status >= 400 becomes an Error carrying the text the
// docker CLI would print ("Error response from daemon: ...").
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth::client {

inline constexpr std::string_view kDefaultHost = "unix:///run/berth/berth.sock";
// The newest API version berth speaks; the server may lower it.
inline constexpr std::string_view kMaxApiVersion = "1.50";
// What the Go client assumes when /_ping carries no Api-Version header.
inline constexpr std::string_view kFallbackApiVersion = "1.24";
inline constexpr std::string_view kUserAgent = "berth/0.1";

// Which daemon to talk to: the -H/--host flag, else $BERTH_HOST, else
// $DOCKER_HOST, else kDefaultHost. Empty strings count as unset. Pure.
std::string resolve_host(std::string_view flag, std::string_view berth_host_env,
                         std::string_view docker_host_env);

struct Endpoint {
  std::string url;          // as the user wrote it, normalised: unix:///run/berth/berth.sock
  std::string socket_path;  // /run/berth/berth.sock
};

// Accepts unix:///abs/path and a bare absolute path. Anything else is an
// InvalidArgument error whose message names the host.
Result<Endpoint> parse_host(std::string_view host);

struct Response {
  unsigned status = 0;
  std::string reason;  // "Not Found", as Go's http.StatusText
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Value of the first header with that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Go's http.StatusText for the codes the daemon uses ("" when unknown).
std::string status_text(unsigned status);

// The error text docker's client builds for a failed response
// (client/request.go checkResponseErr): the JSON "message" when the
// Content-Type is exactly application/json, else the raw body, prefixed
// with "Error response from daemon: "; an empty body gives
// "request returned <status> for API route and version <url>, ...".
// `request_url` is the URL as Go would print it
// (http://%2Frun%2Fberth%2Fberth.sock/v1.50/networks/create).
std::string error_message(const Response& r, std::string_view request_url);

// errdefs class of a status code, as berth's ErrorKind.
ErrorKind kind_for_status(unsigned status);

// min(kMaxApiVersion, server); a missing header means kFallbackApiVersion.
std::string negotiate_version(std::string_view server_version);

// Compares dotted API versions numerically: -1, 0, 1.
int compare_versions(std::string_view a, std::string_view b);

// Go's URL path escaping (url.URL.EscapedPath): letters, digits and
// -_.~$&+,/:;=@ stay, the rest is %XX. For names put into a path.
std::string path_escape(std::string_view s);

// Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] is %XX, space is '+'.
std::string query_escape(std::string_view s);

using Headers = std::vector<std::pair<std::string, std::string>>;

// A response whose body is read as it arrives (logs -f, wait, pull): the
// status line and headers are read when it is opened, the body piece by
// piece. It owns a connection of its own, closed when it is destroyed,
// which is how `run -d` drops its pending /wait, as the docker CLI does.
class ResponseStream {
 public:
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  unsigned status() const { return status_; }
  const Headers& headers() const { return headers_; }
  // Value of the first header with that name (case-insensitive), or "".
  std::string header(std::string_view name) const;

  // Appends the next piece of the body to *out. Returns false once the
  // body has ended (chunked end, Content-Length reached or EOF); blocks
  // until data arrives otherwise.
  Result<bool> next(std::string* out);
  // The rest of the body.
  Result<std::string> rest();

  struct Impl;

 private:
  friend class ApiClient;
  ResponseStream();
  unsigned status_ = 0;
  Headers headers_;
  std::unique_ptr<Impl> impl_;
};

// A connection the daemon took over after "101 UPGRADED" (attach): a raw
// byte pipe, the container's stdin one way and its output the other. One
// thread may read while another writes.
class HijackedConnection {
 public:
  HijackedConnection(int fd, std::string buffered, std::string content_type);
  ~HijackedConnection();
  HijackedConnection(const HijackedConnection&) = delete;
  HijackedConnection& operator=(const HijackedConnection&) = delete;

  int fd() const { return fd_; }
  // The reply's Content-Type (raw-stream or multiplexed-stream).
  const std::string& content_type() const { return content_type_; }
  // Reads output; 0 at the end of the stream. Bytes that came with the
  // reply head are returned first.
  Result<size_t> read(char* buf, size_t n);
  Status write_all(std::string_view data);
  // Half-close: the daemon sees the end of stdin.
  void close_write();
  // Closes both directions (detach); read() then returns 0.
  void close();
  // Gives up the descriptor (which is then not closed here).
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
  std::string buffered_;
  std::string content_type_;
};

// A synchronous client holding at most one keep-alive connection. Not
// thread-safe; one per CLI process.
class ApiClient {
 public:
  // `version_override` pins the API version (DOCKER_API_VERSION); the ping
  // is still sent, as the Go client does.
  explicit ApiClient(Endpoint endpoint, std::string version_override = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  // Pings once (HEAD /_ping, then GET /_ping if HEAD got neither 200 nor
  // 500) and returns the negotiated version. A connection failure is an
  // Unavailable error: "Cannot connect to the berth daemon at unix:///...
  // Is the berth daemon running?".
  Result<std::string> api_version();

  // Requests /v<version><path>[?query]. `query` is already encoded. A
  // status >= 400 becomes an Error (kind from the status, message as
  // error_message()); 1xx-3xx are returned as they are.
  Result<Response> get(std::string_view path, std::string_view query = {});
  Result<Response> post(std::string_view path, std::string_view query = {},
                        const nlohmann::ordered_json* body = nullptr);
  Result<Response> del(std::string_view path, std::string_view query = {});

  // Sends a versioned request on a new connection and returns once the
  // response headers have arrived. A status >= 400 becomes an Error (the
  // body is read for its message), as get() does.
  // POST with "Connection: Upgrade" / "Upgrade: tcp" on a new connection,
  // as docker's attach does; anything but 101 is an Error reading "unable
  // to upgrade to tcp, received <status>" (kind from the status).
  Result<std::unique_ptr<HijackedConnection>> hijack(std::string_view path, std::string_view query);

  Result<std::unique_ptr<ResponseStream>> stream(std::string_view method, std::string_view path,
                                                 std::string_view query = {},
                                                 const nlohmann::ordered_json* body = nullptr,
                                                 const Headers& extra_headers = {});

  // POST whose body is read from `fd` (a file or stdin) and sent with
  // Transfer-Encoding: chunked, as the docker CLI uploads `import` and
  // `load` archives; `progress(bytes_sent)` is called after each chunk.
  // Returns once the response headers arrived (errors as stream()).
  Result<std::unique_ptr<ResponseStream>> upload(std::string_view path, std::string_view query,
                                                 int fd, std::string_view content_type,
                                                 const std::function<void(uint64_t)>& progress = {});

  // One exchange without version prefix or error conversion. `json_body`
  // is sent with Content-Type application/json when set.
  Result<Response> roundtrip(std::string_view method, const std::string& target,
                             const std::optional<std::string>& json_body);

 private:
  Result<Response> versioned(std::string_view method, std::string_view path, std::string_view query,
                             const nlohmann::ordered_json* body);
  Error connect_error(int err) const;
  Result<std::string> target_of(std::string_view path, std::string_view query);
  Result<std::unique_ptr<ResponseStream>> open_stream();
  // After the request went out: reads the response head into `s`; an error
  // status becomes an Error with the daemon's message.
  Result<std::unique_ptr<ResponseStream>> read_stream_head(std::unique_ptr<ResponseStream> s,
                                                           const std::string& target);

  struct Connection;
  Endpoint endpoint_;
  std::string version_override_;
  std::string version_;  // negotiated; empty until the first ping
  std::unique_ptr<Connection> conn_;
};

}  // namespace berth::client

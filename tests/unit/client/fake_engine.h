// A stand-in Docker engine for client tests: HTTP/1.1 on a unix socket in
// a temporary directory, answering the network, container, version and
// info endpoints with canned dockerd-shaped JSON, and recording every
// request. Both berth's client and the stock docker CLI can be pointed at
// it. Containers (see container_inspect_json and answer()): "web" (running,
// published ports, multiplexed logs), "ttyc" (a TTY, raw logs), "ok1",
// "stopped", "running", "errw"; images for create: "missing:1.0",
// "missing2", "streampull" (pull refused three ways), "warn", "nocmd",
// "exit3" (exits with 3), "startfail", "notfound127", "perm126", "nonet".
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;
};

struct FakeReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Streamed replies: the headers go out at once, then each chunk of a
  // chunked body (after `delay_ms`, then 20 ms apart), as dockerd streams
  // /wait, logs and pulls.
  bool chunked = false;
  std::vector<std::string> chunks;
  int delay_ms = 0;
  // A hijacked reply (attach): "101 UPGRADED", then `body` raw, then close.
  bool upgrade = false;
};

class FakeEngine {
 public:
  // Starts listening on <tmpdir>/engine.sock. `api_version` is sent in the
  // Api-Version header ("" = no header).
  explicit FakeEngine(std::string api_version = "1.50");
  ~FakeEngine();
  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  std::string host() const { return "unix://" + socket_path_; }
  const std::string& dir() const { return dir_; }

  // Replaces the answer for "METHOD /path" (path without the version prefix
  // and query), e.g. "GET /info".
  void set_reply(const std::string& method_and_path, FakeReply reply);
  // Answers HEAD /_ping with this status (default 200).
  void set_head_ping_status(unsigned status);

  std::vector<RecordedRequest> requests() const;
  void clear_requests();

  // The canned data.
  static std::string networks_json();
  static std::string version_json();
  static std::string info_json();
  // Container inspect of "web" (id 3f4e5d6c7b8a…).
  static std::string container_inspect_json();
  // The container list; Created times are relative to the engine's start.
  std::string containers_json() const;
  // The ID create returns for ordinary images.
  static constexpr const char* kCreatedId =
      "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999";
  // 8-byte framed multiplexed stream data.
  static std::string frame(int stream, const std::string& payload);

 private:
  void serve();
  void handle(int fd);
  FakeReply answer(const RecordedRequest& r);

  std::string api_version_;
  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> conn_fds_;
  std::vector<RecordedRequest> requests_;
  std::map<std::string, FakeReply> overrides_;
  unsigned head_ping_status_ = 200;
  long long started_unix_ = 0;
};

}  // namespace berth::testing

// A stand-in Docker engine for client tests: HTTP/1.1 on a unix socket in
// a temporary directory, answering the network, version and info endpoints
// with canned dockerd-shaped JSON, and recording every request. Both
// berth's client and the stock docker CLI can be pointed at it.
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
};

}  // namespace berth::testing

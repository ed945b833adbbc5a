// berth-lb's runtime. A Generation is one loaded configuration: N worker
// threads, each with its own io_context, its own SO_REUSEPORT acceptors and
// its own upstream connection pools (nothing on the request path is shared
// between threads but relaxed atomic counters and the round-robin counter),
// plus one control thread for `resolve` and `health_check`. A reload starts a
// new generation on the same listening sockets (inherited, so no queued
// connection is lost) and lets the old one drain.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "lb/config.h"

namespace berth::lb {

// The listening sockets, kept across reloads: one SO_REUSEPORT socket per
// (address, port, worker index).
class Listeners {
 public:
  // Returns a dup() of the socket for worker `index`, creating it if needed.
  Result<int> get(uint32_t addr, uint16_t port, int index, int backlog);
  // Closes the sockets `cfg` does not use any more.
  void retain(const Config& cfg);
  ~Listeners();

 private:
  std::mutex mu_;
  std::map<std::tuple<uint32_t, uint16_t, int>, int> fds_;
};

class Generation;

// Starts the workers; an error (a port in use) leaves nothing running.
Result<std::shared_ptr<Generation>> start_generation(std::shared_ptr<const Config> cfg, Listeners& listeners);
// Stops accepting; open connections finish their request and close.
void drain(Generation& g);
// Stops at once.
void stop_now(Generation& g);
// True when every worker has finished (after drain or stop_now).
bool finished(Generation& g);
const Config& config_of(const Generation& g);
// Joins the threads (call after finished()).
void join(Generation& g);

}  // namespace berth::lb

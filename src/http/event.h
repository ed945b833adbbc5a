// A one-shot, thread-safe event a coroutine can await: set() from any
// thread, wait() on the executor given at construction (a connection's
// strand). Used to wake /wait and logs -f when a container exits, without
// the engine knowing anything about Asio.
#pragma once

#include <utility>  // before Asio (PITFALLS.md)

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace berth::http {

class Event : public std::enable_shared_from_this<Event> {
 public:
  explicit Event(boost::asio::any_io_executor ex);

  // Marks the event set and wakes the waiter. Any thread.
  void set();
  bool is_set() const { return set_.load(); }

  // Returns when set() was called, or after `timeout`; true if set.
  // Only on the executor given at construction.
  boost::asio::awaitable<bool> wait_for(std::chrono::milliseconds timeout);

 private:
  boost::asio::steady_timer timer_;
  std::atomic<bool> set_{false};
};

}  // namespace berth::http

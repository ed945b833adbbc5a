#include "http/event.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace berth::http {

Event::Event(boost::asio::any_io_executor ex) : timer_(ex) {}

void Event::set() {
  set_.store(true);
  // cancel() must run on the timer's executor (the strand), never here.
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

boost::asio::awaitable<bool> Event::wait_for(std::chrono::milliseconds timeout) {
  if (set_.load()) co_return true;
  timer_.expires_after(timeout);
  boost::system::error_code ec;
  co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  co_return set_.load();
}

}  // namespace berth::http

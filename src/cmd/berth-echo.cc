// berth-echo: the lecture's `nginxlb` backend, a static binary that runs in
// any container image. HTTP/1.1 on $SERVER_PORT (default 80), all addresses.
//   GET /        host name, port, address and a request count (text, or JSON
//                for Accept: application/json)
//   GET /health  "ok"
//   GET /headers the request head as received (proxy header tests)
//   GET /big?n=N N bytes of 'x' in a chunked body (response streaming tests)
//   POST/PUT     any path: reads the body (Content-Length or chunked) and
//                answers its length and a checksum (request streaming tests)
// $ECHO_THREADS (default 1) event-loop threads; $SERVER_ADDR binds one address.
#include <utility>  // before Asio

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "lb/http1.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
using boost::system::error_code;
using namespace berth::lb;

namespace {

std::atomic<uint64_t> g_count{0};
std::string g_host;
uint16_t g_port = 80;

awaitable<void> serve(tcp::socket s) {
  error_code ec;
  s.set_option(tcp::no_delay(true), ec);
  std::string addr = s.local_endpoint(ec).address().to_string();
  std::string peer = s.remote_endpoint(ec).address().to_string();
  std::vector<char> buf(16384);
  size_t beg = 0, end = 0;
  std::string out, body;
  http1::Head h;
  for (;;) {
    http1::Parse r = http1::Parse::kIncomplete;
    for (;;) {
      if (end > beg) {
        r = http1::parse_request({buf.data() + beg, end - beg}, h);
        if (r != http1::Parse::kIncomplete) break;
      }
      if (beg == end) beg = end = 0;
      if (end == buf.size()) {
        if (beg == 0) co_return;
        memmove(buf.data(), buf.data() + beg, end - beg);
        end -= beg;
        beg = 0;
      }
      size_t n = co_await s.async_read_some(asio::buffer(buf.data() + end, buf.size() - end),
                                            asio::redirect_error(asio::use_awaitable, ec));
      if (ec || n == 0) co_return;
      end += n;
    }
    if (r == http1::Parse::kError) {
      static const std::string bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
      co_await asio::async_write(s, asio::buffer(bad), asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    uint64_t count = g_count.fetch_add(1, std::memory_order_relaxed) + 1;
    bool close = h.conn_close;
    std::string target(h.target);
    bool json = false;
    for (int i = 0; i < h.n_headers; ++i)
      if (http1::iequals(h.headers[i].name, "accept") && h.headers[i].value.find("application/json") != std::string_view::npos)
        json = true;
    bool has_body = h.chunked || h.content_length > 0;
    beg += h.head_len;
    // consume a request body
    uint64_t blen = 0, sum = 0;
    if (has_body) {
      http1::ChunkedScanner cs;
      int64_t left = h.content_length > 0 ? h.content_length : 0;
      for (;;) {
        std::string_view av(buf.data() + beg, end - beg);
        size_t take;
        if (h.chunked) {
          take = cs.feed(av);
          if (cs.error()) co_return;
          for (size_t i = 0; i < take; ++i) sum = sum * 31 + static_cast<unsigned char>(av[i]);
          blen = cs.payload();
        } else {
          take = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(av.size())));
          for (size_t i = 0; i < take; ++i) sum = sum * 31 + static_cast<unsigned char>(av[i]);
          left -= static_cast<int64_t>(take);
          blen += take;
        }
        beg += take;
        if (h.chunked ? cs.done() : left == 0) break;
        beg = end = 0;
        size_t n = co_await s.async_read_some(asio::buffer(buf.data(), buf.size()), asio::redirect_error(asio::use_awaitable, ec));
        if (ec || n == 0) co_return;
        end = n;
      }
    }
    out.clear();
    if (has_body) {
      body = "Body bytes: " + std::to_string(blen) + "\nChecksum: " + std::to_string(sum) + "\n";
      if (!h.chunked) body = "Body bytes: " + std::to_string(blen) + "\n";
    } else if (target == "/health") {
      body = "ok\n";
    } else if (target == "/headers") {
      body.assign(buf.data() + beg - h.head_len, h.head_len);
    } else if (target.rfind("/big?n=", 0) == 0) {
      uint64_t n = std::strtoull(target.c_str() + 7, nullptr, 10);
      out = "HTTP/1.1 200 OK\r\nServer: berth-echo\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n";
      out += close ? "Connection: close\r\n\r\n" : "\r\n";
      co_await asio::async_write(s, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::string chunk(8192, 'x');
      while (n > 0) {
        size_t k = std::min<uint64_t>(n, chunk.size());
        char hdr[32];
        int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", k);
        std::array<asio::const_buffer, 3> b{asio::buffer(hdr, static_cast<size_t>(hl)), asio::buffer(chunk.data(), k),
                                            asio::buffer("\r\n", 2)};
        co_await asio::async_write(s, b, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        n -= k;
      }
      co_await asio::async_write(s, asio::buffer("0\r\n\r\n", 5), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || close) co_return;
      continue;
    } else if (json) {
      body = "{\"hostname\":\"" + g_host + "\",\"port\":" + std::to_string(g_port) + ",\"address\":\"" + addr +
             "\",\"client\":\"" + peer + "\",\"count\":" + std::to_string(count) + "}\n";
    } else {
      body = "Server name: " + g_host + "\nServer port: " + std::to_string(g_port) + "\nServer address: " + addr +
             "\nClient address: " + peer + "\nRequest count: " + std::to_string(count) + "\n";
    }
    out += "HTTP/1.1 200 OK\r\nServer: berth-echo\r\nContent-Type: ";
    out += json && !has_body ? "application/json" : "text/plain";
    out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    out += close ? "Connection: close\r\n\r\n" : "\r\n";
    if (h.method != "HEAD") out += body;
    co_await asio::async_write(s, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    if (ec || close) co_return;
  }
}

awaitable<void> accept_loop(tcp::acceptor& a) {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await a.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!a.is_open()) co_return;
      continue;
    }
    asio::co_spawn(a.get_executor(), serve(std::move(s)), asio::detached);
  }
}

}  // namespace

int main() {
  const char* p = getenv("SERVER_PORT");
  g_port = static_cast<uint16_t>(p && *p ? std::atoi(p) : 80);
  char hn[256] = {};
  gethostname(hn, sizeof hn - 1);
  g_host = hn;
  const char* t = getenv("ECHO_THREADS");
  int threads = t && *t ? std::max(1, std::atoi(t)) : 1;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<tcp::acceptor>> accs;
  try {
    for (int i = 0; i < threads; ++i) {
      ios.push_back(std::make_unique<asio::io_context>(1));
      auto a = std::make_unique<tcp::acceptor>(*ios.back());
      const char* addr = getenv("SERVER_ADDR");  // default: every address
      tcp::endpoint ep(addr && *addr ? asio::ip::make_address_v4(addr) : asio::ip::address_v4::any(), g_port);
      a->open(ep.protocol());
      a->set_option(asio::socket_base::reuse_address(true));
      int one = 1;
      setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      a->bind(ep);
      a->listen(4096);
      asio::co_spawn(*ios.back(), accept_loop(*a), asio::detached);
      accs.push_back(std::move(a));
    }
  } catch (const std::exception& e) {
    std::cerr << "berth-echo: listen on port " << g_port << ": " << e.what() << "\n";
    return 1;
  }
  asio::signal_set sigs(*ios[0], SIGTERM, SIGINT);
  sigs.async_wait([&](error_code, int) {
    for (auto& io : ios) io->stop();
  });
  std::cerr << "berth-echo: " << g_host << " listening on port " << g_port << "\n";
  std::vector<std::thread> th;
  for (int i = 1; i < threads; ++i) th.emplace_back([&, i] { ios[i]->run(); });
  ios[0]->run();
  for (auto& io : ios) io->stop();
  for (auto& x : th) x.join();
  return 0;
}

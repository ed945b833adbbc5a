#include "lb/http1.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace berth::lb::http1;

TEST(Http1, SimpleRequest) {
  std::string r = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: keep-alive\r\n\r\nGET";
  Head h;
  ASSERT_EQ(parse_request(r, h), Parse::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a?b=1");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.head_len, r.size() - 3);
  EXPECT_EQ(h.content_length, -1);
  EXPECT_FALSE(h.chunked);
  EXPECT_FALSE(h.conn_close);
  ASSERT_EQ(h.n_headers, 3);
  EXPECT_EQ(h.headers[1].value, "1.2.3.4");
}

TEST(Http1, IncompleteAtEveryPrefix) {
  std::string r = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  Head h;
  for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(parse_request(r.substr(0, i), h), Parse::kIncomplete) << i;
  ASSERT_EQ(parse_request(r, h), Parse::kOk);
  EXPECT_EQ(h.content_length, 5);
}

TEST(Http1, EmptyLinesBeforeRequestAreSkipped) {
  std::string r = "\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n";
  Head h;
  ASSERT_EQ(parse_request(r, h), Parse::kOk);
  EXPECT_EQ(h.target, "/x");
  EXPECT_EQ(h.head_len, r.size());
  EXPECT_EQ(parse_request("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", h), Parse::kError);
}

TEST(Http1, Http10ClosesUnlessKeepAlive) {
  Head h;
  ASSERT_EQ(parse_request("GET / HTTP/1.0\r\n\r\n", h), Parse::kOk);
  EXPECT_TRUE(h.conn_close);
  ASSERT_EQ(parse_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", h), Parse::kOk);
  EXPECT_FALSE(h.conn_close);
}

TEST(Http1, SmugglingVectorsRejected) {
  const char* bad[] = {
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nBad\x01Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",
  };
  for (const char* b : bad) {
    Head h;
    std::string s(b, b + strlen(b));
    if (std::string(b).find("a\x00b") != std::string::npos) s = std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26);
    EXPECT_EQ(parse_request(s, h), Parse::kError) << b;
  }
  Head h;
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", h), Parse::kOk);
  EXPECT_EQ(h.content_length, 5);
}

TEST(Http1, Response) {
  Head h;
  ASSERT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", h), Parse::kOk);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.content_length, 3);
  ASSERT_EQ(parse_response("HTTP/1.1 204\r\n\r\n", h), Parse::kOk);
  EXPECT_EQ(h.status, 204);
  ASSERT_EQ(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n", h),
            Parse::kOk);
  EXPECT_TRUE(h.chunked);
  EXPECT_TRUE(h.conn_close);
  EXPECT_EQ(parse_response("HTTP/1.1 20 OK\r\n\r\n", h), Parse::kError);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", h),
            Parse::kError);
}

TEST(Http1, HopByHop) {
  EXPECT_TRUE(is_hop_by_hop("Connection"));
  EXPECT_TRUE(is_hop_by_hop("keep-alive"));
  EXPECT_TRUE(is_hop_by_hop("Upgrade"));
  EXPECT_FALSE(is_hop_by_hop("Transfer-Encoding"));
  EXPECT_FALSE(is_hop_by_hop("Content-Length"));
}

TEST(Http1, ChunkedScannerByteByByte) {
  std::string body = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (size_t split = 1; split <= 7; ++split) {
    ChunkedScanner s;
    size_t used = 0;
    for (size_t i = 0; i < body.size() && !s.done(); i += split) used += s.feed(std::string_view(body).substr(i, std::min(split, body.size() - i)));
    EXPECT_TRUE(s.done()) << split;
    EXPECT_EQ(used, body.size() - 4) << split;
    EXPECT_EQ(s.payload(), 31u);
  }
}

TEST(Http1, ChunkedScannerErrors) {
  for (const char* b : {"x\r\n", "5\r\nhelloXX", "5\nhello", "fffffffffffffffff\r\n", "0\r\nbad\n"}) {
    ChunkedScanner s;
    s.feed(b);
    EXPECT_TRUE(s.error()) << b;
  }
}

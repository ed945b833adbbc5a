#include "client/api_client.h"

#include <gtest/gtest.h>

#include "unit/client/fake_engine.h"

namespace berth::client {
namespace {

using testing::FakeEngine;
using testing::FakeReply;

TEST(ResolveHost, FlagThenBerthHostThenDockerHostThenDefault) {
  EXPECT_EQ(resolve_host("unix:///a", "unix:///b", "unix:///c"), "unix:///a");
  EXPECT_EQ(resolve_host("", "unix:///b", "unix:///c"), "unix:///b");
  EXPECT_EQ(resolve_host("", "", "unix:///c"), "unix:///c");
  EXPECT_EQ(resolve_host("", "", ""), "unix:///run/berth/berth.sock");
}

TEST(ParseHost, AcceptsUnixUrlsAndAbsolutePaths) {
  auto a = parse_host("unix:///run/berth/berth.sock");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->socket_path, "/run/berth/berth.sock");
  EXPECT_EQ(a->url, "unix:///run/berth/berth.sock");
  auto b = parse_host("/tmp/x.sock");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->url, "unix:///tmp/x.sock");
}

TEST(ParseHost, RejectsOtherSchemes) {
  auto r = parse_host("tcp://127.0.0.1:2375");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "unable to resolve berth endpoint: invalid bind address format: tcp://127.0.0.1:2375");
  EXPECT_FALSE(parse_host("unix://").ok());
  EXPECT_FALSE(parse_host("unix://relative").ok());
}

Response reply(unsigned status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(ErrorMessage, JsonMessageOnlyForExactlyApplicationJson) {
  EXPECT_EQ(
      error_message(reply(404, "application/json", "{\"message\":\"network x not found\"}\n"), "u"),
      "Error response from daemon: network x not found");
  EXPECT_EQ(
      error_message(reply(400, "application/json; charset=utf-8", "{\"message\":\"x\"}"), "u"),
      "Error response from daemon: {\"message\":\"x\"}");
  EXPECT_EQ(error_message(reply(400, "text/plain", "plain text error\n"), "u"),
            "Error response from daemon: plain text error");
}

TEST(ErrorMessage, EmptyBodyAndMissingMessage) {
  EXPECT_EQ(
      error_message(reply(400, "application/json", ""), "http://%2Fs.sock/v1.50/networks/create"),
      "request returned 400 Bad Request for API route and version "
      "http://%2Fs.sock/v1.50/networks/create, check if the server supports the "
      "requested API version");
  EXPECT_EQ(error_message(reply(400, "application/json", "{\"foo\":1}"), "u"),
            "Error response from daemon: API returned a 400 (Bad Request) but provided no "
            "error-message");
}

TEST(Status, KindsFollowErrdefs) {
  EXPECT_EQ(kind_for_status(404), ErrorKind::kNotFound);
  EXPECT_EQ(kind_for_status(409), ErrorKind::kConflict);
  EXPECT_EQ(kind_for_status(400), ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_for_status(403), ErrorKind::kForbidden);
  EXPECT_EQ(kind_for_status(500), ErrorKind::kInternal);
}

TEST(Negotiate, MinOfServerAndOurs) {
  EXPECT_EQ(negotiate_version(""), "1.24");
  EXPECT_EQ(negotiate_version("1.43"), "1.43");
  EXPECT_EQ(negotiate_version("1.50"), "1.50");
  EXPECT_EQ(negotiate_version("1.51"), "1.50");
  EXPECT_EQ(negotiate_version("1.9"), "1.9");
  EXPECT_LT(compare_versions("1.9", "1.41"), 0);
  EXPECT_EQ(compare_versions("1.41", "1.41"), 0);
}

TEST(Escape, QueryAndPath) {
  EXPECT_EQ(query_escape("{\"name\":{\"a b\":true}}"), "%7B%22name%22%3A%7B%22a+b%22%3Atrue%7D%7D");
  EXPECT_EQ(query_escape("a=b&c~_.-"), "a%3Db%26c~_.-");
  EXPECT_EQ(path_escape("net 1?#!"), "net%201%3F%23%21");
  EXPECT_EQ(path_escape("a/b:c@d=e"), "a/b:c@d=e");
}

TEST(ApiClient, PingsOnceThenUsesVersionedPaths) {
  FakeEngine engine("1.50");
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  ASSERT_TRUE(api.get("/networks").ok());
  ASSERT_TRUE(api.get("/version").ok());
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "HEAD");
  EXPECT_EQ(reqs[0].target, "/_ping");
  EXPECT_EQ(reqs[1].target, "/v1.50/networks");
  EXPECT_EQ(reqs[2].target, "/v1.50/version");
  EXPECT_EQ(reqs[1].headers["Host"], "api.moby.localhost");
  EXPECT_EQ(reqs[1].headers["User-Agent"], "berth/0.1");
}

TEST(ApiClient, NegotiatesDownAndFallsBackWithoutHeader) {
  {
    FakeEngine engine("1.43");
    ApiClient api(Endpoint{engine.host(), engine.socket_path()});
    auto v = api.api_version();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, "1.43");
  }
  {
    FakeEngine engine("");
    ApiClient api(Endpoint{engine.host(), engine.socket_path()});
    ASSERT_TRUE(api.get("/networks").ok());
    EXPECT_EQ(engine.requests().back().target, "/v1.24/networks");
  }
}

TEST(ApiClient, VersionOverrideStillPings) {
  FakeEngine engine("1.50");
  ApiClient api(Endpoint{engine.host(), engine.socket_path()}, "1.41");
  ASSERT_TRUE(api.get("/networks").ok());
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/_ping");
  EXPECT_EQ(reqs[1].target, "/v1.41/networks");
}

TEST(ApiClient, HeadPingRefusedFallsBackToGet) {
  FakeEngine engine("1.50");
  engine.set_head_ping_status(405);
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  ASSERT_TRUE(api.get("/networks").ok());
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "HEAD");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, "/_ping");
}

TEST(ApiClient, JsonBodiesAndEmptyPosts) {
  FakeEngine engine;
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  nlohmann::ordered_json body = {{"Name", "x<y"}};
  ASSERT_TRUE(api.post("/networks/create", "", &body).ok());
  ASSERT_TRUE(api.post("/networks/prune", "filters=%7B%7D").ok());
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].headers["Content-Type"], "application/json");
  EXPECT_EQ(reqs[1].body, "{\"Name\":\"x\\u003cy\"}\n");  // Go's json.Encoder
  EXPECT_EQ(reqs[2].target, "/v1.50/networks/prune?filters=%7B%7D");
  EXPECT_EQ(reqs[2].headers["Content-Length"], "0");
}

TEST(ApiClient, ErrorStatusBecomesDockerMessage) {
  FakeEngine engine;
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  auto r = api.get("/networks/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message(), "Error response from daemon: network nope not found");
  auto d = api.del("/networks/bridge");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind(), ErrorKind::kForbidden);
  auto ok = api.del("/networks/netlb");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 204u);
}

TEST(ApiClient, EmptyErrorBodyNamesTheRoute) {
  FakeEngine engine;
  engine.set_reply("GET /info", FakeReply{500, "application/json", ""});
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  auto r = api.get("/info");
  ASSERT_FALSE(r.ok());
  std::string escaped;
  for (char c : engine.socket_path()) escaped += c == '/' ? std::string("%2F") : std::string(1, c);
  EXPECT_EQ(r.error().message(),
            "request returned 500 Internal Server Error for API route and version http://" +
                escaped + "/v1.50/info, check if the server supports the requested API version");
}

TEST(ApiClient, ConnectionFailureSaysCannotConnect) {
  ApiClient api(Endpoint{"unix:///nonexistent/berth.sock", "/nonexistent/berth.sock"});
  auto r = api.get("/networks");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().message(),
            "Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth "
            "daemon running?");
}

TEST(ApiClient, KeepsWorkingAcrossManyRequests) {
  FakeEngine engine;
  ApiClient api(Endpoint{engine.host(), engine.socket_path()});
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(api.get("/networks/netlb").ok()) << i;
  EXPECT_EQ(engine.requests().size(), 51u);
}

TEST(ResponseStream, HeadersFirstThenTheBodyPieceByPiece) {
  FakeEngine engine;
  auto ep = parse_host(engine.host());
  ApiClient c(*ep);
  FakeReply r;
  r.chunked = true;
  r.delay_ms = 100;
  r.content_type = "application/vnd.docker.multiplexed-stream";
  r.chunks = {"one", "two", "three"};
  engine.set_reply("GET /containers/x/logs", r);
  auto s = c.stream("GET", "/containers/x/logs", "follow=1");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)->status(), 200u);
  EXPECT_EQ((*s)->header("content-type"), "application/vnd.docker.multiplexed-stream");
  std::string first;
  auto more = (*s)->next(&first);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more);
  EXPECT_EQ(first, "one");
  auto rest = (*s)->rest();
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, "twothree");
  // The main connection is free meanwhile.
  EXPECT_TRUE(c.get("/info").ok());
}

TEST(ResponseStream, ErrorStatusBecomesAnError) {
  FakeEngine engine;
  auto ep = parse_host(engine.host());
  ApiClient c(*ep);
  auto s = c.stream("POST", "/containers/missing/wait");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(s.error().message(), "Error response from daemon: No such container: missing");
}

}  // namespace
}  // namespace berth::client

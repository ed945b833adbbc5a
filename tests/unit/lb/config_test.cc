#include "lb/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace berth::lb;

namespace {
std::string err(const std::string& text) {
  auto c = parse_config(text, "/etc/x.conf");
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : c.error().message();
}
}  // namespace

TEST(LbConfig, LectureFileVerbatim) {
  auto c = load_config(LECTURE_CONF);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->workers, 1);
  EXPECT_EQ(c->worker_connections, 1024);
  ASSERT_EQ(c->upstreams.size(), 1u);
  const auto& u = c->upstreams[0];
  EXPECT_EQ(u.name, "backend-alb");
  ASSERT_EQ(u.servers.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(u.servers[i].host, "127.0.0.1");
    EXPECT_EQ(u.servers[i].port, 5001 + i);
    EXPECT_EQ(u.servers[i].weight, 1);
  }
  EXPECT_EQ(u.policy, Policy::kRoundRobin);
  ASSERT_EQ(c->servers.size(), 1u);
  const auto& s = c->servers[0];
  ASSERT_EQ(s.listens.size(), 1u);
  EXPECT_EQ(s.listens[0].port, 80);
  EXPECT_EQ(s.listens[0].addr, 0u);
  EXPECT_TRUE(s.listens[0].default_server);
  ASSERT_EQ(s.locations.size(), 1u);
  EXPECT_EQ(s.locations[0].path, "/");
  EXPECT_EQ(s.locations[0].upstream, "backend-alb");
  EXPECT_FALSE(s.locations[0].proxy_uri);
}

TEST(LbConfig, FullSubset) {
  auto c = parse_config(R"(
worker_processes 2;
pid /tmp/lb.pid;
error_log /dev/stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  resolver 10.0.0.1:5353 valid=1s;
  proxy_connect_timeout 2s;
  upstream a {
    zone a 64k;
    least_conn;
    server 10.0.0.2:80 weight=5 max_fails=3 fail_timeout=30s;
    server 10.0.0.3 backup;
    server 10.0.0.4:81 down;
    server tg-net:5000 resolve;
    keepalive 16;
  }
  upstream b { ip_hash; server 10.0.0.5:80; }
  upstream c { random two least_conn; server 10.0.0.6:80; }
  server {
    listen 127.0.0.1:8080 default_server backlog=1024;
    server_name example.test "quoted name";
    location = /status { stub_status; }
    location /api/ {
      proxy_pass http://a/v1/;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_next_upstream error timeout http_502;
      proxy_read_timeout 1m30s;
      health_check interval=2s uri=/health fails=2 passes=3;
    }
    location / { proxy_pass http://10.0.0.9:9000; }
    location /gone { return 410 "gone\n"; }
  }
}
)", "/x.conf");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->pid_file, "/tmp/lb.pid");
  ASSERT_TRUE(c->resolver);
  EXPECT_EQ(c->resolver->addrs[0].second, 5353);
  EXPECT_EQ(c->resolver->valid_s, 1);
  const Upstream* a = c->find_upstream("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->policy, Policy::kLeastConn);
  EXPECT_EQ(a->keepalive, 16);
  EXPECT_EQ(a->servers[0].weight, 5);
  EXPECT_EQ(a->servers[0].max_fails, 3);
  EXPECT_EQ(a->servers[0].fail_timeout_s, 30);
  EXPECT_EQ(a->servers[1].port, 80);
  EXPECT_TRUE(a->servers[1].backup);
  EXPECT_TRUE(a->servers[2].down);
  EXPECT_TRUE(a->servers[3].resolve);
  EXPECT_EQ(a->servers[3].host, "tg-net");
  EXPECT_EQ(c->find_upstream("b")->policy, Policy::kIpHash);
  EXPECT_EQ(c->find_upstream("c")->policy, Policy::kRandomTwo);
  ASSERT_TRUE(c->find_upstream("10.0.0.9:9000"));
  const auto& s = c->servers[0];
  EXPECT_EQ(s.listens[0].addr, 0x7f000001u);
  EXPECT_EQ(s.listens[0].port, 8080);
  EXPECT_EQ(s.names[1], "quoted name");
  ASSERT_EQ(s.locations.size(), 4u);
  EXPECT_TRUE(s.locations[0].exact);
  EXPECT_TRUE(s.locations[0].status);
  const auto& api = s.locations[1];
  EXPECT_EQ(*api.proxy_uri, "/v1/");
  EXPECT_EQ(api.connect_timeout_ms, 2000);  // inherited from http
  EXPECT_EQ(api.read_timeout_ms, 90000);
  EXPECT_TRUE(api.next_502);
  EXPECT_TRUE(api.health.enabled);
  EXPECT_EQ(api.health.interval_ms, 2000);
  EXPECT_EQ(api.health.uri, "/health");
  EXPECT_EQ(api.health.fails, 2);
  EXPECT_EQ(api.health.passes, 3);
  ASSERT_EQ(api.set_headers.size(), 1u);
  EXPECT_EQ(s.locations[3].return_code, 410);
  EXPECT_EQ(s.locations[3].return_text, "gone\n");
}

TEST(LbConfig, ErrorsCarryFileAndLine) {
  EXPECT_EQ(err("events {}\nhttp {\n  foo bar;\n}\n"), "unknown directive \"foo\" in /etc/x.conf:3");
  EXPECT_EQ(err("events {}\nlisten 80;\n"), "\"listen\" directive is not allowed here in /etc/x.conf:2");
  EXPECT_EQ(err("events {}\nhttp {\n server {\n  listen;\n }\n}\n"),
            "invalid number of arguments in \"listen\" directive in /etc/x.conf:4");
  EXPECT_EQ(err("events {}\nhttp {\n}\n}\n"), "unexpected \"}\" in /etc/x.conf:4");
  EXPECT_EQ(err("events {}\nhttp {\n server {\n"), "unexpected end of file, expecting \"}\" in /etc/x.conf:4");
  EXPECT_EQ(err("events {}\nhttp {\n upstream u {\n  server 1.2.3.4 wieght=2;\n }\n}\n"),
            "invalid parameter \"wieght=2\" in /etc/x.conf:4");
  EXPECT_EQ(err("events {}\nhttp { upstream u { server 1.2.3.4; }\n upstream u { server 1.2.3.4; } }\n"),
            "duplicate upstream \"u\" in /etc/x.conf:3");
  EXPECT_EQ(err("events {}\nhttp { server { location / { proxy_pass http://nowhere; } } }\n"),
            "host not found in upstream \"nowhere\" in /etc/x.conf:2");
  EXPECT_EQ(err("events {}\nhttp { server { listen 99999; } }\n"),
            "invalid port in \"99999\" of the \"listen\" directive in /etc/x.conf:2");
  EXPECT_EQ(err("http {}\n"), "no \"events\" section in configuration");
  EXPECT_EQ(err("events {}\nhttp { server { location / { proxy_pass http://a } } }\n"),
            "unexpected \"}\" in /etc/x.conf:2");
  EXPECT_EQ(err("events {}\nhttp\n"), "unexpected end of file, expecting \";\" or \"}\" in /etc/x.conf:3");
  EXPECT_EQ(err("events {}\nhttp;\n"), "directive \"http\" has no opening \"{\" in /etc/x.conf:2");
  EXPECT_EQ(err("events {}\nhttp { upstream u { server a:1 resolve; } }\n"),
            "no resolver defined to resolve a in /etc/x.conf:2");
  EXPECT_EQ(err("events {}\nhttp { server { location / { proxy_read_timeout 5x; } } }\n"),
            "\"proxy_read_timeout\" directive invalid value in /etc/x.conf:2");
}

TEST(LbConfig, CommentsQuotesAndLines) {
  auto c = parse_config("# comment\nevents { } # more\nhttp {\n server {\n  return 200 'a;b}{#';\n }\n}\n", "f");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->servers[0].locations[0].return_text, "a;b}{#");
}

TEST(LbConfig, MissingFile) {
  auto c = load_config("/nonexistent/berth-lb.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "open() \"/nonexistent/berth-lb.conf\" failed (2: No such file or directory)");
}

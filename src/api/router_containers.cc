// The /containers routes. Plain calls answer at once; stop, restart and
// rm -f answer when the container has ended (a deferred reply that waits on
// an Event, never blocking a thread); /wait and logs stream their body.
#include <signal.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "api/filters.h"
#include "api/router_detail.h"
#include "http/event.h"
#include "runtime/runtime.h"

namespace berth::api {

using namespace detail;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using bhttp::status;
using bhttp::verb;

namespace {

bool query_true(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  return it != q.end() && (it->second == "1" || it->second == "true" || it->second == "True");
}

std::optional<int> query_int(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  try {
    size_t pos = 0;
    int v = std::stoi(it->second, &pos);
    if (pos != it->second.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// Registers a waiter and returns an Event set when it fires; `already` is
// set when the condition held already.
Result<std::shared_ptr<http::Event>> wait_event(engine::Engine& e, const std::string& id,
                                                engine::WaitCondition cond,
                                                asio::any_io_executor ex,
                                                std::shared_ptr<engine::ExitEvent> out) {
  auto ev = std::make_shared<http::Event>(ex);
  auto r = e.add_waiter(id, cond, [ev, out](const engine::ExitEvent& x) {
    *out = x;
    ev->set();
  });
  if (!r.ok()) return r.error();
  if (r->has_value()) {
    *out = **r;
    ev->set();
  }
  return ev;
}

// The 8-byte header of a multiplexed stream frame (stdout 1, stderr 2).
std::string frame(int stream, const std::string& payload) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + payload;
}

// Docker's logs timestamps: RFC 3339 with exactly nine fractional digits.
std::string fixed_nano_time(int64_t t) {
  std::string s = rfc3339_nano(t);  // trailing zeros dropped
  auto dot = s.find('.');
  std::string frac;
  if (dot != std::string::npos) {
    frac = s.substr(dot + 1, s.size() - dot - 2);
    s = s.substr(0, dot) + "Z";
  }
  frac.resize(9, '0');
  return s.substr(0, s.size() - 1) + "." + frac + "Z";
}

int64_t parse_time_param(const std::string& v) {
  if (v.empty()) return 0;
  try {
    return static_cast<int64_t>(std::stod(v) * 1e9);
  } catch (...) {
    return 0;
  }
}

}  // namespace

ContainerView Router::view_of(const store::ContainerRecord& c, int64_t now) {
  ContainerView v;
  v.c = &c;
  if (auto eps = engine_.endpoints_of(c.id); eps.ok()) v.endpoints = std::move(*eps);
  if (auto nets = engine_.list_networks(); nets.ok()) v.networks = std::move(*nets);
  if (c.status == "running") {
    if (auto ports = engine_.ports_of(c.id); ports.ok()) v.ports = std::move(*ports);
  }
  v.bundle_dir = engine_.config().data_root + "/containers/" + c.id;
  v.now = now;
  return v;
}

http::Reply Router::containers_route(http::Request& req, const RoutedPath& p, bool& matched) {
  matched = true;
  const verb m = req.method();
  const std::string& path = p.path;
  if (path == "/containers/create" && m == verb::post) return container_create(req, p);
  if (path == "/containers/json" && m == verb::get) return containers_list(p);
  // The docker CLI pulls only after a 404 from create; berth cannot pull.
  if (path == "/images/create" && m == verb::post) {
    auto q = parse_query(p.query);
    if (!q["fromImage"].empty()) {
      std::string image = q["fromImage"];
      if (image.rfind("docker.io/library/", 0) == 0) image = image.substr(18);
      const std::string ref = q["tag"].empty() ? image : image + ":" + q["tag"];
      return error_response(not_found(
          "pull access denied for " + image +
          ": berth cannot pull from registries; load the image with 'docker load -i FILE' or "
          "import a root file system with 'docker import FILE " + ref +
          "' (or use the built-in image 'host')"));
    }
  }
  const std::string kC = "/containers/";
  if (path.rfind(kC, 0) != 0) {
    matched = false;
    return {};
  }
  std::string rest = path.substr(kC.size());
  auto slash = rest.find('/');
  const std::string term = rest.substr(0, slash);
  const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto q = parse_query(p.query);
  if (action.empty() && m == verb::delete_) return container_remove(term, p);
  if (action == "json" && m == verb::get) return container_inspect(term, p);
  if (action == "start" && m == verb::post) {
    auto r = engine_.start_container(term);
    if (!r.ok()) return error_response(r.error());
    return empty_response(*r ? status::no_content : status::not_modified);
  }
  if (action == "stop" && m == verb::post) return container_stop(term, p, false);
  if (action == "restart" && m == verb::post) return container_stop(term, p, true);
  if (action == "kill" && m == verb::post) {
    std::string sig = q.count("signal") ? q["signal"] : "KILL";
    auto plan = engine_.stop_plan(term, std::nullopt, sig);
    if (!plan.ok()) return error_response(plan.error());
    auto st = engine_.kill_container(term, plan->signal);
    if (!st.ok()) return error_response(st.error());
    return empty_response(status::no_content);
  }
  if (action == "wait" && m == verb::post) return container_wait(term, p);
  if (action == "rename" && m == verb::post) {
    auto st = engine_.rename_container(term, q["name"]);
    if (!st.ok()) return error_response(st.error());
    return empty_response(status::no_content);
  }
  if (action == "top" && m == verb::get) {
    auto t = engine_.top_container(term, q["ps_args"]);
    if (!t.ok()) return error_response(t.error());
    ojson j;
    j["Processes"] = t->processes;
    j["Titles"] = t->titles;
    return json_response(status::ok, go_json(j));
  }
  if (action == "logs" && m == verb::get) return container_logs(term, p);
  if (action == "resize" && m == verb::post) {
    auto h = query_int(q, "h"), w = query_int(q, "w");
    if (!h || !w || *h < 0 || *w < 0) {
      return error_response(invalid_argument("Bad parameters: h and w must be numbers"));
    }
    auto st = engine_.resize_container(term, *h, *w);
    if (!st.ok()) return error_response(st.error());
    http::Response r{status::ok, 11};
    common_headers(r);
    r.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    return r;
  }
  matched = false;
  return {};
}

http::Response Router::container_create(http::Request& req, const RoutedPath& p) {
  if (auto st = check_json_content_type(req); !st.ok()) return error_response(st.error());
  auto q = parse_query(p.query);
  auto r = decode_container_create(req.body(), q["name"]);
  if (!r.ok()) return error_response(r.error());
  auto c = engine_.create_container(*r);
  if (!c.ok()) return error_response(c.error());
  ojson j;
  j["Id"] = c->id;
  j["Warnings"] = c->warnings;
  return json_response(status::created, go_json(j));
}

http::Response Router::containers_list(const RoutedPath& p) {
  auto q = parse_query(p.query);
  auto f = parse_filters(q["filters"]);
  if (!f.ok()) return error_response(f.error());
  const bool all = query_true(q, "all");
  const int limit = query_int(q, "limit").value_or(-1);
  auto list = engine_.list_containers();
  if (!list.ok()) return error_response(list.error());
  const int64_t now = now_nanos();
  ojson out = ojson::array();
  for (const auto& c : *list) {
    // Restarting containers count as running (State.Running), as dockerd lists them.
    if (!all && c.status != "running" && c.status != "restarting" && !f->count("status") &&
        !f->count("exited")) {
      continue;
    }
    ContainerView v = view_of(c, now);
    auto m = container_matches(*f, v);
    if (!m.ok()) return error_response(m.error());
    if (!*m) continue;
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    out.push_back(container_summary_json(v, p.version));
  }
  return json_response(status::ok, go_json(out));
}

http::Response Router::container_inspect(const std::string& term, const RoutedPath& p) {
  auto c = engine_.find_container(term);
  if (!c.ok()) return error_response(c.error());
  ContainerView v = view_of(*c, now_nanos());
  return json_response(status::ok, go_json(container_inspect_json(v, p.version)));
}

http::Reply Router::container_stop(const std::string& term, const RoutedPath& p, bool restart) {
  auto q = parse_query(p.query);
  std::optional<int> t = query_int(q, "t");
  if (!t && q.count("timeout")) t = query_int(q, "timeout");
  const std::string sig = q.count("signal") ? q["signal"] : "";
  auto plan = engine_.stop_plan(term, t, sig);
  if (!plan.ok()) return error_response(plan.error());
  if (!plan->running && !restart) return empty_response(status::not_modified);
  http::Reply reply;
  engine::Engine* e = &engine_;
  const engine::Engine::StopPlan pl = *plan;
  reply.deferred = [e, pl, restart]() -> asio::awaitable<http::Response> {
    if (pl.running) {
      auto ex = co_await asio::this_coro::executor;
      auto out = std::make_shared<engine::ExitEvent>();
      auto ev = wait_event(*e, pl.id, engine::WaitCondition::kNotRunning, ex, out);
      if (!ev.ok()) co_return error_response(ev.error());
      if (!(*ev)->is_set()) {
        (void)e->kill_container(pl.id, pl.signal);
        const auto grace = std::chrono::seconds(pl.timeout < 0 ? 24 * 3600 : pl.timeout);
        bool done = co_await (*ev)->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(grace));
        if (!done) {
          (void)e->kill_container(pl.id, SIGKILL);
          done = co_await (*ev)->wait_for(std::chrono::seconds(30));
          if (!done) {
            co_return error_response(internal_error("container " + pl.id +
                                                    " did not stop after SIGKILL"));
          }
        }
      }
    }
    if (restart) {
      auto r = e->start_container(pl.id);
      if (!r.ok()) co_return error_response(r.error());
    }
    co_return empty_response(status::no_content);
  };
  return reply;
}

http::Reply Router::container_remove(const std::string& term, const RoutedPath& p) {
  auto q = parse_query(p.query);
  const bool force = query_true(q, "force");
  auto c = engine_.find_container(term);
  if (!c.ok()) return error_response(c.error());
  if (c->status == "restarting") {
    if (!force) {
      return error_response(conflict("cannot remove container \"/" + c->name +
                                     "\": container is restarting: stop the container before "
                                     "removing or force remove"));
    }
    (void)engine_.stop_plan(c->id, std::nullopt, "");  // cancels the pending restart
  }
  if (c->status != "running" || !force) {
    auto st = engine_.remove_container(term);
    if (!st.ok()) return error_response(st.error());
    return empty_response(status::no_content);
  }
  http::Reply reply;
  engine::Engine* e = &engine_;
  const std::string id = c->id;
  reply.deferred = [e, id]() -> asio::awaitable<http::Response> {
    auto ex = co_await asio::this_coro::executor;
    auto out = std::make_shared<engine::ExitEvent>();
    auto ev = wait_event(*e, id, engine::WaitCondition::kNotRunning, ex, out);
    if (!ev.ok()) co_return error_response(ev.error());
    if (!(*ev)->is_set()) {
      (void)e->kill_container(id, SIGKILL);
      if (!co_await (*ev)->wait_for(std::chrono::seconds(30))) {
        co_return error_response(internal_error("container " + id + " did not stop after SIGKILL"));
      }
    }
    auto st = e->remove_container(id);
    if (!st.ok()) co_return error_response(st.error());
    co_return empty_response(status::no_content);
  };
  return reply;
}

http::Reply Router::container_wait(const std::string& term, const RoutedPath& p) {
  auto q = parse_query(p.query);
  std::string cond_s = q.count("condition") ? q["condition"] : "not-running";
  engine::WaitCondition cond;
  if (cond_s == "not-running" || cond_s.empty()) {
    cond = engine::WaitCondition::kNotRunning;
  } else if (cond_s == "next-exit") {
    cond = engine::WaitCondition::kNextExit;
  } else if (cond_s == "removed") {
    cond = engine::WaitCondition::kRemoved;
  } else {
    return error_response(invalid_argument("invalid condition: \"" + cond_s + "\""));
  }
  auto c = engine_.find_container(term);
  if (!c.ok()) return error_response(c.error());
  http::Reply reply;
  reply.response = http::Response{status::ok, 11};
  common_headers(reply.response);
  reply.response.set(bhttp::field::content_type, "application/json");
  engine::Engine* e = &engine_;
  const std::string id = c->id;
  reply.stream = [e, id, cond](http::ChunkWriter& w) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto out = std::make_shared<engine::ExitEvent>();
    auto ev = wait_event(*e, id, cond, ex, out);
    ojson body;
    if (!ev.ok()) {
      body["Error"] = ojson{{"Message", ev.error().message()}};
      body["StatusCode"] = -1;
      co_await w.write(go_json(body));
      co_return;
    }
    while (!co_await (*ev)->wait_for(std::chrono::hours(1))) {
    }
    if (!out->error.empty()) body["Error"] = ojson{{"Message", out->error}};
    body["StatusCode"] = out->exit_code;
    co_await w.write(go_json(body));
  };
  return reply;
}

http::Reply Router::container_logs(const std::string& term, const RoutedPath& p) {
  auto q = parse_query(p.query);
  auto c = engine_.find_container(term);
  if (!c.ok()) return error_response(c.error());
  runtime::LogFilter filter;
  filter.stdout_stream = query_true(q, "stdout");
  filter.stderr_stream = query_true(q, "stderr");
  if (!filter.stdout_stream && !filter.stderr_stream) {
    return error_response(invalid_argument("Bad parameters: you must choose at least one stream"));
  }
  if (auto t = q.find("tail"); t != q.end() && !t->second.empty() && t->second != "all") {
    auto n = query_int(q, "tail");
    if (!n || *n < 0) filter.tail = -1;
    else filter.tail = *n;
  }
  filter.since_nanos = parse_time_param(q["since"]);
  filter.until_nanos = parse_time_param(q["until"]);
  const bool follow = query_true(q, "follow");
  const bool timestamps = query_true(q, "timestamps");
  const bool tty = ojson::parse(c->config_json).value("Tty", false);
  const std::string path = engine_.config().data_root + "/containers/" + c->id + "/" + c->id +
                           "-json.log";
  http::Reply reply;
  reply.response = http::Response{status::ok, 11};
  common_headers(reply.response);
  reply.response.set(bhttp::field::content_type,
                     tty || p.version < ApiVersion{142} ? "application/vnd.docker.raw-stream"
                                                        : "application/vnd.docker.multiplexed-stream");
  engine::Engine* e = &engine_;
  const std::string id = c->id;
  reply.stream = [e, id, path, filter, follow, timestamps,
                  tty](http::ChunkWriter& w) -> asio::awaitable<void> {
    auto render = [&](const std::vector<runtime::LogLine>& lines) {
      std::string out;
      for (const auto& l : lines) {
        if (l.stream == "stdout" && !filter.stdout_stream) continue;
        if (l.stream == "stderr" && !filter.stderr_stream) continue;
        std::string text = timestamps ? fixed_nano_time(l.time_nanos) + " " + l.text : l.text;
        out += tty ? text : frame(l.stream == "stderr" ? 2 : 1, text);
      }
      return out;
    };
    uint64_t offset = 0;
    auto first = runtime::read_log(path, filter, &offset);
    if (first.ok()) {
      if (!co_await w.write(render(*first))) co_return;
    }
    if (!follow) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    runtime::LogFilter rest = filter;
    rest.tail = -1;
    for (;;) {
      auto c = e->find_container(id);
      const bool running = c.ok() && c->status == "running";
      // Read what was appended since the last look.
      FILE* f = fopen(path.c_str(), "rb");
      std::string data;
      if (f) {
        if (fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0) {
          char buf[65536];
          size_t n;
          while ((n = fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
        }
        fclose(f);
      }
      size_t consumed = 0;
      auto lines = runtime::select_log_lines(runtime::parse_log_chunk(data, &consumed), rest);
      offset += consumed;
      if (!lines.empty() && !co_await w.write(render(lines))) co_return;
      if (!running && consumed == data.size()) co_return;
      timer.expires_after(std::chrono::milliseconds(100));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  };
  return reply;
}

}  // namespace berth::api

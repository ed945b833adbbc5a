// The /images routes: import (POST /images/create?fromSrc=-), load, list,
// inspect, rmi, tag. Uploads arrive spooled in a file (UnixServer's
// BodySpool); the work runs on a thread of its own while the connection's
// coroutine waits on a timer, so an import of hundreds of megabytes blocks
// no API thread. Like dockerd, an error before anything was written is an
// HTTP error; once a progress stream has started, it is an errorDetail line.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>

#include "api/filters.h"
#include "api/router_detail.h"
#include "image/image.h"

namespace berth::api {

using namespace detail;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using bhttp::status;
using bhttp::verb;

namespace {

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Every value of a repeated query key (`changes` is one per --change).
std::vector<std::string> query_all(std::string_view q, std::string_view key) {
  std::vector<std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    const auto eq = part.find('=');
    if (decode(part.substr(0, eq)) == key) out.push_back(eq == std::string_view::npos ? "" : decode(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q = q.substr(amp + 1);
  }
  return out;
}

bool truthy(const std::string& v) { return v == "1" || v == "true" || v == "True"; }

// Work done on a thread of its own; lines are JSON messages for the stream.
struct Job {
  std::mutex mu;
  std::vector<std::string> lines;
  bool done = false;
  std::optional<Error> error;
  void push(std::string line) {
    std::lock_guard l(mu);
    lines.push_back(std::move(line));
  }
};

std::string message_line(const char* key, const std::string& text) {
  ojson j;
  j[key] = text;
  return go_json(j);  // ends with "\n"; dockerd's jsonmessage lines end "\r\n"
}

std::string error_line(const std::string& msg) {
  ojson j;
  j["errorDetail"]["message"] = msg;
  j["error"] = msg;
  return go_json(j);
}

// dockerd's progress bar text (pkg/jsonmessage JSONProgress.String, width 50
// when there is no terminal to ask).
std::string progress_bar(uint64_t cur, uint64_t total) {
  auto human = [](double b) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4) {
      b /= 1000;
      ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g%s", b, units[i]);
    return std::string(buf);
  };
  std::string bar;
  if (total > 0) {
    const int width = 50;
    int filled = static_cast<int>(static_cast<double>(cur) * width / static_cast<double>(total));
    if (filled > width) filled = width;
    bar = "[" + std::string(filled, '=') + (filled < width ? ">" : "") +
          std::string(filled < width ? width - filled - 1 : 0, ' ') + "] ";
  }
  return bar + human(static_cast<double>(cur)) + "/" + human(static_cast<double>(total));
}

void run_detached(std::shared_ptr<Job> job, std::function<Status(Job&)> work) {
  std::thread([job, work = std::move(work)] {
    Status st = internal_error("image job did not run");
    try {
      st = work(*job);
    } catch (const std::exception& e) {
      st = internal_error(e.what());
    }
    std::lock_guard l(job->mu);
    if (!st.ok()) job->error = st.error();
    job->done = true;
  }).detach();
}

asio::awaitable<void> wait_done(std::shared_ptr<Job> job, std::vector<std::string>* out, http::ChunkWriter* w) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    std::vector<std::string> lines;
    bool done;
    {
      std::lock_guard l(job->mu);
      lines.swap(job->lines);
      done = job->done;
    }
    for (auto& line : lines) {
      if (w) {
        if (!co_await w->write(std::move(line))) co_return;
      } else {
        out->push_back(std::move(line));
      }
    }
    if (done) co_return;
    timer.expires_after(std::chrono::milliseconds(50));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// The reply for a job: all at once (errors as HTTP errors) or, with
// `stream`, headers first and then the lines as they come.
http::Reply job_reply(std::shared_ptr<Job> job, bool stream) {
  http::Reply reply;
  if (stream) {
    reply.response = json_response(status::ok, "");
    reply.stream = [job](http::ChunkWriter& w) -> asio::awaitable<void> {
      co_await wait_done(job, nullptr, &w);
      std::optional<Error> err;
      {
        std::lock_guard l(job->mu);
        err = job->error;
      }
      if (err) co_await w.write(error_line(err->message()));
    };
    return reply;
  }
  reply.deferred = [job]() -> asio::awaitable<http::Response> {
    std::vector<std::string> lines;
    co_await wait_done(job, &lines, nullptr);
    std::lock_guard l(job->mu);
    if (job->error) co_return error_response(*job->error);
    std::string body;
    for (const auto& line : lines) body += line;
    co_return json_response(status::ok, body);
  };
  return reply;
}

ojson labels_of(const nlohmann::json& cfg) {
  if (cfg.contains("config") && cfg["config"].is_object() && cfg["config"].contains("Labels") &&
      cfg["config"]["Labels"].is_object() && !cfg["config"]["Labels"].empty()) {
    return ojson::parse(cfg["config"]["Labels"].dump());
  }
  return nullptr;
}

// Go's path.Match for the reference filter ('*', '?', no classes).
bool glob(std::string_view pat, std::string_view s) {
  if (pat.empty()) return s.empty();
  if (pat[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (s.substr(0, i).find('/') != std::string_view::npos) break;
      if (glob(pat.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  if (s.empty()) return false;
  if (pat[0] == '?' ? s[0] != '/' : pat[0] == s[0]) return glob(pat.substr(1), s.substr(1));
  return false;
}

}  // namespace

std::string Router::spool_dir(const http::Request& head) {
  if (head.method() != verb::post) return "";
  auto p = route_path(std::string_view(head.target().data(), head.target().size()));
  if (!p.ok()) return "";
  if (p->path == "/images/load" ||
      (p->path == "/images/create" && !query_all(p->query, "fromSrc").empty())) {
    return engine_.config().data_root + "/images";
  }
  return "";
}

http::Reply Router::images_route(http::Request& req, const RoutedPath& p, bool& matched) {
  matched = true;
  const verb m = req.method();
  const std::string& path = p.path;
  const std::string body_file(req[http::kBodyFileHeader]);
  if (path == "/images/create" && m == verb::post) {
    auto q = parse_query(p.query);
    const std::string src = q["fromSrc"];
    if (src.empty()) return error_response(invalid_argument("fromImage or fromSrc is required"));
    if (src != "-") {
      return error_response(invalid_argument(
          "berth does not download images (fromSrc=" + src +
          "): fetch the file yourself and import it with 'docker import FILE' or '-' for stdin"));
    }
    if (body_file.empty()) return error_response(internal_error("import: the upload was not spooled"));
    engine::Engine::ImportRequest ir;
    ir.archive_path = body_file;
    ir.repo_tag = q["repo"];
    if (!q["tag"].empty() && !ir.repo_tag.empty()) ir.repo_tag += ":" + q["tag"];
    ir.changes = query_all(p.query, "changes");
    ir.message = q["message"];
    auto job = std::make_shared<Job>();
    engine::Engine* e = &engine_;
    run_detached(job, [e, ir](Job& j) -> Status {
      auto id = e->import_image(ir);
      if (!id.ok()) return id.error();
      j.push(message_line("status", *id));
      return ok_status();
    });
    return job_reply(job, false);
  }
  if (path == "/images/load" && m == verb::post) {
    auto q = parse_query(p.query);
    const bool quiet = !q.count("quiet") || truthy(q["quiet"]);
    if (body_file.empty()) return error_response(internal_error("load: the upload was not spooled"));
    auto job = std::make_shared<Job>();
    engine::Engine* e = &engine_;
    run_detached(job, [e, body_file, quiet](Job& j) -> Status {
      std::vector<std::string> lines;
      engine::Engine::LayerProgress progress;
      if (!quiet) {
        auto last = std::make_shared<std::pair<std::string, uint64_t>>();
        progress = [&j, last](const std::string& layer, uint64_t done, uint64_t total) {
          if (last->first != layer) *last = {layer, 0};
          if (done == last->second) return;
          if (done != total && done - last->second < (1u << 20)) return;  // one line per MiB
          last->second = done;
          ojson l;
          l["status"] = "Loading layer";
          l["progressDetail"]["current"] = done;
          l["progressDetail"]["total"] = total;
          l["progress"] = progress_bar(done, total);
          l["id"] = layer;
          j.push(go_json(l));
        };
      }
      auto st = e->load_images(body_file, lines, progress);
      if (!st.ok()) return st;
      for (const auto& line : lines) j.push(message_line("stream", line + "\n"));
      return ok_status();
    });
    return job_reply(job, !quiet);
  }
  if ((path == "/images/json" || path == "/images/json/") && m == verb::get) return images_list(p);
  const std::string kI = "/images/";
  if (path.rfind(kI, 0) != 0 || path.size() <= kI.size()) {
    matched = false;
    return {};
  }
  const std::string rest = path.substr(kI.size());
  auto ends = [&](const std::string& suffix) {
    return rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (m == verb::get && ends("/json")) return image_inspect(decode(rest.substr(0, rest.size() - 5)), p);
  if (m == verb::post && ends("/tag")) {
    auto q = parse_query(p.query);
    const std::string source = decode(rest.substr(0, rest.size() - 4));
    std::string target = q["repo"];
    if (target.empty()) return error_response(invalid_argument("repository name must have at least one component"));
    if (!q["tag"].empty()) target += ":" + q["tag"];
    auto st = engine_.tag_image(source, target);
    if (!st.ok()) return error_response(st.error());
    return empty_response(status::created);
  }
  if (m == verb::delete_) {
    auto q = parse_query(p.query);
    auto r = engine_.remove_image(decode(rest), truthy(q["force"]));
    if (!r.ok()) return error_response(r.error());
    ojson out = ojson::array();
    for (const auto& item : *r) {
      ojson o = ojson::object();
      if (!item.untagged.empty()) o["Untagged"] = item.untagged;
      if (!item.deleted.empty()) o["Deleted"] = item.deleted;
      out.push_back(o);
    }
    return json_response(status::ok, go_json(out));
  }
  matched = false;
  return {};
}

http::Response Router::images_list(const RoutedPath& p) {
  auto q = parse_query(p.query);
  auto f = parse_filters(q["filters"]);
  if (!f.ok()) return error_response(f.error());
  for (const auto& [key, values] : *f) {
    if (key != "reference" && key != "dangling" && key != "label") {
      return error_response(invalid_argument("invalid filter '" + key + "'"));
    }
  }
  auto all = engine_.list_images();
  if (!all.ok()) return error_response(all.error());
  ojson out = ojson::array();
  for (const auto& img : *all) {
    const auto cfg = nlohmann::json::parse(img.config, nullptr, false);
    if (auto it = f->find("dangling"); it != f->end()) {
      const auto& v = it->second;
      const bool want = std::find(v.begin(), v.end(), "true") != v.end() ||
                        std::find(v.begin(), v.end(), "1") != v.end();
      if (want != img.tags.empty()) continue;
    }
    std::vector<std::string> tags = img.tags;
    if (auto it = f->find("reference"); it != f->end()) {
      std::vector<std::string> kept;
      for (const auto& t : tags) {
        const std::string repo = t.substr(0, t.rfind(':'));
        for (const auto& pat : it->second) {
          if (glob(pat, t) || glob(pat, repo)) {
            kept.push_back(t);
            break;
          }
        }
      }
      if (kept.empty()) continue;
      tags = kept;
    }
    if (auto it = f->find("label"); it != f->end()) {
      const ojson labels = labels_of(cfg);
      bool ok = true;
      for (const auto& want : it->second) {
        const auto eq = want.find('=');
        const std::string k = want.substr(0, eq);
        if (labels.is_null() || !labels.contains(k) ||
            (eq != std::string::npos && labels[k] != want.substr(eq + 1))) {
          ok = false;
        }
      }
      if (!ok) continue;
    }
    ojson j;
    j["Containers"] = -1;
    j["Created"] = img.created / 1000000000;
    j["Id"] = img.id;
    j["Labels"] = labels_of(cfg);
    j["ParentId"] = "";
    j["RepoDigests"] = ojson::array();
    j["RepoTags"] = tags;
    j["SharedSize"] = -1;
    j["Size"] = img.size;
    if (p.version < ApiVersion{144}) j["VirtualSize"] = img.size;
    out.push_back(j);
  }
  return json_response(status::ok, go_json(out));
}

http::Response Router::image_inspect(const std::string& term, const RoutedPath& p) {
  auto img = engine_.find_image(term);
  if (!img.ok()) return error_response(img.error());
  const auto cfg = ojson::parse(img->config, nullptr, false);
  auto str = [&](const char* k) {
    return cfg.is_object() && cfg.contains(k) && cfg[k].is_string() ? cfg[k].get<std::string>() : std::string();
  };
  ojson j;
  j["Id"] = img->id;
  j["RepoTags"] = img->tags;
  j["RepoDigests"] = ojson::array();
  j["Parent"] = "";
  j["Comment"] = str("comment");
  j["Created"] = str("created").empty() ? rfc3339_nano(img->created) : str("created");
  j["DockerVersion"] = str("docker_version");
  j["Author"] = str("author");
  j["Config"] = cfg.is_object() && cfg.contains("config") ? cfg["config"] : ojson(nullptr);
  j["Architecture"] = str("architecture");
  if (!str("variant").empty()) j["Variant"] = str("variant");
  j["Os"] = str("os");
  j["Size"] = img->size;
  if (p.version < ApiVersion{144}) j["VirtualSize"] = img->size;
  ojson data = ojson::object();
  const std::string layers = engine_.image_dir(img->id) + "/layers/";
  std::string lower;
  for (int i = img->layers - 2; i >= 0; --i) {
    if (!lower.empty()) lower += ':';
    lower += layers + std::to_string(i);
  }
  if (!lower.empty()) data["LowerDir"] = lower;
  if (img->layers > 0) data["UpperDir"] = layers + std::to_string(img->layers - 1);
  j["GraphDriver"]["Data"] = data;
  j["GraphDriver"]["Name"] = "overlayfs";
  ojson rootfs;
  rootfs["Type"] = "layers";
  rootfs["Layers"] = cfg.is_object() && cfg.contains("rootfs") && cfg["rootfs"].contains("diff_ids")
                         ? cfg["rootfs"]["diff_ids"]
                         : ojson::array();
  j["RootFS"] = rootfs;
  j["Metadata"]["LastTagTime"] = img->last_tag_time ? rfc3339_nano(img->last_tag_time) : "0001-01-01T00:00:00Z";
  return json_response(status::ok, go_json(j));
}

}  // namespace berth::api

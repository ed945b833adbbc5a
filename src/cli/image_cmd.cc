// `berth images|import|load|rmi|tag` and `berth image ls|import|load|rm|tag|
// inspect`, as docker 28.2.2's cli/command/image/*.go: the same requests
// (docker-api.md §3.20), output and exit codes. Uploads are streamed from
// the file or stdin; on a terminal the bytes sent are shown on stderr.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <ostream>

#include "cli/command.h"
#include "cli/container_format.h"
#include "cli/filters.h"
#include "cli/formatter.h"
#include "cli/inspector.h"
#include "cli/network_format.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using T = FlagSpec::Type;
using Kind = GoType::Kind;

std::string str_of(const ojson& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Shows "Uploading 12.3MB/145MB" on a terminal while an archive is sent.
std::function<void(uint64_t)> upload_progress(Context& ctx, int fd) {
  struct stat st {};
  if (!isatty(STDERR_FILENO) || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (8 << 20)) {
    return {};
  }
  const uint64_t total = static_cast<uint64_t>(st.st_size);
  auto last = std::make_shared<time_t>(0);
  return [&ctx, total, last](uint64_t sent) {
    const time_t now = ::time(nullptr);
    if (sent < total && now == *last) return;
    *last = now;
    ctx.err() << "\rUploading " << human_size(static_cast<double>(sent)) << "/"
              << human_size(static_cast<double>(total)) << (sent >= total ? "\n" : "") << std::flush;
  };
}

// go-units HumanSize: HumanSizeWithPrecision(size, 4) ("1.982MB").
std::string human_size4(double size) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (size >= 1000 && i < 8) {
    size /= 1000;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

// jsonstream.Display: prints status/stream lines, stops at an error line.
// Progress lines are shown (overwritten in place) only on a terminal.
int display_stream(Context& ctx, client::ResponseStream& s) {
  const bool tty = isatty(STDOUT_FILENO);
  std::string buf;
  bool in_progress = false;
  for (;;) {
    auto more = s.next(&buf);
    if (!more.ok()) return ctx.fail(more.error());
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      const std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      ojson j = ojson::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      if (j.contains("errorDetail") || j.contains("error")) {
        if (in_progress) ctx.out() << "\n";
        std::string msg = j.contains("errorDetail") && j["errorDetail"].is_object()
                              ? str_of(j["errorDetail"], "message")
                              : str_of(j, "error");
        if (msg.empty()) msg = str_of(j, "error");
        return ctx.fail(msg);
      }
      if (j.contains("progress") || j.contains("progressDetail")) {
        if (!tty) continue;
        ctx.out() << "\r" << str_of(j, "id") << ": " << str_of(j, "status") << " "
                  << str_of(j, "progress") << "\x1b[K" << std::flush;
        in_progress = true;
        continue;
      }
      if (in_progress) {
        ctx.out() << "\n";
        in_progress = false;
      }
      if (j.contains("stream")) {
        ctx.out() << str_of(j, "stream");
      } else if (j.contains("status")) {
        const std::string id = str_of(j, "id");
        ctx.out() << (id.empty() ? "" : id + ": ") << str_of(j, "status") << "\n";
      }
    }
    if (!*more) break;
  }
  if (in_progress) ctx.out() << "\n";
  ctx.out() << std::flush;
  return 0;
}

// ---------------------------------------------------------------- import --

int run_import(Context& ctx, const ParsedFlags& f) {
  const std::string source = f.args[0];
  const bool url = source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
  // A file is sent as the body, like stdin (docker's ImportSource "-").
  std::string query = "fromSrc=" + client::query_escape(url ? source : "-");
  if (f.args.size() > 1) query += "&repo=" + client::query_escape(f.args[1]);
  for (const auto& c : f.get_list("change")) query += "&changes=" + client::query_escape(c);
  if (f.has("message")) query += "&message=" + client::query_escape(f.get_string("message"));
  if (f.has("platform")) query += "&platform=" + client::query_escape(f.get_string("platform"));
  int fd = -1;
  bool close_fd = false;
  if (source == "-") {
    fd = ctx.in_fd() >= 0 ? ctx.in_fd() : STDIN_FILENO;
  } else if (url) {
    fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    close_fd = true;
  } else {
    fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ctx.fail("open " + source + ": " + std::strerror(errno));
    close_fd = true;
  }
  auto s = ctx.api().upload("/images/create", query, fd, "text/plain", upload_progress(ctx, fd));
  if (close_fd) ::close(fd);
  if (!s.ok()) return ctx.fail(s.error());
  return display_stream(ctx, **s);
}

Command import_command() {
  Command c;
  c.name = "import";
  c.use = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]";
  c.short_help = "Import the contents from a tarball to create a filesystem image";
  c.args = Command::Args::kOneOrTwo;
  c.flags = {flag("change", 'c', T::kList, "list", "Apply Dockerfile instruction to the created image"),
             flag("message", 'm', T::kString, "string", "Set commit message for imported image"),
             flag("platform", 0, T::kString, "string", "Set platform if server is multi-platform capable")};
  c.run = run_import;
  return c;
}

// ------------------------------------------------------------------ load --

int run_load(Context& ctx, const ParsedFlags& f) {
  int fd = ctx.in_fd() >= 0 ? ctx.in_fd() : STDIN_FILENO;
  bool close_fd = false;
  const std::string input = f.get_string("input");
  if (!input.empty()) {
    fd = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ctx.fail("open " + input + ": " + std::strerror(errno));
    close_fd = true;
  } else if (isatty(fd)) {
    return ctx.fail("requested load from stdin, but stdin is empty");
  }
  const bool quiet = f.get_bool("quiet") || !isatty(STDOUT_FILENO);
  auto s = ctx.api().upload("/images/load", quiet ? "quiet=1" : "quiet=0", fd, "application/x-tar",
                            upload_progress(ctx, fd));
  if (close_fd) ::close(fd);
  if (!s.ok()) return ctx.fail(s.error());
  if (s.value()->header("Content-Type") != "application/json") {
    auto body = s.value()->rest();
    if (!body.ok()) return ctx.fail(body.error());
    ctx.out() << *body;
    return 0;
  }
  return display_stream(ctx, **s);
}

Command load_command() {
  Command c;
  c.name = "load";
  c.use = "[OPTIONS]";
  c.short_help = "Load an image from a tar archive or STDIN";
  c.args = Command::Args::kNone;
  c.flags = {flag("input", 'i', T::kString, "string", "Read from tar archive file, instead of STDIN"),
             flag("platform", 0, T::kList, "stringSlice",
                  "Load only the given platform(s). Formatted as a comma-separated list of "
                  "\"os[/arch[/variant]]\" (e.g., \"linux/amd64,linux/arm64/v8\")."),
             flag("quiet", 'q', T::kBool, "", "Suppress the load output")};
  c.run = run_load;
  return c;
}

// -------------------------------------------------------------------- ls --

constexpr const char* kImagesTable =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
constexpr const char* kImagesTableDigests =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const GoType& image_row_type() {
  static const GoType kType = [] {
    GoType t;
    t.kind = Kind::kStruct;
    t.name = "*formatter.imageContext";
    for (const char* f : {"ID", "Repository", "Tag", "Digest", "CreatedSince", "CreatedAt", "Size",
                          "Containers", "VirtualSize", "SharedSize", "UniqueSize"}) {
      t.fields.push_back({f, f, go_scalar(Kind::kString)});
    }
    // docker marshals the row as a map: sorted keys, HTML escaped.
    t.marshal_json = [](const ojson& self) {
      std::map<std::string, ojson> sorted;
      for (auto it = self.begin(); it != self.end(); ++it) sorted[it.key()] = it.value();
      ojson copy = ojson::object();
      for (auto& [k, v] : sorted) copy[k] = v;
      return go_json_compact(copy, true);
    };
    return t;
  }();
  return kType;
}

const GoType& image_header_type() {
  static const GoType kType = [] {
    GoType t;
    t.kind = Kind::kMap;
    t.elem = go_scalar(Kind::kString);
    return t;
  }();
  return kType;
}

ojson image_header() {
  return ojson{{"ID", "IMAGE ID"},           {"Repository", "REPOSITORY"},
               {"Tag", "TAG"},               {"Digest", "DIGEST"},
               {"CreatedSince", "CREATED"},  {"CreatedAt", "CREATED AT"},
               {"Size", "SIZE"},             {"Containers", "CONTAINERS"},
               {"VirtualSize", "VIRTUAL SIZE"}, {"SharedSize", "SHARED SIZE"},
               {"UniqueSize", "UNIQUE SIZE"}};
}

int run_images(Context& ctx, const ParsedFlags& f) {
  auto filters = parse_filter_flags(f.get_list("filter"));
  if (!f.args.empty()) filters["reference"].insert(f.args[0]);
  std::string query;
  if (f.get_bool("all")) query = "all=1";
  if (!filters.empty()) {
    query += (query.empty() ? "" : "&") + std::string("filters=") + client::query_escape(encode_filters(filters));
  }
  auto r = ctx.api().get("/images/json", query);
  if (!r.ok()) return ctx.fail(r.error());
  ojson images = ojson::parse(r->body, nullptr, false);
  if (!images.is_array()) return ctx.fail("Error reading JSON: invalid image list");
  const bool trunc = !f.get_bool("no-trunc");
  const long long now = static_cast<long long>(::time(nullptr));
  std::vector<ojson> rows;
  for (const auto& img : images) {
    const std::string id = str_of(img, "Id");
    const long long created = img.contains("Created") && img["Created"].is_number() ? img["Created"].get<long long>() : 0;
    const double size = img.contains("Size") && img["Size"].is_number() ? img["Size"].get<double>() : 0;
    std::vector<std::pair<std::string, std::string>> names;
    if (img.contains("RepoTags") && img["RepoTags"].is_array()) {
      for (const auto& t : img["RepoTags"]) {
        if (!t.is_string()) continue;
        const std::string s = t.get<std::string>();
        const auto colon = s.rfind(':');
        const auto slash = s.rfind('/');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
          names.emplace_back(s.substr(0, colon), s.substr(colon + 1));
        } else {
          names.emplace_back(s, "<none>");
        }
      }
    }
    if (names.empty()) names.emplace_back("<none>", "<none>");
    for (const auto& [repo, tag] : names) {
      ojson row = ojson::object();
      row["ID"] = trunc ? truncate_id(id) : id;
      row["Repository"] = repo;
      row["Tag"] = tag;
      row["Digest"] = "<none>";
      row["CreatedSince"] = created > 0 ? human_duration(static_cast<double>(now - created)) + " ago" : "N/A";
      row["CreatedAt"] = go_unix_time_string(created);
      row["Size"] = human_size(size);
      row["Containers"] = "N/A";
      row["VirtualSize"] = human_size4(size);
      row["SharedSize"] = "N/A";
      row["UniqueSize"] = "N/A";
      rows.push_back(row);
    }
  }
  std::string format = f.get_string("format");
  if (format.empty() || format == "table") {
    format = f.get_bool("quiet") ? "{{.ID}}" : (f.get_bool("digests") ? kImagesTableDigests : kImagesTable);
  } else if (f.get_bool("quiet")) {
    format = "{{.ID}}";
  }
  auto out = format_rows(format, rows, &image_row_type(), image_header(), &image_header_type());
  if (!out.ok()) return ctx.fail(out.error());
  ctx.out() << *out;
  return 0;
}

Command images_command(bool in_image) {
  Command c;
  c.name = in_image ? "ls" : "images";
  c.aliases = in_image ? std::vector<std::string>{"list"} : std::vector<std::string>{};
  c.use = "[OPTIONS] [REPOSITORY[:TAG]]";
  c.short_help = "List images";
  c.aliases_line = "berth image ls, berth image list, berth images";
  c.args = Command::Args::kAtMost1;
  FlagSpec filter = flag("filter", 'f', T::kList, "filter", "Filter output based on conditions provided");
  c.flags = {flag("all", 'a', T::kBool, "", "Show all images (default hides intermediate images)"),
             flag("digests", 0, T::kBool, "", "Show digests"),
             filter,
             flag("format", 0, T::kString, "string", list_format_help()),
             flag("no-trunc", 0, T::kBool, "", "Don't truncate output"),
             flag("quiet", 'q', T::kBool, "", "Only show image IDs")};
  c.run = run_images;
  c.top = !in_image;
  return c;
}

// -------------------------------------------------------------------- rm --

int run_rmi(Context& ctx, const ParsedFlags& f) {
  std::string query = f.get_bool("force") ? "force=1" : "";
  if (f.get_bool("no-prune")) query += (query.empty() ? "" : "&") + std::string("noprune=1");
  int status = 0;
  for (const auto& name : f.args) {
    auto r = ctx.api().del("/images/" + client::path_escape(name), query);
    if (!r.ok()) {
      ctx.err() << r.error().message() << "\n";
      status = 1;
      continue;
    }
    ojson items = ojson::parse(r->body, nullptr, false);
    if (!items.is_array()) continue;
    for (const auto& it : items) {
      if (!str_of(it, "Untagged").empty()) ctx.out() << "Untagged: " << str_of(it, "Untagged") << "\n";
      if (!str_of(it, "Deleted").empty()) ctx.out() << "Deleted: " << str_of(it, "Deleted") << "\n";
    }
  }
  return status;
}

Command rmi_command(bool in_image) {
  Command c;
  c.name = in_image ? "rm" : "rmi";
  c.aliases = in_image ? std::vector<std::string>{"remove"} : std::vector<std::string>{};
  c.use = "[OPTIONS] IMAGE [IMAGE...]";
  c.short_help = "Remove one or more images";
  c.aliases_line = "berth image rm, berth image remove, berth rmi";
  c.args = Command::Args::kAtLeast1;
  c.flags = {flag("force", 'f', T::kBool, "", "Force removal of the image"),
             flag("no-prune", 0, T::kBool, "", "Do not delete untagged parents")};
  c.run = run_rmi;
  return c;
}

// ------------------------------------------------------------------- tag --

int run_tag(Context& ctx, const ParsedFlags& f) {
  std::string target = f.args[1], repo = target, tag = "latest";
  const auto colon = target.rfind(':');
  const auto slash = target.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo = target.substr(0, colon);
    tag = target.substr(colon + 1);
  }
  auto r = ctx.api().post("/images/" + client::path_escape(f.args[0]) + "/tag",
                          "repo=" + client::query_escape(repo) + "&tag=" + client::query_escape(tag));
  if (!r.ok()) return ctx.fail(r.error());
  return 0;
}

Command tag_command() {
  Command c;
  c.name = "tag";
  c.use = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]";
  c.short_help = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE";
  c.args = Command::Args::kExactly2;
  c.run = run_tag;
  return c;
}

// --------------------------------------------------------------- inspect --

int run_inspect(Context& ctx, const ParsedFlags& f) {
  return render_inspect(ctx, f.args, f.get_string("format"),
                        [&](const std::string& name) -> Result<InspectObject> {
                          auto r = ctx.api().get("/images/" + client::path_escape(name) + "/json");
                          if (!r.ok()) return r.error();
                          return InspectObject{r->body, nullptr};
                        });
}

Command inspect_command() {
  Command c;
  c.name = "inspect";
  c.use = "[OPTIONS] IMAGE [IMAGE...]";
  c.short_help = "Display detailed information on one or more images";
  c.args = Command::Args::kAtLeast1;
  c.flags = {flag("format", 'f', T::kString, "string", inspect_format_help())};
  c.run = run_inspect;
  return c;
}

}  // namespace

std::vector<Command> image_top_commands() {
  std::vector<Command> v = {images_command(false), import_command(), load_command(), rmi_command(false),
                            tag_command()};
  for (auto& c : v) c.top = c.name == "images";
  return v;
}

Command image_command() {
  Command c;
  c.name = "image";
  c.short_help = "Manage images";
  c.early_ping = false;
  c.children = {import_command(), inspect_command(), load_command(), images_command(true),
                rmi_command(true), tag_command()};
  return c;
}

}  // namespace berth::cli

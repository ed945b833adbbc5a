#include "cli/container_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "cli/formatter.h"
#include "cli/go_template_internal.h"
#include "cli/image_ref.h"
#include "cli/network_format.h"

namespace berth::cli {
namespace {

using Kind = GoType::Kind;

// The row keeps the labels for the Label method under this key; it is not
// a field and {{json .}} leaves it out.
constexpr const char* kLabelsKey = "\x01labels";

constexpr const char* kDefaultTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
constexpr const char* kRawFormat =
    "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: "
    "{{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: "
    "{{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";

std::string str_field(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

long long int_field(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<long long>();
}

// A wide character (East Asian Wide or Fullwidth) takes two columns.
int char_width(char32_t r) {
  if ((r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) ||
      (r >= 0x3041 && r <= 0x33FF) || (r >= 0x3400 && r <= 0x4DBF) ||
      (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xA000 && r <= 0xA4CF) ||
      (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
      (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
      (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
      (r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

// Splits UTF-8 into code points, each with its bytes.
std::vector<std::pair<char32_t, std::string>> runes(std::string_view s) {
  std::vector<std::pair<char32_t, std::string>> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    char32_t r = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) r = (r << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.emplace_back(r, std::string(s.substr(i, n)));
    i += n;
  }
  return out;
}

// net.JoinHostPort.
std::string join_host_port(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::string form_group(const std::string& key, unsigned first, unsigned last) {
  std::string type = key, ip;
  size_t slash = key.find('/');
  if (slash != std::string::npos) {
    ip = key.substr(0, slash);
    type = key.substr(slash + 1);
    size_t next = type.find('/');
    if (next != std::string::npos) type = type.substr(0, next);
  }
  std::string group = std::to_string(first);
  if (first != last) group += "-" + std::to_string(last);
  if (!ip.empty()) group = join_host_port(ip, group) + "->" + group;
  return group + "/" + type;
}

GoTypePtr string_type() {
  static const GoTypePtr t = [] {
    auto s = std::make_shared<GoType>();
    s->kind = Kind::kString;
    return s;
  }();
  return t;
}

GoTypePtr platform_type() {
  static const GoTypePtr t = [] {
    auto p = std::make_shared<GoType>();
    p->kind = Kind::kStruct;
    p->name = "*formatter.Platform";
    p->pointer = true;
    return p;
  }();
  return t;
}

// The row type; `size_used`, when set, records calls of .Size (docker's
// FieldsUsed pre-processing).
GoType row_type(bool* size_used) {
  GoType t;
  t.kind = Kind::kStruct;
  t.name = "*formatter.ContainerContext";
  for (const char* f : {"ID", "Names", "Image", "Command", "CreatedAt", "RunningFor", "Ports",
                        "State", "Status", "Labels", "Mounts", "LocalVolumes", "Networks"}) {
    t.fields.push_back({f, f, string_type()});
  }
  t.fields.push_back({"Platform", "Platform", platform_type()});
  t.methods["Size"] = [size_used](const ojson& self,
                                  const std::vector<ojson>& args) -> Result<ojson> {
    if (!args.empty()) {
      return invalid_argument("wrong number of args for Size: want 0 got " +
                              std::to_string(args.size()));
    }
    if (size_used != nullptr) *size_used = true;
    return ojson(str_field(self, "Size"));
  };
  t.methods["Label"] = [](const ojson& self, const std::vector<ojson>& args) -> Result<ojson> {
    if (args.size() != 1 || !args[0].is_string()) {
      return invalid_argument("wrong number of args for Label: want 1 got " +
                              std::to_string(args.size()));
    }
    auto it = self.find(kLabelsKey);
    if (it == self.end()) return ojson("");
    auto v = it->find(args[0].get<std::string>());
    return ojson(v == it->end() ? "" : v->get<std::string>());
  };
  // formatter.MarshalJSON: every method's value, keys sorted, <>& escaped.
  t.marshal_json = [size_used](const ojson& self) {
    if (size_used != nullptr) *size_used = true;
    std::map<std::string, ojson> sorted;
    for (const auto& [k, v] : self.items()) {
      if (k != kLabelsKey) sorted[k] = v;
    }
    ojson copy = ojson::object();
    for (auto& [k, v] : sorted) copy[k] = v;
    return go_json_compact(copy, true);
  };
  return t;
}

const GoType& header_type() {
  static const GoType kType = [] {
    GoType t;
    t.kind = Kind::kMap;
    t.elem = string_type();
    t.methods["Label"] = [](const ojson&, const std::vector<ojson>& args) -> Result<ojson> {
      if (args.size() != 1 || !args[0].is_string()) {
        return invalid_argument("wrong number of args for Label");
      }
      return ojson(header_label(args[0].get<std::string>()));
    };
    return t;
  }();
  return kType;
}

ojson header() {
  return ojson{{"ID", "CONTAINER ID"},
               {"Names", "NAMES"},
               {"Image", "IMAGE"},
               {"Command", "COMMAND"},
               {"CreatedAt", "CREATED AT"},
               {"RunningFor", "CREATED"},
               {"Ports", "PORTS"},
               {"State", "STATE"},
               {"Status", "STATUS"},
               {"Size", "SIZE"},
               {"Labels", "LABELS"},
               {"Mounts", "MOUNTS"},
               {"LocalVolumes", "LOCAL VOLUMES"},
               {"Networks", "NETWORKS"},
               {"Platform", "PLATFORM"}};
}

std::string image_column(const ojson& c, bool trunc) {
  std::string image = str_field(c, "Image");
  if (image.empty()) return "<no image>";
  if (!trunc) return image;
  std::string image_id = str_field(c, "ImageID");
  if (truncate_id(image_id) == truncate_id(image)) return truncate_id(image);
  auto ref = parse_image_reference(image);
  if (!ref.ok() || !ref->named) return image;
  ImageRef r = *ref;
  r.digest.clear();
  return r.familiar();
}

}  // namespace

std::string human_duration(double seconds_f) {
  long long seconds = static_cast<long long>(seconds_f);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  long long minutes = static_cast<long long>(seconds_f / 60);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  long long hours = static_cast<long long>(seconds_f / 3600 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<long long>(seconds_f / 3600) / 24 / 365) + " years";
}

std::string human_size(double size) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.*g%s", 3, size, kUnits[i]);
  return buf;
}

std::string ellipsis(std::string_view s, int width) {
  if (width <= 0) return "";
  auto rs = runes(s);
  if (width == 1) return rs.empty() ? "" : rs[0].second;
  bool ascii = rs.size() == s.size();
  if (ascii) {
    if (static_cast<int>(s.size()) <= width) return std::string(s);
    return std::string(s.substr(0, static_cast<size_t>(width - 1))) + "…";
  }
  std::vector<int> display;
  int total = 0;
  for (const auto& [r, bytes] : rs) {
    total += char_width(r);
    display.push_back(total);
  }
  if (total <= width) return std::string(s);
  for (size_t i = 0; i + 1 < display.size(); ++i) {
    if (display[i] <= width - 1 && display[i + 1] > width - 1) {
      std::string out;
      for (size_t k = 0; k <= i; ++k) out += rs[k].second;
      return out + "…";
    }
  }
  return std::string(s);
}

std::string displayable_ports(const ojson& ports_json) {
  struct Port {
    std::string ip, type;
    unsigned priv = 0, pub = 0;
  };
  std::vector<Port> ports;
  if (ports_json.is_array()) {
    for (const auto& p : ports_json) {
      Port x;
      x.ip = str_field(p, "IP");
      x.type = str_field(p, "Type");
      x.priv = static_cast<unsigned>(int_field(p, "PrivatePort"));
      x.pub = static_cast<unsigned>(int_field(p, "PublicPort"));
      ports.push_back(x);
    }
  }
  std::stable_sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    if (a.priv != b.priv) return a.priv < b.priv;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.pub != b.pub) return a.pub < b.pub;
    return a.type < b.type;
  });
  struct Group {
    unsigned first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_mappings;
  for (const auto& p : ports) {
    std::string key = p.type;
    if (!p.ip.empty()) {
      if (p.pub != p.priv) {
        host_mappings.push_back(join_host_port(p.ip, std::to_string(p.pub)) + "->" +
                                std::to_string(p.priv) + "/" + p.type);
        continue;
      }
      key = p.ip + "/" + p.type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = Group{p.priv, p.priv};
      keys.push_back(key);
      continue;
    }
    if (p.priv == it->second.last + 1) {
      it->second.last = p.priv;
      continue;
    }
    result.push_back(form_group(key, it->second.first, it->second.last));
    it->second = Group{p.priv, p.priv};
  }
  for (const auto& k : keys) result.push_back(form_group(k, groups[k].first, groups[k].last));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  std::string out;
  for (size_t i = 0; i < result.size(); ++i) out += (i > 0 ? ", " : "") + result[i];
  return out;
}

std::string go_unix_time_string(long long unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char zone[32];
  snprintf(zone, sizeof zone, " %c%02ld%02ld ", sign, off / 3600, (off / 60) % 60);
  std::string name = tm.tm_zone != nullptr ? tm.tm_zone : "";
  if (name.empty()) {
    // Go names a zone without abbreviation by its offset: "+0300".
    name = std::string(zone + 1, 5);
  }
  return std::string(date) + zone + name;
}

ojson container_row(const ojson& c, bool trunc, long long now_unix) {
  ojson row = ojson::object();
  std::string id = str_field(c, "Id");
  row["ID"] = trunc ? truncate_id(id) : id;
  // Names: a truncated row shows the first name that is not a legacy link.
  std::string names;
  auto nit = c.find("Names");
  if (nit != c.end() && nit->is_array()) {
    bool first = true;
    for (const auto& n : *nit) {
      std::string name = n.is_string() ? n.get<std::string>() : "";
      if (!name.empty() && name[0] == '/') name = name.substr(1);
      if (trunc) {
        if (name.find('/') == std::string::npos) {
          names = name;
          break;
        }
        continue;
      }
      if (!first) names += ",";
      names += name;
      first = false;
    }
  }
  row["Names"] = names;
  row["Image"] = image_column(c, trunc);
  std::string command = str_field(c, "Command");
  if (trunc) command = ellipsis(command, 20);
  row["Command"] = template_internal::quote_go(command);
  long long created = int_field(c, "Created");
  row["CreatedAt"] = go_unix_time_string(created);
  row["RunningFor"] = human_duration(static_cast<double>(now_unix - created)) + " ago";
  row["Ports"] = displayable_ports(c.contains("Ports") ? c["Ports"] : ojson());
  row["State"] = str_field(c, "State");
  row["Status"] = str_field(c, "Status");
  long long size_rw = int_field(c, "SizeRw"), size_root = int_field(c, "SizeRootFs");
  std::string size = human_size(static_cast<double>(size_rw));
  if (size_root > 0) size += " (virtual " + human_size(static_cast<double>(size_root)) + ")";
  row["Size"] = size;
  std::map<std::string, std::string> sorted_labels;
  auto lit = c.find("Labels");
  if (lit != c.end() && lit->is_object()) {
    for (const auto& [k, v] : lit->items()) {
      sorted_labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  std::string labels;
  ojson label_map = ojson::object();
  for (const auto& [k, v] : sorted_labels) {
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
    label_map[k] = v;
  }
  row["Labels"] = labels;
  std::string mounts;
  int local_volumes = 0;
  auto mit = c.find("Mounts");
  if (mit != c.end() && mit->is_array()) {
    bool first = true;
    for (const auto& m : *mit) {
      std::string name = str_field(m, "Name");
      if (name.empty()) name = str_field(m, "Source");
      if (trunc) name = ellipsis(name, 15);
      mounts += (first ? "" : ",") + name;
      first = false;
      if (str_field(m, "Driver") == "local") ++local_volumes;
    }
  }
  row["Mounts"] = mounts;
  row["LocalVolumes"] = std::to_string(local_volumes);
  // Go ranges over the network map in random order; berth keeps the
  // daemon's order.
  std::string networks;
  auto nsit = c.find("NetworkSettings");
  if (nsit != c.end() && nsit->is_object()) {
    auto nets = nsit->find("Networks");
    if (nets != nsit->end() && nets->is_object()) {
      for (const auto& [k, v] : nets->items()) networks += (networks.empty() ? "" : ",") + k;
    }
  }
  row["Networks"] = networks;
  row["Platform"] = nullptr;
  row[kLabelsKey] = label_map;
  return row;
}

Result<bool> ps_template_uses_size(const std::string& format) {
  auto tmpl = GoTemplate::parse(format);
  if (!tmpl.ok()) return invalid_argument("failed to parse template: " + tmpl.error().message());
  bool used = false;
  GoType t = row_type(&used);
  std::string discard;
  Status s = tmpl->execute(container_row(ojson::object(), false, 0), &t, &discard);
  if (!s.ok()) return invalid_argument("failed to execute template: " + s.error().message());
  return used;
}

Result<std::string> render_container_list(const ojson& containers, const PsOptions& o, bool size,
                                          long long now_unix) {
  std::string f;
  if (o.format.empty() || o.format == "table") {
    f = o.quiet ? "{{.ID}}" : std::string(kDefaultTable) + (size ? "\t{{.Size}}" : "");
  } else if (o.format == "raw") {
    f = o.quiet ? "container_id: {{.ID}}"
                : std::string(kRawFormat) + (size ? "size: {{.Size}}\\n" : "");
  } else {
    f = o.quiet ? "{{.ID}}" : o.format;
  }
  std::vector<ojson> rows;
  if (containers.is_array()) {
    for (const auto& c : containers) rows.push_back(container_row(c, !o.no_trunc, now_unix));
  }
  GoType t = row_type(nullptr);
  return format_rows(f, rows, &t, header(), &header_type());
}

}  // namespace berth::cli

#include "cli/network_format.h"

#include <algorithm>
#include <map>

#include "cli/formatter.h"
#include "cli/go_time.h"

namespace berth::cli {
namespace {

using Kind = GoType::Kind;

// The row keeps the network's labels under this key for the Label method;
// it is not a field and {{json .}} leaves it out.
constexpr const char* kLabelsKey = "\x01labels";

constexpr const char* kDefaultTableFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

std::string str_field(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string bool_field(const ojson& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_boolean() && it->get<bool>()) ? "true" : "false";
}

GoTypePtr structure(std::string name, std::vector<GoType::Field> fields) {
  auto t = std::make_shared<GoType>();
  t->kind = Kind::kStruct;
  t->name = std::move(name);
  t->fields = std::move(fields);
  return t;
}

}  // namespace

std::string truncate_id(std::string_view id) {
  size_t colon = id.find(':');
  if (colon != std::string_view::npos) id = id.substr(colon + 1);
  return std::string(id.substr(0, 12));
}

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char c1 = a[i], c2 = b[j];
    bool d1 = digit(c1), d2 = digit(c2);
    if (d1 != d2) return d1;
    if (!d1) {
      if (c1 != c2) return static_cast<unsigned char>(c1) < static_cast<unsigned char>(c2);
      ++i;
      ++j;
      continue;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    size_t nz1 = i, nz2 = j;
    while (i < a.size() && digit(a[i])) ++i;
    while (j < b.size() && digit(b[j])) ++j;
    size_t len1 = i - nz1, len2 = j - nz2;
    if (len1 != len2) return len1 < len2;
    std::string_view n1 = a.substr(nz1, len1), n2 = b.substr(nz2, len2);
    if (n1 != n2) return n1 < n2;
    if (nz1 != nz2) return nz1 < nz2;
  }
  return a.size() - i < b.size() - j;
}

ojson network_row(const ojson& summary, bool trunc) {
  ojson row = ojson::object();
  std::string created = str_field(summary, "Created");
  row["CreatedAt"] = go_time_string(created.empty() ? "0001-01-01T00:00:00Z" : created);
  row["Driver"] = str_field(summary, "Driver");
  std::string id = str_field(summary, "Id");
  row["ID"] = trunc ? truncate_id(id) : id;
  row["IPv4"] = bool_field(summary, "EnableIPv4");
  row["IPv6"] = bool_field(summary, "EnableIPv6");
  row["Internal"] = bool_field(summary, "Internal");
  // Go ranges over the label map in random order; berth sorts.
  std::string labels;
  auto lit = summary.find("Labels");
  ojson label_map = ojson::object();
  if (lit != summary.end() && lit->is_object()) {
    std::map<std::string, std::string> sorted;
    for (const auto& [k, v] : lit->items()) {
      sorted[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    for (const auto& [k, v] : sorted) {
      if (!labels.empty()) labels += ",";
      labels += k + "=" + v;
      label_map[k] = v;
    }
  }
  row["Labels"] = labels;
  row["Name"] = str_field(summary, "Name");
  row["Scope"] = str_field(summary, "Scope");
  row[kLabelsKey] = label_map;
  return row;
}

const GoType& network_row_type() {
  static const GoType kType = [] {
    GoType t;
    t.kind = Kind::kStruct;
    t.name = "*network.networkContext";
    for (const char* f :
         {"CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope"}) {
      t.fields.push_back({f, f, go_scalar(Kind::kString)});
    }
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
    // formatter.MarshalJSON uses json.Marshal: sorted keys, <>& escaped.
    t.marshal_json = [](const ojson& self) {
      ojson copy = self;
      copy.erase(kLabelsKey);
      return go_json_compact(copy, true);
    };
    return t;
  }();
  return kType;
}

namespace {

const GoType& network_header_type() {
  static const GoType kType = [] {
    GoType t;
    t.kind = Kind::kMap;
    t.elem = go_scalar(Kind::kString);
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

ojson network_header() {
  return ojson{{"ID", "NETWORK ID"},     {"Name", "NAME"},     {"Driver", "DRIVER"},
               {"Scope", "SCOPE"},       {"IPv4", "IPV4"},     {"IPv6", "IPV6"},
               {"Internal", "INTERNAL"}, {"Labels", "LABELS"}, {"CreatedAt", "CREATED AT"}};
}

}  // namespace

Result<std::string> render_network_list(const ojson& networks, const std::string& format,
                                        bool quiet, bool no_trunc) {
  std::string f = format.empty() ? "table" : format;
  if (f == "table") {
    f = quiet ? "{{.ID}}" : kDefaultTableFormat;
  } else if (f == "raw") {
    f = quiet ? "network_id: {{.ID}}"
              : "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: "
                "{{.Scope}}\\n";
  }
  std::vector<const ojson*> sorted;
  if (networks.is_array()) {
    for (const auto& n : networks) sorted.push_back(&n);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const ojson* a, const ojson* b) {
    return natural_less(str_field(*a, "Name"), str_field(*b, "Name"));
  });
  std::vector<ojson> rows;
  for (const ojson* n : sorted) rows.push_back(network_row(*n, !no_trunc));
  return format_rows(f, rows, &network_row_type(), network_header(), &network_header_type());
}

const GoType& network_inspect_type() {
  static const GoType kType = [] {
    auto str = go_scalar(Kind::kString);
    auto boolean = go_scalar(Kind::kBool);
    auto str_map = go_map_of(str);
    auto ipam_config =
        structure("network.IPAMConfig", {{"Subnet", "Subnet", str},
                                         {"IPRange", "IPRange", str},
                                         {"Gateway", "Gateway", str},
                                         {"AuxAddress", "AuxiliaryAddresses", str_map}});
    auto ipam = structure("network.IPAM", {{"Driver", "Driver", str},
                                           {"Options", "Options", str_map},
                                           {"Config", "Config", go_slice_of(ipam_config)}});
    auto config_ref = structure("network.ConfigReference", {{"Network", "Network", str}});
    auto endpoint = structure("network.EndpointResource", {{"Name", "Name", str},
                                                           {"EndpointID", "EndpointID", str},
                                                           {"MacAddress", "MacAddress", str},
                                                           {"IPv4Address", "IPv4Address", str},
                                                           {"IPv6Address", "IPv6Address", str}});
    auto peer = structure("network.PeerInfo", {{"Name", "Name", str}, {"IP", "IP", str}});
    GoType t;
    t.kind = Kind::kStruct;
    t.name = "network.Inspect";
    t.fields = {{"Name", "Name", str},
                {"ID", "Id", str},
                {"Created", "Created", go_scalar(Kind::kTime)},
                {"Scope", "Scope", str},
                {"Driver", "Driver", str},
                {"EnableIPv4", "EnableIPv4", boolean},
                {"EnableIPv6", "EnableIPv6", boolean},
                {"IPAM", "IPAM", ipam},
                {"Internal", "Internal", boolean},
                {"Attachable", "Attachable", boolean},
                {"Ingress", "Ingress", boolean},
                {"ConfigFrom", "ConfigFrom", config_ref},
                {"ConfigOnly", "ConfigOnly", boolean},
                {"Containers", "Containers", go_map_of(endpoint)},
                {"Options", "Options", str_map},
                {"Labels", "Labels", str_map},
                {"Peers", "Peers", go_slice_of(peer)},
                {"Services", "Services", go_map_of(nullptr)}};
    return t;
  }();
  return kType;
}

}  // namespace berth::cli

#include "cli/formatter.h"

#include "cli/tabwriter.h"

namespace berth::cli {

bool is_table_format(std::string_view format) { return format.substr(0, 5) == "table"; }

std::string header_label(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string h(dot == std::string_view::npos ? name : name.substr(dot + 1));
  for (char& c : h) {
    if (c == '-' || c == '_') c = ' ';
  }
  return h;
}

Result<std::string> format_rows(std::string_view format, const std::vector<ojson>& rows,
                                const GoType* row_type, const ojson& header,
                                const GoType* header_type) {
  const bool table = is_table_format(format);
  std::string f(format);
  if (table) {
    f = f.substr(5);
  } else if (f == "json") {
    f = "{{json .}}";
  }
  // strings.Trim(f, " ")
  size_t b = f.find_first_not_of(' ');
  size_t e = f.find_last_not_of(' ');
  f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  std::string replaced;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      replaced += f[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      replaced += f[i];
    }
  }
  auto tmpl = GoTemplate::parse(replaced);
  if (!tmpl.ok()) return invalid_argument("template parsing error: " + tmpl.error().message());

  std::string body;
  for (const auto& row : rows) {
    Status s = tmpl->execute(row, row_type, &body);
    if (!s.ok()) return invalid_argument("template parsing error: " + s.error().message());
    body += "\n";
  }
  if (!table) return body;
  // The header's errors are ignored, as docker's postFormat does; whatever
  // was rendered before the error is the header.
  std::string head;
  TemplateOptions ho;
  ho.header_functions = true;
  (void)tmpl->execute(header, header_type, &head, ho);
  return tabwrite(head + "\n" + body, 10, 3);
}

}  // namespace berth::cli

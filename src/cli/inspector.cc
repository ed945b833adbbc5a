// Docker's inspect output (cli/command/inspect/inspector.go), shared by
// `berth inspect`, `container inspect` and `network inspect`.
#include "cli/inspector.h"

#include <ostream>

#include "cli/json_text.h"

namespace berth::cli {

using ojson = nlohmann::ordered_json;

int render_inspect(Context& ctx, const std::vector<std::string>& names, const std::string& format,
           const std::function<Result<InspectObject>(const std::string&)>& get) {
  std::optional<GoTemplate> tmpl;
  if (!format.empty() && format != "json") {
    auto t = GoTemplate::parse(format);
    if (!t.ok()) {
      ctx.err() << "template parsing error: " << t.error().message() << "\n";
      return 64;
    }
    tmpl = std::move(*t);
  }
  std::vector<std::string> errors, raws;
  std::string templated;
  for (const auto& name : names) {
    auto found = get(name);
    if (!found.ok()) {
      errors.push_back(found.error().message());
      continue;
    }
    if (!tmpl) {
      raws.push_back(found->raw);
      continue;
    }
    ojson obj = ojson::parse(found->raw, nullptr, false);
    if (obj.is_discarded()) {
      errors.push_back("Error reading JSON: invalid inspect response");
      continue;
    }
    std::string out;
    if (found->type != nullptr && tmpl->execute(obj, found->type, &out).ok()) {
      templated += out + "\n";
      continue;
    }
    out.clear();
    TemplateOptions strict;
    strict.missing_key_error = true;
    Status s = tmpl->execute(obj, nullptr, &out, strict);
    if (!s.ok()) {
      errors.push_back("template parsing error: " + s.error().message());
      continue;
    }
    templated += out + "\n";
  }
  if (tmpl) {
    ctx.out() << (templated.empty() ? "\n" : templated);
  } else if (raws.empty()) {
    ctx.out() << "[]\n";
  } else {
    std::string joined = "[";
    for (size_t i = 0; i < raws.size(); ++i) joined += (i > 0 ? "," : "") + raws[i];
    joined += "]";
    auto laid_out = format.empty() ? json_indent(joined, "", "    ") : json_compact(joined);
    if (!laid_out.ok()) return ctx.fail(laid_out.error());
    ctx.out() << *laid_out << "\n";
  }
  if (!errors.empty()) {
    std::string all;
    for (size_t i = 0; i < errors.size(); ++i) all += (i > 0 ? "\n" : "") + errors[i];
    return ctx.fail(all);
  }
  return 0;
}

}  // namespace berth::cli

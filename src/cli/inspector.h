// Docker's inspect output, shared by every inspect command: without a
// template the raw bodies inside "[" "]", re-indented (compact for
// --format json); with one, the typed object is tried first (Go field
// names), then the raw map with missingkey=error. Errors for individual
// names are collected and reported after the output, exit 1.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/go_template.h"

namespace berth::cli {

struct InspectObject {
  std::string raw;               // the daemon's body, printed as received
  const GoType* type = nullptr;  // typed view for templates; nullptr: raw map only
};

// Fetches each name with `get` and prints as docker does; returns the exit code.
int render_inspect(Context& ctx, const std::vector<std::string>& names, const std::string& format,
                   const std::function<Result<InspectObject>(const std::string&)>& get);

}  // namespace berth::cli

// docker's list formatting (cli/command/formatter.Context): a --format
// value is "table", "table TEMPLATE", "json" or a Go template; literal \t
// and \n in it become tab and newline; table output goes through the
// tabwriter (min width 10, padding 3) under a header row rendered from the
// same template over a map of column names. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/go_template.h"
#include "common/result.h"

namespace berth::cli {

bool is_table_format(std::string_view format);

// Renders `rows` (each typed by `row_type`) with `format`. `header` maps
// field names to column titles (typed by `header_type`, which may add a
// Label method). Errors read "template parsing error: ...", as docker's.
Result<std::string> format_rows(std::string_view format, const std::vector<ojson>& rows,
                                const GoType* row_type, const ojson& header,
                                const GoType* header_type);

// docker's SubHeaderContext.Label: the last dot-separated part of a label
// name with '-' and '_' turned into spaces ("com.example.my-label" → "my label").
std::string header_label(std::string_view name);

}  // namespace berth::cli

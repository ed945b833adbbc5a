// Re-layout of JSON text without decoding it, as Go's json.Indent and
// json.Compact do: string tokens are copied byte for byte, so the daemon's
// \u003c escapes and number spellings reach the user unchanged (docker
// prints inspect bodies this way). Pure.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::cli {

// json.Indent(dst, src, prefix, indent): one element per line, "{}" and "[]"
// kept compact, trailing whitespace after the value preserved.
Result<std::string> json_indent(std::string_view src, std::string_view prefix,
                                std::string_view indent);

// json.Compact: insignificant whitespace removed.
Result<std::string> json_compact(std::string_view src);

}  // namespace berth::cli

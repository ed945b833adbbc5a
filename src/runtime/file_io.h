// Small file helpers of the runtime (bundle files, /proc reads). Errors carry
// the path: "write /x/exit.json: No space left on device".
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::runtime {

// The whole file; NotFound when it does not exist.
Result<std::string> read_file(const std::string& path);

// Writes `content` to path.tmp, fsyncs nothing (bundle files are rebuilt from
// the store after a crash of the machine), and renames it over `path`.
Status write_file_atomic(const std::string& path, std::string_view content, int mode = 0644);

// An errno as an Error of the right kind (ENOENT → NotFound, EEXIST →
// Conflict, else Internal): "<what>: <strerror>".
Error errno_to_error(const std::string& what, int err);

}  // namespace berth::runtime

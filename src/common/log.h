// Process-wide logger (spdlog). berthd logs to stderr; the level comes from
// --log-level. Format JSON with j.dump(), never pass a json to the formatter.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace berth::log {

// Sets the level from dockerd's names: debug, info, warn, error, fatal.
// Returns false for an unknown name.
bool set_level(const std::string& name);

}  // namespace berth::log

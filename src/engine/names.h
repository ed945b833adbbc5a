// Generated container names, as Docker makes them: "<adjective>_<surname>"
// (moby pkg/namesgenerator). The word lists here are berth's own.
#pragma once

#include <string>

namespace berth::engine {

// A random "<adjective>_<surname>"; retry > 0 appends a digit as Docker does.
std::string generate_name(int retry);

}  // namespace berth::engine

// Helpers shared by extract.cc and docker_save.cc. Internal to image/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

struct archive;

namespace berth::image {

// Cleans a tar entry path to a relative path without "." or ".." ("" is the
// root; a leading '/' is dropped, as Docker joins entries to the root);
// nullopt when ".." would leave the root.
std::optional<std::string> clean_relative(std::string_view p);

// Opens `path` for reading into `a`; `source` is an extract.cc Source.
Status open_archive_file(struct archive* a, const std::string& path, void* source);

}  // namespace berth::image

// Image references as docker's CLI reads them (distribution/reference):
// "nginx:1.23" is docker.io/library/nginx with tag 1.23. `run` and `create`
// need this for the "Unable to find image 'nginx:latest' locally" message
// and the pull request (fromImage=docker.io/library/nginx&tag=latest) that
// follow a 404 from create. Pure.
#pragma once

#include <string>

#include "common/result.h"

namespace berth::cli {

struct ImageRef {
  // False for an image ID ("sha256:…" or 64 hex digits): such references
  // are never pulled.
  bool named = true;
  std::string domain;  // docker.io
  std::string path;    // library/nginx
  std::string tag;     // may be empty
  std::string digest;  // sha256:…, may be empty

  std::string name() const { return domain + "/" + path; }
  // reference.FamiliarString: "nginx:1.23", "user/app", "reg:5000/x:1".
  std::string familiar() const;
};

// reference.ParseAnyReference, with the errors docker prints
// ("invalid reference format", "invalid reference format: repository name
// (library/UPPER) must be lowercase").
Result<ImageRef> parse_image_reference(const std::string& s);

// reference.TagNameOnly: adds "latest" when there is neither tag nor digest.
ImageRef tag_name_only(ImageRef r);

}  // namespace berth::cli

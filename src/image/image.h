// berth::image — images from tarballs, without a registry: image references
// (`ubuntu:14.04`), layer extraction with libarchive (whiteouts turned into
// overlayfs form, every path checked), the `docker save` layouts read by
// `docker load`, and the image config `docker import --change` builds.
//
// Layers are unpacked one directory each; a container's root file system is
// an overlay of them (runtime/). Nothing here touches the store: the engine
// prepares an image in a staging directory with these functions and commits
// it (rename + rows) only when everything succeeded, so a bad archive leaves
// nothing behind.
//
// Threading: every function is safe to call from any thread; none keeps state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace berth::image {

// ---------------------------------------------------------------------------
// References

// A tagged name in Docker's familiar form: "ubuntu:14.04", "dbgurum/nginxlb:1.0",
// "localhost:5000/x:1". "docker.io/library/" is dropped, a missing tag is
// "latest".
struct Reference {
  std::string repo;
  std::string tag;
  std::string str() const { return repo + ":" + tag; }
};

// Parses NAME[:TAG]; InvalidArgument "invalid reference format" (Docker's
// text, with ": repository name (X) must be lowercase" for upper case).
// Digests (@sha256:…) are refused: berth stores no digests.
Result<Reference> parse_reference(std::string_view s);

// Could `s` be (a prefix of) an image id: [sha256:]hex…
bool looks_like_id(std::string_view s);

// ---------------------------------------------------------------------------
// Hashes

// "sha256:" + lowercase hex of the bytes.
std::string sha256_digest(std::string_view bytes);

// ---------------------------------------------------------------------------
// Layer extraction

struct ExtractOptions {
  // false for the lowest layer: there is nothing below to hide, so whiteout
  // entries are dropped instead of turned into 0/0 character devices.
  bool whiteouts = true;
  // Called now and then with the archive bytes consumed so far.
  std::function<void(uint64_t)> progress;
};

struct ExtractStats {
  uint64_t size = 0;        // bytes of regular file content
  uint64_t entries = 0;
  std::string raw_digest;   // sha256 of the archive file as stored
  bool compressed = false;  // a compression filter was in the way (gzip, xz, zstd…)
};

// Extracts the tar (optionally compressed) at `archive_path` into `dest`, an
// existing empty directory on a file system with overlayfs support. Numeric
// owners are kept (no name lookup), as are modes, times and xattrs (except
// trusted.overlay.*, which a tar must not smuggle in). Whiteouts: `.wh.NAME`
// becomes a 0/0 character device NAME, `.wh..wh..opq` sets
// trusted.overlay.opaque=y on its directory; other `.wh..wh.*` entries are
// skipped. Refused (InvalidArgument, nothing promised about `dest`; the
// caller removes it): not a tar, truncated, a path with `..` leaving the
// root, a hard link whose target leaves the root, a relative symlink
// pointing out of the root, writing through a symlink.
Result<ExtractStats> extract_layer(const std::string& archive_path, const std::string& dest,
                                   const ExtractOptions& opts = {});

// ---------------------------------------------------------------------------
// docker save archives

// One image of a `docker save` archive, as its manifest names it. Paths are
// files inside the unpacked archive (symlinks already resolved).
struct SavedImage {
  std::string config_path;
  std::string config;  // the config blob's bytes (its sha256 is the image id)
  std::vector<std::string> layer_paths;
  std::vector<std::string> repo_tags;  // as in the manifest ("name:tag")
};

// Unpacks the outer archive (plain files and directories; symlinks, which
// docker 25+ writes for the legacy layout, are resolved inside `staging`
// without being created) into `staging`, then reads manifest.json — or, when
// there is none, the OCI index.json — and returns its images. Refused with a
// clear InvalidArgument: not a tar, truncated, path traversal, no manifest,
// a manifest naming a missing config or layer, malformed JSON.
Result<std::vector<SavedImage>> read_docker_save(const std::string& archive_path,
                                                 const std::string& staging,
                                                 const std::function<void(uint64_t)>& progress = {});

// ---------------------------------------------------------------------------
// Image configs

// Applies `docker import --change` lines (Dockerfile syntax) to a container
// config (Docker's container.Config JSON object): CMD, ENTRYPOINT (JSON or
// shell form), ENV k=v… / ENV k v, WORKDIR, EXPOSE 80 80/udp, USER, LABEL,
// STOPSIGNAL, VOLUME. Other instructions are InvalidArgument with Docker's
// text: "<instr> is not a valid change command".
Status apply_changes(nlohmann::ordered_json& config, const std::vector<std::string>& changes);

// The config blob of an imported root file system, keys in dockerd's order:
// architecture, comment, config, created, history, os, rootfs.
std::string import_config(const nlohmann::ordered_json& container_config,
                          const std::string& comment, const std::string& created_rfc3339,
                          const std::string& diff_id);

// An empty container.Config object, keys as dockerd writes them.
nlohmann::ordered_json empty_container_config();

}  // namespace berth::image

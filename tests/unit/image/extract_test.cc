// Layer extraction and docker-save reading on archives built here with
// libarchive: whiteouts in overlay form, numeric owners, every refusal.
// Needs root (whiteout devices, trusted.* xattrs, chown).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "image/image.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string name;
  std::string data;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target, or hardlink target when hard
  bool hard = false;
  int uid = 0, gid = 0;
  std::string xattr_name, xattr_value;
};

void write_tar(const std::string& path, const std::vector<Entry>& entries, bool gzip = false) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    archive_entry_set_uid(en, e.uid);
    archive_entry_set_gid(en, e.gid);
    if (e.hard) {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_perm(en, 0644);
      archive_entry_set_hardlink(en, e.link.c_str());
    } else {
      archive_entry_set_filetype(en, e.type);
      archive_entry_set_perm(en, e.type == AE_IFDIR ? 0755 : 0644);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(en, e.link.c_str());
      if (e.type == AE_IFREG) archive_entry_set_size(en, static_cast<la_int64_t>(e.data.size()));
    }
    if (!e.xattr_name.empty()) {
      archive_entry_xattr_add_entry(en, e.xattr_name.c_str(), e.xattr_value.data(), e.xattr_value.size());
    }
    archive_write_header(a, en);
    if (!e.hard && e.type == AE_IFREG && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Extract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root";
    char tmpl[] = "/tmp/berth-extract-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::create_directories(dest());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dest() const { return dir_ + "/dest"; }
  std::string tar() const { return dir_ + "/layer.tar"; }
  std::string dir_;
};

TEST_F(Extract, FilesLinksAndNumericOwners) {
  write_tar(tar(), {{"./etc/", "", AE_IFDIR},
                    {"./etc/passwd", "root:x:0:0::/root:/bin/sh\n", AE_IFREG, "", false, 1001, 1001},
                    {"bin", "", AE_IFLNK, "usr/bin"},
                    {"abs", "", AE_IFLNK, "/etc/passwd"},
                    {"etc/hard", "", AE_IFREG, "etc/passwd", true},
                    {"/rooted", "x"}});
  auto st = extract_layer(tar(), dest());
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(dest() + "/etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
  struct stat sb {};
  ASSERT_EQ(::stat((dest() + "/etc/passwd").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_uid, 1001u);  // not mapped through the host's passwd
  EXPECT_EQ(sb.st_gid, 1001u);
  EXPECT_EQ(sb.st_nlink, 2u);
  EXPECT_EQ(fs::read_symlink(dest() + "/bin"), "usr/bin");
  EXPECT_EQ(fs::read_symlink(dest() + "/abs"), "/etc/passwd");  // absolute: resolved in the container
  EXPECT_TRUE(fs::exists(dest() + "/rooted"));
  EXPECT_EQ(st->size, 27u);
  EXPECT_EQ(st->raw_digest, sha256_digest(slurp(tar())));
  EXPECT_FALSE(st->compressed);
}

TEST_F(Extract, WhiteoutsBecomeOverlayForm) {
  write_tar(tar(), {{"data/.wh.gone", ""}, {"opq/.wh..wh..opq", ""}, {"opq/new", "n"}, {".wh..wh.plnk", ""}});
  ASSERT_TRUE(extract_layer(tar(), dest()).ok());
  struct stat sb {};
  ASSERT_EQ(::lstat((dest() + "/data/gone").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISCHR(sb.st_mode));
  EXPECT_EQ(sb.st_rdev, makedev(0, 0));
  char v[4] = {};
  EXPECT_EQ(::getxattr((dest() + "/opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(dest() + "/opq/.wh..wh..opq"));
  EXPECT_FALSE(fs::exists(dest() + "/.wh..wh.plnk"));
}

TEST_F(Extract, LowestLayerDropsWhiteouts) {
  write_tar(tar(), {{"data/.wh.gone", ""}, {"data/kept", "k"}});
  ExtractOptions o;
  o.whiteouts = false;
  ASSERT_TRUE(extract_layer(tar(), dest(), o).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(dest() + "/data/gone")));
  EXPECT_TRUE(fs::exists(dest() + "/data/kept"));
}

TEST_F(Extract, OverlayXattrsFromTheArchiveAreDropped) {
  Entry d{"dir", "", AE_IFDIR};
  d.xattr_name = "trusted.overlay.opaque";
  d.xattr_value = "y";
  write_tar(tar(), {d});
  ASSERT_TRUE(extract_layer(tar(), dest()).ok());
  char v[4];
  EXPECT_LT(::getxattr((dest() + "/dir").c_str(), "trusted.overlay.opaque", v, sizeof v), 0);
}

TEST_F(Extract, GzipIsRead) {
  write_tar(tar(), {{"f", "hello"}}, true);
  auto st = extract_layer(tar(), dest());
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(st->compressed);
  EXPECT_EQ(slurp(dest() + "/f"), "hello");
}

struct Bad {
  std::vector<Entry> entries;
  std::string message;
};

TEST_F(Extract, Refusals) {
  const std::vector<Bad> cases = {
      {{{"a/../../evil", "x"}}, "path \"a/../../evil\" is outside of the root"},
      {{{"h", "", AE_IFREG, "../etc/passwd", true}}, "invalid hardlink \"h\" -> \"../etc/passwd\""},
      {{{"a/b", "", AE_IFLNK, "../../x"}}, "invalid symlink \"a/b\" -> \"../../x\""},
      {{{"esc", "", AE_IFLNK, "/tmp"}, {"esc/pwned", "x"}},
       "\"esc/pwned\" would be written through the symlink \"esc\" -> \"/tmp\""},
      {{{"esc", "", AE_IFLNK, "/etc"}, {"h", "", AE_IFREG, "esc/passwd", true}},
       "invalid hardlink \"h\" -> \"esc/passwd\" (through the symlink \"esc\")"},
  };
  for (const auto& c : cases) {
    fs::remove_all(dest());
    fs::create_directories(dest());
    write_tar(tar(), c.entries);
    auto st = extract_layer(tar(), dest());
    ASSERT_FALSE(st.ok()) << c.message;
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(st.error().message().find(c.message), std::string::npos) << st.error().message();
  }
  EXPECT_FALSE(fs::exists("/tmp/pwned"));
}

TEST_F(Extract, NotATarAndTruncated) {
  std::ofstream(tar()) << std::string(5000, 'z');
  auto st = extract_layer(tar(), dest());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("not a tar archive"), std::string::npos);
  write_tar(tar(), {{"big", std::string(100000, 'b')}});
  fs::resize_file(tar(), 50000);
  st = extract_layer(tar(), dest());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("invalid tar archive"), std::string::npos) << st.error().message();
}

// docker save: manifest.json with layers behind symlinks (docker 25+),
// a missing layer, and a bare OCI index.
TEST_F(Extract, DockerSaveLayouts) {
  const std::string layer = dir_ + "/l.tar";
  write_tar(layer, {{"f", "x"}});
  const std::string cfg = R"({"config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[]}})";
  write_tar(tar(), {{"blobs/sha256/c", cfg},
                    {"blobs/sha256/l", slurp(layer)},
                    {"abc/layer.tar", "", AE_IFLNK, "../blobs/sha256/l"},
                    {"manifest.json", R"([{"Config":"blobs/sha256/c","RepoTags":["x:1"],"Layers":["abc/layer.tar"]}])"}});
  auto imgs = read_docker_save(tar(), dest() + "/a");
  ASSERT_TRUE(imgs.ok()) << imgs.error().message();
  ASSERT_EQ(imgs->size(), 1u);
  EXPECT_EQ((*imgs)[0].config, cfg);
  EXPECT_EQ((*imgs)[0].repo_tags, std::vector<std::string>{"x:1"});
  EXPECT_EQ(slurp((*imgs)[0].layer_paths[0]), slurp(layer));

  write_tar(tar(), {{"blobs/sha256/c", cfg},
                    {"manifest.json", R"([{"Config":"blobs/sha256/c","Layers":["nope/layer.tar"]}])"}});
  imgs = read_docker_save(tar(), dest() + "/b");
  ASSERT_FALSE(imgs.ok());
  EXPECT_EQ(imgs.error().message(), "invalid archive: layer \"nope/layer.tar\" is not in the archive");

  write_tar(tar(), {{"blobs/sha256/c", cfg},
                    {"blobs/sha256/l", slurp(layer)},
                    {"blobs/sha256/m", R"({"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:l"}]})"},
                    {"index.json", R"({"manifests":[{"digest":"sha256:m","annotations":{"io.containerd.image.name":"docker.io/library/y:2"}}]})"}});
  imgs = read_docker_save(tar(), dest() + "/c");
  ASSERT_TRUE(imgs.ok()) << imgs.error().message();
  EXPECT_EQ((*imgs)[0].repo_tags, std::vector<std::string>{"docker.io/library/y:2"});

  write_tar(tar(), {{"hello", "x"}});
  imgs = read_docker_save(tar(), dest() + "/d");
  ASSERT_FALSE(imgs.ok());
  EXPECT_NE(imgs.error().message().find("no manifest.json or index.json"), std::string::npos);
}

}  // namespace
}  // namespace berth::image

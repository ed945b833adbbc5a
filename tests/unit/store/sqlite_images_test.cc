// Image rows: insert, tags that move between images, untag, delete.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"
#include "temp_store.h"

namespace berth::store {
namespace {

class ImageStoreTest : public TempStoreTest {
 protected:
  static ImageRecord img(const std::string& id, int64_t created) {
    ImageRecord r;
    r.id = id;
    r.created = created;
    r.size = 42;
    r.layers = 2;
    r.config = "{}";
    r.loaded = created;
    return r;
  }
};

TEST_F(ImageStoreTest, TagsMoveAndImagesStayDangling) {
  auto moved = store_->insert_image(img("sha256:a", 1), {"x:1", "x:latest"});
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(moved->empty());
  moved = store_->insert_image(img("sha256:b", 2), {"x:1"});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, std::vector<std::string>{"sha256:a"});
  auto all = store_->list_images();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "sha256:b");  // newest first
  EXPECT_EQ((*all)[0].tags, std::vector<std::string>{"x:1"});
  EXPECT_EQ((*all)[1].tags, std::vector<std::string>{"x:latest"});
  // Inserting an existing image again only tags it.
  ASSERT_TRUE(store_->insert_image(img("sha256:a", 1), {"y:1"}).ok());
  EXPECT_EQ((*store_->get_image("sha256:a"))->tags, (std::vector<std::string>{"x:latest", "y:1"}));
}

TEST_F(ImageStoreTest, UntagAndDelete) {
  ASSERT_TRUE(store_->insert_image(img("sha256:a", 1), {"x:1"}).ok());
  ASSERT_TRUE(store_->tag_image("sha256:a", "z:2").ok());
  ASSERT_TRUE(store_->untag_image("x:1").ok());
  EXPECT_EQ(store_->untag_image("x:1").error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ((*store_->get_image("sha256:a"))->tags, std::vector<std::string>{"z:2"});
  ASSERT_TRUE(store_->delete_image("sha256:a").ok());
  EXPECT_FALSE(store_->get_image("sha256:a")->has_value());
  EXPECT_EQ(store_->dump()->find("z:2"), std::string::npos);
}

}  // namespace
}  // namespace berth::store

// A fixture with a fresh SqliteStore in a temporary directory per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace berth::store {

class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-store-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = SqliteStore::open(dir_ + "/berth.db");
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace berth::store

// The router end to end over in-memory requests: an engine on a real SQLite
// store with fake kernel interfaces behind it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "fakes/fake_firewall.h"
#include "fakes/fake_netlink.h"

namespace berth::api {
namespace {

namespace bhttp = boost::beast::http;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-router-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ + "/resolv.conf") << "\n";
    store_ = std::move(store::SqliteStore::open(dir_ + "/berth.db")).value();
    engine::EngineConfig cfg;
    cfg.data_root = dir_;
    cfg.resolv_conf = dir_ + "/resolv.conf";
    cfg.ip_forward = false;
    engine_ = std::make_unique<engine::Engine>(cfg, *store_, nl_, fw_);
    ASSERT_TRUE(engine_->start().ok());
    router_ = std::make_unique<Router>(*engine_, [] { return SystemFacts{}; });
  }
  void TearDown() override {
    router_.reset();
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response call(bhttp::verb m, const std::string& target, const std::string& body = "",
                      const std::string& ctype = "application/json") {
    http::Request req{m, target, 11};
    if (!body.empty()) {
      req.set(bhttp::field::content_type, ctype);
      req.body() = body;
      req.prepare_payload();
    }
    return router_->handle(req).response;
  }

  std::string dir_;
  std::unique_ptr<store::SqliteStore> store_;
  netlink::FakeNetlink nl_;
  testing::FakeFirewall fw_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, PingHasTheVersionHeaders) {
  auto r = call(bhttp::verb::head, "/_ping");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["Api-Version"], "1.50");
  EXPECT_EQ(r["Ostype"], "linux");
  EXPECT_EQ(call(bhttp::verb::get, "/_ping").body(), "OK");
}

TEST_F(RouterTest, CreateInspectDelete) {
  auto c = call(bhttp::verb::post, "/v1.50/networks/create",
                R"({"Name":"netlb","IPAM":{"Config":[{"Subnet":"172.200.1.0/24"}]}})");
  ASSERT_EQ(c.result_int(), 201) << c.body();
  auto id = nlohmann::json::parse(c.body())["Id"].get<std::string>();
  auto i = call(bhttp::verb::get, "/v1.50/networks/netlb");
  EXPECT_EQ(i.result_int(), 200);
  EXPECT_EQ(nlohmann::json::parse(i.body())["Id"], id);
  EXPECT_EQ(call(bhttp::verb::delete_, "/v1.50/networks/" + id.substr(0, 8)).result_int(), 204);
  auto gone = call(bhttp::verb::get, "/v1.50/networks/netlb");
  EXPECT_EQ(gone.result_int(), 404);
  EXPECT_EQ(gone[bhttp::field::content_type], "application/json");
  EXPECT_EQ(gone.body(), "{\"message\":\"network netlb not found\"}\n");
}

TEST_F(RouterTest, ErrorStatusesFollowDockersClasses) {
  EXPECT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"bridge"})").result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"x","Driver":"zz"})").result_int(),
            404);
  EXPECT_EQ(call(bhttp::verb::post, "/networks/create", "{", "application/json").result_int(), 400);
  EXPECT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"x"})", "text/plain").result_int(),
            400);
  EXPECT_EQ(call(bhttp::verb::get, "/v1.50/nothing/here").body(),
            "{\"message\":\"page not found\"}\n");
  ASSERT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"dup"})").result_int(), 201);
  EXPECT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"dup"})").result_int(), 409);
}

TEST_F(RouterTest, ListFiltersAndPrune) {
  ASSERT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"aa","Labels":{"k":"v"}})")
                .result_int(),
            201);
  ASSERT_EQ(call(bhttp::verb::post, "/networks/create", R"({"Name":"bb"})").result_int(), 201);
  auto l = call(bhttp::verb::get, "/networks?filters=%7B%22label%22%3A%7B%22k%22%3Atrue%7D%7D");
  auto j = nlohmann::json::parse(l.body());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["Name"], "aa");
  EXPECT_EQ(call(bhttp::verb::get, "/networks?filters=%7B%22x%22%3A%7B%7D%7D").result_int(), 400);
  auto p = call(bhttp::verb::post, "/networks/prune?filters=%7B%22label%21%22%3A%5B%22k%22%5D%7D");
  EXPECT_EQ(p.body(), "{\"NetworksDeleted\":[\"bb\"]}\n");
  auto none = call(bhttp::verb::post, "/networks/prune?filters=%7B%22label%21%22%3A%5B%22k%22%5D%7D");
  EXPECT_EQ(none.body(), "{\"NetworksDeleted\":null}\n");
}

}  // namespace
}  // namespace berth::api

#include <gtest/gtest.h>

#include "dns/cache.h"
#include "dns_test_util.h"

namespace berth::dns {
namespace {

using testing::decode;
using testing::make_query;

// An upstream's answer to `query`: one A record with `ttl`, or with
// `nxdomain` an SOA in the authority section (TTL `ttl`, MINIMUM `minimum`).
std::vector<uint8_t> upstream_answer(std::vector<uint8_t> m, uint32_t ttl, bool nxdomain = false,
                                     uint32_t minimum = 300, bool with_soa = true) {
  m[2] |= 0x80;
  m[3] = 0x80 | (nxdomain ? kRcodeNXDomain : 0);
  uint8_t rr[16] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 9, 9, 9};
  if (!nxdomain) {
    put32(rr + 6, ttl);
    m.insert(m.end(), rr, rr + 16);
    put16(m.data() + 6, 1);
  } else if (with_soa) {
    std::vector<uint8_t> soa = {0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0};
    put32(soa.data() + 6, ttl);
    for (uint32_t v : {1u, 2u, 3u, 4u, minimum}) {
      uint8_t b[4];
      put32(b, v);
      soa.insert(soa.end(), b, b + 4);
    }
    m.insert(m.end(), soa.begin(), soa.end());
    put16(m.data() + 8, 1);
  }
  return m;
}

struct CacheTest : ::testing::Test {
  Cache cache{3, 3600};
  char kb[300];
  uint8_t out[4096];
  Query q;
  std::string_view key_of(const std::vector<uint8_t>& m, uint32_t group = 0) {
    EXPECT_EQ(parse_query(m, q), ParseStatus::kOk);
    return Cache::key(q, group, kb);
  }
};

TEST_F(CacheTest, HitRewritesIdAndQuestionAndAgesTtl) {
  auto asked = make_query("www.example", kTypeA, 100);
  ASSERT_TRUE(cache.insert(std::string(key_of(asked)), upstream_answer(asked, 30), 1000));
  auto again = make_query("WWW.Example", kTypeA, 200);
  const auto k = std::string(key_of(again));
  size_t n = cache.lookup(k, again, q, 11000, 512, out);
  ASSERT_GT(n, 0u);
  auto d = decode(out, n);
  EXPECT_EQ(d.id, 200);
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].ttl, 20u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out) + 13, 3), "WWW");  // asker's case
  EXPECT_EQ(cache.lookup(k, again, q, 31000, 512, out), 0u);  // expired
  EXPECT_EQ(cache.hits(), 1u);
}

TEST_F(CacheTest, KeyedByTypeAndUpstreamGroup) {
  auto a = make_query("x.example", kTypeA);
  ASSERT_TRUE(cache.insert(std::string(key_of(a, 1)), upstream_answer(a, 30), 0));
  EXPECT_EQ(cache.lookup(std::string(key_of(a, 2)), a, q, 0, 512, out), 0u);
  auto aaaa = make_query("x.example", kTypeAAAA);
  EXPECT_EQ(cache.lookup(std::string(key_of(aaaa, 1)), aaaa, q, 0, 512, out), 0u);
  EXPECT_GT(cache.lookup(std::string(key_of(a, 1)), a, q, 0, 512, out), 0u);
}

TEST_F(CacheTest, NegativeAnswersUseTheSoaMinimum) {
  auto m = make_query("nx.example", kTypeA);
  const auto k = std::string(key_of(m));
  ASSERT_TRUE(cache.insert(k, upstream_answer(m, 900, true, 5), 0));
  EXPECT_GT(cache.lookup(k, m, q, 4000, 512, out), 0u);
  EXPECT_EQ(decode(out, 60).rcode, kRcodeNXDomain);
  EXPECT_EQ(cache.lookup(k, m, q, 5000, 512, out), 0u);
  // Without an SOA a negative answer is not cached (RFC 2308 §5).
  EXPECT_FALSE(cache.insert(k, upstream_answer(m, 900, true, 5, false), 0));
}

TEST_F(CacheTest, DoesNotStoreFailuresTruncationOrTtlZero) {
  auto m = make_query("x.example", kTypeA);
  const auto k = std::string(key_of(m));
  auto fail = upstream_answer(m, 30);
  fail[3] = 0x80 | kRcodeServFail;
  EXPECT_FALSE(cache.insert(k, fail, 0));
  auto tc = upstream_answer(m, 30);
  tc[2] |= 0x02;
  EXPECT_FALSE(cache.insert(k, tc, 0));
  EXPECT_FALSE(cache.insert(k, upstream_answer(m, 0), 0));
  EXPECT_FALSE(cache.insert(k, std::vector<uint8_t>(5, 0), 0));
}

TEST_F(CacheTest, BoundedByEntries) {
  for (int i = 0; i < 10; ++i) {
    auto m = make_query("n" + std::to_string(i) + ".example", kTypeA);
    ASSERT_TRUE(cache.insert(std::string(key_of(m)), upstream_answer(m, 60), 0));
    EXPECT_LE(cache.size(), 3u);
  }
  auto newest = make_query("n9.example", kTypeA);
  EXPECT_GT(cache.lookup(std::string(key_of(newest)), newest, q, 0, 512, out), 0u);
  auto oldest = make_query("n0.example", kTypeA);
  EXPECT_EQ(cache.lookup(std::string(key_of(oldest)), oldest, q, 0, 512, out), 0u);
}

TEST_F(CacheTest, TtlsAreCapped) {
  Cache small(10, 100);
  auto m = make_query("x.example", kTypeA);
  const auto k = std::string(key_of(m));
  ASSERT_TRUE(small.insert(k, upstream_answer(m, 86400), 0));
  size_t n = small.lookup(k, m, q, 0, 512, out);
  EXPECT_EQ(decode(out, n).answers.at(0).ttl, 100u);
  EXPECT_EQ(small.lookup(k, m, q, 100000, 512, out), 0u);
}

}  // namespace
}  // namespace berth::dns

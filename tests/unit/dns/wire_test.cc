#include <gtest/gtest.h>

#include "dns/wire.h"
#include "dns_test_util.h"

namespace berth::dns {
namespace {

using testing::make_query;

TEST(DnsWire, ParsesAQueryAndLowersTheName) {
  auto m = make_query("TG-Net.NetLB", kTypeA, 0xbeef);
  Query q;
  ASSERT_EQ(parse_query(m, q), ParseStatus::kOk);
  EXPECT_EQ(q.id, 0xbeef);
  EXPECT_TRUE(q.rd);
  EXPECT_EQ(q.qtype, kTypeA);
  EXPECT_EQ(q.qclass, kClassIN);
  EXPECT_EQ(name_to_text(q.qname()), "tg-net.netlb.");
  EXPECT_EQ(q.question_end, m.size());
  EXPECT_FALSE(q.has_edns);
}

TEST(DnsWire, ReadsTheEdnsPayloadSize) {
  auto m = make_query("a", kTypeA, 1, 1232);
  Query q;
  ASSERT_EQ(parse_query(m, q), ParseStatus::kOk);
  EXPECT_TRUE(q.has_edns);
  EXPECT_EQ(q.edns_udp_size, 1232);
}

TEST(DnsWire, RejectsWhatIsNotOneQuestion) {
  Query q;
  std::vector<uint8_t> tiny(11, 0);
  EXPECT_EQ(parse_query(tiny, q), ParseStatus::kDrop);
  auto resp = make_query("a", kTypeA);
  resp[2] |= 0x80;
  EXPECT_EQ(parse_query(resp, q), ParseStatus::kDrop);
  auto two = make_query("a", kTypeA);
  put16(two.data() + 4, 2);
  EXPECT_EQ(parse_query(two, q), ParseStatus::kFormErr);
  auto cut = make_query("abc", kTypeA);
  cut.resize(cut.size() - 3);
  EXPECT_EQ(parse_query(cut, q), ParseStatus::kFormErr);
  auto ptr = make_query("a", kTypeA);
  ptr[12] = 0xc0;
  ptr[13] = 0x0c;
  EXPECT_EQ(parse_query(ptr, q), ParseStatus::kFormErr);
  auto notify = make_query("a", kTypeA);
  notify[2] |= 4 << 3;
  EXPECT_EQ(parse_query(notify, q), ParseStatus::kNotImp);
}

TEST(DnsWire, ReadNameFollowsBackwardPointersOnly) {
  // "a." at 12, then a pointer to it at 15, then a self pointer at 17.
  std::vector<uint8_t> m(12, 0);
  m.insert(m.end(), {1, 'A', 0, 0xc0, 12, 0xc0, 17});
  uint8_t out[256];
  size_t len = 0;
  EXPECT_EQ(read_name(m, 15, out, &len), 17u);
  EXPECT_EQ(name_to_text({reinterpret_cast<char*>(out), len}), "a.");
  EXPECT_EQ(read_name(m, 17, out, &len), 0u);  // loop
  EXPECT_EQ(read_name(m, 40, out, &len), 0u);  // out of bounds
}

TEST(DnsWire, EncodesNamesWithinTheLimits) {
  std::string w;
  ASSERT_TRUE(encode_name("Tg1.netlb.", w));
  EXPECT_EQ(w, std::string("\3tg1\5netlb\0", 11));
  EXPECT_FALSE(encode_name("a..b", w));
  EXPECT_FALSE(encode_name(std::string(64, 'x'), w));
  std::string long_name;
  for (int i = 0; i < 51; ++i) long_name += "abcd.";  // 51*5+1 = 256 bytes
  EXPECT_FALSE(encode_name(long_name, w));
}

TEST(DnsWire, ParsesReverseNames) {
  std::string w;
  ASSERT_TRUE(encode_name("2.1.200.172.in-addr.arpa", w));
  uint32_t a = 0;
  ASSERT_TRUE(parse_reverse_v4(w, a));
  EXPECT_EQ(a, (172u << 24) | (200u << 16) | (1u << 8) | 2u);
  ASSERT_TRUE(encode_name("02.1.200.172.in-addr.arpa", w));
  EXPECT_FALSE(parse_reverse_v4(w, a));
  ASSERT_TRUE(encode_name("256.1.200.172.in-addr.arpa", w));
  EXPECT_FALSE(parse_reverse_v4(w, a));
  ASSERT_TRUE(encode_name("1.200.172.in-addr.arpa", w));
  EXPECT_FALSE(parse_reverse_v4(w, a));
}

// The checks on an upstream's answer, shared by the UDP and TCP paths.
TEST(DnsWire, ResponseMatchesOnlyItsOwnQuestion) {
  const auto query = testing::make_query("big.test", kTypeTXT, 0x4242);
  const size_t qend = query.size();
  auto resp = testing::make_query("BIG.Test", kTypeTXT, 0x4242);
  resp[2] |= 0x80;  // QR
  EXPECT_TRUE(response_matches(resp, query, qend));
  auto other_id = resp;
  put16(other_id.data(), 0x4243);
  EXPECT_FALSE(response_matches(other_id, query, qend));
  EXPECT_FALSE(response_matches(query, query, qend));  // not a response
  auto other_name = testing::make_query("bag.test", kTypeTXT, 0x4242);
  other_name[2] |= 0x80;
  EXPECT_FALSE(response_matches(other_name, query, qend));
  auto other_type = testing::make_query("big.test", kTypeA, 0x4242);
  other_type[2] |= 0x80;
  EXPECT_FALSE(response_matches(other_type, query, qend));
  EXPECT_FALSE(response_matches(std::span<const uint8_t>(resp.data(), qend - 1), query, qend));
}

TEST(DnsWire, TruncationFlagAndTcpFraming) {
  auto resp = testing::make_query("big.test", kTypeTXT);
  resp[2] |= 0x80;
  EXPECT_FALSE(is_truncated(resp));
  resp[2] |= 0x02;
  EXPECT_TRUE(is_truncated(resp));
  EXPECT_FALSE(is_truncated(std::span<const uint8_t>(resp.data(), 3)));

  std::vector<uint8_t> framed = {0x01, 0x02};  // 258 bytes announced
  EXPECT_EQ(framed_length(std::span<const uint8_t>(framed.data(), 1)), -1);
  EXPECT_EQ(framed_length(framed), -1);
  framed.resize(2 + 257);
  EXPECT_EQ(framed_length(framed), -1);
  framed.resize(2 + 258 + 5);  // the next message's first bytes follow
  EXPECT_EQ(framed_length(framed), 258);
}

}  // namespace
}  // namespace berth::dns

// A short, deterministic run of fuzz/lb_fuzz.cc's entry point in `make test`
// (g++, no libFuzzer): seeds plus byte-level mutations of them for ~2 s.
// The long run is `make fuzz` (clang, ASan+UBSan, coverage-guided).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

TEST(LbFuzzSmoke, MutatedSeeds) {
  std::ifstream f(LECTURE_CONF);
  std::stringstream ss;
  ss << f.rdbuf();
  std::vector<std::string> seeds = {
      std::string(1, '\0') + ss.str(),
      std::string(1, '\0') + "events{}http{upstream u{server 1.2.3.4:5 weight=2 backup;least_conn;}server{listen 80;location = /a {proxy_pass http://u/x;}}}",
      std::string(1, '\1') + "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      std::string(1, '\2') + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      std::string(1, '\3') + "5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
  };
  std::mt19937 rng(7);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t runs = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int k = 0; k < 256; ++k, ++runs) {
      std::string s = seeds[rng() % seeds.size()];
      int muts = 1 + static_cast<int>(rng() % 8);
      for (int m = 0; m < muts && s.size() > 1; ++m) {
        size_t pos = 1 + rng() % (s.size() - 1);
        switch (rng() % 4) {
          case 0: s[pos] = static_cast<char>(rng()); break;
          case 1: s.erase(pos, 1 + rng() % 4); break;
          case 2: s.insert(pos, std::string(1 + rng() % 3, "{};\r\n: \"'#0"[rng() % 12])); break;
          default: s.insert(pos, s.substr(pos, rng() % 16)); break;
        }
      }
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
  }
  EXPECT_GT(runs, 1000u);
}

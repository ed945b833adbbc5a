#include "engine/names.h"

#include <random>

namespace berth::engine {
namespace {

const char* const kAdjectives[] = {
    "agile",   "bold",    "brave",   "bright",  "calm",    "clever",  "cosmic",  "crisp",
    "daring",  "eager",   "elated",  "fervent", "gentle",  "happy",   "humble",  "jolly",
    "keen",    "kind",    "lucid",   "merry",   "modest",  "nimble",  "noble",   "patient",
    "placid",  "quiet",   "rapid",   "serene",  "sharp",   "steady",  "sunny",   "swift",
    "tender",  "tidy",    "upbeat",  "vivid",   "warm",    "wise",    "witty",   "zealous"};

const char* const kSurnames[] = {
    "babbage",  "bell",     "cerf",     "curie",    "darwin",   "dijkstra", "einstein",
    "euler",    "faraday",  "fermi",    "feynman",  "gauss",    "hamilton", "hopper",
    "kahn",     "knuth",    "lamarr",   "lamport",  "liskov",   "lovelace", "maxwell",
    "meitner",  "metcalfe", "newton",   "noether",  "pascal",   "postel",   "ritchie",
    "shannon",  "tesla",    "thompson", "turing",   "wozniak",  "wirth",    "yonath"};

}  // namespace

std::string generate_name(int retry) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> a(0, std::size(kAdjectives) - 1);
  std::uniform_int_distribution<size_t> s(0, std::size(kSurnames) - 1);
  std::string name = std::string(kAdjectives[a(rng)]) + "_" + kSurnames[s(rng)];
  if (retry > 0) name += std::to_string(std::uniform_int_distribution<int>(0, 9)(rng));
  return name;
}

}  // namespace berth::engine

#include "runtime/log_splitter.h"

#include "runtime/runtime.h"

namespace berth::runtime {

std::string LogSplitter::feed(std::string_view data, int64_t now) {
  std::string out;
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const size_t room = kMaxLine - pending_.size();
    if (nl != std::string_view::npos && nl < room) {
      pending_.append(data.substr(0, nl + 1));
      data.remove_prefix(nl + 1);
      out += format_log_line(stream_, pending_, now);
      pending_.clear();
      continue;
    }
    const size_t take = std::min(room, data.size());
    pending_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (pending_.size() >= kMaxLine) {
      out += format_log_line(stream_, pending_, now);
      pending_.clear();
    }
  }
  return out;
}

std::string LogSplitter::flush(int64_t now) {
  if (pending_.empty()) return "";
  std::string out = format_log_line(stream_, pending_, now);
  pending_.clear();
  return out;
}

}  // namespace berth::runtime

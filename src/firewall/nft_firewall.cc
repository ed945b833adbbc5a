// NftFirewall: applies rendered scripts with the nft program, one process and
// one kernel transaction per call (nft -f sends the whole file as a single
// netlink batch, so a failing script changes nothing). libnftables would save
// the process start but is GPL-2-only (PITFALLS.md).
#include <string_view>

#include "firewall/firewall.h"
#include "firewall/nft_exec.h"

namespace berth::firewall {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// nft reports both bad syntax and kernel refusals on stderr with exit code 1.
Error nft_error(const std::string& what, const ExecOutput& r) {
  std::string msg = trim(r.err);
  if (msg.empty()) msg = "exit code " + std::to_string(r.exit_code);
  // Missing privileges or a kernel without nf_tables are not berth's bugs.
  if (msg.find("Operation not permitted") != std::string::npos ||
      msg.find("Protocol not supported") != std::string::npos) {
    return unavailable(what + ": " + msg);
  }
  return internal_error(what + ": " + msg);
}

}  // namespace

Status NftFirewall::apply(const std::string& script) {
  auto r = exec_capture(nft_, {"-f", "-"}, script);
  if (!r) return r.error().wrap("nft -f");
  if (r->exit_code != 0) return nft_error("nft -f", *r);
  return ok_status();
}

Status NftFirewall::check(const std::string& script) {
  auto r = exec_capture(nft_, {"-c", "-f", "-"}, script);
  if (!r) return r.error().wrap("nft -c -f");
  if (r->exit_code != 0) return nft_error("nft -c -f", *r);
  return ok_status();
}

Result<std::string> NftFirewall::list_json() {
  auto r = exec_capture(nft_, {"-j", "list", "table", "ip", "berth"}, "");
  if (!r) return r.error().wrap("nft list table ip berth");
  if (r->exit_code != 0) {
    if (r->err.find("No such file or directory") != std::string::npos) {
      return not_found("nft table ip berth does not exist");
    }
    return nft_error("nft list table ip berth", *r);
  }
  return std::move(r->out);
}

}  // namespace berth::firewall

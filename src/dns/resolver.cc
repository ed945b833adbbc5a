// Answering from a snapshot. The rotation is one relaxed fetch_add per
// answered A query: query k of a name with n addresses lists them starting at
// k mod n, so a client asking 300 times over 3 members sees each first
// exactly 100 times, whatever other names are asked in between.
#include "dns/resolver.h"

#include <algorithm>

namespace berth::dns {
namespace {

// A wire-form name with at most one label ("." or "name.").
bool single_label(std::string_view wire) {
  if (wire.empty() || wire[0] == 0) return true;
  const size_t next = 1 + static_cast<uint8_t>(wire[0]);
  return next >= wire.size() || wire[next] == 0;
}

}  // namespace

std::shared_ptr<const Snapshot> SnapshotBuilder::build(const State& st) {
  auto snap = std::make_shared<Snapshot>();
  snap->ttl = st.ttl;
  std::unordered_map<std::string, std::shared_ptr<std::atomic<uint32_t>>> kept;
  std::unordered_map<std::string, const NetworkTable*> by_id;
  std::string wire;
  for (const auto& n : st.networks) {
    auto t = std::make_unique<NetworkTable>();
    t->id = n.id;
    t->name = n.name;
    auto add = [&](const std::string& dotted, uint32_t ip) {
      if (!encode_name(dotted, wire)) return;
      Group& g = t->names[wire];
      if (std::find(g.addrs.begin(), g.addrs.end(), ip) == g.addrs.end()) g.addrs.push_back(ip);
      if (!g.counter) {
        const std::string key = n.id + "/" + wire;
        auto it = counters_.find(key);
        g.counter = it != counters_.end() ? it->second
                                          : std::make_shared<std::atomic<uint32_t>>(0);
        kept[key] = g.counter;
      }
    };
    for (const auto& m : n.members) {
      for (const auto& name : m.names) {
        if (name.empty()) continue;
        add(name, m.ip);
        add(name + "." + n.name, m.ip);
      }
      if (!m.names.empty() && !t->ptr.count(m.ip) && encode_name(m.names.front() + "." + n.name, wire)) {
        t->ptr[m.ip] = wire;
      }
    }
    by_id[n.id] = t.get();
    snap->networks.push_back(std::move(t));
  }
  for (const auto& s : st.scopes) {
    Scope sc;
    sc.ndots_set = s.ndots_set;
    for (const auto& id : s.network_ids) {
      auto it = by_id.find(id);
      if (it != by_id.end()) sc.nets.push_back(it->second);
    }
    snap->scopes[s.key] = std::move(sc);
  }
  counters_ = std::move(kept);
  return snap;
}

size_t error_answer(std::span<const uint8_t> query, const Query& q, uint8_t rcode,
                    std::span<uint8_t> out) {
  AnswerWriter w(out, out.size(), q.has_edns);
  if (!w.begin(query, q, rcode)) return 0;
  if (q.has_edns) w.add_opt(kOurUdpSize);
  return w.size();
}

Outcome answer(std::span<const uint8_t> query, const Scope* scope, uint32_t ttl, bool tcp,
               std::span<uint8_t> out, Query& q) {
  const ParseStatus ps = parse_query(query, q);
  if (ps == ParseStatus::kDrop) return {};
  if (ps != ParseStatus::kOk) {
    AnswerWriter w(out, out.size());
    const uint8_t rc = ps == ParseStatus::kNotImp ? kRcodeNotImp : kRcodeFormErr;
    if (!w.begin_header_only(query, rc)) return {};
    return {Action::kReply, w.size()};
  }
  if (q.qclass != kClassIN || scope == nullptr) return {Action::kForward, 0};

  size_t limit = 65535;
  if (!tcp) limit = std::max<size_t>(512, q.has_edns ? q.edns_udp_size : 512);
  const std::string_view name = q.qname();

  if (q.qtype == kTypePTR) {
    uint32_t addr;
    if (!parse_reverse_v4(name, addr)) return {Action::kForward, 0};
    for (const NetworkTable* t : scope->nets) {
      auto it = t->ptr.find(addr);
      if (it == t->ptr.end()) continue;
      AnswerWriter w(out, limit, q.has_edns);
      if (!w.begin(query, q, kRcodeNoError)) return {};
      w.add_ptr(ttl, it->second);
      if (q.has_edns) w.add_opt(kOurUdpSize);
      return {Action::kReply, w.size()};
    }
    return {Action::kForward, 0};
  }
  if (q.qtype != kTypeA && q.qtype != kTypeAAAA && q.qtype != kTypeMX) {
    return {Action::kForward, 0};
  }
  for (const NetworkTable* t : scope->nets) {
    auto it = t->names.find(name);
    if (it == t->names.end()) continue;
    const Group& g = it->second;
    AnswerWriter w(out, limit, q.has_edns);
    if (!w.begin(query, q, kRcodeNoError)) return {};
    if (q.qtype == kTypeA && !g.addrs.empty()) {
      const size_t n = g.addrs.size();
      const size_t start = g.counter->fetch_add(1, std::memory_order_relaxed) % n;
      for (size_t i = 0; i < n; ++i) {
        if (!w.add_a(ttl, g.addrs[(start + i) % n])) break;
      }
    }
    if (q.has_edns) w.add_opt(kOurUdpSize);
    return {Action::kReply, w.size()};
  }
  // Docker (resolver.go serveDNS): with ndots set explicitly, A/AAAA for an
  // unknown name without a dot (the root's child, or the root itself) is
  // answered empty, not forwarded. MX is forwarded as before.
  if (scope->ndots_set && q.qtype != kTypeMX && single_label(name)) {
    AnswerWriter w(out, limit, q.has_edns);
    if (!w.begin(query, q, kRcodeNoError)) return {};
    if (q.has_edns) w.add_opt(kOurUdpSize);
    return {Action::kReply, w.size()};
  }
  return {Action::kForward, 0};
}

}  // namespace berth::dns

#!/usr/bin/env bats
# Proves with real packets what the `ip berth` table promises: masquerade,
# isolation between bridges, ICC on and off, internal networks, no unsolicited
# inbound, and no effect on forwarding that involves no berth bridge.
#
# Everything runs in namespaces this file creates (berthfw-<pid>-*) and
# deletes at the end: a "host" with five bridges, one namespace per
# "container" (veth into a bridge, default route via the bridge address), an
# "out" namespace as the internet (192.0.2.0/24) and "o2" as another network
# the host routes to (198.51.100.0/24). The ruleset comes from berth_fw_render
# (tests/unit/firewall/fw_render_main.cc), i.e. firewall::render().
#
#   br-a 10.201.1.0/24             a1 .2  a2 .3
#   br-b 10.201.2.0/24             b1 .2
#   br-c 10.201.3.0/24 icc=false   c1 .2  c2 .3
#   br-i 10.201.4.0/24 internal    i1 .2  i2 .3
#   br-m 10.201.5.0/24 masq=false  m1 .2
#
# Needs root, iproute2, nft, socat, conntrack, ping, jq. Run:
#   BERTH_FW_RENDER=build-fw/tests/unit/firewall/berth_fw_render \
#     bats tests/integration/firewall_traffic.bats

NS_SUFFIXES="host out o2 a1 a2 b1 c1 c2 i1 i2 m1"
LISTEN_PORT=7000

find_renderer() {
  local root="$BATS_TEST_DIRNAME/../.."
  local c
  for c in "${BERTH_FW_RENDER:-}" "$root/build-fw/tests/unit/firewall/berth_fw_render" \
           "$root/build/tests/unit/firewall/berth_fw_render"; do
    if [[ -n "$c" && -x "$c" ]]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# nsx NAME CMD...: run CMD in namespace $P-NAME.
nsx() {
  local n="$1"
  shift
  ip netns exec "${P}${n}" "$@"
}

render() {
  "$RENDER" --net br-a,10.201.1.0/24 --net br-b,10.201.2.0/24 \
    --net br-c,10.201.3.0/24,noicc --net br-i,10.201.4.0/24,internal \
    --net br-m,10.201.5.0/24,nomasq
}

apply_ruleset() {  # a render failure must not become an empty script
  local script
  script="$(render)"
  nsx host nft -f - <<<"$script"
}

cleanup_all() {
  if [[ -f "${BATS_FILE_TMPDIR:-/nonexistent}/socat.pid" ]]; then
    kill "$(cat "$BATS_FILE_TMPDIR/socat.pid")" 2>/dev/null || true
  fi
  local s
  for s in $NS_SUFFIXES; do
    if [[ -e "/run/netns/${P}${s}" ]]; then
      ip netns del "${P}${s}" || true
    fi
  done
}

add_bridge() {  # NAME GATEWAY/LEN
  nsx host ip link add "$1" type bridge
  nsx host ip addr add "$2" dev "$1"
  nsx host ip link set "$1" up
}

# add_container NAME BRIDGE ADDR/LEN GATEWAY
add_container() {
  ip netns add "${P}$1"
  nsx host ip link add "v-$1" type veth peer name eth0 netns "${P}$1"
  nsx host ip link set "v-$1" master "$2" up
  nsx "$1" ip link set lo up
  nsx "$1" ip addr add "$3" dev eth0
  nsx "$1" ip link set eth0 up
  nsx "$1" ip route add default via "$4"
}

# add_outside NAME HOST_IFACE HOST_ADDR/LEN ADDR/LEN GATEWAY
add_outside() {
  ip netns add "${P}$1"
  nsx host ip link add "$2" type veth peer name eth0 netns "${P}$1"
  nsx host ip addr add "$3" dev "$2"
  nsx host ip link set "$2" up
  nsx "$1" ip link set lo up
  nsx "$1" ip addr add "$4" dev eth0
  nsx "$1" ip link set eth0 up
  nsx "$1" ip route add default via "$5"
}

# bats 1.8 cannot skip from setup_file: it leaves the reason for setup().
skip_all() {
  echo "$1" >"$BATS_FILE_TMPDIR/skip_reason"
}

setup_file() {
  export P="berthfw-$$-"
  if [[ $EUID -ne 0 ]]; then
    skip_all "SKIPPED: needs root (creates network namespaces)"
    return 0
  fi
  local tool
  for tool in ip nft socat conntrack ping jq ss; do
    if ! command -v "$tool" >/dev/null; then
      skip_all "SKIPPED: $tool is not installed"
      return 0
    fi
  done
  RENDER="$(find_renderer)" || {
    echo "berth_fw_render not found: build it or set BERTH_FW_RENDER" >&2
    return 1
  }
  export RENDER

  ip netns add "${P}host"
  nsx host ip link set lo up
  nsx host sysctl -qw net.ipv4.ip_forward=1
  # berth's engine turns this on (Docker does when ICC is off); a new netns
  # already has it, but say so rather than depend on it.
  if nsx host test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
    nsx host sysctl -qw net.bridge.bridge-nf-call-iptables=1
  fi
  add_bridge br-a 10.201.1.1/24
  add_bridge br-b 10.201.2.1/24
  add_bridge br-c 10.201.3.1/24
  add_bridge br-i 10.201.4.1/24
  add_bridge br-m 10.201.5.1/24
  add_container a1 br-a 10.201.1.2/24 10.201.1.1
  add_container a2 br-a 10.201.1.3/24 10.201.1.1
  add_container b1 br-b 10.201.2.2/24 10.201.2.1
  add_container c1 br-c 10.201.3.2/24 10.201.3.1
  add_container c2 br-c 10.201.3.3/24 10.201.3.1
  # Docker gives an internal network's containers no default route; one here
  # proves the firewall, not the routing table, keeps them in.
  add_container i1 br-i 10.201.4.2/24 10.201.4.1
  add_container i2 br-i 10.201.4.3/24 10.201.4.1
  add_container m1 br-m 10.201.5.2/24 10.201.5.1
  add_outside out v-out 192.0.2.1/24 192.0.2.2/24 192.0.2.1
  add_outside o2 v-o2 198.51.100.1/24 198.51.100.2/24 198.51.100.1

  # The internet's view: answers every TCP connection with the peer address
  # it saw. ip netns exec execs socat, so $! is socat itself.
  ip netns exec "${P}out" socat TCP-LISTEN:$LISTEN_PORT,reuseaddr,fork \
    SYSTEM:'echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/socat.pid"
  local i
  for i in $(seq 50); do
    nsx out ss -Hltn "sport = :$LISTEN_PORT" | grep -q . && return 0
    sleep 0.1
  done
  echo "socat did not start listening" >&2
  return 1
}

teardown_file() {
  cleanup_all
}

setup() {
  if [[ -f "$BATS_FILE_TMPDIR/skip_reason" ]]; then
    skip "$(cat "$BATS_FILE_TMPDIR/skip_reason")"
  fi
  # Fresh table and no remembered connections, so no test sees another's.
  apply_ruleset
  nsx host conntrack -F >/dev/null 2>&1 || true
}

can_ping() {  # FROM_NS ADDR
  run nsx "$1" ping -c1 -W2 -q "$2"
  [[ "$status" -eq 0 ]] || {
    echo "expected $1 to reach $2: $output" >&2
    return 1
  }
}

cannot_ping() {  # FROM_NS ADDR
  run nsx "$1" ping -c1 -W1 -q "$2"
  [[ "$status" -ne 0 ]] || {
    echo "expected $1 NOT to reach $2" >&2
    return 1
  }
}

# Source address the outside saw for a TCP connection from a namespace.
peer_seen_by_outside() {
  nsx "$1" socat -T3 -u TCP:192.0.2.2:$LISTEN_PORT,connect-timeout=2 STDOUT
}

# Packets counted by the rule with COMMENT in CHAIN of ip berth.
rule_packets() {  # CHAIN COMMENT
  nsx host nft -j list chain ip berth "$1" |
    jq --arg c "$2" '[.nftables[] | select(.rule.comment? == $c) | .rule.expr[]
                     | select(.counter?) | .counter.packets] | add'
}

@test "masquerade: a container reaches the outside as the host's address" {
  can_ping a1 192.0.2.2
  run peer_seen_by_outside a1
  [ "$status" -eq 0 ]
  [ "$output" = "192.0.2.1" ]
  run rule_packets nat-postrouting-out__br-a MASQUERADE
  [ "$output" -ge 1 ]
}

@test "masquerade=false: the outside sees the container's own address" {
  run peer_seen_by_outside m1
  [ "$status" -eq 0 ]
  [ "$output" = "10.201.5.2" ]
}

@test "ICC: containers on the same bridge reach each other" {
  can_ping a1 10.201.1.3
  can_ping a2 10.201.1.2
  run rule_packets filter-forward-in__br-a ICC
  [ "$output" -ge 1 ]
}

@test "isolation: containers on different bridges cannot reach each other" {
  cannot_ping a1 10.201.2.2
  cannot_ping b1 10.201.1.2
  cannot_ping a1 10.201.3.2
  cannot_ping m1 10.201.1.2
  # Dropped by the isolation rule, not by accident.
  run rule_packets filter-forward-in__br-b ISOLATION
  [ "$output" -ge 1 ]
  # The host's own address on another bridge is not forwarding: reachable.
  can_ping a1 10.201.2.1
}

@test "icc=false: same-bridge traffic is dropped, the outside still reachable" {
  cannot_ping c1 10.201.3.3
  cannot_ping c2 10.201.3.2
  run rule_packets filter-forward-in__br-c "ICC DISABLED"
  [ "$output" -ge 1 ]
  can_ping c1 192.0.2.2
}

@test "internal: only the same bridge, nothing in or out" {
  can_ping i1 10.201.4.3
  cannot_ping i1 192.0.2.2
  cannot_ping i1 10.201.1.2
  cannot_ping a1 10.201.4.2
  cannot_ping out 10.201.4.2
  run peer_seen_by_outside i1
  [ "$status" -ne 0 ]
  run rule_packets filter-forward-out__br-i INTERNAL
  [ "$output" -ge 1 ]
}

@test "no published port: the outside cannot reach a container" {
  can_ping out 10.201.1.1  # the route to the host and its bridge exists
  cannot_ping out 10.201.1.2
  cannot_ping out 10.201.5.2  # no masquerade changes nothing inbound
  run rule_packets filter-forward-in__br-a "UNPUBLISHED PORT DROP"
  [ "$output" -ge 1 ]
  # Replies to the container's own connections do come in.
  can_ping a1 192.0.2.2
}

@test "no table-wide drop: forwarding between other interfaces is untouched" {
  can_ping out 198.51.100.2
  can_ping o2 192.0.2.2
}

@test "control: without the table the same packets pass, so the drops are ours" {
  local script
  script="$("$RENDER" --delete)"
  nsx host nft -f - <<<"$script"
  run nsx host nft list tables
  [[ "$output" != *berth* ]]
  can_ping a1 10.201.2.2
  can_ping c1 10.201.3.3
  can_ping out 10.201.1.2
  run peer_seen_by_outside m1
  [ "$output" = "10.201.5.2" ]
  # Without masquerade the outside sees (and can answer) the real source.
  run peer_seen_by_outside a1
  [ "$output" = "10.201.1.2" ]
  apply_ruleset
  nsx host conntrack -F >/dev/null 2>&1 || true
  cannot_ping a1 10.201.2.2
}

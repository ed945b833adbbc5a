#!/usr/bin/env bats
# The store is the truth, the kernel is derived: after kill -9 and restart
# berthd recreates what is missing and deletes only what it marked itself.

load ../lib/harness

setup() {
  harness_setup rst
  berthd_start
}

teardown() { harness_teardown; }

berth_links() {
  links_json | jq -r '.[] | select((.ifalias // "") | startswith("berth:")) | "\(.ifname) \(.ifalias)"' | sort
}

@test "kill -9 and restart leaves exactly the database's objects" {
  docker28 network create --subnet 172.210.1.0/24 keep1
  docker28 network create keep2
  before_links=$(berth_links)
  before_nft=$(in_ns nft list table ip berth)
  berthd_kill9
  berthd_start
  [ "$(berth_links)" = "$before_links" ]
  [ "$(in_ns nft list table ip berth)" = "$before_nft" ]
  [ "$(docker28 network ls --format '{{.Name}}' | sort | tr '\n' ' ')" = "bridge host keep1 keep2 none " ]
  # Ids are stable across restarts.
  id=$(docker28 network inspect keep1 -f '{{.Id}}')
  berthd_restart
  [ "$(docker28 network inspect keep1 -f '{{.Id}}')" = "$id" ]
}

@test "a bridge deleted behind berthd's back is recreated on restart" {
  id=$(docker28 network create --subnet 172.210.2.0/24 gone)
  ip -n "$NS" link del "br-${id:0:12}"
  berthd_kill9
  berthd_start
  link=$(links_json | jq -c --arg b "br-${id:0:12}" '.[] | select(.ifname==$b)')
  [ "$(jq -r .ifalias <<< "$link")" = "berth:$id" ]
  [ "$(addrs_json | jq -r --arg b "br-${id:0:12}" '.[] | select(.ifname==$b) | .addr_info[] | select(.family=="inet") | .local')" = 172.210.2.1 ]
}

@test "reconcile deletes berth-marked links the database does not know, never unmarked ones" {
  # Unmarked bridges and veths, as Docker or a user would leave them.
  ip -n "$NS" link add br-0123456789ab type bridge
  ip -n "$NS" link add veth1234567 type veth peer name vethpeer0
  # A bridge marked as berth's whose network is not in the database.
  ip -n "$NS" link add br-deadbeef0000 type bridge
  ip -n "$NS" link set br-deadbeef0000 alias "berth:deadbeef0000$(printf '0%.0s' {1..52})"
  berthd_kill9
  berthd_start
  names=$(links_json | jq -r '.[].ifname')
  grep -qx br-0123456789ab <<< "$names"
  grep -qx veth1234567 <<< "$names"
  ! grep -qx br-deadbeef0000 <<< "$names"
}

@test "a second berthd on the same data root refuses to start, clearly" {
  run nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --host "unix://$T/other.sock" \
    --data-root "$ROOT" --config-file "$T/daemon.json" --resolv-conf "$T/resolv.conf"
  [ "$status" -ne 0 ]
  [[ "$output" == *"another berthd (pid $BERTHD_PID) is running with data root $ROOT"* ]]
  # The first one still answers.
  docker28 network ls > /dev/null
}

@test "the default bridge follows --bip across restarts, keeping its id" {
  id=$(docker28 network inspect bridge -f '{{.Id}}')
  berthd_restart --bip 10.123.0.1/24
  [ "$(docker28 network inspect bridge -f '{{.Id}} {{(index .IPAM.Config 0).Subnet}}')" = "$id 10.123.0.0/24" ]
  [ "$(addrs_json | jq -r '.[] | select(.ifname=="berth0") | .addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')" = 10.123.0.1/24 ]
}

@test "daemon.json keys work and a key given twice is refused as dockerd does" {
  berthd_stop
  printf '{"bip": "10.124.0.1/24", "mtu": 1400}\n' > "$T/daemon.json"
  berthd_start
  [ "$(docker28 network inspect bridge -f '{{(index .IPAM.Config 0).Subnet}} {{index .Options "com.docker.network.driver.mtu"}}')" = "10.124.0.0/24 1400" ]
  berthd_stop
  run nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --host "unix://$SOCK" --data-root "$ROOT" \
    --config-file "$T/daemon.json" --resolv-conf "$T/resolv.conf" --mtu 1500
  [ "$status" -ne 0 ]
  [[ "$output" == *"the following directives are specified both as a flag and in the configuration file: mtu"* ]]
  printf '{"no-such-key": 1}\n' > "$T/daemon.json"
  run nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" --host "unix://$SOCK" --data-root "$ROOT" \
    --config-file "$T/daemon.json" --resolv-conf "$T/resolv.conf"
  [ "$status" -ne 0 ]
  [[ "$output" == *"the following directives don't match any configuration option: no-such-key"* ]]
}

@test "--iptables=false installs no table; --ip-forward=false leaves forwarding alone" {
  berthd_stop
  in_ns nft delete table ip berth
  in_ns sysctl -qw net.ipv4.ip_forward=0
  berthd_start --iptables=false --ip-forward=false
  ! in_ns nft list table ip berth 2> /dev/null
  [ "$(in_ns sysctl -n net.ipv4.ip_forward)" = 0 ]
  run docker28 info --format '{{json .Warnings}}'
  [[ "$output" == *"iptables=false"* ]]
}

#!/usr/bin/env bats
# Bridge networks end to end: the API through docker 28, Debian's docker
# 20.10 and berth, checked against the kernel with ip -j and nft -j.

load ../lib/harness

setup() {
  harness_setup net
  berthd_start
}

teardown() { harness_teardown; }

bridge_of() { berth network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$1"; }
short_id() { berth network inspect -f '{{.Id}}' "$1" | cut -c1-12; }

@test "predefined networks bridge, host and none exist, default bridge is berth0" {
  run docker28 network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
  [ "$status" -eq 0 ]
  [[ "$output" == *"bridge bridge local"* ]]
  [[ "$output" == *"host host local"* ]]
  [[ "$output" == *"none null local"* ]]
  link=$(links_json | jq -c '.[] | select(.ifname=="berth0")')
  [ "$(jq -r .linkinfo.info_kind <<< "$link")" = bridge ]
  [[ "$(jq -r .ifalias <<< "$link")" == berth:* ]]
  [ "$(addrs_json | jq -r '.[] | select(.ifname=="berth0") | .addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')" = 172.17.0.1/16 ]
  run docker28 network inspect bridge -f '{{json .IPAM}}'
  [ "$output" = '{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]}' ]
}

@test "the lecture's netlb network through the docker 28 client: kernel objects match" {
  run docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 --gateway 172.200.1.1 netlb
  [ "$status" -eq 0 ]
  id=$output
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  br="br-${id:0:12}"
  link=$(links_json | jq -c --arg b "$br" '.[] | select(.ifname==$b)')
  [ -n "$link" ]
  [ "$(jq -r .linkinfo.info_kind <<< "$link")" = bridge ]
  [ "$(jq -r .ifalias <<< "$link")" = "berth:$id" ]
  [ "$(jq -r .mtu <<< "$link")" = 1500 ]
  [[ "$(jq -r '.flags | join(",")' <<< "$link")" == *UP* ]]
  [ "$(addrs_json | jq -r --arg b "$br" '.[] | select(.ifname==$b) | .addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')" = 172.200.1.1/24 ]
  # nft: masquerade for the subnet and the bridge's forward chains.
  nft=$(nft_json)
  jq -e --arg b "$br" '.nftables[] | select(.chain.name? == "filter-forward-in__\($b)")' <<< "$nft" > /dev/null
  in_ns nft list table ip berth | grep -q "ip saddr 172.200.1.0/24"
  run docker28 network inspect netlb -f '{{json .IPAM.Config}}'
  [ "$output" = '[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24","Gateway":"172.200.1.1"}]' ]
  run docker28 network rm netlb
  [ "$status" -eq 0 ]
  [ "$output" = netlb ]
  [ -z "$(links_json | jq -r --arg b "$br" '.[] | select(.ifname==$b) | .ifname')" ]
  ! in_ns nft list table ip berth | grep -q "172.200.1.0/24"
}

@test "docker 28, docker 20.10 and berth create the same network JSON apart from per-version fields" {
  require_client "$DOCKER20"
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 --gateway 172.200.1.1 netlb
  docker20 network create --driver bridge --subnet 172.200.2.0/24 --ip-range 172.200.2.0/24 --gateway 172.200.2.1 netlb20
  berth network create --driver bridge --subnet 172.200.3.0/24 --ip-range 172.200.3.0/24 --gateway 172.200.3.1 netlbb
  norm='del(.Id, .Created, .Name) | .IPAM.Config |= map(with_entries(.value |= (if type=="string" then sub("172\\.200\\.[0-9]\\."; "X.") else . end)))'
  a=$(docker28 network inspect netlb | jq -S ".[0] | $norm")
  b=$(docker20 network inspect netlb20 | jq -S ".[0] | $norm")
  c=$(berth network inspect netlbb | jq -S ".[0] | $norm")
  # API 1.41 has no EnableIPv4 (added in 1.48); everything else is equal.
  [ "$(jq -S 'del(.EnableIPv4)' <<< "$a")" = "$b" ]
  [ "$a" = "$c" ]
  [ "$(jq -r .EnableIPv4 <<< "$a")" = true ]
  [ "$(jq -r 'has("EnableIPv4")' <<< "$b")" = false ]
  # The JSON is printed in dockerd's key order.
  [ "$(docker28 network inspect netlb | jq -r '.[0] | keys_unsorted | join(",")')" = "Name,Id,Created,Scope,Driver,EnableIPv4,EnableIPv6,IPAM,Internal,Attachable,Ingress,ConfigFrom,ConfigOnly,Containers,Options,Labels" ]
}

@test "automatic subnets: 172.18 then 172.19, a removed subnet is reused" {
  docker28 network create auto1
  docker28 network create auto2
  [ "$(docker28 network inspect auto1 -f '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}')" = "172.18.0.0/16 172.18.0.1" ]
  [ "$(docker28 network inspect auto2 -f '{{(index .IPAM.Config 0).Subnet}}')" = "172.19.0.0/16" ]
  docker28 network rm auto1
  docker28 network create auto3
  [ "$(docker28 network inspect auto3 -f '{{(index .IPAM.Config 0).Subnet}}')" = "172.18.0.0/16" ]
  docker28 network create auto4
  [ "$(docker28 network inspect auto4 -f '{{(index .IPAM.Config 0).Subnet}}')" = "172.20.0.0/16" ]
  br=$(bridge_of auto3 || true)
  [ -z "$br" ]   # no option given: the name is br-<short id>
  [ "$(addrs_json | jq -r --arg b "br-$(short_id auto3)" '.[] | select(.ifname==$b) | .addr_info[] | select(.family=="inet") | .local')" = 172.18.0.1 ]
}

@test "automatic subnets skip the host's on-link routes and nameservers" {
  # An on-link route in the daemon's namespace covering 172.18.0.0/16 and a
  # nameserver inside 172.19.0.0/16.
  ip -n "$NS" link add hostlan type veth peer name hostlan-peer
  ip -n "$NS" addr add 172.18.5.1/24 dev hostlan
  ip -n "$NS" link set hostlan-peer up
  ip -n "$NS" link set hostlan up
  printf 'nameserver 172.19.0.53\n' > "$T/resolv.conf"
  docker28 network create skip1
  [ "$(docker28 network inspect skip1 -f '{{(index .IPAM.Config 0).Subnet}}')" = "172.20.0.0/16" ]
}

@test "driver options: bridge name, MTU, ICC off, internal, labels" {
  docker28 network create -o com.docker.network.bridge.name=mybr0 -o com.docker.network.driver.mtu=1400 \
    -o com.docker.network.bridge.enable_icc=false --internal --label team=net --attachable opts
  link=$(links_json | jq -c '.[] | select(.ifname=="mybr0")')
  [ "$(jq -r .mtu <<< "$link")" = 1400 ]
  [ "$(docker28 network inspect opts -f '{{.Internal}} {{.Attachable}} {{.Labels.team}}')" = "true true net" ]
  rules=$(in_ns nft list table ip berth)
  # Internal: no masquerade for its subnet; ICC off: same-bridge traffic dropped.
  subnet=$(docker28 network inspect opts -f '{{(index .IPAM.Config 0).Subnet}}')
  ! grep -q "ip saddr $subnet.*masquerade" <<< "$rules"
  grep -A8 'chain filter-forward-in__mybr0' <<< "$rules" | grep -q 'iifname "mybr0".*drop'
  docker28 network rm opts
  [ -z "$(links_json | jq -r '.[] | select(.ifname=="mybr0") | .ifname')" ]
}

@test "networks are found by name, full id and unique id prefix" {
  id=$(docker28 network create findme)
  [ "$(docker28 network inspect "${id:0:5}" -f '{{.Name}}')" = findme ]
  [ "$(docker28 network inspect "$id" -f '{{.Name}}')" = findme ]
  run docker28 network inspect nonesuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"Error response from daemon: network nonesuch not found"* ]]
}

@test "network ls filters, quiet and format" {
  docker28 network create --label env=prod lsa
  docker28 network create lsb
  run docker28 network ls -q --filter label=env=prod --no-trunc
  [ "$output" = "$(docker28 network inspect lsa -f '{{.Id}}')" ]
  run docker28 network ls --filter name=ls --format '{{.Name}}'
  [ "$output" = "$(printf 'lsa\nlsb')" ]
  run docker28 network ls --filter driver=null --format '{{.Name}}'
  [ "$output" = none ]
  run docker28 network ls --filter type=custom --format '{{.Name}}'
  [ "$output" = "$(printf 'lsa\nlsb')" ]
  # berth prints the same as docker for the same request.
  [ "$(berth network ls --filter name=ls)" = "$(docker28 network ls --filter name=ls)" ]
}

@test "prune removes user networks without endpoints, keeps predefined ones" {
  docker28 network create --label keep=yes p1
  docker28 network create p2
  run docker28 network prune -f --filter label!=keep=yes
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'Deleted Networks:\np2')" ]
  run docker28 network prune -f
  [ "$output" = "$(printf 'Deleted Networks:\np1')" ]
  [ "$(docker28 network ls --format '{{.Name}}' | sort | tr '\n' ' ')" = "bridge host none " ]
  [ "$(links_json | jq -r '[.[] | select(.ifname|startswith("br-"))] | length')" = 0 ]
}

@test "predefined networks cannot be created or removed" {
  run docker28 network create bridge
  [ "$status" -eq 1 ]
  [[ "$output" == *"operation is not permitted on predefined bridge network"* ]]
  run docker28 network rm host
  [ "$status" -eq 1 ]
  [[ "$output" == *"host is a pre-defined network and cannot be removed"* ]]
}

@test "version and info answer for both clients" {
  run docker28 version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}'
  [ "$output" = "1.50 1.41" ]
  run docker28 info --format '{{.OSType}} {{.DockerRootDir}}'
  [ "$output" = "linux $ROOT" ]
  require_client "$DOCKER20"
  run docker20 version --format '{{.Server.APIVersion}}'
  [ "$output" = "1.50" ]
  run berth version --format '{{.Server.APIVersion}}'
  [ "$output" = "1.50" ]
}

@test "API versions below 1.41 are refused with dockerd's message, 1.41..1.50 accepted" {
  body=$(api GET /v1.40/networks)
  [ "$(api_status)" = 400 ]
  [ "$(jq -r .message <<< "$body")" = "client version 1.40 is too old. Minimum supported API version is 1.41, please upgrade your client to a newer version" ]
  body=$(api GET /v1.51/networks)
  [ "$(api_status)" = 400 ]
  api GET /v1.41/networks/bridge > /dev/null
  [ "$(api_status)" = 200 ]
  [ "$(api GET /v1.47/networks/bridge | jq -r 'has("EnableIPv4")')" = false ]
  [ "$(api GET /v1.48/networks/bridge | jq -r 'has("EnableIPv4")')" = true ]
  # Errors have exactly Content-Type: application/json.
  ct=$(curl -s -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" http://berth/v1.50/networks/nope)
  [ "$ct" = application/json ]
  # /_ping carries the version headers, HEAD and GET.
  curl -sI --unix-socket "$SOCK" http://berth/_ping | grep -qi '^Api-Version: 1.50'
  [ "$(curl -s --unix-socket "$SOCK" http://berth/_ping)" = OK ]
}

#!/usr/bin/env bats
# network connect/disconnect on running and stopped containers (interfaces
# added and removed live, default route by Docker's order, /etc/hosts),
# network rm while connected, network inspect's Containers, rename and top,
# through both clients.

load ../lib/harness

setup() {
  harness_setup con
  berthd_start
}

teardown() { harness_teardown; }

# ctr_addrs NAME: "ifname address/len" of the container's IPv4 addresses.
ctr_addrs() {
  in_ctr "$1" ip -j addr show | jq -r '.[] | select(.ifname != "lo") | .ifname as $i
    | .addr_info[] | select(.family == "inet") | "\($i) \(.local)/\(.prefixlen)"' | sort
}
# ctr_default NAME: "gateway dev" of the default route.
ctr_default() { in_ctr "$1" ip -j route show default | jq -r '.[] | "\(.gateway) \(.dev)"'; }

@test "connect and disconnect a running container live: interface, route, ping, hosts, inspect" {
  docker28 network create --subnet 172.201.1.0/24 na
  docker28 network create --subnet 172.201.2.0/24 nb
  docker28 run -d --name c1 --net nb host sleep 300
  docker28 run -d --name c2 --net na --ip 172.201.1.20 host sleep 300
  [ "$(ctr_addrs c1)" = "eth0 172.201.2.2/24" ]
  [ "$(ctr_default c1)" = "172.201.2.1 eth0" ]
  ! in_ctr c1 ping -c1 -W1 172.201.1.20

  docker28 network connect --alias web na c1
  [ "$(ctr_addrs c1)" = "eth0 172.201.2.2/24
eth1 172.201.1.2/24" ]
  # Docker's order: equal priorities, "na" < "nb": the default route moves.
  [ "$(ctr_default c1)" = "172.201.1.1 eth1" ]
  in_ctr c1 ping -c1 -W2 172.201.1.20
  in_ctr c2 ping -c1 -W2 172.201.1.2
  grep -qxP '172.201.1.2\t[0-9a-f]{12}' <(in_ctr c1 cat /etc/hosts)
  grep -qxP '172.201.2.2\t[0-9a-f]{12}' <(in_ctr c1 cat /etc/hosts)
  id=$(docker28 inspect -f '{{.Id}}' c1)
  [ "$(docker28 network inspect na -f "{{(index .Containers \"$id\").Name}} {{(index .Containers \"$id\").IPv4Address}}")" = "c1 172.201.1.2/24" ]
  [ "$(berth network inspect na -f '{{len .Containers}}')" = 2 ]
  [ "$(docker28 inspect -f '{{json (index .NetworkSettings.Networks "na").Aliases}}' c1)" = '["web"]' ]
  [ "$(ctr_ip c1 na)" = 172.201.1.2 ]
  # The veth's host end hangs on na's bridge.
  na_br="br-$(docker28 network inspect -f '{{.Id}}' na | cut -c1-12)"
  [ "$(ip -n "$NS" -j link show master "$na_br" | jq length)" = 2 ]

  run docker28 network connect na c1
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: endpoint with name c1 already exists in network na" ]

  # berth's client disconnects: eth1 goes, the route returns to nb.
  berth network disconnect na c1
  [ "$(ctr_addrs c1)" = "eth0 172.201.2.2/24" ]
  [ "$(ctr_default c1)" = "172.201.2.1 eth0" ]
  ! in_ctr c1 ping -c1 -W1 172.201.1.20
  ! grep -q 172.201.1.2 <(in_ctr c1 cat /etc/hosts)
  [ "$(ip -n "$NS" -j link show master "$na_br" | jq length)" = 1 ]
  [ "$(docker28 network inspect na -f '{{len .Containers}}')" = 1 ]
  [ "$(docker28 inspect -f '{{len .NetworkSettings.Networks}}' c1)" = 1 ]
  run berth network disconnect na c1
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: container $id is not connected to network na" ]

  # Connected again, now through berth, with a priority that keeps nb the gateway.
  berth network connect --gw-priority -1 na c1
  [ "$(ctr_default c1)" = "172.201.2.1 eth0" ]
  in_ctr c1 ping -c1 -W2 172.201.1.20
  # Disconnecting the NetworkMode network too.
  docker28 network disconnect nb c1
  [ "$(ctr_addrs c1)" = "eth1 172.201.1.2/24" ]
  [ "$(ctr_default c1)" = "172.201.1.1 eth1" ]
  [ "$(docker28 inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' c1)" = "na " ]
}

@test "connect to a stopped container applies at start; network rm refused while connected; disconnect -f" {
  docker28 network create --subnet 172.202.1.0/24 sa
  docker28 network create --subnet 172.202.2.0/24 sb
  docker28 create --name s1 --net sa host sleep 300
  docker28 network connect --ip 172.202.2.50 sb s1
  [ "$(docker28 inspect -f '{{(index .NetworkSettings.Networks "sb").IPAMConfig.IPv4Address}}' s1)" = 172.202.2.50 ]
  docker28 start s1
  [ "$(ctr_addrs s1)" = "eth0 172.202.1.2/24
eth1 172.202.2.50/24" ]
  [ "$(ctr_default s1)" = "172.202.1.1 eth0" ]
  id=$(docker28 inspect -f '{{.Id}}' s1)
  run docker28 network rm sb
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "Error response from daemon: error while removing network: network sb has active endpoints (name:\"s1\" id:\"${id:0:12}\")" ]
  docker28 network inspect sb > /dev/null
  docker28 network disconnect -f sb s1
  [ "$(ctr_addrs s1)" = "eth0 172.202.1.2/24" ]
  docker28 network rm sb
  # A stopped container: disconnect records only; it starts on what is left.
  docker28 stop -t 1 s1
  berth network disconnect sa s1
  run docker28 network disconnect sa s1
  [ "$output" = "Error response from daemon: container $id is not connected to the network sa" ]
  docker28 start s1
  [ -z "$(ctr_addrs s1)" ]
  [ -z "$(ctr_default s1)" ]
}

@test "connect and disconnect errors are Docker's and leave nothing behind" {
  docker28 network create --subnet 172.203.1.0/24 ea
  docker28 network create eauto
  docker28 network create --subnet 172.203.3.0/24 ex
  docker28 run -d --name e1 --net ea host sleep 300
  docker28 run -d --name eh --net host host sleep 300
  docker28 run -d --name ec --net container:e1 host sleep 300
  snapshot "$T/before"
  check() {
    local want=$1
    shift
    run "$@"
    [ "$status" -eq 1 ] || { echo "status $status: $output"; return 1; }
    [ "$output" = "Error response from daemon: $want" ] || { echo "got: $output"; return 1; }
  }
  check "endpoint with name e1 already exists in network ea" docker28 network connect ea e1
  check "cannot connect container to host network - container must be created in host network mode" \
    docker28 network connect host e1
  check "container sharing network namespace with another container or host cannot be connected to any other network" \
    docker28 network connect ea eh
  check "container sharing network namespace with another container or host cannot be connected to any other network" \
    berth network connect ea ec
  check "container cannot be connected to multiple networks with one of the networks in private (none) mode" \
    docker28 network connect none e1
  check $'invalid endpoint settings:\nuser specified IP address is supported on user defined networks only' \
    docker28 network connect --ip 172.17.0.99 bridge e1
  check $'invalid endpoint settings:\nnetwork-scoped alias is supported only for containers in user defined networks' \
    berth network connect --alias x bridge e1
  check $'invalid endpoint settings:\nuser specified IP address is supported only when connecting to networks with user configured subnets' \
    docker28 network connect --ip 172.18.0.99 eauto e1
  check $'invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.1.1.1' \
    docker28 network connect --ip 10.1.1.1 ex e1
  check $'invalid endpoint settings:\ninvalid IPv6 address: fd00::5 (berth networks have no IPv6)' \
    docker28 network connect --ip6 fd00::5 ex e1
  check "network nope not found" docker28 network connect nope e1
  check "No such container: nope" berth network connect ea nope
  check "cannot disconnect container from host network - container was created in host network mode" \
    docker28 network disconnect host eh
  snapshot "$T/after"
  diff "$T/before" "$T/after"
  # Address taken by another container: refused, nothing kept.
  docker28 network create --subnet 172.203.2.0/24 eb
  docker28 run -d --name e2 --net eb --ip 172.203.2.9 host sleep 300
  snapshot "$T/before2"
  check "Address already in use" docker28 network connect --ip 172.203.2.9 eb e1
  snapshot "$T/after2"
  diff "$T/before2" "$T/after2"
}

@test "rename and top, through both clients" {
  docker28 run -d --name r1 host sleep 300
  docker28 run -d --name r2 host sh -c 'sleep 301'
  id=$(docker28 inspect -f '{{.Id}}' r1)
  docker28 rename r1 renamed
  [ "$(docker28 inspect -f '{{.Name}}' renamed)" = /renamed ]
  run docker28 inspect r1
  [ "$status" -eq 1 ]
  berth rename renamed /again
  [ "$(berth inspect -f '{{.Id}}' again)" = "$id" ]
  [ "$(docker28 ps --format '{{.Names}}' | sort | tr '\n' ' ')" = "again r2 " ]
  run docker28 rename again r2
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "Error response from daemon: Error when allocating new name: Conflict. The container name \"/r2\" is already in use by container \"$(docker28 inspect -f '{{.Id}}' r2)\". You have to remove (or rename) that container to be able to reuse that name." ]
  [ "${lines[1]}" = "Error: failed to rename container named again" ]
  run berth rename again r2
  [ "$status" -eq 1 ]
  [ "$output" = "$(docker28 rename again r2 2>&1)" ]
  run docker28 rename again again
  [ "${lines[0]}" = "Error response from daemon: Renaming a container with the same name as its current name" ]
  run berth rename again 'bad name'
  [ "${lines[0]}" = "Error response from daemon: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" ]
  run berth rename again ' '
  [ "$output" = "Error: Neither old nor new names may be empty" ]

  # top: ps -ef by default, only the container's processes.
  pid=$(ctr_pid r2)
  out=$(docker28 top r2)
  [ "$(head -1 <<< "$out" | tr -s ' ')" = "UID PID PPID C STIME TTY TIME CMD" ]
  grep -q "sleep 301" <<< "$out"
  ! grep -q "sleep 300" <<< "$out"
  awk 'NR > 1 {print $2}' <<< "$out" | grep -qx "$pid"
  # berth's client prints the same table.
  [ "$(berth top r2)" = "$out" ]
  [ "$(berth container top r2 -o pid,comm)" = "$(docker28 top r2 -o pid,comm)" ]
  [ "$(docker28 top r2 -o pid,comm | head -1 | tr -s ' ')" = "PID COMMAND" ]
  docker28 stop -t 1 r2
  run docker28 top r2
  [ "$output" = "Error response from daemon: container $(docker28 inspect -f '{{.Id}}' r2) is not running" ]
  run berth top again -o user=PID
  [ "$output" = 'Error response from daemon: specifying "user=PID" is not allowed' ]
}

@test "the docker 20.10 client (API 1.41): connect, disconnect, rename, top" {
  require_client "$DOCKER20"
  docker20 network create --subnet 172.205.1.0/24 oa
  docker20 network create --subnet 172.205.2.0/24 ob
  docker20 run -d --name o1 --net ob host sleep 300
  docker20 network connect --ip 172.205.1.9 oa o1
  [ "$(ctr_addrs o1)" = "eth0 172.205.2.2/24
eth1 172.205.1.9/24" ]
  [ "$(ctr_default o1)" = "172.205.1.1 eth1" ]
  docker20 network disconnect oa o1
  [ "$(ctr_addrs o1)" = "eth0 172.205.2.2/24" ]
  docker20 rename o1 o2
  [ "$(docker20 top o2 | awk 'NR > 1' | grep -c 'sleep 300')" = 2 ]
}

#!/usr/bin/env bats
# Containers on networks, end to end through the docker client: the lecture's
# section 4 on the built-in `host` image, connectivity and isolation, the
# network modes, address reuse, live restore and concurrency.

load ../lib/harness
bats_require_minimum_version 1.5.0

setup() {
  harness_setup ctr
  berthd_start
}

teardown() { harness_teardown; }

lecture_netlb() {
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
    --gateway 172.200.1.1 netlb > /dev/null
}

@test "the lecture's section 4: three -itd containers on netlb get .2 .3 .4; a removed one's address is reused" {
  lecture_netlb
  for i in 1 2 3; do
    run docker28 run -itd --name=nettest$i --net=netlb --net-alias=tg-net host bash
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  done
  [ "$(ctr_ip nettest1 netlb)" = 172.200.1.2 ]
  [ "$(ctr_ip nettest2 netlb)" = 172.200.1.3 ]
  [ "$(ctr_ip nettest3 netlb)" = 172.200.1.4 ]
  # `docker inspect nettest1 | grep -i ipa`, as in the lecture.
  run bash -c "DOCKER_HOST=unix://$SOCK $DOCKER28 inspect nettest1 | grep -i ipa"
  [[ "$output" == *'"IPAddress": "",'* ]]
  [[ "$output" == *'"IPAMConfig": null,'* ]]
  [[ "$output" == *'"IPAddress": "172.200.1.2",'* ]]
  [ "$(docker28 inspect nettest1 -f '{{json .NetworkSettings.Networks.netlb.Aliases}}')" = '["tg-net"]' ]
  # -itd bash keeps running (stdin is an open pty).
  sleep 0.3
  [ "$(docker28 inspect nettest1 -f '{{.State.Status}}')" = running ]
  # The container sees its own interface, MAC derived from the address.
  in_ctr nettest1 ip -j addr show eth0 | jq -e '.[0].address == "02:42:ac:c8:01:02"' > /dev/null
  in_ctr nettest1 ip -j addr show eth0 | jq -e '.[0].addr_info[] | select(.family=="inet") | .local == "172.200.1.2" and .prefixlen == 24' > /dev/null
  [ "$(in_ctr nettest1 ip -j route show default | jq -r '.[0].gateway')" = 172.200.1.1 ]
  # Host side: veth on the bridge, marked as berth's.
  br=$(docker28 network inspect netlb -f '{{.Id}}' | cut -c1-12)
  [ "$(links_json | jq --arg b "br-$br" '[.[] | select(.master==$b and (.ifname|startswith("veth")) and ((.ifalias // "")|startswith("berth:")))] | length')" = 3 ]
  docker28 rm -f nettest2
  run docker28 run -itd --name=nettest4 --net=netlb --net-alias=tg-net host bash
  [ "$status" -eq 0 ]
  [ "$(ctr_ip nettest4 netlb)" = 172.200.1.3 ]
  [ "$(links_json | jq --arg b "br-$br" '[.[] | select(.master==$b)] | length')" = 3 ]
}

@test "containers on one network reach each other; two networks are isolated; masquerade to the outside" {
  lecture_netlb
  docker28 network create --subnet 172.201.1.0/24 other > /dev/null
  docker28 run -d --name ca --net netlb host sleep 300
  docker28 run -d --name cb --net netlb host sleep 300
  docker28 run -d --name cc --net other host sleep 300
  in_ctr ca ping -c1 -W2 "$(ctr_ip cb netlb)"
  ! in_ctr ca ping -c1 -W1 "$(ctr_ip cc other)"
  # An "outside" namespace behind the daemon's namespace: it must see the
  # host's address, not the container's.
  out="berth-out-$$"
  ip netns add "$out"
  ip link add vout0 netns "$NS" type veth peer name vout1 netns "$out"
  ip -n "$NS" addr add 192.0.2.1/24 dev vout0
  ip -n "$NS" link set vout0 up
  ip -n "$out" addr add 192.0.2.2/24 dev vout1
  ip -n "$out" link set vout1 up
  ip -n "$out" link set lo up
  # The peer's address goes to its own file; socat's diagnostics elsewhere.
  ip netns exec "$out" timeout 10 socat -u UDP4-RECVFROM:9999,reuseaddr \
    SYSTEM:"echo \$SOCAT_PEERADDR > $T/peer" 2> "$T/socat.err" &
  # Wait (bounded) until the listener is up, then send until one arrives.
  for i in $(seq 1 50); do
    ip netns exec "$out" ss -Hlun 'sport = :9999' | grep -q 9999 && break
    sleep 0.1
  done
  for i in $(seq 1 20); do
    in_ctr ca bash -c 'echo hi > /dev/udp/192.0.2.2/9999'
    [ -s "$T/peer" ] && break
    sleep 0.2
  done
  ip netns del "$out"
  echo "peer: $(cat "$T/peer"); socat: $(cat "$T/socat.err")"
  [ "$(cat "$T/peer")" = 192.0.2.1 ]
}

@test "--net=host shares the daemon's interfaces and has an empty IPAddress" {
  docker28 run -d --name myweb-host --net=host host sleep 300
  [ "$(docker28 inspect myweb-host -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.host.IPAddress}}')" = "|" ]
  [ "$(netns_of myweb-host)" = "$(ip netns exec "$NS" readlink /proc/self/ns/net)" ]
  in_ctr myweb-host ip -br link | grep -q berth0
  run docker28 run -d --net=host -p 80:80 host sleep 1
  [[ "$output" == *"WARNING: Published ports are discarded when using host network mode"* ]]
}

@test "--net=none has only lo; --net=container: shares the other's namespace" {
  docker28 run -d --name n1 --net=none host sleep 300
  [ "$(in_ctr n1 ip -j link | jq -r '[.[].ifname] | join(",")')" = lo ]
  in_ctr n1 ip -j link | jq -e '.[0].flags | index("UP")' > /dev/null
  docker28 run -d --name b1 host sleep 300
  docker28 run -d --name c1 --net=container:b1 host sleep 300
  [ "$(netns_of c1)" = "$(netns_of b1)" ]
  [ "$(netns_of c1)" != "$(netns_of n1)" ]
  [ "$(docker28 inspect c1 -f '{{json .NetworkSettings.Networks}}')" = '{}' ]
  run docker28 run -d --net=container:b1 -h other host true
  [ "$status" -eq 125 ]
  [[ "$output" == *"conflicting options: hostname and the network mode"* ]]
  run docker28 run -d --net=container:b1 -p 80:80 host true
  [[ "$output" == *"conflicting options: port publishing and the container type network mode"* ]]
}

@test "a stopped container's address is reused; on start it gets the lowest free one" {
  lecture_netlb
  docker28 run -d --name tg1 --net netlb host sleep 300
  docker28 run -d --name tg2 --net netlb host sleep 300
  docker28 stop -t 0 tg1
  docker28 run -d --name tg3 --net netlb host sleep 300
  [ "$(ctr_ip tg3 netlb)" = 172.200.1.2 ]
  docker28 start tg1
  [ "$(ctr_ip tg1 netlb)" = 172.200.1.4 ]
  # A static --ip is kept across restarts.
  docker28 run -d --name st --net netlb --ip 172.200.1.50 host sleep 300
  docker28 stop -t 0 st
  [ "$(ctr_ip st netlb)" = "" ]
  docker28 start st
  [ "$(ctr_ip st netlb)" = 172.200.1.50 ]
}

@test "kill -9 of berthd leaves containers running; restart re-adopts them, logs continue, nothing leaks" {
  lecture_netlb
  docker28 run -itd --name t1 --net netlb host bash
  docker28 run -d --name logger --net netlb host sh -c 'i=0; while [ $i -lt 600 ]; do echo line$i; i=$((i+1)); sleep 0.1; done'
  pid=$(ctr_pid t1)
  before_links=$(links_json | jq -r '[.[].ifname] | sort | join(",")')
  berthd_kill9
  sleep 0.5
  kill -0 "$pid"
  berthd_start
  [ "$(docker28 inspect t1 -f '{{.State.Status}} {{.State.Pid}}')" = "running $pid" ]
  [ "$(links_json | jq -r '[.[].ifname] | sort | join(",")')" = "$before_links" ]
  n1=$(docker28 logs logger | wc -l)
  sleep 0.5
  n2=$(docker28 logs logger | wc -l)
  [ "$n2" -gt "$n1" ]
  in_ctr t1 ping -c1 -W2 "$(ctr_ip logger netlb)"
  # An exit while berthd is away is recorded when it comes back.
  berthd_kill9
  kill -9 "$pid"
  sleep 0.3
  berthd_start
  [ "$(docker28 inspect t1 -f '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
  [ "$(links_json | jq '[.[] | select(.ifname|startswith("veth"))] | length')" = 1 ]
}

@test "50 parallel run -d on one network get 50 distinct addresses" {
  docker28 network create --subnet 10.77.0.0/24 par > /dev/null
  pids=()
  for i in $(seq 1 50); do
    timeout 60 "$DOCKER28" run -d --name p$i --net par host sleep 300 > "$T/run$i.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"  # not a bare wait: berthd is a background job too
  ! grep -l -i error "$T"/run*.out
  ips=$(for i in $(seq 1 50); do ctr_ip p$i par; done | sort -u | wc -l)
  [ "$ips" = 50 ]
  [ "$(docker28 ps -q | wc -l)" = 50 ]
}

@test "stop, restart, kill, wait, logs and rm behave as docker's" {
  docker28 run -d --name w1 host sh -c 'echo out; echo err >&2; exit 3'
  run docker28 wait w1
  [ "$output" = 3 ]
  run docker28 logs w1
  [[ "$output" == *out* && "$output" == *err* ]]
  [ "$(docker28 logs w1 2> /dev/null)" = out ]
  [ "$(docker28 inspect w1 -f '{{.State.Status}} {{.State.ExitCode}}')" = "exited 3" ]
  docker28 run -d --name s1 host sleep 300
  run docker28 rm s1
  [ "$status" -eq 1 ]
  [[ "$output" == *'cannot remove container "/s1": container is running: stop the container before removing or force remove'* ]]
  docker28 kill -s TERM s1
  [ "$(docker28 wait s1)" = 143 ]
  docker28 restart -t 1 s1
  [ "$(docker28 inspect s1 -f '{{.State.Status}}')" = running ]
  docker28 rm -f s1
  run docker28 inspect s1
  [ "$status" -eq 1 ]
  run docker28 stop s1
  [[ "$output" == *"No such container: s1"* ]]
}

@test "start errors leave the container Created with nothing behind" {
  snapshot "$T/before"
  before_procs=$(container_processes)
  run docker28 run -d --name nonet --net nosuch host true
  [ "$status" -eq 125 ]
  [[ "$output" == *"failed to set up container networking: network nosuch not found"* ]]
  [ "$(docker28 inspect nonet -f '{{.State.Status}}')" = created ]
  run -127 docker28 run -d --name nocmd host no-such-command
  [ "$status" -eq 127 ]
  [[ "$output" == *'executable file not found in $PATH'* ]]
  [ "$(docker28 inspect nocmd -f '{{.State.Status}} {{.State.ExitCode}}')" = "created 127" ]
  [ "$(container_processes)" = "$before_procs" ]
  docker28 rm nonet nocmd
  snapshot "$T/after"
  diff "$T/before" "$T/after"
}

@test "create errors leave no record: name in use, --ip on the default bridge, missing image" {
  docker28 run -d --name taken host sleep 300
  snapshot "$T/before"
  run docker28 run -d --name taken host true
  [ "$status" -eq 125 ]
  [[ "$output" == *'Conflict. The container name "/taken" is already in use by container'* ]]
  run docker28 run -d --ip 172.17.0.99 host true
  [[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
  run docker28 run -d --net-alias x host true
  [ "$status" -ne 0 ]
  run docker28 run -d ubuntu:14.04 bash
  [ "$status" -eq 125 ]
  [[ "$output" == *"Unable to find image 'ubuntu:14.04' locally"* ]]
  [[ "$output" == *"berth cannot pull from registries"* ]]
  run docker28 create host
  [[ "$output" == *"no command specified"* ]]
  snapshot "$T/after"
  diff "$T/before" "$T/after"
  [ "$(docker28 ps -aq | wc -l)" = 1 ]
}

@test "the default bridge: the lowest address, the host's resolvers minus loopback ones" {
  printf 'nameserver 127.0.0.53\nnameserver 10.253.53.53\n' > "$T/resolv.conf"
  docker28 run -d --name d1 host sleep 300
  [ "$(docker28 inspect d1 -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}')" = "172.17.0.2 172.17.0.1" ]
  grep -q '^nameserver 10.253.53.53' "$ROOT/containers/$(docker28 inspect d1 -f '{{.Id}}')/resolv.conf"
  ! in_ctr d1 grep -q '127.0.0.53' /etc/resolv.conf
  [ "$(in_ctr d1 hostname)" = "$(docker28 inspect d1 -f '{{.Id}}' | cut -c1-12)" ]
  docker28 network create u1 > /dev/null
  docker28 run -d --name u1c --net u1 -h myhost host sleep 300
  in_ctr u1c grep -q '^nameserver 127.0.0.11' /etc/resolv.conf
  in_ctr u1c grep -q '^options ndots:0' /etc/resolv.conf
  [ "$(in_ctr u1c hostname)" = myhost ]
  in_ctr u1c grep -qP "^$(ctr_ip u1c u1)\tmyhost$" /etc/hosts
}

@test "process settings: -u, -e, --env-file, -w, --entrypoint, -l, capabilities" {
  printf 'FROM_FILE=yes\n' > "$T/env"
  docker28 run -d --name ps1 -u nobody -e A=1 --env-file "$T/env" -w /tmp -l team=net \
    --entrypoint sh host -c 'id -un; echo $A $FROM_FILE; pwd; grep CapEff /proc/self/status; sleep 300'
  sleep 0.5
  run docker28 logs ps1
  [[ "$output" == *nobody* ]]
  [[ "$output" == *"1 yes"* ]]
  [[ "$output" == */tmp* ]]
  [ "$(docker28 inspect ps1 -f '{{.Config.User}} {{.Config.WorkingDir}} {{index .Config.Labels "team"}}')" = "nobody /tmp net" ]
  # Docker's default set has no NET_ADMIN; --cap-add NET_ADMIN adds it.
  docker28 run -d --name capa --cap-add NET_ADMIN host sh -c 'grep CapEff /proc/self/status; sleep 300'
  docker28 run -d --name capd host sh -c 'grep CapEff /proc/self/status; sleep 300'
  sleep 0.5
  eff() { printf '%d' "0x$(docker28 logs "$1" | awk '/CapEff/ {print $2}')"; }
  (( ($(eff capa) >> 12) & 1 ))
  ! (( ($(eff capd) >> 12) & 1 ))
  run docker28 run -d --cap-add NOPE host true
  [ "$status" -eq 125 ]
  [[ "$output" == *'unknown capability: "CAP_NOPE"'* ]]
}

@test "logs: --tail, -t and -f for the docker client and berth" {
  docker28 run -d --name lg host sh -c 'for i in 1 2 3 4 5; do echo l$i; done; sleep 1; echo late; sleep 300'
  sleep 0.4
  [ "$(docker28 logs --tail 2 lg)" = "$(printf 'l4\nl5')" ]
  [ "$(berth logs --tail 2 lg)" = "$(printf 'l4\nl5')" ]
  docker28 logs -t lg | head -1 | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z l1$'
  run timeout 3 "$DOCKER28" -H "unix://$SOCK" logs -f lg
  [[ "$output" == *late* ]]
  run timeout 3 "$BERTH_BIN/berth" -H "unix://$SOCK" logs -f --tail 1 lg
  [ "$output" = late ]
}

@test "berth drives the lecture's setup like the docker client" {
  berth network create --subnet 172.200.1.0/24 --gateway 172.200.1.1 netlb
  for i in 1 2 3; do berth run -itd --name=nettest$i --net=netlb --net-alias=tg-net host bash; done
  [ "$(berth inspect -f '{{.NetworkSettings.Networks.netlb.IPAddress}}' nettest3)" = 172.200.1.4 ]
  [ "$(berth ps --format '{{.Names}}' | sort | tr '\n' ' ')" = "nettest1 nettest2 nettest3 " ]
  [ "$(berth ps --format '{{.Names}} {{.Networks}}' --filter name=nettest1)" = "nettest1 netlb" ]
  berth rm -f nettest1 nettest2 nettest3
  [ -z "$(berth ps -aq)" ]
}

#!/usr/bin/env bats
# The embedded DNS (issue 6): 127.0.0.11 in every container on a user-defined
# network, the lecture's section 4 alias target group, forwarding to fake
# upstreams (dnsmasq inside the test namespace), failover, the cache, the
# gateway listener and a berthd restart. Containers run the `host` image;
# dig, ping and getent run with the container's namespaces (in_ctr:
# nsenter -n -m -u), so the container's own /etc/resolv.conf is used.

load ../lib/harness
bats_require_minimum_version 1.5.0

setup() {
  harness_setup dns
  upstream_start
}

teardown() { harness_teardown; }

netlb() {
  docker28 network create --subnet 172.200.1.0/24 --gateway 172.200.1.1 netlb > /dev/null
}

# dig through the container's resolv.conf, bounded.
cdig() { local c=$1; shift; in_ctr "$c" dig +time=3 +tries=1 "$@"; }

@test "the lecture's section 4: ping tg-net from a fourth container, dig shows three A records TTL 600, exact rotation, members come and go on the next query" {
  berthd_start
  netlb
  for i in 1 2 3; do
    docker28 run -d --name nettest$i --net netlb --net-alias tg-net host sleep 300 > /dev/null
  done
  docker28 run -d --name client --net netlb host sleep 300 > /dev/null

  run in_ctr client ping -c 2 -W 2 tg-net
  [ "$status" -eq 0 ]
  [[ $output == *"2 received"* ]]
  # ping prints the PTR name of the member it reached
  [[ $output =~ "from nettest"[123]".netlb (172.200.1."[234]")" ]]

  run cdig client tg-net
  [ "$status" -eq 0 ]
  [[ $output == *"status: NOERROR"* ]]
  [[ $output == *"flags: qr rd ra;"* ]]
  [ "$(echo "$output" | grep -cP '^tg-net\.\s+600\s+IN\s+A\s+172\.200\.1\.[234]$')" -eq 3 ]

  # 300 queries from one client: each member first exactly 100 times.
  yes tg-net | head -n 300 > "$T/q"
  run in_ctr client dig +short +time=3 +tries=1 -f "$T/q"
  [ "$(echo "$output" | grep -c .)" -eq 900 ]
  firsts=$(echo "$output" | awk 'NR % 3 == 1' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
  [ "$firsts" = "172.200.1.2=100 172.200.1.3=100 172.200.1.4=100 " ]

  # A fourth member appears on the very next query, a stopped one disappears.
  docker28 run -d --name nettest4 --net netlb --net-alias tg-net host sleep 300 > /dev/null
  run cdig client +short tg-net
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "172.200.1.2 172.200.1.3 172.200.1.4 172.200.1.6 " ]
  docker28 kill nettest1 > /dev/null
  docker28 wait nettest1 > /dev/null
  run cdig client +short tg-net
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "172.200.1.3 172.200.1.4 172.200.1.6 " ]
  run cdig client +short nettest1
  [ "$output" = "" ]

  # Names: case-insensitive, name.network, short id; PTR; AAAA; TCP.
  [ "$(cdig client +short NetTest2)" = 172.200.1.3 ]
  [ "$(cdig client +short nettest3.netlb)" = 172.200.1.4 ]
  short=$(docker28 inspect -f '{{.Id}}' nettest2 | cut -c1-12)
  [ "$(cdig client +short "$short")" = 172.200.1.3 ]
  [ "$(cdig client +short -x 172.200.1.4)" = nettest3.netlb. ]
  run cdig client -x 172.200.1.4
  [[ $output =~ "4.1.200.172.in-addr.arpa."[[:space:]]+600[[:space:]]+IN[[:space:]]+PTR[[:space:]]+nettest3.netlb. ]]
  run cdig client AAAA tg-net
  [[ $output == *"status: NOERROR"* ]]
  [[ $output == *"ANSWER: 0,"* ]]
  run cdig client +tcp tg-net
  [[ $output == *"(TCP)"* ]]
  [ "$(echo "$output" | grep -cP '^tg-net\.\s+600\s+IN\s+A\s')" -eq 3 ]
  # A name no one has is forwarded (the fake upstream knows upstream.test).
  [ "$(cdig client +short upstream.test)" = 10.9.9.9 ]

  # The gateway address answers the host side for that network.
  [ "$(in_ns dig +short +time=3 +tries=1 @172.200.1.1 nettest2)" = 172.200.1.3 ]
  [ "$(in_ns dig +short +time=3 +tries=1 +tcp @172.200.1.1 tg-net | wc -l)" -eq 3 ]
}

@test "names resolve only on networks the asking container shares" {
  berthd_start
  netlb
  docker28 network create --subnet 172.201.1.0/24 other > /dev/null
  docker28 run -d --name a1 --net netlb --net-alias tg-net host sleep 300 > /dev/null
  docker28 run -d --name b1 --net other host sleep 300 > /dev/null
  docker28 run -d --name d1 host sleep 300 > /dev/null   # default bridge: no embedded DNS
  [ "$(cdig a1 +short a1)" = 172.200.1.2 ]
  [ "$(cdig b1 +short b1)" = 172.201.1.2 ]
  for n in a1 tg-net a1.netlb; do
    run cdig b1 +short "$n"
    [ "$output" = "" ]
  done
  [ "$(cdig b1 +short -x 172.200.1.2)" = "" ]
  run in_ctr d1 cat /etc/resolv.conf
  [[ $output != *127.0.0.11* ]]
  # The gateway listener of netlb does not answer a source on another network.
  run in_ctr b1 dig +short +time=1 +tries=1 @172.200.1.1 a1
  [[ $output != *172.200.1.2* ]]
  # An input rule in berthd's namespace guards the gateway listeners too.
  run in_ns nft -j list table ip berth_dns
  [ "$status" -eq 0 ]
  [[ $output == *'"right": "172.200.1.1"'* ]]
  [[ $output == *'"prefix": {"addr": "172.200.1.0", "len": 24}'* ]]
  # A container only on an --internal network resolves its network's names,
  # but has no way out: forwarded names fail at once (Docker: no proxyDNS).
  docker28 network create --internal --subnet 172.202.1.0/24 intnet > /dev/null
  docker28 run -d --name i1 --net intnet host sleep 300 > /dev/null
  [ "$(cdig i1 +short i1)" = 172.202.1.2 ]
  run cdig i1 upstream.test
  [[ $output == *"status: SERVFAIL"* ]]
  # Docker's NAT rules live in the container's netns as an nft table.
  run in_ctr a1 nft -j list table ip berth_dns
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.dnat) | .dnat.addr] | unique')" = '[
  "127.0.0.11"
]' ]
}

@test "forwarding: failover to the second upstream, the dead one skipped afterwards, cache hits, SERVFAIL when all fail" {
  upstream2_start
  BERTHD_DNS="$DEAD_UPSTREAM_IP $UPSTREAM2_IP" berthd_start --dns-timeout-ms 500 --dns-dead-time 60
  netlb
  docker28 run -d --name cl --net netlb host sleep 300 > /dev/null
  # The first query waits for the dead upstream once, then the second answers.
  run cdig cl upstream.test
  [[ $output =~ "upstream.test."[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+10.9.9.10 ]]
  # From now on the dead one is skipped: no timeout on the next name.
  run cdig cl second.test
  [[ $output == *10.9.9.11* ]]
  ms=$(echo "$output" | sed -n 's/^;; Query time: \([0-9]*\) msec/\1/p')
  [ "$ms" -lt 300 ]
  # Cache: answered again with the upstream gone, TTL counting down.
  asked=$(grep -c 'query\[A\] second.test' "$T/dnsmasq2.log")
  kill "$UPSTREAM2_PID"
  wait "$UPSTREAM2_PID" 2> /dev/null || true
  UPSTREAM2_PID=
  sleep 1.1
  run cdig cl second.test
  [[ $output =~ "second.test."[[:space:]]+(59|58)[[:space:]]+IN[[:space:]]+A[[:space:]]+10.9.9.11 ]]
  [ "$(grep -c 'query\[A\] second.test' "$T/dnsmasq2.log")" -eq "$asked" ]
  # Nothing answers any more: SERVFAIL.
  run cdig cl +time=5 nothing.test
  [[ $output == *"status: SERVFAIL"* ]]
}

# A fake upstream whose TXT answer for big.test (40 records, ~2.9 kB) fits
# neither 512 bytes nor dig's EDNS 1232: dnsmasq sends it truncated (TC) over
# UDP and whole over TCP. On a link of its own at BIG_UPSTREAM_IP; its PID in
# UPSTREAM2_PID so harness_teardown stops it.
BIG_UPSTREAM_IP=10.253.53.57
TC_FLAGS='flags: qr[a-z ]* tc'  # dig's flags line with TC set
big_upstream_start() {
  ip -n "$NS" link add upbig type bridge
  ip -n "$NS" link set upbig up
  ip -n "$NS" addr add "$BIG_UPSTREAM_IP/32" dev upbig
  local txt=() i
  for i in $(seq -w 1 40); do
    txt+=(--txt-record="big.test,record-$i-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklmnop")
    txt+=(--txt-record="big2.test,record-$i-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklmnop")
  done
  ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --no-daemon --port 53 \
    --listen-address="$BIG_UPSTREAM_IP" --bind-interfaces --pid-file= --local-ttl=60 \
    "${txt[@]}" --log-queries --log-facility=- > "$T/dnsmasq-big.log" 2>&1 &
  UPSTREAM2_PID=$!
  for _ in $(seq 1 50); do
    in_ns dig +short +time=1 +tries=1 +tcp @"$BIG_UPSTREAM_IP" big.test TXT 2> /dev/null | grep -q record-01 && return 0
    sleep 0.1
  done
  return 1
}

@test "a truncated upstream answer is retried over TCP for a TCP client; a UDP client gets TC; nothing truncated is cached" {
  big_upstream_start
  # The upstream itself: TC over UDP (dig +ignore keeps the truncated answer).
  run in_ns dig +time=3 +tries=1 +ignore @"$BIG_UPSTREAM_IP" big.test TXT
  [[ $output =~ $TC_FLAGS ]]
  BERTHD_DNS=$BIG_UPSTREAM_IP berthd_start
  netlb
  docker28 run -d --name cl --net netlb host sleep 300 > /dev/null
  docker28 run -d --name own --net netlb --dns "$BIG_UPSTREAM_IP" host sleep 300 > /dev/null

  # UDP client, twice: the truncated answer each time, asked upstream each
  # time (a TC answer is not cached).
  local before
  before=$(grep -c 'query\[TXT\] big.test' "$T/dnsmasq-big.log")
  for _ in 1 2; do
    run cdig cl +ignore +noedns big.test TXT
    [[ $output == *"status: NOERROR"* ]]
    [[ $output =~ $TC_FLAGS ]]
    [ "$(echo "$output" | grep -c 'IN.TXT.*record-')" -lt 40 ]
  done
  [ "$(grep -c 'query\[TXT\] big.test' "$T/dnsmasq-big.log")" -eq $((before + 2)) ]

  # TCP client through 127.0.0.11 (daemon upstream, from berthd's netns):
  # the whole answer, no TC; with and without EDNS.
  for edns in +edns +noedns; do
    run cdig cl +tcp "$edns" big.test TXT
    [[ $output == *"status: NOERROR"* ]]
    [[ ! $output =~ $TC_FLAGS ]]
    [ "$(echo "$output" | grep -c 'IN.TXT."record-[0-9]*-abc')" -eq 40 ]
  done
  # The container's own --dns server, reached over TCP from its netns.
  run cdig own +tcp big.test TXT
  [[ ! $output =~ $TC_FLAGS ]]
  [ "$(echo "$output" | grep -c 'IN.TXT."record-[0-9]*-abc')" -eq 40 ]
  # The upstream saw TCP connections (dnsmasq logs no transport; the TCP
  # retries are the extra queries beyond the UDP ones).
  [ "$(grep -c 'query\[TXT\] big.test' "$T/dnsmasq-big.log")" -ge $((before + 2 + 2)) ]
  # The upstream refuses TCP (a reset from an nft rule in the test
  # namespace): the TCP attempt fails over at once, none left: SERVFAIL.
  in_ns nft add table ip tcpblock
  in_ns nft add chain ip tcpblock input '{ type filter hook input priority 0; policy accept; }'
  in_ns nft add rule ip tcpblock input ip daddr "$BIG_UPSTREAM_IP" tcp dport 53 reject with tcp reset
  run cdig cl +tcp big2.test TXT
  [[ $output == *"status: SERVFAIL"* ]]
  ms=$(echo "$output" | sed -n 's/^;; Query time: \([0-9]*\) msec/\1/p')
  [ "$ms" -lt 900 ]
  run cdig cl +ignore +noedns big2.test TXT
  [[ $output =~ $TC_FLAGS ]]
}

@test "a container's own --dns servers are its upstreams; --dns-search, --dns-option, --add-host; the concurrency limit refuses" {
  upstream2_start
  BERTHD_DNS=$DEAD_UPSTREAM_IP berthd_start --dns-max-concurrent 1 --dns-timeout-ms 8000
  netlb
  docker28 run -d --name own --net netlb --dns "$UPSTREAM2_IP" --dns-search example.test \
    --dns-option ndots:2 --add-host foo.test:10.1.2.3 host sleep 300 > /dev/null
  docker28 run -d --name plain --net netlb host sleep 300 > /dev/null
  run in_ctr own cat /etc/resolv.conf
  [[ $output == *"nameserver 127.0.0.11"* ]]
  [[ $output != *"nameserver $UPSTREAM2_IP"* ]]
  [[ $output == *"search example.test"* ]]
  [[ $output == *"options ndots:2"* ]]
  [ "$(in_ctr own getent hosts foo.test | awk '{print $1}')" = 10.1.2.3 ]
  [ "$(cdig own +short upstream.test)" = 10.9.9.10 ]
  [ "$(cdig own +short plain)" = 172.200.1.3 ]
  # Docker's ndots rule: with ndots set explicitly (here --dns-option
  # ndots:2; the harness's host file's ndots:0 counts too), an unknown
  # single-label name gets an empty NOERROR at once and is not forwarded;
  # own2's --dns-option replaces the host's options, so no ndots: forwarded.
  run cdig own nosuchname
  [[ $output == *"status: NOERROR"* ]]
  [[ $output == *"ANSWER: 0,"* ]]
  run cdig own nosuchname AAAA
  [[ $output == *"status: NOERROR"* ]]
  [[ $output == *"ANSWER: 0,"* ]]
  [ "$(grep -c 'nosuchname' "$T/dnsmasq2.log")" -eq 0 ]
  docker28 run -d --name own2 --net netlb --dns "$UPSTREAM2_IP" --dns-option timeout:2 \
    host sleep 300 > /dev/null
  run cdig own2 nosuchname
  [ "$(grep -c 'query\[A\] nosuchname' "$T/dnsmasq2.log")" -eq 1 ]
  # `plain` forwards to the daemon's (dead) upstream: one query in flight
  # is the limit, a second one at the same time is refused at once.
  local ppid
  ppid=$(ctr_pid plain)
  nsenter -t "$ppid" -n -m -u dig +time=9 +tries=1 slow.test > /dev/null 2>&1 &
  local slow=$!
  sleep 0.5
  run nsenter -t "$ppid" -n -m -u dig +time=3 +tries=1 other.test
  kill "$slow" 2> /dev/null || true
  [[ $output == *"status: REFUSED"* ]]
  [[ $output =~ "Query time: "[0-9]{1,3}" msec" ]]  # at once, not after 8 s
}

@test "a container can run its own DNS server on 0.0.0.0:53 beside 127.0.0.11" {
  berthd_start
  netlb
  docker28 run -d --name tg1 --net netlb --net-alias tg-net host sleep 300 > /dev/null
  docker28 run -d --name srv --net netlb host \
    dnsmasq -k --no-resolv --no-hosts --user=root --pid-file= --port 53 \
    --address=/own.test/10.7.7.7 > /dev/null
  for _ in $(seq 1 50); do
    in_ctr srv ss -lnu 2> /dev/null | grep -q '0.0.0.0:53 ' && break
    sleep 0.1
  done
  run in_ctr srv ss -lnu
  [[ $output == *"0.0.0.0:53 "* ]]
  [ "$(in_ctr tg1 dig +short +time=3 +tries=1 @172.200.1.3 own.test)" = 10.7.7.7 ]
  [ "$(in_ctr srv dig +short +time=3 +tries=1 @127.0.0.1 own.test)" = 10.7.7.7 ]
  # 127.0.0.11 inside srv is still berth's resolver.
  [ "$(cdig srv +short tg-net)" = 172.200.1.2 ]
}

@test "kill -9 berthd and restart: DNS answers again in every container" {
  berthd_start
  netlb
  for i in 1 2 3; do
    docker28 run -d --name nettest$i --net netlb --net-alias tg-net host sleep 300 > /dev/null
  done
  berthd_kill9
  berthd_start
  for i in 1 2 3; do
    run cdig nettest$i +short tg-net
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "172.200.1.2 172.200.1.3 172.200.1.4 " ]
  done
  [ "$(in_ns dig +short +time=3 +tries=1 @172.200.1.1 nettest1)" = 172.200.1.2 ]
  # One NAT table per container, pointing at the new sockets.
  run in_ctr nettest1 nft list table ip berth_dns
  [ "$(echo "$output" | grep -c 'dnat to 127.0.0.11')" -eq 2 ]
}

@test "a gateway address that cannot be bound shows in /info Warnings" {
  # Something else holds the future gateway's port 53 (a non-local bind,
  # allowed by a sysctl of the test namespace only).
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_nonlocal_bind=1
  ip netns exec "$NS" socat -u UDP4-RECVFROM:53,bind=172.200.1.1 /dev/null &
  local socat_pid=$!
  sleep 0.2
  berthd_start
  netlb
  run docker28 info -f '{{json .Warnings}}'
  kill "$socat_pid" 2> /dev/null || true
  wait "$socat_pid" 2> /dev/null || true
  [[ $output == *"embedded DNS for network netlb not available on its gateway"* ]]
  grep -q "embedded DNS for network netlb not available" "$BERTHD_LOG"
}

@test "a network removed and created again with the same gateway answers there at once" {
  berthd_start
  netlb
  docker28 run -d --name a1 --net netlb host sleep 300 > /dev/null
  [ "$(in_ns dig +short +time=2 +tries=1 @172.200.1.1 a1)" = 172.200.1.2 ]
  docker28 rm -f a1 > /dev/null
  docker28 network rm netlb > /dev/null
  netlb
  docker28 run -d --name a2 --net netlb host sleep 300 > /dev/null
  [ "$(in_ns dig +short +time=2 +tries=1 @172.200.1.1 a2)" = 172.200.1.2 ]
  [ "$(in_ns dig +short +time=2 +tries=1 @172.200.1.1 a1)" = "" ]
  run docker28 info -f '{{json .Warnings}}'
  [[ $output != *"embedded DNS"* ]]
}

@test "the lecture's section 4 verbatim on the Debian image (ubuntu:14.04): the image's own ping and dig resolve tg-net through 127.0.0.11" {
  berthd_start
  import_debian_image ubuntu:14.04
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
    --gateway 172.200.1.1 netlb > /dev/null
  docker28 run -itd --name=nettest1 --net=netlb --net-alias=tg-net ubuntu:14.04 > /dev/null
  docker28 run -itd --name=nettest2 --net=netlb --net-alias=tg-net ubuntu:14.04 > /dev/null
  docker28 run -itd --name=nettest3 --net=netlb --net-alias=tg-net ubuntu:14.04 > /dev/null
  out=$(docker28 inspect nettest1 | grep -i ipa)
  [[ $out == *'"IPAddress": "172.200.1.2",'* ]]
  # `docker run -it --name=frontend --net=netlb ubuntu:14.04 bash`, detached
  # here; the commands run in its namespaces with the image's own binaries
  # and the /etc/resolv.conf berth wrote for it.
  docker28 run -itd --name=frontend --net=netlb ubuntu:14.04 bash > /dev/null
  [ "$(in_ctr frontend cat /etc/resolv.conf | grep ^nameserver)" = "nameserver 127.0.0.11" ]
  [ "$(in_ctr frontend sh -c 'command -v ping; command -v dig' | tr '\n' ' ')" = "/usr/bin/ping /usr/bin/dig " ]

  run in_ctr frontend ping -c 2 tg-net
  [ "$status" -eq 0 ]
  [[ ${lines[0]} =~ ^"PING tg-net (172.200.1."[234]") 56(84) bytes of data."$ ]]
  [[ ${lines[1]} =~ ^"64 bytes from nettest"([123])".netlb (172.200.1."([234])"): icmp_seq=1 ttl=64" ]]
  # the reverse name is the member's own: nettestN is 172.200.1.(N+1)
  [ $((BASH_REMATCH[1] + 1)) -eq "${BASH_REMATCH[2]}" ]
  [[ $output == *"2 packets transmitted, 2 received, 0% packet loss"* ]]

  run in_ctr frontend dig tg-net
  [ "$status" -eq 0 ]
  [[ $output == *";; QUESTION SECTION:"*";tg-net."*"IN"*"A"* ]]
  [[ $output == *"status: NOERROR"* ]]
  [[ $output == *"SERVER: 127.0.0.11#53(127.0.0.11)"* ]]
  [ "$(echo "$output" | grep -P '^tg-net\.\s+600\s+IN\s+A\s+172\.200\.1\.[234]$' | awk '{print $5}' | sort | tr '\n' ' ')" = \
    "172.200.1.2 172.200.1.3 172.200.1.4 " ]

  # "2 terminal": a fourth member is in the answers at once (.5 is frontend's)
  docker28 run -itd --name=nettest4 --net=netlb --net-alias tg-net ubuntu:14.04 > /dev/null
  run in_ctr frontend dig tg-net
  [ "$(echo "$output" | grep -P '^tg-net\.\s+600\s+IN\s+A\s' | awk '{print $5}' | sort | tr '\n' ' ')" = \
    "172.200.1.2 172.200.1.3 172.200.1.4 172.200.1.6 " ]
  run in_ctr frontend ping -c 2 tg-net
  [ "$status" -eq 0 ]
  [[ ${lines[1]} =~ "64 bytes from nettest"[1234]".netlb (172.200.1."[2346]"): icmp_seq=1" ]]
  # `docker inspect nettest1`: the lecture's Docker listed the short id among
  # the Aliases; Docker 28 (API >= 1.45) keeps it in DNSNames, and so does berth
  id=$(docker28 inspect -f '{{.Id}}' nettest1)
  [ "$(docker28 inspect -f '{{json (index .NetworkSettings.Networks "netlb").Aliases}}' nettest1)" = '["tg-net"]' ]
  [ "$(docker28 inspect -f '{{json (index .NetworkSettings.Networks "netlb").DNSNames}}' nettest1)" = "[\"nettest1\",\"tg-net\",\"${id:0:12}\"]" ]
  [ "$(in_ctr frontend dig +short "${id:0:12}")" = 172.200.1.2 ]
}

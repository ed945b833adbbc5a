#!/usr/bin/env bats
# Bad input, through the docker 28 CLI, the raw API and the berth CLI: every
# case must be refused with a clear error (Docker 28's status and text where
# dockerd has one) and must change nothing. Each case takes a snapshot
# (links, addresses, nft ruleset, the SQLite database, the data root's files)
# before and after the bad request and diffs them.
#
# docker 28 is the reference client for the messages; the last test runs the
# CLI-side and daemon-side refusals again through berth's own CLI.

load ../lib/harness

setup() {
  harness_setup bad
  berthd_start
  CASES=0
  FAILED=()
}

teardown() { harness_teardown; }

# snapshot() compares `ip -j -d link` and `ip -j addr`, which also carry
# kernel-owned fields that change by themselves: the bridge timers (gc_timer
# counts down every second) and IPv6 DAD's "tentative" flag on a link that
# just came up. They are dropped here so that a diff shows only what a
# request changed; everything else is the harness' own output.

# raw METHOD PATH CONTENT_TYPE [BODY]: like api, with any Content-Type (or
# none when empty) and no body at all when BODY is absent.
raw() {
  local method=$1 path=$2 ct=$3
  shift 3
  local args=(-s --max-time 10 --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}')
  [[ -n $ct ]] && args+=(-H "Content-Type: $ct")
  (($#)) && args+=(--data-binary "$1")
  local out
  out=$(curl "${args[@]}" "http://berth$path")
  printf '%s' "${out##*$'\n'}" > "$T/api_status"
  printf '%s' "${out%$'\n'*}"
}

# filters JSON: the value of a ?filters= query parameter, URL-encoded.
filters() { jq -rn --arg f "$1" '$f | @uri'; }

# expect_unchanged_error WANT MESSAGE -- COMMAND...
#   WANT is an HTTP status when COMMAND is `api` or `raw`: the reply's status
#   must be WANT and its "message" must equal MESSAGE. WANT is exit=N for a
#   CLI: it must exit N and its output must contain MESSAGE. A MESSAGE
#   starting with re: is an extended regular expression instead.
#   In every case the snapshots before and after COMMAND must be equal.
# A failing case is reported and the next one still runs; all_cases_passed
# ends the test.
expect_unchanged_error() {
  local want=$1 msg=$2
  shift 2
  [[ ${1-} == -- ]] && shift
  CASES=$((CASES + 1))
  local label="case $CASES: $*"
  snapshot "$T/before"
  rm -f "$T/api_status"
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  snapshot "$T/after"
  local problems=() got
  if [[ $want == exit=* ]]; then
    [[ $rc == "${want#exit=}" ]] || problems+=("exit status $rc, want ${want#exit=}")
    got=$out
  else
    local status
    status=$(cat "$T/api_status" 2> /dev/null || echo none)
    [[ $status == "$want" ]] || problems+=("HTTP status $status, want $want")
    got=$(jq -r '.message' <<< "$out" 2> /dev/null) || got="(no JSON message) $out"
  fi
  if [[ $msg == re:* ]]; then
    [[ $got =~ ${msg#re:} ]] || problems+=("message does not match")
  elif [[ $want == exit=* ]]; then
    [[ $got == *"$msg"* ]] || problems+=("message not found in the output")
  else
    [[ $got == "$msg" ]] || problems+=("message differs")
  fi
  if ! diff -u "$T/before" "$T/after" > "$T/diff"; then
    problems+=("state changed:"$'\n'"$(cat "$T/diff")")
  fi
  if ((${#problems[@]})); then
    {
      echo "FAIL $label"
      echo "  want: $want $(printf '%q' "$msg")"
      echo "  got:  $(printf '%q' "$got")"
      printf '  - %s\n' "${problems[@]}"
    } >&2
    FAILED+=("$label")
  fi
  return 0
}

all_cases_passed() {
  echo "# $CASES cases, ${#FAILED[@]} failed" >&2
  ((${#FAILED[@]} == 0))
}

create() { api POST /v1.50/networks/create "$1"; }
create_at() { api POST "$1" "$2"; }

@test "the snapshot is stable when nothing happens and sees a created network" {
  docker28 network create --subnet 172.40.0.0/16 existing
  snapshot "$T/a"
  sleep 2
  api GET /v1.50/networks > /dev/null
  docker28 network inspect existing > /dev/null
  snapshot "$T/b"
  diff -u "$T/a" "$T/b"
  # A successful create changes every section the cases rely on.
  docker28 network create --subnet 172.41.0.0/16 seen
  snapshot "$T/c"
  for section in links addrs nft db; do
    ! diff -q <(sed -n "/^## $section\$/,/^## /p" "$T/b") <(sed -n "/^## $section\$/,/^## /p" "$T/c") > /dev/null
  done
}

@test "subnets: not CIDR, host bits set, garbage, /33, IPv6 without --ipv6, two IPv4 subnets" {
  local pre='Error response from daemon: invalid network config:'
  expect_unchanged_error exit=1 "$pre"$'\n''invalid subnet 172.30.0.0: invalid CIDR block notation' -- \
    docker28 network create --subnet 172.30.0.0 n1
  expect_unchanged_error exit=1 "$pre"$'\n''invalid subnet 172.30.0.1/16: it should be 172.30.0.0/16' -- \
    docker28 network create --subnet 172.30.0.1/16 n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid subnet 172.30.0.1/16: it should be 172.30.0.0/16' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.1/16"}]}}'
  expect_unchanged_error exit=1 "$pre"$'\n''invalid subnet garbage: invalid CIDR block notation' -- \
    docker28 network create --subnet garbage n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid subnet 172.30.0.0/33: invalid CIDR block notation' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/33"}]}}'
  # dockerd ignores an IPv6 subnet when IPv6 is off; berth has no IPv6 yet
  # and says so rather than dropping part of the request.
  expect_unchanged_error exit=1 'Error response from daemon: IPv6 networks are not supported by berth yet: remove the IPv6 subnet from IPAM.Config' -- \
    docker28 network create --subnet fd00::/64 n1
  # The bridge driver's processIPAM: types.ForbiddenErrorf.
  expect_unchanged_error exit=1 "Error response from daemon: bridge driver doesn't support multiple subnets" -- \
    docker28 network create --subnet 172.30.0.0/24 --subnet 172.31.0.0/24 n1
  expect_unchanged_error 403 "bridge driver doesn't support multiple subnets" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/24"},{"Subnet":"172.31.0.0/24"}]}}'
  all_cases_passed
}

@test "ip-range, gateway and aux-address that do not fit the subnet" {
  local pre=$'Error response from daemon: invalid network config:\n'
  # The CLI's own checks (createIPAMConfig) refuse before any request.
  expect_unchanged_error exit=1 'no matching subnet for range 172.31.0.0/24' -- \
    docker28 network create --subnet 172.30.0.0/24 --ip-range 172.31.0.0/24 n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid ip-range 172.31.0.0/24: parent subnet 172.30.0.0/24 doesn\'t contain ip-range' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/24","IPRange":"172.31.0.0/24"}]}}'
  expect_unchanged_error exit=1 "${pre}invalid ip-range 172.30.0.0/16: CIDR block is bigger than its parent subnet 172.30.0.0/24" -- \
    docker28 network create --subnet 172.30.0.0/24 --ip-range 172.30.0.0/16 n1
  expect_unchanged_error exit=1 "${pre}invalid ip-range 172.30.1.1/24: it should be 172.30.1.0/24" -- \
    docker28 network create --subnet 172.30.0.0/16 --ip-range 172.30.1.1/24 n1
  expect_unchanged_error exit=1 'no matching subnet for gateway 172.31.0.1' -- \
    docker28 network create --subnet 172.30.0.0/24 --gateway 172.31.0.1 n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid gateway 172.31.0.1: parent subnet 172.30.0.0/24 doesn\'t contain this address' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/24","Gateway":"172.31.0.1"}]}}'
  expect_unchanged_error exit=1 'no matching subnet for gateway notanip' -- \
    docker28 network create --subnet 172.30.0.0/24 --gateway notanip n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid gateway notanip: invalid address' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/24","Gateway":"notanip"}]}}'
  expect_unchanged_error exit=1 'no matching subnet for aux-address 172.31.0.5' -- \
    docker28 network create --subnet 172.30.0.0/24 --aux-address a=172.31.0.5 n1
  expect_unchanged_error 400 $'invalid network config:\ninvalid auxiliary address a: parent subnet 172.30.0.0/24 doesn\'t contain this address' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.0/24","AuxiliaryAddresses":{"a":"172.31.0.5"}}]}}'
  # Several problems at once: ValidateIPAM's joinError lists them all.
  expect_unchanged_error 400 $'invalid network config:\n* invalid subnet 172.30.0.1/24: it should be 172.30.0.0/24\n* invalid ip-range x: invalid CIDR block notation\n* invalid gateway y: invalid address' -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.30.0.1/24","IPRange":"x","Gateway":"y"}]}}'
  all_cases_passed
}

@test "ip-range or gateway without a subnet: the CLI's check, and the same words from the API" {
  local msg='every ip-range or gateway must have a corresponding subnet'
  expect_unchanged_error exit=1 "$msg" -- docker28 network create --ip-range 172.30.0.0/24 n1
  expect_unchanged_error exit=1 "$msg" -- docker28 network create --gateway 172.30.0.1 n1
  # dockerd would answer "invalid subnet : invalid CIDR block notation";
  # berth explains it with the CLI's words (ipam/validate.cc).
  expect_unchanged_error 400 "invalid network config:"$'\n'"$msg" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"IPRange":"172.30.0.0/24"}]}}'
  expect_unchanged_error 400 "invalid network config:"$'\n'"$msg" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Gateway":"172.30.0.1"}]}}'
  all_cases_passed
}

@test "conflicts with what exists: overlapping subnet, duplicate name, predefined names" {
  docker28 network create --subnet 172.40.0.0/16 existing
  local overlap='invalid pool request: Pool overlaps with other one on this address space'
  expect_unchanged_error exit=1 "Error response from daemon: $overlap" -- \
    docker28 network create --subnet 172.40.1.0/24 n1
  expect_unchanged_error 403 "$overlap" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.40.0.0/16"}]}}'
  expect_unchanged_error 403 "$overlap" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.0.0.0/8"}]}}'
  # The default bridge's subnet is taken too.
  expect_unchanged_error 403 "$overlap" -- \
    create '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.17.5.0/24"}]}}'
  expect_unchanged_error exit=1 'Error response from daemon: network with name existing already exists' -- \
    docker28 network create existing
  expect_unchanged_error 409 'network with name existing already exists' -- \
    create '{"Name":"existing","IPAM":{"Config":[{"Subnet":"10.99.0.0/16"}]}}'
  local name
  for name in bridge host none default; do
    # dockerd's PredefinedNetworkError ends with a space.
    expect_unchanged_error 403 "operation is not permitted on predefined $name network " -- \
      create "{\"Name\":\"$name\"}"
  done
  expect_unchanged_error exit=1 'Error response from daemon: operation is not permitted on predefined host network' -- \
    docker28 network create host
  all_cases_passed
}

@test "bridge names: too long, with a slash, another network's, the default bridge's, a foreign link's" {
  expect_unchanged_error exit=1 'Error response from daemon: bridge name "abcdefghijklmnop" is too long: at most 15 characters are allowed' -- \
    docker28 network create -o com.docker.network.bridge.name=abcdefghijklmnop n1
  expect_unchanged_error 400 "invalid bridge name \"a/b\": '/', ':' and whitespace are not allowed in interface names" -- \
    create '{"Name":"n1","Options":{"com.docker.network.bridge.name":"a/b"}}'
  local first bridge_id
  first=$(docker28 network create -o com.docker.network.bridge.name=mybr first)
  bridge_id=$(docker28 network inspect bridge -f '{{.Id}}')
  # libnetwork's bridge checkConflict, both IDs in full.
  expect_unchanged_error 403 "re:^cannot create network [0-9a-f]{64} \(mybr\): conflicts with network $first \(mybr\): networks have same bridge name\$" -- \
    create '{"Name":"n1","Options":{"com.docker.network.bridge.name":"mybr"}}'
  expect_unchanged_error 403 "re:^cannot create network [0-9a-f]{64} \(berth0\): conflicts with network $bridge_id \(berth0\): networks have same bridge name\$" -- \
    create '{"Name":"n1","Options":{"com.docker.network.bridge.name":"berth0"}}'
  # An interface berth did not make is never taken over, nor touched (the
  # snapshot holds its every attribute). No dummy module everywhere: a veth.
  ip -n "$NS" link add taken0 type dummy 2> /dev/null ||
    ip -n "$NS" link add taken0 type veth peer name taken0p
  ip -n "$NS" link add takenbr type bridge
  expect_unchanged_error exit=1 'Error response from daemon: cannot create network n1: interface taken0 already exists on the host and is not managed by berth' -- \
    docker28 network create -o com.docker.network.bridge.name=taken0 n1
  expect_unchanged_error 409 'cannot create network n1: interface takenbr already exists on the host and is not managed by berth' -- \
    create '{"Name":"n1","Options":{"com.docker.network.bridge.name":"takenbr"}}'
  [ -z "$(links_json | jq -r '.[] | select(.ifname=="takenbr" or .ifname=="taken0") | .ifalias // empty')" ]
  all_cases_passed
}

@test "drivers and flags berth does not serve: overlay, macvlan, unknown, --ipv6, --ingress, swarm scope, IPAM plugin" {
  expect_unchanged_error 403 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' -- \
    create '{"Name":"n1","Driver":"overlay"}'
  expect_unchanged_error exit=1 'Error response from daemon: This node is not a swarm manager.' -- \
    docker28 network create -d overlay n1
  # dockerd has macvlan built in; berth answers as dockerd does for a
  # driver it cannot find.
  expect_unchanged_error 404 'could not find plugin macvlan in v1 plugin registry: plugin not found' -- \
    create '{"Name":"n1","Driver":"macvlan"}'
  expect_unchanged_error exit=1 'Error response from daemon: could not find plugin nosuchdriver in v1 plugin registry: plugin not found' -- \
    docker28 network create -d nosuchdriver n1
  expect_unchanged_error exit=1 'Error response from daemon: IPv6 networks are not supported by berth yet' -- \
    docker28 network create --ipv6 n1
  expect_unchanged_error 400 'IPv6 networks are not supported by berth yet' -- \
    create '{"Name":"n1","EnableIPv6":true}'
  expect_unchanged_error exit=1 'Error response from daemon: Ingress network can only be global scope network' -- \
    docker28 network create --ingress n1
  expect_unchanged_error 403 'Ingress network can only be global scope network' -- \
    create '{"Name":"n1","Ingress":true}'
  expect_unchanged_error 403 'cannot create a swarm scoped network when swarm is not active' -- \
    create '{"Name":"n1","Scope":"swarm"}'
  expect_unchanged_error 404 'could not find plugin foo in v1 plugin registry: plugin not found' -- \
    create '{"Name":"n1","IPAM":{"Driver":"foo"}}'
  all_cases_passed
}

@test "driver options: MTU not a number and out of range, enable_icc=maybe" {
  expect_unchanged_error exit=1 'Error response from daemon: failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing "abc": invalid syntax)' -- \
    docker28 network create -o com.docker.network.driver.mtu=abc n1
  expect_unchanged_error 400 'failed to parse com.docker.network.driver.mtu value: 1500x (strconv.Atoi: parsing "1500x": invalid syntax)' -- \
    create '{"Name":"n1","Options":{"com.docker.network.driver.mtu":"1500x"}}'
  # dockerd: ErrInvalidMtu "invalid MTU number: %d"; berth adds the range.
  expect_unchanged_error exit=1 'Error response from daemon: invalid MTU number: 70000' -- \
    docker28 network create -o com.docker.network.driver.mtu=70000 n1
  expect_unchanged_error exit=1 'Error response from daemon: invalid MTU number: -1' -- \
    docker28 network create -o com.docker.network.driver.mtu=-1 n1
  expect_unchanged_error exit=1 'Error response from daemon: failed to parse com.docker.network.bridge.enable_icc value: maybe (strconv.ParseBool: parsing "maybe": invalid syntax)' -- \
    docker28 network create -o com.docker.network.bridge.enable_icc=maybe n1
  expect_unchanged_error 400 'failed to parse com.docker.network.bridge.enable_ip_masquerade value: yes (strconv.ParseBool: parsing "yes": invalid syntax)' -- \
    create '{"Name":"n1","Options":{"com.docker.network.bridge.enable_ip_masquerade":"yes"}}'
  all_cases_passed
}

@test "network names: blank, with a space, starting with a dash" {
  expect_unchanged_error 400 'invalid name: name is empty' -- create '{"Name":""}'
  expect_unchanged_error 400 'invalid name: name is empty' -- create '{"Name":"   "}'
  expect_unchanged_error 400 'invalid name: name is empty' -- create '{}'
  # dockerd takes any name that is not blank; berth keeps names to what an
  # interface alias, a DNS label and a shell accept.
  expect_unchanged_error 400 'invalid network name "bad name": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' -- \
    create '{"Name":"bad name"}'
  expect_unchanged_error exit=1 'Error response from daemon: invalid network name "bad name"' -- \
    docker28 network create "bad name"
  expect_unchanged_error 400 'invalid network name "-dash": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' -- \
    create '{"Name":"-dash"}'
  all_cases_passed
}

@test "request bodies: malformed JSON, an array, wrong types, wrong Content-Type, no body" {
  # moby's httputils.ReadJSON wraps Go's decoder errors in "invalid JSON: ".
  expect_unchanged_error 400 'invalid JSON: unexpected EOF' -- create '{"Name":"n1",'
  expect_unchanged_error 400 "invalid JSON: invalid character 'i' looking for beginning of object key string" -- \
    create '{invalid json'
  expect_unchanged_error 400 'unexpected content after JSON' -- create '{"Name":"n1"} trailing'
  expect_unchanged_error 400 'invalid JSON: json: cannot unmarshal array into Go value of type network.CreateRequest' -- \
    create '["n1"]'
  expect_unchanged_error 400 'invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Name of type string' -- \
    create '{"Name":5}'
  expect_unchanged_error 400 'invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.IPAM of type network.IPAM' -- \
    create '{"Name":"n1","IPAM":"x"}'
  expect_unchanged_error 400 "unsupported Content-Type header (text/plain): must be 'application/json'" -- \
    raw POST /v1.50/networks/create text/plain '{"Name":"n1"}'
  expect_unchanged_error 400 'invalid JSON: got EOF while reading request body' -- \
    raw POST /v1.50/networks/create application/json '   '
  # No body at all is an empty request for dockerd: its name is blank.
  expect_unchanged_error 400 'invalid name: name is empty' -- raw POST /v1.50/networks/create application/json
  all_cases_passed
}

@test "routes and API versions: unknown route, too old, too new" {
  local body='{"Name":"n1"}'
  expect_unchanged_error 404 'page not found' -- api GET /v1.50/nosuch
  expect_unchanged_error 404 'page not found' -- create_at /v1.50/networks/create/more "$body"
  expect_unchanged_error 404 'page not found' -- api PUT /v1.50/networks/create "$body"
  expect_unchanged_error 400 'client version 1.12 is too old. Minimum supported API version is 1.41, please upgrade your client to a newer version' -- \
    api POST /v1.12/networks/create "$body"
  expect_unchanged_error 400 'client version 1.99 is too new. Maximum supported API version is 1.50' -- \
    api POST /v1.99/networks/create "$body"
  all_cases_passed
}


@test "removing: a missing network, the predefined ones" {
  docker28 network create keepme
  expect_unchanged_error 404 'network missing not found' -- api DELETE /v1.50/networks/missing
  expect_unchanged_error exit=1 'Error response from daemon: network missing not found' -- \
    docker28 network rm missing
  expect_unchanged_error exit=1 'Error response from daemon: bridge is a pre-defined network and cannot be removed' -- \
    docker28 network rm bridge
  local name
  for name in bridge host none; do
    expect_unchanged_error 403 "$name is a pre-defined network and cannot be removed" -- \
      api DELETE "/v1.50/networks/$name"
  done
  all_cases_passed
}

@test "filters: prune and ls with an unknown key, prune with a bad until" {
  docker28 network create --label keep=yes p1
  docker28 network create p2
  expect_unchanged_error 400 "invalid filter 'foo'" -- \
    api POST "/v1.50/networks/prune?filters=$(filters '{"foo":{"x":true}}')"
  expect_unchanged_error exit=1 "Error response from daemon: invalid filter 'foo'" -- \
    docker28 network prune -f --filter foo=x
  expect_unchanged_error 400 "invalid filter 'foo'" -- \
    api GET "/v1.50/networks?filters=$(filters '{"foo":{"x":true}}')"
  expect_unchanged_error exit=1 "Error response from daemon: invalid filter 'foo'" -- \
    docker28 network ls --filter foo=x
  expect_unchanged_error exit=1 'Error response from daemon: failed to parse value as time or duration: "notatime"' -- \
    docker28 network prune -f --filter until=notatime
  expect_unchanged_error 400 'failed to parse value as time or duration: "notatime"' -- \
    api POST "/v1.50/networks/prune?filters=$(filters '{"until":{"notatime":true}}')"
  expect_unchanged_error 400 'more than one until filter specified' -- \
    api POST "/v1.50/networks/prune?filters=$(filters '{"until":{"1h":true,"2h":true}}')"
  # The until value is checked before any network is looked at: a label
  # filter that matches nothing does not hide it.
  expect_unchanged_error 400 'failed to parse value as time or duration: "notatime"' -- \
    api POST "/v1.50/networks/prune?filters=$(filters '{"until":{"notatime":true},"label":{"nomatch":true}}')"
  all_cases_passed
}

@test "prune with a bad until value and no user network is still an error" {
  expect_unchanged_error 400 'failed to parse value as time or duration: "notatime"' -- \
    api POST "/v1.50/networks/prune?filters=$(filters '{"until":{"notatime":true}}')"
  all_cases_passed
}

@test "the berth CLI refuses the same inputs with the same words and changes nothing" {
  require_client "$BERTH_BIN/berth"
  docker28 network create --subnet 172.40.0.0/16 existing
  local pre='Error response from daemon:'
  expect_unchanged_error exit=1 "$pre invalid network config:"$'\n''invalid subnet 172.30.0.1/16: it should be 172.30.0.0/16' -- \
    berth network create --subnet 172.30.0.1/16 n1
  expect_unchanged_error exit=1 'no matching subnet for range 172.31.0.0/24' -- \
    berth network create --subnet 172.30.0.0/24 --ip-range 172.31.0.0/24 n1
  expect_unchanged_error exit=1 'every ip-range or gateway must have a corresponding subnet' -- \
    berth network create --gateway 172.30.0.1 n1
  expect_unchanged_error exit=1 "$pre invalid pool request: Pool overlaps with other one on this address space" -- \
    berth network create --subnet 172.40.1.0/24 n1
  expect_unchanged_error exit=1 "$pre network with name existing already exists" -- \
    berth network create existing
  expect_unchanged_error exit=1 "$pre operation is not permitted on predefined bridge network" -- \
    berth network create bridge
  expect_unchanged_error exit=1 "$pre This node is not a swarm manager." -- \
    berth network create -d overlay n1
  expect_unchanged_error exit=1 "$pre failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing \"abc\": invalid syntax)" -- \
    berth network create -o com.docker.network.driver.mtu=abc n1
  expect_unchanged_error exit=1 "$pre bridge is a pre-defined network and cannot be removed" -- \
    berth network rm bridge
  expect_unchanged_error exit=1 "$pre network missing not found" -- berth network rm missing
  expect_unchanged_error exit=1 "$pre invalid filter 'foo'" -- berth network prune -f --filter foo=x
  expect_unchanged_error exit=1 "$pre invalid filter 'foo'" -- berth network ls --filter foo=x
  expect_unchanged_error exit=1 "$pre failed to parse value as time or duration: \"notatime\"" -- \
    berth network prune -f --filter until=notatime
  all_cases_passed
}

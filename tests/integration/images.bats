#!/usr/bin/env bats
# Images without a registry, end to end: `import` and `load` through berth
# and the docker client, the docker-save layouts (legacy, docker 25+ with
# symlinks, bare OCI) with whiteouts, containers on overlayfs with their own
# writable layer, /dev, read-only /sys and masked paths, rmi/tag, the pull
# refusal, bad archives refused without a trace, and the lecture's section 4
# on busybox and on the Debian image tagged ubuntu:14.04.

load ../lib/harness
bats_require_minimum_version 1.5.0

setup_file() {
  export BB_TAR="$BATS_FILE_TMPDIR/busybox.tar"
  "$BERTH_REPO/scripts/make-busybox-image.sh" "$BB_TAR" > /dev/null
}

setup() {
  harness_setup img
  berthd_start
}

teardown() { harness_teardown; }

# in_img NAME CMD...: CMD in all of the container's namespaces (PID too, so
# that /proc/self works for busybox's tools).
in_img() {
  local pid
  pid=$(ctr_pid "$1") || return 1
  shift
  nsenter -t "$pid" -n -m -u -i -p "$@"
}

import_busybox() { berth import --change 'CMD ["sh"]' "$BB_TAR" "${1:-busybox:latest}" > /dev/null; }

image_hex() { docker28 image inspect -f '{{.Id}}' "$1" | sed 's/^sha256://'; }

# make_save_tar OUT LAYOUT: a docker-save archive of two layers over busybox
# (LAYOUT legacy: manifest.json + <diff>/layer.tar symlinks into blobs/ as
# docker 25+ writes them; oci: index.json only). Layer 1 hides
# /data/hidden.txt with a whiteout and makes /opq opaque.
make_save_tar() {
  local out=$1 layout=$2 d=$T/save-$2
  mkdir -p "$d/root0" "$d/root1/data" "$d/root1/opq" "$d/out/blobs/sha256"
  tar -C "$d/root0" -xf "$BB_TAR"
  mkdir -p "$d/root0/data" "$d/root0/opq"
  echo keep > "$d/root0/data/keep.txt"
  echo hidden > "$d/root0/data/hidden.txt"
  echo old > "$d/root0/opq/old.txt"
  : > "$d/root1/data/.wh.hidden.txt"
  : > "$d/root1/opq/.wh..wh..opq"
  echo new > "$d/root1/opq/new.txt"
  echo added > "$d/root1/data/added.txt"
  tar --numeric-owner -C "$d/root0" -cf "$d/l0.tar" .
  tar --numeric-owner -C "$d/root1" -cf "$d/l1.tar" .
  local d0 d1 cfg ch
  d0=$(sha256sum "$d/l0.tar" | cut -c1-64)
  d1=$(sha256sum "$d/l1.tar" | cut -c1-64)
  cp "$d/l0.tar" "$d/out/blobs/sha256/$d0"
  cp "$d/l1.tar" "$d/out/blobs/sha256/$d1"
  printf '{"architecture":"amd64","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin","FROM_SAVE=1"],"Cmd":["sh"],"WorkingDir":"/data","Labels":{"lecture":"4"}},"created":"2024-01-02T03:04:05Z","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
    "$d0" "$d1" > "$d/cfg.json"
  ch=$(sha256sum "$d/cfg.json" | cut -c1-64)
  cp "$d/cfg.json" "$d/out/blobs/sha256/$ch"
  echo "$ch" > "$d/config-hex"
  if [[ $layout == legacy ]]; then
    mkdir -p "$d/out/$d0" "$d/out/$d1"
    ln -s "../blobs/sha256/$d0" "$d/out/$d0/layer.tar"
    ln -s "../blobs/sha256/$d1" "$d/out/$d1/layer.tar"
    printf '[{"Config":"blobs/sha256/%s","RepoTags":["bbsave:1.0"],"Layers":["%s/layer.tar","%s/layer.tar"]}]' \
      "$ch" "$d0" "$d1" > "$d/out/manifest.json"
  else
    local man mh
    man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":1},"layers":[{"digest":"sha256:%s"},{"digest":"sha256:%s"}]}' "$ch" "$d0" "$d1")
    printf %s "$man" > "$d/man.json"
    mh=$(sha256sum "$d/man.json" | cut -c1-64)
    cp "$d/man.json" "$d/out/blobs/sha256/$mh"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$d/out/oci-layout"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,"annotations":{"io.containerd.image.name":"docker.io/library/bbsave:oci"}}]}' \
      "$mh" > "$d/out/index.json"
  fi
  tar -C "$d/out" -cf "$out" .
}

@test "import through berth and docker (file and stdin): images, image inspect, the container sees the image's files" {
  run berth import --change 'CMD ["sh"]' "$BB_TAR" busybox:latest
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output
  # The same tarball through the docker client, from a file and from stdin.
  run docker28 import "$BB_TAR" bbdocker:1
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  run bash -c "DOCKER_HOST=unix://$SOCK $DOCKER28 import - bbstdin < '$BB_TAR'"
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256: ]]
  run bash -c "cat '$BB_TAR' | '$BERTH_BIN/berth' -H unix://$SOCK import -m 'from a pipe' - bbpipe:2"
  [ "$status" -eq 0 ]
  [ "$(docker28 image inspect -f '{{.Comment}}' bbpipe:2)" = "from a pipe" ]
  berth rmi bbpipe:2 > /dev/null
  # Listing: both clients, docker's columns; -q, --format, a reference.
  run docker28 images
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  [[ "$output" == *"busybox      latest    ${id:7:12}"* ]]
  [[ "$output" =~ bbstdin\ +latest ]]
  [[ "$output" =~ bbdocker\ +1 ]]
  [ "$(berth images --format '{{.Repository}}:{{.Tag}}' busybox)" = busybox:latest ]
  [ "$(docker28 images -q busybox)" = "${id:7:12}" ]
  [ "$(berth images | wc -l)" = 4 ]
  # Both clients print the same.
  fmt='{{.Repository}} {{.Tag}} {{.ID}} {{.Size}} {{.CreatedAt}}'
  [ "$(berth images --format "$fmt")" = "$(docker28 images --format "$fmt")" ]
  [ "$(berth images --no-trunc -q)" = "$(docker28 images --no-trunc -q)" ]
  [ "$(berth image inspect busybox bbstdin)" = "$(docker28 image inspect busybox bbstdin)" ]
  [ "$(berth images --format json)" = "$(docker28 images --format json)" ]
  # image inspect through both clients; the id is the config's sha256.
  [ "$(docker28 image inspect -f '{{.Id}}' busybox)" = "$id" ]
  [ "$(berth image inspect -f '{{json .Config.Cmd}}' busybox)" = '["sh"]' ]
  [ "$(docker28 inspect -f '{{json .RootFS.Layers}}' busybox | jq length)" = 1 ]
  [ "$(docker28 image inspect -f '{{.Comment}}' bbstdin)" = "Imported from -" ]
  # A container of the image runs on its files, not the host's.
  docker28 run -d --name b1 busybox sleep 300
  [ "$(in_img b1 readlink /bin/sh)" = /bin/busybox ]
  [ "$(in_img b1 cat /etc/passwd | head -1)" = "root:x:0:0:root:/root:/bin/sh" ]
  [ "$(in_img b1 hostname)" = "$(docker28 inspect -f '{{.Config.Hostname}}' b1)" ]
  in_img b1 grep -q nameserver /etc/resolv.conf
  [ "$(docker28 inspect -f '{{.Image}}' b1)" = "$id" ]
  # Images outlive the daemon; the running container keeps its root.
  berthd_restart
  [ "$(docker28 images -q busybox)" = "${id:7:12}" ]
  [ "$(in_img b1 readlink /bin/sh)" = /bin/busybox ]
  docker28 run -d --name b2 busybox sleep 300 > /dev/null
  in_img b2 test -x /bin/busybox
}

@test "a container's writes stay in its own upper layer and vanish with rm; /dev, read-only /sys, masked paths" {
  import_busybox
  docker28 run -d --name w1 busybox sleep 300
  docker28 run -d --name w2 busybox sleep 300
  id1=$(docker28 inspect -f '{{.Id}}' w1)
  hex=$(image_hex busybox)
  in_img w1 sh -c 'echo mine > /root/note.txt; rm /etc/group'
  [ "$(in_img w1 cat /root/note.txt)" = mine ]
  # The other container and the image's layer do not see it.
  run in_img w2 cat /root/note.txt
  [ "$status" -ne 0 ]
  in_img w2 test -f /etc/group
  [ ! -e "$ROOT/images/$hex/layers/0/root/note.txt" ]
  [ -f "$ROOT/images/$hex/layers/0/etc/group" ]
  # It sits in w1's upper layer; the deleted file is a whiteout there.
  [ "$(cat "$ROOT/containers/$id1/upper/root/note.txt")" = mine ]
  [ -c "$ROOT/containers/$id1/upper/etc/group" ]
  # Writes survive a restart of the container.
  docker28 stop -t 0 w1 > /dev/null
  docker28 start w1 > /dev/null
  [ "$(in_img w1 cat /root/note.txt)" = mine ]
  # Docker's minimal /dev.
  for dev in null zero full random urandom tty; do in_img w1 test -c /dev/$dev; done
  [ "$(in_img w1 readlink /dev/ptmx)" = pts/ptmx ]
  in_img w1 sh -c 'grep -q " /dev/pts devpts" /proc/mounts && grep -q " /dev/shm tmpfs" /proc/mounts'
  [ "$(in_img w1 sh -c 'head -c 4 /dev/zero | od -An -tx1 | tr -d " "')" = 00000000 ]
  # /sys read-only, masked and read-only /proc paths.
  in_img w1 sh -c 'grep " /sys sysfs" /proc/mounts | grep -q "ro,"'
  run in_img w1 sh -c 'echo 1 > /proc/sysrq-trigger'
  [ "$status" -ne 0 ]
  in_img w1 sh -c 'grep -q " /proc/keys " /proc/mounts && grep -q " /proc/timer_list " /proc/mounts'
  [ "$(in_img w1 sh -c 'wc -c < /proc/keys')" = 0 ]
  # The host's file system is not reachable.
  run in_img w1 test -e "$ROOT/berth.db"
  [ "$status" -ne 0 ]
  docker28 rm -f w1 > /dev/null
  [ ! -e "$ROOT/containers/$id1" ]
  [ -f "$ROOT/images/$hex/layers/0/etc/group" ]
}

@test "busybox runs ping and ip; the lecture's section 4 on busybox: three -itd containers on netlb, .2 .3 .4, ping by IP" {
  import_busybox
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
    --gateway 172.200.1.1 netlb > /dev/null
  for i in 1 2 3; do
    run docker28 run -itd --name=nettest$i --net=netlb --net-alias=tg-net busybox
    [ "$status" -eq 0 ]
  done
  [ "$(ctr_ip nettest1 netlb)" = 172.200.1.2 ]
  [ "$(ctr_ip nettest2 netlb)" = 172.200.1.3 ]
  [ "$(ctr_ip nettest3 netlb)" = 172.200.1.4 ]
  sleep 0.2
  [ "$(docker28 inspect -f '{{.State.Status}}' nettest1)" = running ]
  # busybox's own ip and ping, inside the container.
  [ "$(in_img nettest1 ip -4 -o addr show eth0 | awk '{print $4}')" = 172.200.1.2/24 ]
  in_img nettest1 ip route | grep -q 'default via 172.200.1.1'
  in_img nettest1 ping -c1 -W2 172.200.1.3
  in_img nettest2 ping -c1 -W2 172.200.1.4
  in_img nettest3 ping -c1 -W2 172.200.1.2
}

@test "load: docker-save archives (docker 25+ legacy layout with symlinks, bare OCI) with whiteouts, through both clients" {
  make_save_tar "$T/legacy.tar" legacy
  make_save_tar "$T/oci.tar" oci
  run docker28 load -i "$T/legacy.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: bbsave:1.0" ]
  [ "$(docker28 image inspect -f '{{.Id}}' bbsave:1.0)" = "sha256:$(cat "$T/save-legacy/config-hex")" ]
  [ "$(docker28 image inspect -f '{{.Created}}' bbsave:1.0)" = 2024-01-02T03:04:05Z ]
  run berth load -i "$T/oci.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: bbsave:oci" ]
  # Loading again (stdin, through docker) keeps one image, tags it again.
  before=$(docker28 images -q bbsave:1.0)
  run bash -c "DOCKER_HOST=unix://$SOCK $DOCKER28 load < '$T/legacy.tar'"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: bbsave:1.0" ]
  [ "$(docker28 images -q bbsave:1.0)" = "$before" ]
  [ "$(docker28 images -q | wc -l)" = 2 ]
  # quiet=0 (a terminal): dockerd's progress lines, then the result, as one
  # JSON stream; an error once it streams is an errorDetail line.
  berth rmi -f bbsave:1.0 bbsave:oci > /dev/null 2>&1 || true
  [ -z "$(berth images -q)" ]
  out=$(curl -s --max-time 30 --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' \
    --data-binary @"$T/legacy.tar" 'http://berth/v1.50/images/load?quiet=0')
  jq -se '[.[] | select(.status == "Loading layer")] | length == 2 and all(.progressDetail.current == .progressDetail.total)' <<< "$out" > /dev/null
  [ "$(tail -1 <<< "$out" | jq -r .stream)" = "Loaded image: bbsave:1.0" ]
  out=$(curl -s --max-time 30 --unix-socket "$SOCK" -X POST --data-binary @"$BB_TAR" \
    -w '\n%{http_code}' 'http://berth/v1.50/images/load?quiet=0')
  [ "$(tail -1 <<< "$out")" = 200 ]
  [[ "$(head -1 <<< "$out" | jq -r .errorDetail.message)" == *"no manifest.json or index.json"* ]]
  # The container sees the layers merged, whiteouts applied, the image's
  # config (Cmd, Env, WorkingDir) in force.
  docker28 run -d --name s1 bbsave:1.0 sleep 300
  [ "$(in_img s1 cat /data/keep.txt)" = keep ]
  [ "$(in_img s1 cat /data/added.txt)" = added ]
  run in_img s1 test -e /data/hidden.txt
  [ "$status" -ne 0 ]
  [ "$(in_img s1 ls /opq)" = new.txt ]
  [ "$(docker28 inspect -f '{{.Config.WorkingDir}}' s1)" = /data ]
  in_img s1 sh -c 'tr "\0" "\n" < /proc/1/environ' | grep -qx FROM_SAVE=1
  [ "$(docker28 inspect -f '{{index .Config.Labels "lecture"}}' s1)" = 4 ]
  # Overlay form on disk: a 0/0 character device and an opaque directory.
  hex=$(image_hex bbsave:1.0)
  [ -c "$ROOT/images/$hex/layers/1/data/hidden.txt" ]
  [ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' \
    "$ROOT/images/$hex/layers/1/opq")" = y ]
}

@test "--change CMD/ENTRYPOINT/ENV/WORKDIR/EXPOSE/USER; no command without CMD; rmi, tag and Docker's conflicts" {
  docker28 import --change 'ENV FOO=bar' --change 'WORKDIR /tmp' --change 'EXPOSE 8080' \
    --change 'ENTRYPOINT ["/bin/sh", "-c"]' --change 'CMD ["echo $FOO; pwd; id -u"]' \
    --change 'USER nobody' "$BB_TAR" bbchanged:1 > /dev/null
  cfg=$(docker28 image inspect -f '{{json .Config}}' bbchanged:1)
  [ "$(jq -c .Entrypoint <<< "$cfg")" = '["/bin/sh","-c"]' ]
  [ "$(jq -c .Cmd <<< "$cfg")" = '["echo $FOO; pwd; id -u"]' ]
  [ "$(jq -c .Env <<< "$cfg")" = '["FOO=bar"]' ]
  [ "$(jq -c .ExposedPorts <<< "$cfg")" = '{"8080/tcp":{}}' ]
  [ "$(jq -r .User <<< "$cfg")" = nobody ]
  docker28 run -d --name ch bbchanged:1 > /dev/null
  [ "$(docker28 wait ch)" = 0 ]
  [ "$(docker28 logs ch | tr '\n' ' ')" = "bar /tmp 65534 " ]
  # Shell form.
  berth import --change 'CMD echo shell form' "$BB_TAR" bbshell > /dev/null
  [ "$(docker28 image inspect -f '{{json .Config.Cmd}}' bbshell)" = '["/bin/sh","-c","echo shell form"]' ]
  run docker28 import --change 'RUN true' "$BB_TAR" bad:1
  [ "$status" -eq 1 ]
  [[ "$output" == *"RUN is not a valid change command"* ]]
  # An import without CMD has no command (Docker's message).
  berth import "$BB_TAR" bbnocmd > /dev/null
  run docker28 run -d bbnocmd
  [ "$status" -eq 125 ]
  [[ "$output" == *"no command specified"* ]]

  # tag / rmi.
  import_busybox
  id=$(docker28 image inspect -f '{{.Id}}' busybox)
  docker28 tag busybox mybb:2
  [ "$(docker28 image inspect -f '{{json .RepoTags}}' busybox)" = '["busybox:latest","mybb:2"]' ]
  run docker28 rmi mybb:2
  [ "$output" = "Untagged: mybb:2" ]
  docker28 create --name user busybox sleep 300 > /dev/null
  run docker28 rmi busybox
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container $(docker28 inspect -f '{{.Id}}' user | cut -c1-12) is using its referenced image ${id:7:12}" ]
  run docker28 rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"conflict: unable to delete ${id:7:12} (must be forced) - image is being used by stopped container"* ]]
  docker28 start user > /dev/null
  run docker28 rmi -f "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"(cannot be forced) - image is being used by running container"* ]]
  docker28 rm -f user > /dev/null
  run docker28 rmi busybox
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Untagged: busybox:latest" ]
  [ "${lines[1]}" = "Deleted: $id" ]
  [ ! -e "$ROOT/images/${id:7}" ]
  run docker28 rmi busybox
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: No such image: busybox:latest" ]
  # rmi -f of an image a stopped container uses: the image goes, its layers
  # stay until that container is removed.
  import_busybox
  hex=$(image_hex busybox)
  docker28 create --name keep busybox sleep 300 > /dev/null
  run docker28 rmi -f busybox
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "Deleted: sha256:$hex" ]
  [ -d "$ROOT/images/$hex/layers/0" ]
  docker28 start keep > /dev/null
  in_img keep test -x /bin/busybox
  docker28 rm -f keep > /dev/null
  [ ! -e "$ROOT/images/$hex" ]
}

@test "a pull is refused with guidance: docker run of a missing image, docker pull" {
  run docker28 run -d --name p1 alpine:3.18
  [ "$status" -eq 125 ]
  [[ "$output" == *"Unable to find image 'alpine:3.18' locally"* ]]
  [[ "$output" == *"pull access denied for alpine"* ]]
  [[ "$output" == *"docker load"* && "$output" == *"docker import"* ]]
  run docker28 pull alpine:3.18
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot pull from registries"* ]]
  run berth run -d alpine:3.18
  [ "$status" -eq 125 ]
  [[ "$output" == *"docker load"* ]]
  [ -z "$(docker28 ps -aq)" ]
}

@test "bad archives are refused with a clear message and leave nothing in the data root" {
  import_busybox
  snapshot "$T/before"
  head -c 20000 /dev/urandom > "$T/random.bin"
  head -c 300000 "$BB_TAR" > "$T/truncated.tar"
  mkdir -p "$T/outside"
  python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def add(tf, name, data=b"x", **kw):
    ti = tarfile.TarInfo(name); ti.size = len(data)
    for k, v in kw.items(): setattr(ti, k, v)
    tf.addfile(ti, io.BytesIO(data) if ti.type in (tarfile.REGTYPE,) else None)
with tarfile.open(f"{t}/traversal.tar", "w") as tf:
    add(tf, "etc/ok"); add(tf, "../../evil")
with tarfile.open(f"{t}/symlink-escape.tar", "w") as tf:
    add(tf, "escape", b"", type=tarfile.SYMTYPE, linkname=f"{t}/outside")
    add(tf, "escape/pwned")
with tarfile.open(f"{t}/hardlink-escape.tar", "w") as tf:
    add(tf, "h", b"", type=tarfile.LNKTYPE, linkname="../../etc/passwd")
with tarfile.open(f"{t}/relsym-escape.tar", "w") as tf:
    add(tf, "a/b", b"", type=tarfile.SYMTYPE, linkname="../../../../etc")
PY
  run docker28 import "$T/random.bin" bad:1
  [ "$status" -eq 1 ]
  [[ "$output" == *"not a tar archive"* ]]
  run berth import "$T/truncated.tar" bad:2
  [ "$status" -eq 1 ]
  [[ "$output" == *"Truncated tar archive"* || "$output" == *"truncated"* ]]
  run berth import "$T/traversal.tar" bad:3
  [ "$status" -eq 1 ]
  [[ "$output" == *'path "../../evil" is outside of the root'* ]]
  run docker28 import "$T/symlink-escape.tar" bad:4
  [ "$status" -eq 1 ]
  [[ "$output" == *'"escape/pwned" would be written through the symlink "escape"'* ]]
  [ ! -e "$T/outside/pwned" ]
  run berth import "$T/hardlink-escape.tar" bad:5
  [ "$status" -eq 1 ]
  [[ "$output" == *'invalid hardlink "h" -> "../../etc/passwd"'* ]]
  run berth import "$T/relsym-escape.tar" bad:6
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid symlink"* ]]
  # docker-save archives: not one, a missing layer, a layer that does not
  # match its diff id, a traversal in the outer archive.
  run docker28 load -i "$BB_TAR"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no manifest.json or index.json"* ]]
  make_save_tar "$T/good.tar" legacy
  d=$T/save-legacy/out
  (cd "$d" && tar -cf "$T/missing-layer.tar" --exclude './blobs/sha256/'"$(ls "$d" | grep -v -e blobs -e manifest | head -1)" .)
  rm -rf "$T/ml" && mkdir "$T/ml" && tar -C "$T/ml" -xf "$T/good.tar"
  first=$(jq -r '.[0].Layers[1]' "$T/ml/manifest.json")
  rm -f "$T/ml/$(dirname "$first")/layer.tar" "$T/ml/blobs/sha256/$(dirname "$first")"
  tar -C "$T/ml" -cf "$T/missing-layer.tar" .
  run docker28 load -i "$T/missing-layer.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"layer \"$first\" is not in the archive"* ]]
  rm -rf "$T/ml" && mkdir "$T/ml" && tar -C "$T/ml" -xf "$T/good.tar"
  cp "$T/save-legacy/l0.tar" "$T/ml/blobs/sha256/$(dirname "$first")"
  tar -C "$T/ml" -cf "$T/wrong-layer.tar" .
  run berth load -i "$T/wrong-layer.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"the config expects sha256:$(dirname "$first")"* ]]
  run berth load -i "$T/traversal.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"outside of the root"* ]]
  snapshot "$T/after"
  diff "$T/before" "$T/after"
  [ "$(berth images -q | wc -l)" = 1 ]
}

@test "the lecture's section 4 on the Debian image tagged ubuntu:14.04: three -itd bash containers on netlb, ping by IP" {
  # Built once and cached (/var/cache/berth); a cold cache costs about a
  # minute of debootstrap from the machine's apt mirror.
  import_debian_image ubuntu:14.04
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
    --gateway 172.200.1.1 netlb > /dev/null
  for i in 1 2 3; do
    run docker28 run -itd --name=nettest$i --net=netlb --net-alias=tg-net ubuntu:14.04
    [ "$status" -eq 0 ]
  done
  [ "$(ctr_ip nettest1 netlb)" = 172.200.1.2 ]
  [ "$(ctr_ip nettest2 netlb)" = 172.200.1.3 ]
  [ "$(ctr_ip nettest3 netlb)" = 172.200.1.4 ]
  sleep 0.3
  [ "$(docker28 inspect -f '{{.State.Status}}' nettest1)" = running ]
  # The container's bash is the image's, and so are ping, dig and curl.
  in_img nettest1 sh -c 'cat /proc/[0-9]*/comm' | grep -qx bash
  in_img nettest1 test -f /etc/debian_version
  in_img nettest1 sh -c 'command -v ping && command -v dig && command -v curl' > /dev/null
  in_img nettest1 ping -c1 -W2 172.200.1.3
  in_img nettest2 ping -c1 -W2 172.200.1.4
  in_img nettest3 ping -c1 -W2 172.200.1.2
  [ "$(in_img nettest1 hostname)" = "$(docker28 inspect -f '{{.Config.Hostname}}' nettest1)" ]
}

@test "an image of 60 layers: applied in order, the overlay options still fit a page" {
  d=$T/many
  mkdir -p "$d/out" "$d/root0"
  tar -C "$d/root0" -xf "$BB_TAR"
  tar -C "$d/root0" -cf "$d/out/l0.tar" .
  diffs="\"sha256:$(sha256sum "$d/out/l0.tar" | cut -c1-64)\""
  layers='"l0.tar"'
  for i in $(seq 1 59); do
    mkdir -p "$d/r$i"
    echo "$i" > "$d/r$i/layer"
    [[ $i == 30 ]] && : > "$d/r$i/.wh.linuxrc"
    tar -C "$d/r$i" -cf "$d/out/l$i.tar" .
    diffs+=",\"sha256:$(sha256sum "$d/out/l$i.tar" | cut -c1-64)\""
    layers+=",\"l$i.tar\""
  done
  printf '{"architecture":"amd64","config":{"Cmd":["sh"]},"os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" > "$d/out/c.json"
  printf '[{"Config":"c.json","RepoTags":["many:60"],"Layers":[%s]}]' "$layers" > "$d/out/manifest.json"
  tar -C "$d/out" -cf "$T/many.tar" .
  run berth load -i "$T/many.tar"
  [ "$status" -eq 0 ]
  [ "$(docker28 image inspect -f '{{len .RootFS.Layers}}' many:60)" = 60 ]
  docker28 run -d --name mm many:60 sleep 300
  [ "$(in_img mm cat /layer)" = 59 ]
  run in_img mm test -e /linuxrc
  [ "$status" -ne 0 ]
}

#!/usr/bin/env bash
# Builds a busybox root file system tarball from Debian's busybox-static (a
# second or two): /bin/busybox with a link per applet (sh, ping, ip, wget,
# nc, …), /etc/passwd and /etc/group for root and nobody, /tmp, /root.
# The tarball is what `berth import` / `docker import` take:
#   scripts/make-busybox-image.sh [OUT.tar]     (default /var/cache/berth/busybox.tar)
#   berth import --change 'CMD ["sh"]' /var/cache/berth/busybox.tar busybox:latest
# An existing OUT is kept (it is a cache); BERTH_REBUILD=1 rebuilds it.
set -euo pipefail

out=${1:-/var/cache/berth/busybox.tar}
if [[ -s $out && ${BERTH_REBUILD:-} != 1 ]]; then
  echo "$out"
  exit 0
fi
bb=/bin/busybox
[[ -x $bb ]] || { echo "make-busybox-image: $bb is missing; install busybox-static" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
root=$(mktemp -d /tmp/berth-busybox.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/run}
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
chmod 755 "$root"
cp "$bb" "$root/bin/busybox"
# One link per applet, where busybox's --list-full puts it.
"$bb" --list-full | while read -r applet; do
  [[ $applet == bin/busybox ]] && continue
  [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"

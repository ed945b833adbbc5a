#!/usr/bin/env bash
# Builds a small Debian root file system tarball with debootstrap (minbase
# plus bash, iputils-ping, dnsutils, curl, iproute2) from the apt mirror
# this machine already uses, for the lecture's `ubuntu:14.04` containers:
#   scripts/make-debian-image.sh [OUT.tar]    (default /var/cache/berth/debian-bookworm.tar)
#   berth import --change 'CMD ["bash"]' OUT.tar ubuntu:14.04
# Built once and cached outside the repository: an existing OUT is kept
# (BERTH_REBUILD=1 rebuilds it). Needs root and the debootstrap package.
# Prints the tarball's path; the build time goes to stderr.
set -euo pipefail

out=${1:-/var/cache/berth/debian-bookworm.tar}
if [[ -s $out && ${BERTH_REBUILD:-} != 1 ]]; then
  echo "$out"
  exit 0
fi
command -v debootstrap > /dev/null || { echo "make-debian-image: install debootstrap" >&2; exit 1; }
# The mirror and suite of the machine's own apt sources (deb822 or one-line).
mirror=${BERTH_DEBIAN_MIRROR:-}
suite=${BERTH_DEBIAN_SUITE:-}
if [[ -z $mirror ]]; then
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    suite=${suite:-$(awk '/^Suites:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)}
  elif [[ -f /etc/apt/sources.list ]]; then
    read -r mirror s < <(awk '$1 == "deb" {print $2, $3; exit}' /etc/apt/sources.list)
    suite=${suite:-$s}
  fi
fi
mirror=${mirror:-http://deb.debian.org/debian}
suite=${suite:-bookworm}

mkdir -p "$(dirname "$out")"
root=$(mktemp -d /var/tmp/berth-debian.XXXXXX)
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
debootstrap --variant=minbase --include=bash,iputils-ping,dnsutils,curl,iproute2,ca-certificates \
  "$suite" "$root" "$mirror" > "$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"
# Smaller: no package lists, no downloaded .debs, no docs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
# The container's files come from berth: these only hold the builder's.
: > "$root/etc/resolv.conf"
echo debian > "$root/etc/hostname"
tar --numeric-owner --xattrs -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "make-debian-image: built $out in $(($(date +%s) - start)) s ($(du -h "$out" | cut -f1))" >&2
echo "$out"

#!/usr/bin/env bash
# An arm64 Debian root with python3, nodejs and musl's dynamic linker for running the aarch64
# builds under qemu-aarch64-static -L, cached in target/arm64-root (a second run with the same
# suite and packages returns at once).
# Debian bookworm: its nodejs is 18, the oldest Node the package claims (engines), and its
# python3 is 3.11. --variant=extract, because the apt variant needs binfmt_misc, which is off here.
source "$(dirname "$0")/env.sh"
suite="${ARM64_SUITE:-bookworm}"
packages=python3,nodejs,musl
stamp="$ARM64_ROOT/.rds-iam-$suite-$packages"
[[ -e $stamp ]] && exit 0
mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
rm -rf "$ARM64_ROOT"
mkdir -p "$(dirname "$ARM64_ROOT")"
timed mmdebstrap --quiet --arch=arm64 --variant=extract --include="$packages" \
  "$suite" "$ARM64_ROOT" "${mirror:-http://deb.debian.org/debian}"
# extract leaves out the merged-/usr links that the interpreters' paths go through
for d in lib bin sbin; do [[ -e $ARM64_ROOT/$d ]] || ln -s "usr/$d" "$ARM64_ROOT/$d"; done
touch "$stamp"
du -sh "$ARM64_ROOT"

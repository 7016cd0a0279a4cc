# Sourced by the scripts in scripts/dist: where things are, the Linux targets `make dist` builds,
# and the one C toolchain every artifact of a target is built with (zig_toolchain).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/dist"
# The project venv (`make venv` installs these tools there too): one zig and one maturin.
DIST_VENV="$ROOT/.venv"
# The wheel and the Node addon of a target share a target dir (dist_build_dir) and zig_toolchain's
# compiler, so the dependencies are built once per target for both (and `make python-build` /
# `make node-build` reuse what `make dist` built, and the other way round). One dir per target, so
# `make dist` builds two targets at a time: cargo locks a target dir for the whole build.
dist_build_dir() { echo "$ROOT/target/dist-build/$1"; }
# Starts target $1's dir with a copy of target $2's host build when $1 has none yet: cargo's
# `release/` holds the build scripts and proc macros (host code: 39 of a wheel's 262 CPU-s), which
# each target dir would otherwise compile again, the same unless the target is the host (then
# the target's linker links them too; dist.mk says which dir the musl targets take). Safe by construction:
# cargo checks each unit's fingerprint, so a copied unit that does not fit is rebuilt, not used
# (cargo's target dirs are relocatable; a build script's output paths are rewritten from its
# root-output). The copy waits for any cargo building in $2 (it holds that lock the whole build).
seed_host_build() {
  local from to
  from="$(dist_build_dir "$2")/release" to="$(dist_build_dir "$1")/release"
  [[ -d $to || ! -f $from/.cargo-lock ]] && return 0
  mkdir -p "${to%/release}"
  rm -rf "$to.seed"
  flock -s "$from/.cargo-lock" cp -a --reflink=auto "$from" "$to.seed"
  mv "$to.seed" "$to"
}
# The arm64 Debian root for the emulated runs (mmdebstrap, cached: a second run reuses it).
ARM64_ROOT="$ROOT/target/arm64-root"
export PATH="$DIST_VENV/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

# Rust target -> the names each ecosystem gives it.
RUST_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
# The wheel tag each target is built and audited for (glibc 2.17 = manylinux2014).
wheel_compat() {
  case "$1" in
    *-linux-gnu) echo manylinux2014 ;;
    *-linux-musl) echo musllinux_1_2 ;;
  esac
}
# The napi-rs platform name (node/npm/<name>, package rds-iam-<name>).
napi_platform() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
    aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
    x86_64-unknown-linux-musl) echo linux-x64-musl ;;
    aarch64-unknown-linux-musl) echo linux-arm64-musl ;;
  esac
}
# Exports the C compiler, archiver and linker for Rust target $1: zig for the glibc 2.17 floor (gnu)
# or musl, through maturin's `zig` front end (what `maturin --zig` and cargo-zigbuild run, with
# the argument fixes zig needs), from wrapper scripts at fixed paths. Fixed, because cargo reruns a
# build script when CC's value changes, and everything above it: `maturin --zig` and
# cargo-zigbuild each write wrappers of their own, so a wheel and an addon built with them took
# turns rebuilding ring and what depends on it.
zig_toolchain() {
  local t=$1 zt dir var
  zt="${t%%-*}-linux-${t##*-linux-}"
  [[ $t == *-linux-gnu ]] && zt="$zt.2.17"
  dir="$ROOT/target/zig-toolchain/$zt"
  mkdir -p "$dir"
  local head
  head="#!/bin/sh
# Written by scripts/dist/env.sh (zig_toolchain): zig for $zt through maturin's zig front end.
export CARGO_ZIGBUILD_ZIG_COMMAND='$DIST_VENV/bin/python3' CARGO_ZIGBUILD_ZIG_COMMAND_ARGS='-m ziglang'"
  write_tool "$dir/cc" "$head
exec '$DIST_VENV/bin/maturin' zig cc -- -g -fno-sanitize=all -target $zt \"\$@\""
  write_tool "$dir/c++" "$head
exec '$DIST_VENV/bin/maturin' zig c++ -- -g -fno-sanitize=all -target $zt \"\$@\""
  write_tool "$dir/ar" "$head
exec '$DIST_VENV/bin/maturin' zig ar -- \"\$@\""
  var="${t//-/_}"
  export "CC_$var=$dir/cc" "CXX_$var=$dir/c++" "AR_$var=$dir/ar"
  export "CARGO_TARGET_${var^^}_LINKER=$dir/cc"
}
# Exports the rustflags maturin gives a wheel's build for Rust target $1, for the other builds of
# that target: a musl cdylib needs a dynamic C runtime (musl's default static one drops the cdylib).
# Byte for byte as maturin 1.16 sets it: cargo fingerprints the flags, and any other spelling
# recompiles every crate (seen: 163 crates for the musl addon after the wheel). If maturin changes
# it, sharing stops (slower, nothing wrong); shared-features.py cannot see flags.
wheel_rustflags() {
  if [[ $1 == *-musl ]]; then export CARGO_ENCODED_RUSTFLAGS=$'-C\x1ftarget-feature=-crt-static'
  else unset CARGO_ENCODED_RUSTFLAGS; fi
}
# Writes an executable file only when its text changed (cargo sees the same tool either way).
write_tool() {
  [[ -f $1 && "$(cat "$1")" == "$2" ]] && return 0
  printf '%s\n' "$2" > "$1.tmp" && chmod +x "$1.tmp" && mv "$1.tmp" "$1"
}
# Runs "$@" and prints how long it took (the machine may be shared; see the report).
timed() {
  local start=$SECONDS
  "$@"
  echo "dist: $(( SECONDS - start )) s: $*" >&2
}

# Sourced by the scripts in scripts/dist: where things are, and the Linux targets `make dist` builds.
# Each tool builds into its own cargo target dir, so maturin's and cargo-zigbuild's different
# compiler wrappers never make each other rebuild ring (the artifacts' one C build) and everything
# above it (cargo then rebuilds only what changed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/dist"
# The project venv (`make venv` installs these tools there too): one zig, so `make python-build`
# and wheels.sh give cargo the same compiler wrappers and share target/dist-wheel.
DIST_VENV="$ROOT/.venv"
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
# What cargo-zigbuild is asked for: gnu targets with the glibc floor as a suffix.
zig_target() {
  case "$1" in
    *-linux-gnu) echo "$1.2.17" ;;
    *) echo "$1" ;;
  esac
}
# Runs "$@" and prints how long it took (the machine may be shared; see the report).
timed() {
  local start=$SECONDS
  "$@"
  echo "dist: $(( SECONDS - start )) s: $*" >&2
}

#!/usr/bin/env bash
# zig-run.sh RUST-TARGET COMMAND...: runs a build command with the target's zig toolchain and its
# shared target dir (env.sh: zig_toolchain, wheel_rustflags, dist_build_dir), as wheels.sh and node.sh build. `make
# node-build` runs the napi CLI this way, so the addon the tests load is the glibc 2.17 build that
# ships, and reuses the dependencies `make python-build` compiled for the wheel.
source "$(dirname "$0")/env.sh"
zig_toolchain "$1"
wheel_rustflags "$1"
CARGO_TARGET_DIR="$(dist_build_dir "$1")"
export CARGO_TARGET_DIR
shift
exec "$@"

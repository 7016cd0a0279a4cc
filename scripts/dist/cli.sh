#!/usr/bin/env bash
# The standalone `rds-iam` CLI as one static musl binary per architecture, into dist/cli/
# (rds-iam-<version>-<arch>-linux-musl). Usage: cli.sh [musl-rust-target ...]
source "$(dirname "$0")/env.sh"
out="$DIST/cli"
mkdir -p "$out"
targets=("$@")
((${#targets[@]})) || targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
version="$(node -p "require('$ROOT/package.json').version")"
for t in "${targets[@]}"; do
  # In the target dir of the musl wheel and addon, with their toolchain and flags (env.sh), so the
  # dependencies and the rds-iam library are the ones they built; only the binary crate itself is
  # compiled with +crt-static, which makes its link static (std and the libc crate choose how to
  # link libc when the final artifact links, from that artifact's crt-static).
  dir="$(dist_build_dir "$t")"
  (zig_toolchain "$t" && wheel_rustflags "$t" && export CARGO_TARGET_DIR="$dir" && cd "$ROOT" \
    && timed cargo rustc --release -p rds-iam --bin rds-iam --target "$t" -- -C target-feature=+crt-static)
  arch="${t%%-*}"
  rm -f "$out"/rds-iam-*-"$arch"-linux-musl
  cp "$dir/$t/release/rds-iam" "$out/rds-iam-$version-$arch-linux-musl"
done
ls -l "$out"

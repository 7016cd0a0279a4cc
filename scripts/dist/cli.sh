#!/usr/bin/env bash
# The standalone `rds-iam` CLI as one static musl binary per architecture, into dist/cli/
# (rds-iam-<version>-<arch>-linux-musl). Usage: cli.sh [musl-rust-target ...]
source "$(dirname "$0")/env.sh"
out="$DIST/cli"
mkdir -p "$out"
targets=("$@")
((${#targets[@]})) || targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
version="$(node -p "require('$ROOT/package.json').version")"
rust_lld="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld"
for t in "${targets[@]}"; do
  # In the target dir of the musl wheel and addon, with their toolchain and flags (env.sh), so the
  # dependencies and the rds-iam library are the ones they built; only the binary crate itself is
  # compiled with +crt-static, which makes its link static (std and the libc crate choose how to
  # link libc when the final artifact links, from that artifact's crt-static).
  # Linked by Rust's own lld against the musl that rust-std ships for the target (crt objects and
  # libc.a: link-self-contained), not by zig, which compiles all of musl for a static link (48
  # CPU-s per architecture, cold). Only this crate's link changes; the C inside (ring) is zig's.
  dir="$(dist_build_dir "$t")"
  (zig_toolchain "$t" && wheel_rustflags "$t" && export CARGO_TARGET_DIR="$dir" && cd "$ROOT" \
    && timed cargo rustc --release -p rds-iam --bin rds-iam --target "$t" -- -C target-feature=+crt-static \
      -C linker="$rust_lld" -C linker-flavor=ld.lld -C link-self-contained=yes)
  arch="${t%%-*}"
  rm -f "$out"/rds-iam-*-"$arch"-linux-musl
  cp "$dir/$t/release/rds-iam" "$out/rds-iam-$version-$arch-linux-musl"
done
ls -l "$out"

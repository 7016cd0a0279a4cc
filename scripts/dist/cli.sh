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
  # Target dirs of their own: the musl addons are built with -crt-static, this binary without, and
  # `make dist` builds the two CLIs side by side (cargo locks a target dir for the whole build).
  export CARGO_TARGET_DIR="$ROOT/target/dist-cli/$t"
  (cd "$ROOT" && timed cargo zigbuild --release -p rds-iam --bin rds-iam --target "$t")
  arch="${t%%-*}"
  rm -f "$out"/rds-iam-*-"$arch"-linux-musl
  cp "$CARGO_TARGET_DIR/$t/release/rds-iam" "$out/rds-iam-$version-$arch-linux-musl"
done
ls -l "$out"

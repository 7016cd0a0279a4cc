#!/usr/bin/env bash
# The standalone `rds-iam` CLI as one static musl binary per architecture, into dist/cli/
# (rds-iam-<version>-<arch>-linux-musl). Usage: cli.sh [musl-rust-target ...]
source "$(dirname "$0")/env.sh"
out="$DIST/cli"
mkdir -p "$out"
targets=("$@")
((${#targets[@]})) || targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
version="$(node -p "require('$ROOT/package.json').version")"
# A target dir of its own: the musl addons are built with -crt-static, this binary without.
export CARGO_TARGET_DIR="$ROOT/target/dist-cli"
for t in "${targets[@]}"; do
  (cd "$ROOT" && timed cargo zigbuild --release -p rds-iam --bin rds-iam --target "$t")
  arch="${t%%-*}"
  rm -f "$out"/rds-iam-*-"$arch"-linux-musl
  cp "$CARGO_TARGET_DIR/$t/release/rds-iam" "$out/rds-iam-$version-$arch-linux-musl"
done
ls -l "$out"

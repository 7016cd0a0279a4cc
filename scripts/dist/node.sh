#!/usr/bin/env bash
# The Node addon for the Linux targets (cargo-zigbuild; gnu at glibc 2.17), then the npm
# platform packages and the main package, packed into dist/npm/ by npm-pack.js.
# Usage: node.sh [rust-target ...]  (default: all four)
# napi-rs's own `napi build -x` cannot ask zig for glibc 2.17 (it forces zig's default floor),
# hence cargo-zigbuild directly; the loader and .d.ts come from `make node-build` (napi CLI).
source "$(dirname "$0")/env.sh"
targets=("$@")
((${#targets[@]})) || targets=("${RUST_TARGETS[@]}")
export CARGO_TARGET_DIR="$ROOT/target/dist-node"
addons="$CARGO_TARGET_DIR/addons"
mkdir -p "$addons"
args=()
for t in "${targets[@]}"; do
  plat="$(napi_platform "$t")"
  (
    # A musl cdylib needs a dynamic C runtime: musl's default static one drops the cdylib.
    if [[ $t == *-musl ]]; then export RUSTFLAGS="-C target-feature=-crt-static"; fi
    cd "$ROOT" && timed cargo zigbuild --release -p rds-iam-node --target "$(zig_target "$t")"
  )
  cp "$CARGO_TARGET_DIR/$t/release/librds_iam_node.so" "$addons/rds-iam.$plat.node"
  if [[ $t == *-musl ]]; then python3 "$ROOT/scripts/dist/musl_soname.py" "$addons/rds-iam.$plat.node"; fi
  args+=(--addon "$plat=$addons/rds-iam.$plat.node")
done
node "$ROOT/scripts/dist/npm-pack.js" --out "$DIST/npm" --main "${args[@]}"

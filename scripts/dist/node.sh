#!/usr/bin/env bash
# The Node addon for the Linux targets (zig; gnu at glibc 2.17), then the npm platform packages
# and the main package, packed into dist/npm/ by npm-pack.js. Usage: node.sh [rust-target ...]
# (default: all four); NODE_PACK=0 builds the addons only (`make dist` builds each target as a job
# of its own, then packs). Built with the wheels' compiler in their target dir (env.sh,
# zig_toolchain), so after wheels.sh only the addon crate itself compiles. napi-rs's own
# `napi build -x` cannot ask zig for glibc 2.17 (it forces zig's default floor); the loader and
# .d.ts come from `make node-build` (napi CLI, with the same toolchain).
source "$(dirname "$0")/env.sh"
targets=("$@")
((${#targets[@]})) || targets=("${RUST_TARGETS[@]}")
addons="$ROOT/target/dist-build/addons"
mkdir -p "$addons"
args=()
for t in "${targets[@]}"; do
  plat="$(napi_platform "$t")"
  dir="$(dist_build_dir "$t")"
  (zig_toolchain "$t" && wheel_rustflags "$t" && export CARGO_TARGET_DIR="$dir" && cd "$ROOT" \
    && timed cargo build --release -p rds-iam-node --target "$t")
  cp "$dir/$t/release/librds_iam_node.so" "$addons/rds-iam.$plat.node.tmp"
  if [[ $t == *-musl ]]; then python3 "$ROOT/scripts/dist/musl_soname.py" "$addons/rds-iam.$plat.node.tmp"; fi
  mv "$addons/rds-iam.$plat.node.tmp" "$addons/rds-iam.$plat.node"
  args+=(--addon "$plat=$addons/rds-iam.$plat.node")
done
[[ ${NODE_PACK:-1} == 0 ]] || node "$ROOT/scripts/dist/npm-pack.js" --out "$DIST/npm" --main "${args[@]}"

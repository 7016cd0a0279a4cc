#!/usr/bin/env bash
# The Python wheels (abi3, CPython 3.9+) for the Linux targets, cross-built with zig, plus the
# sdist, into dist/python/. Usage: wheels.sh [rust-target ...]  (default: all four, and the sdist)
# Release workflow: maturin-action runs the same `maturin build` per target.
source "$(dirname "$0")/env.sh"
out="$DIST/python"
# The target dir `make python-build` uses too (python/python.mk), so its x86_64 build is reused.
export CARGO_TARGET_DIR="$ROOT/target/dist-wheel"
mkdir -p "$out"
targets=("$@")
((${#targets[@]})) || targets=("${RUST_TARGETS[@]}")
for t in "${targets[@]}"; do
  compat="$(wheel_compat "$t")"
  # One wheel per target: drop the previous build's (its name may carry another version).
  arch="${t%%-*}"
  rm -f "$out"/rds_iam-*-"${compat}"_"${arch}"*.whl
  (cd "$ROOT" && timed maturin build --release --zig --target "$t" --compatibility "$compat" --out "$out")
  if [[ $t == *-musl ]]; then python3 "$ROOT/scripts/dist/musl_soname.py" "$out"/rds_iam-*-"${compat}"_"${arch}"*.whl; fi
done
if (($# == 0)); then
  rm -f "$out"/rds_iam-*.tar.gz
  (cd "$ROOT" && timed maturin sdist --out "$out")
fi
ls -l "$out"

#!/usr/bin/env bash
# The Python wheels (abi3, CPython 3.9+) for the Linux targets, cross-built with zig, plus the
# sdist, into dist/python/ (or $WHEEL_OUT). Usage: wheels.sh [rust-target ... | --sdist]
# (default: all four, and the sdist). `make python-build` builds this machine's wheel here too;
# `make dist` builds each target and the sdist as a job of its own. Release workflow: its Linux
# wheel jobs run this script.
source "$(dirname "$0")/env.sh"
out="${WHEEL_OUT:-$DIST/python}"
mkdir -p "$out"
targets=("$@")
sdist=$((${#targets[@]} == 0))
if [[ ${targets[*]} == --sdist ]]; then targets=() sdist=1
elif ((${#targets[@]} == 0)); then targets=("${RUST_TARGETS[@]}"); fi
for t in "${targets[@]}"; do
  compat="$(wheel_compat "$t")"
  # One wheel per target: drop the previous build's (its name may carry another version).
  arch="${t%%-*}"
  rm -f "$out"/rds_iam-*-"${compat}"_"${arch}"*.whl
  # SEED_HOST_BUILD_FROM: start from that target's host build (env.sh; dist.mk says which).
  if [[ -n ${SEED_HOST_BUILD_FROM:-} ]]; then seed_host_build "$t" "$SEED_HOST_BUILD_FROM"; fi
  # zig_toolchain instead of --zig: the Node addon of the target is built with the same compiler.
  # No wheel_rustflags: maturin sets them itself (and would add its own to any given).
  (zig_toolchain "$t" && unset CARGO_ENCODED_RUSTFLAGS && export CARGO_TARGET_DIR="$(dist_build_dir "$t")" \
    && cd "$ROOT" \
    && timed maturin build --release --target "$t" --compatibility "$compat" --out "$out")
  if [[ $t == *-musl ]]; then python3 "$ROOT/scripts/dist/musl_soname.py" "$out"/rds_iam-*-"${compat}"_"${arch}"*.whl; fi
done
if ((sdist)); then
  rm -f "$out"/rds_iam-*.tar.gz
  (cd "$ROOT" && timed maturin sdist --out "$out")
fi
ls -l "$out"

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
  # A musl target starts from the aarch64 glibc target's host build (env.sh). Not x86_64's: there
  # the host is the target, so its linker (zig, glibc 2.17) also links the proc macros, and
  # cargo rebuilt every copied unit for a target dir without it.
  if [[ $t == *-musl ]]; then seed_host_build "$t" aarch64-unknown-linux-gnu; fi
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

#!/usr/bin/env bash
# The musl artifacts loaded by musl's own dynamic linker (Debian's `musl` package, 1.2.3): the
# host's for x86_64, the arm64 root's under qemu for aarch64 (arm64-root.sh installs it).
# `ld-musl-<arch>.so.1 --list` maps and relocates the wheel's .so and the npm package's .node,
# so a libc symbol musl 1.2 lacks, or a glibc-only library, fails here. Only the host's own
# symbols may stay unresolved (CPython's Py*/_Py* for the wheel; the addon finds Node-API with
# dlsym). No musl Python or Node here to run them (the release workflow runs them in Alpine).
source "$(dirname "$0")/env.sh"
work="$ROOT/target/dist-run/musl-load"
rm -rf "$work" && mkdir -p "$work"
status=0
for arch in x86_64 aarch64; do
  case $arch in
    x86_64) loader=(/lib/ld-musl-x86_64.so.1) npm=x64 ;;
    aarch64) loader=(qemu-aarch64-static "$ARM64_ROOT/lib/ld-musl-aarch64.so.1") npm=arm64 ;;
  esac
  for artifact in "$DIST"/python/rds_iam-*-musllinux_1_2_"$arch".whl "$DIST"/npm/rds-iam-linux-"$npm"-musl-*.tgz; do
    [[ -e $artifact ]] || { echo "musl-load.sh: missing $artifact" >&2; status=1; continue; }
    dir="$work/$(basename "$artifact")"
    mkdir -p "$dir"
    case "$artifact" in
      *.whl) python3 -m zipfile -e "$artifact" "$dir" ;;
      *.tgz) tar -xzf "$artifact" -C "$dir" ;;
    esac
    elf="$(find "$dir" -name '*.so' -o -name '*.node' | head -n1)"
    out="$("${loader[@]}" --list "$elf" 2>&1 || true)"
    bad="$(grep -v -E '^\s|: _?Py[A-Za-z0-9_]*: symbol not found$' <<<"$out" || true)"
    if [[ -n $bad ]]; then
      echo "musl-load.sh: $(basename "$artifact") does not load under musl ($arch):" >&2
      echo "$bad" >&2
      status=1
    else
      echo "musl-load.sh: $(basename "$artifact"): relocates under musl $arch ($(grep -c 'symbol not found' <<<"$out") interpreter symbols left to the host)"
    fi
  done
done
exit $status

#!/usr/bin/env bash
# The compile gates for the platforms this machine cannot release for (`make cross-check`, a step
# of .ci/run after `make test`; not part of `make test`):
#   - Windows: clippy -D warnings on the core (library and CLI, the proxy included), the Python
#     module and the Node addon for x86_64-pc-windows-gnu, mingw-w64 as C compiler and linker, in
#     target/windows (what `make windows-check` builds and runs under wine; scripts/windows).
#   - macOS: `cargo check` of the same three crates for aarch64-apple-darwin and
#     x86_64-apple-darwin through cargo-zigbuild (zig compiles ring's C; nothing links: no macOS
#     SDK here), in target/macos. It catches Linux-only APIs (/proc, prctl, SOCK_CLOEXEC
#     spellings) before the release workflow, the only place macOS builds and runs.
# Usage: cross-check.sh [windows|macos ...]   (default: both)
source "$(dirname "$0")/env.sh"
parts=("$@")
((${#parts[@]})) || parts=(windows macos)
crates=(-p rds-iam -p rds-iam-python -p rds-iam-node --lib --bins)

windows() {
  "$ROOT/scripts/windows/tools.sh" --no-node # mingw-w64, the Rust target, the libnode.dll napi-build wants
  (
    source "$ROOT/scripts/windows/env.sh"
    cd "$ROOT"
    timed cargo clippy --target "$WIN_TARGET" "${crates[@]}" --features pyo3/generate-import-lib -- -D warnings
  )
}

macos() {
  local targets=(aarch64-apple-darwin x86_64-apple-darwin) installed t
  installed="$(rustup target list --installed)"
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
  done
  # Only zig and cargo-zigbuild from the dist tools: no Linux cross targets, no apt.
  "$DIST_VENV/bin/python" -c 'import ziglang' 2>/dev/null && test -x "$DIST_VENV/bin/cargo-zigbuild" || {
    test -x "$DIST_VENV/bin/python" || python3 -m venv "$DIST_VENV"
    "$DIST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "$(grep -E '^ziglang==' "$ROOT/scripts/dist/requirements.txt")" \
      "$(grep -E '^cargo-zigbuild==' "$ROOT/scripts/dist/requirements.txt")"
  }
  for t in "${targets[@]}"; do
    (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target/macos" timed cargo-zigbuild check --target "$t" "${crates[@]}")
  done
}

for part in "${parts[@]}"; do
  case "$part" in
    windows | macos) "$part" ;;
    *) echo "cross-check.sh: no part '$part' (windows, macos)" >&2; exit 2 ;;
  esac
done

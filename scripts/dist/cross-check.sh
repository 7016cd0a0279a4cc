#!/usr/bin/env bash
# The Windows compile gate of `make test`: clippy -D warnings on the core crate (library and CLI)
# for x86_64-pc-windows-gnu, with zig as ring's C compiler (no MinGW here). It keeps the
# cfg(unix) gates honest (fork.rs, tls_file.rs, cli/launch.rs, credentials/process.rs) between
# release-workflow runs, which are the only place Windows builds and runs for real.
# Usage: cross-check.sh [rust-target ...]   (default: x86_64-pc-windows-gnu)
source "$(dirname "$0")/env.sh"
targets=("$@")
((${#targets[@]})) || targets=(x86_64-pc-windows-gnu)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
# Only zig and cargo-zigbuild from the dist tools: no Linux cross targets, no apt.
"$DIST_VENV/bin/python" -c 'import ziglang' 2>/dev/null || {
  test -x "$DIST_VENV/bin/python" || python3 -m venv "$DIST_VENV"
  "$DIST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$(grep -E '^ziglang==' "$ROOT/scripts/dist/requirements.txt")" \
    "$(grep -E '^cargo-zigbuild==' "$ROOT/scripts/dist/requirements.txt")"
}
for t in "${targets[@]}"; do
  (cd "$ROOT" && timed cargo-zigbuild clippy -p rds-iam --lib --bins --target "$t" -- -D warnings)
done

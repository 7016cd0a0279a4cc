#!/usr/bin/env bash
# Builds for x86_64-pc-windows-gnu, in one cargo run (one dependency build): the CLI (rds-iam.exe),
# the Node addon (rds_iam_node.dll, loaded by node.exe as rds-iam.win32-x64-msvc.node) and the
# Python module (rds_iam_python.dll = the abi3 .pyd; pyo3's generate-import-lib makes the
# python3.dll import library, as no Windows Python is here), then checks what each imports; and
# the core's unit tests.
# Clippy for this target is scripts/dist/cross-check.sh's (make cross-check).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
timed cargo build --target "$WIN_TARGET" -p rds-iam -p rds-iam-node -p rds-iam-python \
  --features pyo3/generate-import-lib --lib --bins
"$WIN_PY" "$ROOT/scripts/windows/imports.py" "$WIN_BIN/rds-iam.exe" "$WIN_BIN/rds_iam_node.dll" \
  "$WIN_BIN/rds_iam_python.dll"
# The core's unit tests, built for Windows and copied to a fixed name (wine_checks.py runs them).
timed cargo test --no-run --target "$WIN_TARGET" -p rds-iam --lib --message-format=json-render-diagnostics |
  "$WIN_PY" -c 'import json, sys
exes = [m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m.get("executable")]
assert len(exes) == 1, exes
print(exes[0])' > "$WIN_DIR/core-tests.path"
cp "$(cat "$WIN_DIR/core-tests.path")" "$WIN_DIR/rds-iam-core-tests.exe"

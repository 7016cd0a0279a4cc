#!/usr/bin/env bash
# Builds for x86_64-pc-windows-gnu, in one cargo run (one dependency build): the CLI (rds-iam.exe),
# the Node addon (rds_iam_node.dll, loaded by node.exe as rds-iam.win32-x64-msvc.node) and the
# Python module (rds_iam_python.dll = the abi3 .pyd; pyo3's generate-import-lib makes the
# python3.dll import library, as no Windows Python is here). Then clippy -D warnings on the same
# three crates (library and CLI), in the same target dir.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
crates=(-p rds-iam -p rds-iam-node -p rds-iam-python --features pyo3/generate-import-lib)
timed cargo build --target "$WIN_TARGET" "${crates[@]}" --lib --bins
timed cargo clippy --target "$WIN_TARGET" "${crates[@]}" --lib --bins -- -D warnings

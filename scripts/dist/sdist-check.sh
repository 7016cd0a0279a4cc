#!/usr/bin/env bash
# The sdist builds here: `pip install --no-binary rds-iam` from dist/python/rds_iam-*.tar.gz into
# a fresh venv (compiling with this machine's Rust toolchain), then smoke.py against it.
# It builds into target/ like the native builds (`make node-build`), so their compiled
# dependencies are reused.
source "$(dirname "$0")/env.sh"
sdist="$(ls "$DIST"/python/rds_iam-*.tar.gz)"
venv="$ROOT/target/sdist-venv"
rm -rf "$venv" && python3 -m venv "$venv"
CARGO_TARGET_DIR="$ROOT/target" timed "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --no-binary rds-iam "$sdist"
(cd "$venv" && bin/python -s "$ROOT/scripts/dist/smoke.py")

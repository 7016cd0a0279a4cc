#!/usr/bin/env bash
# The sdist builds here: `pip install --no-binary rds-iam` from dist/python/rds_iam-*.tar.gz into
# a fresh venv (compiling with this machine's Rust toolchain), then smoke.py against it.
# It builds as pip does for a user, in the unpacked sdist's own target dir: maturin gives every
# file in the sdist the same old mtime, so a shared target dir's crates would look up to date
# and the check would run code compiled from an older tree.
source "$(dirname "$0")/env.sh"
sdist="$(ls "$DIST"/python/rds_iam-*.tar.gz)"
venv="$ROOT/target/sdist-venv"
rm -rf "$venv" && python3 -m venv "$venv"
unset CARGO_TARGET_DIR
timed "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --no-binary rds-iam "$sdist"
(cd "$venv" && bin/python -s "$ROOT/scripts/dist/smoke.py")

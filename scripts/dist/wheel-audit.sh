#!/usr/bin/env bash
# The cheap part of `make dist-check` for CI: the x86_64 manylinux2014 wheel alone, built with
# zig and checked by auditwheel and for its highest GLIBC_ symbol (<= 2.17).
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/dist/wheels.sh" x86_64-unknown-linux-gnu
"$DIST_VENV/bin/python" "$ROOT/scripts/dist/inspect_dist.py" --only "$(ls "$DIST"/python/rds_iam-*-manylinux2014_x86_64*.whl)"

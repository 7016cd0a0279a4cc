#!/usr/bin/env bash
# The built packages and CLIs, run (the second half of `make dist-check`):
#   aarch64: the manylinux wheel and the linux-arm64-gnu npm package in the arm64 Debian root
#            under qemu (smoke.py / smoke.js: the vectors and a Signer with environment
#            credentials), the static CLI under qemu through the vectors;
#   x86_64:  the manylinux wheel and the linux-x64-gnu npm package natively, the same way, and
#            the static CLI through the vectors.
# The musl wheels and musl npm packages: no musl Python or Node here to run them; they are loaded
# and relocated by musl's dynamic linker (musl-load.sh; aarch64 under qemu), and the static CLIs
# run the same core on musl through the vectors.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/dist/arm64-root.sh"
work="$ROOT/target/dist-run"
rm -rf "$work" && mkdir -p "$work"
qemu=(qemu-aarch64-static -L "$ARM64_ROOT")
arm_python="$(ls "$ARM64_ROOT"/usr/bin/python3.* | grep -E '/python3\.[0-9]+$' | head -n1)"
version="$(node -p "require('$ROOT/package.json').version")"

one() { local f; f=$(ls $1); [[ $(wc -l <<<"$f") == 1 ]] || { echo "want one $1, found: $f" >&2; exit 1; }; echo "$f"; }

# Python: the wheel unpacked onto PYTHONPATH (what pip would put in site-packages).
for arch in aarch64 x86_64; do
  site="$work/python-$arch"
  python3 -m zipfile -e "$(one "$DIST/python/rds_iam-*-manylinux2014_$arch*.whl")" "$site"
  if [[ $arch == aarch64 ]]; then
    PYTHONPATH="$site" timed "${qemu[@]}" "$arm_python" -s "$ROOT/scripts/dist/smoke.py"
  else
    PYTHONPATH="$site" timed python3 -s "$ROOT/scripts/dist/smoke.py"
  fi
done

# Node: the main tarball + the platform tarball installed as npm installs them from the registry.
for plat in linux-arm64-gnu linux-x64-gnu; do
  project="$work/node-$plat"
  mkdir -p "$project"
  printf '{ "name": "rds-iam-dist-run", "private": true }\n' > "$project/package.json"
  # --force: npm refuses a direct dependency for another cpu (EBADPLATFORM) even with --cpu=arm64
  force=(); [[ $plat == linux-arm64-gnu ]] && force=(--force)
  (cd "$project" && npm install --silent --no-audit --no-fund --no-package-lock "${force[@]}" \
    "$DIST/npm/rds-iam-$version.tgz" "$DIST/npm/rds-iam-$plat-$version.tgz")
  if [[ $plat == linux-arm64-gnu ]]; then
    timed "${qemu[@]}" "$ARM64_ROOT/usr/bin/node" "$ROOT/scripts/dist/smoke.js" "$project"
  else
    timed node "$ROOT/scripts/dist/smoke.js" "$project"
  fi
done

# The static CLIs through the vectors.
timed python3 "$ROOT/scripts/dist/cli_vectors.py" "$DIST/cli/rds-iam-$version-x86_64-linux-musl"
timed python3 "$ROOT/scripts/dist/cli_vectors.py" --runner "qemu-aarch64-static" \
  "$DIST/cli/rds-iam-$version-aarch64-linux-musl"

# The musl wheels and npm packages under musl's own dynamic linker.
"$ROOT/scripts/dist/musl-load.sh"

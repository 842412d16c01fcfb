#!/usr/bin/env bash
# Engine benchmark (issue 2): shared/bench/bench.sh sections a, c, d for docker, podman and
# Slipway in one run. Slipway runs from a private compiled copy, so rebuilding dist/ while it
# runs cannot disturb it. Needs ../shared/bench/setup.sh (docker, podman) first; run as root.
#   bash bench/engine.sh            (ENGINES, SECTIONS and RUNS pass through to bench.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent build
copy="$(mktemp -d /tmp/slipway-bench-cli.XXXXXX)"
trap 'rm -rf "$copy"' EXIT
cp -r dist bin package.json node_modules build "$copy/"
export SLIPWAY_ROOT="${SLIPWAY_ROOT:-$(mktemp -d /tmp/slipway-bench-store.XXXXXX)}"
ENGINES="${ENGINES:-docker podman slipway}" CLI_slipway="node $copy/bin/slipway.js" \
  SECTIONS="${SECTIONS:-a c d}" bash ../shared/bench/bench.sh
echo "in-process (engine API):"
SLIPWAY_ROOT="$SLIPWAY_ROOT" node bench/engine-inprocess.mjs "${RUNS:-5}"

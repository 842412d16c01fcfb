#!/usr/bin/env bash
# Engine API benchmark (issue 11). One run, same machine, same client binary (/usr/bin/docker,
# Debian's docker.io 20.10, legacy builder): Slipway's `system service` beside dockerd.
#   a) docker run --rm IMAGE true      b) docker build of shared/bench/buildctx, cold and cached
#   d) 20 x create + start + rm        +) the service's idle RSS and CPU
# Run as root after shared/bench/setup.sh (which installs and starts dockerd).
#
#   bash bench/api.sh                      # RUNS=5, RUNS_A=15 by default
#   SECTIONS="a d" bash bench/api.sh
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
OUT="${OUT:-/tmp/slipway-bench-api.$(date +%Y%m%d-%H%M%S)}"
IDLE_SECONDS="${IDLE_SECONDS:-30}"
mkdir -p "$OUT"
export SLIPWAY_ROOT="$OUT/slipway-root"
SOCK="$OUT/docker.sock"

# A private copy of the bundle: a rebuild replaces dist/bundle (and deletes the old one) while
# this runs. Kept under dist/ so node_modules and build/Release are found as from dist/bundle.
(cd "$REPO" && node scripts/bundle.mjs --if-stale >/dev/null 2>&1) || { echo "bundling failed" >&2; exit 1; }
BENCH_DIST="$REPO/dist/bench-api-$$"
cp -r "$(readlink -f "$REPO/dist/bundle")" "$BENCH_DIST"
SLIPWAY="node $BENCH_DIST/cli.cjs"
$SLIPWAY --version >/dev/null || { echo "the bundled CLI does not start ($ENTRY)" >&2; exit 1; }

/usr/bin/docker -H unix:///var/run/docker.sock info >/dev/null 2>&1 || { echo "dockerd is not running: run shared/bench/setup.sh first" >&2; exit 1; }

$SLIPWAY system service --socket "$SOCK" --time 0 >"$OUT/service.out" 2>"$OUT/service.err" &
SVC=$!
trap 'kill $SVC 2>/dev/null; wait $SVC 2>/dev/null; rm -rf "$BENCH_DIST"' EXIT
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "the service did not start:" >&2; cat "$OUT/service.err" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
idle() {  # idle PHASE: RSS now, and CPU use over IDLE_SECONDS without a client
  local t0 t1 hz; hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks $SVC); sleep "$IDLE_SECONDS"; t1=$(cpu_ticks $SVC)
  printf '%s\t%s\t%s\t%s\n' "$1" "$(rss_kb $SVC)" "$IDLE_SECONDS" \
    "$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.2f", (b - a) / hz / s * 100 }')" >> "$OUT/idle.tsv"
}
printf 'phase\trss_kb\tseconds\tcpu_percent\n' > "$OUT/idle.tsv"
idle "after start"

ENGINES="docker slipway-api" CLI_slipway_api="env DOCKER_HOST=unix://$SOCK /usr/bin/docker" \
  CLI_docker="env DOCKER_HOST=unix:///var/run/docker.sock /usr/bin/docker" \
  SECTIONS="${SECTIONS:-a b d}" RUNS="${RUNS:-5}" RUNS_A="${RUNS_A:-15}" OUT="$OUT/bench" \
  bash "$SHARED/bench/bench.sh"

idle "after the workloads"
echo "== Engine API: Slipway's service vs dockerd, same docker 20.10 client =="
column -t -s $'\t' "$OUT/bench/results.tsv" 2>/dev/null || cat "$OUT/bench/results.tsv"
echo "== service idle =="
column -t -s $'\t' "$OUT/idle.tsv"

#!/usr/bin/env bash
# Builder benchmark (issue 3). Runs, in one go on the same machine:
#  1. ../shared/bench/bench.sh section b: cold (--no-cache) and fully cached builds of
#     shared/bench/buildctx for Docker BuildKit, podman and slipway;
#  2. rebuilds after touching one COPY'd file (mtime only) and after editing one (content),
#     for BuildKit and slipway.
# Results: the bench.sh table + touch.tsv under $OUT. Run as root after shared/bench/setup.sh.
#
#   bash bench/build.sh                       # RUNS=5 by default
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
RUNS="${RUNS:-5}"
OUT="${OUT:-/tmp/slipway-bench-build.$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
export SLIPWAY_ROOT="${SLIPWAY_ROOT:-$OUT/slipway-root}"
# The CLI as users run it: bin/slipway.js (the bundle with its V8 code cache). Do not rebuild
# dist/ while this runs.
(cd "$REPO" && node scripts/bundle.mjs --if-stale >/dev/null 2>&1) || { echo "bundling failed" >&2; exit 1; }
SLIPWAY="node $REPO/bin/slipway.js"
BK="env DOCKER_BUILDKIT=1 /usr/bin/docker"
IMAGE=localhost/busybox:latest


$SLIPWAY --version >/dev/null || { echo "the compiled CLI does not start" >&2; exit 1; }
ENGINES="${ENGINES:-docker-buildkit podman slipway}" CLI_slipway="$SLIPWAY" SECTIONS=b RUNS="$RUNS" OUT="$OUT/section-b" \
  bash "$SHARED/bench/bench.sh"

# ---- touch / edit one COPY'd file ----
CTX="$OUT/touchctx"
rm -rf "$CTX"; cp -r "$SHARED/bench/buildctx" "$CTX"; rm -rf "$CTX/files" "$CTX/.files.complete"
"$CTX/gen-files.sh"
$SLIPWAY load -i "$SHARED/fixtures/busybox-docker.tar" >/dev/null 2>&1 || true
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'workload\tengine\tn\tmedian_s\n' > "$OUT/touch.tsv"
for eng in docker-buildkit slipway; do
  case $eng in
    slipway) B="$SLIPWAY build -q --build-arg BASE=$IMAGE -t slipway-touch:latest $CTX" ;;
    *) B="$BK build -q --network none --build-arg BASE=$IMAGE -t slipway-touch:latest $CTX" ;;
  esac
  $B >/dev/null 2>&1 || { echo "warm-up build failed for $eng" >&2; continue; }
  for kind in touch edit; do
    ts=()
    for ((i = 0; i < RUNS; i++)); do
      f="$CTX/files/d00/f0000.txt"
      if [ $kind = touch ]; then touch "$f"; else echo "edit $i $eng" >> "$f"; fi
      t0=$(now); $B >/dev/null 2>&1 || echo "build failed: $eng $kind" >&2; t1=$(now)
      ts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    done
    m=$(printf '%s\n' "${ts[@]}" | median)
    printf 'rebuild after %s of one COPY'"'"'d file\t%s\t%s\t%s\n' "$kind" "$eng" "$RUNS" "$m" >> "$OUT/touch.tsv"
  done
done
echo "== section b =="; column -t -s $'\t' "$OUT/section-b/results.tsv" 2>/dev/null || cat "$OUT/section-b/results.tsv"
echo "== touch / edit =="; column -t -s $'\t' "$OUT/touch.tsv"

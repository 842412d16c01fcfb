#!/usr/bin/env bash
# Pull benchmark (issue 13): a 200 MB image in 5 gzip layers from a loopback docker-registry,
# `slipway pull` beside `docker pull` (both download, verify and unpack every layer), runs
# alternating so load hurts both alike; wall time and peak RSS from /usr/bin/time -v.
# Needs dockerd (../shared/bench/setup.sh), docker-registry and skopeo; run as root.
#   bash bench/pull.sh            RUNS=5 LAYERS=5 MB=40 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}; LAYERS=${LAYERS:-5}; MB=${MB:-40}
DOCKER=/usr/bin/docker
W=$(mktemp -d /tmp/slipway-bench-pull.XXXXXX)
SLIPWAY="node $PWD/bin/slipway.js"
REG_PID=""
cleanup() { [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null; wait 2>/dev/null; $DOCKER rmi -f "$IMG" >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
IMG=127.0.0.1:$PORT/bench/pull:1
mkdir -p "$W/reg"
printf 'version: 0.1\nlog: { level: error }\nstorage:\n  filesystem: { rootdirectory: %s }\nhttp: { addr: 127.0.0.1:%s }\n' "$W/reg" "$PORT" > "$W/reg.yml"
docker-registry serve "$W/reg.yml" >>"$W/registry.log" 2>&1 & REG_PID=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
echo "making and pushing a $LAYERS x $MB MB image..." >&2
node bench/make-layered-image.mjs "$W/src" "$LAYERS" "$MB" >&2
skopeo copy -q --dest-tls-verify=false --dest-compress-format gzip "oci:$W/src:bench" "docker://$IMG"
$SLIPWAY --version >/dev/null
: > "$W/res.tsv"
measure() { # tool cmd...
  local t=$1; shift
  /usr/bin/time -v -o "$W/time.txt" "$@" >>"$W/bench.log" 2>&1 || { echo "FAILED: $*" >&2; tail -5 "$W/bench.log" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.txt")
  printf '%s\t%s\t%s\n' "$t" "$wall" "$rss" >> "$W/res.tsv"
  echo "$t ${wall}s ${rss}KB" >&2
}
for i in $(seq 1 "$RUNS"); do
  $DOCKER rmi -f "$IMG" >/dev/null 2>&1 || true
  measure docker $DOCKER pull -q "$IMG"
  rm -rf "$W/store"
  SLIPWAY_ROOT="$W/store" measure slipway $SLIPWAY pull -q "$IMG"
done
echo "| tool | pull wall s (median of $RUNS) | peak RSS MB |"
echo "|---|---|---|"
for t in docker slipway; do
  med=$(awk -F'\t' -v t=$t '$1==t {print $2}' "$W/res.tsv" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
  rss=$(awk -F'\t' -v t=$t '$1==t {if ($3>m) m=$3} END {printf "%.0f", m/1024}' "$W/res.tsv")
  echo "| $t | $med | $rss |"
done

#!/usr/bin/env bash
# Registry benchmark (issue 5): push and pull of a 200 MB, 5-layer image to a loopback
# docker-registry, Slipway beside skopeo (and podman, which, like Slipway, unpacks on pull)
# in one run. Wall time and peak RSS from /usr/bin/time -v; runs alternate between tools so
# a noisy neighbour hurts all of them alike. Prints a markdown table (median of RUNS).
#
#   bash bench/registry.sh            RUNS=3 LAYERS=5 MB=40 by default
#
# Cases
#   push-local   our store keeps built layers uncompressed, so push gzips on the way
#                (skopeo: oci layout with the same uncompressed layers; it gzips too)
#   pull         registry -> local store; skopeo copies blobs into an oci layout (no unpack);
#                Slipway and podman also verify and unpack every layer into a snapshot
#   push-gzip    the pulled image (gzip layers as they came) to an empty registry
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
LAYERS=${LAYERS:-5}
MB=${MB:-40}
W=$(mktemp -d /tmp/slipway-bench-registry.XXXXXX)
SLIPWAY="node $PWD/bin/slipway.js"
REG_PID=""
RES="$W/results.tsv"
: > "$RES"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

reg_start() { # fresh, empty storage every time
  reg_stop
  rm -rf "$W/reg"; mkdir -p "$W/reg/data"
  PORT=$(free_port); REG=127.0.0.1:$PORT
  printf 'version: 0.1\nlog: { level: error }\nstorage:\n  filesystem: { rootdirectory: %s }\nhttp: { addr: %s }\n' "$W/reg/data" "$REG" > "$W/reg/config.yml"
  docker-registry serve "$W/reg/config.yml" >>"$W/registry.log" 2>&1 &
  REG_PID=$!
  for _ in $(seq 1 50); do curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "registry did not start" >&2; return 1
}
reg_stop() { if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; REG_PID=""; fi; }
cleanup() { reg_stop; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT

measure() { # case tool cmd...
  local c=$1 t=$2; shift 2
  /usr/bin/time -v -o "$W/time.txt" "$@" >>"$W/bench.log" 2>&1 || { echo "FAILED: $c $t: $*" >&2; tail -5 "$W/bench.log" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.txt")
  printf '%s\t%s\t%s\t%s\n' "$c" "$t" "$wall" "$rss" >> "$RES"
  echo "$c $t ${wall}s ${rss}KB" >&2
}

echo "making a $LAYERS x $MB MB image..." >&2
node bench/make-layered-image.mjs "$W/src" "$LAYERS" "$MB" >&2
tar -cf "$W/src.tar" -C "$W/src" .
export SLIPWAY_ROOT="$W/store-local"
$SLIPWAY load -q -i "$W/src.tar" >/dev/null 2>&1 || $SLIPWAY load -i "$W/src.tar" >/dev/null
IMG_ID=$(node -e '
  import(process.argv[1]).then(({Engine})=>{const e=new Engine(process.env.SLIPWAY_ROOT); console.log(e.images.list()[0].id); e.close();})' "$PWD/dist/main/engine/engine.js")
tag() { node -e '
  import(process.argv[1]).then(({Engine})=>{const e=new Engine(process.env.SLIPWAY_ROOT); e.images.tag(process.argv[2], process.argv[3]); e.close();})' "$PWD/dist/main/engine/engine.js" "$@"; }

for i in $(seq 1 "$RUNS"); do
  reg_start; measure push-local skopeo skopeo copy -q --dest-tls-verify=false "oci:$W/src:bench" "docker://$REG/bench/img:1"
  reg_start; tag "$IMG_ID" "$REG/bench/img:1"
  SLIPWAY_ROOT="$W/store-local" measure push-local slipway $SLIPWAY push -q "$REG/bench/img:1"
done

# pull source: what skopeo pushed (gzip layers), kept for all pull runs
reg_start
skopeo copy -q --dest-tls-verify=false "oci:$W/src:bench" "docker://$REG/bench/img:1"
SRC_REG=$REG; SRC_PID=$REG_PID; REG_PID=""
for i in $(seq 1 "$RUNS"); do
  rm -rf "$W/skopeo-pulled"
  measure pull skopeo skopeo copy -q --src-tls-verify=false "docker://$SRC_REG/bench/img:1" "oci:$W/skopeo-pulled:bench"
  rm -rf "$W/store-pull"
  SLIPWAY_ROOT="$W/store-pull" measure pull slipway $SLIPWAY pull -q "$SRC_REG/bench/img:1"
  rm -rf "$W/podman"; mkdir -p "$W/podman"
  measure pull podman podman --root "$W/podman/root" --runroot "$W/podman/run" --storage-driver overlay pull -q --tls-verify=false "$SRC_REG/bench/img:1"
done
podman --root "$W/podman/root" --runroot "$W/podman/run" --storage-driver overlay system reset -f >/dev/null 2>&1 || true
rm -rf "$W/podman"
kill "$SRC_PID" 2>/dev/null || true; wait "$SRC_PID" 2>/dev/null || true

PULLED_ID=$(SLIPWAY_ROOT="$W/store-pull" node -e '
  import(process.argv[1]).then(({Engine})=>{const e=new Engine(process.env.SLIPWAY_ROOT); console.log(e.images.list()[0].id); e.close();})' "$PWD/dist/main/engine/engine.js")
for i in $(seq 1 "$RUNS"); do
  reg_start; measure push-gzip skopeo skopeo copy -q --dest-tls-verify=false "oci:$W/skopeo-pulled:bench" "docker://$REG/bench/img:1"
  reg_start; SLIPWAY_ROOT="$W/store-pull" tag "$PULLED_ID" "$REG/bench/img:1"
  SLIPWAY_ROOT="$W/store-pull" measure push-gzip slipway $SLIPWAY push -q "$REG/bench/img:1"
done

echo
echo "| case | tool | wall s (median of $RUNS) | peak RSS MB (max) |"
echo "|---|---|---|---|"
for c in push-local pull push-gzip; do
  for t in skopeo slipway podman; do
    vals=$(awk -F'\t' -v c="$c" -v t="$t" '$1==c && $2==t {print $3}' "$RES" | sort -n)
    [ -n "$vals" ] || continue
    n=$(echo "$vals" | wc -l); med=$(echo "$vals" | sed -n "$(( (n + 1) / 2 ))p")
    rss=$(awk -F'\t' -v c="$c" -v t="$t" '$1==c && $2==t {if ($4>m) m=$4} END {printf "%.0f", m/1024}' "$RES")
    echo "| $c | $t | $med | $rss |"
  done
done

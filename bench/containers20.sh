#!/usr/bin/env bash
# shared/bench/bench.sh section d (create 20 containers, start them in one call, rm -f them in
# one call) with the same network mode on both sides: bench.sh creates them on each engine's
# default network, which is none for dockerd here (--bridge=none) and pasta for Slipway.
# Engines alternate run by run; medians in seconds. Run as root after shared/bench/setup.sh.
#   bash bench/containers20.sh [RUNS=5] [NETWORK=none]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${1:-5}"; NET="${2:-none}"
node scripts/bundle.mjs --if-stale >/dev/null
export SLIPWAY_ROOT="${SLIPWAY_ROOT:-$(mktemp -d /tmp/slipway-bench-store.XXXXXX)}"
IMAGE=localhost/busybox:latest
declare -A CLI=([docker]="/usr/bin/docker" [slipway]="node $PWD/bin/slipway.js")
${CLI[slipway]} load -i test/fixtures/images/busybox-docker.tar >/dev/null
${CLI[docker]} load -i test/fixtures/images/busybox-docker.tar >/dev/null
names=(); for i in $(seq -w 1 20); do names+=("slipway-bench-n-$i"); done
declare -A T
for ((r = 0; r <= RUNS; r++)); do   # run 0 warms up
  for eng in docker slipway; do
    C=${CLI[$eng]}
    $C rm -f "${names[@]}" >/dev/null 2>&1
    t0=$EPOCHREALTIME
    for n in "${names[@]}"; do $C create --network "$NET" --name "$n" "$IMAGE" true >/dev/null || exit 1; done
    t1=$EPOCHREALTIME
    $C start "${names[@]}" >/dev/null || exit 1
    t2=$EPOCHREALTIME
    $C rm -f "${names[@]}" >/dev/null || exit 1
    t3=$EPOCHREALTIME
    [ $r = 0 ] && continue
    T[$eng,create]+=" $(echo "$t1 - $t0" | bc)"; T[$eng,start]+=" $(echo "$t2 - $t1" | bc)"
    T[$eng,rm]+=" $(echo "$t3 - $t2" | bc)"; T[$eng,total]+=" $(echo "$t3 - $t0" | bc)"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| 20 containers, --network %s (RUNS=%s) | docker | Slipway | ratio |\n|---|---|---|---|\n' "$NET" "$RUNS"
for k in create start rm total; do
  d=$(echo "${T[docker,$k]}" | median); s=$(echo "${T[slipway,$k]}" | median)
  printf '| %s | %.3f | %.3f | %.2fx |\n' "$k" "$d" "$s" "$(echo "$s / $d" | bc -l)"
done

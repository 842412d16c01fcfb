#!/usr/bin/env bash
# cp benchmark (issue 10): 100 MB into and out of a running container, beside docker and
# podman in one run, as one file and as a tree of 1000 files of 100 kB. Runs are interleaved
# (docker, podman, slipway, docker, ...) so a busy machine hurts every engine alike; the
# figures are medians. docker is the machine's dockerd (/work/shared-style setup: setup.sh),
# podman runs as root with its default store, Slipway from a private copy of the build with
# a fresh store. Run as root:
#   bash bench/cp.sh            (RUNS=5 by default; ENGINES="docker podman slipway")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-5}"
ENGINES="${ENGINES:-docker podman slipway}"
IMAGE=localhost/busybox:latest
FIXTURE="$PWD/test/fixtures/images/busybox-docker.tar"
DOCKER=/usr/bin/docker
work="$(mktemp -d /tmp/slipway-cpbench.XXXXXX)"
NAME="slwcpbench$$"

cli() { # engine, args...
  local e="$1"; shift
  case "$e" in
    docker) "$DOCKER" "$@" ;;
    podman) podman "$@" ;;
    slipway) node "$work/slipway/bin/slipway.js" "$@" ;;
  esac
}
cleanup() {
  set +e
  for e in $ENGINES; do cli "$e" rm -f "$NAME" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- the data: 100 MB that does not compress, once as a file and once as 1000 files -----------
head -c $((100 << 20)) /dev/urandom > "$work/big.bin"
mkdir "$work/tree"
for i in $(seq 0 999); do head -c $((100 << 10)) /dev/urandom > "$work/tree/f$i"; done

# --- the engines: one running container each --------------------------------------------------
if [[ " $ENGINES " == *" slipway "* ]]; then
  node scripts/bundle.mjs --if-stale >/dev/null
  mkdir -p "$work/slipway"
  cp -r dist bin package.json node_modules build "$work/slipway/"
  export SLIPWAY_ROOT="$work/store"
  cli slipway load -i "$FIXTURE" >/dev/null
fi
for e in $ENGINES; do
  cli "$e" image inspect "$IMAGE" >/dev/null 2>&1 || cli "$e" load -i "$FIXTURE" >/dev/null
  cli "$e" run -d --network none --name "$NAME" "$IMAGE" sleep 3600 >/dev/null
done

now() { date +%s.%N; }
timed() { # seconds one command takes
  local t0 t1
  t0=$(now); "$@" >/dev/null; t1=$(now)
  awk "BEGIN {print $t1 - $t0}"
}
declare -A r
for _ in $(seq 1 "$RUNS"); do
  for e in $ENGINES; do
    cli "$e" exec "$NAME" rm -rf /big.bin /tree
    rm -rf "$work/out-$e"; mkdir "$work/out-$e"
    r[$e,in]+="$(timed cli "$e" cp "$work/big.bin" "$NAME:/big.bin") "
    r[$e,out]+="$(timed cli "$e" cp "$NAME:/big.bin" "$work/out-$e/big.bin") "
    r[$e,tin]+="$(timed cli "$e" cp "$work/tree" "$NAME:/tree") "
    r[$e,tout]+="$(timed cli "$e" cp "$NAME:/tree" "$work/out-$e/tree") "
    cmp -s "$work/big.bin" "$work/out-$e/big.bin" || { echo "$e: the file came back different" >&2; exit 1; }
    [ "$(ls "$work/out-$e/tree" | wc -l)" = 1000 ] || { echo "$e: the tree came back incomplete" >&2; exit 1; }
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
printf '%-10s %12s %12s %12s %12s   (medians of %s runs, seconds)\n' engine 'file in' 'file out' 'tree in' 'tree out' "$RUNS"
for e in $ENGINES; do
  printf '%-10s %12s %12s %12s %12s\n' "$e" "$(echo "${r[$e,in]}" | median)" "$(echo "${r[$e,out]}" | median)" "$(echo "${r[$e,tin]}" | median)" "$(echo "${r[$e,tout]}" | median)"
done

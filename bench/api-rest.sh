#!/usr/bin/env bash
# The Engine API service's memory at rest after workloads (issue 11: under 100 MB). One
# `slipway system service` on a fresh store, driven by Debian's docker 20.10 client (legacy
# builder); VmRSS of the service from /proc after each phase and after IDLE seconds without a
# client (the service runs a full gc 5 s after its last connection closes). DOCKER= another client.
#   build: busybox loaded from the fixture, a cold (--no-cache) and a cached build of
#          shared/bench/buildctx (RUNS each), 4 x run --rm (the last runs the built image)
#   pull:  a 200 MB image in 5 gzip layers from a loopback docker-registry (needs skopeo)
#   load:  the same image as a docker-archive through POST /images/load
# Run as root, no dockerd needed.
#   bash bench/api-rest.sh                    # SECTIONS="build", RUNS=1, IDLE=10
#   SECTIONS="build pull load" bash bench/api-rest.sh
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
SECTIONS="${SECTIONS:-build}"; RUNS="${RUNS:-1}"; IDLE="${IDLE:-10}"
DOCKER="${DOCKER:-/usr/bin/docker}"   # /usr/local/bin/docker here is a 28.x client, which works too
OUT=$(mktemp -d /tmp/slipway-api-rest.XXXXXX)
export SLIPWAY_ROOT="$OUT/root" DOCKER_HOST="unix://$OUT/docker.sock" DOCKER_BUILDKIT=0 DOCKER_CONFIG="$OUT/docker-config"
(cd "$REPO" && node scripts/bundle.mjs --if-stale >/dev/null 2>&1) || { echo "bundling failed" >&2; exit 1; }
node "$REPO/bin/slipway.js" system service --socket "$OUT/docker.sock" --time 0 >"$OUT/service.out" 2>"$OUT/service.err" &
SVC=$!
REG=""
trap 'kill $SVC $REG 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 1 100); do [ -S "$OUT/docker.sock" ] && break; sleep 0.1; done
[ -S "$OUT/docker.sock" ] || { echo "the service did not start:" >&2; cat "$OUT/service.err" >&2; exit 1; }

mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SVC/status"; }
say() { printf '%-40s %4s MB\n' "$1" "$(mb)"; }
rest() { sleep "$IDLE"; say "  idle ${IDLE} s"; }
sleep "$IDLE"; say "after start, idle ${IDLE} s"

if [[ " $SECTIONS " == *" build "* ]]; then
  $DOCKER load -i "$REPO/test/fixtures/images/busybox-docker.tar" >/dev/null && $DOCKER tag localhost/busybox:latest busybox:latest
  cp -r "$SHARED/bench/buildctx" "$OUT/ctx"; rm -rf "$OUT/ctx/files" "$OUT/ctx/.files.complete"; "$OUT/ctx/gen-files.sh"
  for _ in $(seq 1 "$RUNS"); do $DOCKER build --no-cache -t bench/ref:1 "$OUT/ctx" >>"$OUT/build.log" 2>&1 || { echo "cold build failed" >&2; tail "$OUT/build.log" >&2; exit 1; }; done
  say "after $RUNS cold build(s)"
  for _ in $(seq 1 "$RUNS"); do $DOCKER build -t bench/ref:1 "$OUT/ctx" >>"$OUT/build.log" 2>&1 || { echo "cached build failed" >&2; exit 1; }; done
  say "after $RUNS cached build(s)"
  for _ in 1 2 3; do $DOCKER run --rm busybox true; done
  $DOCKER run --rm bench/ref:1 | grep -q 'blob.bin: OK' || { echo "the built image does not check out" >&2; exit 1; }
  say "after 4 x run --rm"
  rest
fi

if [[ " $SECTIONS " == *" pull "* || " $SECTIONS " == *" load "* ]]; then
  node "$REPO/bench/make-layered-image.mjs" "$OUT/src" 5 40 >/dev/null
  PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  mkdir -p "$OUT/reg"
  printf 'version: 0.1\nlog: { level: error }\nstorage:\n  filesystem: { rootdirectory: %s }\nhttp: { addr: 127.0.0.1:%s }\n' "$OUT/reg" "$PORT" > "$OUT/reg.yml"
  docker-registry serve "$OUT/reg.yml" >>"$OUT/registry.log" 2>&1 & REG=$!
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  skopeo copy -q --dest-tls-verify=false --dest-compress-format gzip "oci:$OUT/src:bench" "docker://127.0.0.1:$PORT/bench/pull:1"
  skopeo copy -q "oci:$OUT/src:bench" "docker-archive:$OUT/img.tar:bench/load:1"
fi
if [[ " $SECTIONS " == *" pull "* ]]; then
  $DOCKER pull -q "127.0.0.1:$PORT/bench/pull:1" >/dev/null || { echo "pull failed" >&2; exit 1; }
  say "after a 200 MB pull"; rest
  $DOCKER rmi "127.0.0.1:$PORT/bench/pull:1" >/dev/null
fi
if [[ " $SECTIONS " == *" load "* ]]; then
  $DOCKER load -i "$OUT/img.tar" >/dev/null || { echo "load failed" >&2; exit 1; }
  say "after a 200 MB load"; rest
fi

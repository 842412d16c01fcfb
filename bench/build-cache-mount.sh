#!/usr/bin/env bash
# RUN --mount=type=cache benchmark (issue 12), Docker 20.10 BuildKit beside Slipway in one run.
# The context is a small "project": one RUN installs its dependencies into a cache mount
# (~100 MB of package files: 400 packages x 256 kB, fetched only when the cache lacks them)
# and builds the sources against them. Two workloads, engine after engine, RUNS times:
#   cold:    empty build cache and empty cache mount (BuildKit: builder prune -af; Slipway: a
#            fresh store), so the RUN fills the cache;
#   rebuild: one source file changed: the RUN runs again, with the cache mount warm.
# Times come from hyperfine (--prepare does the reset/the edit, untimed). Results: hyperfine's
# JSON per workload and engine, and results.tsv (medians) under $OUT. Run as root after
# shared/bench/setup.sh (dockerd up, localhost/busybox:latest loaded).
#
#   bash bench/build-cache-mount.sh            # RUNS=5 by default
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
RUNS="${RUNS:-5}"
OUT="${OUT:-/tmp/slipway-bench-cachemount.$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }

# A private copy of the bundle: a rebuild replaces dist/bundle while this runs.
(cd "$REPO" && node scripts/bundle.mjs --if-stale >/dev/null 2>&1) || { echo "bundling failed" >&2; exit 1; }
BENCH_DIST="$REPO/dist/bench-cachemount-$$"
cp -r "$(readlink -f "$REPO/dist/bundle")" "$BENCH_DIST"
trap 'rm -rf "$BENCH_DIST"' EXIT
SLIPWAY="node $BENCH_DIST/cli.cjs"
$SLIPWAY --version >/dev/null || { echo "the bundled CLI does not start" >&2; exit 1; }
export SLIPWAY_ROOT="$OUT/slipway-root"
DOCKER="env DOCKER_BUILDKIT=1 /usr/bin/docker"
FIXTURE="$REPO/test/fixtures/images/busybox-docker.tar"

CTX="$OUT/ctx"
mkdir -p "$CTX/src"
cat > "$CTX/Dockerfile" <<'EOF'
FROM localhost/busybox:latest
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/pkgs \
    sh fetch.sh /root/.cache/pkgs && sh build.sh /root/.cache/pkgs /out
CMD ["cat", "/out/manifest"]
EOF
cat > "$CTX/fetch.sh" <<'EOF'
# "download" every package the lock file names that the cache does not hold yet
cache="$1"
while read -r pkg; do
  [ -f "$cache/$pkg.tgz" ] || head -c 262144 /dev/urandom > "$cache/$pkg.tgz"
done < deps.lock
EOF
cat > "$CTX/build.sh" <<'EOF'
# "compile" the sources against the packages: a small output, as a real build's binary is
cache="$1"; out="$2"
mkdir -p "$out"
cat src/*.txt > "$out/app"
while read -r pkg; do printf '%s %s\n' "$pkg" "$(head -c 64 "$cache/$pkg.tgz" | md5sum | cut -c1-8)"; done < deps.lock > "$out/manifest"
EOF
seq -f 'pkg-%04g' 1 400 > "$CTX/deps.lock"
for i in $(seq 1 20); do echo "source $i" > "$CTX/src/file$i.txt"; done

$SLIPWAY load -i "$FIXTURE" >/dev/null 2>&1 || true
SBUILD="$SLIPWAY build -q --network none -t bench-cachemount:latest $CTX"
DBUILD="$DOCKER build -q --network none -t bench-cachemount:latest $CTX"
RESET_D="/usr/bin/docker builder prune -af >/dev/null 2>&1; /usr/bin/docker rmi -f bench-cachemount:latest >/dev/null 2>&1; true"
RESET_S="rm -rf $SLIPWAY_ROOT; $SLIPWAY load -i $FIXTURE >/dev/null"
EDIT="date +%s%N > $CTX/src/file1.txt"

run() { # name, prepare, command
  hyperfine --runs "$RUNS" --warmup 0 --prepare "$2" --export-json "$OUT/$1.json" --show-output "$3" > "$OUT/$1.log" 2>&1 \
    || { echo "$1 failed: see $OUT/$1.log" >&2; return 1; }
}
median() { node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1])).results[0]; console.log(r.median.toFixed(3))' "$1"; }

# each engine once first, so the base image and the engines' own start-up caches are warm
$DBUILD >/dev/null 2>&1; $SBUILD >/dev/null 2>&1
run cold-docker "$RESET_D" "$DBUILD"
run cold-slipway "$RESET_S" "$SBUILD"
# warm the cache mounts once, then time rebuilds after one source edit
$DBUILD >/dev/null 2>&1; $SBUILD >/dev/null 2>&1
run rebuild-docker "$EDIT" "$DBUILD"
run rebuild-slipway "$EDIT" "$SBUILD"
# the images are the same project: check that both engines built what they were asked
d=$(/usr/bin/docker run --rm --network none bench-cachemount:latest sh -c 'wc -l < /out/manifest')
s=$($SLIPWAY run --rm --network none bench-cachemount:latest sh -c 'wc -l < /out/manifest')
printf 'check: manifest lines docker %s / slipway %s (400 expected)\n' "$d" "$s"
du -sh "$SLIPWAY_ROOT/cache-mounts" | sed 's/^/slipway cache mounts: /'

printf 'workload\tdocker_buildkit\tslipway\tratio\n' > "$OUT/results.tsv"
for w in cold rebuild; do
  a=$(median "$OUT/$w-docker.json"); b=$(median "$OUT/$w-slipway.json")
  printf '%s\t%s\t%s\t%s\n' "$w" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", b / a }')" >> "$OUT/results.tsv"
done
column -t -s $'\t' "$OUT/results.tsv"
echo "results: $OUT"

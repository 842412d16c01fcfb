#!/usr/bin/env bash
# Network benchmark (issue 10): a 3-container app on one user-defined network, beside docker
# and podman in one run.
#   start    = network create + 3 x run -d on it + the first DNS answer (exec c1 nslookup c3,
#              retried until it answers)
#   teardown = rm -f of the 3 containers + network rm
# Everything happens inside a network namespace made here, so no engine puts a bridge or an
# iptables rule in the host's namespace: docker gets a private dockerd started in it (the
# machine's dockerd runs with --bridge=none --iptables=false, where user-defined networks have
# no NAT), podman runs with netavark as its backend and a private network config dir, Slipway
# from a private copy of the build with a fresh store. Run as root:
#   bash bench/network.sh            (RUNS=5 by default; ENGINES="docker podman slipway")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-5}"
ENGINES="${ENGINES:-docker podman slipway}"
IMAGE=localhost/busybox:latest
FIXTURE="$PWD/test/fixtures/images/busybox-docker.tar"
work="$(mktemp -d /tmp/slipway-netbench.XXXXXX)"
ns="slwbench$$"
ip netns add "$ns"
ip -n "$ns" link set lo up
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }

dockerd_pid=""
cleanup() {
  set +e
  for e in $ENGINES; do teardown_app "$e" >/dev/null 2>&1; done
  [ -n "$dockerd_pid" ] && kill "$dockerd_pid" 2>/dev/null && sleep 2
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# --- the engines ----------------------------------------------------------------------------
if [[ " $ENGINES " == *" slipway "* ]]; then
  npm run --silent build >/dev/null
  mkdir -p "$work/slipway"
  cp -r dist bin package.json node_modules build "$work/slipway/"
  export SLIPWAY_ROOT="$work/store"
  in_ns node "$work/slipway/bin/slipway.js" load -i "$FIXTURE" >/dev/null
fi
if [[ " $ENGINES " == *" docker "* ]]; then
  # its own data and exec roots and socket; nsenter keeps the mount namespace (cgroups visible)
  in_ns dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" -H "unix://$work/docker.sock" \
    --pidfile "$work/docker.pid" --iptables=true --ip6tables=false --bridge=none --storage-driver overlay2 \
    >"$work/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do docker -H "unix://$work/docker.sock" info >/dev/null 2>&1 && break; sleep 0.5; done
  dockerd_pid="$(cat "$work/docker.pid")"
  docker -H "unix://$work/docker.sock" load -i "$FIXTURE" >/dev/null
fi
if [[ " $ENGINES " == *" podman "* ]]; then
  mkdir -p "$work/podman-networks"
  { cat /etc/containers/containers.conf 2>/dev/null || true
    printf '[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "%s"\n' "$work/podman-networks"; } >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
fi

cli() { # engine, args...
  local e="$1"; shift
  case "$e" in
    docker) docker -H "unix://$work/docker.sock" "$@" ;;
    podman) in_ns podman "$@" ;;
    slipway) in_ns node "$work/slipway/bin/slipway.js" "$@" ;;
  esac
}

start_app() {
  local e="$1"
  cli "$e" network create benchnet >/dev/null
  for i in 1 2 3; do cli "$e" run -d --name "bench$i" --network benchnet "$IMAGE" sleep 600 >/dev/null; done
  for _ in $(seq 1 200); do cli "$e" exec bench1 nslookup bench3 >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "$e: bench3 never resolved" >&2; return 1
}
teardown_app() {
  local e="$1"
  cli "$e" rm -f bench1 bench2 bench3 >/dev/null
  cli "$e" network rm benchnet >/dev/null
}

now() { date +%s.%N; }
declare -A starts teardowns
for _ in $(seq 1 "$RUNS"); do
  for e in $ENGINES; do
    t0=$(now); start_app "$e"; t1=$(now); teardown_app "$e"; t2=$(now)
    starts[$e]+="$(awk "BEGIN {print $t1 - $t0}") "
    teardowns[$e]+="$(awk "BEGIN {print $t2 - $t1}") "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
printf '%-10s %10s %10s   (medians of %s runs, seconds)\n' engine start teardown "$RUNS"
for e in $ENGINES; do
  printf '%-10s %10s %10s\n' "$e" "$(echo "${starts[$e]}" | median)" "$(echo "${teardowns[$e]}" | median)"
done

#!/usr/bin/env bash
# Run the rootless integration tests as an ordinary user with subordinate uid/gid ranges,
# created here if missing (as the issue asks: once as root, once as an ordinary user).
#   scripts/test-rootless.sh [JSON_RESULTS_FILE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# One rootless suite at a time on a machine: they share the test user's namespace holder.
if [ -z "${SLIPWAY_ROOTLESS_LOCKED:-}" ]; then
  exec env SLIPWAY_ROOTLESS_LOCKED=1 flock /tmp/slipway-rootless.lock bash "$0" "$@"
fi
out="${1:-}"
user=slipwaytest
if ! id "$user" >/dev/null 2>&1; then
  echo "[rootless] creating user $user for the rootless tests" >&2
  useradd -m -s /bin/bash "$user"
fi
uid=$(id -u "$user")
grep -q "^$user:" /etc/subuid || echo "$user:200000:65536" >> /etc/subuid
grep -q "^$user:" /etc/subgid || echo "$user:200000:65536" >> /etc/subgid
home=$(getent passwd "$user" | cut -d: -f6)
run_dir="/run/user/$uid"; mkdir -p "$run_dir"; chown "$user:" "$run_dir"; chmod 700 "$run_dir"

# The tests run the CLI from dist/bundle, which that user may not be able to rebuild: bundle
# it here when any of its sources changed (the same check as the tests' ensureBuilt).
mkdir -p dist
flock dist/.bundle.lock node scripts/bundle.mjs --if-stale

# The user must be able to read the checkout; CI may clone under a private directory, so
# fall back to a copy that the user owns.
src="$PWD"
if ! runuser -u "$user" -- test -r "$src/package.json" -a -x "$src/node_modules/.bin"; then
  src=/tmp/slipway-rootless-src
  echo "[rootless] $PWD is not readable by $user: copying the checkout to $src" >&2
  rm -rf "$src"; mkdir -p "$src"
  tar -C "$PWD" --exclude=./.git -cf - . | tar -C "$src" -xf -
  chown -R "$user:" "$src"
fi
args=(npx vitest run --config test/integration/rootless/vitest.config.ts --configLoader runner)
[ -n "$out" ] && args+=(--reporter=default --reporter=json "--outputFile.json=$out")
[ -n "$out" ] && touch "$out" && chown "$user:" "$out"
cd "$src"
rc=0
runuser -u "$user" -- env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" HOME="$home" \
  USER="$user" XDG_RUNTIME_DIR="$run_dir" CI="${CI:-}" "${args[@]}" || rc=$?
# The tests started the user's rootless namespace holder (pause process): stop it by its pid.
pause_pid=$(cat "$run_dir/slipway/pause.pid" 2>/dev/null || true)
if [ -n "$pause_pid" ] && [ "$(cat "/proc/$pause_pid/comm" 2>/dev/null)" = sleep ] && \
   [ "$(stat -c %U "/proc/$pause_pid" 2>/dev/null)" = "$user" ]; then
  kill "$pause_pid" 2>/dev/null || true
fi
exit $rc

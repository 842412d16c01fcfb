#!/usr/bin/env bash
# The whole test suite: unit + integration as root, the rootless integration tests as an
# ordinary user, then the end-to-end tests in Chromium. Prints one closing summary line.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
results="$(mktemp -d /tmp/slipway-test.XXXXXX)"
chmod 755 "$results"
status=0

run_suite() { # name, then the command
  local name="$1"; shift
  echo "=== $name ===" >&2
  "$@" || status=1
}

run_suite "unit + integration (root)" npx vitest run --config vitest.config.ts \
  --reporter=default --reporter=json --outputFile.json="$results/main.json"
if [ -d test/integration/rootless ]; then
  run_suite "integration (rootless, user slipwaytest)" bash scripts/test-rootless.sh "$results/rootless.json"
fi
if [ -d test/e2e ] && ls test/e2e/*.test.ts >/dev/null 2>&1; then
  run_suite "end-to-end (Chromium)" npx vitest run --config test/e2e/vitest.config.ts \
    --reporter=default --reporter=json --outputFile.json="$results/e2e.json"
fi

node -e '
  const fs = require("fs"); let p = 0, f = 0, s = 0;
  for (const n of fs.readdirSync(process.argv[1])) {
    try { const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + n, "utf8"));
      p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests || 0);
    } catch { f += 1; console.error("no results in " + n); }
  }
  console.log(`${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
' "$results" || status=1
rm -rf "$results"
exit $status

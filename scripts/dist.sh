#!/usr/bin/env bash
# npm run dist: the desktop app as an AppImage and a .deb (electron-builder.yml), in release/.
# electron-builder packs the Electron binary that npm's postinstall downloads; where that download
# cannot work (no internet: setup.sh skips it) say so in one line instead of failing deep inside.
#   SLIPWAY_ELECTRON_DIST  another unpacked Electron (default node_modules/electron/dist)
#   SLIPWAY_DIST_TARGETS   electron-builder's linux targets (default "AppImage deb"; "dir" = unpacked only)
#   SLIPWAY_DIST_SKIP_BUILD=1  package the dist/ that is there (the test does: a build mid-suite would
#                          change files other tests run)
# Extra arguments go to electron-builder (e.g. -c.directories.output=DIR).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
electron_dist="${SLIPWAY_ELECTRON_DIST:-node_modules/electron/dist}"
if [ ! -x "$electron_dist/electron" ]; then
  echo "npm run dist: no Electron binary in $electron_dist (its download was skipped or failed here); on a machine with internet run 'node node_modules/electron/install.js' and then 'npm run dist' again" >&2
  exit 1
fi
[ -n "${SLIPWAY_DIST_SKIP_BUILD:-}" ] || npm run build
# AppImage and deb fetch their tools (appimagetool, fpm) from GitHub on first use: offline only "dir" works
read -r -a targets <<< "${SLIPWAY_DIST_TARGETS:-AppImage deb}"
status=0
npx electron-builder --linux "${targets[@]}" --config electron-builder.yml -c.electronDist="$electron_dist" "$@" || status=$?
# electron-builder rebuilds native modules in node_modules for Electron's ABI (@electron/rebuild);
# better-sqlite3 is not N-API, so the CLI beside the checkout would no longer load it: build it
# for this Node again (our own addon is N-API and loads in both)
if ! node -e "require('better-sqlite3')(':memory:')" 2>/dev/null; then
  echo "npm run dist: rebuilding better-sqlite3 for Node $(node --version) (electron-builder built it for Electron)" >&2
  npm rebuild better-sqlite3 >/dev/null
fi
exit $status

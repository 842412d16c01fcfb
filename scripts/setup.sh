#!/usr/bin/env bash
# Install everything Slipway needs on a fresh Debian 12 with Node 20, idempotently, saying
# what it installs. Called by `npm start` and `npm test` (the README's two commands).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "[setup] $*" >&2; }

# --- Debian packages ------------------------------------------------------------------
# runc: the OCI runtime; conmon: the per-container monitor (as podman uses it);
# busybox-static: the offline base image; uidmap: newuidmap/newgidmap for rootless;
# fuse-overlayfs: the second overlay driver; skopeo/umoci: interop tests on our OCI layout;
# passt: pasta, the default container network; docker-registry + apache2-utils (htpasswd):
# the registry tests; chromium: the app's end-to-end tests; iproute2, jq, curl, time: test tools;
# git: ADD of Git repositories in builds (and the git daemon its tests serve); openssh-client:
# ssh-agent for the build's --ssh tests and git over ssh;
# docker.io (for its client, /usr/bin/docker 20.10), docker-compose (1.29) and python3-docker:
# the Engine API tests drive `slipway system service` with them (their dockerd is never run);
# python3: the attach tests drive a real terminal with its pty module; build-essential: node-gyp
# builds the native addon with it (and the docker cp CVE-2019-14271 test compiles a tiny library);
# netavark + aardvark-dns (podman 4's network stack) and iptables: user-defined bridge networks;
# tini: its static build (tini-static) is what `run --init` binds in as /sbin/docker-init.
PKGS=(runc conmon busybox-static uidmap fuse-overlayfs skopeo umoci passt netavark aardvark-dns iptables docker-registry
      apache2-utils chromium iproute2 jq curl ca-certificates util-linux attr time git
      openssh-client docker.io docker-compose python3-docker python3 build-essential tini)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]} (run this once as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's postinst starts dockerd (invoke-rc.d on a machine without systemd, where a
  # failing start fails the install; deb-systemd-invoke with systemd). We only want its client:
  # a policy-rc.d that answers 101 ("action forbidden") keeps every service from starting
  # during this install. One that is already there is left alone.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by slipway scripts/setup.sh for one apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  trap - EXIT
  if grep -q "written by slipway scripts/setup.sh" "$policy" 2>/dev/null; then rm -f "$policy"; fi
fi

# --- npm packages -----------------------------------------------------------------------
# Electron's postinstall downloads its binary, which fails without internet and would fail
# the whole install; so install with the download skipped, then try the download on its own:
# where it works you get the real desktop app, where it does not `npm start` serves the UI.
stamp=node_modules/.slipway-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing npm packages (npm ci)"
  if [ -f package-lock.json ]; then
    ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  else
    ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
  fi
  if [ ! -e node_modules/electron/dist ]; then
    if (cd node_modules/electron && timeout 120 node install.js >/dev/null 2>&1); then
      say "downloaded the Electron binary"
    else
      say "Electron binary not downloadable here (no internet): the app will run as 'slipway ui' in a browser"
    fi
  fi
  touch "$stamp"
fi

# --- native addon -------------------------------------------------------------------------
# mknod/xattr/mount for layers, a SOCK_SEQPACKET client for conmon's attach socket (native/).
# npm install builds it through binding.gyp; rebuild here when it is missing or older than
# any of its sources. Use the headers of the running Node when
# they are installed, so node-gyp never needs to download them.
addon=build/Release/slipway_native.node
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" 2>/dev/null | head -1)" ]; then
  say "building the native addon (node-gyp)"
  nodeprefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -z "${npm_config_nodedir:-}" ] && [ -f "$nodeprefix/include/node/node_api.h" ]; then
    export npm_config_nodedir="$nodeprefix"
  fi
  npm run --silent build:native >/dev/null
fi

# --- build ------------------------------------------------------------------------------
# Rebuild when any source is newer than the last build.
bstamp=dist/.build-stamp
if [ ! -f "$bstamp" ] || [ -n "$(find main shared renderer tsconfig.json package.json -newer "$bstamp" -type f -not -path '*/node_modules/*' -not -path 'renderer/dist/*' 2>/dev/null | head -1)" ]; then
  say "building (tsc + vite)"
  npm run --silent build
  touch "$bstamp"
fi

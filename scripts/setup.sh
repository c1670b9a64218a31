#!/usr/bin/env bash
# Installs everything netprov, its lab and its tests need on a Debian/Ubuntu machine (as root), then builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
pkgs=(iproute2 openssh-server openssh-client nftables iptables containernetworking-plugins iputils-ping util-linux procps kmod ca-certificates)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "netprov needs Node.js >= 20.19 (apt-get install nodejs npm)" >&2; exit 1; }
[ -d node_modules ] && [ package-lock.json -ot node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error
npm run -s build
node scripts/manifest.mjs

#!/usr/bin/env bash
# Installs bubblewrap (bwrap), the namespace sandbox asar runs in (triforce.snes.asar.isolation).
# As root: the Debian package, system-wide. Otherwise: the package unpacked into .cache/bubblewrap
# (found there by Triforce; it needs unprivileged user namespaces). Prints the path of bwrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v bwrap >/dev/null 2>&1; then command -v bwrap; exit 0; fi
local_bin=.cache/bubblewrap/root/usr/bin/bwrap
if [ -x "$local_bin" ]; then echo "$PWD/$local_bin"; exit 0; fi
if [ "$(id -u)" = 0 ]; then
  if ! apt-get install -y -qq bubblewrap >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq bubblewrap >/dev/null
  fi
  command -v bwrap
  exit 0
fi
mkdir -p .cache/bubblewrap
cd .cache/bubblewrap
apt-get download bubblewrap >/dev/null
deb=$(ls -1 bubblewrap_*.deb | head -n 1)
dpkg -x "$deb" root
echo "$PWD/root/usr/bin/bwrap"

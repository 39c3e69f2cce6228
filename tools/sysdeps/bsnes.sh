#!/usr/bin/env bash
# Installs the bsnes-mercury (accuracy) libretro core used as the reference emulator in
# differential tests. Prefers a system install; otherwise unpacks the Debian package into
# .cache/bsnes without pulling in RetroArch. Prints the path of the core.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=bsnes_mercury_accuracy_libretro.so
system=/usr/lib/x86_64-linux-gnu/libretro/$name
local_dir=.cache/bsnes
if [ -f "$system" ]; then echo "$system"; exit 0; fi
if [ -f "$local_dir/root/usr/lib/x86_64-linux-gnu/libretro/$name" ]; then
  echo "$PWD/$local_dir/root/usr/lib/x86_64-linux-gnu/libretro/$name"; exit 0
fi
mkdir -p "$local_dir"
cd "$local_dir"
if ! apt-get download libretro-bsnes-mercury-accuracy >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
  apt-get download libretro-bsnes-mercury-accuracy >/dev/null
fi
deb=$(ls -1 libretro-bsnes-mercury-accuracy_*.deb | head -n 1)
dpkg -x "$deb" root
echo "$PWD/root/usr/lib/x86_64-linux-gnu/libretro/$name"

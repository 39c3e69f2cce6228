#!/usr/bin/env bash
# Debian's Chromium for the browser tests of the review page (Playwright drives it; Playwright's
# own browser download does not work on these machines). Prints the browser's path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then command -v chromium; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: install Debian's chromium package (as root: apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -q chromium >/dev/null; }
command -v chromium

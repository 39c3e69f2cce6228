#!/usr/bin/env bash
# Installs g++ and the third-party C++ headers the C++ compile checker (triforce.cpp) puts on
# its -isystem path for YAZE-like trees: abseil, SDL2, nlohmann-json, Dear ImGui, yaml-cpp.
# Debian's versions are older than YAZE's pins; `triforce cpp baseline` measures the drift.
# Idempotent: exits at once when everything is there. Prints the include folder.
set -euo pipefail
need=()
[ -x /usr/bin/g++ ] || need+=(g++)
[ -f /usr/include/absl/status/status.h ] || need+=(libabsl-dev)
[ -f /usr/include/SDL2/SDL.h ] || need+=(libsdl2-dev)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ -f /usr/include/imgui/imgui.h ] || need+=(libimgui-dev)
[ -f /usr/include/yaml-cpp/yaml.h ] || need+=(libyaml-cpp-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "cpp-headers: run as root to install: ${need[*]}" >&2
    exit 1
  fi
  # another apt run may hold the lock for a while: wait for it rather than fail
  for _ in $(seq 1 60); do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=60 "${need[@]}" \
        >/dev/null 2>&1; then
      break
    fi
    apt-get update -qq -o DPkg::Lock::Timeout=60 >/dev/null 2>&1 || sleep 5
  done
  [ -f /usr/include/absl/status/status.h ] || { echo "cpp-headers: install failed: ${need[*]}" >&2; exit 1; }
fi
echo /usr/include

"""Locate the bsnes-mercury libretro core used as the reference emulator."""

from __future__ import annotations

import os
from pathlib import Path

from triforce.errors import ToolNotFoundError

CORE_NAME = "bsnes_mercury_accuracy_libretro.so"
_SYSTEM_DIR = Path("/usr/lib/x86_64-linux-gnu/libretro")


def _project_cache() -> Path:
    # tools/sysdeps/bsnes.sh unpacks the Debian package here when it is not installed system-wide.
    return (
        Path(__file__).resolve().parents[3]
        / ".cache"
        / "bsnes"
        / "root"
        / "usr/lib/x86_64-linux-gnu/libretro"
    )


def find_bsnes_core() -> Path:
    """$TRIFORCE_BSNES_CORE, the system libretro dir, then the project's .cache (see tools/sysdeps/bsnes.sh)."""
    env = os.environ.get("TRIFORCE_BSNES_CORE")
    candidates = [Path(env)] if env else []
    candidates += [_SYSTEM_DIR / CORE_NAME, _project_cache() / CORE_NAME]
    for path in candidates:
        if path.is_file():
            return path
    raise ToolNotFoundError(
        "bsnes core not found (looked at: "
        + ", ".join(str(p) for p in candidates)
        + "); run `bash tools/sysdeps/bsnes.sh` or install Debian's libretro-bsnes-mercury-accuracy"
    )

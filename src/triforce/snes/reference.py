"""Drive the real bsnes core (libretro, via PyPI `libretro.py`) as the reference for our 65816 core.

The differential tests build a ROM with asar, run it here for a bounded number of frames and read
back WRAM (libretro memory id 2, RETRO_MEMORY_SYSTEM_RAM, 128 KiB); the same ROM runs through
`SnesBus` + our CPU and the two WRAM images must agree. Loading the core costs about 0.2 s, so
callers pack many cases into one ROM.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

from triforce.errors import ToolNotFoundError
from triforce.snes.bsnes import find_bsnes_core

RETRO_MEMORY_SYSTEM_RAM = 2


class ReferenceRun:
    """The outcome of one ROM on bsnes: WRAM after the last frame and how many frames ran."""

    def __init__(self, wram: bytes, frames: int, finished: bool) -> None:
        self.wram = wram
        self.frames = frames
        self.finished = finished


def run_on_bsnes(
    rom: bytes,
    done: Callable[[bytes], bool] | None = None,
    frames: int = 60,
    core: Path | None = None,
) -> ReferenceRun:
    """Power on bsnes with `rom` and run frames until `done(wram)` is true or `frames` have run.

    `done` is checked after every frame; without it exactly `frames` frames run."""
    try:
        from libretro import Session
    except ImportError as exc:  # the emu extra is optional
        raise ToolNotFoundError("libretro.py is not installed: pip install 'triforce[emu]'") from exc
    core_path = core or find_bsnes_core()
    content = bytearray(rom)  # libretro.py needs a writable buffer
    wram = b""
    ran = 0
    finished = False
    with Session(str(core_path), content, log=None) as session:
        ptr = session.core.get_memory_data(RETRO_MEMORY_SYSTEM_RAM)
        size = session.core.get_memory_size(RETRO_MEMORY_SYSTEM_RAM)
        if not ptr or size <= 0:
            raise ToolNotFoundError(f"{core_path} exposes no system RAM (libretro memory id 2)")
        for ran in range(1, frames + 1):  # noqa: B007 - `ran` is reported
            session.run()
            wram = ctypes.string_at(ptr.value if hasattr(ptr, "value") else ptr, size)
            if done is not None and done(wram):
                finished = True
                break
        if done is None:
            finished = True
    return ReferenceRun(wram, ran, finished)

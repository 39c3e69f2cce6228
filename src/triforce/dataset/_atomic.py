"""Atomic file writes: a reader never sees half a file, an interrupted run leaves the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def write_atomic(path: Path, writer: Callable[[BinaryIO], Any]) -> None:
    """Write through `writer` into a temp file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    data = text.encode("utf-8")
    write_atomic(path, lambda fh: fh.write(data) and None)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a binary file atomically."""
    write_atomic(path, lambda fh: fh.write(data) and None)

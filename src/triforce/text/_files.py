"""Reading a user's file with a size bound (trees, bundles and dictionaries are untrusted input)."""

from __future__ import annotations

from pathlib import Path

from triforce import fsio
from triforce.errors import InputError


def read_text_bounded(path: Path, limit: int, what: str = "file", errors: str = "strict") -> str:
    """The file's text; InputError naming the file when it is missing, too large or not UTF-8."""
    path = Path(path)
    try:  # the shared bounded read: a device or pipe is cut at the limit, not read to its end
        data = fsio.read_bytes_bounded(path, limit)
    except InputError as exc:
        raise InputError(f"{exc} (a {what})") from exc
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc

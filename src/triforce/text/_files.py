"""Reading a user's file with a size bound (trees, bundles and dictionaries are untrusted input)."""

from __future__ import annotations

from pathlib import Path

from triforce.errors import InputError


def read_text_bounded(path: Path, limit: int, what: str = "file", errors: str = "strict") -> str:
    """The file's text; InputError naming the file when it is missing, too large or not UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{path}: {size} bytes, more than the {limit} a {what} may have")
        return path.read_text(encoding="utf-8", errors=errors)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc

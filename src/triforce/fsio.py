"""File access shared by every package: atomic writes (a crash never leaves half a file behind)
and bounded reads (no input, untrusted or not, is read whole before its size is known)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from triforce.errors import InputError


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`."""
    write_chunks_atomic(path, [data])


def write_chunks_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Write the chunks to a temp file in the same folder, fsync, then rename over `path` (data
    made piece by piece is never held whole in memory)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


# --- bounded reads -------------------------------------------------------------------------------
# Every input Triforce reads goes through one of these: `/dev/zero`, a named pipe or a huge file
# is refused after `limit` bytes instead of filling memory. The limits below are the defaults of
# each kind of input; callers pass their own where a tighter one exists (asar's source limit).

MiB = 1 << 20
MAX_SOURCE_BYTES = 4 * MiB  # an assembly source (asar's own sandbox limit)
MAX_ROM_BYTES = 16 * MiB  # the largest SNES image (ExHiROM is 8 MiB) with room for a header
MAX_CONFIG_BYTES = 16 * MiB  # YAML / JSON / TOML configs, states, manifests, single documents
MAX_RECORD_BYTES = 64 * MiB  # one JSONL line (a sample, a record): files themselves are streamed
MAX_DATA_BYTES = 1024 * MiB  # a whole data file read at once (test vectors, resume logs)


def _too_large(name: str, limit: int) -> Exception:
    return InputError(f"{name}: larger than the limit of {limit:,} bytes for this input; not read")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_stream_bounded(stream: _Readable, limit: int, name: str = "<stream>") -> bytes:
    """At most `limit` bytes of a binary stream (stdin, a pipe); InputError when there is more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name, limit)
    return data


def read_bytes_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of a file, or InputError naming it when it holds more than `limit` (a device such
    as /dev/zero included: it is read up to the limit, never to its end) or cannot be read."""
    try:
        with open(path, "rb") as fh:
            return read_stream_bounded(fh, limit, str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc


def read_text_bounded(path: Path | str, limit: int, encoding: str = "utf-8", errors: str = "strict") -> str:
    """`read_bytes_bounded` decoded."""
    return read_bytes_bounded(path, limit).decode(encoding, errors)


def lines_bounded(fh: IO[Any], name: str, limit: int = MAX_RECORD_BYTES) -> Iterator[Any]:
    """The lines of an open file (text or binary), each at most `limit` long: a line with no end
    (`/dev/zero`, a binary blob) is refused naming its file and line instead of read whole."""
    number = 0
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n" if isinstance(line, str) else b"\n"):
            raise InputError(f"{name}:{number}: line longer than {limit:,} bytes; not read")
        yield line

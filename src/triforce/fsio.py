"""File access shared by every package: atomic writes (a crash never leaves half a file behind)
and bounded reads (no input, untrusted or not, is read whole before its size is known)."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from triforce.errors import InputError, OutputError


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`."""
    write_chunks_atomic(path, [data])


def write_chunks_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Write the chunks to a temp file in the same folder, fsync, then rename over `path` (data
    made piece by piece is never held whole in memory)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # full disk, quota, a folder in the way: the old file is left as it was
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cannot_write(path: Path | str, exc: OSError) -> OutputError:
    """OutputError naming the path a write failed on and why (read-only, full disk, not a folder)."""
    blocker = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
    why = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
    return OutputError(f"{path}: cannot write: {why}")


def ensure_output_dir(path: Path | str) -> Path:
    """Create the output folder `path` (and parents) and check a file can be created in it, so a
    read-only or missing mount fails at once with its name, not after minutes of work."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".triforce-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    return path


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


def why_undecodable(data: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """(0-based line, message) locating the first byte of `data` that is not valid text."""
    before = data[: exc.start]
    column = exc.start - (before.rfind(b"\n") + 1) + 1
    bad = data[exc.start : exc.end].hex(" ")
    return before.count(b"\n"), f"not {exc.encoding} text: byte(s) {bad} at column {column} ({exc.reason})"


def read_text_bounded(path: Path | str, limit: int, encoding: str = "utf-8", errors: str = "strict") -> str:
    """`read_bytes_bounded` decoded; InputError naming file, line and column on a byte that is not
    valid text (with the default strict errors)."""
    data = read_bytes_bounded(path, limit)
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError as exc:
        line, why = why_undecodable(data, exc)
        raise InputError(f"{path}:{line + 1}: {why}") from exc


def lines_bounded(fh: IO[Any], name: str, limit: int = MAX_RECORD_BYTES) -> Iterator[Any]:
    """The lines of an open file (text or binary), each at most `limit` long: a line with no end
    (`/dev/zero`, a binary blob) is refused naming its file and line instead of read whole. A text
    file is read line by line below its decoder, so a byte that is not valid text is refused naming
    its own file, line and column (not a traceback, not the line of the decoder's last chunk)."""
    encoding, source = None, fh
    if isinstance(fh, io.TextIOWrapper):  # freshly opened: read its bytes, decode each line here
        encoding, source = fh.encoding, fh.buffer
    number = 0
    while True:
        line = source.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n" if isinstance(line, str) else b"\n"):
            raise InputError(f"{name}:{number}: line longer than {limit:,} bytes; not read")
        if encoding is not None:
            try:
                line = line.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}:{number}: {why_undecodable(line, exc)[1]}") from exc
            if line.endswith("\r\n"):  # as text mode's universal newlines
                line = line[:-2] + "\n"
        yield line

"""Crash-safe output for a build: an append-only unit log, then an atomic finalize.

Each finished unit (one routine under the generators it ran) is one JSON line, appended and
fsynced with the rest of its chunk, so Ctrl-C or a crash loses at most the chunks in flight; a torn last line is dropped on
reopen. The final files (samples.jsonl, rejects.jsonl, report.json) are written to a temp file
and renamed into place, so readers never see half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from triforce.fsio import write_json_atomic, write_text_atomic

WORK_DIR = ".work"
UNITS = "units.jsonl"
MANIFEST = "manifest.json"


def _dumps(row: dict[str, Any]) -> str:
    # orjson: the same JSON (UTF-8, sorted keys, compact) about 8x faster than json.dumps, which
    # matters when every sample carries its evidence.
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()


class EncodedRow(dict[str, Any]):
    """A row (a sample) that carries its JSON line, encoded once where it was made.

    A sample's evidence (every test state with its memory) makes it ~100 KiB of JSON; a build
    used to pickle each one from its worker and encode it twice in the parent (unit log, then
    samples.jsonl). This row travels between processes as its JSON text, and the log and
    `write_jsonl_atomic` reuse the text. It must not be changed after it is made."""

    __slots__ = ("text",)

    def __init__(self, row: dict[str, Any], text: str | None = None) -> None:
        super().__init__(row)
        self.text = _dumps(row) if text is None else text

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return _row_from_text, (self.text,)


def _row_from_text(text: str) -> EncodedRow:
    return EncodedRow(orjson.loads(text), text)


def _line(row: dict[str, Any]) -> str:
    return row.text if isinstance(row, EncodedRow) else _dumps(row)


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """All rows as one JSON object per line, written atomically; returns the row count."""
    lines = [_line(row) + "\n" for row in rows]
    write_text_atomic(path, "".join(lines))
    return len(lines)


class UnitLog:
    """The build's journal: which (routine, generator) units are done and what they produced."""

    def __init__(self, out_dir: Path, manifest: dict[str, Any]) -> None:
        self.dir = out_dir / WORK_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / UNITS
        self.units: list[dict[str, Any]] = []
        self.restarted = False
        mpath = self.dir / MANIFEST
        old = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else None
        if old != manifest:
            # Different seed or options: earlier units are not part of this build.
            self.restarted = old is not None
            if self.path.exists():
                self.path.unlink()
            write_json_atomic(mpath, manifest)
        self._load()
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held for the build's lifetime

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        good_end = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn write from a crash
            try:
                self.units.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                break
            good_end += len(line)
        if good_end != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)

    def done(self) -> set[tuple[str, str]]:
        return {(u["routine"], g) for u in self.units for g in u["generators"]}

    def append(self, unit: dict[str, Any]) -> None:
        self.extend([unit])

    def extend(self, units: Iterable[dict[str, Any]]) -> None:
        """Append units (a worker's chunk) and make them durable with one fsync."""
        for unit in units:
            samples = unit.get("samples", [])
            rest = _dumps({k: v for k, v in unit.items() if k != "samples"})
            if "samples" in unit:  # spliced in from each sample's own text (see EncodedRow)
                inner = ",".join(_line(s) for s in samples)
                rest = f'{rest[:-1]}{"," if len(rest) > 2 else ""}"samples":[{inner}]}}'
            self._fh.write(rest + "\n")
            self.units.append(unit)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

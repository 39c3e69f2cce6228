"""Crash-safe output for a build: an append-only unit log, then an atomic finalize.

Each finished unit (one routine under the generators it ran) is one JSON line, appended and
fsynced with the rest of its chunk, so Ctrl-C or a crash loses at most the chunks in flight; a torn last line is dropped on
reopen. The final files (samples.jsonl, rejects.jsonl, report.json) are written to a temp file
and renamed into place, so readers never see half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from triforce.fsio import (
    MAX_CONFIG_BYTES,
    MAX_DATA_BYTES,
    read_bytes_bounded,
    read_text_bounded,
    write_chunks_atomic,
    write_json_atomic,
)

WORK_DIR = ".work"
UNITS = "units.jsonl"
MANIFEST = "manifest.json"


def _dumps(row: dict[str, Any]) -> str:
    # orjson: the same JSON (UTF-8, sorted keys, compact) about 8x faster than json.dumps, which
    # matters when every sample carries its evidence.
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()


class EncodedRow(dict[str, Any]):
    """A row (a sample) that carries its JSON line, encoded once where it was made.

    A sample carries its evidence (every test state and what the routine did on it), tens of
    KiB of JSON. Pickled (from a build worker to the building process) it becomes a
    `SampleText`: the line and the two fields the build counts by, not the decoded evidence.
    The unit log and `write_jsonl_atomic` reuse the text. It must not be changed after it is made."""

    __slots__ = ("text",)

    def __init__(self, row: dict[str, Any], text: str | None = None) -> None:
        super().__init__(row)
        self.text = _dumps(row) if text is None else text

    def __reduce__(self) -> tuple[Any, tuple[str, str, str]]:
        return SampleText, (str(self["id"]), str(self["meta"]["generator"]), self.text)


@dataclass(frozen=True, slots=True)
class SampleText:
    """A finished sample as a build keeps it until it writes samples.jsonl: its JSON line, its id
    and its generator. Holding the decoded samples instead took 11 GB for usdasm's 12,500."""

    id: str
    generator: str
    text: str

    @classmethod
    def of(cls, row: dict[str, Any] | SampleText) -> SampleText:
        if isinstance(row, SampleText):
            return row
        return cls(str(row["id"]), str(row["meta"]["generator"]), _line(row))


def _line(row: dict[str, Any] | SampleText) -> str:
    return row.text if isinstance(row, EncodedRow | SampleText) else _dumps(row)


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any] | SampleText]) -> int:
    """All rows as one JSON object per line, written atomically; returns the row count."""
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        for row in rows:
            count += 1
            yield (_line(row) + "\n").encode("utf-8")

    write_chunks_atomic(path, lines())
    return count


class UnitLog:
    """The build's journal: which (routine, generator) units are done and what they produced."""

    def __init__(self, out_dir: Path, manifest: dict[str, Any]) -> None:
        self.dir = out_dir / WORK_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / UNITS
        self.units: list[dict[str, Any]] = []
        self.restarted = False
        mpath = self.dir / MANIFEST
        old = json.loads(read_text_bounded(mpath, MAX_CONFIG_BYTES)) if mpath.exists() else None
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
        data = read_bytes_bounded(self.path, MAX_DATA_BYTES)
        good_end = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn write from a crash
            try:
                unit = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            unit["samples"] = [SampleText.of(row) for row in unit.get("samples", [])]
            self.units.append(unit)
            good_end += len(line)
        if good_end != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)

    def done(self) -> set[tuple[str, str]]:
        return {(u["routine"], g) for u in self.units for g in u["generators"]}

    def append(self, unit: dict[str, Any]) -> None:
        self.extend([unit])

    def extend(self, units: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append units (a worker's chunk) and make them durable with one fsync; returns them as
        the log keeps them (samples as `SampleText`)."""
        start = len(self.units)
        for unit in units:
            samples = unit.get("samples", [])
            rest = _dumps({k: v for k, v in unit.items() if k != "samples"})
            if "samples" in unit:  # spliced in from each sample's own text (see EncodedRow)
                inner = ",".join(_line(s) for s in samples)
                rest = f'{rest[:-1]}{"," if len(rest) > 2 else ""}"samples":[{inner}]}}'
            self._fh.write(rest + "\n")
            self.units.append({**unit, "samples": [SampleText.of(row) for row in samples]})
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self.units[start:]

    def close(self) -> None:
        self._fh.close()

"""Reading and writing samples as JSONL or Parquet, with errors that name the line and field.

A malformed line never costs the rest of the file: the reader validates every line, then either
raises one `InputError` naming the first bad line (strict, the default) or hands back the good
samples together with a report of each line it skipped (``on_error="skip"``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from triforce.errors import InputError
from triforce.fsio import MAX_DATA_BYTES, lines_bounded, why_undecodable, write_bytes_atomic
from triforce.sample import Sample

OnError = Literal["raise", "skip"]


@dataclass(frozen=True)
class BadRecord:
    """One line (JSONL) or row (Parquet, 1-based) that failed validation, and why."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"field {self.field}: " if self.field else ""
        return f"{self.path}:{self.line}: {where}{self.message}"


@dataclass
class ReadResult:
    samples: list[Sample] = field(default_factory=list)
    errors: list[BadRecord] = field(default_factory=list)


def _validation_errors(path: str, line: int, exc: ValidationError) -> list[BadRecord]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append(BadRecord(path, line, loc, err.get("msg", "invalid")))
    return out


def parse_sample(payload: Any, path: str, line: int) -> Sample | list[BadRecord]:
    """Validate one decoded record; return the sample or the list of what is wrong with it."""
    if not isinstance(payload, dict):
        return [BadRecord(path, line, "", f"expected a JSON object, got {type(payload).__name__}")]
    try:
        return Sample.model_validate(payload)
    except ValidationError as exc:
        return _validation_errors(path, line, exc)


def _finish(result: ReadResult, on_error: OnError) -> ReadResult:
    if result.errors and on_error == "raise":
        first = result.errors[0]
        more = len({(e.path, e.line) for e in result.errors}) - 1
        suffix = (
            f" (and {more} more bad record(s); read with on_error='skip' to keep the rest)" if more else ""
        )
        raise InputError(f"{first}{suffix}")
    return result


def iter_jsonl(path: Path) -> Iterator[Sample | list[BadRecord]]:
    """Each sample of a JSONL file in turn (or what is wrong with its line), never the whole
    file in memory; blank lines are ignored."""
    name = str(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from exc
    with fh:
        for lineno, raw in enumerate(lines_bounded(fh, name), start=1):
            try:  # a line that is not UTF-8 is one bad record, not the end of the file
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield [BadRecord(name, lineno, "", why_undecodable(raw, exc)[1])]
                continue
            if not text.strip():
                continue
            try:
                payload = json.loads(text)
            except json.JSONDecodeError as exc:
                yield [BadRecord(name, lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})")]
                continue
            yield parse_sample(payload, name, lineno)


def read_jsonl(path: Path, on_error: OnError = "raise") -> ReadResult:
    """Read samples from a JSONL file; blank lines are ignored."""
    result = ReadResult()
    for parsed in iter_jsonl(path):
        if isinstance(parsed, Sample):
            result.samples.append(parsed)
        else:
            result.errors.extend(parsed)
    return _finish(result, on_error)


# Parquet keeps the fixed parts of a sample as typed columns and the free-form parts
# (verification details, meta) as JSON text, so rows with different meta keys share one schema.
_MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
_PROVENANCE = pa.struct(
    [
        ("corpus", pa.string()),
        ("origin", pa.string()),
        ("file", pa.string()),
        ("line_start", pa.int64()),
        ("line_end", pa.int64()),
        ("routine", pa.string()),
        ("commit", pa.string()),
        ("license", pa.string()),
    ]
)
PARQUET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("messages", pa.list_(_MESSAGE)),
        ("domain", pa.string()),
        ("task", pa.string()),
        ("source", pa.string()),
        ("group", pa.string()),
        ("provenance", _PROVENANCE),
        ("verification_json", pa.string()),
        ("meta_json", pa.string()),
    ]
)


def _to_row(s: Sample) -> dict[str, Any]:
    return {
        "id": s.id,
        "messages": [m.model_dump() for m in s.messages],
        "domain": s.domain,
        "task": s.task,
        "source": s.source,
        "group": s.group,
        "provenance": s.provenance.model_dump(),
        "verification_json": s.verification.model_dump_json() if s.verification else None,
        "meta_json": json.dumps(s.meta, ensure_ascii=False, sort_keys=True),
    }


def _from_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "messages", "domain", "task", "source", "group", "provenance")}
    out["verification"] = json.loads(row["verification_json"]) if row.get("verification_json") else None
    out["meta"] = json.loads(row["meta_json"]) if row.get("meta_json") else {}
    return out


def samples_to_table(samples: Iterable[Sample]) -> pa.Table:
    return pa.Table.from_pylist([_to_row(s) for s in samples], schema=PARQUET_SCHEMA)


def read_parquet(path: Path, on_error: OnError = "raise") -> ReadResult:
    """Read samples from a Parquet file written by `write_parquet`; rows are numbered from 1."""
    name = str(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_DATA_BYTES:
            raise InputError(f"{name}: not a regular file of at most {MAX_DATA_BYTES:,} bytes; not read")
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{name}: cannot read Parquet: {exc}") from exc
    missing = [c for c in PARQUET_SCHEMA.names if c not in table.column_names]
    if missing:
        raise InputError(f"{name}: not a Triforce sample file: missing column(s) {', '.join(missing)}")
    result = ReadResult()
    for rowno, row in enumerate(table.to_pylist(), start=1):
        try:
            payload = _from_row(row)
        except json.JSONDecodeError as exc:
            result.errors.append(BadRecord(name, rowno, "meta_json", f"invalid JSON: {exc.msg}"))
            continue
        parsed = parse_sample(payload, name, rowno)
        if isinstance(parsed, Sample):
            result.samples.append(parsed)
        else:
            result.errors.extend(parsed)
    return _finish(result, on_error)


def read_samples(path: Path, on_error: OnError = "raise") -> ReadResult:
    """Read a `.jsonl` or `.parquet` sample file (chosen by suffix)."""
    if path.suffix == ".parquet":
        return read_parquet(path, on_error)
    return read_jsonl(path, on_error)


def read_many(paths: Sequence[Path], on_error: OnError = "raise") -> ReadResult:
    """Read several files into one result, in order."""
    total = ReadResult()
    for p in paths:
        part = read_samples(p, on_error)
        total.samples.extend(part.samples)
        total.errors.extend(part.errors)
    return total


def write_jsonl(path: Path, samples: Iterable[Sample]) -> int:
    """Write samples as JSONL atomically; returns how many were written."""
    buf = io.StringIO()
    n = 0
    for s in samples:
        buf.write(s.model_dump_json())
        buf.write("\n")
        n += 1
    write_bytes_atomic(path, buf.getvalue().encode("utf-8"))
    return n


def write_parquet(path: Path, samples: Iterable[Sample]) -> int:
    """Write samples as Parquet atomically; returns how many were written."""
    table = samples_to_table(samples)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    write_bytes_atomic(path, buf.getvalue())
    return table.num_rows


def write_samples(path: Path, samples: Iterable[Sample]) -> int:
    """Write a `.jsonl` or `.parquet` sample file (chosen by suffix)."""
    if path.suffix == ".parquet":
        return write_parquet(path, samples)
    return write_jsonl(path, samples)

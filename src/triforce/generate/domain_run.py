"""Running domain generators' units for a build: in order, in chunks, over worker processes.

Each finished unit becomes one record of the build's unit log, shaped like a routine's
(`{"routine": "<generator>:<unit key>", "generators": [name], "samples", "rejects",
"candidates"}`), so resume, limits and the final files treat both kinds alike.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from triforce.errors import ConfigError
from triforce.generate.domain import Source, Unit, load_generator, register, registered
from triforce.generate.store import EncodedRow

DOMAIN_CHUNK = 16  # units per worker task


@dataclass(frozen=True)
class UnitPlan:
    units: list[Unit]
    keys: list[str]  # "<generator>:<unit key>", the unit log's key


def plan_units(name: str, sources: Sequence[Source], seed: int) -> UnitPlan:
    """The generator's units for these sources, with their unit-log keys (ConfigError on a
    duplicate key: resume and output order need every key once)."""
    units = load_generator(name).units(list(sources), seed)
    keys = [f"{name}:{u.key}" for u in units]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ConfigError(f"domain generator {name!r} yields unit key {dup!r} more than once")
    return UnitPlan(units, keys)


def run_chunk(name: str, units: Sequence[Unit], seed: int) -> list[dict[str, object]]:
    """Run one chunk of a generator's units; a unit that raises becomes an internal-error reject."""
    gen = load_generator(name)
    out: list[dict[str, object]] = []
    for unit in units:
        record: dict[str, object] = {
            "routine": f"{name}:{unit.key}",
            "generators": [name],
            "samples": [],
            "rejects": [],
            "candidates": {name: 0},
        }
        try:
            result = gen.run(unit, seed)
        except Exception as exc:  # a bug in one unit is reported, not fatal to the build
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
            detail = f"{type(exc).__name__}: {exc}{where}"[:300]
            record["rejects"] = [
                {"generator": name, "routine": unit.key, "reason": "internal-error", "detail": detail}
            ]
            out.append(record)
            continue
        record["candidates"] = {name: max(result.candidates, len(result.samples))}
        record["samples"] = [EncodedRow(s.model_dump(mode="json")) for s in result.samples]
        record["rejects"] = [
            {
                "generator": name,
                "routine": r.get("routine") or unit.key,
                "reason": r["reason"],
                "detail": r.get("detail", ""),
            }
            for r in result.rejects
        ]
        out.append(record)
    return out


def _chunk_task(args: tuple[str, list[Unit], int]) -> list[dict[str, object]]:
    return run_chunk(*args)


def _init_worker(registered: dict[str, str]) -> None:
    """A forkserver worker starts clean: give it the generators registered in this process."""
    for name, target in registered.items():
        register(name, target)


def run_units(
    name: str,
    units: Sequence[Unit],
    seed: int,
    workers: int,
    chunk: int = DOMAIN_CHUNK,
    stop: Callable[[], bool] | None = None,
) -> Iterator[list[dict[str, object]]]:
    """Yield each chunk's unit records as it finishes. With a `stop` test (the limit per
    generator), chunks go out in waves of a few per worker and no new wave starts once it holds."""
    chunks = [list(units[i : i + chunk]) for i in range(0, len(units), chunk)]
    if not chunks:
        return
    if workers <= 1 or len(chunks) == 1:
        for c in chunks:
            if stop is not None and stop():
                return
            yield run_chunk(name, c, seed)
        return
    # fork is cheap and safe while this process runs no other thread; else a clean forkserver.
    method = (
        "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() else "forkserver"
    )
    pool = mp.get_context(method).Pool(min(workers, len(chunks)), _init_worker, (registered(),))
    try:
        wave = len(chunks) if stop is None else max(1, workers * 4)
        for pos in range(0, len(chunks), wave):
            if stop is not None and stop():
                return
            batch = [(name, c, seed) for c in chunks[pos : pos + wave]]
            yield from pool.imap_unordered(_chunk_task, batch)
    finally:
        pool.terminate()
        pool.join()

"""The proof: the Python codecs against the game's own routines, run on the 65816 core.

`prove(usdasm, streams=10_000, real=[trees])` runs `triforce.gfx.game.GameRoutines` and the codecs
on the same inputs and counts the cases and mismatches per check:

- `decompress/<variant>/random`: random well-formed streams (`compress.synth`), every command;
- `decompress/<variant>/stale`: streams that copy from output not written yet, with the same
  random buffer memory given to both (the game reads stale memory; `decompress(prior=...)`);
- `decompress/<variant>/bank-wrap`: streams placed across a ROM bank boundary;
- `decompress/real`: every compressed file found in the `real` trees (a file the strict walk
  consumes exactly to its final `$FF`, with at least 64 bytes out);
- `compress/<mode>/<variant>`: our compressor's streams (random data and the real files'
  contents) decompressed by the game must give the data back;
- `expand/<mode>`: random 3bpp tiles and every real 3bpp sheet through Do3To4Low/High;
- `oam/high-table`: NMI_PrepareSprites' packing loop against `oam.alttp_pack_high_table`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from triforce.compress.compress import MODES, compress
from triforce.compress.decompress import decompress, parse_stream
from triforce.compress.format import VARIANTS, CorruptStream, Variant
from triforce.compress.synth import random_stream
from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded
from triforce.gfx.game import GameRoutines
from triforce.gfx.oam import alttp_pack_high_table
from triforce.gfx.sheets import EXPANSIONS, SHEET_BYTES, expand_3bpp

MAX_REAL_FILE = 1 << 20
_SKIP_DIRS = {".git", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class RealStream:
    path: str
    variant: Variant
    stream: bytes
    output: bytes


def find_compressed(roots: Iterable[Path]) -> list[RealStream]:
    """Every file under `roots` that is one whole stream (see the module docstring); a file that
    parses in both variants to different output is listed once per variant."""
    found: list[RealStream] = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(_files(root))
        for path in paths:
            try:
                data = read_bytes_bounded(path, MAX_REAL_FILE)
            except InputError:  # unreadable, or larger than a stream can be
                continue
            if not data or data[-1] != 0xFF:  # a whole stream ends with its $FF
                continue
            outputs: set[bytes] = set()
            for variant in VARIANTS:
                try:
                    s = parse_stream(data, variant)
                except CorruptStream:
                    continue
                if s.end == len(data) and len(s.output) >= 64 and s.output not in outputs:
                    outputs.add(s.output)
                    found.append(RealStream(str(path), variant, data, s.output))
    return found


def _files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            yield Path(dirpath) / name


@dataclass
class Check:
    cases: int = 0
    mismatches: int = 0
    bytes: int = 0


@dataclass
class ProofReport:
    checks: dict[str, Check] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first few, with inputs
    real_files: list[str] = field(default_factory=list)
    instructions: int = 0

    @property
    def cases(self) -> int:
        return sum(c.cases for c in self.checks.values())

    @property
    def mismatches(self) -> int:
        return sum(c.mismatches for c in self.checks.values())

    def add(self, name: str, ok: bool, size: int, detail: dict[str, Any] | None = None) -> None:
        check = self.checks.setdefault(name, Check())
        check.cases += 1
        check.bytes += size
        if not ok:
            check.mismatches += 1
            if len(self.failures) < 20:
                self.failures.append({"check": name, **(detail or {})})

    def merge(self, other: ProofReport) -> None:
        for name, c in other.checks.items():
            mine = self.checks.setdefault(name, Check())
            mine.cases += c.cases
            mine.mismatches += c.mismatches
            mine.bytes += c.bytes
        self.failures += other.failures[: max(0, 20 - len(self.failures))]
        self.instructions += other.instructions

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "mismatches": self.mismatches,
            "instructions": self.instructions,
            "checks": {k: vars(v) for k, v in sorted(self.checks.items())},
            "real_files": self.real_files,
            "failures": self.failures,
        }


# -- one worker's share ------------------------------------------------------------------------

_GAME: dict[str, GameRoutines] = {}


def _game(usdasm: str) -> GameRoutines:
    if usdasm not in _GAME:
        _GAME[usdasm] = GameRoutines(Path(usdasm))
    return _GAME[usdasm]


def _same(
    report: ProofReport,
    name: str,
    ours: Callable[[], bytes],
    theirs: Callable[[], bytes],
    what: dict[str, Any],
) -> None:
    try:
        want = ours()
    except InputError as exc:  # our codec refused what the game accepts: a mismatch too
        report.add(name, False, 0, {**what, "ours": f"error: {exc}"})
        return
    try:
        got = theirs()
    except RuntimeError as exc:
        report.add(name, False, len(want), {**what, "game": f"error: {exc}"})
        return
    detail = {**what, "ours": want.hex()[:200], "game": got.hex()[:200]} if got != want else None
    report.add(name, got == want, len(want), detail)


def _random_job(usdasm: str, seed: int, count: int) -> ProofReport:
    game = _game(usdasm)
    report = ProofReport()
    rng = random.Random(seed)
    start = game.instructions
    for i in range(count):
        variant: Variant = VARIANTS[i % 2]
        s = random_stream(rng, variant, max_output=rng.choice((256, 1024, 4096)))
        what = {"variant": variant, "stream": s.hex()[:400]}
        _same(report, f"decompress/{variant}/random", partial(decompress, s, variant),
              partial(game.decompress, s, variant), what)  # fmt: skip
        variant = VARIANTS[rng.randrange(2)]  # the occasional checks below pick their own
        if i % 10 == 0:  # stale copies: the same buffer memory on both sides
            s2 = random_stream(rng, variant, max_output=1024, stale=True)
            prior = rng.randbytes(0x10000)
            what = {"variant": variant, "stream": s2.hex()[:400]}
            _same(report, f"decompress/{variant}/stale", partial(decompress, s2, variant, prior=prior),
                  partial(game.decompress, s2, variant, prior=prior), what)  # fmt: skip
        if i % 25 == 0:  # across a bank boundary ($08:FFxx -> $09:8000)
            s3 = random_stream(rng, variant, max_output=512)
            at = 0x08FFFF - rng.randrange(min(len(s3), 64))
            what = {"variant": variant, "at": f"${at:06X}", "stream": s3.hex()[:400]}
            _same(report, f"decompress/{variant}/bank-wrap", partial(decompress, s3, variant),
                  partial(game.decompress, s3, variant, at=at), what)  # fmt: skip
        if i % 20 == 0:  # our compressor's output through the game's decompressor
            data = _random_data(rng)
            for mode in MODES:
                stream = compress(data, variant, mode)
                _same(report, f"compress/{mode}/{variant}", partial(bytes, data),
                      partial(game.decompress, stream, variant), {"variant": variant, "data": data.hex()[:400]})  # fmt: skip
        if i % 50 == 0:
            tiles = rng.randbytes(24 * rng.randrange(1, 129))
            for how in EXPANSIONS:
                _same(report, f"expand/{how}", partial(expand_3bpp, tiles, how),
                      partial(game.expand, tiles, how), {"mode": how, "tiles": tiles.hex()[:400]})  # fmt: skip
            extra = bytes(rng.randrange(4) for _ in range(128)) if i % 100 else rng.randbytes(128)
            _same(report, "oam/high-table", partial(alttp_pack_high_table, extra),
                  partial(game.pack_high_table, extra), {"extra": extra.hex()})  # fmt: skip
    report.instructions = game.instructions - start
    return report


def _random_data(rng: random.Random) -> bytes:
    """Data with the structure real graphics have: runs, repeats, ramps, noise."""
    out = bytearray()
    size = rng.randrange(1, 1500)
    while len(out) < size:
        roll = rng.random()
        if roll < 0.3:
            out += bytes([rng.randrange(256)]) * rng.randrange(1, 60)
        elif roll < 0.55 and out:
            at = rng.randrange(len(out))
            out += out[at : at + rng.randrange(1, 100)]
        elif roll < 0.65:
            v = rng.randrange(256)
            out += bytes((v + k) & 0xFF for k in range(rng.randrange(1, 40)))
        else:
            out += rng.randbytes(rng.randrange(1, 24))
    return bytes(out[:size])


def _real_job(usdasm: str, items: list[RealStream]) -> ProofReport:
    game = _game(usdasm)
    report = ProofReport()
    start = game.instructions
    for item in items:
        what = {"file": item.path, "variant": item.variant}
        _same(report, "decompress/real", partial(bytes, item.output),
              partial(game.decompress, item.stream, item.variant), what)  # fmt: skip
        for mode in MODES:
            for variant in VARIANTS:
                stream = compress(item.output, variant, mode)
                _same(report, f"compress/{mode}/real", partial(bytes, item.output),
                      partial(game.decompress, stream, variant), {**what, "mode": mode})  # fmt: skip
        if len(item.output) == SHEET_BYTES:  # a 3bpp sheet: both expansions of all 64 tiles
            for how in EXPANSIONS:
                _same(report, "expand/real-sheets", partial(expand_3bpp, item.output, how),
                      partial(game.expand, item.output, how), {**what, "mode": how})  # fmt: skip
    report.instructions = game.instructions - start
    return report


def _job(args: tuple[str, str, Any]) -> ProofReport:
    kind, usdasm, payload = args
    if kind == "random":
        seed, count = payload
        return _random_job(usdasm, seed, count)
    return _real_job(usdasm, payload)


def prove(
    usdasm: Path,
    streams: int = 10_000,
    real: Sequence[Path] = (),
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> ProofReport:
    """Run every check (see the module docstring); `progress(done_jobs, jobs)` as jobs finish."""
    GameRoutines(usdasm)  # fail early, in this process, with a clear error
    found = find_compressed(real)
    chunk = 250
    jobs: list[tuple[str, str, Any]] = [
        ("random", str(usdasm), (seed * 1_000_003 + i, min(chunk, streams - i)))
        for i in range(0, streams, chunk)
    ]
    jobs += [("real", str(usdasm), found[i : i + 4]) for i in range(0, len(found), 4)]
    report = ProofReport(real_files=sorted({f"{r.path} ({r.variant})" for r in found}))
    results: Iterable[ProofReport]
    pool = None
    if workers > 1 and len(jobs) > 1:
        method = (
            "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() else "forkserver"
        )
        pool = mp.get_context(method).Pool(min(workers, len(jobs)))
        results = pool.imap_unordered(_job, jobs)
    else:
        results = map(_job, jobs)
    try:
        for done, part in enumerate(results, start=1):
            report.merge(part)
            if progress is not None:
                progress(done, len(jobs))
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return report

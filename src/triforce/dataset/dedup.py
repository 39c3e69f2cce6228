"""Three dedup layers, each keeping the best-verified copy of what it finds.

1. exact: the whole conversation after `normalize_text` (case, Unicode form, whitespace).
2. code: the task plus the normalized code of every block (`normalize.code_key`), and the task
   plus the assembled bytes a generator recorded in ``meta["assembled_hex"]``.
3. near: MinHash LSH (datasketch) over word shingles of the conversation, with a configurable
   Jaccard threshold; candidates are confirmed against the estimated Jaccard.

Every layer walks samples best-first (verification tier, then states tested, then input order)
and keeps the first of each duplicate set, so a verified copy always beats an unverified one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from pydantic import BaseModel, ConfigDict, Field

from triforce.dataset import normalize
from triforce.dataset.quality import rank
from triforce.sample import Sample

# The meta key under which a generator records the bytes asar produced for the sample's code.
ASSEMBLED_HEX = "assembled_hex"
Layer = str  # "exact" | "code" | "bytes" | "near"
Tick = Callable[[str, int, int], None]  # (stage, done, total): progress for long runs
LAYERS: tuple[Layer, ...] = ("exact", "code", "bytes", "near")


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact: bool = True
    code: bool = True
    bytes: bool = True
    near: bool = True
    near_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    num_perm: int = Field(default=128, ge=16, le=512)
    shingle_words: int = Field(default=3, ge=1, le=32)
    min_code_statements: int = Field(default=2, ge=1)  # shorter blocks (`RTL`) are too common to dedup on
    seed: int = 1


@dataclass(frozen=True)
class Removal:
    """One sample a layer dropped, and the kept sample it duplicates."""

    layer: Layer
    removed: str
    kept: str
    similarity: float = 1.0


@dataclass
class DedupReport:
    input_count: int = 0
    kept_count: int = 0
    removals: list[Removal] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per layer

    def removed_by_layer(self) -> dict[str, int]:
        counts = Counter(r.layer for r in self.removals)
        return {layer: counts.get(layer, 0) for layer in LAYERS}

    def to_dict(self) -> dict[str, object]:
        return {
            "input": self.input_count,
            "kept": self.kept_count,
            "removed": len(self.removals),
            "removed_by_layer": self.removed_by_layer(),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def assembled_hex(sample: Sample) -> str | None:
    """The normalized hex of the sample's assembled bytes, when a generator recorded them."""
    raw = sample.meta.get(ASSEMBLED_HEX)
    if not isinstance(raw, str):
        return None
    text = "".join(raw.split()).lower()
    return text or None


def _best_first(samples: Sequence[Sample]) -> list[int]:
    return sorted(range(len(samples)), key=lambda i: (tuple(-x for x in rank(samples[i])), i))


def _ticking(order: list[int], stage: str, tick: Tick | None) -> Iterator[int]:
    """Iterate `order`, reporting progress every 2,000 items and at the end."""
    total = len(order)
    for done, i in enumerate(order):
        if tick is not None and done % 2000 == 0:
            tick(stage, done, total)
        yield i
    if tick is not None:
        tick(stage, total, total)


def _key_layer(
    order: Iterable[int],
    samples: Sequence[Sample],
    alive: list[bool],
    layer: Layer,
    key_of: Callable[[Sample], str | None],
    report: DedupReport,
) -> None:
    first: dict[str, int] = {}
    for i in order:
        if not alive[i]:
            continue
        key = key_of(samples[i])
        if key is None:
            continue
        if key in first:
            alive[i] = False
            report.removals.append(Removal(layer, samples[i].id, samples[first[key]].id))
        else:
            first[key] = i


class _MinHasher:
    """MinHash signatures in datasketch's "affine32" scheme, computed with numpy in one shot.

    The permutations are datasketch's own (``MinHash(...).permutations``); the input hashes are
    the already-mixed 32-bit shingle hashes of `normalize.shingle_hashes`, so the per-shingle
    Python calls of ``MinHash.update`` are avoided (the 100k benchmark depends on it).
    """

    def __init__(self, num_perm: int, seed: int) -> None:
        self.a, self.b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.seed = seed

    def signature(self, hashes: np.ndarray) -> LeanMinHash:
        hv = hashes.astype(np.uint32)
        phv = (hv[:, None] * self.a + self.b).min(axis=0)  # uint32 arithmetic wraps, as in affine32
        return LeanMinHash(seed=self.seed, hashvalues=phv, scheme="affine32")


def _near_layer(
    order: Iterable[int],
    samples: Sequence[Sample],
    alive: list[bool],
    cfg: DedupConfig,
    report: DedupReport,
    text_of: Callable[[int], str],
) -> None:
    hasher = _MinHasher(cfg.num_perm, cfg.seed)
    lsh = MinHashLSH(threshold=cfg.near_threshold, num_perm=cfg.num_perm)
    sigs: dict[int, LeanMinHash] = {}
    for i in order:
        if not alive[i]:
            continue
        tokens = normalize.WORD.findall(text_of(i))
        shingles = normalize.shingle_hashes(tokens, cfg.shingle_words)
        if not len(shingles):
            continue
        sig = hasher.signature(shingles)
        best: tuple[float, int] | None = None
        for cand in lsh.query(sig):
            sim = float(sig.jaccard(sigs[cand]))
            if sim >= cfg.near_threshold and (best is None or sim > best[0]):
                best = (sim, cand)
        if best is not None:
            alive[i] = False
            report.removals.append(Removal("near", samples[i].id, samples[best[1]].id, round(best[0], 4)))
        else:
            sigs[i] = sig
            lsh.insert(i, sig, check_duplication=False)


def _code_key_of(cfg: DedupConfig) -> Callable[[Sample], str | None]:
    def key(sample: Sample) -> str | None:
        code = normalize.code_key(sample)
        if code is None or normalize.statement_count(code) < cfg.min_code_statements:
            return None
        return normalize.stable_hash([sample.task, code])

    return key


def dedup(
    samples: Sequence[Sample], config: DedupConfig | None = None, progress: Tick | None = None
) -> tuple[list[Sample], DedupReport]:
    """Remove duplicates layer by layer; returns the kept samples in input order and a report."""
    cfg = config or DedupConfig()
    report = DedupReport(input_count=len(samples))
    alive = [True] * len(samples)
    order = _best_first(samples)

    def ticking(layer: str) -> Iterator[int]:
        return _ticking(order, f"dedup {layer}", progress)

    texts: dict[int, str] = {}  # normalized conversation, shared by the exact and near layers
    position = {id(s): i for i, s in enumerate(samples)}

    def text_of(i: int) -> str:
        if i not in texts:
            texts[i] = normalize.normalize_text(normalize.sample_text(samples[i]))
        return texts[i]

    def take_text(i: int) -> str:  # the near layer reads each text once: free it as it goes
        text = texts.pop(i, None)
        return text if text is not None else normalize.normalize_text(normalize.sample_text(samples[i]))

    def exact_key(s: Sample) -> str:
        return normalize.stable_hash([text_of(position[id(s)])])

    def bytes_key(s: Sample) -> str | None:
        hx = assembled_hex(s)
        return f"{s.task}|{hx}" if hx else None

    layers: list[tuple[str, bool, Callable[[], None]]] = [
        (
            "exact",
            cfg.exact,
            lambda: _key_layer(ticking("exact"), samples, alive, "exact", exact_key, report),
        ),
        (
            "code",
            cfg.code,
            lambda: _key_layer(ticking("code"), samples, alive, "code", _code_key_of(cfg), report),
        ),
        (
            "bytes",
            cfg.bytes,
            lambda: _key_layer(ticking("bytes"), samples, alive, "bytes", bytes_key, report),
        ),
        ("near", cfg.near, lambda: _near_layer(ticking("near"), samples, alive, cfg, report, take_text)),
    ]
    for name, enabled, run in layers:
        if enabled:
            start = time.perf_counter()
            run()
            report.seconds[name] = time.perf_counter() - start
    kept = [s for s, a in zip(samples, alive, strict=True) if a]
    report.kept_count = len(kept)
    return kept, report

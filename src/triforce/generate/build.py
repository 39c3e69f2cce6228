"""`triforce build` as a library call: corpus -> generators -> verified samples on disk.

Resumable and deterministic: the unit log (store.UnitLog) records every finished routine, a
rerun skips them, and the final files are assembled from the log in corpus order, so an
interrupted-then-resumed build writes exactly what an uninterrupted one would. Steps that
curate the result (the dataset pipeline) plug in through `post_build`.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from triforce.errors import ConfigError
from triforce.fsio import ensure_output_dir, write_json_atomic
from triforce.generate.domain import Source, domain_names, load_generator
from triforce.generate.domain_run import DOMAIN_CHUNK, plan_units, run_units
from triforce.generate.routines import LoadedCorpus
from triforce.generate.store import WORK_DIR, SampleText, UnitLog, write_jsonl_atomic
from triforce.generate.synth import GENERATORS, N_RANDOM, WorkerPool, WorkOptions, routine_key

FORMAT_VERSION = 1
CHUNK = 16  # routines per worker task: one asar batch for their originals, one for their candidates


@dataclass
class BuildOptions:
    generators: Sequence[str] = field(default_factory=lambda: generator_names())
    sources: Sequence[Source] = ()  # what the domain generators read (--source); () = bundled defaults
    domain_chunk: int = DOMAIN_CHUNK
    limit_per_type: int | None = None
    seed: int = 0
    workers: int | None = None
    batch_asar: bool = True
    n_random: int = N_RANDOM
    chunk: int = CHUNK
    # A teacher model for the generators that use one (`use_teacher`), e.g. a TeacherConfig.
    teacher: Any = None
    # The vanilla tree a hack tree (--source) patches: the hack's routines run in place in the
    # hack assembled over that tree's image (generate/inplace.py).
    base_root: Path | None = None


class PostBuildStep(Protocol):
    """A step run on the finished build directory (e.g. dataset curation); returns a report entry."""

    __name__: str

    def __call__(self, out_dir: Path, report: dict[str, Any]) -> dict[str, Any]: ...


Progress = Callable[[str, int, int | None], None]  # (stage, advance, total)


def _fingerprint(routines: Sequence[Any]) -> str:
    h = hashlib.sha256()
    for r in routines:
        h.update(routine_key(r).encode())
        h.update(r.body.encode())
    return h.hexdigest()[:16]


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def generator_names() -> list[str]:
    """Every generator `triforce build -g` accepts: the ASM five, then the domain generators."""
    return [*GENERATORS, *domain_names()]


def run_build(
    corpus: LoadedCorpus,
    out_dir: Path,
    opts: BuildOptions,
    progress: Progress | None = None,
    post_build: Sequence[PostBuildStep] = (),
) -> dict[str, Any]:
    """Build (or resume) into out_dir and return the report (also written to report.json)."""
    started = time.perf_counter()
    unknown = [g for g in opts.generators if g not in generator_names()]
    if unknown:
        raise ConfigError(f"unknown generator(s) {unknown}; choose from {', '.join(generator_names())}")
    ensure_output_dir(out_dir)
    asm_generators = [g for g in GENERATORS if g in opts.generators]
    domain_generators = [g for g in domain_names() if g in opts.generators]
    generators = [*asm_generators, *domain_generators]
    routines = list(corpus.routines) if asm_generators else []
    keys = [routine_key(r) for r in routines]
    order = {k: i for i, k in reversed(list(enumerate(keys)))}
    manifest = {
        "format": FORMAT_VERSION,
        "seed": opts.seed,
        "corpus": _fingerprint(routines),
        "n_random": opts.n_random,
        "chunk": opts.chunk,  # chunks decide asar batches, so where each candidate lands
    }
    log = UnitLog(out_dir, manifest)
    resumed_units = len(log.units)
    done = log.done()
    per_unit: dict[tuple[str, str], int] = {}

    def _count(unit: dict[str, Any]) -> None:
        for g in unit["generators"]:
            n = sum(1 for s in unit["samples"] if s.generator == g)
            per_unit.setdefault((unit["routine"], g), n)

    for u in log.units:
        _count(u)
    limit = opts.limit_per_type
    workers = opts.workers or _cpu_count()
    work_opts = WorkOptions(
        seed=opts.seed,
        batch_asar=opts.batch_asar,
        n_random=opts.n_random,
        base_root=str(opts.base_root) if opts.base_root else None,
    )
    # Chunks are fixed slices of the corpus with every requested generator, whatever was done
    # before: a chunk's asar batch (and so where each candidate lands) is the same in a fresh
    # build and in a resumed one. A chunk cut short by a crash is rerun whole; finalize keeps
    # the first copy of each unit.
    unique = [i for i, k in enumerate(keys) if order[k] == i]
    chunks_all = [unique[i : i + opts.chunk] for i in range(0, len(unique), opts.chunk)]
    pending = [c for c in chunks_all if any((keys[i], g) not in done for i in c for g in asm_generators)]

    def _reached(gens: Sequence[str]) -> bool:
        if limit is None:
            return False
        totals = Counter({g: 0 for g in gens})
        for (_, g), n in per_unit.items():
            totals[g] += n
        return all(totals[g] >= limit for g in gens)

    def _save(units: list[dict[str, Any]], stage: str, total: int) -> None:
        for unit in log.extend(units):
            _count(unit)
        if progress:
            progress(stage, len(units), total)

    start_method = "inline"
    try:
        if pending:
            # The pool starts before the first progress report: a display that then starts its
            # refresh thread does not stop the workers from being forked (see WorkerPool).
            pool = WorkerPool(workers, work_opts, routines, corpus.reload)
            start_method = pool.start_method
            if progress:
                progress("generate", len(routines) - sum(len(c) for c in pending), len(routines))
            try:
                # Without a limit every chunk is queued at once (no idle worker between waves);
                # with one, waves of a few chunks per worker let the build stop soon after it.
                wave = max(1, len(pending)) if limit is None else max(1, workers * 4)
                for pos in range(0, len(pending), wave):
                    if _reached(asm_generators):
                        break
                    batch = [[(i, list(asm_generators)) for i in c] for c in pending[pos : pos + wave]]
                    for units in pool.map(batch):
                        _save(units, "generate", len(routines))
            finally:
                pool.close()
        domain_report: dict[str, Any] = {}
        for name in domain_generators:
            gen = load_generator(name)
            if opts.teacher is not None and hasattr(gen, "use_teacher"):
                gen.use_teacher(opts.teacher, out_dir / WORK_DIR / "teacher")  # answers cached with the build
            plan = plan_units(name, opts.sources, opts.seed)
            for key in plan.keys:
                order[key] = len(order)
            todo = [u for u, k in zip(plan.units, plan.keys, strict=True) if (k, name) not in done]
            domain_report[name] = {"units": len(plan.units), "resumed": len(plan.units) - len(todo)}
            if progress:
                progress(name, len(plan.units) - len(todo), len(plan.units))
            for units in run_units(
                name, todo, opts.seed, workers, opts.domain_chunk, stop=partial(_reached, [name])
            ):
                _save(units, name, len(plan.units))
    finally:
        log.close()
    if progress:
        progress("finalize", 0, 1)
    report = finalize(out_dir, log.units, order, generators, limit, corpus)
    report.update(
        {
            "seed": opts.seed,
            "workers": workers,
            "worker_start": start_method,
            "batch_asar": opts.batch_asar,
            "limit_per_type": limit,
            "resumed_units": resumed_units,
            "restarted": log.restarted,
            "domain_units": domain_report,
            "elapsed_s": round(time.perf_counter() - started, 3),
        }
    )
    report["verified_per_s"] = round(report["totals"]["verified"] / max(report["elapsed_s"], 1e-9), 2)
    report["post_build"] = {}
    for step in post_build:
        report["post_build"][step.__name__] = step(out_dir, report)
    write_json_atomic(out_dir / "report.json", report)
    if progress:
        progress("finalize", 1, 1)
    return report


def finalize(
    out_dir: Path,
    units: list[dict[str, Any]],
    order: dict[str, int],
    generators: Sequence[str],
    limit: int | None,
    corpus: LoadedCorpus,
) -> dict[str, Any]:
    """Write samples.jsonl and rejects.jsonl from the unit log, in corpus order, and report."""
    ordered = sorted((u for u in units if u["routine"] in order), key=lambda u: order[u["routine"]])
    per_gen: dict[str, dict[str, Any]] = {
        g: {"candidates": 0, "verified": 0, "kept": 0, "rejected": Counter()} for g in generators
    }
    routine_rejects: Counter[str] = Counter()
    kept: list[SampleText] = []
    rejects: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    seen_units: set[tuple[str, str]] = set()
    asar_calls = 0
    cpu_s = 0.0
    for u in ordered:
        gens = [g for g in u["generators"] if g in per_gen and (u["routine"], g) not in seen_units]
        seen_units.update((u["routine"], g) for g in gens)
        asar_calls += u.get("asar_calls", 0)
        cpu_s += u.get("cpu_s", 0.0)
        for g in gens:
            per_gen[g]["candidates"] += u["candidates"].get(g, 0)
        for rej in u["rejects"]:
            if rej["generator"] == "*":
                routine_rejects[rej["reason"]] += 1
                rejects.append({**rej, "routine_key": u["routine"]})
            elif rej["generator"] in gens:
                per_gen[rej["generator"]]["rejected"][rej["reason"]] += 1
                rejects.append({**rej, "routine_key": u["routine"]})
        for s in u["samples"]:
            g = s.generator
            if g not in gens:
                continue
            per_gen[g]["verified"] += 1
            if (limit is not None and per_gen[g]["kept"] >= limit) or s.id in seen_ids:
                continue
            seen_ids.add(s.id)
            per_gen[g]["kept"] += 1
            kept.append(s)
    write_jsonl_atomic(out_dir / "samples.jsonl", kept)
    write_jsonl_atomic(out_dir / "rejects.jsonl", rejects)
    return {
        "format": FORMAT_VERSION,
        "generators": list(generators),
        "corpus": {
            "sources": corpus.sources,
            "routines_read": len(corpus.routines),
            "files_read": corpus.files_read,
            "files_skipped": [list(x) for x in corpus.files_skipped],
        },
        "routines_processed": len({u["routine"] for u in ordered}),
        "routines_rejected": dict(routine_rejects),
        "per_generator": {g: {**v, "rejected": dict(v["rejected"])} for g, v in per_gen.items()},
        "totals": {
            "candidates": sum(v["candidates"] for v in per_gen.values()),
            "verified": sum(v["verified"] for v in per_gen.values()),
            "kept": len(kept),
            "rejected": sum(sum(v["rejected"].values()) for v in per_gen.values()),
        },
        "asar_calls": asar_calls,
        "generate_cpu_s": round(cpu_s, 2),  # CPU of the generating processes and their asar runs
        "outputs": {"samples": "samples.jsonl", "rejects": "rejects.jsonl", "report": "report.json"},
    }

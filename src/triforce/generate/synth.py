"""Running the ASM generators over routines: the per-routine pipeline and the worker pool.

For a chunk of routines a worker assembles every original in one asar batch, runs the baseline
states, collects every generator's candidates and assembles them all in a second batch, then
judges them. Two asar processes per chunk instead of one per candidate is where the
throughput comes from; routines are independent, so chunks spread over cores.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triforce.generate.audit import shipping_defects
from triforce.generate.base import BaseGenerator
from triforce.generate.candidate import Candidate, Generator
from triforce.generate.context import Context, Reject, Subject, build_context, make_subject
from triforce.generate.debug import DebugGenerator
from triforce.generate.doc import DocGenerator
from triforce.generate.execution import SHARED, Assembler
from triforce.generate.hook import HookGenerator
from triforce.generate.inplace import image_for, pad_to
from triforce.generate.optimize import OptimizeGenerator
from triforce.generate.store import EncodedRow
from triforce.sample import Sample

GENERATORS: dict[str, Callable[[], Generator]] = {
    "base": BaseGenerator,
    "debug": DebugGenerator,
    "optimize": OptimizeGenerator,
    "hook": HookGenerator,
    "doc": DocGenerator,
}
N_RANDOM = 12


@dataclass(frozen=True)
class WorkOptions:
    seed: int = 0
    batch_asar: bool = True
    n_random: int = N_RANDOM
    # Run a tree's routines in place in its whole-tree game image (generate/inplace.py) when the
    # tree assembles as a whole; `base_root`: the vanilla tree a hack tree patches.
    in_place: bool = True
    base_root: str | None = None


def _bundled(root: Path) -> bool:
    from triforce.corpus import BUNDLED_DIR

    return Path(root).resolve().is_relative_to(BUNDLED_DIR.resolve())


def routine_key(routine: Any) -> str:
    return f"{routine.provenance.corpus}:{routine.file}:{routine.qualified_name}"


def process_routines(
    items: Sequence[tuple[Any, Sequence[str]]],
    opts: WorkOptions,
    assembler: Assembler | None = None,
) -> list[dict[str, Any]]:
    """Run the requested generators on each routine; one result unit per routine, in order."""
    cpu0 = _cpu_seconds()
    asm = assembler or Assembler(batch=opts.batch_asar)
    roots = {getattr(r, "root", None) for r, _ in items}
    asm.include_root = roots.pop() if len(roots) == 1 else None
    game = None
    # The bundled corpus is standalone examples written by us, not a game: its routines run as
    # snippets (and re-verify without a tree); a game's tree (--source) runs in place.
    if opts.in_place and asm.include_root is not None and not _bundled(asm.include_root):
        game = image_for(asm.include_root, Path(opts.base_root) if opts.base_root else None)
    asm.game = game
    units: list[dict[str, Any]] = [
        {"routine": routine_key(r), "generators": list(gens), "samples": [], "rejects": [], "candidates": {}}
        for r, gens in items
    ]
    subjects: list[tuple[int, Subject]] = []
    for k, (r, _) in enumerate(items):
        try:
            subj = make_subject(r, game)
        except Exception as exc:  # a routine the reader could not make standalone
            subj = Reject("*", r.qualified_name, "internal-error", _short(exc))
        if isinstance(subj, Reject):
            units[k]["rejects"].append(subj.to_json())
        else:
            subjects.append((k, subj))
    originals = asm.assemble_many([s.code for _, s in subjects], at=[s.address for _, s in subjects])
    contexts: list[tuple[int, Context]] = []
    for (k, subj), res in zip(subjects, originals, strict=True):
        if res is None:
            units[k]["rejects"].append(
                Reject("*", subj.inputs.name, "assembler-error", "asar could not run").to_json()
            )
            continue
        try:
            ctx = build_context(subj, res, opts.seed, n_random=opts.n_random)
        except Exception as exc:  # the CPU or machine layer failing on one routine must not stop a build
            ctx = Reject("*", subj.inputs.name, "internal-error", _short(exc))
        if isinstance(ctx, Reject):
            units[k]["rejects"].append(ctx.to_json())
        else:
            contexts.append((k, ctx))
    work: list[tuple[int, Context, Generator, Candidate]] = []
    for k, ctx in contexts:
        for gname in items[k][1]:
            gen = GENERATORS[gname]()
            try:
                for cand in gen.propose(ctx):
                    work.append((k, ctx, gen, cand))
            except Exception as exc:
                units[k]["rejects"].append(
                    Reject(gname, ctx.subject.inputs.name, "internal-error", _short(exc)).to_json()
                )
    # asar writes nothing when any snippet of a run fails, so a batch with failures runs again
    # without them: candidates expected to be rejected (a bug meant to trip asar) get their own
    # batch and the main batch usually assembles in one run.
    assembled: dict[int, Any] = {}
    for expect_error in (False, True):
        group = [
            i
            for i, (_, _, _, c) in enumerate(work)
            if c.source is not None and bool(c.payload.get("expect_error")) == expect_error
        ]
        results = asm.assemble_many(
            [work[i][3].source or "" for i in group], at=[work[i][1].subject.address for i in group]
        )
        for i, res in zip(group, results, strict=True):
            ctx = work[i][1]
            end = ctx.extra.get("end")
            if end is not None and res is not None and getattr(ctx.subject.routine, "falls_into", None):
                pad_to(res, int(ctx.entry), int(end))
                res.pad_to = (int(ctx.entry), int(end))
        assembled.update(zip(group, results, strict=True))
    for i, (k, ctx, gen, cand) in enumerate(work):
        if i in assembled and assembled[i] is None:
            result: Sample | Reject | None = Reject(
                gen.name, ctx.subject.inputs.name, "assembler-error", "asar could not run"
            )
        else:
            try:
                result = gen.judge(ctx, cand, assembled.get(i))
            except Exception as exc:
                result = Reject(gen.name, ctx.subject.inputs.name, "internal-error", _short(exc))
        if result is None:
            continue
        unit = units[k]
        unit["candidates"][gen.name] = unit["candidates"].get(gen.name, 0) + 1
        if isinstance(result, Sample):
            row = result.model_dump(mode="json")
            # A sample whose evidence is not true of the game is not shipped (generate/audit.py).
            defects = shipping_defects(row, getattr(ctx.subject.routine, "root", None))
            if defects:
                cls, what = next(iter(defects.items()))
                result = Reject(gen.name, ctx.subject.inputs.name, f"untrue:{cls}", "; ".join(what[:3])[:300])
            else:
                unit["samples"].append(EncodedRow(row))
                continue
        unit["rejects"].append(result.to_json())
    SHARED.clear()
    for unit in units:
        unit["asar_calls"] = 0
        unit["cpu_s"] = 0.0
    if units:  # chunk totals ride on its first unit
        units[0]["asar_calls"] = asm.calls
        units[0]["cpu_s"] = round(_cpu_seconds() - cpu0, 4)
    return units


def _cpu_seconds() -> float:
    """CPU time of this process and the asar processes it has waited for."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _short(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"[:300]


_WORKER_OPTS = WorkOptions()
# Routines hold reader closures that do not pickle, so workers get them another way: re-read
# from the same sources (a clean forkserver worker), or inherited through fork when the corpus
# did not come from files. Chunks then name routines by index, which is cheaper anyway.
_WORKER_ROUTINES: list[Any] = []


def _init_reloaded(opts: WorkOptions, reload: tuple[list[str], str], keys: list[str]) -> None:
    global _WORKER_OPTS
    from triforce.generate.routines import load_routines

    sources, origin = reload
    routines = load_routines([Path(s) for s in sources], origin=origin).routines  # type: ignore[arg-type]
    if [routine_key(r) for r in routines] != keys:
        raise RuntimeError("worker read a different corpus than the build (sources changed meanwhile)")
    _WORKER_OPTS = opts
    _WORKER_ROUTINES[:] = routines
    prepare_worker()


def prepare_worker() -> None:
    """Load once per worker what the generators otherwise load on first use: the assembler and
    machine modules (imported lazily elsewhere) and the YAML catalogues."""
    import importlib
    from importlib import resources

    from triforce.generate.candidate import catalog

    for module in ("triforce.snes.asar", "triforce.snes.bus", "triforce.snes.machine", "triforce.snes.cpu"):
        importlib.import_module(module)
    for entry in resources.files("triforce.generate").joinpath("catalogs").iterdir():
        if entry.name.endswith(".yaml"):
            catalog(entry.name)


def _work_chunk(chunk: list[tuple[int, list[str]]]) -> list[dict[str, Any]]:
    return process_routines([(_WORKER_ROUTINES[i], gens) for i, gens in chunk], _WORKER_OPTS)


class WorkerPool:
    """Chunks of routines spread over worker processes (or run inline with one worker).

    Chunks name routines by their index in `routines`. With `reload` (the sources and origin the
    corpus was read from) workers start from a clean forkserver and read the corpus themselves:
    forking a process that already runs threads (a progress display, asar's pipes) can deadlock."""

    def __init__(
        self,
        workers: int,
        opts: WorkOptions,
        routines: Sequence[Any],
        reload: tuple[list[str], str] | None = None,
    ) -> None:
        global _WORKER_OPTS
        methods = mp.get_all_start_methods()
        self.workers = max(1, workers)
        self.opts = opts
        self.routines = list(routines)
        self._pool: Any = None
        self.start_method = "inline"  # how workers were started: inline, fork or forkserver
        if self.workers == 1:
            return
        # fork is the fast start (workers inherit the corpus and the imports) and is safe while
        # this process runs no other thread; otherwise a clean forkserver worker re-reads the corpus.
        threads = threading.active_count() > 1
        if reload is not None and "forkserver" in methods and (threads or "fork" not in methods):
            keys = [routine_key(r) for r in self.routines]
            ctx = mp.get_context("forkserver")
            self._pool = ctx.Pool(self.workers, _init_reloaded, (opts, reload, keys))
            self.start_method = "forkserver"
        elif "fork" in methods:
            _WORKER_OPTS = opts
            _WORKER_ROUTINES[:] = self.routines
            prepare_worker()  # before the fork: every worker inherits it
            self._pool = mp.get_context("fork").Pool(self.workers)
            self.start_method = "fork"
        else:
            self.workers = 1

    def map(self, chunks: list[list[tuple[int, list[str]]]]) -> Any:
        """Yield each chunk's units as soon as the chunk is done (not in submission order: a
        finished chunk is saved even while an earlier, slower one is still running)."""
        if self._pool is None:
            for chunk in chunks:
                yield process_routines([(self.routines[i], gens) for i, gens in chunk], self.opts)
        else:
            yield from self._pool.imap_unordered(_work_chunk, chunks)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
        _WORKER_ROUTINES.clear()

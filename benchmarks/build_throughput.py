"""Verified samples per second for `triforce build`, against one asar process per sample.

Both runs build the bundled corpus with all five generators, the same seed and the same number
of worker processes, in the same invocation:

- baseline: every original and every candidate assembled by its own asar process (`assemble()`),
  the way a generator without batching would verify samples;
- triforce: the build as shipped (one `assemble_batch()` per chunk of routines for the originals
  and one for all their candidates, one emulated bus per batch).

    PYTHONPATH=src python benchmarks/build_throughput.py [--workers 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from triforce.generate.build import BuildOptions, run_build
from triforce.generate.routines import load_routines


def _cpu(children: bool) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + (kids.ru_utime + kids.ru_stime if children else 0.0)


def _run(corpus: object, out: Path, batch: bool, workers: int, seed: int) -> dict[str, object]:
    inline = workers == 1  # the build runs in this process, asar as its children
    started, cpu0 = time.perf_counter(), _cpu(inline)
    report = run_build(corpus, out, BuildOptions(workers=workers, seed=seed, batch_asar=batch))  # type: ignore[arg-type]
    # With worker processes: this process's own CPU plus what each chunk measured in its worker
    # (the worker and its asar children); worker start-up is left out of both modes alike.
    elapsed = time.perf_counter() - started
    cpu = _cpu(inline) - cpu0 + (0.0 if inline else float(report["generate_cpu_s"]))  # type: ignore[arg-type]
    verified = int(report["totals"]["verified"])  # type: ignore[index]
    lines = (out / "samples.jsonl").read_text().splitlines()
    ids = {json.loads(line)["id"] for line in lines}
    return {
        "elapsed_s": round(elapsed, 2),
        "verified": verified,
        "per_s": round(verified / elapsed, 1),
        "cpu_s": round(cpu, 2),
        "per_cpu_s": round(verified / cpu, 1),
        "asar_calls": report["asar_calls"],
        "ids": ids,
        "records": set(lines),  # whole samples: messages and every recorded piece of evidence
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    corpus = load_routines([])
    print(f"bundled corpus: {len(corpus.routines)} routines, all generators, {args.workers} workers")
    with tempfile.TemporaryDirectory() as tmp:
        base = _run(corpus, Path(tmp) / "baseline", False, args.workers, args.seed)
        fast = _run(corpus, Path(tmp) / "batched", True, args.workers, args.seed)
    for name, r in (("baseline: one asar process per sample", base), ("triforce build (batched)", fast)):
        print(f"{name:40s} {r['verified']:5d} verified in {r['elapsed_s']:7.2f} s = {r['per_s']:7.1f}/s; "
              f"{r['cpu_s']:7.2f} CPU-s = {r['per_cpu_s']:7.1f}/CPU-s ({r['asar_calls']} asar calls)")  # fmt: skip
    same = len(base["ids"] & fast["ids"])  # type: ignore[operator]
    whole = len(base["records"] & fast["records"])  # type: ignore[operator]
    print(f"same samples in both runs: {same} of {len(fast['ids'])} by id, {whole} whole records identical")  # type: ignore[arg-type]
    print(f"ratio (wall): {float(fast['per_s']) / float(base['per_s']):.2f}x")  # type: ignore[arg-type]
    print(f"ratio (CPU):  {float(fast['per_cpu_s']) / float(base['per_cpu_s']):.2f}x")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()

"""Routine yield of a tree: how many routines give at least one verified sample, and why the
others give none.

    PYTHONPATH=src python benchmarks/routine_yield.py /work/trees/usdasm --sample 400 --seed 1

`--sample N` takes N routines chosen by a hash of their qualified names (the same routines
before and after a change to the reader, as long as the names are the same); without it every
routine. Runs the generators' own path (`synth.process_routines`) in one process, 16 routines
per asar batch, and prints a JSON summary: routines, yielding, rate, and the first reason of
each routine that gave nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from triforce.corpus import read_corpus
from triforce.generate.synth import WorkOptions, process_routines

CHUNK = 16


def _rank(name: str, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{name}".encode()).digest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--sample", type=int, default=0, help="routines to try (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--generators", default="base", help="comma-separated generators")
    ap.add_argument("--origin", default="original")
    ap.add_argument("--snippets", action="store_true", help="run routines as snippets, not in place")
    ap.add_argument("--base-source", type=Path, default=None, help="the vanilla tree a hack tree patches")
    args = ap.parse_args()
    gens = [g for g in args.generators.split(",") if g]
    report = read_corpus([args.tree], name=args.tree.resolve().name, origin=args.origin)
    routines = sorted(report.routines, key=lambda r: _rank(r.qualified_name, args.seed))
    if args.sample:
        routines = routines[: args.sample]
    opts = WorkOptions(
        seed=0, in_place=not args.snippets, base_root=str(args.base_source) if args.base_source else None
    )
    started = time.perf_counter()
    yielding = 0
    samples = 0
    reasons: Counter[str] = Counter()
    for i in range(0, len(routines), CHUNK):
        chunk = routines[i : i + CHUNK]
        units = process_routines([(r, gens) for r in chunk], opts)
        for unit in units:
            if unit["samples"]:
                yielding += 1
                samples += len(unit["samples"])
            else:
                first = unit["rejects"][0]["reason"] if unit["rejects"] else "no-candidate"
                reasons[first] += 1
    print(
        json.dumps(
            {
                "tree": str(args.tree),
                "routines_in_tree": len(report.routines),
                "routines": len(routines),
                "yielding": yielding,
                "rate": round(yielding / max(1, len(routines)), 3),
                "samples": samples,
                "reasons": dict(reasons.most_common()),
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

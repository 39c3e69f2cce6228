"""Build a bounded, evenly spread subset of a real tree's routines and audit the samples.

    PYTHONPATH=src python benchmarks/audit_trees.py TREE [--routines N] [--out FILE]

Reads TREE with the corpus reader, takes N routines spread evenly over ROM order (every k-th
of the routines sorted by file and line), runs all five ASM generators on them (the build's own
per-routine pipeline, one worker), writes the samples as JSONL, then runs the issue 11 audit and
prints the per-class table (the same as `triforce dataset audit FILE --tree TREE`) and the yield
(routines with at least one sample). The numbers in docs/benchmarks.md come from here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree", type=Path)
    ap.add_argument("--routines", type=int, default=150)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--base-source", type=Path, default=None, help="the vanilla tree a hack tree patches")
    ap.add_argument("--snippets", action="store_true", help="run routines as snippets, not in place")
    args = ap.parse_args()

    from triforce.corpus import read_corpus
    from triforce.generate.synth import WorkOptions, process_routines

    corpus = read_corpus([args.tree], name=args.tree.name)
    items = sorted(corpus.routines, key=lambda r: (str(r.file), r.line_start))
    step = max(1, len(items) // args.routines)
    chosen = items[::step][: args.routines]
    start = time.perf_counter()
    units = process_routines(
        [(r, ["base", "debug", "optimize", "hook", "doc"]) for r in chosen],
        WorkOptions(
            seed=0,
            in_place=not args.snippets,
            base_root=str(args.base_source) if args.base_source else None,
        ),
    )
    elapsed = time.perf_counter() - start
    samples = [s for u in units for s in u["samples"]]
    yielded = sum(1 for u in units if u["samples"])
    # Why the rest yield nothing: the first reject reason of each routine without a sample.
    from collections import Counter

    why = Counter(
        (u["rejects"][0]["reason"] if u["rejects"] else "no candidate") for u in units if not u["samples"]
    )
    out = args.out or Path(f"/tmp/audit-{args.tree.name}.jsonl")
    with out.open("w", encoding="utf-8") as fh:
        for s in samples:
            fh.write(json.dumps(s) + "\n")
    try:
        from triforce.generate.audit import audit, tree_facts

        report = audit(samples, tree_facts(args.tree, corpus.routines)).to_json()
    except ImportError:  # a tree of the code from before the audit existed: audit the file later
        report = {}
    print(
        json.dumps(
            {
                "tree": args.tree.name,
                "tree_routines": len(items),
                "routines": len(chosen),
                "yielded": yielded,
                "no_yield_reasons": dict(why.most_common(8)),
                "samples": len(samples),
                "seconds": round(elapsed, 1),
                "out": str(out),
                "audit": {
                    k: report.get(k)
                    for k in ("audited", "defective", "defective_rate", "classes", "by_generator")
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

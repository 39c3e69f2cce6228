"""Error-correction chains and ROM hack case studies: how many, of which kind, re-proven how often,
and at what cost (one process, every unit in order; the build spreads units over workers).

    PYTHONPATH=src python benchmarks/chains_case_studies.py [--every 1] \
        [--tree /work/trees/z3randomizer --tree /work/trees/Oracle-of-Secrets] [--json out.json]

1. chains: every unit of the `chains` generator (or every k-th with --every k): chains per kind
   (asar, exec, asar+exec, text, refine), candidates and rejects by reason, generation seconds per
   chain; then `check` on every chain (the `dataset verify` path): pass rate and seconds per chain;
   then dataset dedup over the chains (how many survive curation's four layers).
2. case studies (when trees are given): per tree and kind, rejects, generation and check time,
   check pass rate.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from triforce.dataset.dedup import dedup
from triforce.generate.domain import Source, load_generator


def _run(name: str, sources: list[Source], every: int) -> dict[str, Any]:
    gen = load_generator(name)
    units = gen.units(sources, 0)[::every]
    start = time.perf_counter()
    samples, rejects, candidates = [], Counter[str](), 0
    for unit in units:
        res = gen.run(unit, 0)
        samples += res.samples
        candidates += res.candidates
        rejects.update(r["reason"] for r in res.rejects)
    made = time.perf_counter() - start
    start = time.perf_counter()
    failed = [s.id for s in samples if gen.check(json.loads(s.model_dump_json()))]
    checked = time.perf_counter() - start
    return {
        "units": len(units),
        "samples": samples,
        "candidates": candidates,
        "rejects": dict(rejects),
        "generate_s": round(made, 1),
        "check_s": round(checked, 1),
        "verified": len(samples) - len(failed),
        "failed": failed[:20],
    }


def _chains(args: argparse.Namespace) -> dict[str, Any]:
    srcs = [Source(args.refine_state)] if args.refine_state else []
    chains = _run("chains", srcs, args.every)
    samples = chains.pop("samples")
    kinds = Counter("+".join(s.meta["chain"]["kinds"]) for s in samples)
    origins = Counter(o.split(":")[0] for s in samples for o in s.meta["chain"]["from"])
    kept, report = dedup(samples)
    n = max(1, len(samples))
    return {
        **chains,
        "chains": len(samples),
        "per_kind": dict(kinds),
        "wrong_turns_from": dict(origins),
        "generate_ms_per_chain": round(1000 * chains["generate_s"] / n, 1),
        "check_ms_per_chain": round(1000 * chains["check_s"] / n, 1),
        "after_dedup": len(kept),
        "dedup_removed": report.removed_by_layer(),
    }


def _cases(args: argparse.Namespace) -> dict[str, Any]:
    cases = _run("casestudy", [Source(t) for t in args.tree], 1)
    samples = cases.pop("samples")
    per = Counter(f"{s.provenance.corpus}:{s.meta['case']['kind']}" for s in samples)
    facts = sum(s.verification.details.get("facts", 0) for s in samples if s.verification)
    n = max(1, len(samples))
    return {
        **cases,
        "case_studies": len(samples),
        "per_tree_kind": dict(per),
        "facts": facts,
        "generate_ms_per_case": round(1000 * cases["generate_s"] / n, 1),
        "check_ms_per_case": round(1000 * cases["check_s"] / n, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1, help="run every k-th chain unit")
    ap.add_argument("--tree", action="append", default=[], type=Path)
    ap.add_argument("--refine-state", type=Path, default=None)
    ap.add_argument("--no-chains", action="store_true", help="case studies only")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out: dict[str, Any] = {}
    if not args.no_chains:
        out["chains"] = _chains(args)
        print(json.dumps(out["chains"], indent=1))
    if args.tree:
        out["case_studies"] = _cases(args)
        print(json.dumps(out["case_studies"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

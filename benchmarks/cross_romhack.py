"""The cross-domain (romhack) suite, grader and generator, measured.

    PYTHONPATH=src python benchmarks/cross_romhack.py [--units 120] [--per-item N] [--skip-sensitivity]

1. Suite: romhack items of `evaluate/suites/cross.jsonl`, every reference graded (pass rate, time
   per proof).
2. Sensitivity: every mutant of the grader's `mutants` (ASM slips + cross-domain mistakes),
   graded like model answers; rejected share, per operator.
3. Generator: `cross` units (every n-th of the 2,520, spread over the six kinds): verified
   samples, rejects, seconds per unit, and how many a dataset decontamination against the
   bundled suites removes.
"""

from __future__ import annotations

import argparse
import json
import time

from triforce.dataset.decontam import DecontamConfig, bundled_suite_paths, decontaminate, load_suite
from triforce.evaluate.graders import grade
from triforce.evaluate.sensitivity import measure
from triforce.evaluate.suite import load_suite as load_eval_suite
from triforce.generate.crossimpl import CrossImplementationGenerator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=120)
    ap.add_argument("--per-item", type=int, default=None)
    ap.add_argument("--skip-sensitivity", action="store_true")
    args = ap.parse_args()
    out: dict[str, object] = {}

    items = [i for i in load_eval_suite("cross").items if i.grading["kind"] == "romhack"]
    t = time.perf_counter()
    passed = sum(grade(i.grading, i.reference).passed for i in items)
    dt = time.perf_counter() - t
    out["suite"] = {
        "items": len(items),
        "references_passed": passed,
        "s_per_proof": round(dt / len(items), 3),
    }

    if not args.skip_sensitivity:
        t = time.perf_counter()
        rep = measure(items, per_item=args.per_item)
        data = rep.to_json()
        out["sensitivity"] = {
            "mutants": data["mutants"],
            "rejected": data["rejected"],
            "sensitivity": round(float(data["sensitivity"]), 4),
            "survivors": data["survivors"],
            "by_operator": data["by_operator"],
            "seconds": round(time.perf_counter() - t, 1),
        }

    gen = CrossImplementationGenerator()
    units = gen.units([], 0)
    step = max(1, len(units) // args.units)
    picked = units[::step][: args.units]
    t = time.perf_counter()
    samples, rejects = [], []
    for u in picked:
        r = gen.run(u, 0)
        samples += r.samples
        rejects += r.rejects
    dt = time.perf_counter() - t
    suite_items = [item for path in bundled_suite_paths() for item in load_suite(path)]
    kept, _ = decontaminate(samples, items=suite_items, config=DecontamConfig(assemble_references=False))
    out["generator"] = {
        "units_total": len(units),
        "units_run": len(picked),
        "samples": len(samples),
        "rejects": len(rejects),
        "s_per_unit": round(dt / len(picked), 3),
        "decontam_removed": len(samples) - len(kept),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

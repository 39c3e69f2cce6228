"""Refit the packaged router from the dataset's own labelled prompts: one command.

    PYTHONPATH=src python tools/refit_router.py                  # builds the bundled dataset first
    PYTHONPATH=src python tools/refit_router.py --dataset triforce-out [--dataset more.jsonl]

1. the dataset: `triforce build` of the bundled corpus and every registered domain generator
   (or the folders/files given), plus the bundled refinement seeds (cross-domain pairs);
2. its prompts, labelled by task, split by group, capped per task: written to
   `src/triforce/serve/data/router_dataset.jsonl`;
3. the router fitted on those (train split) and the hand-written requests: written to
   `src/triforce/serve/router.yaml`;
4. the held-out measurement (held-out paraphrases, the dataset's held-out split, the evaluation
   suites' prompts), printed.
`tests/test_serve_router.py` checks that the packaged weights are what `fit` gives on the packaged
examples, so run this after changing the examples, the features or a generator's prompts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from triforce.dataset.sample_io import write_jsonl
from triforce.refine.bundled import bundled_seeds
from triforce.serve.calibrate import (
    bundled_examples,
    dataset_examples,
    evaluate,
    fit,
    suite_examples,
    write_examples,
    write_router_config,
)
from triforce.serve.router import Router, load_router_config

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "triforce" / "serve"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, action="append", default=[], help="sample folder or JSONL")
    parser.add_argument("--per-task", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = list(args.dataset)
        if not sources:
            out = Path(tmp) / "build"
            subprocess.run(
                [sys.executable, "-m", "triforce", "build", "--out", str(out), "--no-curate"], check=True
            )
            sources.append(out / "samples.jsonl")
        seeds = Path(tmp) / "refine-seeds.jsonl"
        write_jsonl(seeds, bundled_seeds())
        examples = dataset_examples([*sources, seeds], per_task=args.per_task)
    write_examples(examples, PACKAGE / "data" / "router_dataset.jsonl")
    fitted = fit(load_router_config(unfitted=True), bundled_examples("train"))
    write_router_config(fitted, PACKAGE / "router.yaml")
    heldout = evaluate(Router(fitted), bundled_examples("heldout") + suite_examples())
    print(f"{len(examples)} dataset prompts; threshold {fitted.threshold}; {len(fitted.vocabulary)} words")
    print(f"held-out route accuracy {heldout.route_accuracy:.1%} on {heldout.n}; ECE {heldout.ece:.3f}")
    for domain, (correct, n) in heldout.per_domain().items():
        print(f"  {domain:12} {correct:4d}/{n:<4d} {correct / n:.0%}")


if __name__ == "__main__":
    main()

"""Grading time when answers loop in asar: one slow answer must not cost its batch many timeouts.

Eight `while 1` answers among eight honest ones, graded the two ways the evaluator can:

- baseline: one asar process per answer (`assemble()`, what grading at concurrency 1 does), each
  looping answer costing exactly one timeout;
- batched: one `assemble_batch()` for all sixteen (what concurrent grading does): the batch times
  out once, short probes locate the loopers, each looper gets one run of its own (in parallel).

Then the same sixteen answers again (a second sample of each): a source that timed out alone is
failed at once. Every verdict is checked to be the same in both modes.

    PYTHONPATH=src python benchmarks/grading_timeouts.py [--timeout 2] [--loopers 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from triforce.snes.asar import SandboxLimits, assemble, assemble_batch
from triforce.snes.asar.engine import TIMEOUTS


def answers(loopers: int, tag: str) -> list[str]:
    out = []
    for i in range(2 * loopers):
        if i % 2:
            out.append(f"; {tag}\n!n = 0\nwhile 1\n!n #= !n+1\nendwhile\nLoop{i}:\n    RTL\n")
        else:
            out.append(f"; {tag}\nHonest{i}:\n    LDA #${i:02X}\n    RTL\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--loopers", type=int, default=8)
    args = ap.parse_args()
    limits = SandboxLimits(timeout_s=args.timeout, probe_timeout_s=min(0.5, args.timeout / 4))
    print(
        f"{args.loopers} looping + {args.loopers} honest answers, timeout {args.timeout:g} s, {os.cpu_count()} CPUs"
    )

    sources = answers(args.loopers, "baseline")
    t0 = time.perf_counter()
    alone = [assemble(s, limits=limits) for s in sources]
    base_s = time.perf_counter() - t0

    sources = answers(args.loopers, "batched")
    t0 = time.perf_counter()
    batched = assemble_batch(sources, limits=limits)
    batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = assemble_batch(sources, limits=limits)
    again_s = time.perf_counter() - t0

    verdicts = [r.ok for r in alone]
    if [r.ok for r in batched] != verdicts or [r.ok for r in again] != verdicts:
        sys.exit("verdicts differ between modes")
    print(f"one process per answer: {base_s:6.2f} s")
    print(f"one batch:              {batch_s:6.2f} s  ({base_s / batch_s:.2f}x faster)")
    print(f"the same answers again: {again_s:6.2f} s  (timed-out sources failed at once)")
    print(f"timed-out sources remembered: {len(TIMEOUTS._seen)}")


if __name__ == "__main__":
    main()

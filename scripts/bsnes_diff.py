"""Run the large differential test of our 65816 core against bsnes and print the counts.

    PYTHONPATH=src python scripts/bsnes_diff.py --per-opcode 60 --seed 1 [--json]

Cases per opcode and mode; 1,016 cases (2 modes x 254 opcodes x 2) per ROM of 1,024 slots.
Exit status 0 only when every case agrees (known reference divergences are listed apart).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from rich.progress import Progress

from triforce.snes.difftest import SKIPPED, run_differential, run_io_check, run_map_check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-opcode", type=int, default=40, help="cases per opcode and mode")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    args = parser.parse_args()
    start = time.perf_counter()
    total = (256 - len(SKIPPED)) * 2 * args.per_opcode
    with Progress(transient=True) as progress:
        task = progress.add_task("bsnes differential", total=total)
        report = run_differential(args.per_opcode, args.seed, progress=lambda n: progress.advance(task, n))
    io_diffs = run_io_check(seed=args.seed, products=256)
    io_diffs += run_map_check("lorom") + run_map_check("hirom")
    elapsed = time.perf_counter() - start
    drawn = Counter((c.opcode, c.emulation) for c in report.cases)
    short = {
        f"${op:02X} {'emu' if emu else 'native'}": args.per_opcode - n
        for op in range(256)
        for emu in (False, True)
        if op not in SKIPPED and (n := drawn.get((op, emu), 0)) < args.per_opcode
    }
    summary = {
        "requested": total,
        "cases": len(report.cases),
        "not_drawn": short,
        "opcodes": len({c.opcode for c in report.cases}),
        "roms": report.roms,
        "bsnes_frames": report.bsnes_frames,
        "redrawn_states": report.rejected,
        "failures": len(report.failures),
        "known_divergences": len(report.mismatches) - len(report.failures),
        "skipped_opcodes": {f"${op:02X}": why for op, why in report.skipped.items()},
        "io_and_map_check_differences": len(io_diffs),
        "seconds": round(elapsed, 1),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for m in report.failures[:50]:
            print(m.detail)
        for line in io_diffs[:50]:
            print("I/O:", line)
        for key, value in summary.items():
            print(f"{key}: {value}")
    return 0 if report.ok and not io_diffs else 1


if __name__ == "__main__":
    sys.exit(main())

"""Compression: the optimal compressor against the greedy baseline and against original
compressed files, and compress/decompress speed, in one run.

    PYTHONPATH=src python benchmarks/lz_ratio.py [--trees DIR ...] [--rom alttp.sfc] [--synthetic 40]

Inputs: every whole compressed file under `--trees` (their originals are the sizes to beat; in
the public trees these are z3randomizer's `.gfx` files), every compressed sheet of `--rom` (the
sizes Nintendo's own compressor reached; no ROM is bundled), and `--synthetic` graphics-like
blobs made from a fixed seed. Each input is decompressed, then compressed with both modes; every
stream is decompressed again and compared before its size counts. Sizes are totals in bytes;
ratios are against the greedy baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

from triforce.compress import compress, decompress
from triforce.generate.graphics.material import synthetic_data
from triforce.gfx.prove import find_compressed
from triforce.gfx.rom import sheet_streams


def _inputs(args: argparse.Namespace) -> list[tuple[str, bytes, bytes | None]]:
    """(name, data, original stream or None)."""
    out: list[tuple[str, bytes, bytes | None]] = []
    for found in find_compressed([Path(t) for t in args.trees]):
        if found.variant == "gfx":
            out.append((f"file:{found.path}", found.output, found.stream))
    if args.rom:
        for s in sheet_streams(Path(args.rom).read_bytes()):
            out.append((f"rom-sheet:{s.sheet}", s.output, s.stream))
    rng = random.Random(2026)
    out += [
        (f"synthetic:{i}", synthetic_data(rng, rng.randrange(512, 4096)), None) for i in range(args.synthetic)
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trees", nargs="*", default=[])
    parser.add_argument("--rom", default=None)
    parser.add_argument("--synthetic", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    inputs = _inputs(args)
    totals = {
        k: 0
        for k in (
            "data",
            "original",
            "original_data",
            "optimal_on_originals",
            "greedy_on_originals",
            "optimal",
            "greedy",
        )
    }
    seconds = {"optimal": 0.0, "greedy": 0.0, "decompress": 0.0}
    for name, data, original in inputs:
        streams = {}
        for mode in ("optimal", "greedy"):
            t = time.perf_counter()
            streams[mode] = compress(data, "gfx", mode)  # type: ignore[arg-type]
            seconds[mode] += time.perf_counter() - t
            t = time.perf_counter()
            back = decompress(streams[mode])
            seconds["decompress"] += time.perf_counter() - t
            if back != data:
                raise SystemExit(f"{name}: {mode} stream does not decompress to the data")
            totals[mode] += len(streams[mode])
        totals["data"] += len(data)
        if original is not None:
            totals["original"] += len(original)
            totals["original_data"] += len(data)
            totals["optimal_on_originals"] += len(streams["optimal"])
            totals["greedy_on_originals"] += len(streams["greedy"])
    mb = totals["data"] / 1e6
    result = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "inputs": len(inputs),
        "with_original": sum(1 for _, _, o in inputs if o is not None),
        "totals": totals,
        "optimal_vs_greedy": round(totals["optimal"] / totals["greedy"], 4),
        "optimal_vs_original": round(totals["optimal_on_originals"] / totals["original"], 4)
        if totals["original"]
        else None,
        "greedy_vs_original": round(totals["greedy_on_originals"] / totals["original"], 4)
        if totals["original"]
        else None,
        "compress_optimal_MBps": round(mb / seconds["optimal"], 4),
        "compress_greedy_MBps": round(mb / seconds["greedy"], 4),
        "decompress_MBps": round(2 * mb / seconds["decompress"], 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['inputs']} inputs ({result['with_original']} with an original stream), {totals['data']} bytes; {result['machine']}"
    )
    print(
        f"optimal {totals['optimal']} bytes, greedy {totals['greedy']}: optimal/greedy = {result['optimal_vs_greedy']}"
    )
    if totals["original"]:
        print(
            f"on the {result['with_original']} originals ({totals['original_data']} bytes of data): original streams "
            f"{totals['original']}, optimal {totals['optimal_on_originals']} ({result['optimal_vs_original']}), "
            f"greedy {totals['greedy_on_originals']} ({result['greedy_vs_original']})"
        )
    print(
        f"speed: compress optimal {result['compress_optimal_MBps']} MB/s, greedy {result['compress_greedy_MBps']} MB/s, "
        f"decompress {result['decompress_MBps']} MB/s"
    )


if __name__ == "__main__":
    main()

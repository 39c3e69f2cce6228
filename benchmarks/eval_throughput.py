"""Graded items per second against an OpenAI-compatible endpoint with a fixed 200 ms latency.

    PYTHONPATH=src python benchmarks/eval_throughput.py [--suite asm] [--latency 0.2] [--limit N]

Starts triforce's reference server on 127.0.0.1 (it answers every prompt with the item's
reference solution after a fixed delay, streamed as SSE), then runs the same suite through the
real HTTP backend and the real graders (asar sandbox + 65816 execution) at concurrency 1 and 32.
Prints both rates and their ratio, measured in this one run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from triforce.evaluate.reference_server import serve_references
from triforce.evaluate.runner import run_suite
from triforce.evaluate.suite import Suite, load_suite
from triforce.models import OpenAIBackend, OpenAIConfig


def _measure(suite: Suite, url: str, concurrency: int, out: Path) -> tuple[float, float, int]:
    backend = OpenAIBackend(
        OpenAIConfig(base_url=url, model="bench", timeout_s=30.0), concurrency=concurrency
    )
    start = time.perf_counter()
    result = asyncio.run(run_suite(suite, backend, out, concurrency=concurrency, write_report=False))
    elapsed = time.perf_counter() - start
    passed = sum(r["verdict"]["passed"] for r in result.records)
    return elapsed, len(result.records) / elapsed, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="asm")
    parser.add_argument(
        "--latency", type=float, default=0.2, help="seconds the endpoint waits before answering"
    )
    parser.add_argument("--limit", type=int, default=0, help="use only the first N items (0 = all)")
    args = parser.parse_args()
    suite = load_suite(args.suite)
    if args.limit:
        suite = Suite(name=suite.name, path=suite.path, items=suite.items[: args.limit])
    answers = {item.prompt: item.reference for item in suite.items}
    rows = []
    with serve_references(answers, latency_s=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        for concurrency in (1, 32):
            elapsed, rate, passed = _measure(suite, server.url, concurrency, Path(tmp) / f"c{concurrency}")
            rows.append((concurrency, elapsed, rate, passed))
            print(
                f"concurrency {concurrency:>2}: {len(suite.items)} items in {elapsed:6.2f} s = {rate:6.2f} graded items/s ({passed} passed)"
            )
    ratio = rows[1][2] / rows[0][2]
    print(f"endpoint latency {args.latency * 1000:.0f} ms; ratio concurrency 32 / 1 = {ratio:.1f}x")


if __name__ == "__main__":
    main()

"""C++ reader and compile-checker throughput on one tree (default: the bundled minizelda tree).

    PYTHONPATH=src python benchmarks/cpp_throughput.py [--tree ~/src/yaze] [--folder src/zelda3 ...]
        [--tus 20] [--checks 20] [-j 2] [--cache DIR] [--spread]

Extraction: functions/s of `read_tree` against reading and decoding the same files (the I/O
baseline, same run). Checks: translation units compiled unchanged per second (`-j` at once),
and candidate checks per second (the function's own text spliced back; the TU baseline already
cached), against `g++ -fsyntax-only` of an empty file (the compiler's start-up cost, same run).
`--cache DIR` reuses the per-TU baselines of an earlier `triforce cpp baseline --cache DIR` (the
TU rate is then not a measurement); `--spread` takes the candidates evenly across every TU that
compiles instead of the first ones.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from triforce.cpp import CompileChecker, baseline_tree, bundled_tree, read_tree
from triforce.cpp.tree import TU_SUFFIXES, source_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, default=None)
    parser.add_argument("--folder", action="append", default=[])
    parser.add_argument("--tus", type=int, default=20, help="TUs compiled unchanged")
    parser.add_argument("--checks", type=int, default=20, help="candidate checks")
    parser.add_argument("-j", "--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None, help="per-TU baseline cache to reuse")
    parser.add_argument("--spread", action="store_true", help="candidates spread over every compiling TU")
    args = parser.parse_args()
    root = args.tree or bundled_tree()

    files = source_files(root, args.folder)
    start = time.perf_counter()
    for p in files:
        p.read_bytes().decode("utf-8", errors="replace")
    io_s = time.perf_counter() - start
    start = time.perf_counter()
    scan = read_tree(root, args.folder)
    parse_s = time.perf_counter() - start
    fns = len(scan.functions)
    lines = sum(pf.lines for pf in scan.files)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}; tree {scan.origin.repo}")
    print(
        f"extraction: {len(scan.files)} files, {lines} lines, {fns} functions in {parse_s:.2f} s = "
        f"{fns / parse_s:,.0f} functions/s, {lines / parse_s:,.0f} lines/s (read+decode alone {io_s:.3f} s; "
        f"parse costs {parse_s / max(io_s, 1e-9):.0f}x the I/O)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.cc"
        empty.write_text("int triforce_empty;\n")
        start = time.perf_counter()
        for _ in range(5):
            subprocess.run(["g++", "-std=c++23", "-fsyntax-only", str(empty)], check=True)
        startup = (time.perf_counter() - start) / 5
    print(f"g++ -fsyntax-only of an empty file: {startup * 1000:.0f} ms (compiler start-up)")

    tus = [p.relative_to(root).as_posix() for p in files if p.suffix in TU_SUFFIXES][: args.tus]
    checker = CompileChecker(root, cache_dir=args.cache)
    report = baseline_tree(checker, tus, workers=args.workers)
    ok = sum(1 for v in report.tus.values() if v == "ok")
    print(
        ("(from the cache) " if args.cache else "")
        + f"baseline: {len(tus)} TUs in {report.seconds:.1f} s with {args.workers} at once = "
        f"{len(tus) / report.seconds:.2f} TUs/s; {ok} compile unchanged {report.counts()}"
    )
    good = [f for f in scan.functions if report.tus.get(f.file) == "ok" and not f.errors_inside]
    chosen = (
        good[:: max(1, len(good) // max(1, args.checks))][: args.checks]
        if args.spread
        else good[: args.checks]
    )
    if not chosen:
        print("no function in a compiling TU: no candidate checks")
        return
    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(lambda f: checker.check_function(f, f.text), chosen))
    check_s = time.perf_counter() - start
    passed = sum(1 for r in results if r.ok)
    per = check_s / len(chosen)
    print(
        f"candidate checks: {len(chosen)} in {check_s:.1f} s = {len(chosen) / check_s:.2f} checks/s "
        f"({passed} passed); {per / startup:.1f}x an empty compile each (per check, {args.workers} at once)"
    )


if __name__ == "__main__":
    main()

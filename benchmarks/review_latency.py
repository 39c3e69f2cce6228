"""What a reviewer waits for on the review page, per action, and what re-verifying a correction costs.

Same queue, same run: each action through the web page (uvicorn on loopback, a signed-in
client, the real SQLite queue) against the same action called on the queue directly (the
baseline: what the CLI does). Actions: take the next item (lease), open its page, accept,
reject, verify a draft correction (preview) and save a correction (both re-verify: asar in the
sandbox + execution on every test state). Reports p50/p99 in milliseconds and the ratio.

    PYTHONPATH=src python benchmarks/review_latency.py [--items 60]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from review_web_support import queue_with, review_server
from test_refine_queue import _GOOD, _candidate
from triforce.refine import ReviewQueue
from triforce.refine.queue import verify_correction


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def _timed(fn: Callable[[], object], into: list[float]) -> object:
    start = time.perf_counter()
    out = fn()
    into.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60, help="items per run (divisible by 3)")
    args = parser.parse_args()
    n = max(3, args.items - args.items % 3)
    web: dict[str, list[float]] = {k: [] for k in ("next", "open", "accept", "reject", "preview", "correct")}
    lib: dict[str, list[float]] = {k: [] for k in ("next", "open", "accept", "reject", "preview", "correct")}
    fixed = _GOOD.replace("quarter", "fourth")
    with tempfile.TemporaryDirectory() as tmp:
        # baseline: the queue called directly
        state = Path(tmp) / "lib"
        queue_with(state, [_candidate(tag=f" {i}") for i in range(n)])
        with ReviewQueue(state / "queue.sqlite") as q:
            for k in range(n):
                item = _timed(lambda: q.lease_next("alice"), lib["next"])
                _timed(lambda item=item: q.get(item.id), lib["open"])  # type: ignore[attr-defined]
                ref = item.id  # type: ignore[attr-defined]
                if k % 3 == 0:
                    _timed(lambda ref=ref: q.accept(ref, "alice"), lib["accept"])
                elif k % 3 == 1:
                    _timed(lambda ref=ref: q.reject(ref, "alice", "benchmark"), lib["reject"])
                else:
                    _timed(lambda item=item: verify_correction(item.sample, fixed), lib["preview"])  # type: ignore[attr-defined]
                    _timed(lambda ref=ref: q.correct(ref, fixed, "alice"), lib["correct"])
        # the same through the web page
        state = Path(tmp) / "web"
        tokens = queue_with(state, [_candidate(tag=f" {i}") for i in range(n)])
        with review_server(state) as url, httpx.Client(base_url=url) as c:
            c.post("/login", data={"name": "alice", "token": tokens["alice"]})
            for k in range(n):
                r = _timed(lambda: c.get("/next"), web["next"])
                path = r.headers["location"]  # type: ignore[attr-defined]
                page = _timed(lambda path=path: c.get(path), web["open"])
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr, attr-defined]
                if k % 3 == 0:
                    _timed(lambda p=path, t=csrf: c.post(p + "/accept", data={"csrf": t}), web["accept"])
                elif k % 3 == 1:
                    form = {"csrf": csrf, "reason": "benchmark"}
                    _timed(lambda p=path, f=form: c.post(p + "/reject", data=f), web["reject"])
                else:
                    form = {"csrf": csrf, "answer": fixed}
                    _timed(lambda p=path, f=form: c.post(p + "/preview", data=f), web["preview"])
                    _timed(lambda p=path, f=form: c.post(p + "/correct", data=f), web["correct"])
    print(f"review page latency, {n} items ({n // 3} per decision kind), milliseconds")
    print(f"{'action':<10}{'web p50':>10}{'web p99':>10}{'queue p50':>11}{'queue p99':>11}{'p50 ratio':>11}")
    for action in web:
        w, b = web[action], lib[action]
        ratio = statistics.median(w) / max(statistics.median(b), 1e-9)
        print(
            f"{action:<10}{statistics.median(w):>10.1f}{_pct(w, 0.99):>10.1f}"
            f"{statistics.median(b):>11.1f}{_pct(b, 0.99):>11.1f}{ratio:>10.2f}x"
        )
    print("preview/correct include re-verification (asar in the sandbox + every test state on the core)")


if __name__ == "__main__":
    main()

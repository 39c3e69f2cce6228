"""Throughput of the lore and quest truth machines and of the teacher client, each against a
baseline measured in the same run.

    PYTHONPATH=src python benchmarks/lore_quest.py [--claims 20000]

1. Claim checking: `ClaimChecker` (indexed, inverse- and order-aware) against a baseline that
   scans every record for each claim (the same direct/functional rule, no indexes).
2. Sample generation: lore/canon/quest samples per second (one process, bundled KB), against the
   ASM doc generator's samples per second on the bundled corpus (the existing generator).
3. Teacher client: prose answers per second from the reference server with 100 ms latency at
   concurrency 8 against concurrency 1, and a resumed run served from the cache.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from triforce.evaluate.reference_server import serve_references
from triforce.generate.domain import load_generator
from triforce.generate.teacher import Teacher, TeacherConfig, TeacherTask
from triforce.lore import Claim, ClaimChecker, vanilla
from triforce.lore.names import normalise


def _claims(n: int) -> list[Claim]:
    kb = vanilla()
    rng = random.Random(1)
    recs = [r for r in kb.records if not isinstance(r.object, int)]
    out = []
    for _ in range(n):
        r = rng.choice(recs)
        obj = kb.name(r.object) if rng.random() < 0.5 else kb.name(rng.choice(recs).object)
        out.append(Claim(kb.name(r.subject), r.relation, obj))
    return out


def _scan(claims: list[Claim]) -> int:
    """Baseline: for each claim, scan all records for its subject and relation."""
    kb = vanilla()
    supported = 0
    for c in claims:
        s = normalise(c.subject)
        hits = [r for r in kb.records if normalise(kb.name(r.subject)) == s and r.relation == c.relation]
        supported += any(normalise(kb.name(r.object)) == normalise(str(c.object)) for r in hits)
    return supported


def _rate(fn: object, n: int) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return n / (time.perf_counter() - start)


def _generate(names: list[str], limit: int | None = None) -> tuple[int, float]:
    count, start = 0, time.perf_counter()
    for name in names:
        gen = load_generator(name)
        for unit in gen.units([], 0)[:limit]:
            count += len(gen.run(unit, 0).samples)
    return count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20000)
    args = parser.parse_args()
    claims = _claims(args.claims)
    checker = ClaimChecker(vanilla())
    checker.check(claims[0])  # build the order graph outside the timing
    fast = _rate(lambda: checker.check_all(claims), len(claims))
    few = claims[: max(200, args.claims // 50)]
    slow = _rate(lambda: _scan(few), len(few))
    print(f"claims: checker {fast:,.0f}/s, record scan {slow:,.0f}/s, ratio {fast / slow:.1f}x")

    n, t = _generate(["lore", "canon", "quest"])
    m, u = _generate(["teach"], limit=2)  # 32 routines through the ASM doc pipeline
    print(
        f"generation: lore+canon+quest {n} samples in {t:.2f} s = {n / t:,.0f}/s; "
        f"ASM doc pipeline {m} samples in {u:.2f} s = {m / u:,.1f}/s; ratio {n / t / (m / u):.0f}x"
    )

    tasks = [
        TeacherTask(f"t{i}", [{"role": "user", "content": f"Tell me fact {i}."}], lambda _t: [])
        for i in range(40)
    ]
    with (
        serve_references(lambda msgs: "A fact.\n", latency_s=0.1) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        rows = []
        for conc in (1, 8):
            cfg = TeacherConfig(url=server.url, concurrency=conc, budget_tokens=10**9)
            start = time.perf_counter()
            Teacher(cfg, Path(tmp) / f"c{conc}").run(tasks)
            rows.append(len(tasks) / (time.perf_counter() - start))
        start = time.perf_counter()
        Teacher(TeacherConfig(url=server.url, concurrency=8), Path(tmp) / "c8").run(tasks)
        cached = len(tasks) / (time.perf_counter() - start)
    print(
        f"teacher (100 ms endpoint): concurrency 1 {rows[0]:.1f}/s, concurrency 8 {rows[1]:.1f}/s, "
        f"ratio {rows[1] / rows[0]:.1f}x; resumed from cache {cached:,.0f}/s"
    )


if __name__ == "__main__":
    main()

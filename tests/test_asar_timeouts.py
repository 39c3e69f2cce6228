"""Grading-time amplification: a batch that times out costs O(log n) short probe runs to find the
snippet it waited on, each suspect then gets one run of its own (its verdict never depends on
its neighbours), and a source that timed out alone is failed at once when it comes back."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from triforce.snes.asar import SandboxLimits, assemble, assemble_batch
from triforce.snes.asar.engine import TIMEOUTS

LIMITS = SandboxLimits(timeout_s=1.0, probe_timeout_s=0.25)


def _looper(i: int) -> str:
    return f"!n{i} = 0\nwhile 1\n!n{i} #= !n{i}+1\nendwhile\nLoop{i}:\n    RTL\n"


def _honest(i: int) -> str:
    return f"Honest{i}:\n    LDA #${i:02X}\n    RTL\n"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """(snippets, timeout) of every asar run."""
    from triforce.snes.asar import engine

    seen: list[tuple[int, float]] = []
    lock = threading.Lock()
    real = engine.run_units

    def spy(workdir: Any, units: Any, cfg: Any) -> Any:
        with lock:
            seen.append((len(units), cfg.limits.timeout_s))
        return real(workdir, units, cfg)

    for module in ("triforce.snes.asar.batch", "triforce.snes.asar.assemble"):
        monkeypatch.setattr(sys.modules[module], "run_units", spy)
    return seen


def test_a_timed_out_batch_is_resolved_with_short_probes(runs: list[tuple[int, float]]) -> None:
    snippets = [_looper(i) if i % 4 == 1 else _honest(i) for i in range(8)]  # 2 loopers among 8
    results = assemble_batch(snippets, limits=LIMITS)
    for i, res in enumerate(results):
        if i % 4 == 1:
            assert not res.ok and res.errors[0].code == "Ttimeout", res.errors
        else:
            assert res.ok and res.code == assemble(snippets[i], limits=LIMITS).code
    full = [n for n, t in runs if t == LIMITS.timeout_s]
    probes = [n for n, t in runs if t < LIMITS.timeout_s]
    # the batch once, then each looper once on its own (the old splitting ran 1 + 2 + 4 full runs)
    assert full.count(8) == 1 and sum(1 for n in full if n == 1) >= 2
    assert len([n for n in full if n != 1]) == 1
    assert all(t >= LIMITS.probe_timeout_s for _, t in runs)
    assert len(probes) <= 2 * 2 * 3  # O(k log n): at most two probes per level per culprit


def test_a_source_that_timed_out_alone_is_failed_at_once(runs: list[tuple[int, float]]) -> None:
    looper = _looper(99) + "; only here\n"
    first = assemble(looper, limits=LIMITS)
    assert first.errors[0].code == "Ttimeout" and len(runs) == 1
    again = assemble(looper, limits=LIMITS)
    batched = assemble_batch([_honest(1), looper], limits=LIMITS)
    assert again.errors[0].code == "Ttimeout" and "not run again" in again.errors[0].message
    assert not batched[1].ok and "not run again" in batched[1].errors[0].message and batched[0].ok
    assert len(runs) == 2  # the honest snippet's batch only
    more_time = assemble(looper, limits=SandboxLimits(timeout_s=1.5))  # a longer limit: tried again
    assert more_time.errors[0].code == "Ttimeout" and len(runs) == 3
    assert TIMEOUTS.timed_out(TIMEOUTS.key(looper, {}, None), 1.5)


def test_a_slow_honest_snippet_keeps_its_verdict_next_to_a_looper(runs: list[tuple[int, float]]) -> None:
    """A snippet that needs more than a probe's time but less than the timeout passes whatever
    its neighbours do: probes only locate, a suspect's verdict comes from its own run."""
    slow = "!i = 0\nwhile !i < 3000\n!i #= !i+1\nendwhile\nSlow:\n    RTL\n"
    alone = assemble(slow, limits=SandboxLimits(timeout_s=2.0))
    assert alone.ok
    results = assemble_batch([_looper(7), slow], limits=SandboxLimits(timeout_s=2.0, probe_timeout_s=0.001))
    assert results[1].ok and results[1].code == alone.code
    assert not results[0].ok and results[0].errors[0].code == "Ttimeout"


def test_concurrent_grading_shares_batches_and_fails_loopers(runs: list[tuple[int, float]]) -> None:
    from triforce.evaluate.batching import BatchAssembler

    batcher = BatchAssembler(window_s=0.05, timeout_s=1.0)
    sources = [_looper(200 + i) if i % 2 else _honest(i) for i in range(4)]
    out: dict[int, Any] = {}

    def grade(i: int) -> None:
        out[i] = batcher(sources[i], 0x008000)

    threads = [threading.Thread(target=grade, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.close()
    assert [out[i].ok for i in range(4)] == [i % 2 == 0 for i in range(4)]
    assert sum(1 for n, t in runs if t == 1.0 and n > 1) <= batcher.batches

"""Shared helpers for the generator tests: the test corpus and an independent re-check.

`recheck` does not reuse the generators' execution layer: it reassembles the text a sample
ships (with a single `assemble()`, not the batch path), runs each recorded initial state on the
machine directly, and compares registers and memory with what the sample recorded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from triforce.generate.verify import check_sample, state_of
from triforce.snes.asar import assemble
from triforce.snes.machine import run_routine

DATA = Path(__file__).parent / "data" / "gen"
ALL = ["base", "debug", "optimize", "hook", "doc"]


@cache
def gen_corpus() -> Any:
    from triforce.corpus import read_corpus

    return read_corpus([DATA], name="gen-tests", origin="original")


def routine(name: str) -> Any:
    return next(r for r in gen_corpus().routines if r.name == name)


def run_text(code: str, entry: str, convention: str, initial: dict[str, Any]) -> Any:
    res = assemble(code, org=0x008000, stubs=True)
    assert res.ok, res.diagnostics
    return run_routine(res, entry=res.symbols[entry], state=state_of(initial), convention=convention)  # type: ignore[arg-type]


def recheck(sample: dict[str, Any], max_states: int = 8) -> int:
    """Re-verify a sample's recorded execution from scratch (`triforce.generate.verify`, which
    shares nothing with the build's batches and shared images); returns the states recorded.

    Every state is checked when max_states is 0; tests use a spread of 8 to stay fast."""
    problems, _ = check_sample(sample, max_states=max_states)
    assert not problems, (sample["task"], sample["meta"].get("routine"), problems)
    return len(sample["meta"]["exec"]["states"])

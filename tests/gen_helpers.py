"""Shared helpers for the generator tests: the test corpus and an independent re-check.

`recheck` does not reuse the generators' execution layer: it reassembles the text a sample
ships (with a single `assemble()`, not the batch path), runs each recorded initial state on the
machine directly, and compares registers and memory with what the sample recorded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from triforce.generate.states import from_byte_runs
from triforce.snes.asar import assemble
from triforce.snes.machine import MachineState, run_routine

DATA = Path(__file__).parent / "data" / "gen"
ALL = ["base", "debug", "optimize", "hook", "doc"]


@cache
def gen_corpus() -> Any:
    from triforce.corpus import read_corpus

    return read_corpus([DATA], name="gen-tests", origin="original")


def routine(name: str) -> Any:
    return next(r for r in gen_corpus().routines if r.name == name)


def _state(obj: dict[str, Any]) -> MachineState:
    mem = from_byte_runs(obj["memory"])
    regs = {k: obj[k] for k in ("a", "x", "y", "s", "d", "db", "p")}
    return MachineState(**regs, e=obj["e"], memory=mem)


def run_text(code: str, entry: str, convention: str, initial: dict[str, Any]) -> Any:
    res = assemble(code, org=0x008000, stubs=True)
    assert res.ok, res.diagnostics
    return run_routine(res, entry=res.symbols[entry], state=_state(initial), convention=convention)  # type: ignore[arg-type]


def _live(writes: dict[int, int], s: int) -> dict[int, int]:
    out = {}
    for addr, v in writes.items():
        low = addr & 0xFFFF
        if addr >> 16 == 0x7E and s - 0x100 < low <= s:
            continue
        out[addr] = v
    return out


def recheck(sample: dict[str, Any], max_states: int = 8) -> int:
    """Re-verify a sample's recorded execution from scratch; returns the number of states recorded.

    Every state is checked when max_states is 0; tests use a spread of 8 to stay fast."""
    ex = sample["meta"]["exec"]
    res = assemble(ex["code"], org=0x008000, stubs=True)
    assert res.ok, (sample["task"], res.diagnostics)
    entry = res.symbols[ex["entry"]]
    states = ex["states"]
    if max_states and len(states) > max_states:
        step = len(states) / max_states
        states = [states[int(i * step)] for i in range(max_states)]
    for st in states:
        run = run_routine(
            res,
            entry=entry,
            state=_state(st["initial"]),
            convention=ex["convention"],
            sram_size=ex["sram_size"],
        )
        fin = st["final"]
        assert run.reason == "returned" and fin["reason"] == "RETURNED"
        for k in ("a", "x", "y", "s", "d", "db", "p"):
            assert getattr(run.final, k) == fin[k], (sample["meta"]["routine"], st["initial"]["name"], k)
        assert _live(run.writes, run.final.s) == from_byte_runs(fin["writes"]), (
            sample["meta"]["routine"],
            st["initial"]["name"],
        )
    return len(ex["states"])

"""Differential tests against the real bsnes core (reduced counts; scripts/bsnes_diff.py runs more)."""

from __future__ import annotations

import random

import pytest

from triforce.errors import ToolNotFoundError
from triforce.snes.bsnes import find_bsnes_core

pytestmark = pytest.mark.bsnes
pytest.importorskip("libretro")
pytest.importorskip("triforce.snes.cpu")


@pytest.fixture(scope="module", autouse=True)
def _core() -> None:
    try:
        find_bsnes_core()
    except ToolNotFoundError as exc:
        pytest.skip(str(exc))


def test_every_opcode_in_both_modes_agrees_with_bsnes() -> None:
    from triforce.snes.difftest import SKIPPED, run_differential

    report = run_differential(per_opcode=3, seed=20261125)
    asked = (256 - len(SKIPPED)) * 2 * 3
    assert len(report.cases) >= asked * 0.99  # a rare state can find no WRAM-only draw
    assert {(c.opcode, c.emulation) for c in report.cases} == {
        (op, emu) for op in range(256) if op not in SKIPPED for emu in (False, True)
    }
    assert report.ok, "\n".join(m.detail for m in report.failures[:10])


def test_a_wrong_result_is_detected() -> None:
    """The comparison is not vacuous: a flipped byte in one captured slot is reported."""
    from triforce.snes.difftest import build_rom, compare, finished, generate_cases, run_ours
    from triforce.snes.reference import run_on_bsnes

    cases, _ = generate_cases(random.Random(5), [0x69, 0xE9], per_opcode=2)
    rom = build_rom(cases)
    ours, reason = run_ours(rom)
    theirs = run_on_bsnes(rom, done=finished, frames=60).wram
    assert reason == "stp" and compare(cases, ours, theirs) == []
    tampered = bytearray(ours)
    tampered[cases[1].slot - 0x7E0000 + 7] ^= 1  # A's low byte in the second case
    found = compare(cases, bytes(tampered), theirs)
    assert len(found) == 1 and found[0].case is cases[1]


def test_multiply_divide_wram_port_and_dma_agree_with_bsnes() -> None:
    from triforce.snes.difftest import run_io_check

    assert run_io_check(seed=3, products=128) == []


@pytest.mark.parametrize("mapper", ["lorom", "hirom"])
def test_memory_map_agrees_with_bsnes(mapper: str) -> None:
    """ROM banks and mirrors, SRAM windows, WRAM mirrors and open bus read the same bytes."""
    from triforce.snes.difftest import run_map_check

    assert run_map_check(mapper) == []  # type: ignore[arg-type]

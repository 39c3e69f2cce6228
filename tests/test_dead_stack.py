"""What an outcome leaves out as dead stack: the bytes a run pushed, not the game's variables in
page 1 (ALTTP keeps the saved module at $010C, far below where its stack ever reaches)."""

from __future__ import annotations

from triforce.generate.execution import Assembler, dead_stack, live_writes, run_states
from triforce.generate.states import StateSpec


def test_only_the_run_of_pushes_below_s_is_dead() -> None:
    writes = {0x7E01FD: 1, 0x7E01FC: 2, 0x7E01FB: 3, 0x7E010C: 9, 0x7E0020: 5}
    assert dead_stack(set(writes), 0x01FF) == {0x7E01FD, 0x7E01FC, 0x7E01FB}
    assert live_writes(writes, 0x01FF) == {0x7E010C: 9, 0x7E0020: 5}


def test_a_low_ram_mirror_write_is_folded_before_the_stack_is_judged() -> None:
    assert live_writes({0x00010C: 7, 0x0001FD: 1}, 0x01FF) == {0x7E010C: 7}


def test_a_page_one_variable_is_evidence_and_the_routines_pushes_are_not() -> None:
    source = "Save:\n    PHA\n    PHX\n    LDA.b #$0E\n    STA.w $010C\n    PLX\n    PLA\n    RTS\n"
    asm = Assembler(batch=False)
    (res,) = asm.assemble_many([source])
    assert res is not None and res.ok
    state = StateSpec("s", 0, 0, 0, 0x01FF, 0, 0x7E, 0x30, False, {})
    (out,) = run_states(res, res.symbols["Save"], "jsr", [state])
    assert out.returned
    assert out.writes == {0x7E010C: 0x0E}

"""Test-state generation: deterministic, and covering the edges routines get wrong."""

from __future__ import annotations

from typing import Any

from triforce.generate.asmtext import constants, parse, render
from triforce.generate.context import Reject
from triforce.generate.states import (
    FLAG_C,
    FLAG_D,
    FLAG_M,
    FLAG_X,
    StateInputs,
    StateSpec,
    generate_states,
    normalize_address,
    parse_test_tags,
)

RUPEES = StateInputs(
    name="Rupees_Add", m=16, x=8, ram=(0x7EF360,), constants=(0x03E8,), tags=({"a": 0x14, "[7EF360]w": 0x64},)
)


def test_same_seed_same_states_other_seed_other_states() -> None:
    a = generate_states(RUPEES, seed=1)
    b = generate_states(RUPEES, seed=1)
    c = generate_states(RUPEES, seed=2)
    assert [s.to_json() for s in a] == [s.to_json() for s in b]
    assert [s.to_json() for s in a] != [s.to_json() for s in c]


def test_edges_cover_carry_decimal_widths_and_boundaries() -> None:
    states = generate_states(RUPEES, seed=0)
    assert all(not s.p & FLAG_M and s.p & FLAG_X for s in states)  # m16 x8 at entry
    assert {s.p & FLAG_C for s in states} == {0, FLAG_C}
    assert any(s.p & FLAG_D for s in states)
    accs = {s.a for s in states}
    assert {0, 0xFFFF, 0x03E7, 0x03E8, 0x03E9} <= accs  # zero, all ones, the 1000 limit +-1
    assert all(s.x <= 0xFF and s.y <= 0xFF for s in states)  # 8-bit index registers
    goals = {s.memory.get(0x7EF360, 0) | s.memory.get(0x7EF361, 0) << 8 for s in states}
    assert {999, 1000} <= goals  # the rupee cap as a memory value too


def test_seed_tags_come_first() -> None:
    first = generate_states(RUPEES, seed=0)[0]
    assert first.name == "seed0" and first.a == 0x14
    assert first.memory[0x7EF360] == 0x64 and first.memory[0x7EF361] == 0


def test_probe_reads_are_randomized() -> None:
    states = generate_states(RUPEES, seed=0, read_addresses=[0x000010, 0x7E0011, 0x808000])
    rand = [s for s in states if s.name.startswith("rand")]
    assert {s.memory.get(0x7E0010) for s in rand} - {None}  # the low-RAM mirror folded onto $7E
    assert all(0x808000 not in s.memory for s in states)  # ROM is never preset


def test_tag_parsing() -> None:
    tags = parse_test_tags("; @test A=$0010 [$7EF360]=$0100 C=1\n; @test X=5")
    assert tags == [{"a": 0x10, "[7EF360]w": 0x100, "c": 1}, {"x": 5}]


def test_state_json_round_trip() -> None:
    s = StateSpec("t", a=0x1234, p=0x31, memory={0x7EF360: 9})
    assert StateSpec.from_json(s.to_json()) == s


def test_mirrors_fold() -> None:
    assert normalize_address(0x000010) == 0x7E0010
    assert normalize_address(0x801FFF) == 0x7E1FFF
    assert normalize_address(0x7EF360) == 0x7EF360
    assert normalize_address(0x002100) == 0x002100


def test_parse_render_keeps_statements() -> None:
    text = "Foo: LDA #$00 : STA $10 ; clear\n.loop\n    DEX : BNE .loop\n!x = $12\n    RTL\n"
    stmts = parse(text)
    kinds = [(s.kind, s.mnemonic or s.text) for s in stmts]
    assert kinds == [
        ("label", "Foo:"), ("insn", "LDA"), ("insn", "STA"), ("label", ".loop"), ("insn", "DEX"),
        ("insn", "BNE"), ("other", "!x = $12"), ("insn", "RTL"),
    ]  # fmt: skip
    assert "STA $10 ; clear" in render(stmts)
    assert constants(text) == [0]


def _outcome(instructions: int, reason: str = "RETURNED") -> Any:
    from triforce.generate.execution import Outcome

    return Outcome("s", reason, {}, False, {}, frozenset(), 0, instructions)


def test_state_budget_follows_the_probe_runs_that_returned() -> None:
    from triforce.generate.context import state_budget
    from triforce.generate.execution import MAX_INSTRUCTIONS, STATE_BUDGET

    assert state_budget([_outcome(10), _outcome(50)]) == STATE_BUDGET
    assert state_budget([_outcome(10), _outcome(STATE_BUDGET * 3)]) == STATE_BUDGET * 6
    assert state_budget([_outcome(MAX_INSTRUCTIONS, "INSTRUCTION_LIMIT")]) == STATE_BUDGET
    assert state_budget([_outcome(MAX_INSTRUCTIONS - 1)]) == MAX_INSTRUCTIONS


def test_states_over_budget_are_left_out_of_the_evidence() -> None:
    from triforce.corpus import bundled_corpus
    from triforce.generate.context import build_context, make_subject
    from triforce.generate.execution import STATE_BUDGET, Assembler

    routine = next(r for r in bundled_corpus().routines if r.name == "Loop_Fill")
    subject = make_subject(routine)
    assert not isinstance(subject, Reject)
    (assembled,) = Assembler().assemble_many([subject.code])
    ctx = build_context(subject, assembled, seed=0)
    assert not isinstance(ctx, Reject)
    assert ctx.budget == STATE_BUDGET
    over = [o for o in ctx.outcomes if not o.returned]
    assert over and all(o.reason == "INSTRUCTION_LIMIT" and o.instructions == ctx.budget for o in over)
    good = [o for _, o in ctx.good]
    assert len(good) >= 8 and all(o.instructions <= ctx.budget for o in good)
    # A count of $FFFF (the "ones" edge) does not return within budget; its reads, a whole
    # bank's worth, are not put into every state.
    assert max(len(s.memory) for s in ctx.states) < 64


def test_half_of_the_random_states_have_small_registers() -> None:
    states = [s for s in generate_states(RUPEES, seed=5, n_random=12) if s.name.startswith("rand")]
    small = [s for s in states if s.a < 0x20]
    assert len(states) == 12 and len(small) >= 6


def test_byte_runs_round_trip_and_stay_compact() -> None:
    from triforce.generate.states import byte_runs, from_byte_runs

    values = {
        0x7EFFFE: 1,
        0x7EFFFF: 2,
        0x7F0000: 3,
        0x7E0010: 0xAB,
        **{0x7E2000 + i: 0 for i in range(0x2000)},
    }
    runs = byte_runs(values)
    assert runs["$7EFFFE"] == "010203" and runs["$7E0010"] == "AB" and len(runs) == 3
    assert len(runs["$7E2000"]) == 2 * 0x2000
    assert from_byte_runs(runs) == values
    assert from_byte_runs({"$7E0010": 171}) == {0x7E0010: 0xAB}  # the one-byte-per-key form
    spec = StateSpec("s", memory={0x7E0010: 5, 0x7E0011: 6})
    assert spec.to_json()["memory"] == {"$7E0010": "0506"}
    assert StateSpec.from_json(spec.to_json()).memory == spec.memory

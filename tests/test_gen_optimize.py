"""Optimizer rewrites: kept only when equivalent on widths, decimal mode and carry in/out."""

from __future__ import annotations

from typing import Any

from gen_helpers import recheck, routine, run_text
from triforce.generate.optimize import rewrites, variants
from triforce.generate.synth import WorkOptions, process_routines


def _run(name: str) -> dict[str, Any]:
    return process_routines([(routine(name), ["optimize"])], WorkOptions(seed=0))[0]


def test_stz_kept_when_a_is_dead_and_savings_measured() -> None:
    unit = _run("Test_ClearSub")
    s = next(s for s in unit["samples"] if s["meta"]["rewrite"] == "stz")
    assert s["meta"]["saved_bytes"] == 2  # LDA #$00 (2) + STA abs (3) -> STZ abs (3)
    assert s["meta"]["saved_cycles_mean"] > 0
    assert "STZ $0011" in s["meta"]["exec"]["code"]
    recheck(s)
    # Re-prove equivalence: the slow text gives the same registers, flags and memory.
    ex = s["meta"]["exec"]
    for st in ex["states"]:
        slow = run_text(s["meta"]["slow"], ex["entry"], ex["convention"], st["initial"])
        for k in ("a", "x", "y", "p", "s", "db", "d"):
            assert getattr(slow.final, k) == st["final"][k]


def test_inc_a_rejected_because_of_decimal_mode() -> None:
    unit = _run("Test_Nibble")
    assert not [s for s in unit["samples"] if s["meta"]["rewrite"] == "inc-a"]
    detail = next(r["detail"] for r in unit["rejects"] if r["detail"].startswith("inc-a"))
    assert "decimal" in detail  # only the D-flag states expose ADC's BCD result


def test_inc_a_inverse_rejected_because_carry_is_an_output() -> None:
    unit = _run("Test_Helper")
    detail = next(r["detail"] for r in unit["rejects"] if r["detail"].startswith("inc-a"))
    assert "P=" in detail  # CLC : ADC #1 leaves C (and V) different from INC A


def test_tail_call_equivalent_despite_stack_bytes() -> None:
    unit = _run("Test_Tail")
    s = next(s for s in unit["samples"] if s["meta"]["rewrite"] == "tail-call")
    assert "JMP Test_Helper" in s["meta"]["exec"]["code"]
    assert s["meta"]["saved_bytes"] == 1
    recheck(s)


def test_width_merge_checked_in_both_widths() -> None:
    unit = _run("Test_Wide")
    merged = [s for s in unit["samples"] if s["meta"]["rewrite"] == "merge-width"]
    assert merged
    for s in merged:
        recheck(s)
        states = s["meta"]["exec"]["states"]
        assert {st["initial"]["p"] & 0x01 for st in states} == {0, 1}  # carry in, both ways
        assert any(st["initial"]["p"] & 0x08 for st in states)  # decimal mode


def test_forward_and_inverse_variants() -> None:
    stz = next(rw for rw in rewrites() if rw["id"] == "stz")
    text = "Foo:\n    LDA #$00\n    STA $10\n    STZ $12\n    RTL\n"
    found = variants(text, stz, 8, 8, "Foo")
    directions = sorted(d for d, *_ in found)
    assert directions == ["forward", "inverse"]
    inverse = next(v for v in found if v[0] == "inverse")
    assert "LDA #$00\n    STA $12" in inverse[1]


def test_inverse_sizes_immediates_by_width() -> None:
    stz = next(rw for rw in rewrites() if rw["id"] == "stz")
    text = "Foo:\n    REP #$20\n    STZ $12\n    RTL\n"
    inverse = next(v for v in variants(text, stz, 8, 8, "Foo") if v[0] == "inverse")
    assert "LDA #$0000" in inverse[1]


def test_jump_and_carry_rewrites_are_proposed() -> None:
    by_id = {rw["id"]: rw for rw in rewrites()}
    text = "Foo:\n    CMP #$10\n    BCS .big\n    CLC\n    ADC #$02\n    JMP .done\n.big\n    LDA #$00\n.done\n    RTL\n"
    bra = variants(text, by_id["jmp-to-bra"], 8, 8, "Foo")
    assert [d for d, *_ in bra] == ["forward"] and "BRA .done" in bra[0][2]
    clc = variants(text, by_id["redundant-clc"], 8, 8, "Foo")
    assert len(clc) == 1 and "CLC" not in clc[0][2]  # BCS fell through: C is certainly clear
    unsure = text.replace("BCS .big\n    CLC", "BCS .big\n    LSR A\n    CLC")
    assert not variants(unsure, by_id["redundant-clc"], 8, 8, "Foo")  # LSR sets C: no proposal


def test_width_change_a_caller_needs_is_never_dropped(tmp_path: Any) -> None:
    """Issue 11 item 4: the entry width must not be read off the routine's own top REP and
    that REP then deleted as redundant; its 8-bit caller needs it."""
    from pathlib import Path

    from triforce.corpus import read_corpus

    src = Path(__file__).parent / "data" / "gametasks" / "widths.asm"
    corpus = read_corpus([src], name="widths", origin="original")
    target = next(r for r in corpus.routines if r.name == "Castle_Restore")
    by_id = {rw["id"]: rw for rw in rewrites()}
    text = target.body
    assert target.entry_width.m == 16 and target.entry_width.source == "top"
    # Only a width the callers guarantee makes the REP redundant; the routine's own top REP does not.
    assert variants(text, by_id["redundant-width"], 16, None, "Castle_Restore", caller=(16, None))
    assert not variants(text, by_id["redundant-width"], 16, None, "Castle_Restore")
    unit = process_routines([(target, ["optimize"])], WorkOptions(seed=0))[0]
    dropped = [s for s in unit["samples"] if s["meta"]["rewrite"] in ("redundant-width", "cancel-width")]
    assert not dropped, [s["meta"]["exec"]["code"] for s in dropped]


def test_redundant_width_needs_every_caller_to_agree() -> None:
    from triforce.corpus.model import EntryWidth
    from triforce.generate.optimize import caller_widths

    assert caller_widths(EntryWidth(16, 8, "top")) == (None, None)
    assert caller_widths(EntryWidth(16, 8, "immediates")) == (None, None)
    assert caller_widths(EntryWidth(16, 8, "caller")) == (16, 8)
    by_id = {rw["id"]: rw for rw in rewrites()}
    text = "Foo:\n#_028000:\n    REP #$20\n#_028002:\n    LDA $10\n    RTS\n"
    found = variants(
        text,
        by_id["redundant-width"],
        16,
        8,
        "Foo",
        markers=frozenset({"_028000", "_028002"}),
        caller=(16, 8),
    )
    assert len(found) == 1
    fast = found[0][2]
    assert "REP" not in fast and "#_028000:" not in fast  # no address marker left pointing at nothing
    assert "#_028002:" in fast
    assert not variants(text, by_id["redundant-width"], 16, 8, "Foo", caller=(8, 8))

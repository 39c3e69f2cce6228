"""The bug catalogue: every class is applied and its effect proven on a routine that has a site."""

from __future__ import annotations

from typing import Any

import pytest

from gen_helpers import gen_corpus
from triforce.generate.debug import bug_classes, inject
from triforce.generate.synth import WorkOptions, process_routines


@pytest.fixture(scope="module")
def debug_samples() -> list[dict[str, Any]]:
    units = process_routines([(r, ["debug"]) for r in gen_corpus().routines], WorkOptions(seed=0))
    return [s for u in units for s in u["samples"]]


CLASSES = [bc["id"] for bc in bug_classes()]


def test_catalogue_is_complete() -> None:
    want = {
        "wrong-width-rep", "wrong-width-sep", "missing-clc", "missing-sec", "inverted-branch",
        "off-by-one-compare", "return-mismatch", "unbalanced-phb", "unbalanced-php",
        "long-without-mode", "wrong-bank", "clobbered-register",
    }  # fmt: skip
    assert want <= set(CLASSES)


@pytest.mark.parametrize("bug", CLASSES)
def test_bug_class_is_detected(debug_samples: list[dict[str, Any]], bug: str) -> None:
    found = [s for s in debug_samples if s["meta"]["bug_class"] == bug]
    assert found, f"{bug}: no proven instance"
    for s in found:
        proof = s["meta"]["proof"]
        assert proof["kind"] in ("asar", "exec")
        if proof["kind"] == "exec":
            assert proof["differences"], bug
        assert s["meta"]["buggy"] != s["meta"]["exec"]["code"]


def test_long_addressing_is_proven_by_asar(debug_samples: list[dict[str, Any]]) -> None:
    s = next(s for s in debug_samples if s["meta"]["bug_class"] == "long-without-mode")
    assert s["meta"]["proof"]["kind"] == "asar"
    assert "STZ $7E0010" in s["meta"]["buggy"]
    assert "error" in s["messages"][1]["content"]


def test_wrong_bank_needs_a_different_data_bank(debug_samples: list[dict[str, Any]]) -> None:
    s = next(s for s in debug_samples if s["meta"]["bug_class"] == "wrong-bank")
    assert s["meta"]["proof"]["state"]["db"] != 0x7E


def test_bug_without_effect_is_rejected() -> None:
    from gen_helpers import routine

    # In Test_Wide the REP #$20 is followed by REP #$10 ... dropping the X bit of a REP #$10
    # that an adjacent instruction repeats has no effect: it must be rejected, not shipped.
    units = process_routines([(routine("Test_Wide"), ["debug"])], WorkOptions(seed=0))
    reasons = {r["reason"] for r in units[0]["rejects"]}
    assert "no-effect" in reasons


def test_inject_only_edits_one_site() -> None:
    text = "Foo:\n    CLC\n    ADC #$01\n    CLC\n    ADC #$02\n    RTL\n"
    missing_clc = next(bc for bc in bug_classes() if bc["id"] == "missing-clc")
    variants = inject(text, missing_clc)
    assert len(variants) == 2
    for buggy, info in variants:
        assert buggy.count("CLC") == 1 and info["was"] == "CLC"


def test_a_runaway_bug_is_shown_with_the_limit_it_ran_past() -> None:
    import re

    from triforce.corpus import bundled_corpus
    from triforce.generate.verify import state_of
    from triforce.snes.asar import assemble
    from triforce.snes.machine import run_routine

    loop_fill = next(r for r in bundled_corpus().routines if r.name == "Loop_Fill")
    (unit,) = process_routines([(loop_fill, ["debug"])], WorkOptions(seed=0))
    runaway = [
        s
        for s in unit["samples"]
        if s["meta"]["proof"].get("actual", {}).get("reason") == "INSTRUCTION_LIMIT"
    ]
    assert runaway
    for s in runaway:
        m = re.search(
            r"still running after (\d+) instructions, where the correct routine returns after (\d+)",
            s["messages"][1]["content"],
        )
        assert m, s["messages"][1]["content"]
        limit, correct = int(m.group(1)), int(m.group(2))
        assert limit == 4 * correct + 1_000
        state = state_of(s["meta"]["proof"]["state"])
        for code, want in (
            (s["meta"]["buggy"], "instruction_limit"),
            (s["meta"]["exec"]["code"], "returned"),
        ):
            res = assemble(code, org=0x008000, stubs=True)
            run = run_routine(
                res, entry=res.symbols["Loop_Fill"], state=state, convention="jsl", max_instructions=limit
            )
            assert run.reason == want
            if want == "returned":
                assert run.instructions == correct


def _fixture_debug() -> list[dict[str, Any]]:
    from pathlib import Path

    from triforce.corpus import read_corpus

    src = Path(__file__).parent / "data" / "gametasks" / "debugmarkers.asm"
    corpus = read_corpus([src], name="markers", origin="original")
    units = process_routines([(r, ["debug"]) for r in corpus.routines], WorkOptions(seed=0))
    return [s for u in units for s in u["samples"]]


def test_no_trace_of_the_edit_in_the_buggy_listing() -> None:
    """Issue 11 item 5: a deleted line must not leave its address marker behind (`#_02B997:`
    with nothing after it), and the listing's markers must not show where the edit was."""
    import re

    samples = _fixture_debug()
    deleted = [s for s in samples if s["meta"]["bug_class"] == "missing-clc"]
    assert deleted
    for s in samples:
        for text in (s["meta"]["buggy"], s["meta"]["exec"]["code"], s["messages"][1]["content"]):
            assert not re.search(r"^#_[0-9A-F]{6}:", text, re.MULTILINE), text
        user = s["messages"][1]["content"]
        assert "should" not in user.split("```")[0]  # no "This routine should clobbers ..."
        assert "Purpose: Advances the step counter" in user or "Loop_Store" in user


def test_clobbered_register_only_where_the_pair_saves_the_callers_value() -> None:
    """A PHY/PLY pair inside a loop keeps Y across passes; removing it is not "the caller's
    value is lost", so that diagnosis must not be shipped for it."""
    samples = _fixture_debug()
    assert not [
        s
        for s in samples
        if s["meta"]["bug_class"] == "clobbered-register" and s["meta"]["routine"] == "Loop_Store"
    ]

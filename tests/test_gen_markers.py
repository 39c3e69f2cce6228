"""Disassembly-style sources: `#_BBAAAA:` address markers on every line, sized immediates.

usdasm, the plan's main source, writes every instruction as `#_00EE78: REP #$20`. Those labels
are reached by no code, so they must not hide instructions from the generators, stop a rewrite
or reset the tracked widths; and sized immediates say which widths a routine expects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gen_helpers import recheck
from triforce.corpus import read_corpus
from triforce.generate.asmtext import next_insn, parse, render
from triforce.generate.context import make_subject
from triforce.generate.synth import GENERATORS, WorkOptions, process_routines
from triforce.generate.widths import track

DATA = Path(__file__).parent / "data" / "markers"
BODY = "Main:\n#_00A000: REP #$20\n#_00A002: LDA.w #$0000\nUsed:\n#_00A005: STA.l $7E0010\n#_00A009: RTL\n"


@pytest.fixture(scope="module")
def corpus() -> Any:
    return read_corpus([DATA], name="markers")


def test_a_marker_is_a_label_that_does_not_stop_rewrites_or_widths() -> None:
    plain = parse(BODY)
    assert [s.kind for s in plain[:3]] == ["label", "label", "insn"]  # `#_00A000:` then REP
    marked = parse(BODY, frozenset({"_00A000", "_00A002", "_00A005", "_00A009"}))
    kinds = [s.kind for s in marked]
    assert kinds == ["label", "marker", "insn", "marker", "insn", "label", "marker", "insn", "marker", "insn"]
    assert render(marked) == render(plain)  # the text keeps every marker
    rep, lda = 2, 4
    assert next_insn(plain, rep) is None and next_insn(marked, rep) == lda
    assert next_insn(marked, lda) is None  # `Used:` is a real label
    assert track(marked, 8, 8, entry_label="Main")[lda] == (16, 8)
    assert track(plain, 8, 8, entry_label="Main")[lda] == (None, None)


def test_the_reader_records_what_the_tree_refers_to_and_sized_immediates(corpus: Any) -> None:
    by_name = {r.name: r for r in corpus.routines}
    clear = by_name["Scratch_Clear"]
    assert "next" in clear.tree_refs and "_0FA016" not in clear.tree_refs
    assert (clear.entry_width.m, clear.entry_width.x, clear.entry_width.source) == (16, 8, "immediates")
    subject = make_subject(clear)
    assert not isinstance(subject, str)
    assert {"_0FA016", "_0FA018", "_0FA01B", "_0FA023"} <= subject.markers  # type: ignore[union-attr]


def test_markers_referred_to_by_code_stay_labels(corpus: Any) -> None:
    from triforce.generate.context import marker_labels

    routine = next(r for r in corpus.routines if r.name == "Scratch_Clear")
    code = "Scratch_Clear:\n#_0FA016: LDX.b #$0E\n#_0FA018: BRA _0FA016\n"
    assert marker_labels(routine, code) == frozenset({"_0FA018"})


def test_every_generator_works_on_marked_routines(corpus: Any) -> None:
    units = process_routines([(r, list(GENERATORS)) for r in corpus.routines], WorkOptions(seed=0))
    samples = [s for u in units for s in u["samples"]]
    made = Counter(s["meta"]["generator"] for s in samples)
    assert {"base", "debug", "optimize", "hook", "doc"} <= set(made), made
    for s in samples:
        assert recheck(s, max_states=0) == s["verification"]["states_tested"]
    namespaced = [s for s in samples if s["meta"]["routine"].endswith("Pay")]  # defined as Shop_Pay
    assert namespaced and namespaced[0]["meta"]["exec"]["entry"] == "Pay"  # re-checked above all the same
    sram = [s for s in samples if s["meta"]["routine"] == "SaveSlot_LoadRupees"]
    assert sram and all(s["meta"]["exec"]["sram_size"] == 0x2000 for s in sram)  # runs on cartridge SRAM
    hook = next(s for s in samples if s["meta"]["generator"] == "hook")
    body = hook["messages"][2]["content"].rsplit("freecode", 1)[1]  # the hook routine, in free space
    assert "_Hook:" in body and "#_0F" not in body

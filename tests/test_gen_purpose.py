"""Issue 11: base/debug/doc prompts state a purpose (a real doc comment, or what the code does,
never an author's TODO note); examples show no stack bytes; registers are named."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from triforce.generate.synth import WorkOptions, process_routines

SRC = Path(__file__).parent / "data" / "gametasks" / "purpose.asm"


@cache
def _samples() -> list[dict[str, Any]]:
    from triforce.corpus import read_corpus

    corpus = read_corpus([SRC], name="purpose", origin="original")
    units = process_routines([(r, ["base", "doc", "debug"]) for r in corpus.routines], WorkOptions(seed=0))
    return [s for u in units for s in u["samples"]]


def _user(s: dict[str, Any]) -> str:
    return str(s["messages"][1]["content"])


def _of(routine: str, generator: str) -> list[dict[str, Any]]:
    return [s for s in _samples() if s["meta"]["routine"] == routine and s["meta"]["generator"] == generator]


def test_author_notes_are_not_a_purpose() -> None:
    (base,) = _of("Sprite_Slide", "base")
    user = _user(base)
    assert "TODO" not in user and "analyze" not in user
    # What the code does, by the operands it uses: indexed, so it holds for every sprite slot.
    assert "Purpose (read from its code" in user
    assert "$0D00,X" in user and "$0E40,X" in user


def test_real_doc_comment_is_the_purpose() -> None:
    (base,) = _of("Bomb_Refill", "base")
    assert "Purpose: Adds the bomb refill to the bomb count." in _user(base)
    for s in _of("Bomb_Refill", "debug"):
        assert "Purpose: Adds the bomb refill" in _user(s)
    (doc,) = _of("Bomb_Refill", "doc")
    assert "Purpose: Adds the bomb refill" in doc["messages"][2]["content"]


def test_examples_show_no_stack_bytes() -> None:
    (base,) = _of("Bomb_Refill", "base")
    example = next(line for line in _user(base).splitlines() if line.startswith("Example"))
    assert not re.search(r"\[\$7E01[0-9A-F]{2}\]", example), example  # PHA/PLA and the return address


def test_hardware_registers_are_named() -> None:
    (doc,) = _of("Mul_Three", "doc")
    answer = doc["messages"][2]["content"]
    assert "WRMPYA $4202" in answer and "RDMPYL $4216" in answer
    assert "$7E4216" not in answer
    (base,) = _of("Mul_Three", "base")
    assert "WRMPYA $4202" in _user(base)


def test_joypad_evidence_is_not_shipped() -> None:
    """A routine whose result depends on the joypad has no deterministic evidence: rejected."""
    from triforce.corpus import read_corpus

    path = Path(__file__).parent / "data" / "gametasks" / "pad.asm"  # LDA $004218 (JOY1L)
    corpus = read_corpus([path], name="pad", origin="original")
    (unit,) = process_routines([(corpus.routines[0], ["base", "doc"])], WorkOptions(seed=0))
    assert not unit["samples"]
    # Rejected by the build's audit gate (untrue:nondeterministic-read) or earlier, by execution.
    assert unit["rejects"] and all("nondeterministic" in r["reason"] for r in unit["rejects"])


def test_doc_memory_facts_generalise_to_the_indexed_operand() -> None:
    """`$0D00,X`, not the union of the slots the random states happened to pick."""
    from gen_helpers import recheck

    (doc,) = _of("Sprite_Slide", "doc")
    answer = doc["messages"][2]["content"]
    written = next(line for line in answer.splitlines() if line.startswith("- Memory written:"))
    assert "$0D00,X" in written and "$0E40,X" in written
    assert "$7E0D" not in written and "$7E0E" not in written, written
    recheck(doc, max_states=0)  # dataset verify derives the same lines


def test_flag_effects_only_where_states_cover_both_values() -> None:
    from triforce.generate.doc import fact_lines

    f = {
        "exit_m": [], "exit_x": [], "registers_changed": [], "registers_preserved": [],
        "flags_changed": ["C"], "flags_covered": ["C", "Z"], "reads": [], "writes": [], "mmio": [],
        "cycles": [1, 1, 1.0], "instructions": [1, 1], "states": 3,
    }  # fmt: skip
    line = next(x for x in fact_lines(f) if "Flags" in x)
    assert (
        line
        == "- Flags it can change: C (not determined for N, V, D, I: no test state entered with both values)."
    )


def test_no_purpose_no_task() -> None:
    """A routine with no doc comment, no memory and no calls has nothing to state its purpose:
    no base, debug or doc task is made of it."""
    from triforce.corpus import read_corpus

    path = Path(__file__).parent / "data" / "gametasks" / "nopurpose.asm"
    corpus = read_corpus([path], name="nopurpose", origin="original")
    (unit,) = process_routines([(corpus.routines[0], ["base", "debug", "doc"])], WorkOptions(seed=0))
    assert not unit["samples"]

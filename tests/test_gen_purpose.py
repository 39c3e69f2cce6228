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
    (doc,) = _of("Pad_Latch", "doc")
    answer = doc["messages"][2]["content"]
    assert "JOY1L $4218" in answer
    assert "$7E4218" not in answer
    (base,) = _of("Pad_Latch", "base")
    assert "JOY1L $4218" in _user(base)

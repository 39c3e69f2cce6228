"""Issue 11 (base): a whole data table is context, not an answer. A routine followed by a 40-line
table is asked for with the table given in the prompt and answered with its code only; `dataset
verify` re-proves the sample from the prompt's table and the answer together. The fixture is
written for this test."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from gen_helpers import recheck
from triforce.generate.base import GIVEN_TEXT_LINES, data_tables, given_text, split_tables, with_tables
from triforce.generate.synth import WorkOptions, process_routines
from triforce.generate.verify import check_sample

SRC = Path(__file__).parent / "data" / "gametasks" / "tables.asm"


@cache
def _bases() -> dict[str, dict[str, Any]]:
    from triforce.corpus import read_corpus

    corpus = read_corpus([SRC], name="tables", origin="original")
    units = process_routines([(r, ["base"]) for r in corpus.routines], WorkOptions(seed=0))
    return {s["meta"]["routine"]: json.loads(json.dumps(s)) for u in units for s in u["samples"]}


def test_long_table_is_given_in_the_prompt_not_recited() -> None:
    s = _bases()["Enemy_HitPoints"]
    user, answer = s["messages"][1]["content"], s["messages"][2]["content"]
    assert "db $01, $08, $0F, $16" in user and "db $59, $60, $67, $6E" in user  # first and 40th line
    assert ".hit_points:" in user
    assert " db " not in answer and "LDA.l .hit_points,X" in answer
    assert answer.count("\n") < 20
    (table,) = s["meta"]["given"]
    assert table["label"] == ".hit_points" and table["lines"] == 41
    # What was assembled and run holds the table: prompt context + answer = the record.
    assert ".hit_points:\n    db $01" in s["meta"]["exec"]["code"]
    recheck(s, max_states=0)


def test_short_table_stays_in_the_answer() -> None:
    s = _bases()["Dir_Speed"]
    assert "db $01, $02, $03, $04" in s["messages"][2]["content"]
    assert "given" not in s["meta"]


def test_verify_needs_the_table_in_the_prompt() -> None:
    s = json.loads(json.dumps(_bases()["Enemy_HitPoints"]))
    s["messages"][1]["content"] = s["messages"][1]["content"].replace("db $3D, $44, $4B, $52\n", "")
    problems, _ = check_sample(s, max_states=2)
    assert problems and "not given in the user message" in problems[0]


def test_split_and_put_back() -> None:
    code = (
        "A:\n    LDA.l .t,X\n    RTL\n\n.t:\n"
        + "".join(f"    dw ${i:04X}\n" for i in range(9))
        + "B:\n    RTS\n"
    )
    assert data_tables(code) == [(4, 14)]
    answer, given = split_tables(code)
    assert answer == "A:\n    LDA.l .t,X\n    RTL\n\nB:\n    RTS\n"
    assert with_tables(answer, given) == code
    # Long tables are named (with the ROM address of the tree's marker), not printed.
    big = [{"at": 0, "label": "Big", "lines": GIVEN_TEXT_LINES + 1, "text": "Big:\n#_0EE000: db $00"}]
    assert given_text(big) == (
        "Given (already in the ROM, where the code expects them; do not write them out): "
        f"the table `Big` at $0EE000 ({GIVEN_TEXT_LINES + 1} lines of data)."
    )


def test_example_names_the_hardware_registers_it_writes() -> None:
    from triforce.corpus import read_corpus

    corpus = read_corpus([SRC.parent / "dma.asm"], name="dma", origin="original")
    upload = next(r for r in corpus.routines if r.name == "Tiles_Upload")
    (unit,) = process_routines([(upload, ["base"])], WorkOptions(seed=0))
    (s,) = unit["samples"]
    example = next(ln for ln in s["messages"][1]["content"].splitlines() if ln.startswith("Example"))
    assert "VMAIN $2115=$80" in example and "[$002115]" not in example, example


def test_a_long_block_of_several_tables_names_each() -> None:
    rows = "".join(f"#_0E00{i:02X}: db ${i:02X}\n" for i in range(GIVEN_TEXT_LINES))
    code = "A:\n    LDA.l Xs,X\n    ORA.l Ys,X\n    RTL\nXs:\n" + rows + "Ys:\n" + rows
    answer, given = split_tables(code)
    assert answer == "A:\n    LDA.l Xs,X\n    ORA.l Ys,X\n    RTL\n"
    (table,) = given
    assert table["labels"] == ["Xs", "Ys"]
    assert given_text(given).endswith(
        f"the tables `Xs` and `Ys` at $0E0000 ({2 * GIVEN_TEXT_LINES + 2} lines of data)."
    )

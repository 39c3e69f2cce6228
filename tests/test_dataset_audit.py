"""`triforce dataset audit` (issue 11): each defect class is found in a sample that has it, and
not in the same sample written correctly. The tree is a fixture written for this test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dataset_factory import make
from triforce.cli import app
from triforce.errors import InputError
from triforce.generate.audit import CLASSES, TreeFacts, audit, audit_sample, facts_for_tree

TREE = Path(__file__).parent / "data" / "gametasks" / "audit_tree"
runner = CliRunner()


@pytest.fixture(scope="module")
def facts() -> TreeFacts:
    return facts_for_tree(TREE)


def sample(
    code: str,
    generator: str = "base",
    user: str = "Purpose: Moves the sprite.\nWrite it.",
    assistant: str = "done",
    db: int = 0x7E,
    **meta: Any,
) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        "meta": {
            "generator": generator,
            "routine": meta.pop("routine", "X"),
            "exec": {
                "code": code,
                "entry": meta.pop("entry", "X"),
                "stubs": meta.pop("stubs", {}),
                "states": [{"initial": {"db": db}, "final": {}}],
            },
            **meta,
        },
    }


FALL_WRONG = "Zirro_HandleMovement:\n    LDA $0D00,X\n    STA $0D00,X\nSprite_Move:\n    RTS\n"
FALL_RIGHT = "Zirro_HandleMovement:\n    LDA $0D00,X\n    STA $0D00,X\nZirro_Animate:\n    RTS\n"
TABLE = "Zirro_Speed:\n    LDA.w Zirro_SpeedTable,Y\n    RTS\nZirro_SpeedTable:\n    db $01, $02\n"


def test_fall_through_must_follow_rom_order(facts: TreeFacts) -> None:
    assert facts.successor["Zirro_HandleMovement"] == "Zirro_Animate"
    assert "fall-through" in audit_sample(sample(FALL_WRONG), facts)
    assert "fall-through" not in audit_sample(sample(FALL_RIGHT), facts)


def test_table_read_through_a_wram_data_bank(facts: TreeFacts) -> None:
    assert "db-table-read" in audit_sample(sample(TABLE, db=0x7E), facts)
    assert "db-table-read" not in audit_sample(sample(TABLE, db=0x1E), facts)
    set_db = TABLE.replace("Zirro_Speed:\n", "Zirro_Speed:\n    PHK\n    PLB\n")
    assert "db-table-read" not in audit_sample(sample(set_db), facts)


def test_io_register_read_or_written_up_as_wram(facts: TreeFacts) -> None:
    code = "Pad_Read:\n    LDA $4218\n    RTS\n"
    assert "io-as-wram" in audit_sample(sample(code), facts)
    assert "io-as-wram" not in audit_sample(sample(code.replace("$4218", "$004218")), facts)
    doc = sample(
        "Pad_Read:\n    LDA.l $004218\n    RTS\n",
        "doc",
        assistant="Purpose: x.\n- Memory read: $7E4218-$7E4219.",
    )
    assert "io-as-wram" in audit_sample(doc, facts)


def test_stub_valued_immediate(facts: TreeFacts) -> None:
    code = "Face_Up:\n    LDA.b #Up\n    STA $2F\n    RTS\n"
    assert "stub-immediate" in audit_sample(sample(code, stubs={"Up": {"address": "$008010"}}), facts)
    assert "stub-immediate" not in audit_sample(sample(code), facts)


def test_width_rewrite_a_caller_contradicts(facts: TreeFacts) -> None:
    slow = "Castle_Restore:\n    REP #$20\n    LDA $0600\n    STA $E2\n    SEP #$20\n    RTS\n"
    fast = slow.replace("    REP #$20\n", "", 1)
    bad = sample(fast, "optimize", rewrite="redundant-width", slow=slow, entry="Castle_Restore")
    assert "width-contradicted" in audit_sample(bad, facts)
    # Dropping the second of two identical REPs is redundant under any entry width.
    slow2 = slow.replace("REP #$20\n", "REP #$20\n    REP #$20\n", 1)
    ok = sample(slow, "optimize", rewrite="redundant-width", slow=slow2, entry="Castle_Restore")
    assert "width-contradicted" not in audit_sample(ok, facts)
    # Also across an address marker no code refers to (a disassembly's `#_1DCFAE:`): it is no join.
    slow3 = slow.replace("    LDA $0600\n", "    LDA $0600\n#_1DCFAE:\n    REP #$20\n", 1)
    ok3 = sample(slow, "optimize", rewrite="redundant-width", slow=slow3, entry="Castle_Restore")
    assert "width-contradicted" not in audit_sample(ok3, facts)


def test_marker_leak(facts: TreeFacts) -> None:
    leaked = "X:\n#_02B997:\n#_02B998:\n    ADC #$01\n    RTL\n"
    s = sample("X:\n    RTL\n", "debug", user=f"Purpose: Adds one.\n```asm\n{leaked}```")
    assert audit_sample(s, facts)["marker-leak"] == ["#_02B997:"]
    clean = sample(
        "X:\n    RTL\n", "debug", user="Purpose: Adds one.\n```asm\nX:\n#_02B998:\n    ADC #$01\n    RTL\n```"
    )
    assert "marker-leak" not in audit_sample(clean, facts)


def test_hook_placement(facts: TreeFacts) -> None:
    after = "Foo:\n    LDA $10\n    RTL\nFoo_Hook:\n    LDA $10\n    RTL\n\npushpc\norg Foo\n    JSL Foo_Hook\npullpc\n"
    assert "hook-outside-free-space" in audit_sample(sample(after, "hook"), facts)
    free = after.replace("Foo_Hook:\n", "freecode\nFoo_Hook:\n")
    assert "hook-outside-free-space" not in audit_sample(sample(free, "hook"), facts)
    declared = after.replace("Foo_Hook:\n", "org $3FF000\nFoo_Hook:\n")
    assert "hook-outside-free-space" in audit_sample(sample(declared, "hook"), facts)
    ok = sample(declared, "hook", free_regions=["$3FF000"])
    assert "hook-outside-free-space" not in audit_sample(ok, facts)


def test_nondeterministic_reads(facts: TreeFacts) -> None:
    for code in (
        "Rand_Get:\n    LDA OPHCT\n    RTS\n",
        "Rand_Get:\n    LDA.l $00213C\n    RTS\n",
        "X:\n    LDA JOY1L\n    RTS\n",
    ):
        assert "nondeterministic-read" in audit_sample(sample(code), facts), code
    assert "nondeterministic-read" not in audit_sample(sample("X:\n    STA.l $004210\n    RTS\n"), facts)


def test_prompt_without_purpose(facts: TreeFacts) -> None:
    code = "X:\n    RTS\n"
    assert "no-purpose" in audit_sample(sample(code, user="Write a routine `X`."), facts)
    todo = "Purpose: TODO analyze this further not complex though.\nWrite it."
    assert "no-purpose" in audit_sample(sample(code, user=todo), facts)
    assert "no-purpose" not in audit_sample(sample(code), facts)
    assert "no-purpose" not in audit_sample(sample(code, "optimize"), facts)


def test_counts_and_rates(facts: TreeFacts) -> None:
    rows = [
        sample(FALL_WRONG),
        sample(FALL_RIGHT),
        sample(TABLE),
        {"messages": [], "meta": {"generator": "lore"}},
    ]
    rep = audit(rows, facts).to_json()
    assert rep["samples"] == 4 and rep["audited"] == 3 and rep["defective"] == 2
    assert rep["classes"]["fall-through"] == {"count": 1, "rate": round(1 / 3, 4)}
    assert set(rep["classes"]) == set(CLASSES)


def _as_file(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "samples.jsonl"
    base = make(routine="X").model_dump(mode="json")
    with path.open("w") as fh:
        for r in rows:
            fh.write(json.dumps({**base, "messages": r["messages"], "meta": r["meta"]}) + "\n")
    return path


def test_cli_json_and_exit_code(tmp_path: Path) -> None:
    bad = _as_file(tmp_path, [sample(FALL_WRONG), sample(FALL_RIGHT)])
    res = runner.invoke(app, ["dataset", "audit", str(bad), "--tree", str(TREE), "--json"])
    assert res.exit_code == 1, res.output
    rep = json.loads(res.output)
    assert rep["classes"]["fall-through"]["count"] == 1 and rep["audited"] == 2
    good = _as_file(tmp_path, [sample(FALL_RIGHT)])
    res = runner.invoke(app, ["dataset", "audit", str(good), "--tree", str(TREE)])
    assert res.exit_code == 0, res.output
    assert "fall-through" in res.output
    res = runner.invoke(app, ["dataset", "audit", str(good), "--tree", str(tmp_path / "nope")])
    assert isinstance(res.exception, InputError) and "nope" in str(res.exception)


def test_build_ships_nothing_the_audit_flags(facts: TreeFacts) -> None:
    """The fixture tree reproduces the defect classes (table read through the data bank, joypad
    and H-counter reads, a tree constant, a caller-needed width): whatever the generators make
    of it, what they ship passes the audit."""
    from triforce.corpus import read_corpus
    from triforce.generate.synth import WorkOptions, process_routines

    corpus = read_corpus([TREE], name="audit-fixture", origin="original")
    gens = ["base", "debug", "optimize", "hook", "doc"]
    units = process_routines([(r, gens) for r in corpus.routines], WorkOptions(seed=0))
    shipped = [s for u in units for s in u["samples"]]
    rep = audit(shipped, facts)
    assert rep.defective == 0, rep.to_json()["examples"]
    assert shipped  # the clean routines still yield

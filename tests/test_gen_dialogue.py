"""The dialogue generator: every sample proven by the text engine, re-proven from its assistant
message by `check` (so an edited answer fails), deterministic, and fed by a usdasm tree (the
game's dictionary, vanilla messages) or a hack's bundles (fix samples) when given."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from text_fixtures import DICTIONARY, write_usdasm
from triforce.generate.build import BuildOptions, run_build
from triforce.generate.dialogue import PER_VOICE, DialogueGenerator, catalogue, draft
from triforce.generate.domain import Source, load_generator
from triforce.generate.routines import load_routines
from triforce.generate.verify import verify_samples
from triforce.text import check_text, voice

GEN = DialogueGenerator()


def _run(units: list[Any], seed: int = 0) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for u in units:
        res = GEN.run(u, seed)
        rows += [s.model_dump(mode="json") for s in res.samples]
    return rows


@pytest.fixture(scope="module")
def bundled() -> list[dict[str, Any]]:
    units = GEN.units([], 0)
    picked = [u for u in units if u.key.endswith(":000") or u.key.endswith(":001")]
    return _run(picked)


def test_registered_and_bundled_units() -> None:
    assert isinstance(load_generator("dialogue"), DialogueGenerator)
    units = GEN.units([], 0)
    assert len(units) == PER_VOICE * len(catalogue()["voices"])
    assert len({u.key for u in units}) == len(units)


def test_every_task_every_voice_and_all_proven(bundled: list[dict[str, Any]]) -> None:
    assert {r["task"] for r in bundled} == set(GEN.tasks)
    assert {r["meta"]["dialogue"].get("voice") for r in bundled if r["task"] == "dialogue.voice"} == set(
        voice.voices()
    )
    for row in bundled:
        assert GEN.check(row) == [], row["task"]
        assert row["source"] == "dialogue-patterns" and row["domain"] == "farore"
        assert row["provenance"]["origin"] == "original"


def test_deterministic(bundled: list[dict[str, Any]]) -> None:
    again = _run([u for u in GEN.units([], 0) if u.key.endswith(":000") or u.key.endswith(":001")])
    assert [r["id"] for r in again] == [r["id"] for r in bundled]
    other = _run([GEN.units([], 5)[0]], seed=5)
    assert other[0]["id"] != bundled[0]["id"]


def _answer(row: dict[str, Any]) -> str:
    return str(row["messages"][-1]["content"])


def _with_answer(row: dict[str, Any], text: str) -> dict[str, Any]:
    out = copy.deepcopy(row)
    out["messages"][-1]["content"] = text
    return out


def _one(rows: list[dict[str, Any]], task: str) -> dict[str, Any]:
    return next(r for r in rows if r["task"] == task)


def test_check_rejects_edited_answers(bundled: list[dict[str, Any]]) -> None:
    voice_row = _one(bundled, "dialogue.voice")
    ans = _answer(voice_row)
    direction = voice_row["meta"]["dialogue"]["facts"][1]  # one word: never split over two lines
    assert direction in ans
    edited = _with_answer(voice_row, ans.replace(direction, "up"))
    assert f"does not mention {direction!r}" in GEN.check(edited)
    longer = ans.replace("[2]", " and then some more words that run far past the edge [2]", 1)
    assert GEN.check(_with_answer(voice_row, longer))
    lying = ans.replace(" lines, the widest ", " lines, the widest 1", 1)
    assert any("the answer says" in p for p in GEN.check(_with_answer(voice_row, lying)))
    fit_row = _one(bundled, "dialogue.fit")
    assert "the words differ from the text it had to keep" in GEN.check(
        _with_answer(fit_row, _answer(fit_row).replace(" the ", " a ", 1))
    )
    enc = _one(bundled, "dialogue.encode")
    assert GEN.check(_with_answer(enc, _answer(enc).replace("$59", "$5A", 1)))
    dec = _one(bundled, "dialogue.decode")
    assert GEN.check(_with_answer(dec, _answer(dec).replace("e", "a", 1)))
    fix = _one(bundled, "dialogue.fix")
    assert GEN.check(_with_answer(fix, _answer(fix).replace("Line ", "Line 9", 1)))
    assert GEN.check(_with_answer(fix, "I cannot.\nSorry.")) == ["no ```text block in the answer"]


def test_drafts_fill_every_slot_and_fit() -> None:
    import random

    rng = random.Random(1)
    for name in catalogue()["voices"]:
        d = draft(name, rng)
        assert "{" not in d.text and d.facts


def test_a_usdasm_source_brings_the_dictionary_and_the_vanilla_messages(tmp_path: Path) -> None:
    root = write_usdasm(tmp_path / "usdasm")
    units = GEN.units([Source(root, "vanilla-disassembly")], 0)
    vanilla = [u for u in units if u.key.startswith("vanilla:")]
    assert len(vanilla) == 3
    rows = _run([*vanilla, units[0]])
    van = [r for r in rows if r["provenance"]["origin"] == "vanilla-disassembly"]
    assert {r["task"] for r in van} == {"dialogue.decode", "dialogue.encode"}
    coded = [r for r in rows if r["task"] in ("dialogue.encode", "dialogue.decode")]
    assert all(r["meta"]["dialogue"]["dictionary"] == DICTIONARY for r in coded)
    assert all(r["provenance"]["origin"] == "vanilla-disassembly" for r in coded)
    assert all(r["meta"]["dialogue"]["dictionary"] is None for r in rows if r not in coded)
    enc = next(r for r in van if r["task"] == "dialogue.encode" and "Welcome" in r["messages"][1]["content"])
    assert "db $8C, $1C, $28, $26, $1E" in _answer(enc)  # [Wel]come: greedy with the game's dictionary
    for row in rows:
        assert GEN.check(row) == []


def test_a_hack_tree_gives_fix_samples_for_real_overflows(tmp_path: Path) -> None:
    bundles = tmp_path / "hack" / "Data" / "dialogue"
    bundles.mkdir(parents=True)
    msgs = [
        {
            "id": 5,
            "bank": "expanded",
            "raw": "[W:02]My beans just love a good storm.[V]It makes them grow![K]",
        },
        {"id": 6, "bank": "expanded", "raw": "Fine.[K]"},
        {"id": 7, "bank": "expanded", "text": "[D:01]n"},
    ]
    (bundles / "npc.json").write_text(
        json.dumps({"format": "yaze-message-bundle", "version": 1, "messages": msgs})
    )
    units = GEN.units([Source(tmp_path / "hack", "rom-hack")], 0)
    assert [u.key for u in units] == [f"hack:hack:npc.json:{i:03d}" for i in range(3)]
    results = [GEN.run(u, 0) for u in units]
    first = [s.model_dump(mode="json") for s in results[0].samples]
    assert [r["task"] for r in first] == ["dialogue.decode", "dialogue.fix"]
    fix = first[1]
    assert "Line 1 is 177 px; the box holds 168 (the word storm. crosses the edge)" in _answer(fix)
    assert fix["provenance"]["origin"] == "rom-hack" and fix["provenance"]["routine"] == "$192"
    assert all(GEN.check(r) == [] for r in first)
    assert [s.task for s in results[1].samples] == ["dialogue.decode"]  # one line: nothing to fix
    assert results[2].rejects[0]["reason"] == "needs-dictionary"


def test_build_and_dataset_verify(tmp_path: Path) -> None:
    report = run_build(
        load_routines([], required=False),
        tmp_path,
        BuildOptions(generators=["dialogue"], limit_per_type=25, workers=1),
    )
    assert report["per_generator"]["dialogue"]["kept"] == 25
    rows = [json.loads(x) for x in (tmp_path / "samples.jsonl").read_text().splitlines()]
    result = verify_samples(rows)
    assert result.checked == result.passed == 25
    rows[0]["messages"][-1]["content"] = rows[0]["messages"][-1]["content"].replace(
        "\n[2]", "\n[2]" + "W" * 25, 1
    )
    assert verify_samples(rows).passed == 24


def test_generated_messages_lay_out_cleanly(bundled: list[dict[str, Any]]) -> None:
    from triforce.text.extract import extract_message

    for row in bundled:
        if row["task"] in ("dialogue.voice", "dialogue.fit", "dialogue.fix"):
            message = extract_message(_answer(row))
            assert message is not None and check_text(message).clean

"""The dialogue suite and grader: every reference passes, typical wrong answers fail (sensitivity),
answers are read in any spelling the text engine accepts, and dataset decontamination finds a
training sample that copies an item."""

from __future__ import annotations

from pathlib import Path

from triforce.dataset.decontam import decontaminate
from triforce.evaluate.graders import grade
from triforce.evaluate.sensitivity import measure
from triforce.evaluate.suite import SUITES_DIR, load_suite
from triforce.generate.dialogue import DialogueGenerator
from triforce.generate.domain import Unit
from triforce.sample import Message, Provenance, Sample

SUITE = load_suite("dialogue")


def test_suite_size_tasks_and_references() -> None:
    assert len(SUITE.items) >= 50
    tasks = {i.grading["task"] for i in SUITE.items}
    assert tasks == {"voice", "write", "fit", "fix", "encode", "decode"}
    for item in SUITE.items:
        assert item.category == "dialogue"
        verdict = grade(item.grading, item.reference)
        assert verdict.passed, (item.id, verdict.reason)


def test_sensitivity_on_mutated_wrong_answers() -> None:
    report = measure(SUITE.items)
    assert report.items == len(SUITE.items) and report.mutants >= 200
    assert report.sensitivity >= 0.99, [(m.item_id, m.operator) for m in report.survivors]
    assert not report.items_without_kill


def _item(prefix: str) -> object:
    return next(i for i in SUITE.items if i.id.startswith(prefix))


def test_wrong_answers_say_why() -> None:
    fit = SUITE.by_id()["dialogue.fit.01"]
    one_line = "```text\n" + fit.grading["words"] + "\n```"
    verdict = grade(fit.grading, one_line)
    assert (
        not verdict.passed and verdict.code == "invalid-format" and "px; the box holds 168" in verdict.reason
    )
    voice = SUITE.by_id()["dialogue.voice.01"]  # Bramble, Lake Hylia, east
    verdict = grade(voice.grading, voice.reference.replace("east", "west"))
    assert verdict.code == "fact-contradiction" and "'east'" in verdict.reason
    assert grade(voice.grading, "I refuse.\nSorry.").code == "no-code"
    assert grade(voice.grading, "```text\nHello [FOO]\n```").code == "parse-error"
    enc = SUITE.by_id()["dialogue.encode.01"]
    verdict = grade(enc.grading, "```asm\ndb $6B, $02\n```")
    assert verdict.code == "wrong-content" and "where the message needs" in verdict.reason


def test_decode_accepts_any_spelling_of_the_same_tokens() -> None:
    dec = SUITE.by_id()["dialogue.decode.01"]  # [W:02][S:03]Welcome back, [L]![K]
    assert grade(dec.grading, "[Window 02][Speed 03]Welcome back, [Name]![Waitkey]").passed
    assert not grade(dec.grading, "[W:02][S:04]Welcome back, [L]![K]").passed


def test_decontamination_removes_a_copy_of_an_item() -> None:
    item = SUITE.by_id()["dialogue.fit.03"]
    copy = Sample(
        messages=[
            Message(role="user", content=item.prompt),
            Message(role="assistant", content=item.reference),
        ],
        domain="farore",
        task="dialogue.fit",
        source="dialogue-patterns",
        provenance=Provenance(corpus="test", origin="original"),
    )
    gen = DialogueGenerator()
    ours = [
        s
        for v in ("bramble", "pip", "wren", "marlo")
        for s in gen.run(Unit(f"voice:{v}:000", {"kind": "voice", "voice": v, "i": 0}), 0).samples
    ]
    kept, report = decontaminate([copy, *ours], [SUITES_DIR / "dialogue.jsonl"])
    assert copy not in kept and len(kept) == len(ours)  # generated samples are not mistaken for items
    assert report.to_dict()["removed"] == 1


def test_suite_file_is_what_the_builder_writes(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import json

    from eval_suites.dialogue_suite import SUITES

    built = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in SUITES["dialogue"])
    assert (SUITES_DIR / "dialogue.jsonl").read_text(encoding="utf-8") == built

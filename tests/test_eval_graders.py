"""Graphics, lore, quest and latency graders: right answers pass, wrong ones fail with a reason."""

from __future__ import annotations

import json
import re

from triforce.evaluate.graders import GradeContext, grade
from triforce.evaluate.suite import load_suite
from triforce.gfx import bgr555_to_rgb, decode_tile, encode_tile


def _items(name: str) -> dict[str, object]:
    return {i.id: i for i in load_suite(name).items}


def test_tile_codec_roundtrip_and_known_bytes() -> None:
    pixels = [[(x + y) % 16 for x in range(8)] for y in range(8)]
    for bpp in (2, 3, 4):
        mask = (1 << bpp) - 1
        want = [[p & mask for p in row] for row in pixels]
        assert decode_tile(encode_tile(want, bpp), bpp) == want
    # A 2bpp row of colour 3 is $FF $FF; colour 1 is plane 0 only.
    assert encode_tile([[3] * 8] + [[1] * 8] * 7, 2)[:4] == bytes([0xFF, 0xFF, 0xFF, 0x00])
    assert len(encode_tile([[0] * 8] * 8, 3)) == 24
    assert bgr555_to_rgb(0x001F, "x8") == (248, 0, 0) and bgr555_to_rgb(0x7C00, "x8") == (0, 0, 248)


def test_graphics_wrong_answers() -> None:
    items = _items("graphics")
    solid = items["gfx.tile.solid2"]
    assert grade(solid.grading, solid.reference).passed  # type: ignore[attr-defined]
    short = grade(solid.grading, "db " + ", ".join(["$FF"] * 15))  # type: ignore[attr-defined]
    assert short.code == "invalid-format" and "16 bytes, the answer has 15" in short.reason
    wrong = grade(solid.grading, "db " + ", ".join(["$FF", "$00"] * 8))  # type: ignore[attr-defined]
    assert not wrong.passed and "64 pixel(s) differ" in wrong.reason
    as_4bpp = grade(items["gfx.tile.border4"].grading, "db " + ", ".join(["$00"] * 16))  # type: ignore[attr-defined]
    assert "32 bytes" in as_4bpp.reason
    palette = items["gfx.palette.primary"]
    assert grade(palette.grading, palette.reference).passed  # type: ignore[attr-defined]
    swapped = palette.reference.replace("$001F", "$TEMP").replace("$7C00", "$001F").replace("$TEMP", "$7C00")  # type: ignore[attr-defined]
    verdict = grade(palette.grading, swapped)  # type: ignore[attr-defined]
    assert not verdict.passed and "colour 1" in verdict.reason
    bit15 = grade(palette.grading, palette.reference.replace("$001F", "$801F"))  # type: ignore[attr-defined]
    assert not bit15.passed and "bit 15" in bit15.reason


def test_lore_claims_graded_by_the_checker() -> None:
    item = _items("lore")["lore.boss.desert_palace"]
    assert grade(item.grading, item.reference).passed  # type: ignore[attr-defined]
    wrong = grade(item.grading, '```claims\n[["Desert Palace", "boss", "Moldorm"]]\n```')  # type: ignore[attr-defined]
    assert wrong.code == "fact-contradiction" and "Lanmolas is the boss of Desert Palace" in wrong.reason
    # An answer through the inverse relation counts; an unrelated true claim does not answer.
    inverse = grade(item.grading, '```claims\n[{"s": "Lanmolas", "r": "boss_of", "o": "Desert Palace"}]\n```')  # type: ignore[attr-defined]
    assert inverse.passed
    beside = grade(item.grading, '```claims\n[["Eastern Palace", "boss", "Armos Knights"]]\n```')  # type: ignore[attr-defined]
    assert not beside.passed and "no claim answers it" in beside.reason
    # A right answer next to a wrong claim fails: canon consistency, not keyword presence.
    mixed = '```claims\n[["Desert Palace", "boss", "Lanmolas"], ["Desert Palace", "prize", "Crystal 2"]]\n```'
    assert not grade(item.grading, mixed).passed  # type: ignore[attr-defined]
    # Keywords alone do not pass: the right words in prose are not claims.
    assert grade(item.grading, "Desert Palace Lanmolas boss").code == "parse-error"  # type: ignore[attr-defined]


def test_canon_verdicts_need_the_deciding_record() -> None:
    items = _items("lore")
    wrong = next(
        i for i in items.values() if i.grading["kind"] == "canon-verdict" and "contradicted" in i.tags
    )  # type: ignore[attr-defined]
    assert grade(wrong.grading, wrong.reference).passed  # type: ignore[attr-defined]
    flipped = wrong.reference.replace('"status": "contradicted"', '"status": "supported"')  # type: ignore[attr-defined]
    assert not grade(wrong.grading, flipped).passed  # type: ignore[attr-defined]
    uncited = re.sub(r', "record": "[^"]+"', "", wrong.reference)  # type: ignore[attr-defined]
    assert "cites no record" in grade(wrong.grading, uncited).reason  # type: ignore[attr-defined]
    ambiguous = items["canon.open.timeline"]
    assert grade(ambiguous.grading, ambiguous.reference).passed  # type: ignore[attr-defined]
    assert '"record": "alttp:alttp/timeline_placement/open"' in ambiguous.reference  # type: ignore[attr-defined]


def test_quest_structure_checks() -> None:
    item = _items("quest")["quest.fetch.witch.0"]
    assert grade(item.grading, item.reference).passed  # type: ignore[attr-defined]
    quest = json.loads(item.reference.split("```json\n")[1].split("\n```")[0])  # type: ignore[attr-defined]
    softlock = json.loads(json.dumps(quest))
    softlock["steps"][1]["requires"] = ["hookshot"]
    verdict = grade(item.grading, json.dumps(softlock))  # type: ignore[attr-defined]
    assert "step 2 needs 'hookshot', but nothing grants it" in verdict.reason
    monotone = json.loads(json.dumps(quest))
    for step in monotone["steps"][1:4]:
        step["kind"] = "combat"
    checks = grade(item.grading, json.dumps(monotone)).checks  # type: ignore[attr-defined]
    assert any("3 'combat' steps in a row" in c.message for c in checks)
    nowhere = json.loads(json.dumps(quest))
    nowhere["steps"][0]["location"] = "Moonbase Alpha"
    assert "'Moonbase Alpha' is not a place in the KB" in grade(item.grading, json.dumps(nowhere)).reason  # type: ignore[attr-defined]
    no_payoff = json.loads(json.dumps(quest))
    no_payoff["steps"] = no_payoff["steps"][:-1]
    assert not grade(item.grading, json.dumps(no_payoff)).passed  # type: ignore[attr-defined]
    clash = json.loads(json.dumps(quest))
    clash["flags"][0]["address"] = "$7EF359"  # the sword level byte
    assert "collides with sword level" in grade(item.grading, json.dumps(clash)).reason  # type: ignore[attr-defined]
    bad_kind = json.loads(json.dumps(quest))
    bad_kind["steps"][0]["kind"] = "dance"
    assert "steps.0.kind" in grade(item.grading, json.dumps(bad_kind)).reason  # type: ignore[attr-defined]


def test_latency_budget() -> None:
    item = _items("latency")["latency.lore.serves.agahnim"]
    assert grade(item.grading, item.reference, GradeContext(latency_s=0.5)).passed  # type: ignore[attr-defined]
    slow = grade(item.grading, item.reference, GradeContext(latency_s=3.1))  # type: ignore[attr-defined]
    assert slow.code == "too-slow" and "3.10 s exceeds the 2.0 s budget" in slow.reason
    fast_wrong = grade(
        item.grading, '```claims\n[["Agahnim", "serves", "Vaati"]]\n```', GradeContext(latency_s=0.1)
    )  # type: ignore[attr-defined]
    assert not fast_wrong.passed


def test_lore_and_quest_suites_reject_mutated_answers() -> None:
    from triforce.evaluate.metrics import targets
    from triforce.evaluate.sensitivity import measure

    lore, quest = load_suite("lore").items, load_suite("quest").items
    assert len(lore) >= 100 and len(quest) >= 50
    for items in (lore, quest):
        report = measure(items, per_item=2)
        assert report.items == len(items) and report.mutants >= len(items)
        assert report.sensitivity >= 0.99, report.to_json()["survivors"]
    assert targets()["lore"]["target"] == 0.90 and targets()["quest"]["target"] == 0.90

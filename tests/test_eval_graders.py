"""Graphics, lore, quest and latency graders: right answers pass, wrong ones fail with a reason."""

from __future__ import annotations

import json

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


def test_lore_contradiction_and_missing_field() -> None:
    item = _items("lore")["lore.pendants"]
    assert grade(item.grading, item.reference).passed  # type: ignore[attr-defined]
    answer = json.loads(item.reference.strip("`json\n"))  # type: ignore[attr-defined]
    answer["power_colour"] = "red"
    verdict = grade(item.grading, json.dumps(answer))  # type: ignore[attr-defined]
    assert verdict.code == "fact-contradiction" and "power_colour" in verdict.reason
    assert 0 < verdict.score < 1
    del answer["wisdom_dungeon"]
    assert not grade(item.grading, json.dumps(answer)).passed  # type: ignore[attr-defined]
    # Keywords alone do not pass: the right words in prose are not an answer.
    prose = "Eastern Palace green Desert Palace blue Tower of Hera red"
    assert grade(item.grading, prose).code == "parse-error"  # type: ignore[attr-defined]
    aliases = _items("lore")["lore.dark_world"]
    ok = {
        "crystal_dungeons": [
            "Turtle Rock",
            "Misery Mire",
            "Ice Palace",
            "Thieves Town",
            "Skull Woods",
            "Swamp Palace",
            "the Palace of Darkness",
        ],
        "elder": "sahasrahla",
    }
    assert grade(aliases.grading, json.dumps(ok)).passed  # type: ignore[attr-defined]


def test_quest_structure_checks() -> None:
    item = _items("quest")["quest.lost_lens"]
    assert grade(item.grading, item.reference).passed  # type: ignore[attr-defined]
    quest = json.loads(item.reference.strip("`json\n"))  # type: ignore[attr-defined]
    softlock = json.loads(json.dumps(quest))
    softlock["steps"][1]["requires"] = ["hookshot"]
    verdict = grade(item.grading, json.dumps(softlock))  # type: ignore[attr-defined]
    assert "step 2 requires ['hookshot']" in verdict.reason
    monotone = json.loads(json.dumps(quest))
    for step in monotone["steps"][1:4]:
        step["kind"] = "combat"
    checks = grade(item.grading, json.dumps(monotone)).checks  # type: ignore[attr-defined]
    assert any("3 'combat' steps in a row" in c.message for c in checks)
    nowhere = json.loads(json.dumps(quest))
    nowhere["steps"][0]["location"] = "Moonbase Alpha"
    assert "unknown location" in grade(item.grading, json.dumps(nowhere)).reason  # type: ignore[attr-defined]
    assert "Moonbase Alpha" in grade(item.grading, json.dumps(nowhere)).reason  # type: ignore[attr-defined]
    no_payoff = json.loads(json.dumps(quest))
    no_payoff["steps"] = no_payoff["steps"][:-1]
    assert not grade(item.grading, json.dumps(no_payoff)).passed  # type: ignore[attr-defined]


def test_latency_budget() -> None:
    item = _items("latency")["latency.lore.villains"]
    assert grade(item.grading, item.reference, GradeContext(latency_s=0.5)).passed  # type: ignore[attr-defined]
    slow = grade(item.grading, item.reference, GradeContext(latency_s=3.1))  # type: ignore[attr-defined]
    assert slow.code == "too-slow" and "3.10 s exceeds the 2.0 s budget" in slow.reason
    fast_wrong = grade(
        item.grading, '{"wizard": "Vaati", "final_enemy": "Ganon"}', GradeContext(latency_s=0.1)
    )  # type: ignore[attr-defined]
    assert not fast_wrong.passed

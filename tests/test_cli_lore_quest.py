"""`triforce lore check|ask|validate` and `triforce quest check`: exit codes, JSON, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from triforce.cli import app
from triforce.evaluate.suite import load_suite

HACK = Path(__file__).parent / "data" / "hack_docs"
runner = CliRunner()


def test_lore_check_exit_codes_and_json() -> None:
    ok = runner.invoke(app, ["lore", "check", "Eastern Palace|boss|Armos Knights", "--json"])
    assert ok.exit_code == 0, ok.output
    [result] = json.loads(ok.output)["results"]
    assert (
        result["status"] == "supported"
        and result["records"][0]["id"] == "alttp:eastern_palace/boss/armos_knights"
    )
    bad = runner.invoke(app, ["lore", "check", "Eastern Palace|boss|Moldorm"])
    assert bad.exit_code == 1 and "contradicted" in bad.output
    wrong_shape = runner.invoke(app, ["lore", "check", "Eastern Palace boss Moldorm"])
    assert wrong_shape.exit_code != 0 and "is not 'subject|relation|object'" in str(wrong_shape.exception)


def test_lore_check_reads_an_answer_file(tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(
        'Prose.\n\n```claims\n[["Tower of Hera", "prize", "Pendant of Wisdom"], ["Hookshot", "found_at", "Eastern Palace"]]\n```\n'
    )
    res = runner.invoke(app, ["lore", "check", "--file", str(answer), "--json"])
    assert res.exit_code == 1
    assert [r["status"] for r in json.loads(res.output)["results"]] == ["supported", "contradicted"]


def test_lore_ask_and_validate() -> None:
    res = runner.invoke(app, ["lore", "ask", "Tower of Hera", "boss", "--json"])
    assert res.exit_code == 0
    assert [f["value"] for f in json.loads(res.output)["facts"]] == ["Moldorm"]
    assert runner.invoke(app, ["lore", "ask", "Nowhere Castle"]).exit_code != 0
    assert runner.invoke(app, ["lore", "validate"]).exit_code == 0
    hack = runner.invoke(app, ["lore", "validate", "--source", str(HACK), "--json"])
    assert hack.exit_code == 1
    rules = {p["rule"] for p in json.loads(hack.output)["problems"]}
    assert {"functional", "order", "collision", "vanilla"} <= rules


def test_quest_check(tmp_path: Path) -> None:
    item = next(i for i in load_suite("quest").items)
    good = tmp_path / "good.md"
    good.write_text(item.reference)
    res = runner.invoke(app, ["quest", "check", str(good), "--min-steps", "5", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)["quests"][0]
    assert report["passed"] and report["pacing"]["beats"] >= 5
    quest = json.loads(item.reference.split("```json\n")[1].split("\n```")[0])
    quest["steps"][1]["requires"] = ["a key nobody gives"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(quest))
    res = runner.invoke(app, ["quest", "check", str(bad)])
    assert res.exit_code == 1 and "softlock" in res.output
    side = runner.invoke(app, ["quest", "check", "--source", str(HACK), "--side-quests", "--json"])
    assert side.exit_code == 1 and "collides with LanternSlot" in side.output
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"title": "x", "steps": [{"kind": "dance", "location": "Sanctuary"}]}))
    res = runner.invoke(app, ["quest", "check", str(broken)])
    assert res.exit_code != 0 and "steps.0.kind" in str(res.exception)

"""`triforce refine` and `triforce review` through the CLI, JSON output, errors as clean messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_refine_loop import _GOOD, _NO_CAP, _prompts, _write
from triforce.cli import app
from triforce.dataset.sample_io import read_samples
from triforce.errors import InputError
from triforce.refine import bundled_seeds

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_review_cycle(tmp_path: Path) -> None:
    st = str(tmp_path / "st")
    seed = tmp_path / "seed.jsonl"
    seed.write_text("".join(s.model_dump_json() + "\n" for s in bundled_seeds()[:10]))
    assert (
        json.loads(_run("refine", "init", "--seed", str(seed), "--state", st, "--json"))["seed_count"] == 10
    )
    rows = [*_prompts()]
    rows.append(
        {
            **rows[0],
            "id": "magic-b",
            "prompt": "Design a magic fountain for the Ice Palace.",
            "reference": _GOOD.replace("Swamp of Evil", "Ice Palace").replace("LDA #$80", "LDA.b #$80"),
        }
    )
    rows.append(
        {
            **rows[1],
            "id": "magic-c",
            "prompt": "Design a magic pool for Turtle Rock.",
            "reference": _NO_CAP.replace("Swamp of Evil", "Turtle Rock"),
        }
    )
    prompts = _write(tmp_path / "p.jsonl", rows)
    rec = json.loads(
        _run(
            "refine",
            "step",
            "--no-train",
            "--backend",
            "reference",
            "--prompts",
            str(prompts),
            "--state",
            st,
            "--json",
        )
    )
    # key-again repeats a seed's routine; LDA.b #$80 assembles to the same bytes as magic-shrine
    assert (rec["duplicates"], rec["enqueued"], rec["auto_rejected"]) == (2, 1, 3)

    pending = json.loads(_run("review", "list", "--state", st, "--json"))
    assert [p["prompt_id"] for p in pending] == ["magic-shrine"]
    item = pending[0]["id"]
    shown = _run("review", "show", item[:10], "--state", st)
    assert "automatic verification: PASS" in shown and "state 2 'cap'" in shown
    _run("review", "accept", item[:10], "--state", st, "--reviewer", "alice", "--minutes", "9")

    # A decided item cannot be decided again.
    with pytest.raises(InputError, match="already accepted"):
        runner.invoke(app, ["review", "reject", item, "--reason", "x", "--state", st], catch_exceptions=False)

    stats = json.loads(_run("review", "stats", "--state", st, "--json"))
    assert stats["counts"]["accepted"] == 1 and stats["minutes_per_sample"] == 9.0
    status = json.loads(_run("refine", "status", "--state", st, "--json"))
    assert status["pool"] == 11 and status["iterations"][0]["accepted"] == 1
    assert "targets: 100 -> 400 -> 3000" in _run("refine", "status", "--state", st)

    out = tmp_path / "pairs.jsonl"
    assert json.loads(_run("review", "export", str(out), "--state", st, "--json"))["samples"] == 11
    assert len(read_samples(out).samples) == 11


def test_correct_and_reject_from_the_cli(tmp_path: Path) -> None:
    st = str(tmp_path / "st")
    _run("refine", "init", "--state", st)  # the bundled seeds
    rows = _prompts()
    rows[1] = {**rows[1], "grading": {**rows[1]["grading"], "states": rows[1]["grading"]["states"][:1]}}
    prompts = _write(tmp_path / "p.jsonl", rows)  # the uncapped answer passes this weaker spec
    _run("refine", "step", "--no-train", "--prompts", str(prompts), "--state", st, "--no-decontaminate")
    items = {i["prompt_id"]: i["id"] for i in json.loads(_run("review", "list", "--state", st, "--json"))}
    assert set(items) == {"magic-shrine", "magic-nocap", "fairy-leak"}  # no decontamination asked

    bad = tmp_path / "bad.md"
    bad.write_text(_NO_CAP.replace("ADC #$20", "ADC #$22"))
    with pytest.raises(InputError, match=r"correction refused: \(wrong-memory\)"):
        runner.invoke(
            app,
            ["review", "correct", items["magic-nocap"], "--file", str(bad), "--state", st],
            catch_exceptions=False,
        )
    fixed = tmp_path / "fixed.md"
    fixed.write_text(_GOOD.replace("Swamp of Evil", "Misery Mire"))
    done = json.loads(
        _run("review", "correct", items["magic-nocap"], "--file", str(fixed), "--state", st, "--json")
    )
    assert done["status"] == "corrected"
    _run("review", "reject", items["fairy-leak"], "--reason", "copies an evaluation item", "--state", st)
    stats = json.loads(_run("review", "stats", "--state", st, "--json"))
    assert stats["counts"] == {"pending": 1, "accepted": 0, "corrected": 1, "rejected": 1}
    assert stats["acceptance_rate"] == 0.5
    decided = json.loads(_run("review", "list", "--status", "rejected", "--state", st, "--json"))
    assert decided[0]["reason"] == "copies an evaluation item"
    with pytest.raises(InputError, match="not a refinement state folder"):
        runner.invoke(app, ["review", "list", "--state", str(tmp_path / "nowhere")], catch_exceptions=False)

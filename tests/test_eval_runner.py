"""Whole runs: an HTTP endpoint, replay, resume, the report, A/B compare and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.cli import app
from triforce.evaluate.reference_server import serve_references
from triforce.evaluate.runner import run_suite
from triforce.evaluate.suite import load_suites
from triforce.models import OpenAIBackend, OpenAIConfig, ReplayBackend

SUITES = ["lore", "quest", "graphics"]


def _answers(suite_names: list[str]) -> dict[str, str]:
    return {i.prompt: i.reference for i in load_suites(suite_names).items}


def test_endpoint_run_logs_everything_and_resumes(tmp_path: Path) -> None:
    suite = load_suites(SUITES)
    with serve_references(_answers(SUITES)) as server:
        backend = OpenAIBackend(
            OpenAIConfig(base_url=server.url, model="fail-1", backoff_s=0.01), concurrency=4
        )
        result = asyncio.run(run_suite(suite, backend, tmp_path / "run", samples=2, concurrency=4))
    assert result.summary["overall"]["pass@1"] == 1.0 and result.summary["overall"]["pass@2"] == 1.0
    lines = (tmp_path / "run" / "records.jsonl").read_text().splitlines()
    assert len(lines) == 2 * len(suite.items)
    rec = json.loads(lines[0])
    assert {"request", "answer", "verdict", "latency_s", "ttft_s", "attempts"} <= set(rec)
    assert rec["request"]["messages"][-1]["role"] == "user"
    assert {json.loads(line)["attempts"] for line in lines} == {
        1,
        2,
    }  # the first ask of each prompt got a 503
    assert result.summary["latency"]["ttft_p50_s"] is not None
    html = (tmp_path / "run" / "report.html").read_text()
    assert (
        "<svg" in html
        and "Per category" in html
        and "http" not in html.split("<body>")[1].split("backend")[0]
    )
    # Interrupted run: drop the last record and one line cut mid-write; resume redoes just those.
    cut = [*lines[:-2], lines[-2][:40]]
    (tmp_path / "run" / "records.jsonl").write_text("\n".join(cut) + "\n")
    replay = ReplayBackend(tmp_path / "run" / "records.jsonl")
    with serve_references(_answers(SUITES)) as server:
        again = asyncio.run(
            run_suite(suite, OpenAIBackend(OpenAIConfig(base_url=server.url)), tmp_path / "run", samples=2)
        )
    assert again.resumed == len(lines) - 2
    assert len((tmp_path / "run" / "records.jsonl").read_text().splitlines()) == len(lines)
    assert replay.skipped and "cut line skipped" in replay.skipped[0]


def test_backend_errors_are_verdicts_and_retried_on_resume(tmp_path: Path) -> None:
    suite = load_suites(["lore"])
    backend = OpenAIBackend(OpenAIConfig(base_url="http://127.0.0.1:9", retries=0))
    result = asyncio.run(run_suite(suite, backend, tmp_path / "down"))
    assert result.summary["failure_reasons"] == {"backend-error": len(suite.items)}
    assert result.summary["categories"]["lore"]["pass@1"] == 0.0
    with serve_references(_answers(["lore"])) as server:
        fixed = asyncio.run(
            run_suite(suite, OpenAIBackend(OpenAIConfig(base_url=server.url)), tmp_path / "down")
        )
    assert fixed.resumed == 0 and fixed.summary["overall"]["pass@1"] == 1.0


def _replay_file(path: Path, wrong: set[str]) -> Path:
    rows = []
    for item in load_suites(SUITES).items:
        answer = "I refuse." if item.id in wrong else item.reference
        rows.append(json.dumps({"item_id": item.id, "answer": answer, "latency_s": 1.5 if wrong else 3.5}))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_cli_run_replay_and_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    good = _replay_file(tmp_path / "good.jsonl", set())
    bad = _replay_file(
        tmp_path / "bad.jsonl",
        {"lore.boss.desert_palace", "lore.crystal_count.alttp", "quest.fetch.witch.0", "gfx.tile.solid2"},
    )
    lore_items = len(load_suites(["lore"]).items)
    for name, path in (("a", bad), ("b", good)):
        out = runner.invoke(
            app,
            [
                "eval",
                "--suite",
                "lore",
                "--suite",
                "quest",
                "--suite",
                "graphics",
                "--backend",
                f"replay:{path}",
                "--out",
                str(tmp_path / name),
                "--json",
            ],
        )
        assert out.exit_code == 0, out.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    lore_rate = summary["categories"]["lore"]["pass@1"]
    assert (
        lore_rate == pytest.approx((lore_items - 2) / lore_items)
        and summary["failure_reasons"]["parse-error"] == 4
    )
    listed = runner.invoke(
        app, ["eval", "run", "--suite", "lore", "--backend", "reference", "--out", str(tmp_path / "r")]
    )
    assert listed.exit_code == 0 and "lore" in listed.output
    cmp = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert cmp.exit_code == 0, cmp.output
    result = json.loads(cmp.output)
    assert result["b_only"] == 4 and result["a_only"] == 0
    assert result["p_value"] == 0.125  # exact McNemar, 4 discordant pairs all one way
    assert result["categories"]["lore"]["ratio"] == pytest.approx(lore_rate)
    assert result["latency"]["p50_ratio"] == 1.5 / 3.5
    text = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert "McNemar" in text.output


def test_cli_errors_are_clean(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "triforce", "eval", "--suite", "nope", "--backend", "reference"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "unknown suite 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "triforce", "eval", "--suite", "lore", "--backend", "ftp://x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "--backend" in proc.stderr


def test_cli_help_pages_render() -> None:
    runner = CliRunner()
    for args in (
        ["eval"],
        ["eval", "--help"],
        ["eval", "run", "--help"],
        ["eval", "compare", "--help"],
        ["eval", "sensitivity", "--help"],
    ):
        out = runner.invoke(app, args)
        assert out.exit_code == 0, (args, out.output)
        assert "Usage: " in out.output
    listed = runner.invoke(app, ["eval", "suites", "--json"])
    assert json.loads(listed.output)["asm"]["asm"] >= 120

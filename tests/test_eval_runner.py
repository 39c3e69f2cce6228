"""Whole runs: an HTTP endpoint, replay, resume, the report, A/B compare and the CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from review_web_support import free_port  # a port nothing listens on: connections are refused
from triforce.cli import app
from triforce.errors import ConfigError
from triforce.evaluate.reference_server import serve_references
from triforce.evaluate.runner import ABORT_AFTER, run_suite
from triforce.evaluate.suite import load_suites
from triforce.models import BackendUnavailable, OpenAIBackend, OpenAIConfig, ReferenceBackend, ReplayBackend

SUITES = ["lore", "quest", "graphics"]


def _answers(suite_names: list[str]) -> dict[str, str]:
    return {i.prompt: i.reference for i in load_suites(suite_names).items}


def test_endpoint_run_logs_everything_and_resumes(tmp_path: Path) -> None:
    suite = load_suites(SUITES)
    config = OpenAIConfig(base_url="", model="fail-1", backoff_s=0.01)
    with serve_references(_answers(SUITES)) as server:
        config.base_url = server.url
        backend = OpenAIBackend(config, concurrency=4)
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
            and "<h2>Latency</h2>" in html  # a real endpoint's timings are reported
            and "http" not in html.split("<body>")[1].split("backend")[0]
        )
        # Interrupted run: drop the last record and one line cut mid-write; resume redoes just those.
        cut = [*lines[:-2], lines[-2][:40]]
        (tmp_path / "run" / "records.jsonl").write_text("\n".join(cut) + "\n")
        replay = ReplayBackend(tmp_path / "run" / "records.jsonl")
        again = asyncio.run(run_suite(suite, OpenAIBackend(config), tmp_path / "run", samples=2))
    assert again.resumed == len(lines) - 2 and again.restarted == []
    assert len((tmp_path / "run" / "records.jsonl").read_text().splitlines()) == len(lines)
    assert replay.skipped and "cut line skipped" in replay.skipped[0]


def test_unreachable_backend_stops_before_the_run_with_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = tmp_path / "down"
    with pytest.raises(BackendUnavailable, match="backend unreachable"):
        asyncio.run(run_suite(load_suites(["lore"]), OpenAIBackend(OpenAIConfig(base_url=url)), out))
    assert not out.exists()  # nothing written, nothing a retry has to undo
    proc = subprocess.run(
        [sys.executable, "-m", "triforce", "eval", "--suite", "lore", "--backend", url, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "backend unreachable" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_run_stops_when_every_answer_fails_and_says_so_first(tmp_path: Path) -> None:
    """The server answers the pre-flight request but fails every chat request."""
    suite = load_suites(["lore"])
    with serve_references(_answers(["lore"])) as server:
        backend = OpenAIBackend(OpenAIConfig(base_url=server.url, model="fail-100000", retries=0))
        result = asyncio.run(run_suite(suite, backend, tmp_path / "run", concurrency=4))
        asked = server.requests
    assert result.status == "backend-unreachable" and result.problem
    assert "backend unreachable" in result.problem
    assert ABORT_AFTER <= asked < len(suite.items)  # stopped early, the rest cancelled
    html = (tmp_path / "run" / "report.html").read_text()
    body = html.split("<body>")[1]
    assert body.index("Backend unreachable") < body.index("Per category")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["run"]["status"] == "backend-unreachable"
    # The fixed backend takes the folder over: nothing usable was recorded there.
    with serve_references(_answers(["lore"])) as server:
        fixed = asyncio.run(
            run_suite(suite, OpenAIBackend(OpenAIConfig(base_url=server.url)), tmp_path / "run")
        )
    assert fixed.status == "ok" and fixed.resumed == 0 and fixed.summary["overall"]["pass@1"] == 1.0


def test_cli_exits_non_zero_when_every_answer_fails(tmp_path: Path) -> None:
    with serve_references(_answers(["lore"])) as server:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "triforce",
                "eval",
                "--suite",
                "lore",
                "--backend",
                server.url,
                "--model",
                "fail-100000",
                "--retries",
                "0",
                "--out",
                str(tmp_path / "run"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    assert proc.returncode == 2 and "backend unreachable" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Backend unreachable" in (tmp_path / "run" / "report.html").read_text()


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


def test_run_folder_refuses_records_of_another_run(tmp_path: Path) -> None:
    """A different answers file, backend, suite or sampling option never reuses old verdicts."""
    suite = load_suites(["lore"])
    good = _replay_file(tmp_path / "good.jsonl", set())
    out = tmp_path / "run"
    first = asyncio.run(run_suite(suite, ReplayBackend(good), out))
    assert first.summary["overall"]["pass@1"] == 1.0
    again = asyncio.run(run_suite(suite, ReplayBackend(good), out))  # same run: resumes
    assert again.resumed == len(suite.items) and again.restarted == []
    wrong = {suite.items[0].id, suite.items[1].id}
    bad = _replay_file(tmp_path / "good.jsonl", wrong)  # the same file, edited
    with pytest.raises(ConfigError, match=r"backend\.sha256.*--restart"):
        asyncio.run(run_suite(suite, ReplayBackend(bad), out))
    with pytest.raises(ConfigError, match=r"backend\.kind"):
        asyncio.run(run_suite(suite, ReferenceBackend(), out))
    with pytest.raises(ConfigError, match=r"suite"):
        asyncio.run(run_suite(load_suites(["lore", "quest"]), ReplayBackend(good), out))
    fresh = asyncio.run(run_suite(suite, ReplayBackend(bad), out, restart=True))
    assert fresh.resumed == 0 and any("sha256" in c for c in fresh.restarted)
    assert fresh.summary["overall"]["pass@1"] == pytest.approx(1 - 2 / len(suite.items))
    assert len((out / "records.jsonl").read_text().splitlines()) == len(suite.items)
    # sampling options are part of the run: another temperature on the same endpoint is refused
    runner = CliRunner()
    with serve_references(_answers(["lore"])) as server:
        base = ["eval", "--suite", "lore", "--backend", server.url, "--out", str(tmp_path / "http"), "--json"]
        assert runner.invoke(app, base).exit_code == 0
        refused = runner.invoke(app, [*base, "--temperature", "0.7"])
        assert isinstance(refused.exception, ConfigError) and "temperature" in str(refused.exception)
        restarted = runner.invoke(app, [*base, "--temperature", "0.7", "--restart"])
        assert restarted.exit_code == 0 and "discarded" in restarted.stderr


def test_report_groups_failures_with_answers_and_skips_replay_latency(tmp_path: Path) -> None:
    suite = load_suites(["lore"])
    wrong = {i.id for i in suite.items[:5]}
    result = asyncio.run(
        run_suite(suite, ReplayBackend(_replay_file(tmp_path / "a.jsonl", wrong)), tmp_path / "r")
    )
    html = (tmp_path / "r" / "report.html").read_text()
    assert result.summary["run"]["latency_measured"] is False
    assert "<h2>Latency</h2>" not in html and "latency" not in html.split("<h2>Failure reasons")[0].lower()
    failing = html.split("<h2>Failing answers")[1]
    # five identical verdicts are one collapsed group, each answer beside its item, collapsed too
    assert failing.count("<strong>5×</strong>") == 1 and failing.count("<summary>answer") == 5
    assert "I refuse." in failing and "<details open" not in failing
    shown = CliRunner().invoke(
        app, ["eval", "--suite", "lore", "--backend", "reference", "--out", str(tmp_path / "ref")]
    )
    assert shown.exit_code == 0 and "latency p50" not in shown.output


def test_report_lists_a_bounded_number_of_answers() -> None:
    from triforce.evaluate.metrics import summarize
    from triforce.evaluate.report import LISTED_ANSWERS, render_html

    verdict = {"passed": False, "code": "wrong-memory", "reason": "state 1: $7EF360 wrong", "score": 0.0}
    records = [
        {
            "item_id": f"asm.{i:04d}",
            "category": "asm",
            "tags": [],
            "sample": 0,
            "answer": f"LDA #{i}",
            "latency_s": 0.1,
            "ttft_s": None,
            "error": None,
            "verdict": verdict,
        }
        for i in range(LISTED_ANSWERS + 5)
    ]
    html = render_html(summarize(records, 1), records)
    assert html.count("<summary>answer") == LISTED_ANSWERS and "5 more in records.jsonl" in html
    assert html.count(f"<strong>{LISTED_ANSWERS + 5}×</strong>") == 1

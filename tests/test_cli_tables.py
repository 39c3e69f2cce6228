"""Tables for a person stay readable at 80 columns: no cell cut with an ellipsis (issue 12 item 14)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rich.table
from rich.console import Console

from triforce.cli._tables import Table

SRC = Path(__file__).resolve().parents[1] / "src"
CLI_DIR = SRC / "triforce" / "cli"


def _render(renderable: object, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def _wide() -> Table:
    table = Table(title="models")
    for name in ("name", "kind", "base model", "domains", "status", "endpoint"):
        table.add_column(name)
    table.add_row(
        "oracle-constellation", "router", "Qwen/Qwen2.5-Coder-32B-Instruct", "din,nayru,farore,cross",
        "no adapter", "http://localhost:8000/v1",
    )  # fmt: skip
    table.add_row("euclid-asm", "specialist", "-", "din", "0/2 member adapters", "http://localhost:8001/v1")
    return table


def test_a_table_that_would_be_cut_becomes_records_with_every_value_whole() -> None:
    text = _render(_wide(), 80)
    assert "…" not in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    for value in ("oracle-constellation", "Qwen/Qwen2.5-Coder-32B-Instruct", "http://localhost:8000/v1"):
        assert value in text
    assert "  base model: Qwen/Qwen2.5-Coder-32B-Instruct" in text
    assert "base model: -" not in text  # an empty cell is left out of its record


def test_an_empty_table_too_wide_for_its_headers_says_so() -> None:
    table = Table(title="review queue")
    for n in range(14):
        table.add_column(f"column number {n}")
    text = _render(table, 80)
    assert "…" not in text and "review queue" in text and "(no rows)" in text


def test_a_table_that_fits_stays_a_table() -> None:
    assert "┃ name" in _render(_wide(), 200)
    small = Table("file", "passed")
    small.add_row("a.json", "10")
    assert "┃ file" in _render(small, 80)


def test_without_the_fallback_rich_cuts_the_same_table() -> None:
    """The checks above can fail: rich's own table, at 80 columns, cuts these names."""
    ours = _wide()
    theirs = rich.table.Table(title="models")
    for column in ours.columns:
        theirs.add_column(str(column.header))
    for row in range(ours.row_count):
        theirs.add_row(*(str(list(c.cells)[row]) for c in ours.columns))
    assert "…" in _render(theirs, 80)


def test_every_command_module_uses_the_readable_table() -> None:
    offenders = [
        p.name
        for p in CLI_DIR.glob("*.py")
        if p.name != "_tables.py" and re.search(r"^from rich\.table import", p.read_text(), re.M)
    ]
    assert not offenders, f"import Table from triforce.cli._tables in {offenders}"


def _cli(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "triforce", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "whole"),
    [
        (["models"], ["oracle-council", "triforce-sage (master-sword)", "Qwen/Qwen2.5-Coder-32B"]),
        (["doctor"], ["asar isolation", "differential CPU tests"]),
        (["serve", "--check"], ["farore-questweaver", "nayru-lorekeeper"]),
        (["dataset", "presets"], ["triforce-sage-60k"]),
    ],
)
def test_commands_print_whole_names_at_80_columns(tmp_path: Path, args: list[str], whole: list[str]) -> None:
    out = _cli(*args, cwd=tmp_path)
    assert "…" not in out, out
    assert "Traceback" not in out, out
    for name in whole:
        assert name in out, out


def test_refine_status_is_readable_at_80_columns(tmp_path: Path) -> None:
    state = str(tmp_path / "st")
    _cli("refine", "init", "--state", state, cwd=tmp_path)
    out = _cli("refine", "status", "--state", state, cwd=tmp_path)
    assert "…" not in out and "Traceback" not in out, out
    assert re.search(r"refinement: \d+ pairs", out) and "(no rows)" in out, out

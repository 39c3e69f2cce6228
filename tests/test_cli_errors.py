"""Bad input and unwritable output end in one clear line naming the file (and line), a non-zero
exit code and no traceback; empty input is an error unless asked for (issue 12 item 11)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataset_factory import prose_sample
from triforce.cli import app
from triforce.dataset.sample_io import read_jsonl, write_samples
from triforce.errors import InputError, OutputError
from triforce.fsio import lines_bounded, read_text_bounded, write_text_atomic

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"


def _with_bad_byte(tmp_path: Path) -> Path:
    """Three good samples with one line holding a byte that is not UTF-8 (line 3)."""
    good = tmp_path / "good.jsonl"
    write_samples(good, [prose_sample(i) for i in range(3)])
    lines = good.read_bytes().splitlines(keepends=True)
    lines.insert(2, b'{"id": "caf\xe9"}\n')
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed entry point as a user runs it (main(), not the bare typer app)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "triforce", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("command", ["stats", "dedup", "curate", "verify"])
def test_a_byte_that_is_not_utf8_names_file_line_and_column(tmp_path: Path, command: str) -> None:
    path = _with_bad_byte(tmp_path)
    args = ["dataset", command, str(path)]
    if command in ("dedup", "curate"):
        args += ["-o", str(tmp_path / ("out.jsonl" if command == "dedup" else "out"))]
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert isinstance(res.exception, InputError), res.exception
    assert f"{path}:3: not utf-8 text: byte(s) e9 at column 12" in str(res.exception)


def test_skip_bad_keeps_the_lines_around_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    result = read_jsonl(_with_bad_byte(tmp_path), on_error="skip")
    assert len(result.samples) == 3
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [(3, "not utf-8 text")]


def test_text_lines_name_the_line_of_the_bad_byte_not_of_the_decoders_chunk(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"{}\n" * 5000 + b'{"x": "\xff"}\n')  # the bad byte is ~15 KB in, past one chunk
    with (
        path.open("r", encoding="utf-8") as fh,
        pytest.raises(InputError, match=r"long.jsonl:5001: not utf-8"),
    ):
        for _ in lines_bounded(fh, str(path)):
            pass
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"a\r\nb\n")
    with crlf.open("r", encoding="utf-8") as fh:
        assert list(lines_bounded(fh, str(crlf))) == ["a\n", "b\n"]


def test_whole_text_reads_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.asm"
    path.write_bytes(b"lda #$00\n  sta $10 ; \x81\n")
    with pytest.raises(InputError, match=r"x.asm:2: not utf-8 text: byte\(s\) 81 at column 13"):
        read_text_bounded(path, 1 << 20)


def test_empty_input_is_an_error_unless_allowed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    for command in ("stats", "verify"):
        res = runner.invoke(app, ["dataset", command, str(empty)])
        assert isinstance(res.exception, InputError) and "no samples" in str(res.exception), res.output
    res = runner.invoke(app, ["dataset", "dedup", str(empty), "-o", str(tmp_path / "o.jsonl")])
    assert isinstance(res.exception, InputError) and "--allow-empty" in str(res.exception)
    assert not (tmp_path / "o.jsonl").exists()
    res = runner.invoke(app, ["dataset", "stats", str(empty), "--allow-empty", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["count"] == 0


def test_atomic_write_into_an_unwritable_place_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match=r"file/sub/x.json: cannot write: .*/file is a file, not a folder"):
        write_text_atomic(blocker / "sub" / "x.json", "{}")


def test_unwritable_output_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`build`, `eval` and `dataset` through the real entry point: no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    samples = tmp_path / "in.jsonl"
    write_samples(samples, [prose_sample(i) for i in range(3)])
    runs = [
        ("dataset", "dedup", str(samples), "-o", str(blocker / "out.jsonl")),
        ("build", "-g", "base", "-n", "1", "--no-curate", "-o", str(blocker / "out")),
        ("eval", "run", "-s", "asm", "-o", str(blocker / "run")),
    ]
    for args in runs:
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]  # after a progress bar, if one was shown
        assert last.startswith("error: ") and f"{blocker} is a file, not a folder" in last, proc.stderr


def test_refine_state_in_an_unwritable_place_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = runner.invoke(app, ["refine", "init", "--state", str(blocker / "state")])
    assert isinstance(res.exception, OutputError), res.output
    assert f"{blocker} is a file, not a folder" in str(res.exception)

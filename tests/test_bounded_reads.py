"""Every input is read with a bound: a device that never ends (/dev/zero), a file without line
breaks or an oversized stream is refused with a clear error, never read whole into memory."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, lines_bounded, read_bytes_bounded, read_stream_bounded

runner = CliRunner()
ZERO = "/dev/zero"
pytestmark = pytest.mark.skipif(not os.path.exists(ZERO), reason="needs /dev/zero")


def _app() -> object:
    from triforce.cli import app

    return app


def test_the_helpers_stop_at_their_limit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="larger than the limit of 1,000 bytes"):
        read_bytes_bounded(ZERO, 1000)
    small = tmp_path / "x.bin"
    small.write_bytes(b"12345")
    assert read_bytes_bounded(small, 5) == b"12345"
    with pytest.raises(InputError):
        read_bytes_bounded(small, 4)
    with pytest.raises(InputError, match="<stdin>"):
        read_stream_bounded(io.BytesIO(b"x" * 11), 10, "<stdin>")
    with open(ZERO, "rb") as fh, pytest.raises(InputError, match=f"{ZERO}:1: line longer than 64 bytes"):
        list(lines_bounded(fh, ZERO, 64))
    text = io.StringIO("a\n" + "b" * 64 + "\nc")
    assert list(lines_bounded(text, "t", 64)) == ["a\n", "b" * 64 + "\n", "c"]


@pytest.mark.parametrize(
    "args",
    [
        ["asm", "assemble", ZERO],
        ["asm", "run", ZERO, "--entry", "Main"],
        ["asm", "disasm", ZERO, "--at", "$008000"],
        ["dataset", "stats", ZERO],
        ["dataset", "verify", ZERO],
    ],
)
def test_commands_refuse_an_endless_input(args: list[str]) -> None:
    result = runner.invoke(_app(), args, input="Main:\n RTL\n")  # type: ignore[arg-type]
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError), result.exception
    assert "larger than" in str(result.exception) or "longer than" in str(result.exception)


def test_stdin_is_bounded_too() -> None:
    result = runner.invoke(_app(), ["asm", "assemble", "-"], input="NOP\n" * (MAX_SOURCE_BYTES // 4 + 1))  # type: ignore[arg-type]
    assert result.exit_code != 0 and "<stdin>: larger than" in str(result.exception)

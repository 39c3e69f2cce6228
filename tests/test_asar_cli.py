"""`triforce asm assemble` through typer's CliRunner, and the shared address parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.cli import app
from triforce.errors import InputError
from triforce.snes.addresses import format_address, parse_address

runner = CliRunner()


def test_assemble_prints_bytes_with_addresses(tmp_path: Path) -> None:
    src = tmp_path / "hook.asm"
    src.write_text("Main:\n  LDA #$12\n  JSL Sprite_Move\n  RTL\n")
    result = runner.invoke(app, ["asm", "assemble", str(src), "--stubs"])
    assert result.exit_code == 0, result.output
    assert "$008000  A9 12 22 00 D0 0F 6B" in result.output
    assert "Sprite_Move = $0FD000" in result.output


def test_assemble_error_exits_1_with_the_diagnostic(tmp_path: Path) -> None:
    src = tmp_path / "bad.asm"
    src.write_text("NOP\nSTX $7E0012\n")
    result = runner.invoke(app, ["asm", "assemble", str(src)])
    assert result.exit_code == 1
    assert "bad.asm:2: error: (Eunknown_command)" in result.output


@pytest.mark.parametrize("org", ["$018000", "0x018000", "01:8000", "$01:8000"])
def test_org_spellings_and_json(org: str) -> None:
    result = runner.invoke(app, ["asm", "assemble", "-", "--org", org, "--json"], input="Start:\nNOP\n")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] is True
    assert payload["chunks"] == [{"address": "$018000", "offset": 0x8000, "hex": "ea"}]
    assert payload["symbols"] == {"Start": "$018000"}


def test_hirom_flag() -> None:
    result = runner.invoke(
        app, ["asm", "assemble", "-", "--hirom", "--org", "$C01000", "--json"], input="RTS\n"
    )
    assert json.loads(result.output)["chunks"][0]["offset"] == 0x1000


def test_json_reports_errors_with_codes() -> None:
    result = runner.invoke(app, ["asm", "assemble", "-", "--json"], input="JSL Nowhere\n")
    assert result.exit_code == 1
    [diag] = json.loads(result.output)["diagnostics"]
    assert diag["code"] == "Elabel_not_found" and diag["line"] == 1 and diag["file"] == "<stdin>"


def test_bad_org_is_an_input_error() -> None:
    result = runner.invoke(app, ["asm", "assemble", "-", "--org", "$zz"], input="NOP\n")
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$008000", 0x008000),
        ("0x8000", 0x8000),
        ("$7E:F340", 0x7EF340),
        ("7E:F340", 0x7EF340),
        (" $7E_F340 ", 0x7EF340),
        (0x7EF340, 0x7EF340),
    ],
)
def test_parse_address(text: str, value: int) -> None:
    assert parse_address(text) == value


@pytest.mark.parametrize("text", ["", "$", "0x1000000", "$7E:12345", "G000", "-1", True, 1.5])
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_address(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["8000", "1000", "7EF340"])
def test_a_bare_number_is_ambiguous_and_refused(text: str) -> None:
    with pytest.raises(InputError, match=f"write \\${text.upper()} for a hex address"):
        parse_address(text, field="--org")
    result = runner.invoke(app, ["asm", "assemble", "-", "--org", text], input="NOP\n")
    assert result.exit_code != 0 and isinstance(result.exception, InputError)


def test_format_address() -> None:
    assert format_address(0x7EF340) == "$7EF340"


def test_rom_option_patches_a_copy_and_include_root(tmp_path: Path) -> None:
    rom = tmp_path / "game.sfc"
    rom.write_bytes(bytes([0xFF]) * 0x80000)
    (tmp_path / "lib.asm").write_text("Helper:\n  RTS\n")
    src = tmp_path / "patch.asm"
    src.write_text('org $018000\nJSR Helper\nincsrc "lib.asm"\n')
    refused = runner.invoke(app, ["asm", "assemble", str(src), "--org", "none", "--rom", str(rom)])
    assert refused.exit_code == 1 and "--include-root" in refused.output
    args = ["asm", "assemble", str(src), "--org", "none", "--rom", str(rom), "--include-root", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "$018000  20 03 80 60" in result.output
    assert rom.read_bytes() == bytes([0xFF]) * 0x80000

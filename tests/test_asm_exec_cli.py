"""`triforce asm run` and `triforce asm disasm` end to end (real asar, real core)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.cli import app

pytest.importorskip("triforce.snes.cpu")
runner = CliRunner()


def test_asm_run_prints_the_final_state_as_json(tmp_path: Path) -> None:
    src = tmp_path / "inc.asm"
    src.write_text("Inc:\n    REP #$20\n    LDA $7E0010\n    INC A\n    STA $7E0010\n    SEP #$20\n    RTL\n")
    state = json.dumps({"memory": {"$7E0010": "$FF", "$7E0011": "$00"}})
    result = runner.invoke(app, ["asm", "run", str(src), "--state", state, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reason"] == "returned"
    assert data["writes"] == {"$7E0010": 0, "$7E0011": 1}


def test_asm_run_trace_and_limit(tmp_path: Path) -> None:
    src = tmp_path / "spin.asm"
    src.write_text("Spin:\n    NOP\n    BRA Spin\n")
    result = runner.invoke(app, ["asm", "run", str(src), "--max-instructions", "6", "--trace"])
    assert result.exit_code == 1
    assert "instruction_limit" in result.output and result.output.count("NOP") == 3


def test_asm_disasm_follows_widths_and_emits_asar(tmp_path: Path) -> None:
    rom = bytearray(0x8000)
    rom[0x10:0x17] = bytes.fromhex("c220a93412 e220")
    path = tmp_path / "t.sfc"
    path.write_bytes(bytes(rom))
    result = runner.invoke(app, ["asm", "disasm", str(path), "--at", "$008010", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert "LDA #$1234" in result.output and "m16" in result.output
    as_asar = runner.invoke(
        app, ["asm", "disasm", str(path), "--at", "0x8010", "--count", "2", "--m16", "--asar"]
    )
    assert "org $008010" in as_asar.output and "REP #$20" in as_asar.output

"""The namespace layer around asar: where bubblewrap works, asar sees no file outside its work
dir and include_root even when the text scan is bypassed; where it cannot work, the sandbox
degrades to the scan and limits and says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from triforce.errors import ToolNotFoundError
from triforce.snes.asar import assemble, find_asar
from triforce.snes.asar.engine import RunConfig, Unit, private_dir, run_units, write_units
from triforce.snes.asar.isolation import _cached, isolation, probe
from triforce.snes.asar.rom import blank_rom
from triforce.snes.asar.sandbox import SandboxLimits


def _active() -> bool:
    return isolation().active


def _unscanned(source: str, include_root: Path | None = None) -> Any:
    """Run asar on `source` with the text scan bypassed: only the namespace can stop it."""
    with private_dir() as workdir:
        unit = Unit(0, source, "x.asm", 0x008000, 0)
        write_units(workdir, [unit])
        cfg = RunConfig("lorom", blank_rom(0x80000), include_root, frozenset(), {}, SandboxLimits())
        return run_units(workdir, [unit], cfg)


@pytest.mark.parametrize(
    ("template", "first_byte"),
    [
        ('incsrc "{f}"', None),  # None: asar stops with "file not found"
        ('incbin "{f}"', None),
        ('table "{f}"', None),
        ('db readfile1("{f}", 0)', None),
        ('if canreadfile1("{f}", 0)\ndb $55\nelse\ndb $66\nendif', 0x66),
        ('db getfilestatus("{f}")', 0x01),  # 1: no such file
    ],
)
def test_asar_cannot_see_files_outside_even_without_the_scan(
    tmp_path: Path, template: str, first_byte: int | None
) -> None:
    if not _active():
        pytest.skip(f"no namespace isolation here: {isolation().detail}")
    secret = tmp_path / "secret.asm"
    secret.write_text("db $AB\n")
    outcome: Any = _unscanned(template.format(f=secret))
    assert not outcome.sandbox_violation
    if first_byte is None:
        messages = [d.message for ds in outcome.by_unit.values() for d in ds]
        assert outcome.rom is None and any("wasn't found" in m for m in messages), messages
    else:
        assert outcome.rom is not None and outcome.rom[0] == first_byte


def test_include_root_stays_readable_inside_the_namespace(tmp_path: Path) -> None:
    (tmp_path / "lib.asm").write_text("Helper:\n    RTS\n")
    (tmp_path / "data.bin").write_bytes(b"\x12\x34")
    res = assemble('incsrc "lib.asm"\nincbin "data.bin"\n', include_root=tmp_path)
    assert res.ok, res.diagnostics
    assert b"\x60\x12\x34" in res.code


def test_no_bubblewrap_or_no_namespaces_degrades_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asar = find_asar().path
    missing = probe(asar, None)
    assert not missing.active and "bubblewrap not found" in missing.detail
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    refused = probe(asar, fake)
    assert not refused.active and "namespaces not permitted here" in refused.detail
    assert "No permissions" in refused.detail
    assert refused.wrap(["asar", "x.asm"], tmp_path, None) == ["asar", "x.asm"]
    monkeypatch.setenv("TRIFORCE_BWRAP", str(fake))
    monkeypatch.setattr("triforce.snes.asar.isolation.shutil.which", lambda name: None)
    _cached.cache_clear()
    try:
        monkeypatch.setenv("TRIFORCE_ASAR_ISOLATION", "bwrap")
        with pytest.raises(ToolNotFoundError, match="TRIFORCE_ASAR_ISOLATION=bwrap"):
            isolation()
        monkeypatch.setenv("TRIFORCE_ASAR_ISOLATION", "auto")
        assert not isolation().active
        assert assemble("NOP\n").ok  # still assembles, behind the scan and the limits
        monkeypatch.setenv("TRIFORCE_ASAR_ISOLATION", "none")
        assert "turned off" in isolation().detail
        monkeypatch.setenv("TRIFORCE_ASAR_ISOLATION", "sometimes")
        with pytest.raises(ToolNotFoundError):
            isolation()
    finally:
        _cached.cache_clear()


def test_doctor_says_which_isolation_is_active() -> None:
    from triforce.cli import app

    result = CliRunner().invoke(app, ["doctor", "--json"])
    rows = {c["name"]: c for c in json.loads(result.output)["components"]}
    row = rows["asar isolation"]
    assert row["present"] == _active()
    assert row["detail"].startswith(isolation().kind)


def test_a_work_dir_inside_include_root_stays_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tree" / "scratch"
    scratch.mkdir(parents=True)
    (tmp_path / "tree" / "lib.asm").write_text("Helper:\n    RTS\n")
    monkeypatch.setenv("TRIFORCE_TMPDIR", str(scratch))
    res = assemble('incsrc "lib.asm"\n', include_root=tmp_path / "tree")
    assert res.ok, res.diagnostics

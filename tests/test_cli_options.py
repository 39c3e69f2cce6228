"""Options are validated before any work and diagnostics read one way everywhere (issue 12 item 13)."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from triforce.cli import app
from triforce.errors import InputError
from triforce.generate.execution import first_error
from triforce.snes.asar import assemble

runner = CliRunner()

WARNING_THEN_ERROR = 'warn "careful"\n  LDA Missing\n  RTL\n'


def test_a_diagnostic_prints_in_the_asar_format_never_as_a_repr() -> None:
    res = assemble(WARNING_THEN_ERROR, org=0x8000, filename="w.asm")
    assert not res.ok and res.diagnostics[0].severity == "warning"
    shown = [f"{d}" for d in res.diagnostics]
    assert shown == [
        "w.asm:1: warning: (Wwarn_command): warn command: careful",
        "w.asm:2: error: (Elabel_not_found): Label 'Missing' wasn't found. [LDA Missing]",
    ]
    # the brief form quoted in samples and verdicts: the error that stopped it, not the warning
    assert (
        first_error(res) == "line 2: error: (Elabel_not_found): Label 'Missing' wasn't found. [LDA Missing]"
    )


def test_asm_run_names_every_error_not_the_first_warning(tmp_path: Path) -> None:
    src = tmp_path / "w.asm"
    src.write_text(WARNING_THEN_ERROR + "  FOO\n")
    result = runner.invoke(app, ["asm", "run", str(src)])
    assert isinstance(result.exception, InputError), result.output
    message = str(result.exception)
    assert "Wwarn_command" not in message and "severity=" not in message and "file=" not in message
    assert "w.asm:2: error: (Elabel_not_found): Label 'Missing' wasn't found. [LDA Missing]" in message
    assert "w.asm:4: error: (Eunknown_command): Unknown command. [FOO]" in message


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    src = tmp_path / "ok.asm"
    src.write_text("  LDA #$00\n  RTL\n")
    rom = tmp_path / "game.sfc"
    rom.write_bytes(bytes(0x8000))
    return {"src": str(src), "rom": str(rom), "out": str(tmp_path / "out")}


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["asm", "run", "{src}", "--max-instructions", "-5"], "--max-instructions"),
        (["asm", "run", "{src}", "--max-instructions", "0"], "--max-instructions"),
        (["asm", "disasm", "{rom}", "--at", "$008000", "--count", "100000000"], "--count"),
        (["asm", "disasm", "{rom}", "--at", "$008000", "--count", "0"], "--count"),
        (["build", "-n", "0", "-o", "{out}"], "--limit-per-type"),
        (["build", "-j", "0", "-o", "{out}"], "--workers"),
        (["dataset", "dedup", "{src}", "-o", "{out}", "--threshold", "1.5"], "--threshold"),
        (["dataset", "verify", "{src}", "-j", "-1"], "--workers"),
        (["gfx", "decode", "{rom}", "--bpp", "0"], "--bpp"),
    ],
)
def test_out_of_range_options_are_refused_before_any_work(
    args: list[str], option: str, files: dict[str, str]
) -> None:
    result = runner.invoke(app, [a.format(**files) for a in args])
    assert result.exit_code == 2, result.output
    assert "Invalid value" in result.output and option in result.output
    assert not Path(files["out"]).exists()


def test_a_file_that_is_not_a_rom_is_refused_by_size(tmp_path: Path) -> None:
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n")
    src = tmp_path / "ok.asm"
    src.write_text("  LDA #$00\n")
    for args in (
        ["asm", "assemble", str(src), "--rom", str(text)],
        ["asm", "disasm", str(text), "--at", "$008000"],
    ):
        result = runner.invoke(app, args)
        assert isinstance(result.exception, InputError), result.output
        assert f"{text}: not a SNES ROM image: 32 bytes" in str(result.exception)
    headered = tmp_path / "headered.smc"  # a copier header is still a ROM
    headered.write_bytes(bytes(0x200) + bytes.fromhex("a912") + bytes(0x8000 - 2))
    result = runner.invoke(app, ["asm", "disasm", str(headered), "--at", "$008000", "--count", "1"])
    assert result.exit_code == 0 and "LDA #$12" in result.output, result.output


def _numeric_options() -> list[tuple[str, str, object, object]]:
    found = []

    def walk(command: object, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
            return
        for p in command.params:  # type: ignore[attr-defined]
            annotation = getattr(getattr(p, "type_descriptor", None), "annotation", None)
            if annotation in (int, float) or repr(annotation) in ("int | None", "float | None"):
                found.append((" ".join(path), "/".join(p.opts), p.min, p.max))

    walk(typer.main.get_command(app), [])
    return found


def test_every_numeric_option_of_every_command_has_a_bound() -> None:
    options = _numeric_options()
    assert len(options) > 30  # the walk sees the whole app
    unbounded = [f"{cmd} {opt}" for cmd, opt, lo, hi in options if lo is None and hi is None]
    assert not unbounded, f"give these options min=/max=: {unbounded}"


def test_version_prints_without_a_command() -> None:
    from triforce import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == __version__

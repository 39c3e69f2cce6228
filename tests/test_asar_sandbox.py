"""The sandbox: untrusted source never reads outside include_root, never hangs, never leaks files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from triforce.snes.asar import SandboxLimits, assemble, assemble_batch
from triforce.snes.asar.engine import RunConfig, Unit, private_dir, run_units, write_units
from triforce.snes.asar.rom import blank_rom

SECRET = "/etc/passwd"

ESCAPES = {
    "incsrc absolute": f'incsrc "{SECRET}"',
    "incsrc unquoted": f"incsrc {SECRET}",
    "incbin absolute": f'incbin "{SECRET}"',
    "incbin with target": f"incbin {SECRET} -> $018000",
    "table": f'table "{SECRET}"',
    "incsrc dotdot": 'incsrc "../../../../etc/passwd"',
    "readfile1": f'db readfile1("{SECRET}", 0)',
    "readfile4 in print": f'print hex(readfile4("{SECRET}", 0))',
    "readfile as immediate": f'LDA #readfile1("{SECRET}", 0)',
    "readfile as long immediate": f'LDA.w #readfile2("{SECRET}", 0)',
    "readfile negated": f'dw -readfile2("{SECRET}", 0)',
    "readfile in parentheses": f'db (readfile1("{SECRET}", 0))',
    "readfile in a define assignment": f'!x #= readfile1("{SECRET}", 0)\ndb !x',
    "canreadfile": f'if canreadfile1("{SECRET}", 0)\nNOP\nendif',
    "canreadfile no size": f'if canreadfile("{SECRET}", 0, 1)\nNOP\nendif',
    "filesize": f'print dec(filesize("{SECRET}"))',
    "getfilestatus": f'print dec(getfilestatus("{SECRET}"))',
    "define path": f'!p = "{SECRET}"\nincsrc "!p"',
    "define function argument": f'!p = "{SECRET}"\ndb readfile1(!p, 0)',
    "define as command": f'!cmd = "incsrc"\n!cmd "{SECRET}"',
    "pasted command": '!a = "inc"\n!b = "src"\n!a!b "x.asm"',
    "pasted prefix": '!b = "src"\ninc!b "x.asm"',
    "braced define": '!{a} "x.asm"',
    "macro argument command": 'macro m(c)\n<c> "/etc/passwd"\nendmacro\n%m(incsrc)',
    "macro argument paste": 'macro m(c)\ninc<c> "/etc/passwd"\nendmacro\n%m(src)',
    "table through define": f'!t = table "{SECRET}"\n!t',
    "second statement": f'NOP : incsrc "{SECRET}"',
    "after a label": f'Main: incsrc "{SECRET}"',
    "continued line": f'incsrc \\\n"{SECRET}"',
}


def _leaks(res_text: str) -> bool:
    return "root:" in res_text or "/bin/bash" in res_text or "nologin" in res_text


@pytest.mark.parametrize("source", list(ESCAPES.values()), ids=list(ESCAPES))
def test_file_escapes_are_refused_without_leaking(source: str) -> None:
    res = assemble(source, stubs=True)
    assert not res.ok
    assert res.errors and all(d.code.startswith("Tsandbox") for d in res.errors)
    assert not _leaks(str(res.to_json()))


@pytest.mark.parametrize("source", list(ESCAPES.values())[:6], ids=list(ESCAPES)[:6])
def test_escapes_are_refused_even_inside_include_root(tmp_path: Path, source: str) -> None:
    res = assemble(source, include_root=tmp_path)
    assert not res.ok and res.errors[0].code == "Tsandbox_path"


def test_symlink_out_of_include_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "evil.asm").symlink_to(SECRET)
    res = assemble('incsrc "evil.asm"', include_root=tmp_path)
    assert not res.ok and res.errors[0].code == "Tsandbox_path"
    assert not _leaks(str(res.to_json()))


def test_included_files_are_scanned_too(tmp_path: Path) -> None:
    (tmp_path / "inner.asm").write_text(f'incsrc "{SECRET}"\n')
    res = assemble('incsrc "inner.asm"', include_root=tmp_path)
    assert not res.ok
    assert res.errors[0].code == "Tsandbox_path" and res.errors[0].file == "inner.asm"


def test_defines_from_the_caller_are_checked() -> None:
    res = assemble("NOP\n", defines={"path": f'readfile1("{SECRET}", 0)'})
    assert not res.ok and res.errors[0].code == "Tsandbox_path"
    res = assemble("NOP\n", defines={"x": f'1\nincsrc "{SECRET}"'})
    assert not res.ok and res.errors[0].code == "Tsandbox_define"


def test_the_post_run_check_withholds_output_of_foreign_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: even if the scan missed an include, asar's own file list is checked
    (here without the namespace layer, which would hide the file from asar altogether)."""
    monkeypatch.setenv("TRIFORCE_ASAR_ISOLATION", "none")
    with private_dir() as workdir:
        unit = Unit(0, f'incsrc "{SECRET}"\n', "x.asm", 0x008000, 0)
        write_units(workdir, [unit])
        cfg = RunConfig("lorom", blank_rom(0x80000), None, frozenset(), {}, SandboxLimits())
        outcome = run_units(workdir, [unit], cfg)
    assert outcome.sandbox_violation and outcome.rom is None
    assert [d.code for d in outcome.unattributed] == ["Tsandbox_path"]
    assert not _leaks(str([d.model_dump() for d in outcome.unattributed]))


def test_infinite_while_is_killed() -> None:
    res = assemble("!i = 0\nwhile 1\n!i #= !i+1\nendwhile\n", limits=SandboxLimits(timeout_s=1))
    assert not res.ok and [d.code for d in res.errors] == ["Ttimeout"]


def test_exponential_macro_bomb_is_killed() -> None:
    macros = "macro m0()\n!x #= 1\nendmacro\n"
    macros += "".join(f"macro m{i}()\n%m{i - 1}()\n%m{i - 1}()\nendmacro\n" for i in range(1, 48))
    res = assemble(macros + "%m47()\n", limits=SandboxLimits(timeout_s=1))
    assert not res.ok and res.errors[0].code == "Ttimeout"


def test_recursive_macro_stops_at_asar_recursion_limit() -> None:
    res = assemble("macro a()\n%a()\nendmacro\n%a()\n")
    assert not res.ok and res.errors[0].code == "Erecursion_limit"


def test_giant_fill_is_an_error_not_a_hang() -> None:
    res = assemble("fill $FFFFFF\n")
    assert not res.ok and res.errors[0].code == "Ebank_border_crossed"


def test_output_is_bounded() -> None:
    src = 'rep 100000 : print "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"\n'
    res = assemble(src, limits=SandboxLimits(output_bytes=4096))
    assert not res.ok and res.errors[0].code == "Toutput_limit"
    assert len(str(res.to_json())) < 10_000


@pytest.mark.parametrize("launcher", ["prlimit", "preexec"])
def test_memory_limit_is_reported(launcher: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from triforce.snes.asar import sandbox

    if launcher == "preexec":  # no prlimit on the machine: the limits are set between fork and exec
        monkeypatch.setattr(sandbox, "_prlimit", lambda: None)
    elif sandbox._prlimit() is None:
        pytest.skip("util-linux prlimit is not installed")
    argv, preexec = sandbox._command(Path("asar"), ["x.asm"], SandboxLimits())
    assert (preexec is None) == (launcher == "prlimit") and argv[-2:] == ["asar", "x.asm"]
    res = assemble("NOP\n", limits=SandboxLimits(memory_bytes=8 << 20))
    assert not res.ok and res.errors[0].code == "Tmemory"
    assert assemble("NOP\n").ok


def test_no_temp_dirs_or_processes_are_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIFORCE_TMPDIR", str(tmp_path))
    assemble("!i = 0\nwhile 1\n!i #= !i+1\nendwhile\n", limits=SandboxLimits(timeout_s=0.5))
    seen: list[str] = []
    real_run = __import__("triforce.snes.asar.engine", fromlist=["run_asar"]).run_asar

    def spy(asar: Path, args: list[str], cwd: Path, limits: SandboxLimits, **kw: object) -> object:
        seen.append(str(cwd))
        return real_run(asar, args, cwd, limits, **kw)

    monkeypatch.setattr("triforce.snes.asar.engine.run_asar", spy)
    assemble_batch(["NOP", "STZ $7EF340"])
    assert seen and all(path.startswith(str(tmp_path)) for path in seen)
    assert os.listdir(tmp_path) == []


def test_batch_sandbox_failure_stays_with_its_snippet() -> None:
    results = assemble_batch(["LDA #$01", f'incsrc "{SECRET}"', "LDA #$03"])
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].errors[0].code == "Tsandbox_path" and results[1].errors[0].snippet == 1


@pytest.mark.parametrize(
    "source",
    [
        '!name = "table_ptr"\nNOP\n',
        '!msg = "the table of items"\nNOP\n',
        "!Table = $7E0400\nLDA !Table\n",
        "!filesize = 3\ndb !filesize\n",
        "filesize_max = 3\ndb filesize_max\n",
        "LDA table,x\nRTS\ntable:\ndb 1\n",
    ],
)
def test_the_word_table_or_a_function_name_alone_reads_no_file(source: str) -> None:
    res = assemble(source, stubs=True)
    assert res.ok, res.diagnostics


@pytest.mark.parametrize(
    "source",
    [
        f'!t = NOP : table "{SECRET}"\n!t\n',
        f'!t = "Foo: table {SECRET}"\ndb 1\n',
        f'!f = filesize\nprint dec(!f("{SECRET}"))\n',
        f'!x = "1"\n!y = !x+filesize("{SECRET}")\n',
    ],
)
def test_defines_that_hide_a_file_command_are_still_refused(source: str) -> None:
    res = assemble(source, stubs=True)
    assert not res.ok and any(d.code.startswith("Tsandbox") for d in res.errors)
    assert not _leaks(str(res.to_json()))


def test_a_define_with_the_word_table_from_the_caller_is_accepted() -> None:
    res = assemble('db "!name"\n', defines={"name": "the item table"})
    assert res.ok, res.diagnostics
    assert res.code == b"the item table"


def test_a_missing_file_inside_include_root_is_named_as_missing(tmp_path: Path) -> None:
    res = assemble('incbin "bin/room.bin"', include_root=tmp_path)
    assert not res.ok and res.errors[0].code == "Tsandbox_path"
    assert "no such file" in res.errors[0].message
    escape = assemble('incbin "../x.bin"', include_root=tmp_path)
    assert "no such file" not in escape.errors[0].message

"""Sandbox scan fuzzing: every spelling asar accepts for a file-reading directive or function is
refused, whatever the blanks, case, labels, separators, continuations, macros or defines.

The generated variants are the ways asar 1.91 itself reads a line (`triforce.snes.asmsyntax`);
`test_the_variants_are_real_escapes_in_asar` runs the real asar without any sandbox on a sample
of them to show they are not imaginary: each one makes asar open the outside file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triforce.snes.asar.sandbox import scan_source

SECRET = "/etc/shadow"
COMMANDS = ("table", "incsrc", "incbin")
FUNCTIONS = (
    "readfile1",
    "readfile2",
    "readfile3",
    "readfile4",
    "canreadfile1",
    "canreadfile2",
    "canreadfile3",
    "canreadfile4",
    "canreadfile",
    "filesize",
    "getfilestatus",
)
BLANK = st.text(alphabet=" \t", min_size=1, max_size=3)
MAYBE_BLANK = st.text(alphabet=" \t", max_size=2)
PATHS = st.sampled_from([SECRET, "../../../../etc/shadow", "/tmp/../etc/shadow", "~/.ssh/id_rsa"])


@st.composite
def any_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))


@st.composite
def label_prefix(draw: st.DrawFn) -> str:
    """Labels asar allows in front of a statement (a sublabel needs a parent: given on a line of its own)."""
    labels = draw(st.lists(st.sampled_from(["Lab:", "#Lab2:", "+", "--", "-", ".sub:", "nop:"]), max_size=2))
    return "".join(label + draw(BLANK) for label in labels)


@st.composite
def position(draw: st.DrawFn) -> tuple[str, str]:
    """Text before the statement on its line (another statement and a separator, or an `@`)."""
    kind = draw(st.sampled_from(["first", "second", "if", "at", "at-blank"]))
    if kind == "second":
        return draw(st.sampled_from(["NOP", "db 1", "x = 1", "!d = 2"])) + draw(BLANK) + ":" + draw(BLANK), ""
    if kind == "if":
        return "if 1" + draw(BLANK) + ":" + draw(BLANK), draw(BLANK) + ":" + draw(BLANK) + "endif"
    if kind == "at":
        return "@", ""
    if kind == "at-blank":
        return "@" + draw(BLANK), ""
    return "", ""


@st.composite
def path_operand(draw: st.DrawFn) -> str:
    path = draw(PATHS)
    return f'"{path}"' if draw(st.booleans()) else path


@st.composite
def command_line(draw: st.DrawFn) -> str:
    """One file command written any way asar reads it."""
    command = draw(any_case(draw(st.sampled_from(COMMANDS))))
    before, after = draw(position())
    gap = draw(BLANK)
    if draw(st.integers(0, 4)) == 0:
        gap = draw(BLANK) + "\\\n" + draw(MAYBE_BLANK)  # continued on the next line
    operand = draw(path_operand())
    if command.lower() == "table" and draw(st.booleans()):
        operand += draw(st.sampled_from([",rtl", ", ltr"]))
    line = f"{draw(MAYBE_BLANK)}{before}{draw(label_prefix())}{command}{gap}{operand}{after}"
    return f"Parent:\n{line}\n"


@st.composite
def function_line(draw: st.DrawFn) -> str:
    name = draw(any_case(draw(st.sampled_from(FUNCTIONS))))
    args = f'"{draw(PATHS)}"' + ("" if "size" in name.lower() or "status" in name.lower() else ", 0")
    call = f"{name}{draw(MAYBE_BLANK)}({draw(MAYBE_BLANK)}{args})"
    return draw(
        st.sampled_from(
            [
                f"db {call}",
                f"LDA #{call}",
                f"if {call}\nNOP\nendif",
                f"print dec({call})",
                f"!x #= {call}",
                f"db 1 : dw {call}",
            ]
        )
    )


@st.composite
def through_macro_or_define(draw: st.DrawFn) -> str:
    """The command or function name supplied by a macro argument or a define."""
    command = draw(any_case(draw(st.sampled_from(COMMANDS))))
    function = draw(st.sampled_from(FUNCTIONS))
    path = draw(PATHS)
    b = draw(BLANK)
    forms = [
        f'macro m(c)\n<c>{b}"{path}"\nendmacro\n%m({command})',
        f'macro m(c)\ndb 1 <c>{b}"{path}"\nendmacro\n%m(:{b}{command})',
        f'macro m(s)\ndb 1 <s> {command}{b}"{path}"\nendmacro\n%m(:)',
        f'macro m(f)\ndb <f>("{path}", 0)\nendmacro\n%m({function})',
        f'macro m(p)\n{command}{b}"<p>"\nendmacro\n%m({path})',
        f'macro m(p)\n{command}{b}<p>\nendmacro\n%m("{path}")',
        f'!c = :\ndb 1 !c{b}{command}{b}"{path}"',
        f'!c = " : "\ndb 1 !c {command}{b}"{path}"',
        f'!t = {command}{b}"{path}"\n!t',
        f'!t = "Lab: {command}"\n!t "{path}"',
        f'!t = "@{command}"\ndb 1 : !t "{path}"',
        f'!p = "{path}"\n{command}{b}"!p"',
        f"!p = {path}\n{command}{b}!p",
        f'!f = {function}\ndb !f("{path}", 0)',
        f'!c = :\n!t = ".x {command}"\nParent:\ndb 1 !c !t "{path}"',
    ]
    return draw(st.sampled_from(forms))


def _refused(source: str) -> bool:
    diags = scan_source(source, include_root=None).diagnostics
    return any(d.code.startswith("Tsandbox") for d in diags)


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(command_line())
def test_every_spelling_of_a_file_command_is_refused(source: str) -> None:
    assert _refused(source), source


@_SETTINGS
@given(function_line())
def test_every_spelling_of_a_file_function_is_refused(source: str) -> None:
    assert _refused(source), source


@_SETTINGS
@given(through_macro_or_define())
def test_file_access_through_macros_and_defines_is_refused(source: str) -> None:
    assert _refused(source), source


@pytest.mark.parametrize(
    "source",
    [
        "Table:\n    LDA Table,x\n    LDA .table,x\n.table\n    db 1\n",
        '!name = "table_ptr"\n!msg = "the table"\nLDA #!name\n',
        "filesize_max = 3\n!filesize = 3\ndb !filesize\n",
        'db "a ; b" : db 2\nLDA #\';\' ; a comment with table "/etc/shadow" in it\n',
        "cleartable\nNOP : NOP\nLoop: DEX : BNE Loop\n",
        "macro m(a)\n  LDA <a>\nendmacro\n%m($10)\n",
    ],
)
def test_honest_code_passes(source: str) -> None:
    assert scan_source(source).diagnostics == [], source


_REAL = [
    'table\t"{f}"',
    'Lab:\ttable "{f}"',
    'nop\t:\tTaBlE "{f}"',
    '@ table "{f}"',
    '+ table "{f}"',
    'table \\\n"{f}"',
    'if 1 : incbin "{f}" : endif',
    'macro m(s)\ndb 1 <s> table "{f}"\nendmacro\n%m(:)',
    '!c = :\ndb 1 !c table "{f}"',
    'macro m(f)\ndb <f>("{f}", 0)\nendmacro\n%m(readfile1)',
]


@pytest.mark.parametrize("template", _REAL)
def test_the_variants_are_real_escapes_in_asar(tmp_path: Path, template: str) -> None:
    """Plain asar (no sandbox) opens the outside file for each of these; the scan refuses each."""
    from triforce.errors import ToolNotFoundError
    from triforce.snes.asar import find_asar

    try:
        asar = find_asar().path
    except ToolNotFoundError:
        pytest.skip("asar is not installed")
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.tbl"
    secret.write_text("5A=A\n")
    work = tmp_path / "work"
    work.mkdir()
    source = template.format(f=secret)
    (work / "t.asm").write_text(f'lorom\norg $008000\n{source}\ndb "A"\n')
    (work / "r.sfc").write_bytes(bytes(0x8000))
    run = subprocess.run(
        [str(asar), "--no-title-check", "t.asm", "r.sfc"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=20,
    )
    opened = "Einvalid_table_file" in run.stdout + run.stderr or (work / "r.sfc").read_bytes()[:1] == b"5"
    assert opened, run.stdout + run.stderr
    assert _refused(source)

"""The corpus reader on small synthetic trees: asar syntax, address tracking, facts per routine,
and robustness (binary, latin-1, missing includes, unknown directives, empty trees)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from triforce.corpus import read_corpus
from triforce.errors import InputError

MAIN = """\
lorom
incsrc "defs.asm"
incsrc "sub/code.asm"
incsrc "missing.asm"
"""

DEFS = """\
!hp = $7EF36D
!max ?= $A0
!max ?= $FF
!tbl = Prices
RupeeGoal = $7EF360
struct Timer $7EE000
	.hours: skip 1
	.minutes: skip 1
endstruct
function double(x) = x*2
macro a16()
	REP #$20
endmacro
macro grow(n)
	CLC
	ADC.b #<n>
endmacro
"""

CODE = """\
org $00C000
; Heal Link.
; @entry m8 x8
; @test A=$08 [$7EF36D]=$10
Heal:
	CLC
	ADC.l !hp        ; add to health
	CMP.b #!max
	BCC +
	LDA.b #!max
+	STA.l !hp
	JSR Helper
	JSL Far_Routine
	RTS

Helper:
	REP #$30
	LDA.l RupeeGoal
	INC A
	STA.l RupeeGoal
	%grow($02)
	LDA.l Timer.minutes
	ADC.w #double(4)
	LDA !tbl,X
	STZ.w $0F00
	STA.l $004202
	SEP #$30
.loop
	DEX
	BNE .loop
..inner
	RTS

Prices:
	db $01, $02, "ab"
	dw $1234

pushpc
org $0DBA71
Hook:
	JSL Heal
	NOP
pullpc

After:
	LDA $10 : STA $11
	RTL

namespace Mod
Inner:
	%a16()
	LDA.w #$0001
	RTL
namespace off

freecode
Floating:
	RTL
if 0
Hidden:
	RTS
else
Shown:
	BRK
	RTS
endif
mystery_directive 1, 2
Unplaced:
	RTS
"""


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.asm").write_text(MAIN)
    (tmp_path / "defs.asm").write_text(DEFS)
    (tmp_path / "sub" / "code.asm").write_text(CODE.replace('incsrc "', 'incsrc "'))
    return tmp_path


def _by_name(report):
    return {r.qualified_name: r for r in report.routines}


def test_routines_labels_and_addresses(tree: Path) -> None:
    report = read_corpus([tree], name="synthetic", origin="rom-hack")
    routines = _by_name(report)
    assert set(routines) == {"Heal", "Helper", "Hook", "After", "Mod_Inner", "Floating", "Shown", "Unplaced"}
    assert "Prices" not in routines and report.data_blocks >= 1
    assert routines["Heal"].address == 0x00C000
    # CLC(1) ADC.l(4) CMP.b #(2) BCC(2) LDA.b #(2) STA.l(4) JSR(3) JSL(4) RTS(1) = 23
    assert routines["Helper"].address == 0x00C000 + 23
    assert routines["Hook"].address == 0x0DBA71
    assert routines["After"].address is not None and routines["After"].address < 0x00D000
    assert routines["Floating"].address is None
    assert routines["Unplaced"].address is None  # after an unknown directive
    assert routines["Helper"].sublabels == ["Helper_loop", "Helper_loop_inner"]
    assert routines["Mod_Inner"].name == "Inner" and routines["Mod_Inner"].namespace == "Mod"
    assert report.missing_includes and report.missing_includes[0][2] == "missing.asm"
    assert report.unknown_directives == {"mystery_directive": 1}


def test_routine_facts(tree: Path) -> None:
    routines = _by_name(read_corpus([tree], name="synthetic", origin="rom-hack"))
    heal = routines["Heal"]
    assert heal.doc == "Heal Link."
    assert heal.inline_comments == ["add to health"]
    assert heal.calls == ["Helper", "Far_Routine"]
    assert heal.returns == "rts"
    assert heal.entry_width.m == 8 and heal.entry_width.source == "tag"
    assert [(r.address, r.symbol, r.access) for r in heal.ram] == [(0x7EF36D, "!hp", "rw")]
    assert heal.tags.tests[0].memory == {0x7EF36D: 0x10} and heal.tags.tests[0].registers["P"] == 0x30
    helper = routines["Helper"]
    assert helper.entry_width.m == 16 and helper.entry_width.x == 16 and helper.entry_width.source == "top"
    ram = {(r.address, r.access) for r in helper.ram}
    assert (0x7EF360, "rw") in ram and (0x7E0F00, "write") in ram and (0x7EE001, "read") in ram
    assert helper.hardware == ["$4202"]
    assert routines["After"].returns == "rtl"
    assert {(r.address, r.access) for r in routines["After"].ram} == {(0x7E0010, "read"), (0x7E0011, "write")}
    assert routines["Hook"].calls == ["Heal"]
    prov = heal.provenance
    assert (prov.corpus, prov.origin, prov.file, prov.line_start) == (
        "synthetic",
        "rom-hack",
        "sub/code.asm",
        5,
    )
    assert prov.line_end == 14


def test_standalone_carries_what_the_body_needs(tree: Path) -> None:
    routines = _by_name(read_corpus([tree], name="synthetic", origin="rom-hack"))
    text = routines["Helper"].standalone()
    assert "!tbl = " in text and "RupeeGoal = $7EF360" in text and "macro grow(n)" in text
    assert "struct Timer $7EE000" in text and "function double(x) = x*2" in text
    assert "Prices:" in text  # the data block it reads is appended
    assert text.index("org $00C017") < text.index("Helper:")
    heal = routines["Heal"].standalone(placed=False)
    assert "org" not in heal.split("Heal:")[0] and '!max = "$A0"' in heal


def test_assembles_with_asar(tree: Path) -> None:
    from triforce.snes.asar import assemble

    routines = _by_name(read_corpus([tree], name="synthetic", origin="rom-hack"))
    for name in ("Helper", "Mod_Inner", "After"):
        result = assemble(routines[name].standalone(), org=None, stubs=True)
        assert result.ok, (name, [d.message for d in result.diagnostics])


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "good.asm").write_text("org $008000\nGood:\n\tRTS\n")
    (tmp_path / "blob.asm").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "latin.asm").write_bytes("; caf\xe9\norg $008000\nLatin:\n\tRTL\n".encode("latin-1"))
    report = read_corpus([tmp_path], name="mixed")
    assert {r.name for r in report.routines} == {"Good", "Latin"}
    reasons = {p.name: why for p, why in report.files_skipped}
    assert reasons["blob.asm"].startswith("binary")
    assert any("latin-1" in w for w in report.warnings)


def test_tree_without_routines_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "data_only"
    empty.mkdir()
    (empty / "tables.asm").write_text("org $008000\nTable:\n\tdb 1, 2, 3\n")
    code = tmp_path / "code"
    code.mkdir()
    (code / "x.asm").write_text("org $008000\nX:\n\tRTS\n")
    report = read_corpus([empty, code], name="two")
    assert [r.name for r in report.routines] == ["X"]
    assert (empty, "no routines found in this tree") in report.files_skipped


def test_nothing_readable_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "blob.asm").write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match="nothing could be read"):
        read_corpus([tmp_path])
    with pytest.raises(InputError):
        read_corpus([tmp_path / "absent"])


def test_git_commit_in_provenance(tmp_path: Path) -> None:
    (tmp_path / "a.asm").write_text("org $008000\nA:\n\tRTS\n")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "x"]):
        subprocess.run(cmd, cwd=tmp_path, check=True, env={**env, "PATH": "/usr/bin:/bin"})
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    report = read_corpus([tmp_path], name="g", origin="original")
    assert report.routines[0].provenance.commit == head


def test_deterministic(tree: Path) -> None:
    first = read_corpus([tree], name="s")
    second = read_corpus([tree], name="s")
    assert [(r.qualified_name, r.address, r.body) for r in first.routines] == [
        (r.qualified_name, r.address, r.body) for r in second.routines
    ]


def test_tags_parse_seeds_and_expectations() -> None:
    from triforce.corpus.tags import parse_tags

    tags = parse_tags(
        [
            " @entry m16 x8",
            " @in A: amount",
            " @out carry: set when capped",
            " @ram $7EF360 rw !rupee_goal",
            " @test A=$0010 [$7EF360]=$0100 => A=$0110 c=0 [$7EF360]=$0110",
            "@test edge: A=$FFFF P=$00 => a=$FF",
        ],
        "x.asm:1",
    )
    assert tags.entry is not None and (tags.entry.m, tags.entry.x) == (16, 8)
    assert tags.inputs == (("A", "amount"),) and tags.outputs == (("carry", "set when capped"),)
    assert (
        tags.ram[0].address == 0x7EF360 and tags.ram[0].access == "rw" and tags.ram[0].symbol == "!rupee_goal"
    )
    first, second = tags.tests
    assert first.registers == {"A": 0x10, "P": 0x10}  # m16 clears M, x8 keeps X
    assert first.memory == {0x7EF360: 0x00, 0x7EF361: 0x01}
    assert first.expect_registers == {"A": (0x0110, 0xFFFF)} and first.expect_flags == {"c": 0}
    assert first.expect_memory == {0x7EF360: 0x10, 0x7EF361: 0x01}
    assert (
        second.name == "edge" and second.registers["P"] == 0 and second.expect_registers["A"] == (0xFF, 0xFF)
    )


def test_malformed_tag_names_the_place() -> None:
    from triforce.corpus.tags import parse_tags

    with pytest.raises(InputError, match=r"x\.asm:7"):
        parse_tags([" @test A=oops"], "x.asm:7")


def test_huge_and_unreadable_files_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triforce.corpus import reader

    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 256)
    (tmp_path / "small.asm").write_text("org $008000\nSmall:\n\tRTS\n")
    (tmp_path / "huge.asm").write_text("org $008000\nHuge:\n" + "\tNOP\n" * 200 + "\tRTS\n")
    report = read_corpus([tmp_path])
    assert [r.name for r in report.routines] == ["Small"]
    assert any(p.name == "huge.asm" and why.startswith("too large") for p, why in report.files_skipped)


def test_cli_scan_json(tree: Path) -> None:
    import json

    from typer.testing import CliRunner

    from triforce.cli import app

    result = CliRunner().invoke(
        app, ["corpus", "scan", str(tree), "--json", "--routines", "--origin", "rom-hack"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["routines"] == 8 and data["origin"] == "rom-hack"
    assert any(row["name"] == "Heal" and row["address"] == "$00C000" for row in data["routine_list"])
    assert data["missing_includes"][0]["target"] == "missing.asm"
    bad = CliRunner().invoke(app, ["corpus", "scan", str(tree), "--origin", "stolen"])
    assert bad.exit_code != 0


def test_base_and_pushpc_addresses(tmp_path: Path) -> None:
    (tmp_path / "main.asm").write_text(
        "lorom\norg $008000\nStart:\n\tJSL InRam\n\tRTS\n"
        "base $7E2000\nInRam:\n\tLDA.b #$01\n\tRTL\nbase off\n"
        "After:\n\tRTS\n"
        "pushpc\norg $02C000\nPatched:\n\tRTL\npullpc\n"
        "Resumed:\n\tRTS\n"
    )
    routines = _by_name(read_corpus([tmp_path]))
    assert routines["Start"].address == 0x008000
    assert routines["InRam"].address == 0x7E2000
    assert routines["After"].address == 0x008008  # 5 bytes of Start + 3 of InRam
    assert routines["Patched"].address == 0x02C000
    assert routines["Resumed"].address == 0x008009
    assert routines["Start"].calls == ["InRam"]

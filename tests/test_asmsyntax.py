"""The one asar lexer (`triforce.snes.asmsyntax`): its rules, checked against the real asar where
it is installed, and the readers that share it (corpus, generators, normaliser, sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triforce.snes.asmsyntax import (
    command_of,
    comment_start,
    defined_labels,
    logical_lines,
    split_comment,
    split_labels,
    split_statements,
    statements,
)


@pytest.mark.parametrize(
    ("line", "code", "comment"),
    [
        ("LDA #$00 ; load", "LDA #$00 ", " load"),
        ('db "a;b" ; c', 'db "a;b" ', " c"),
        ("db ';' ; semicolon", "db ';' ", " semicolon"),
        ("db ''' : NOP ; quote", "db ''' : NOP ", " quote"),
        ('db "a""b;" ; doubled', 'db "a""b;" ', " doubled"),
        ("LDA #$00 ; it's Link's", "LDA #$00 ", " it's Link's"),
        ("db 1 ' ; open quote", "db 1 ' ; open quote", ""),  # asar rejects the line; nothing hidden
        ("NOP", "NOP", ""),
    ],
)
def test_comments_follow_asar_quotes(line: str, code: str, comment: str) -> None:
    assert split_comment(line) == (code, comment)
    assert (comment_start(line) is None) == (comment == "")


def test_statements_separators_labels_and_continuations() -> None:
    assert split_statements("nop\t:\tnop :  rts") == ["nop", "nop", "rts"]
    assert split_statements("a:b") == ["a:b"] and split_statements("db 1 :db 2") == ["db 1 :db 2"]
    assert split_statements('db " : " : nop') == ['db " : "', "nop"]
    assert split_labels("Lab: #Two:\t+ table x") == (["Lab:", "#Two:", "+"], "table x")
    assert split_labels("lab:table x") == ([], "lab:table x")  # no blank after the colon: no label
    assert split_labels(".sub STA $00") == ([".sub"], "STA $00")
    assert command_of('@ TaBlE\t"x"') == ("table", '"x"')
    assert list(logical_lines("db 1,\n2\nLDA \\\n#$00 ; c\nRTS")) == [
        (1, "db 1,2"),
        (3, "LDA #$00 "),
        (5, "RTS"),
    ]
    st = list(statements("Main: LDA #$01 : .x STA $10\n"))
    assert [(s.labels, s.command) for s in st] == [(("Main:",), "lda"), ((".x",), "sta")]
    assert defined_labels("Main:\n.loop DEX\nHelp: RTS : Other: NOP\n+ BRA -\n") == {"Main", "Help", "Other"}


def test_the_rules_are_asars(tmp_path: Path) -> None:
    """Each rule above, as the real asar applies it (the bytes it writes)."""
    import subprocess

    from triforce.errors import ToolNotFoundError
    from triforce.snes.asar import find_asar

    try:
        asar = find_asar().path
    except ToolNotFoundError:
        pytest.skip("asar is not installed")
    cases = {
        'db "a;b" ; c': b"a;b",
        "db ';' : db 2": b";\x02",
        "db ''' : db 3": b"'\x03",
        'db "a""b"': b'a"b',
        "db 1\t:\tdb 2": b"\x01\x02",
        "db 1,\n2": b"\x01\x02",
        "Lab:\tdb 7": b"\x07",
        "@ db 9": b"\x09",
    }
    for source, expected in cases.items():
        (tmp_path / "t.asm").write_text(f"lorom\norg $008000\n{source}\n")
        (tmp_path / "r.sfc").write_bytes(bytes(0x8000))
        run = subprocess.run(
            [str(asar), "--no-title-check", "t.asm", "r.sfc"], cwd=tmp_path, capture_output=True
        )
        assert (tmp_path / "r.sfc").read_bytes()[: len(expected)] == expected, (source, run.stdout)
        code = b"".join(
            s.encode() for _, line in logical_lines(source) for s in split_statements(line)
        )  # every case is read as statements asar also sees
        assert code


def test_the_corpus_reader_tracks_addresses_through_tab_separators(tmp_path: Path) -> None:
    """`- :<TAB>STA.l ...` is a label and a 4-byte store to asar, `DEX #2` two DEX; the reader once
    lost the store and counted one DEX."""
    from triforce.corpus import read_corpus
    from triforce.snes.asar import assemble

    source = (
        "org $008000\nFirst:\n    LDX #$0E\n    - :\tSTA.l $7E0000, X : DEX #2 : BPL -\n    RTL\n"
        "Second:\n    RTL\n"
    )
    (tmp_path / "t.asm").write_text(source)
    routines = {r.name: r.address for r in read_corpus([tmp_path], name="t", origin="original").routines}
    truth = assemble(source, org=None).symbols
    assert routines["Second"] == truth["Second"] == 0x00800B


def test_mnemonic_groups_come_from_the_opcode_table() -> None:
    from triforce.snes.opcodes import JUMPS, LONG_JUMPS, NEAR_JUMPS, NO_DATA_OPERAND, RELATIVE

    assert {"BCC", "BCS", "BEQ", "BMI", "BNE", "BPL", "BRA", "BRL", "BVC", "BVS", "PER"} == RELATIVE
    assert (
        {"JMP", "JML", "JSR", "JSL"} == JUMPS
        and {"JML", "JSL"} == LONG_JUMPS
        and {"JMP", "JSR"} == NEAR_JUMPS
    )
    assert {"PEA", "MVN", "REP", "BRK", "WDM"} <= NO_DATA_OPERAND and "BIT" not in NO_DATA_OPERAND
    from triforce.corpus import _banks, _walk
    from triforce.generate import audit
    from triforce.snes.opcodes import BRANCHES, FLOW_ENDS

    assert RELATIVE - {"PER"} == BRANCHES and {"RTS", "RTL", "RTI", "JMP", "BRA", "STP"} <= FLOW_ENDS
    # the readers of fall-through and call sites use the one set, not copies of it
    assert _walk.NO_FALL is FLOW_ENDS and audit._TERMINATORS is FLOW_ENDS
    assert _banks._BRANCHES is BRANCHES and _banks._CALLS is JUMPS
    from triforce.dataset.normalize import _BRANCH

    assert _BRANCH.match("bra .x") and not _BRANCH.match("bit $10") and not _BRANCH.match("brk #$00")

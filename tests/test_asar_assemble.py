"""assemble() against the real asar: exact bytes per addressing mode, error codes, stubs, images."""

from __future__ import annotations

import hashlib

import pytest

from triforce.snes.asar import assemble, assemble_batch, snes_to_offset
from triforce.snes.opcodes import MODE_SYNTAX, OPCODES, Mode, Opcode, operand_size

# (source, bytes) — one row per 65816 addressing mode, as asar 1.91 encodes them.
ADDRESSING_MODES: list[tuple[str, str]] = [
    ("NOP", "ea"),  # implied
    ("ASL A", "0a"),  # accumulator
    ("INC A", "1a"),
    ("LDA #$12", "a9 12"),  # immediate, size by digit count
    ("LDA #$1234", "a9 34 12"),
    ("LDX #$12", "a2 12"),
    ("CPY #$1234", "c0 34 12"),
    ("REP #$30", "c2 30"),
    ("SEP #$20", "e2 20"),
    ("BRK #$00", "00 00"),
    ("COP #$12", "02 12"),
    ("LDA $12", "a5 12"),  # direct page
    ("LDA $12,x", "b5 12"),
    ("LDX $12,y", "b6 12"),
    ("LDA ($12)", "b2 12"),
    ("LDA ($12,x)", "a1 12"),
    ("LDA ($12),y", "b1 12"),
    ("LDA [$12]", "a7 12"),
    ("LDA [$12],y", "b7 12"),
    ("LDA $1234", "ad 34 12"),  # absolute
    ("LDA $1234,x", "bd 34 12"),
    ("LDA $1234,y", "b9 34 12"),
    ("STZ $1234", "9c 34 12"),
    ("STZ $12,x", "74 12"),
    ("LDA $123456", "af 56 34 12"),  # long
    ("LDA $123456,x", "bf 56 34 12"),
    ("STA $7E0012", "8f 12 00 7e"),
    ("LDA $12,s", "a3 12"),  # stack relative
    ("LDA ($12,s),y", "b3 12"),
    ("JMP ($1234)", "6c 34 12"),  # indirect jumps
    ("JMP ($1234,x)", "7c 34 12"),
    ("JSR ($1234,x)", "fc 34 12"),
    ("JML [$1234]", "dc 34 12"),
    ("JSR $9000", "20 00 90"),
    ("JSL $123456", "22 56 34 12"),
    ("JML $123456", "5c 56 34 12"),
    ("MVN $7E,$7F", "54 7e 7f"),  # asar order: destination bank, source bank
    ("MVP $7F,$7E", "44 7f 7e"),
    ("PEA $1234", "f4 34 12"),
    ("PEI ($12)", "d4 12"),
    ("LDA.b $0012", "a5 12"),  # explicit widths
    ("LDA.w $12", "ad 12 00"),
    ("LDA.l $12", "af 12 00 00"),
    ("BIT #$12", "89 12"),
    ("TSB $12", "04 12"),
    ("XBA", "eb"),
    ("XCE", "fb"),
    ("RTL", "6b"),
    ("RTS", "60"),
    ("RTI", "40"),
    ("Loop:\nBRA Loop", "80 fe"),  # relative, via labels
    ("Loop:\nBNE Loop", "d0 fe"),
    ("Loop:\nBRL Loop", "82 fd ff"),
    ("PER Here\nHere:", "62 00 00"),
    ("db $01,$02\ndw $1234\ndl $123456", "01 02 34 12 56 34 12"),
]


@pytest.mark.parametrize(("source", "expected"), ADDRESSING_MODES, ids=[s for s, _ in ADDRESSING_MODES])
def test_addressing_mode_bytes(source: str, expected: str) -> None:
    res = assemble(source)
    assert res.ok, res.diagnostics
    assert res.code.hex(" ") == expected
    assert res.chunks[0].address == 0x008000
    assert res.chunks[0].offset == 0


def test_batch_gives_the_same_bytes_as_single_runs() -> None:
    results = assemble_batch([s for s, _ in ADDRESSING_MODES])
    assert [r.code.hex(" ") for r in results] == [e for _, e in ADDRESSING_MODES]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("STX $7E0012", "Eunknown_command"),  # STX has no long mode
        ("STZ $7EF340", "Eunknown_command"),  # STZ has no long mode
        ("JSL Sprite_Move", "Elabel_not_found"),
        ("bogusdirective $12", "Eunknown_command"),
        ("LDA #", "Einvalid_number"),
    ],
)
def test_known_errors_carry_asar_codes_and_lines(line: str, code: str) -> None:
    res = assemble(f"Main:\n  {line}\n  RTL\n", filename="bad.asm")
    assert not res.ok
    assert res.chunks == []
    [diag] = res.errors
    assert (diag.code, diag.file, diag.line, diag.severity) == (code, "bad.asm", 2, "error")
    assert diag.text == line
    assert diag.format().startswith(f"bad.asm:2: error: ({code}):")


def test_symbols_come_from_wla_file() -> None:
    res = assemble("Main:\n  NOP\n.loop\n  BRA .loop\nOther:\n  RTL\n", org=0x018000)
    assert res.ok
    assert res.symbols == {"Main": 0x018000, "Main_loop": 0x018001, "Other": 0x018003}
    assert res.chunks[0].offset == 0x8000


def test_zero_bytes_written_on_a_blank_image_are_reported() -> None:
    res = assemble("LDA #$00\nSTA $00\nBRK #$00\n")
    assert res.code.hex(" ") == "a9 00 85 00 00 00"


def test_org_none_lets_the_source_place_itself_in_two_places() -> None:
    res = assemble("org $008000\nNOP\norg $00C000\nRTS\n", org=None)
    assert [(c.address, c.data) for c in res.chunks] == [(0x008000, b"\xea"), (0x00C000, b"\x60")]


def test_defines_are_passed_to_asar() -> None:
    res = assemble("LDA #!value\n", defines={"value": "$42"})
    assert res.code == b"\xa9\x42"


def test_stubs_define_every_missing_label_by_how_it_is_used() -> None:
    src = "Main:\n  JSL Sprite_Move\n  JSR SomeHelper\n  LDA SomeTable,y\n  JSL Sprite_Move\n  RTL\n"
    assert not assemble(src).ok
    res = assemble(src, stubs=True)
    assert res.ok, res.diagnostics
    assert set(res.stubs) == {"Sprite_Move", "SomeHelper", "SomeTable"}
    assert len(set(res.stubs.values())) == 3
    long_stub, near_stub, data_stub = (
        res.stubs["Sprite_Move"],
        res.stubs["SomeHelper"],
        res.stubs["SomeTable"],
    )
    # JSR and absolute,y only carry 16 bits: those stubs live in the caller's bank.
    assert near_stub >> 16 == 0x00 and data_stub >> 16 == 0x00
    rom = res.rom
    assert rom[snes_to_offset(long_stub)] == 0x6B  # RTL
    assert rom[snes_to_offset(near_stub)] == 0x60  # RTS
    expected = bytes(
        [0x22, *long_stub.to_bytes(3, "little"), 0x20, *(near_stub & 0xFFFF).to_bytes(2, "little")]
    )
    assert res.code.startswith(expected)
    assert "Sprite_Move" not in res.symbols and res.symbols == {"Main": 0x008000}
    # stub bytes belong to the image, not to what the snippet wrote
    assert all(c.address < 0x00E000 for c in res.chunks)


def test_stubs_do_not_hide_real_errors() -> None:
    res = assemble("JSL Missing\nSTZ $7EF340\n", stubs=True)
    assert not res.ok
    assert [d.code for d in res.errors] == ["Eunknown_command"]
    assert "Missing" in res.stubs


def test_base_rom_file_is_never_modified(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "game.sfc"
    original = bytes((i * 7) & 0xFF for i in range(0x100000))
    path.write_bytes(original)
    digest = hashlib.sha256(original).hexdigest()
    res = assemble("org $1F8000\nLDA #$12\nRTL\n", org=None, base_rom=path)
    assert res.ok
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert [(c.address, c.offset, c.data) for c in res.chunks] == [(0x1F8000, 0xF8000, b"\xa9\x12\x6b")]
    rom = res.rom
    assert len(rom) == len(original)
    assert rom[0xF8000:0xF8003] == b"\xa9\x12\x6b"
    assert rom[:0xF8000] == original[:0xF8000] and rom[0xF8003:] == original[0xF8003:]
    # bytes work too, and report only the bytes that changed
    again = assemble("org $008000\nLDA #$12\n", org=None, base_rom=original)
    assert again.ok and again.chunks[0].data == b"\xa9\x12"


def test_hirom_maps_banks_c0_and_the_upper_half_of_00() -> None:
    res = assemble("Main:\nLDA Main\nRTL\n", mapper="hirom", org=0xC12345)
    assert res.ok
    assert res.chunks[0].offset == 0x12345
    assert res.chunks[0].address == 0xC12345
    assert res.symbols == {"Main": 0xC12345}
    assert res.rom[0x12345:0x12349] == b"\xad\x45\x23\x6b"
    low = assemble("NOP\n", mapper="hirom", org=0x808000)
    assert low.chunks[0].offset == 0x8000


def test_include_root_allows_files_inside_it(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "lib").mkdir()
    (root / "lib" / "helpers.asm").write_text("Helper:\n  RTS\n")
    (root / "data.bin").write_bytes(b"\x01\x02\x03")
    res = assemble('JSR Helper\nincsrc "lib/helpers.asm"\nincbin "data.bin"\n', include_root=root)
    assert res.ok, res.diagnostics
    assert res.code.hex(" ") == "20 03 80 60 01 02 03"


def test_stubs_fit_a_single_bank_image_without_touching_the_code() -> None:
    res = assemble("JSL Far\nJSR Near\nLDA Table,x\nRTL\n", rom_size=0x8000, stubs=True)
    assert res.ok, res.diagnostics
    code_end = res.chunks[0].address + len(res.chunks[0].data)
    assert all(0x008000 <= a <= 0x00FFFF and a >= code_end for a in res.stubs.values())
    assert res.rom[snes_to_offset(res.stubs["Far"])] == 0x6B
    assert res.rom[snes_to_offset(res.stubs["Near"])] == 0x60
    assert len(res.rom) == 0x8000


# Width suffixes that pin asar to the mode the opcode table names.
_SUFFIX = {Mode.DP: ".b", Mode.DP_X: ".b", Mode.DP_Y: ".b", Mode.ABS: ".w", Mode.ABS_X: ".w",
           Mode.ABS_Y: ".w", Mode.LONG: ".l", Mode.LONG_X: ".l"}  # fmt: skip


def _opcode_source(op: Opcode) -> str:
    if op.mode in (Mode.REL8, Mode.REL16):
        return f"Here:\n{op.mnemonic} Here"
    if op.mode is Mode.MOVE:
        return f"{op.mnemonic} $12,$34"
    if op.mode is Mode.IMM16:
        return f"{op.mnemonic} $1234"
    if op.mode is Mode.IMP:
        return op.mnemonic
    if op.mode is Mode.ACC:
        return f"{op.mnemonic} A"
    value = {1: "$12", 2: "$1234", 3: "$123456"}[operand_size(op.mode)]
    return f"{op.mnemonic}{_SUFFIX.get(op.mode, '')} " + MODE_SYNTAX[op.mode].format(value)


def test_all_256_opcodes_agree_with_the_opcode_table() -> None:
    """asar and triforce.snes.opcodes agree on every opcode byte and length (8-bit immediates)."""
    results = assemble_batch([_opcode_source(op) for op in OPCODES])
    assert all(r.ok for r in results), [r.diagnostics for r in results if not r.ok]
    assert [r.code[0] for r in results] == list(range(256))
    assert [len(r.code) for r in results] == [1 + operand_size(op.mode) for op in OPCODES]


def test_near_stubs_go_to_the_bank_of_the_referencing_line() -> None:
    src = (
        "org $0AB000\nJSR Helper\nRTS\n"
        "org $0C8000\nmacro call()\n  JMP Other\nendmacro\n%call()\n"
        "pushpc\norg $0D8000\nJMP Third\npullpc\nJSR Fourth\n"
    )
    res = assemble(src, org=None, stubs=True)
    assert res.ok, res.diagnostics
    banks = {name: address >> 16 for name, address in res.stubs.items()}
    assert banks == {"Helper": 0x0A, "Other": 0x0C, "Third": 0x0D, "Fourth": 0x0C}
    assert res.rom[snes_to_offset(res.stubs["Helper"])] == 0x60


def test_a_near_label_called_from_two_banks_is_reported_clearly() -> None:
    res = assemble("org $0A8000\nJSR Shared\norg $0B8000\nJSR Shared\n", org=None, stubs=True)
    assert not res.ok
    [note] = [d for d in res.errors if d.code == "Tstub_bank"]
    assert "'Shared'" in note.message and "$0A, $0B" in note.message


def test_a_jsr_to_a_label_in_another_bank_is_explained() -> None:
    res = assemble("org $0AB000\nMain: JSR Far\nRTS\nFar = $0C8000\n", org=None)
    [diag] = res.errors
    assert diag.code == "Eunknown_command" and "another bank" in diag.message
    assert "another bank" not in assemble("STZ $7EF340\n").errors[0].message


def test_stubs_never_land_on_the_snippets_own_code() -> None:
    # code from $0AEFF0 to past $0AF100 covers the bank's first near and data stub addresses
    src = "org $0AEFF0\nMain:\nJSR Helper\nLDA Table,x\n" + "NOP\n" * 0x120 + "RTS\n"
    for res in (assemble(src, org=None, stubs=True), assemble_batch([src], stubs=True)[0]):
        assert res.ok, res.diagnostics
        code = range(0x0AEFF0, 0x0AEFF0 + len(res.code))
        assert res.stubs["Helper"] not in code and res.stubs["Helper"] >> 16 == 0x0A
        assert res.rom[snes_to_offset(res.stubs["Helper"])] == 0x60
        assert res.code[:3] == bytes([0x20, res.stubs["Helper"] & 0xFF, res.stubs["Helper"] >> 8 & 0xFF])

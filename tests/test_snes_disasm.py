"""Disassembler: REP/SEP tracking, asar syntax, and byte-exact round trips through the real asar."""

from __future__ import annotations

import random

from triforce.snes.asar import assemble
from triforce.snes.bus import SnesBus
from triforce.snes.disasm import disassemble, listing, to_asar
from triforce.snes.opcodes import OPCODES, operand_size


def test_rep_sep_change_immediate_sizes() -> None:
    code = bytes.fromhex("c230 a93412 a27856 e220 a912 e210 a034")
    ins = disassemble(code, 0x008000, count=7)
    assert [i.text() for i in ins] == [
        "REP #$30", "LDA #$1234", "LDX #$5678", "SEP #$20", "LDA #$12", "SEP #$10", "LDY #$34",
    ]  # fmt: skip
    assert (ins[1].m8, ins[1].x8, ins[4].m8, ins[6].x8) == (False, False, True, True)


def test_hints_set_the_entry_widths() -> None:
    code = bytes.fromhex("a93412")
    assert disassemble(code, 0x008000, count=1, m8=False)[0].text() == "LDA #$1234"
    assert disassemble(code, 0x008000, count=1, m8=True)[0].text() == "LDA #$34"


def test_branches_become_labels_and_mvn_keeps_object_order() -> None:
    code = bytes.fromhex("d0fe 547e7f 8200 00")
    text = to_asar(disassemble(code, 0x008000, length=len(code)))
    assert "L_008000:" in text and "BNE L_008000" in text
    assert "MVN $7E,$7F" in text
    assert "BRL L_008008" in text


def test_disassembles_from_a_bus() -> None:
    rom = bytearray(0x8000)
    rom[0:4] = bytes.fromhex("22563412")
    bus = SnesBus(bytes(rom), "lorom")
    ins = disassemble(bus, 0x808000, count=1)
    assert ins[0].text() == "JSL $123456"
    assert "$808000" in listing(ins)


def _random_stream(rng: random.Random, n: int) -> tuple[bytes, bool, bool]:
    m8, x8 = rng.random() < 0.5, rng.random() < 0.5
    m0, x0 = m8, x8
    out = bytearray()
    for _ in range(n):
        op = OPCODES[rng.randrange(256)]
        out.append(op.code)
        out += bytes(rng.randrange(256) for _ in range(operand_size(op.mode, m8, x8)))
        if op.mnemonic == "REP":
            m8, x8 = m8 and not out[-1] & 0x20, x8 and not out[-1] & 0x10
        elif op.mnemonic == "SEP":
            m8, x8 = m8 or bool(out[-1] & 0x20), x8 or bool(out[-1] & 0x10)
    return bytes(out), m0, x0


def test_round_trip_of_random_streams_through_asar_is_byte_exact() -> None:
    """3000 random streams of 16 instructions (all 256 opcodes, all widths) in one asar run."""
    rng = random.Random(20261125)
    parts = []
    streams = []
    for i in range(3000):
        data, m8, x8 = _random_stream(rng, 16)
        # LoROM banks $00-$77, 256-byte slots; bank 0 slots start at $8000.
        address = ((i % 120) << 16) | (0x8000 + (i // 120) * 0x100)
        ins = disassemble(data, address, length=len(data), m8=m8, x8=x8)
        assert b"".join(x.data for x in ins) == data
        parts.append(to_asar(ins, label_prefix=f"S{i}_"))
        streams.append((address, data))
    result = assemble("\n".join(parts), org=None, mapper="lorom", rom_size=0x400000)
    assert result.ok, result.diagnostics[:3]
    rom = result.rom
    bad = []
    for address, data in streams:
        offset = ((address >> 16) << 15) | (address & 0x7FFF)
        if rom[offset : offset + len(data)] != data:
            bad.append((hex(address), data.hex(), rom[offset : offset + len(data)].hex()))
    assert not bad, bad[:5]

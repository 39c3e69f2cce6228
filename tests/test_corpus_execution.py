"""Every bundled routine, executed on each of its `; @test` seed states by the real CPU core:
it returns normally (RTS to a JSR, RTL to a JSL) within an instruction limit, leaves S and DB as
it found them, and produces what its `=>` expectations say.

The bus here is the minimum the bundled routines need (WRAM with its low mirror, LoROM ROM, the
multiply/divide unit); `triforce.snes.machine` is the full one.
"""

from __future__ import annotations

import pytest

from triforce.corpus import Routine, bundled_corpus
from triforce.snes.asar import assemble, snes_to_offset
from triforce.snes.cpu import CPU, Registers, StopReason

MAX_INSTRUCTIONS = 20_000
TRAMPOLINE = 0xFF00  # in the routine's bank for JSR, bank $00 for JSL


class _Bus:
    def __init__(self, rom: bytes) -> None:
        self.rom = rom
        self.wram = bytearray(0x20000)
        self.io: dict[int, int] = {}
        self.product = 0
        self.quotient = 0

    @staticmethod
    def _wram(address: int) -> int | None:
        bank, offset = address >> 16, address & 0xFFFF
        if bank in (0x7E, 0x7F):
            return address - 0x7E0000
        if (bank < 0x40 or 0x80 <= bank < 0xC0) and offset < 0x2000:
            return offset
        return None

    def read(self, address: int) -> int:
        w = self._wram(address)
        if w is not None:
            return self.wram[w]
        offset = address & 0xFFFF
        results = {
            0x4214: self.quotient,
            0x4215: self.quotient >> 8,
            0x4216: self.product,
            0x4217: self.product >> 8,
        }
        if offset in results:
            return results[offset] & 0xFF
        rom_offset = snes_to_offset(address)
        return self.rom[rom_offset] if rom_offset is not None and rom_offset < len(self.rom) else 0

    def write(self, address: int, value: int) -> None:
        w = self._wram(address)
        if w is not None:
            self.wram[w] = value
            return
        offset = address & 0xFFFF
        self.io[offset] = value
        if offset == 0x4203:
            self.product = self.io.get(0x4202, 0xFF) * value
        elif offset == 0x4206:
            dividend = self.io.get(0x4204, 0xFF) | self.io.get(0x4205, 0xFF) << 8
            self.quotient, self.product = (
                (dividend // value, dividend % value) if value else (0xFFFF, dividend)
            )


_CORPUS = bundled_corpus()


@pytest.fixture(scope="module")
def images() -> dict[str, tuple[bytes, int]]:
    out = {}
    for r in _CORPUS.routines:
        result = assemble(r.standalone(), org=None)
        assert result.ok, (r.name, [d.message for d in result.diagnostics])
        out[r.name] = (result.rom, result.symbols[r.name])
    return out


def _run(r: Routine, rom: bytes, entry: int, seed_index: int) -> tuple[CPU, _Bus, object]:
    seed = r.tags.tests[seed_index]
    bank = entry >> 16 if r.returns == "rts" else 0
    image = bytearray(rom)
    at = snes_to_offset(bank << 16 | TRAMPOLINE)
    assert at is not None
    if r.returns == "rts":
        image[at : at + 4] = bytes([0x20, entry & 0xFF, entry >> 8 & 0xFF, 0xDB])  # JSR entry; STP
    else:
        image[at : at + 5] = bytes([0x22, entry & 0xFF, entry >> 8 & 0xFF, entry >> 16, 0xDB])  # JSL; STP
    bus = _Bus(bytes(image))
    for address, value in seed.memory.items():
        bus.write(address, value)
    cpu = CPU(bus)
    g = seed.registers
    cpu.set_registers(
        Registers(a=g.get("A", 0), x=g.get("X", 0), y=g.get("Y", 0), s=g.get("S", 0x01FF), d=g.get("D", 0),
                  db=g.get("DB", 0x7E), pb=bank, pc=TRAMPOLINE, p=g.get("P", 0x30), e=False)
    )  # fmt: skip
    result = cpu.run(max_instructions=MAX_INSTRUCTIONS, stop_at_return=False)
    return cpu, bus, result


_CASES = [(r, i) for r in _CORPUS.routines for i in range(len(r.tags.tests))]


@pytest.mark.parametrize(
    ("routine", "index"), _CASES, ids=[f"{r.name}-{r.tags.tests[i].name}" for r, i in _CASES]
)
def test_routine_on_seed(routine: Routine, index: int, images) -> None:
    rom, entry = images[routine.name]
    cpu, bus, result = _run(routine, rom, entry, index)
    seed = routine.tags.tests[index]
    final = cpu.registers()
    call_size = 3 if routine.returns == "rts" else 4
    assert result.reason == StopReason.STP, f"did not return: {result.reason} at ${final.address:06X}"
    assert final.pc == TRAMPOLINE + call_size + 1, "returned to the wrong place"
    assert final.s == seed.registers.get("S", 0x01FF), "stack not balanced"
    assert final.db == seed.registers.get("DB", 0x7E), "data bank not restored"
    assert seed.has_expectations, "seed states come with expectations"
    for name, (value, mask) in seed.expect_registers.items():
        got = {"A": final.a, "X": final.x, "Y": final.y}[name]
        assert got & mask == value, f"{name}=${got:04X}, expected ${value:X}"
    for flag, value in seed.expect_flags.items():
        bit = {"c": 0x01, "z": 0x02, "v": 0x40, "n": 0x80}[flag]
        assert bool(final.p & bit) == bool(value), f"flag {flag}"
    for address, value in seed.expect_memory.items():
        assert bus.read(address) == value, f"[${address:06X}]=${bus.read(address):02X}, expected ${value:02X}"

"""SnesBus: the memory map, open bus, the emulated registers, DMA and the watches."""

from __future__ import annotations

import pytest

from triforce.snes.bus import SnesBus, canonical


def _rom(size: int) -> bytes:
    # Every 32 KiB / 64 KiB block starts with its own index so mapping mistakes show.
    data = bytearray(size)
    for off in range(0, size, 0x100):
        data[off] = (off >> 15) & 0xFF
        data[off + 1] = (off >> 16) & 0xFF
        data[off + 2] = (off >> 8) & 0xFF
    return bytes(data)


def test_lorom_maps_32k_banks_and_mirrors_high_banks() -> None:
    rom = _rom(0x100000)  # 1 MiB: 32 banks of 32 KiB
    bus = SnesBus(rom, "lorom")
    assert bus.read(0x008000) == 0
    assert bus.read(0x018000) == 1
    assert bus.read(0x1F8000) == 31
    assert bus.read(0x818000) == 1  # $80-$FF mirror $00-$7F
    assert bus.read(0x208000) == 0  # a 1 MiB ROM repeats every 32 banks
    assert bus.read(0x01FF02) == rom[0xFF00 + 2 - 0x8000 + 0x8000 * 1]


def test_hirom_maps_64k_banks_with_upper_halves_in_low_banks() -> None:
    rom = _rom(0x100000)
    bus = SnesBus(rom, "hirom")
    assert bus.read(0xC10001) == 1  # bank $C1 offset $0000 -> ROM $010000
    assert bus.read(0x410001) == 1
    assert bus.read(0x018001) == rom[0x018001]
    assert bus.read(0x818001) == rom[0x018001]


def test_wram_and_its_low_bank_mirrors() -> None:
    bus = SnesBus(b"", "lorom")
    bus.write(0x000010, 0x5A)
    for addr in (0x7E0010, 0x3F0010, 0x800010, 0xBF0010):
        assert bus.read(addr) == 0x5A
    bus.write(0x7F1234, 0x11)
    assert bus.wram[0x11234] == 0x11
    bus.write(0x7E2000, 0x22)  # above the mirror: not visible at $00:2000 (I/O there)
    assert bus.wram[0x2000] == 0x22
    assert canonical(0x801FFF) == 0x7E1FFF and canonical(0x402000) == 0x402000


def test_sram_lorom_and_hirom() -> None:
    lo = SnesBus(_rom(0x80000), "lorom", sram_size=0x2000)
    lo.write(0x700005, 0x77)
    assert lo.read(0x700005) == 0x77 and lo.sram[5] == 0x77
    assert lo.read(0x702005) == 0x77  # 8 KiB mirrored through the 32 KiB window
    hi = SnesBus(_rom(0x80000), "hirom", sram_size=0x2000)
    hi.write(0x306001, 0x44)
    assert hi.sram[1] == 0x44 and hi.read(0xB06001) == 0x44


def test_rom_is_read_only_and_writes_are_recorded_as_ignored() -> None:
    bus = SnesBus(_rom(0x8000), "lorom")
    before = bus.read(0x008003)
    bus.write(0x008003, 0x99)
    assert bus.read(0x008003) == before
    assert bus.ignored_writes == [(0x008003, 0x99)]


def test_open_bus_returns_the_last_value_on_the_bus() -> None:
    bus = SnesBus(_rom(0x8000), "lorom")
    bus.write(0x7E0000, 0xAB)
    bus.read(0x7E0000)
    assert bus.read(0x405000) == 0xAB  # unmapped
    assert bus.read(0x002100) == 0xAB  # write-only PPU register
    assert bus.read(0x004210) == 0x02  # readable register: documented default
    assert [bus.read(0x004212) & 0x80 for _ in range(3)] == [0x80, 0, 0x80]  # vblank polls finish


def test_multiply_and_divide_results_are_immediate() -> None:
    bus = SnesBus()
    bus.write(0x4202, 200)
    bus.write(0x4203, 123)
    assert bus.read(0x4216) | bus.read(0x4217) << 8 == 200 * 123
    bus.write(0x4204, 0x39)
    bus.write(0x4205, 0x30)  # dividend $3039 = 12345
    bus.write(0x4206, 100)
    assert bus.read(0x4214) | bus.read(0x4215) << 8 == 123
    assert bus.read(0x4216) | bus.read(0x4217) << 8 == 45
    bus.write(0x4206, 0)  # division by zero: quotient $FFFF, remainder = dividend
    assert bus.read(0x4214) | bus.read(0x4215) << 8 == 0xFFFF
    assert bus.read(0x4216) | bus.read(0x4217) << 8 == 12345


def test_wram_port_reads_and_writes_with_auto_increment() -> None:
    bus = SnesBus()
    for reg, value in ((0x2181, 0xFF), (0x2182, 0xFF), (0x2183, 0x00)):
        bus.write(reg, value)
    bus.write(0x2180, 1)
    bus.write(0x2180, 2)  # crosses from $7EFFFF to $7F0000
    assert bus.read(0x7EFFFF) == 1 and bus.read(0x7F0000) == 2
    bus.write(0x2181, 0xFF)
    bus.write(0x2182, 0xFF)
    bus.write(0x2183, 0x01)
    bus.write(0x2180, 3)  # $7FFFFF, then the address wraps to $7E0000
    bus.write(0x2180, 4)
    assert bus.read(0x7FFFFF) == 3 and bus.read(0x7E0000) == 4


def _dma(bus: SnesBus, ch: int, control: int, b: int, src: int, count: int) -> None:
    base = 0x4300 | ch << 4
    bus.write(base, control)
    bus.write(base + 1, b)
    bus.write(base + 2, src & 0xFF)
    bus.write(base + 3, (src >> 8) & 0xFF)
    bus.write(base + 4, src >> 16)
    bus.write(base + 5, count & 0xFF)
    bus.write(base + 6, (count >> 8) & 0xFF)
    bus.write(0x420B, 1 << ch)


def test_dma_rom_to_wram_through_the_port() -> None:
    rom = bytearray(0x8000)
    rom[0x100:0x110] = bytes(range(0x10, 0x20))
    bus = SnesBus(bytes(rom), "lorom")
    bus.write(0x2181, 0x00)
    bus.write(0x2182, 0x20)
    bus.write(0x2183, 0x00)
    _dma(bus, 3, 0x00, 0x80, 0x008100, 16)
    assert bytes(bus.wram[0x2000:0x2010]) == bytes(range(0x10, 0x20))
    assert bus.read(0x4335) == 0 and bus.read(0x4336) == 0  # count ends at 0
    assert bus.read(0x4332) == 0x10 and bus.read(0x4333) == 0x81  # A address advanced
    dma = [m for m in bus.mmio if m.op == "dma"]
    assert dma and dma[0].address == 0x2180 and dma[0].value == 16 and dma[0].source == 0x008100


def test_dma_fixed_source_fills_and_wram_to_wram_moves_nothing() -> None:
    rom = bytearray(0x8000)
    rom[0x200] = 0xEE
    bus = SnesBus(bytes(rom), "lorom")
    _dma(bus, 0, 0x08, 0x80, 0x008200, 0x20)  # fixed source: fill 32 bytes with $EE
    assert bytes(bus.wram[:0x20]) == b"\xee" * 0x20
    bus.wram[0x1000] = 0x55
    bus.write(0x2181, 0x00)
    bus.write(0x2182, 0x30)
    _dma(bus, 1, 0x00, 0x80, 0x7E1000, 1)  # WRAM -> WRAM via the port: no effect on hardware
    assert bus.wram[0x3000] == 0


def test_dma_b_to_a_copies_wram_through_the_port_into_sram() -> None:
    bus = SnesBus(bytes(0x8000), "lorom", sram_size=0x2000)
    bus.wram[0x4000:0x4004] = b"\x01\x02\x03\x04"
    bus.write(0x2181, 0x00)
    bus.write(0x2182, 0x40)
    bus.write(0x2183, 0x00)
    _dma(bus, 7, 0x80, 0x80, 0x700010, 4)  # B -> A: $2180 into SRAM $700010
    assert bytes(bus.sram[0x10:0x14]) == b"\x01\x02\x03\x04"
    assert bus.wram_address == 0x4004


def test_dma_to_ppu_is_recorded_not_emulated() -> None:
    bus = SnesBus(bytes(0x8000), "lorom")
    _dma(bus, 0, 0x01, 0x18, 0x008000, 0x800)  # VRAM upload
    dma = next(m for m in bus.mmio if m.op == "dma")
    assert dma.address == 0x2118 and dma.value == 0x800 and not dma.emulated


def test_other_mmio_is_logged() -> None:
    bus = SnesBus()
    bus.write(0x2100, 0x80)
    bus.read(0x4211)
    ops = [(m.op, m.address, m.value, m.emulated) for m in bus.mmio]
    assert ops == [("write", 0x2100, 0x80, False), ("read", 0x4211, 0, False)]


def test_watches_record_canonical_addresses_and_final_values() -> None:
    bus = SnesBus()
    bus.start_watch()
    bus.write(0x000010, 1)
    bus.write(0x7E0010, 2)
    bus.read(0x800011)
    assert bus.writes == {0x7E0010: 2}
    assert bus.reads == {0x7E0011}
    bus.stop_watch()
    bus.write(0x000012, 3)
    assert 0x7E0012 not in bus.writes


def test_copier_header_is_stripped_and_sram_size_read_from_header() -> None:
    rom = bytearray(0x8000)
    rom[0x7FD8] = 0x03  # 8 KiB
    bus = SnesBus(bytes(0x200) + bytes(rom), "lorom")
    assert len(bus.sram) == 0x2000
    with pytest.raises(ValueError):
        SnesBus(b"", "exrom")  # type: ignore[arg-type]


def test_sram_starts_as_ff_and_follows_the_reference_windows() -> None:
    lo = SnesBus(_rom(0x80000), "lorom", sram_size=0x2000)
    assert lo.read(0x700000) == 0xFF
    lo.write(0x708001, 0x12)  # ROM <= 2 MiB: SRAM fills the whole bank (as bsnes maps it)
    assert lo.sram[1] == 0x12
    big = SnesBus(_rom(0x400000), "lorom", sram_size=0x2000)
    assert big.region(0x708000) == "rom" and big.region(0x700000) == "sram"
    hi = SnesBus(_rom(0x80000), "hirom", sram_size=0x2000)
    assert hi.region(0x106000) == "sram" and hi.region(0x0F6000) == "open"


def test_power_on_returns_a_used_bus_to_the_state_of_a_new_one() -> None:
    rom = _rom(0x80000)
    fresh = SnesBus(rom, sram_size=0x2000)
    bus = SnesBus(rom, sram_size=0x2000)
    bus.start_watch()
    bus.write(0x7E0010, 0x12)
    bus.write(0x700000, 0x34)  # SRAM: $FF on a new bus, so not simply zeroed
    bus.write(0x2181, 0x20)  # WRAM port address
    bus.write(0x4202, 200)  # multiplier
    _dma(bus, 2, 0x00, 0x80, 0x008100, 4)
    bus.read(0x7E0020)
    bus.power_on()
    assert not bus.watching and bus.writes == {} and bus.reads == set() and bus.mmio == []
    assert bus.wram == fresh.wram and bus.sram == fresh.sram and bus.peek(0x700000) == 0xFF
    for addr in (0x4302, 0x4303, 0x4304, 0x4305, 0x4216):
        assert bus.read(addr) == fresh.read(addr), hex(addr)
    assert bus.wram_address == fresh.wram_address == 0
    bus.start_watch()
    bus.write(0x7E0011, 1)
    assert bus.writes == {0x7E0011: 1}  # the watch records into the new containers

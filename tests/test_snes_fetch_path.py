"""The fast code-fetch path (instruction bytes read straight from ROM pages) changes nothing.

`run_routine` watches data only (`start_watch(code_fetches=False)`), which lets the CPU take
instruction bytes from the bus's ROM pages without a call per byte. Every program here runs
twice, once on that path and once on a bus that watches code fetches too (every byte through
`fetch`/`read`), and every observable result must agree, open-bus reads included.
"""

from __future__ import annotations

import pytest

from triforce.snes.bus import SnesBus
from triforce.snes.machine import MachineState, run_routine


class _WatchEveryFetch(SnesBus):
    """A bus that always records code fetches, so the CPU never reads ROM pages directly."""

    def start_watch(self, code_fetches: bool = True) -> None:
        super().start_watch(code_fetches=True)


def _rom(code: bytes, at: int = 0x8000, extra: dict[int, bytes] | None = None) -> bytes:
    rom = bytearray(0x10000)
    rom[at - 0x8000 : at - 0x8000 + len(code)] = code
    for addr, data in (extra or {}).items():
        rom[addr - 0x8000 : addr - 0x8000 + len(data)] = data
    return bytes(rom)


def _both(rom: bytes, entry: int, state: MachineState | None = None) -> tuple[object, object]:
    fast_bus = SnesBus(rom)
    slow_bus = _WatchEveryFetch(rom)
    fast = run_routine(fast_bus, entry, state=state, max_instructions=5_000)
    slow = run_routine(slow_bus, entry, state=state, max_instructions=5_000)
    return fast, slow


def _same(fast: object, slow: object) -> None:
    for field in ("reason", "final", "reads", "writes", "instructions", "cycles", "mmio", "escaped_at"):
        assert getattr(fast, field) == getattr(slow, field), field


PROGRAMS = {
    # LDA $2100 (write-only INIDISP) reads the open bus: the last operand byte, $21.
    "open bus after operands": (b"\xad\x00\x21\x6b", 0x8000),
    # LDA $213F after an 8-bit immediate: a readable register, then open bus through $4000.
    "readable then open": (b"\xa9\x55\xad\x3f\x21\xae\x00\x40\x6b", 0x8000),
    # REP #$30 : LDA #$1234 : STA $10 : LDX #$0003 : loop DEX / BNE : SEP #$30 : RTL
    "16-bit loop": (b"\xc2\x30\xa9\x34\x12\x85\x10\xa2\x03\x00\xca\xd0\xfd\xe2\x30\x6b", 0x8000),
    # Code that straddles the end of an 8 KiB page ($9FFE): those bytes go through the bus.
    "page edge": (b"\xea\xea\xa9\x07\xad\x00\x21\x6b", 0x9FFA),
    # JSR ($A000,X) with X=0 through a pointer in ROM, then the subroutine returns; RTL.
    "jsr indirect": (b"\xa2\x00\xfc\x00\xa0\x6b", 0x8000),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_direct_code_fetch_matches_bus_fetch(name: str) -> None:
    code, at = PROGRAMS[name]
    extra = {0xA000: b"\x10\xa0", 0xA010: b"\xad\x01\x21\x60"} if name == "jsr indirect" else None
    fast, slow = _both(_rom(code, at, extra), at)
    assert fast.reason == "returned"  # type: ignore[attr-defined]
    _same(fast, slow)


def test_rom_pages_are_offered_only_without_code_watch() -> None:
    bus = SnesBus(_rom(b"\x6b"))
    bus.start_watch(code_fetches=False)
    assert bus.fetch_pages is not None and bus.fetch_pages[0x8000 >> 13] is not None
    assert bus.fetch_pages[0x7E0000 >> 13] is None  # WRAM code always goes through the bus
    bus.start_watch()
    assert bus.fetch_pages is None
    bus.stop_watch()
    assert bus.fetch_pages is None


def test_open_bus_is_the_last_operand_byte() -> None:
    run = run_routine(SnesBus(_rom(b"\xad\x00\x21\x6b")), 0x8000)
    assert run.returned and run.final.a & 0xFF == 0x21


def test_states_and_data_reads_of_rom_agree() -> None:
    # LDA $8005 (a data read of ROM) : LDA $7E0020 : ADC $10 : STA $7E0030 : RTL
    code = b"\xad\x05\x80\xaf\x20\x00\x7e\x65\x10\x8f\x30\x00\x7e\x6b"
    state = MachineState(a=1, memory={0x7E0020: 0x40, 0x7E0010: 0x02})
    fast, slow = _both(_rom(code), 0x8000, state)
    _same(fast, slow)
    assert 0x7E0020 in fast.reads and 0x7E0010 in fast.reads  # type: ignore[attr-defined]
    assert fast.writes[0x7E0030] == 0x42  # type: ignore[attr-defined]

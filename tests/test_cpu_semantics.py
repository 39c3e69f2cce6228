"""Focused checks of the 65816 semantics emulators get wrong, and of the run/step API."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triforce.snes.bus_flat import FlatBus
from triforce.snes.cpu import CPU, Registers, StopReason, TraceEntry
from triforce.snes.cpu._decimal import _adc8d, _adc16d, _sbc8d, _sbc16d


class PlainBus:
    """Flat memory reachable only through read/write: exercises the generic bus loops."""

    def __init__(self) -> None:
        self.mem = bytearray(0x1000000)

    def read(self, address: int) -> int:
        return self.mem[address]

    def write(self, address: int, value: int) -> None:
        assert 0 <= value <= 0xFF
        self.mem[address] = value

    def load(self, address: int, data: bytes) -> None:
        self.mem[address : address + len(data)] = data


def make(
    program: bytes, at: int = 0x008000, bus: FlatBus | PlainBus | None = None, **regs: int
) -> tuple[CPU, bytearray]:
    bus = bus or FlatBus()
    bus.load(at, program)
    cpu = CPU(bus)
    cpu.set_registers(Registers(pb=at >> 16, pc=at & 0xFFFF, **regs))  # type: ignore[arg-type]
    mem = bus.flat_memory if isinstance(bus, FlatBus) else bus.mem
    return cpu, mem


NATIVE8 = {"e": False, "p": 0x30}
NATIVE16 = {"e": False, "p": 0x00}


# -- decimal mode ----------------------------------------------------------------------------
def test_decimal_adc_sbc_8bit() -> None:
    cpu, _ = make(bytes.fromhex("F8 18 A9 99 69 01"))
    cpu.run(max_instructions=4)
    assert cpu.a & 0xFF == 0x00 and cpu.p & 0x01 and cpu.p & 0x02
    cpu, _ = make(bytes.fromhex("F8 38 A9 00 E9 01"))
    cpu.run(max_instructions=4)
    assert cpu.a & 0xFF == 0x99 and not cpu.p & 0x01


def test_decimal_adc_sbc_16bit() -> None:
    cpu, _ = make(bytes.fromhex("18 A9 99 99 69 01 00"), e=False, p=0x08)
    cpu.run(max_instructions=3)
    assert cpu.a == 0x0000 and cpu.p & 0x01
    cpu, _ = make(bytes.fromhex("38 A9 00 10 E9 01 00"), e=False, p=0x08)
    cpu.run(max_instructions=3)
    assert cpu.a == 0x0999 and cpu.p & 0x01


def test_decimal_invalid_bcd_8bit() -> None:
    # $0F + $01 in decimal mode: the low nibble $10 is adjusted to $16 (hardware result).
    assert _adc8d(0x0F, 0x01, 0) == (0x16, 0, 0)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 1))
def test_decimal_16bit_is_two_chained_8bit_operations(a: int, v: int, c: int) -> None:
    # The 8-bit algorithm is proven by the conformance suite (including invalid BCD); the
    # 16-bit one must equal it applied to the low byte, then the high byte with the carry.
    for wide, narrow in ((_adc16d, _adc8d), (_sbc16d, _sbc8d)):
        lo, c1, _ = narrow(a & 0xFF, v & 0xFF, c)
        hi, c2, overflow = narrow(a >> 8, v >> 8, c1)
        assert wide(a, v, c) == (lo | hi << 8, c2, overflow)


# -- addressing and wrapping -----------------------------------------------------------------
def test_emulation_direct_page_indexed_wraps_only_when_dl_is_zero() -> None:
    for d, expected in ((0x0000, 0x42), (0x0001, 0x77)):
        cpu, mem = make(bytes.fromhex("B5 F8"), x=0x10, d=d)
        mem[0x0008], mem[0x0108], mem[0x0109] = 0x42, 0x99, 0x77
        cpu.step()
        assert cpu.a & 0xFF == expected
    cpu, mem = make(bytes.fromhex("B5 F8"), x=0x10, **NATIVE8)
    mem[0x0008], mem[0x0108] = 0x42, 0x99
    cpu.step()
    assert cpu.a & 0xFF == 0x99  # native mode never wraps in the page


def test_emulation_indirect_long_does_not_wrap() -> None:
    cpu, mem = make(bytes.fromhex("A7 FF"))
    mem[0x00FF], mem[0x0100], mem[0x0101], mem[0x0000] = 0x00, 0x20, 0x7E, 0x33
    mem[0x7E2000] = 0x5A
    cpu.step()
    assert cpu.a & 0xFF == 0x5A


def test_emulation_indirect_indexed_pointer_wraps_in_page() -> None:
    cpu, mem = make(bytes.fromhex("B1 FF"), y=0)
    mem[0x00FF], mem[0x0000], mem[0x0100] = 0x34, 0x12, 0x56
    mem[0x1234], mem[0x5634] = 0x77, 0x11
    cpu.step()
    assert cpu.a & 0xFF == 0x77


def test_emulation_stack_wrap_old_vs_new_opcodes() -> None:
    cpu, mem = make(bytes.fromhex("AB"), s=0x01FF)  # PLB: a 65816 opcode, reads $0200
    mem[0x0200], mem[0x0100] = 0x7E, 0x55
    cpu.step()
    assert (cpu.db, cpu.s) == (0x7E, 0x0100)
    cpu, mem = make(bytes.fromhex("68"), s=0x01FF)  # PLA: a 6502 opcode, wraps to $0100
    mem[0x0200], mem[0x0100] = 0x7E, 0x55
    cpu.step()
    assert (cpu.a & 0xFF, cpu.s) == (0x55, 0x0100)


def test_emulation_jsl_pushes_below_page_one_then_restores_sh() -> None:
    cpu, mem = make(bytes.fromhex("22 00 90 00"), s=0x0100)
    cpu.step()
    assert (mem[0x0100], mem[0x00FF], mem[0x00FE]) == (0x00, 0x80, 0x03)
    assert (cpu.s, cpu.pc) == (0x01FD, 0x9000)


def test_absolute_indexed_crosses_into_next_bank_and_long_wraps_at_16mib() -> None:
    cpu, mem = make(bytes.fromhex("BD FF FF"), db=0x7E, x=2, e=False, p=0x20)
    mem[0x7F0001] = 0x66
    cpu.step()
    assert cpu.a & 0xFF == 0x66
    cpu, mem = make(bytes.fromhex("BF FF FF FF"), x=1, **NATIVE8)
    mem[0x000000] = 0x44
    cpu.step()
    assert cpu.a & 0xFF == 0x44


@pytest.mark.parametrize("bus_type", [FlatBus, PlainBus])
def test_program_counter_wraps_inside_its_bank(bus_type: type) -> None:
    cpu, mem = make(b"\xa9", at=0x01FFFF, bus=bus_type())
    mem[0x010000], mem[0x020000] = 0x42, 0x99
    assert cpu.step() == 2
    assert (cpu.a & 0xFF, cpu.pb, cpu.pc) == (0x42, 0x01, 0x0001)


# -- block moves, mode flags -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("opcode", "x", "y", "end_x", "end_y"),
    [(0x54, 0x1000, 0x2000, 0x1003, 0x2003), (0x44, 0x1002, 0x2002, 0x0FFF, 0x1FFF)],
)
def test_block_move(opcode: int, x: int, y: int, end_x: int, end_y: int) -> None:
    cpu, mem = make(bytes([opcode, 0x7E, 0x7F, 0xDB]), a=2, x=x, y=y, **NATIVE16)
    mem[0x7F1000:0x7F1003] = b"\x01\x02\x03"
    result = cpu.run(max_instructions=10)
    assert result.reason is StopReason.STP and result.instructions == 4
    assert mem[0x7E2000:0x7E2003] == b"\x01\x02\x03"
    assert (cpu.a, cpu.x, cpu.y, cpu.db) == (0xFFFF, end_x, end_y, 0x7E)
    assert result.cycles == 3 * 7 + 3


def test_rep_cannot_clear_m_x_in_emulation_and_sep_x_zeroes_index_high_bytes() -> None:
    cpu, _ = make(bytes.fromhex("C2 30"))
    cpu.step()
    assert cpu.p & 0x30 == 0x30 and cpu.e
    cpu, _ = make(bytes.fromhex("E2 10"), x=0x1234, y=0xABCD, a=0x5678, **NATIVE16)
    cpu.step()
    assert (cpu.x, cpu.y, cpu.a) == (0x34, 0xCD, 0x5678)


def test_xce_round_trip() -> None:
    # CLC; XCE; REP #$30; LDX #$1234; SEC; XCE
    cpu, _ = make(bytes.fromhex("18 FB C2 30 A2 34 12 38 FB"), s=0x01F0)
    cpu.run(max_instructions=4)
    assert not cpu.e and cpu.x == 0x1234 and cpu.p & 0x01  # C took the old E
    cpu.run(max_instructions=2)
    assert cpu.e and cpu.x == 0x34 and cpu.s == 0x01F0 and cpu.p & 0x30 == 0x30 and not cpu.p & 0x01


# -- interrupts ------------------------------------------------------------------------------
def test_native_nmi_and_brk_vectors() -> None:
    cpu, mem = make(bytes.fromhex("00 EA"), at=0x028000, s=0x1FFF, p=0x00, e=False)
    mem[0xFFEA:0xFFEC] = b"\x00\x90"
    mem[0xFFE6:0xFFE8] = b"\x00\xa0"
    assert cpu.nmi() == 8
    assert (cpu.pb, cpu.pc, cpu.s) == (0x00, 0x9000, 0x1FFB)
    assert list(mem[0x1FFC:0x2000]) == [0x00, 0x00, 0x80, 0x02]  # P, PCL, PCH, PB
    assert cpu.p & 0x04 and not cpu.p & 0x08
    cpu, mem = make(bytes.fromhex("00 EA"), at=0x028000, s=0x1FFF, **NATIVE16)
    mem[0xFFE6:0xFFE8] = b"\x00\xa0"
    assert cpu.step() == 8
    assert (cpu.pb, cpu.pc) == (0x00, 0xA000)
    assert list(mem[0x1FFD:0x2000]) == [0x02, 0x80, 0x02]  # return address skips the signature


def test_emulation_irq_pushes_b_clear_and_respects_i() -> None:
    cpu, mem = make(b"\xea", p=0x34)
    assert cpu.irq() == 0 and cpu.pc == 0x8000  # masked
    cpu.p = 0x30
    mem[0xFFFE:0x10000] = b"\x00\xc0"
    assert cpu.irq() == 7
    assert cpu.pc == 0xC000 and mem[0x01FD] & 0x10 == 0 and mem[0x01FD] & 0x20
    cpu, mem = make(b"\x00\x00")
    mem[0xFFFE:0x10000] = b"\x00\xc0"
    cpu.step()
    assert mem[0x01FD] & 0x10  # BRK pushes B set


def test_wai_waits_until_interrupt_and_stp_stays_stopped() -> None:
    cpu, _ = make(bytes.fromhex("CB EA DB EA"))
    assert cpu.run().reason is StopReason.WAI and cpu.pc == 0x8001
    again = cpu.run()
    assert again.reason is StopReason.WAI and again.instructions == 0
    cpu.irq()  # I=1: no vector, but WAI ends
    result = cpu.run()
    assert result.reason is StopReason.STP and result.instructions == 2
    assert cpu.run().instructions == 0 and cpu.stopped


# -- run limits and return detection ---------------------------------------------------------
def test_instruction_cycle_and_sentinel_limits() -> None:
    cpu, _ = make(bytes.fromhex("80 FE"))
    result = cpu.run(max_instructions=1000)
    assert (result.reason, result.instructions, result.cycles) == (StopReason.INSTRUCTION_LIMIT, 1000, 3000)
    result = cpu.run(max_instructions=None, max_cycles=10)
    assert (result.reason, result.instructions, result.cycles) == (StopReason.CYCLE_LIMIT, 4, 12)
    cpu, _ = make(bytes.fromhex("EA EA EA EA"))
    result = cpu.run(stop_at=0x008002)
    assert (result.reason, result.instructions, cpu.pc) == (StopReason.SENTINEL, 2, 0x8002)


def test_stop_at_return_ignores_nested_returns() -> None:
    program = bytearray(0x30)
    program[0x00:0x04] = bytes.fromhex("20 10 80 DB")  # caller: JSR $8010; STP
    program[0x10:0x14] = bytes.fromhex("20 20 80 60")  # routine: JSR $8020; RTS
    program[0x20] = 0x60  # leaf: RTS
    cpu, mem = make(bytes(program), s=0x01FD)
    cpu.pc = 0x8010
    mem[0x01FE:0x0200] = b"\x02\x80"  # as if JSR $8010 at $8000 had run
    result = cpu.run()
    assert (result.reason, result.instructions, cpu.pc) == (StopReason.RETURN, 3, 0x8003)
    cpu.pc, cpu.s = 0x8010, 0x01FD
    assert cpu.run(stop_at_return=False).reason is StopReason.STP


def test_brk_stops_before_executing_unless_asked_to_vector() -> None:
    cpu, mem = make(bytes.fromhex("EA 00 00"))
    mem[0xFFFE:0x10000] = b"\x00\x90"
    mem[0x9000] = 0xDB
    result = cpu.run()
    assert (result.reason, result.instructions, cpu.pc) == (StopReason.BRK, 1, 0x8001)
    result = cpu.run(stop_on_break=False)
    assert (result.reason, cpu.pc) == (StopReason.STP, 0x9001)


def test_mode_switch_inside_run_keeps_counting() -> None:
    # CLC; XCE; REP #$20; LDA #$1234; SEP #$20; XBA; STP
    cpu, _ = make(bytes.fromhex("18 FB C2 20 A9 34 12 E2 20 EB DB"))
    result = cpu.run(max_instructions=100)
    assert result.reason is StopReason.STP and result.instructions == 7
    assert cpu.a == 0x3412 and result.cycles == 2 + 2 + 3 + 3 + 3 + 3 + 3


# -- cycles ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "regs", "cycles"),
    [
        ("BD FF 10", {**NATIVE8, "x": 1}, 5),  # abs,X crossing a page: +1
        ("BD 00 10", {**NATIVE8, "x": 1}, 4),
        ("BD 00 10", {"e": False, "p": 0x20, "x": 1}, 5),  # X=0: always +1
        ("AD 00 10", NATIVE16, 5),  # 16-bit A: +1
        ("A5 10", {**NATIVE8, "d": 0x0001}, 4),  # DL != 0: +1
        ("FE 00 10", NATIVE16, 9),  # 16-bit RMW abs,X: 7 + 2
        ("9D 00 10", NATIVE8, 5),  # stores to abs,X always take 5
    ],
)
def test_cycle_counts(program: str, regs: dict[str, int], cycles: int) -> None:
    cpu, _ = make(bytes.fromhex(program), **regs)
    assert cpu.step() == cycles


def test_emulation_branch_page_cross_costs_one_more() -> None:
    cpu, _ = make(bytes.fromhex("D0 05"), at=0x0080FD, p=0x34)  # Z clear: taken, $80FF -> $8104
    assert cpu.step() == 4 and cpu.pc == 0x8104
    cpu, _ = make(bytes.fromhex("D0 05"), at=0x0080FD, e=False, p=0x30)
    assert cpu.step() == 3


# -- trace -----------------------------------------------------------------------------------
def test_trace_hook_reports_each_instruction() -> None:
    entries: list[TraceEntry] = []
    cpu, _ = make(bytes.fromhex("A9 12 8D 00 20 D0 FE DB"))
    cpu.trace_hook = entries.append
    result = cpu.run(max_instructions=3)
    assert result.reason is StopReason.INSTRUCTION_LIMIT
    assert [(t.mnemonic, t.operand, t.cycles) for t in entries] == [
        ("LDA", "#$12", 2), ("STA", "$2000", 4), ("BNE", "$8005", 3),
    ]  # fmt: skip
    assert entries[1].registers.a & 0xFF == 0x12 and entries[1].bytes == b"\x8d\x00\x20"
    assert entries[0].address == 0x008000 and "LDA #$12" in entries[0].text()


# -- both memory paths agree -----------------------------------------------------------------
def test_flat_and_bus_paths_agree_on_random_code() -> None:
    rng = random.Random(816)
    for _ in range(60):
        code = bytes(rng.randrange(256) for _ in range(0x400))
        data = bytes(rng.randrange(256) for _ in range(0x200))
        regs = Registers(
            a=rng.randrange(0x10000), x=rng.randrange(0x100), y=rng.randrange(0x100), s=0x01C0,
            d=rng.choice([0, 0x0100, rng.randrange(0x10000)]), db=rng.randrange(256), pb=0x00,
            pc=0x8000, p=rng.randrange(256), e=rng.random() < 0.5,
        )  # fmt: skip
        runs = []
        for bus in (FlatBus(), PlainBus()):
            bus.load(0x008000, code)
            bus.load(0x000000, data)
            cpu = CPU(bus)
            cpu.set_registers(regs)
            result = cpu.run(max_instructions=300, stop_at_return=False, stop_on_break=False)
            mem = bus.flat_memory if isinstance(bus, FlatBus) else bus.mem
            runs.append((result, cpu.registers(), bytes(mem)))
        assert runs[0][:2] == runs[1][:2]
        assert runs[0][2] == runs[1][2]


def test_step_reports_to_trace_hook_too() -> None:
    entries: list[TraceEntry] = []
    cpu, _ = make(bytes.fromhex("C2 30 A9 34 12"), **NATIVE8)
    cpu.trace_hook = entries.append
    cpu.step()
    cpu.step()
    assert [(t.mnemonic, t.operand) for t in entries] == [("REP", "#$30"), ("LDA", "#$1234")]
    assert entries[1].bytes == b"\xa9\x34\x12" and entries[1].registers.p == 0x00


def test_compiled_loops_are_cached_on_disk_and_a_bad_cache_file_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triforce.snes.cpu import _codegen, core

    monkeypatch.setenv("TRIFORCE_CACHE_DIR", str(tmp_path))
    variant = _codegen.Variant(e=False, m8=True, x8=True, fast=True)
    first = core._compiled(variant)
    (cached,) = (tmp_path / "cpu").glob(f"{variant.name}-*.marshal")
    stamp = cached.stat().st_mtime_ns
    assert core._compiled(variant).co_code == first.co_code
    assert cached.stat().st_mtime_ns == stamp  # loaded, not written again
    cached.write_bytes(b"not a code object")
    assert core._compiled(variant).co_code == first.co_code  # compiled again, file rewritten
    assert core._compiled(variant).co_code == first.co_code

"""CPU speed: instructions per second of our 65816 core against py65 (a Python 6502) on a
similar mixed loop, measured in the same run.

Workload (hand-assembled, same shape on both CPUs): indexed load/add/store, direct-page
EOR and store, a JSR to a subroutine (load, shift, store, RTS), index increments, compare,
branch, a read-modify-write and an unconditional branch. The 65816 runs it in native mode with
16-bit A and 8-bit X. Our core is timed twice: with the flat-memory fast path (FlatBus) and
through plain bus `read`/`write` calls (the path the SNES bus uses). Times are process CPU
time (`time.process_time`), and the engines run interleaved, best round kept, so other load
on a shared machine disturbs the ratio as little as possible.

    PYTHONPATH=src python benchmarks/cpu_speed.py [--instructions N]
"""

from __future__ import annotations

import argparse
import platform
import time

from triforce.snes.bus_flat import FlatBus
from triforce.snes.cpu import CPU, Registers

# 65816, loaded at $00:8000.
W65816_PROGRAM = bytes.fromhex(
    "18 FB"  # CLC; XCE                native mode
    "C2 20 E2 10"  # REP #$20; SEP #$10      A 16-bit, X 8-bit
    "A9 FF 1F 1B"  # LDA #$1FFF; TCS
    "A9 00 00 5B"  # LDA #$0000; TCD
    # outer ($800E)
    "A2 00"  # LDX #$00
    # inner ($8010)
    "BD 00 10"  # LDA $1000,X
    "18"  # CLC
    "69 03 00"  # ADC #$0003
    "9D 00 10"  # STA $1000,X
    "A5 10"  # LDA $10
    "49 55 55"  # EOR #$5555
    "85 10"  # STA $10
    "20 30 80"  # JSR $8030
    "E8 E8"  # INX; INX
    "E0 40"  # CPX #$40
    "D0 E6"  # BNE $8010
    "E6 12"  # INC $12
    "80 E0"  # BRA $800E
    "00 00"  # padding to $8030
    # sub ($8030)
    "A5 12 0A 85 14 60"  # LDA $12; ASL A; STA $14; RTS
)

# 6502 for py65, loaded at $0200.
M6502_PROGRAM = bytes.fromhex(
    # outer ($0200)
    "A2 00"  # LDX #$00
    # inner ($0202)
    "BD 00 10"  # LDA $1000,X
    "18"  # CLC
    "69 03"  # ADC #$03
    "9D 00 10"  # STA $1000,X
    "A5 10"  # LDA $10
    "49 55"  # EOR #$55
    "85 10"  # STA $10
    "20 30 02"  # JSR $0230
    "E8 E8"  # INX; INX
    "E0 40"  # CPX #$40
    "D0 E8"  # BNE $0202
    "E6 12"  # INC $12
    "4C 00 02" + "00" * 17 + "A5 12 0A 85 14 60"  # JMP $0200  # sub ($0230): LDA $12; ASL A; STA $14; RTS
)


class _PlainBus:
    """The same memory, reachable only through read/write calls (no fast path)."""

    def __init__(self, flat: FlatBus) -> None:
        self._mem = flat.flat_memory

    def read(self, address: int) -> int:
        return self._mem[address]

    def write(self, address: int, value: int) -> None:
        self._mem[address] = value


def _check_loop_ran(memory: bytearray | list[int], instructions: int) -> None:
    """Both programs count outer loops at $12; 33 instructions per 2 inner iterations."""
    outer = memory[0x12]
    expected = instructions // (32 * 16 + 3) % 256
    if abs(outer - expected) > 1:
        raise SystemExit(f"workload did not run as written (outer loop count {outer}, expected ~{expected})")


def _ours(instructions: int, fast: bool, same_6502_code: bool = False) -> tuple[float, int]:
    """Our core on the native 16-bit workload, or on the exact 6502 bytes py65 runs
    (emulation mode, program at $00:0200)."""
    flat = FlatBus()
    program, start_pc = (M6502_PROGRAM, 0x0200) if same_6502_code else (W65816_PROGRAM, 0x8000)
    flat.load(start_pc, program)
    cpu = CPU(flat if fast else _PlainBus(flat))
    cpu.pc = start_pc
    cpu.run(max_instructions=1000, stop_at_return=False)  # compile the loops outside the timing
    cpu.set_registers(Registers(pc=start_pc, e=True))
    flat.flat_memory[0x12] = 0
    start = time.process_time()
    result = cpu.run(max_instructions=instructions, stop_at_return=False)
    elapsed = time.process_time() - start
    _check_loop_ran(flat.flat_memory, result.instructions)
    return result.instructions / elapsed, result.cycles


def _py65(instructions: int) -> float:
    from py65.devices.mpu6502 import MPU

    mpu = MPU()
    mpu.memory[0x0200 : 0x0200 + len(M6502_PROGRAM)] = M6502_PROGRAM
    mpu.pc = 0x0200
    step = mpu.step
    start = time.process_time()
    for _ in range(instructions):
        step()
    elapsed = time.process_time() - start
    _check_loop_ran(mpu.memory, instructions)
    return instructions / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", type=int, default=1_000_000)
    parser.add_argument("--py65-instructions", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    # Interleave the engines and keep each one's best round, so that load from other
    # processes on a shared machine skews the ratio as little as possible.
    best = {"py65": 0.0, "same": 0.0, "flat": 0.0, "bus": 0.0}
    cycles = 0
    for _ in range(args.rounds):
        best["py65"] = max(best["py65"], _py65(args.py65_instructions))
        best["same"] = max(best["same"], _ours(args.instructions, fast=True, same_6502_code=True)[0])
        rate, cycles = _ours(args.instructions, fast=True)
        best["flat"] = max(best["flat"], rate)
        best["bus"] = max(best["bus"], _ours(args.instructions // 2, fast=False)[0])
    base = best["py65"]
    rows = [
        ("py65 6502 loop (MPU.step)", base),
        ("triforce, same 6502 bytes, e-mode, FlatBus", best["same"]),
        ("triforce, 65816 16-bit loop, FlatBus", best["flat"]),
        ("triforce, 65816 16-bit loop, bus read/write", best["bus"]),
    ]
    for label, rate in rows:
        print(f"{label:<46} {rate / 1e6:6.2f} M instr/s  ratio {rate / base:5.2f}x")
    print(
        f"(best of {args.rounds} interleaved rounds, process CPU time; {cycles / args.instructions:.2f} cycles/instr)"
    )


if __name__ == "__main__":
    main()

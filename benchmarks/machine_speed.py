"""Routine runner speed: `machine.run_routine` (SnesBus with watches, the graders' path) against
the same code on the core's flat-memory fast path (FlatBus), measured in the same run.

Workload: a 16-bit loop that reads, adds to and writes a WRAM table, bumps a direct-page
counter and loops 8,192 times (about 90,000 instructions), called with JSL and returning with
RTL. Best of 3 rounds each, process CPU time.

    PYTHONPATH=src python benchmarks/machine_speed.py
"""

from __future__ import annotations

import platform
import time

from triforce.snes.asar import assemble
from triforce.snes.bus import SnesBus
from triforce.snes.bus_flat import FlatBus
from triforce.snes.cpu import CPU
from triforce.snes.machine import run_routine

SOURCE = """
Loop:
    REP #$30
    LDX #$0000
-   LDA $7E2000,x
    CLC
    ADC #$0003
    STA $7E2000,x
    LDA $10
    INC A
    STA $10
    INX
    INX
    CPX #$4000
    BNE -
    SEP #$30
    RTL
"""


def _flat(code: bytes) -> tuple[int, float]:
    bus = FlatBus()
    bus.load(0x008000, code)
    bus.load(0x7FFFF0, bytes([0x22, 0x00, 0x80, 0x00, 0xDB]))
    cpu = CPU(bus)
    cpu.e, cpu.p, cpu.s, cpu.pb, cpu.pc = False, 0x30, 0x01FF, 0x7F, 0xFFF0
    start = time.process_time()
    result = cpu.run(max_instructions=10**7, stop_at_return=False)
    return result.instructions, time.process_time() - start


def _snes_plain(rom: bytes) -> tuple[int, float]:
    bus = SnesBus(rom)
    bus.poke(0x7FFFF0, 0x22)
    for i, b in enumerate((0x00, 0x80, 0x00, 0xDB)):
        bus.poke(0x7FFFF1 + i, b)
    cpu = CPU(bus)
    cpu.e, cpu.p, cpu.s, cpu.pb, cpu.pc = False, 0x30, 0x01FF, 0x7F, 0xFFF0
    start = time.process_time()
    result = cpu.run(max_instructions=10**7, stop_at_return=False)
    return result.instructions, time.process_time() - start


def _machine(res: object) -> tuple[int, float]:
    start = time.process_time()
    run = run_routine(res, "Loop", max_instructions=10**7)
    assert run.reason == "returned", run.reason
    return run.instructions, time.process_time() - start


def main() -> None:
    res = assemble(SOURCE, org=0x008000)
    assert res.ok, res.diagnostics
    code = bytes(res.chunks[0].data)
    best: dict[str, tuple[int, float]] = {}
    for _ in range(3):
        for name, fn in (
            ("flat", lambda: _flat(code)),
            ("snes", lambda: _snes_plain(res.rom)),
            ("machine", lambda: _machine(res)),
        ):
            n, t = fn()
            if name not in best or t < best[name][1]:
                best[name] = (n, t)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    for name, label in (
        ("flat", "CPU on FlatBus (fast path, baseline)"),
        ("snes", "CPU on SnesBus, no watches"),
        ("machine", "run_routine (SnesBus + watches + result)"),
    ):
        n, t = best[name]
        print(f"{label:<44} {n:>8} instructions {t:7.3f} s {n / t / 1e6:6.3f} M instr/s")
    flat_rate = best["flat"][0] / best["flat"][1]
    for name in ("snes", "machine"):
        rate = best[name][0] / best[name][1]
        print(f"ratio {name} / flat: {rate / flat_rate:.2f}")


if __name__ == "__main__":
    main()

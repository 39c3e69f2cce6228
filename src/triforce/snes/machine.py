"""Run one routine on the 65816 core over the SNES bus: the one way generators and graders execute code.

A routine is called the way the game would call it, from a trampoline that the runner places
outside the user's code:

- `convention="jsl"`: `JSL entry : STP` at $7FFFF0 (top of WRAM; ALTTP leaves it unused). The
  run ends when the routine's RTL lands on the STP. An RTS where an RTL was due pops only two of
  the three bytes and goes astray: the run ends with reason "bad_return" (or wherever the stray
  code stops), never "returned".
- `convention="jsr"`: `JSR entry : STP` must sit in the routine's own bank. For banks with the
  low WRAM mirror ($00-$3F/$80-$BF) it goes at $xx:1FF0 (WRAM $7E1FF0); in banks $7E/$7F at
  $xxFFF0; in other ROM banks at $xxFFF0 of a private copy of the ROM (the bus patches its copy).
- `convention="none"`: execution starts at `entry` with the given registers and stops at the
  first RTS/RTL/RTI at the entry stack depth.

The return rule (jsl/jsr): a routine has returned only when control comes back to the caller's
return address *and* S is back where the caller left it (for JSL the bank comes back too, as
part of the address). An RTL where RTS was due pulls one byte too many, an RTS where RTL was due
one too few, a stray push or pull shifts S: each is "bad_return" even when the bytes pulled
happen to lead back to the trampoline. To keep luck out of it, the bytes just above the caller's
frame (what an extra pull would read) hold guard values that name no bank the routine or its
trampoline lives in, unless the state presets them.

The trampoline's own call (its JSL/JSR and the return-address pushes) runs before the watches
start, so `reads`, `writes` and the counts describe the routine alone. `reads` lists addresses
outside ROM (WRAM, SRAM, I/O) because ROM reads are mostly instruction fetches.

Reasons: "returned", "bad_return" (returned at the entry stack depth but not to the trampoline, or to it
with S not where the caller left it: `stack_delta` says by how much),
"instruction_limit", "cycle_limit", "brk", "cop", "stp", "wai", "sentinel", and
"executed_outside_memory" (the run stopped with the program counter in I/O or open-bus space,
typically on a BRK decoded from open bus; `escaped_at` says where).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator

from triforce.errors import InputError
from triforce.snes.addresses import parse_address
from triforce.snes.bus import Mapper, MmioAccess, SnesBus, canonical

Convention = Literal["jsl", "jsr", "none"]
JSL_TRAMPOLINE = 0x7FFFF0
# Bytes above the caller's frame (S+1 upwards before the call). Each is a bank no routine or
# trampoline is run from here, so a return that pulls one of them as a bank goes astray.
GUARD_BYTES = (0xC5, 0xA3, 0x96, 0xE9)
GUARD_SPAN = len(GUARD_BYTES)

_NUMBER = re.compile(r"^\s*(\$|0x|0X|%)?([0-9A-Fa-f_]+)\s*$")
_BASES = {"$": 16, "0x": 16, "0X": 16, "%": 2}


def parse_number(value: Any, what: str = "value") -> int:
    """Accept 18, "18", "$12", "0x12", "%00010010" (asar prefixes; bare digits are decimal)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m:
            try:
                return int(m.group(2).replace("_", ""), _BASES.get(m.group(1) or "", 10))
            except ValueError:
                pass
    raise ValueError(f"{what}: expected a number like 18, '$12', '0x12' or '%1010', got {value!r}")


class MachineState(BaseModel):
    """CPU registers plus memory bytes (24-bit address -> byte); JSON-friendly.

    Keys of `memory` are addresses (`triforce.snes.addresses`: "$7EF360", "0x7EF360", "$7E:F360"
    or ints; a bare "1000" is ambiguous and refused); values and registers are numbers, where
    asar's rule holds (18, "$12", "0x12", "%10010"). WRAM mirror addresses are folded onto $7E0000-$7E1FFF. Preset bytes at ROM
    addresses patch the run's private copy of the ROM; I/O addresses cannot be preset."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    a: int = 0
    x: int = 0
    y: int = 0
    s: int = 0x01FF
    d: int = 0
    db: int = 0
    pb: int = 0
    pc: int = 0
    p: int = 0x30
    e: bool = False
    memory: dict[int, int] = {}

    @field_validator("a", "x", "y", "s", "d", "pc", mode="before")
    @classmethod
    def _word(cls, v: Any) -> int:
        n = parse_number(v, "register")
        if not 0 <= n <= 0xFFFF:
            raise ValueError(f"16-bit register out of range: {v!r}")
        return n

    @field_validator("db", "pb", "p", mode="before")
    @classmethod
    def _byte(cls, v: Any) -> int:
        n = parse_number(v, "register")
        if not 0 <= n <= 0xFF:
            raise ValueError(f"8-bit register out of range: {v!r}")
        return n

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, v: Any) -> dict[int, int]:
        if not isinstance(v, dict):
            raise ValueError("memory must be a mapping of address -> byte")
        out: dict[int, int] = {}
        for key, value in v.items():
            try:
                addr = parse_address(key, field=f"memory address {key!r}")
            except InputError as exc:
                raise ValueError(str(exc)) from exc
            byte = parse_number(value, f"memory[{key}]")
            if not 0 <= addr <= 0xFFFFFF or not 0 <= byte <= 0xFF:
                raise ValueError(f"memory[{key}]={value!r}: address must be 24-bit and value a byte")
            out[canonical(addr)] = byte
        return out

    @field_serializer("memory")
    def _memory_json(self, memory: dict[int, int]) -> dict[str, int]:
        return {f"${addr:06X}": memory[addr] for addr in sorted(memory)}

    def word(self, addr: int) -> int:
        """Little-endian 16-bit value from `memory` (missing bytes read as 0)."""
        addr = canonical(addr)
        return self.memory.get(addr, 0) | (self.memory.get(canonical(addr + 1), 0) << 8)

    def flag(self, name: str) -> bool:
        """One P flag by letter: n v m x d i z c."""
        return bool(self.p & (0x80 >> "nvmxdizc".index(name.lower())))


class _Assembled(Protocol):
    rom: bytes
    symbols: dict[str, int]


@dataclass
class RoutineRun:
    """What one run did. `writes` maps canonical address -> last byte written."""

    reason: str
    final: MachineState
    reads: set[int]
    writes: dict[int, int]
    instructions: int
    cycles: int
    mmio: list[MmioAccess] = field(default_factory=list)
    trace: list[Any] | None = None
    escaped_at: int | None = None
    entry: int = 0
    #: ROM addresses the routine read as data (not instruction fetches), e.g. its tables.
    rom_reads: set[int] = field(default_factory=set)
    #: S after the return minus S before the call (jsl/jsr runs that reached the caller's return
    #: address); nonzero makes the run a "bad_return".
    stack_delta: int | None = None

    @property
    def returned(self) -> bool:
        return self.reason == "returned"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (trace entries rendered with their own `model_dump` when they have one)."""
        out: dict[str, Any] = {
            "reason": self.reason,
            "entry": f"${self.entry:06X}",
            "instructions": self.instructions,
            "cycles": self.cycles,
            "final": self.final.model_dump(mode="json"),
            "reads": [f"${a:06X}" for a in sorted(self.reads)],
            "writes": {f"${a:06X}": v for a, v in sorted(self.writes.items())},
            "mmio": [
                {"op": m.op, "address": f"${m.address:04X}", "value": m.value, "emulated": m.emulated}
                for m in self.mmio
            ],
            "escaped_at": None if self.escaped_at is None else f"${self.escaped_at:06X}",
            "stack_delta": self.stack_delta,
        }
        if self.trace is not None:
            out["trace"] = [_trace_json(t) for t in self.trace]
        return out


def _trace_json(entry: Any) -> Any:
    """One trace row as JSON: the core's TraceEntry fields, registers as a dict."""
    if hasattr(entry, "model_dump"):
        return entry.model_dump(mode="json")
    regs: Any = getattr(entry, "registers", None)
    data = getattr(entry, "bytes", b"")
    return {
        "address": f"${getattr(entry, 'address', 0):06X}",
        "bytes": data.hex() if isinstance(data, bytes | bytearray) else str(data),
        "mnemonic": getattr(entry, "mnemonic", ""),
        "operand": getattr(entry, "operand", ""),
        "registers": regs.model_dump(mode="json") if hasattr(regs, "model_dump") else None,
        "cycles": getattr(entry, "cycles", None),
        "text": entry.text() if hasattr(entry, "text") else str(entry),
    }


def resolve_entry(entry: int | str, symbols: dict[str, int] | None) -> int:
    """An address, or a label looked up in the assembler's symbols (also "$8000"-style strings)."""
    if isinstance(entry, int):
        return entry & 0xFFFFFF
    if symbols and entry in symbols:
        return symbols[entry] & 0xFFFFFF
    if entry[:1] in "$0123456789":
        return parse_address(entry, field="entry")
    return _unknown(entry, symbols)


def _unknown(entry: str, symbols: dict[str, int] | None) -> int:
    known = ", ".join(sorted(symbols)[:10]) if symbols else "none"
    raise InputError(f"entry label {entry!r} is not defined by the program (labels: {known})")


def _program_bytes(program: Any) -> tuple[bytes, dict[str, int] | None]:
    """ROM bytes and symbols of raw bytes or an AssembleResult (refused when it did not assemble)."""
    if isinstance(program, bytes | bytearray):
        return bytes(program), None
    if getattr(program, "ok", True) is False:
        diags = getattr(program, "diagnostics", [])
        first = diags[0] if diags else "no diagnostics"
        raise InputError(f"the program did not assemble: {first}")
    rom = getattr(program, "rom", None)
    if rom is None:
        raise TypeError("program must be ROM bytes, an AssembleResult or a SnesBus")
    return bytes(rom), dict(getattr(program, "symbols", {}) or {})


def _trampoline_site(entry: int, convention: Convention) -> int:
    if convention == "jsl":
        return JSL_TRAMPOLINE
    bank = entry >> 16
    if (bank & 0x7F) < 0x40:
        return (bank << 16) | 0x1FF0
    site = (bank << 16) | 0xFFF0
    if (entry & 0xFFFF) >= 0xFFE0:
        site = (bank << 16) | 0xFFC0
    return site


def _guard_frame(bus: SnesBus, caller_s: int, banks: set[int], preset: dict[int, int]) -> None:
    """Put distinct guard bytes above the caller's frame (bank 0, where the stack lives), leaving
    bytes the state presets and anything that is not plain memory alone."""
    values = [b for b in GUARD_BYTES if b not in banks and b ^ 0x80 not in banks]
    for offset, value in zip(range(1, GUARD_SPAN + 1), values, strict=False):
        addr = (caller_s + offset) & 0xFFFF
        if canonical(addr) in preset or bus.region(addr) != "wram":
            continue
        bus.poke(addr, value)


def run_routine(
    program: Any,
    entry: int | str,
    state: MachineState | None = None,
    convention: Convention = "jsl",
    max_instructions: int = 100_000,
    max_cycles: int | None = None,
    mapper: Mapper = "lorom",
    trace: bool = False,
    trampoline: int | None = None,
    sram_size: int | None = None,
    watch_code: bool = False,
) -> RoutineRun:
    """Execute `entry` of `program` (ROM bytes, an `AssembleResult`, or a prepared `SnesBus`).
    With `watch_code`, `rom_reads` also lists the ROM bytes fetched as instructions.

    `state` gives registers and memory (defaults: 8-bit A/X/Y, S=$01FF, DB=D=0, native mode).
    `trampoline` overrides where the calling stub goes (see the module docstring). `sram_size`
    sets the cartridge SRAM of a new bus (default: from the ROM header, see `SnesBus`)."""
    from triforce.snes.cpu import CPU  # the core is optional at import time for the bus and disassembler

    if convention not in ("jsl", "jsr", "none"):
        raise InputError(f"convention must be 'jsl', 'jsr' or 'none', not {convention!r}")
    state = state or MachineState()
    if isinstance(program, SnesBus):
        bus, symbols = program, None
    else:
        rom, symbols = _program_bytes(program)
        bus = SnesBus(rom, mapper=getattr(program, "mapper", None) or mapper, sram_size=sram_size)
    target = resolve_entry(entry, symbols)
    wram, poke = bus.wram, bus.poke
    for addr, value in state.memory.items():
        if 0x7E0000 <= addr < 0x800000:  # WRAM, most presets: straight into the buffer
            wram[addr - 0x7E0000] = value & 0xFF
        elif not poke(addr, value):
            raise InputError(f"memory ${addr:06X} is I/O or open bus; it cannot be preset")

    cpu = CPU(bus)
    cpu.e = state.e
    cpu.p = state.p
    cpu.a, cpu.x, cpu.y = state.a, state.x, state.y
    cpu.s, cpu.d, cpu.db = state.s, state.d, state.db

    landing: int | None = None
    caller_s: int | None = None
    tramp_bytes: set[int] = set()
    if convention == "none":
        cpu.pb, cpu.pc = target >> 16, target & 0xFFFF
    else:
        site = trampoline if trampoline is not None else _trampoline_site(target, convention)
        if convention == "jsr" and site >> 16 != target >> 16:
            raise InputError(f"a JSR trampoline must be in the routine's bank ${target >> 16:02X}")
        if convention == "jsl":
            stub = bytes([0x22, target & 0xFF, (target >> 8) & 0xFF, target >> 16, 0xDB])
        else:
            stub = bytes([0x20, target & 0xFF, (target >> 8) & 0xFF, 0xDB])
        for i, byte in enumerate(stub):
            if not bus.poke(site + i, byte):
                raise InputError(f"trampoline site ${site + i:06X} is not memory")
            tramp_bytes.add(canonical(site + i))
        landing = site + len(stub) - 1
        cpu.pb, cpu.pc = site >> 16, site & 0xFFFF
        caller_s = cpu.s
        _guard_frame(bus, caller_s, {target >> 16, site >> 16}, state.memory)
        cpu.step()  # the call itself belongs to the caller, not to the routine

    trace_log: list[Any] | None = [] if trace else None
    if trace_log is not None:
        cpu.trace_hook = trace_log.append
    bus.mmio.clear()
    bus.start_watch(code_fetches=watch_code)  # ROM reads are dropped from `reads` below anyway
    try:
        result = cpu.run(
            max_instructions=max_instructions,
            max_cycles=max_cycles,
            stop_at_return=True,
            stop_at=landing,
        )
    finally:
        bus.stop_watch()
        cpu.trace_hook = None

    pc = (cpu.pb << 16) | cpu.pc
    reason = _reason_name(result.reason)
    if reason == "sentinel" and landing is not None and pc == landing:
        reason = "returned"
    elif landing is not None and reason in ("return", "stp"):
        # RETURN: the routine returned at the entry depth; STP: the core ran on into the stub.
        if pc == landing or (reason == "stp" and pc == landing + 1):
            reason = "returned"
        elif reason == "return":
            reason = "bad_return"
    elif reason == "return":
        reason = "returned"
    stack_delta = None
    if caller_s is not None and reason == "returned":
        # Back at the caller's return address: S must be back where the caller left it too.
        stack_delta = cpu.s - caller_s
        if stack_delta:
            reason = "bad_return"
    escaped_at = None
    if reason not in ("returned", "bad_return") and bus.region(pc) in ("io", "open"):
        # The program counter ended in I/O or open-bus space: the code jumped somewhere that
        # holds no code (open-bus bytes usually decode as BRK or junk).
        reason, escaped_at = "executed_outside_memory", pc

    # WRAM ($7E-$7F after folding) is tested by range first: most addresses are there, and a
    # routine that runs long can touch thousands of them.
    region = bus.region
    reads = {
        a for a in bus.reads if (0x7E0000 <= a < 0x800000 or region(a) != "rom") and a not in tramp_bytes
    }
    rom_reads = {
        a for a in bus.reads if not 0x7E0000 <= a < 0x800000 and region(a) == "rom" and a not in tramp_bytes
    }
    writes = dict(bus.writes)
    memory = {
        a: wram[a - 0x7E0000] if 0x7E0000 <= a < 0x800000 else bus.peek(a)
        for a in writes
        if 0x7E0000 <= a < 0x800000 or region(a) in ("wram", "sram")
    }
    # model_construct: the values come straight from the core and the bus (already canonical bytes).
    final = MachineState.model_construct(
        a=cpu.a,
        x=cpu.x,
        y=cpu.y,
        s=cpu.s,
        d=cpu.d,
        db=cpu.db,
        pb=cpu.pb,
        pc=cpu.pc,
        p=cpu.p,
        e=bool(cpu.e),
        memory=memory,
    )
    return RoutineRun(
        reason=reason,
        final=final,
        reads=reads,
        writes=writes,
        instructions=result.instructions,
        cycles=result.cycles,
        mmio=list(bus.mmio),
        trace=trace_log,
        escaped_at=escaped_at,
        entry=target,
        stack_delta=stack_delta,
        rom_reads=rom_reads,
    )


def _reason_name(reason: Any) -> str:
    name = getattr(reason, "name", None) or getattr(reason, "value", None) or str(reason)
    return str(name).lower().rsplit(".", 1)[-1]

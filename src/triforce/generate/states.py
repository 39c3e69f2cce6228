"""Test states for a routine: the inputs every generator executes it on.

A verified sample is only as good as the states it was checked on. We combine three sources:
the author's `;@test` seeds, edge cases that break real routines (zero, $FF/$FFFF, carry in
and out, decimal mode, values one either side of every constant the routine compares against,
ALTTP caps such as 999 rupees), and seeded random states. Memory the routine reads is filled
too: the static RAM references and, after a probe run, every WRAM address it was seen to read.
Everything is a pure function of (routine, seed) so a build is reproducible.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triforce.errors import InputError
from triforce.generate.asmtext import constants
from triforce.snes.addresses import parse_address

# P bits
FLAG_C, FLAG_Z, FLAG_I, FLAG_D, FLAG_X, FLAG_M, FLAG_V, FLAG_N = (
    0x01,
    0x02,
    0x04,
    0x08,
    0x10,
    0x20,
    0x40,
    0x80,
)
_REG_NAMES = ("a", "x", "y", "s", "d", "db", "p")
_TEST_TAG = re.compile(r"@test\b(?P<rest>[^\n]*)")
_ASSIGN = re.compile(r"(?P<key>\[[^\]]+\]|[A-Za-z]+)\s*=\s*(?P<val>\$[0-9A-Fa-f]+|%[01]+|\d+)")
# ALTTP values that routines cap or wrap at (rupees 999, hearts $A0, keys/arrows/bombs 99).
_DOMAIN_EDGES = (999, 1000, 0xA0, 99, 100)
DEFAULT_S = 0x01FF


@dataclass
class StateSpec:
    """A machine state as plain data: registers, flags and WRAM bytes (24-bit address -> byte)."""

    name: str
    a: int = 0
    x: int = 0
    y: int = 0
    s: int = DEFAULT_S
    d: int = 0
    db: int = 0x7E
    p: int = 0x30
    e: bool = False
    memory: dict[int, int] = field(default_factory=dict)

    def registers(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in _REG_NAMES}

    def to_json(self) -> dict[str, Any]:
        # Every sample of a routine records the same states: build each JSON form once (kept on
        # the spec while its fields are unchanged: specs are mutable, so that is checked).
        regs = (self.name, self.a, self.x, self.y, self.s, self.d, self.db, self.p, self.e)
        cached = self.__dict__.get("_json")
        if cached is not None and cached[0] == regs and cached[1] == self.memory:
            return dict(cached[2])
        key = (self.name, *self.registers().values(), self.e, tuple(sorted(self.memory.items())))
        out = _state_json(key)
        self.__dict__["_json"] = (regs, dict(self.memory), out)
        return dict(out)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> StateSpec:
        mem = from_byte_runs(obj.get("memory", {}))
        return cls(
            name=obj.get("name", ""),
            **{k: int(obj[k]) for k in _REG_NAMES if k in obj},
            e=bool(obj.get("e", False)),
            memory=mem,
        )


@functools.lru_cache(maxsize=4096)
def _state_json(key: tuple[Any, ...]) -> dict[str, Any]:
    name, *regs, e, memory = key
    return {
        "name": name,
        **dict(zip(_REG_NAMES, regs, strict=True)),
        "e": e,
        "memory": byte_runs(dict(memory)),
    }


def byte_runs(values: dict[int, int]) -> dict[str, str]:
    """Bytes by address in the compact form samples record: each run of consecutive addresses
    under its first one, as hex (`{"$7E0010": "0A0B"}` is $7E0010=$0A, $7E0011=$0B).

    A routine that clears 8 KiB would otherwise record 8,192 entries per state per sample."""
    out: dict[str, str] = {}
    start = prev = -2
    run: list[int] = []
    for addr in sorted(values):
        if addr != prev + 1:
            if run:
                out[f"${start:06X}"] = bytes(run).hex().upper()
            start, run = addr, []
        run.append(values[addr] & 0xFF)
        prev = addr
    if run:
        out[f"${start:06X}"] = bytes(run).hex().upper()
    return out


def from_byte_runs(obj: dict[str, Any]) -> dict[int, int]:
    """The inverse of `byte_runs`; a plain number value is one byte (`{"$7E0010": 10}`)."""
    out: dict[int, int] = {}
    for key, value in obj.items():
        addr = int(str(key).lstrip("$"), 16)
        if isinstance(value, int):
            out[addr] = value & 0xFF
            continue
        for i, byte in enumerate(bytes.fromhex(value)):
            out[(addr + i) & 0xFFFFFF] = byte
    return out


def machine_state(spec: StateSpec) -> Any:
    """The executable MachineState for a spec (imported lazily: the CPU is another package).

    Built without re-validation: generated values are in range by construction and addresses
    are already folded the way MachineState's own validator folds them (normalize_address)."""
    from triforce.snes.machine import MachineState

    # Every generator runs the same specs: the state is built once per spec and reused while
    # the spec's registers and memory are unchanged (checked on each call: specs are mutable).
    key = (spec.a, spec.x, spec.y, spec.s, spec.d, spec.db, spec.p, spec.e)
    cached = spec.__dict__.get("_machine_state")
    if cached is not None and cached[0] == key and cached[1] == spec.memory:
        return cached[2]
    state = MachineState.model_construct(
        a=spec.a, x=spec.x, y=spec.y, s=spec.s, d=spec.d, db=spec.db, pb=0, pc=0, p=spec.p, e=spec.e,
        memory={normalize_address(k): v for k, v in spec.memory.items()},
    )  # fmt: skip
    spec.__dict__["_machine_state"] = (key, dict(spec.memory), state)
    return state


def seed_for(seed: int, *parts: str) -> int:
    """A stable per-item seed (Python's hash() is salted per process; sha256 is not)."""
    h = hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(h[:8], "little")


def entry_p(m: int | None, x: int | None) -> int:
    """P at entry from the routine's declared widths (8-bit when unknown, as after reset)."""
    p = 0
    if m != 16:
        p |= FLAG_M
    if x != 16:
        p |= FLAG_X
    return p


def _mask(width: int | None) -> int:
    return 0xFFFF if width == 16 else 0xFF


def normalize_address(addr: int) -> int:
    """Fold the low-WRAM mirrors ($00-$3F/$80-$BF:0000-1FFF) onto $7E so reads and writes compare."""
    bank, low = addr >> 16, addr & 0xFFFF
    if (bank <= 0x3F or 0x80 <= bank <= 0xBF) and low < 0x2000:
        return 0x7E0000 | low
    return addr & 0xFFFFFF


def is_wram(addr: int) -> bool:
    return 0x7E0000 <= normalize_address(addr) <= 0x7FFFFF


def _put16(mem: dict[int, int], addr: int, value: int) -> None:
    mem[addr] = value & 0xFF
    mem[(addr + 1) & 0xFFFFFF] = (value >> 8) & 0xFF


def parse_test_tags(text: str) -> list[dict[str, int]]:
    """`;@test A=$0010 [$7EF360]=$0100 C=1` -> [{"a": 16, "[7EF360]": ..., "c": 1}].

    Memory values with more than two hex digits are 16-bit little-endian; keys are lower case
    registers (a x y s d db p), flags (c z d v n) or `[$addr]`."""
    out: list[dict[str, int]] = []
    for m in _TEST_TAG.finditer(text):
        entry: dict[str, int] = {}
        for a in _ASSIGN.finditer(m.group("rest")):
            key, raw = a.group("key"), a.group("val")
            if raw.startswith("$"):
                val, digits = int(raw[1:], 16), len(raw) - 1
            elif raw.startswith("%"):
                val, digits = int(raw[1:], 2), 2
            else:
                val, digits = int(raw), 4 if int(raw) > 0xFF else 2
            if key.startswith("["):
                try:  # the one address rule: `[$7EF360]`; a bare `[1000]` is not guessed at
                    addr = parse_address(key[1:-1], field="@test address")
                except InputError:
                    continue
                entry[f"[{addr:06X}]{'w' if digits > 2 else 'b'}"] = val
            else:
                entry[key.lower()] = val
        if entry:
            out.append(entry)
    return out


def _apply_tag(spec: StateSpec, tag: dict[str, int]) -> None:
    flag_bits = {"c": FLAG_C, "z": FLAG_Z, "v": FLAG_V, "n": FLAG_N}
    for key, val in tag.items():
        if key.startswith("["):
            addr = int(key[1:7], 16)
            if key.endswith("w"):
                _put16(spec.memory, addr, val)
            else:
                spec.memory[addr] = val & 0xFF
        elif key in ("a", "x", "y", "s", "d", "db", "p"):
            setattr(spec, key, val)
        elif key in flag_bits:
            spec.p = (spec.p | flag_bits[key]) if val else (spec.p & ~flag_bits[key])
        elif key == "dec":
            spec.p = (spec.p | FLAG_D) if val else (spec.p & ~FLAG_D)


@dataclass(frozen=True)
class StateInputs:
    """What state generation needs to know about a routine (kept apart from the corpus type)."""

    name: str
    m: int | None
    x: int | None
    ram: tuple[int, ...]  # numeric RAM addresses the routine references
    constants: tuple[int, ...]
    tags: tuple[dict[str, int], ...]
    db: int = 0x7E  # the data bank every state starts with (see context.entry_db_of)


def inputs_of(routine: Any) -> StateInputs:
    """Extract the state-relevant facts from a corpus Routine."""
    ew = getattr(routine, "entry_width", None)
    m = getattr(ew, "m", None)
    x = getattr(ew, "x", None)
    ram = tuple(sorted({normalize_address(r.address) for r in routine.ram if r.address is not None}))
    seeds = getattr(getattr(routine, "tags", None), "tests", None)
    if seeds:
        tags = tuple(_seed_tag(t) for t in seeds)
    else:
        tags = tuple(parse_test_tags((routine.doc or "") + "\n" + routine.body))
    return StateInputs(
        name=routine.qualified_name, m=m, x=x, ram=ram, constants=tuple(constants(routine.body)), tags=tags
    )


def _seed_tag(seed: Any) -> dict[str, int]:
    """A corpus TestSeed (registers by upper-case name, memory bytes) in this module's tag form."""
    tag = {k.lower(): int(v) for k, v in seed.registers.items() if k.lower() != "pb"}
    tag.update({f"[{addr:06X}]b": int(v) for addr, v in seed.memory.items()})
    return tag


def generate_states(
    inp: StateInputs,
    seed: int,
    n_random: int = 12,
    read_addresses: Iterable[int] = (),
    decimal: bool = True,
) -> list[StateSpec]:
    """Seeded, edge and random states for a routine, in a stable order.

    `read_addresses` (from a probe run) get random bytes in random states and the edge fills.
    `decimal` adds states with D set: routines that never CLD then behave differently, which is
    exactly what optimizer equivalence must see.
    """
    rng = random.Random(seed_for(seed, inp.name))
    p0 = entry_p(inp.m, inp.x)
    am, xm = _mask(inp.m), _mask(inp.x)
    reads = sorted({normalize_address(a) for a in read_addresses if is_wram(a)} | set(inp.ram))
    ram16 = inp.ram
    states: list[StateSpec] = []

    for i, tag in enumerate(inp.tags):
        spec = StateSpec(f"seed{i}", p=p0, db=inp.db)
        _apply_tag(spec, tag)
        states.append(spec)

    def edge(name: str, a: int, x: int, y: int, p: int, fill: int | None, ramval: int | None = None) -> None:
        spec = StateSpec(name, a=a & am, x=x & xm, y=y & xm, p=p, db=inp.db)
        if fill is not None:
            for addr in reads:
                spec.memory[addr] = fill
        if ramval is not None:
            for addr in ram16:
                _put16(spec.memory, addr, ramval)
        states.append(spec)

    edge("zero", 0, 0, 0, p0, 0x00)
    edge("ones", 0xFFFF, 0xFFFF, 0xFFFF, p0, 0xFF)
    edge("zero+carry", 0, 0, 0, p0 | FLAG_C, 0x00)
    edge("ones+carry", 0xFFFF, 0xFFFF, 0xFFFF, p0 | FLAG_C, 0xFF)
    edge("one", 1, 1, 1, p0, 0x01)
    edge("sign", 0x8000 if inp.m == 16 else 0x80, 0x80, 0x80, p0, 0x80)
    if decimal:
        edge("decimal", 0x0009, 0x09, 0x09, p0 | FLAG_D, 0x09)
        edge("decimal+carry", 0x0099, 0x99, 0x99, p0 | FLAG_D | FLAG_C, 0x99)
    # ALTTP caps only matter to routines on the save data ($7EF000-$7EF4FF).
    domain = _DOMAIN_EDGES if any(0x7EF000 <= a <= 0x7EF4FF for a in inp.ram) else ()
    boundaries = sorted({c + d for c in (*inp.constants, *domain) for d in (-1, 0, 1)})
    for v in boundaries:
        if v < 0 or v > 0xFFFF:
            continue
        edge(f"edge{v:04X}", v, v, v, p0, None, v)
    for i in range(n_random):
        p = p0 | (FLAG_C if rng.random() < 0.5 else 0) | (FLAG_V if rng.random() < 0.25 else 0)
        # Every other random state has small register values: amounts, counts and indexes as
        # callers pass them, so a result that must stay under a cap read from memory (and a
        # loop counted by a register) is exercised, not just the full 16-bit range.
        top = 0x20 if i % 2 else 0x10000
        spec = StateSpec(
            f"rand{i}",
            a=rng.randrange(top) & am,
            x=rng.randrange(top) & xm,
            y=rng.randrange(top) & xm,
            p=p,
            db=inp.db,
        )
        # Keep the untouched halves realistic: B survives 8-bit A, XH/YH are zero when X=1.
        if inp.m != 16:
            spec.a |= rng.randrange(0x100) << 8
        spec.memory.update(zip(reads, rng.randbytes(len(reads)), strict=True))
        if ram16 and rng.random() < 0.5:
            # Small values keep game counters in their meaningful range half of the time.
            for addr in ram16:
                _put16(spec.memory, addr, rng.randrange(0x400))
        states.append(spec)
    return _dedup(states)


def _dedup(states: list[StateSpec]) -> list[StateSpec]:
    seen: set[tuple[Any, ...]] = set()
    out: list[StateSpec] = []
    for s in states:
        key = (tuple(s.registers().values()), s.e, tuple(sorted(s.memory.items())))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out

"""The records the corpus reader produces: routines, their facts, and the report of a read.

A `Routine` carries everything a generator needs without going back to the tree: its source,
its comments, what it calls and touches, the width it expects, where it came from, and (through
`standalone()`) a source text that asar assembles on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from triforce.corpus._text import balance_conditionals
from triforce.sample import Origin, Provenance

if TYPE_CHECKING:
    from triforce.snes.machine import MachineState

Access = Literal["read", "write", "rw"]
Return = Literal["rts", "rtl", "rti"]
WidthSource = Literal["tag", "top", "immediates", "caller", "unknown"]


@dataclass(frozen=True, slots=True)
class EntryWidth:
    """Register widths at entry: 8, 16 or None (unknown); `source` says how we know."""

    m: int | None = None
    x: int | None = None
    source: WidthSource = "unknown"

    def p_bits(self) -> int:
        """The M/X bits of P for this width (unknown counts as 8-bit, the SNES reset state)."""
        return (0x20 if self.m != 16 else 0) | (0x10 if self.x != 16 else 0)

    def __str__(self) -> str:
        m = f"m{self.m}" if self.m else "m?"
        x = f"x{self.x}" if self.x else "x?"
        return f"{m} {x}"


@dataclass(frozen=True, slots=True)
class RamRef:
    """A WRAM/SRAM location a routine reads or writes; `address` is 24-bit ($7Exxxx for WRAM)."""

    address: int | None
    symbol: str | None
    access: Access

    def describe(self) -> str:
        where = f"${self.address:06X}" if self.address is not None else "?"
        return f"{self.symbol} ({where})" if self.symbol else where


@dataclass(frozen=True, slots=True)
class TestSeed:
    """One `; @test` seed state: register values and memory bytes (24-bit address -> byte), and
    what the routine's author says comes out (after `=>`): registers as (value, mask) (a
    two-digit value checks the low byte only), flags by letter (c z n v), memory bytes."""

    name: str
    registers: dict[str, int]
    memory: dict[int, int]
    expect_registers: dict[str, tuple[int, int]] = field(default_factory=dict)
    expect_flags: dict[str, int] = field(default_factory=dict)
    expect_memory: dict[int, int] = field(default_factory=dict)

    @property
    def has_expectations(self) -> bool:
        return bool(self.expect_registers or self.expect_flags or self.expect_memory)

    def machine_state(self) -> MachineState:
        """The seed as a `triforce.snes.machine.MachineState` (registers not given keep the
        machine's defaults)."""
        from triforce.snes.machine import MachineState

        names = {"A": "a", "X": "x", "Y": "y", "S": "s", "D": "d", "DB": "db", "P": "p", "PB": "pb"}
        fields: dict[str, object] = {names[k]: v for k, v in self.registers.items() if k in names}
        return MachineState.model_validate({**fields, "memory": dict(self.memory)})

    def check(self, a: int, x: int, y: int, p: int, read: Callable[[int], int]) -> list[str]:
        """Differences between the expectations and a final state (empty when all hold)."""
        problems = []
        for name, (value, mask) in self.expect_registers.items():
            got = {"A": a, "X": x, "Y": y}.get(name)
            if got is not None and got & mask != value:
                problems.append(f"{name}=${got & mask:0{4 if mask > 0xFF else 2}X}, expected ${value:X}")
        for flag, value in self.expect_flags.items():
            got = int(bool(p & _FLAG_BITS[flag]))
            if got != value:
                problems.append(f"{flag}={got}, expected {value}")
        for address, value in sorted(self.expect_memory.items()):
            got = read(address)
            if got != value:
                problems.append(f"[${address:06X}]=${got:02X}, expected ${value:02X}")
        return problems


_FLAG_BITS = {"c": 0x01, "z": 0x02, "v": 0x40, "n": 0x80}


@dataclass(frozen=True, slots=True)
class RoutineTags:
    """Machine-readable doc tags (`;@entry`, `;@in`, `;@out`, `;@ram`, `;@test`)."""

    entry: EntryWidth | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    ram: tuple[RamRef, ...] = ()
    tests: tuple[TestSeed, ...] = ()


@dataclass(slots=True)
class Routine:
    name: str
    qualified_name: str
    address: int | None
    file: Path
    line_start: int
    line_end: int
    body: str
    doc: str
    inline_comments: list[str]
    calls: list[str]
    ram: list[RamRef]
    entry_width: EntryWidth
    returns: Return | None
    provenance: Provenance
    tags: RoutineTags = field(default_factory=RoutineTags)
    hardware: list[str] = field(default_factory=list)  # MMIO registers touched, e.g. "$4202"
    sublabels: list[str] = field(default_factory=list)
    namespace: str = ""
    # The routine (or data) its code runs into at its end, in ROM order (None: it never falls
    # through), and whether that whole chain could be placed after it (False: it runs off into
    # a change of location or too far to follow; such a routine cannot be run truthfully).
    falls_into: str | None = None
    fall_through_complete: bool = True
    # The data bank at entry, from the tree (see corpus._banks): `entry_db` (None: unknown or
    # irrelevant), how it is known (`callers`, `io`, `wram`, `any`, `unknown`), and what the code
    # reads through it before setting DB itself ("io", "wram", "rom").
    entry_db: int | None = None
    entry_db_source: str = "unknown"
    entry_db_needs: frozenset[str] = frozenset()
    # Every name the routine's tree uses outside label definitions (one set shared by the
    # tree's routines): a label of this routine not in it is reached by no code of the tree.
    tree_refs: frozenset[str] = frozenset()
    # The tree the routine was read from: pass it as `include_root` when assembling standalone()
    # of a routine that uses incbin/incsrc with paths relative to the tree.
    root: Path | None = None
    # Set by the reader: builds the standalone() parts on first use, since most readers of a
    # large tree never ask for them: (prelude, [(address or None, referenced block text)]).
    # The body there has include paths made relative to `root`.
    _parts: Callable[[], tuple[str, list[tuple[int | None, str]], str]] | None = None
    _parts_cache: tuple[str, list[tuple[int | None, str]], str] | None = None

    def _cached_parts(self) -> tuple[str, list[tuple[int | None, str]], str]:
        if self._parts_cache is None:
            self._parts_cache = self._parts() if self._parts is not None else ("", [], self.body)
        return self._parts_cache

    def standalone_parts(self) -> tuple[str, str]:
        """(prelude, appendix) of standalone(placed=False): defines/constants/macros, and the
        referenced corpus blocks. Batch assemblers hoist preludes (asar rejects a macro defined
        twice in one run)."""
        prelude, deps, _ = self._cached_parts()
        return prelude, "\n\n".join(text for _, text in deps)

    def standalone(self, org: int | None = None, *, placed: bool = True) -> str:
        """asar source that assembles alone: needed defines, macros, constants and label
        addresses, the body, then the corpus routines and data it references. External labels
        still unresolved are the asar layer's job (stub labels).

        `placed=True` starts with `lorom` and `org` (default: the routine's own address, else
        $008000) and puts each referenced block back at its own address when known, so branches
        and same-bank JSRs keep their real distances: assemble it with `org=None`.
        `placed=False` leaves placement to the caller (`assemble(text, org=...)`,
        `assemble_batch`) and appends the referenced blocks after the body."""
        prelude, deps, body = self._cached_parts()
        body = balance_conditionals(body).rstrip("\n")
        if self.namespace:
            body = f"namespace {self.namespace}\n{body}\nnamespace off"
        if not placed:
            return "\n".join(p for p in (prelude, body, *(t for _, t in deps)) if p) + "\n"
        where = org if org is not None else self.address
        if where is None or not _is_lorom_rom(where):
            where = 0x008000
        parts = ["lorom", prelude, f"org ${where:06X}", body]
        # At its own address the routine gets its blocks back at theirs; moved elsewhere (or
        # never placed), they follow the body so same-bank calls stay in one bank.
        home = where == self.address
        parts += [
            text for address, text in deps if not (home and address is not None and _is_lorom_rom(address))
        ]
        for address, text in deps:
            if home and address is not None and _is_lorom_rom(address):
                parts += [f"org ${address:06X}", text]
        return "\n".join(p for p in parts if p) + "\n"


def _is_lorom_rom(address: int) -> bool:
    bank, offset = address >> 16, address & 0xFFFF
    return offset >= 0x8000 and bank not in (0x7E, 0x7F) and bank <= 0xFF


@dataclass(slots=True)
class CorpusReport:
    name: str
    origin: Origin
    routines: list[Routine] = field(default_factory=list)
    files_read: list[Path] = field(default_factory=list)
    files_skipped: list[tuple[Path, str]] = field(default_factory=list)
    missing_includes: list[tuple[Path, int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_directives: dict[str, int] = field(default_factory=dict)
    data_blocks: int = 0
    lines_read: int = 0
    commits: dict[str, str] = field(default_factory=dict)  # tree root -> git HEAD
    elapsed_s: float = 0.0

    def by_name(self) -> dict[str, Routine]:
        """Routines by qualified name (the first one wins when a name repeats)."""
        out: dict[str, Routine] = {}
        for r in self.routines:
            out.setdefault(r.qualified_name, r)
        return out

    def summary(self) -> dict[str, object]:
        """A JSON-able summary (what `triforce corpus scan --json` prints)."""
        return {
            "name": self.name,
            "origin": self.origin,
            "routines": len(self.routines),
            "routines_with_address": sum(r.address is not None for r in self.routines),
            "data_blocks": self.data_blocks,
            "files_read": len(self.files_read),
            "lines_read": self.lines_read,
            "files_skipped": [{"path": str(p), "reason": why} for p, why in self.files_skipped],
            "missing_includes": [
                {"file": str(f), "line": n, "target": t} for f, n, t in self.missing_includes
            ],
            "unknown_directives": dict(sorted(self.unknown_directives.items())),
            "warnings": self.warnings,
            "commits": self.commits,
            "elapsed_s": round(self.elapsed_s, 3),
        }

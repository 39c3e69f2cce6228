"""Static facts about one block of code: calls, RAM touched, hardware registers, returns, width.

These are read from the instructions alone (no execution): a generator that needs proof runs
the routine; these facts are what a reader of the source can see.
"""

from __future__ import annotations

from collections.abc import Callable

from triforce.corpus._walk import Stmt
from triforce.corpus.model import Access, EntryWidth, RamRef, Return
from triforce.snes.opcodes import JUMPS, NO_DATA_OPERAND

_CALLS = JUMPS
_WRITES = frozenset({"STA", "STX", "STY", "STZ"})
_RMW = frozenset({"INC", "DEC", "ASL", "LSR", "ROL", "ROR", "TSB", "TRB"})
_NO_MEMORY = NO_DATA_OPERAND
_PRELUDE_OK = frozenset(
    {"PHP", "PHB", "PHK", "PLB", "PHD", "PHA", "PHX", "PHY", "CLC", "SEC", "SEI", "CLI", "CLD"}
)


def calls_of(stmts: list[Stmt], internal: set[str]) -> list[str]:
    """JSR/JSL/JMP/JML targets that are not labels of the routine itself, in first-use order."""
    out: list[str] = []
    for s in stmts:
        if s.mnemonic not in _CALLS:
            continue
        target = s.operand.strip()
        if not target or target[0] in ".+-([" or target.startswith("#"):
            continue
        if "," in target:
            continue
        if target in internal or target in out:
            continue
        out.append(target)
    return out


def returns_of(stmts: list[Stmt]) -> Return | None:
    """The routine's return kind: the most frequent of RTS/RTL/RTI, the first seen on a tie."""
    kinds: list[Return] = []
    for s in stmts:
        if s.mnemonic == "RTS":
            kinds.append("rts")
        elif s.mnemonic == "RTL":
            kinds.append("rtl")
        elif s.mnemonic == "RTI":
            kinds.append("rti")
    if not kinds:
        return None
    best = max(kinds.count(k) for k in kinds)
    return next(k for k in kinds if kinds.count(k) == best)


def top_width(stmts: list[Stmt], value_of: Callable[[str], int | None]) -> EntryWidth | None:
    """Widths set by REP/SEP at the top of the routine (after pushes and flag set-up)."""
    m: int | None = None
    x: int | None = None
    seen = False
    for s in stmts[:8]:
        if s.mnemonic in ("REP", "SEP") and s.operand.startswith("#"):
            value = value_of(s.operand[1:])
            if value is None:
                break
            width = 16 if s.mnemonic == "REP" else 8
            if value & 0x20:
                m = width
            if value & 0x10:
                x = width
            seen = True
            continue
        if s.mnemonic in _PRELUDE_OK:
            continue
        break
    return EntryWidth(m=m, x=x, source="top") if seen and (m or x) else None


_M_IMMEDIATE = frozenset({"LDA", "ADC", "SBC", "CMP", "AND", "ORA", "EOR", "BIT"})
_X_IMMEDIATE = frozenset({"LDX", "LDY", "CPX", "CPY"})
_MODE_CHANGES = frozenset({"REP", "SEP", "PLP", "XCE", "RTI"})


def immediate_width(stmts: list[Stmt]) -> EntryWidth | None:
    """Widths at entry as the routine's own immediates state them before it changes modes.

    `LDA.w #$0778` or `CMP #$0042` (four digits) before any REP/SEP/PLP only assembles to what
    the CPU executes when M is 16-bit on entry; disassemblies (usdasm) size every immediate."""
    m: int | None = None
    x: int | None = None
    for s in stmts:
        if s.mnemonic in _MODE_CHANGES:
            break
        if not s.operand.startswith("#") or s.mnemonic not in _M_IMMEDIATE | _X_IMMEDIATE:
            continue
        width = _immediate_size(s)
        if width is None:
            continue
        if s.mnemonic in _M_IMMEDIATE and m is None:
            m = width
        elif s.mnemonic in _X_IMMEDIATE and x is None:
            x = width
    return EntryWidth(m=m, x=x, source="immediates") if m or x else None


def _immediate_size(s: Stmt) -> int | None:
    """8 or 16 from a `.b`/`.w` suffix or a literal's hex digit count (how asar sizes it)."""
    suffix = s.suffix.lower()
    if suffix in (".b", ".w"):
        return 8 if suffix == ".b" else 16
    literal = s.raw.strip()[1:].strip() if s.raw.strip().startswith("#") else ""
    if literal.startswith("$") and all(c in "0123456789abcdefABCDEF" for c in literal[1:]) and literal[1:]:
        return 8 if len(literal) - 1 <= 2 else 16
    return None


def entry_width(stmts: list[Stmt], value_of: Callable[[str], int | None]) -> EntryWidth:
    """The widths the routine expects on entry: set by REP/SEP at its top, else (bit by bit)
    those its first immediates are sized for, else unknown."""
    top = top_width(stmts, value_of)
    imm = immediate_width(stmts)
    if top is None:
        return imm or EntryWidth()
    if imm is None or (top.m is not None and top.x is not None):
        return top
    return EntryWidth(m=top.m or imm.m, x=top.x or imm.x, source="top")


def _operand_base(operand: str) -> tuple[str, bool]:
    """The address expression of a memory operand, and whether it is a pointer (indirect)."""
    op = operand.strip()
    indirect = op.startswith("(") or op.startswith("[")
    if indirect:
        op = op.lstrip("([")
        for stop in (")", "]", ","):
            op = op.split(stop, 1)[0]
    elif "," in op:
        op = op.rsplit(",", 1)[0]
    return op.strip(), indirect


def classify(value: int, operand_bytes: int | None) -> tuple[str, int] | None:
    """('ram', 24-bit address) for WRAM/SRAM, ('hw', register) for MMIO, else None."""
    bank, offset = value >> 16, value & 0xFFFF
    if bank in (0x7E, 0x7F):
        return "ram", value
    if 0x70 <= bank <= 0x77 and offset < 0x8000:
        return "ram", value
    low_bank = bank <= 0x3F or 0x80 <= bank <= 0xBF
    if low_bank and offset < 0x2000:
        return "ram", 0x7E0000 | offset
    if low_bank and (0x2100 <= offset < 0x2200 or 0x4016 <= offset < 0x4018 or 0x4200 <= offset < 0x4400):
        return "hw", offset
    return None


def memory_refs(
    stmts: list[Stmt],
    value_of: Callable[[str], int | None],
    is_data_label: Callable[[str], bool],
) -> tuple[list[RamRef], list[str]]:
    """RAM references (merged per location, access read/write/rw) and MMIO registers touched."""
    order: list[tuple[int | None, str | None]] = []
    access: dict[tuple[int | None, str | None], set[Access]] = {}
    hardware: list[str] = []
    for s in stmts:
        if s.mnemonic in _NO_MEMORY or s.mnemonic in _CALLS:
            continue
        raw = s.raw.strip()
        if not raw or raw.startswith("#") or raw.upper() == "A":
            continue
        raw_base, indirect = _operand_base(raw)
        base, _ = _operand_base(s.operand)
        symbol: str | None = None
        if raw_base.startswith("!"):
            symbol = raw_base.split()[0]
        elif raw_base[:1].isalpha() or raw_base[:1] == "_":
            symbol = raw_base
        value = value_of(base)
        kind: Access
        if indirect:
            kind = "read"
        elif s.mnemonic in _WRITES:
            kind = "write"
        elif s.mnemonic in _RMW:
            kind = "rw"
        else:
            kind = "read"
        where: tuple[int | None, str | None]
        if value is None:
            if symbol is None or not symbol.startswith("!"):
                continue
            where = (None, symbol)
        else:
            cls = classify(value, None)
            if cls is None:
                continue
            if cls[0] == "hw":
                name = symbol or f"${cls[1]:04X}"
                if name not in hardware:
                    hardware.append(name)
                continue
            if symbol is not None and is_data_label(symbol):
                continue
            where = (cls[1], symbol)
        if where not in access:
            order.append(where)
            access[where] = set()
        access[where].add(kind)
    refs = []
    for where in order:
        kinds = access[where]
        merged: Access = "rw" if "rw" in kinds or len(kinds) > 1 else next(iter(kinds))
        refs.append(RamRef(address=where[0], symbol=where[1], access=merged))
    return refs, hardware

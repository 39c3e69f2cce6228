"""The data bank (DB) a routine runs with, read from the tree: its callers, or its own code.

A routine that reads `LDA.w Table,X` reads the bank in DB, which its caller set. Running it with
an invented DB reads WRAM instead of the table, or WRAM instead of a hardware register. So the
entry DB comes, in this order, from:

1. the routine's call sites (JSR/JSL/JMP/JML, and the `dw` targets of a dispatch table after a
   JSL or used by `JSR (Table,X)`), each tracked through PHK/PHB/PEA/`LDA #`+PHA/PLB from its
   caller's own entry DB: when every call site agrees, that bank (`source="callers"`);
2. else what the routine itself proves it needs before it sets DB: only hardware registers
   (with low WRAM) means a system bank ($00, `"io"`); only WRAM above $2000 means $7E (`"wram"`);
   nothing bank-relative at all means DB does not matter (`"any"`);
3. else the DB is unknown (`"unknown"`), and a routine that reads ROM through DB is not run.

The tracking is straight-line (branches are not followed): what a call site sees is the state
its routine's code sets up before it, the way disassemblies write bank set-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from triforce.corpus._text import evaluate
from triforce.corpus._walk import NO_FALL, Block, Line, Stmt, falls_through
from triforce.snes.opcodes import BRANCHES, JUMPS

ENTRY = "entry"  # the caller's own entry DB, resolved once that is known
UNREACHED = "unreached"  # code after a jump away that no jump of the block's own enters
Value = int | str | None  # a bank, ENTRY, or unknown
_ROUNDS = 8
_A_KEPT = frozenset(
    {
        "PHA", "PHB", "PHK", "PHP", "PHX", "PHY", "PHD", "PEA", "PLB", "REP", "SEP", "STA", "STX",
        "STY", "STZ", "CLC", "SEC", "CLI", "SEI", "CLD", "SED", "CLV", "LDX", "LDY", "NOP", "INX",
        "INY", "DEX", "DEY", "CPX", "CPY", "CMP",
    }
)  # fmt: skip
_CALLS = JUMPS
# Branches to another routine's label enter it with the brancher's state, like a jump.
_BRANCHES = BRANCHES
_NO_DATA = frozenset({"JSR", "JSL", "JMP", "JML", "PEA", "PEI", "PER", "MVN", "MVP", "BRL", "BRA"})
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TABLE_RE = re.compile(r"^\s*\((\.?[A-Za-z_][A-Za-z0-9_]*)\s*,\s*[xX]\s*\)\s*$")


@dataclass(frozen=True, slots=True)
class EntryBank:
    """DB at entry: `bank` (None: unknown or irrelevant) and how we know (`source`)."""

    bank: int | None
    source: str  # "callers" | "io" | "wram" | "any" | "unknown"
    needs: frozenset[str] = frozenset()  # what the code reads through the entry DB

    @property
    def reads_rom(self) -> bool:
        return "rom" in self.needs


def region_of(value: int) -> str:
    """What an absolute (DB-relative) operand of 16-bit `value` reaches: "low" WRAM (the same in
    every bank a game uses), "io", "wram" ($2000-$7FFF in $7E), "rom" ($8000 up)."""
    low = value & 0xFFFF
    if low < 0x2000:
        return "low"
    if 0x2100 <= low < 0x2200 or 0x4000 <= low < 0x4400:
        return "io"
    if low < 0x8000:
        return "wram"
    return "rom"


def _absolute(s: Stmt, value_of: Callable[[str], int | None], bank: int | None) -> int | None:
    """The 16-bit address of a DB-relative operand (absolute, optionally indexed), else None."""
    if s.mnemonic in _NO_DATA or not s.operand or s.operand[0] in "#([":
        return None
    if s.mnemonic.startswith("B") and s.mnemonic not in ("BIT",):
        return None
    base = s.operand.split(",", 1)[0].strip()
    if s.suffix in ("b", "l") or base.upper() == "A":
        return None
    value = value_of(base)
    if value is None:
        return None
    if s.suffix == "w":
        return value & 0xFFFF
    if value <= 0xFF and base.startswith("$") and len(base) <= 3:
        return None  # direct page
    if value > 0xFFFF and (bank is None or value >> 16 != bank):
        return None  # asar assembles another bank's address long
    return value & 0xFFFF


def _walk(
    block: Block,
    value_of: Callable[[str], int | None],
    m8: bool | None,
    on_call: Callable[[str, Value], None],
    on_read: Callable[[str], None],
    lines: Sequence[Line],
    tables: dict[str, list[str]],
) -> Value:
    """Step through the block's instructions with DB tracked from ENTRY; the DB at its end.

    Code after an instruction that never falls through (RTS, JMP, BRA...) is reached only by a
    jump to its sublabel: it starts with the DB the block's own jumps there had (`JSR .main`),
    or an unknown one."""
    bank = block.address >> 16 if block.address is not None else None
    db: Value = ENTRY
    stack: list[Value] | None = []
    a_low: int | None = None
    subs = [
        (i + 1, m.group(1))
        for i in range(block.start, block.end + 1)
        if (m := _SUB_RE.match(lines[i].code.strip())) is not None
    ]
    entered: dict[str, Value] = {}
    previous: Stmt | None = None
    for s in block.stmts:
        op = s.operand.strip()
        mn = s.mnemonic
        if previous is not None:
            labels = [name for line, name in subs if previous.line < line <= s.line]
            if labels and previous.mnemonic in NO_FALL:
                # Reached only by the block's own jumps there; none: not from its entry at all.
                db, stack = entered.get(labels[-1], UNREACHED), []
            elif labels and labels[-1] in entered and entered[labels[-1]] != db:
                # reached with two different banks (or only by the jump, after unreached code)
                db = entered[labels[-1]] if db == UNREACHED else None
        previous = s
        if db == UNREACHED:
            continue  # code this block's entry never runs: it calls nothing with a known bank
        if op.startswith(".") and (mn in _BRANCHES or mn in ("JSR", "JMP")):
            name = op[1:].split(",", 1)[0].strip()
            entered[name] = db if entered.get(name, db) == db else None
        if mn in ("REP", "SEP") and op.startswith("#"):
            v = evaluate(op[1:], {})
            if v is not None and v & 0x20:
                m8 = mn == "SEP"
        if db == ENTRY:
            addr = _absolute(s, value_of, bank)
            if addr is not None:
                on_read(region_of(addr))
        if mn in ("JSL", "JSR"):
            # A dispatcher called with its table inline (`JSL JumpTableLocal : dw A, B`), at the
            # block's end or before more of its code (`.active` after the table).
            for name in _inline_table(lines, s.line, block.end):
                on_call(name, db)
        if mn in _CALLS:
            target = _TABLE_RE.match(op)
            if target:  # `JSR (Table,X)`: every entry of the table is a call site
                table = target.group(1)
                if table.startswith("."):
                    table = f"{block.qualified}_{table[1:]}"
                for name in tables.get(table, []):
                    on_call(name, db)
            elif op and op[0] not in "([#.+-":
                on_call(op, db)
        elif mn in _BRANCHES and op and op[0] not in ".+-":
            on_call(op, db)
        elif "," in op and op[0] not in "#([":
            # A table of code addresses read by index (`LDA.w .vectors,Y : DEC A : PHA : RTS`):
            # its routines are dispatched from here, with this DB.
            table = op.split(",", 1)[0].strip()
            table = re.split(r"[+\-]", table, maxsplit=1)[0].strip() or table  # `.vectors+1,Y`
            if table.startswith("."):
                table = f"{block.qualified}_{table[1:]}"
            for name in tables.get(table, ()):
                on_call(name, db)
        if stack is not None:
            if mn == "PHK":
                stack.append(bank)
            elif mn == "PHB":
                stack.append(db)
            elif mn == "PHA":
                if m8 is None:
                    stack = None
                else:
                    stack += [a_low] if m8 else [None, a_low]
            elif mn == "PEA":
                v = value_of(op.lstrip("#"))
                stack += [None, None] if v is None else [(v >> 8) & 0xFF, v & 0xFF]
            elif mn in ("PHX", "PHY", "PHD", "PHP"):
                stack = None if mn in ("PHX", "PHY") else stack + [None] * (2 if mn == "PHD" else 1)
            elif mn == "PLB":
                db = stack.pop() if stack else None
            elif mn in ("PLA", "PLX", "PLY", "PLD", "PLP"):
                stack = None
        elif mn == "PLB":
            db = None
        if mn == "LDA" and op.startswith("#"):
            v = value_of(op[1:])
            a_low = None if v is None else v & 0xFF
        elif mn not in _A_KEPT:
            a_low = None
    return db


def _inline_table(lines: Sequence[Line], call_line: int, end: int) -> list[str]:
    """The handler names of the `dw`/`dl` lines right after the call on `call_line` (1-based),
    address markers allowed before them; empty when the call is not followed by a table."""
    names: list[str] = []
    for line in lines[call_line : end + 1]:
        code = _LEADING_LABELS_RE.sub("", line.code.strip())  # `#_1EA75C: dw Handler`
        if not code:
            continue
        word, _, rest = code.partition(" ")
        if word.lower() not in ("dw", "dl"):
            break
        names += _NAME_RE.findall(rest)
    return names


_SUB_RE = re.compile(r"^\s*\.([A-Za-z0-9_]+)\b:?\s*(.*)$")
_LEADING_LABELS_RE = re.compile(r"^(?:#?[A-Za-z_][A-Za-z0-9_]*:\s*)+")


def _tables(owner: dict[str, Block], files: Mapping[Path, Sequence[Line]]) -> dict[str, list[str]]:
    """The label names in the `dw`/`dl` lines under each label (a data block, or a `.vectors`
    sublabel inside a routine), by every name of that label."""
    tables: dict[str, list[str]] = {}
    done: set[int] = set()
    for b in owner.values():
        if id(b) in done:
            continue
        done.add(id(b))
        key = b.qualified
        for line in files[b.file][b.start : b.end + 1]:
            code = line.code.strip()
            sub = _SUB_RE.match(code)
            if sub:
                key, code = f"{b.qualified}_{sub.group(1)}", sub.group(2)
            parts = code.split(None, 1)
            if parts and parts[0].endswith(":"):  # `Label: dw A, B` on one line
                parts = parts[1].split(None, 1) if len(parts) > 1 else []
            # `dw Handler`, `dl Handler`, and split tables of `db Handler>>0` / `>>8` / `>>16`.
            if len(parts) > 1 and parts[0].lower() in ("dw", "dl", "db"):
                tables.setdefault(key, []).extend(_NAME_RE.findall(parts[1]))
        if b.first == "data" and b.qualified in tables:
            for alias in (b.name, *b.sublabels):
                tables.setdefault(alias, tables[b.qualified])
    return tables


_RESET_VECTOR_RE = re.compile(r"^\s*#?_00FFFC:\s*dw\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def _reset_routine(
    blocks: Sequence[Block], files: Mapping[Path, Sequence[Line]], owner: dict[str, Block]
) -> Block | None:
    """The block the emulation-mode reset vector names, from a disassembly's address-marked
    vector table (`#_00FFFC: dw Reset`); None when the tree has no such line."""
    for path in {b.file for b in blocks}:
        for line in files[path]:
            m = _RESET_VECTOR_RE.match(line.code)
            if m:
                return owner.get(m.group(1))
    return None


def entry_banks(
    blocks: Sequence[Block],
    owner: dict[str, Block],
    files: Mapping[Path, Sequence[Line]],
    value_of: Callable[[str], int | None],
    widths: dict[int, bool | None],
) -> dict[int, EntryBank]:
    """EntryBank for each block in `blocks` (by id), from call sites across all of them."""
    tables = _tables(owner, files)
    sites: dict[int, list[tuple[int, Value]]] = {}  # callee -> [(caller id, value)]
    needs: dict[int, set[str]] = {}
    ids = {id(b) for b in blocks}
    for block in blocks:
        found: set[str] = set()

        def call(target: str, value: Value, block: Block = block) -> None:
            key = f"{block.namespace}_{target}" if block.namespace else target
            callee = owner.get(key) or owner.get(target)
            if callee is not None and id(callee) in ids and callee is not block:
                sites.setdefault(id(callee), []).append((id(block), value))

        end = _walk(block, value_of, widths.get(id(block)), call, found.add, files[block.file], tables)
        nxt = block.successor
        if falls_through(block) and nxt is not None and id(nxt) in ids and end != UNREACHED:
            sites.setdefault(id(nxt), []).append((id(block), end))  # it runs on into its successor
        needs[id(block)] = found
    # The 65816 resets in emulation mode with DB=$00: the routine the reset vector ($00FFFC)
    # names is entered with that bank, and so is everything its main loop calls.
    reset = _reset_routine(blocks, files, owner)
    if reset is not None and id(reset) in ids:
        sites.setdefault(id(reset), []).append((0, 0x00))
    # Fixed point: a site passing its caller's ENTRY takes the caller's resolved bank.
    resolved: dict[int, int | None] = {}
    for _ in range(_ROUNDS):
        changed = False
        for key, calls in sites.items():
            values: set[int | None] = set()
            for caller, v in calls:
                values.add(resolved.get(caller) if v == ENTRY else v if isinstance(v, int) else None)
            bank = next(iter(values)) if len(values) == 1 else None
            if resolved.get(key) != bank:
                resolved[key] = bank
                changed = True
        if not changed:
            break
    out: dict[int, EntryBank] = {}
    for block in blocks:
        need = frozenset(needs[id(block)] - {"low"})
        bank = resolved.get(id(block))
        if bank is not None:
            out[id(block)] = EntryBank(bank, "callers", need)
        elif not need:
            out[id(block)] = EntryBank(None, "any", need)
        elif need == {"io"}:
            out[id(block)] = EntryBank(0x00, "io", need)
        elif need == {"wram"}:
            out[id(block)] = EntryBank(0x7E, "wram", need)
        else:
            out[id(block)] = EntryBank(None, "unknown", need)
    return out

"""Byte sizes of instructions and data statements, the way asar sizes them.

asar does not track M/X: an operand's size comes from a `.b/.w/.l` suffix, else from how a
literal is written ($12 is one byte, $1234 two), else from a label's value (above $FFFF: long).
Immediates with an expression we cannot evaluate fall back on the width the code set with
REP/SEP, which is what correct code has. None means "unknown": the caller stops tracking the
address until the next `org`.
"""

from __future__ import annotations

from collections.abc import Callable

from triforce.corpus._text import evaluate, literal_size
from triforce.snes.asmsyntax import REPEATABLE
from triforce.snes.opcodes import Mode
from triforce.snes.opcodes import mnemonics_where as _with_modes

_SUFFIX = {"b": 1, "w": 2, "l": 3}


# Mnemonic classes read off the shared opcode table.
_BRANCH8 = _with_modes(lambda modes: modes == {Mode.REL8})
_IMPLIED = _with_modes(lambda modes: modes == {Mode.IMP})
_ACC_CAPABLE = _with_modes(lambda modes: Mode.ACC in modes)
_INDEX_IMM = _with_modes(lambda modes: Mode.IMM_X in modes)
_SIG8 = _with_modes(lambda modes: modes == {Mode.IMM8})


def instruction_size(
    mnemonic: str,
    suffix: str,
    operand: str,
    value_of: Callable[[str], int | None],
    m8: bool | None,
    x8: bool | None,
) -> int | None:
    """Size in bytes of one instruction, or None when asar's choice cannot be known here."""
    op = operand.strip()
    if op.startswith("#") and mnemonic in REPEATABLE:  # asar's repeat count: `DEX #2` is two DEX
        count = value_of(op[1:].strip())
        return count if count is not None and 0 < count < 0x10000 else None
    if mnemonic in _IMPLIED:
        return 1
    if mnemonic in _SIG8:
        return 2
    if mnemonic in _BRANCH8:
        return 2
    if mnemonic in ("BRL", "PER", "PEA", "MVN", "MVP"):
        return 3
    if mnemonic == "PEI":
        return 2
    if mnemonic in _ACC_CAPABLE and op.upper() in ("", "A"):
        return 1
    if mnemonic in ("JSL", "JML"):
        return 3 if op.startswith("[") or op.startswith("(") else 4
    if op.startswith("#"):
        if suffix in ("b", "w"):
            return 1 + _SUFFIX[suffix]
        expr = op[1:].strip()
        size = literal_size(expr)
        if size is None:
            value = value_of(expr)
            if value is not None:
                size = 1 if 0 <= value < 0x100 else 2
            else:
                wide = x8 if mnemonic in _INDEX_IMM else m8
                size = 1 if wide is None or wide else 2
        return 1 + min(size, 2)
    if mnemonic in ("JMP", "JSR"):
        if suffix == "l":
            return 4
        return 3
    upper = op.upper().replace(" ", "")
    if upper.startswith("(") or upper.startswith("["):
        if upper.endswith(",S),Y"):
            return 2
        return 2 if suffix != "w" else 3
    base = op
    if "," in base:
        base, _, index = base.rpartition(",")
        if index.strip().upper() == "S":
            return 2
    if suffix:
        return 1 + _SUFFIX.get(suffix, 2)
    size = literal_size(base)
    if size is None:
        value = value_of(base.strip())
        if value is None:
            return 3  # unknown label: asar's default for a label is absolute
        size = 3 if value > 0xFFFF else 2
    return 1 + size


def data_size(directive: str, args: str) -> int | None:
    """Size of db/dw/dl/dd (and their word aliases) with the given argument list."""
    unit = {"db": 1, "byte": 1, "dw": 2, "word": 2, "dl": 3, "long": 3, "dd": 4, "dword": 4}[directive]
    total = 0
    for item in _split_args(args):
        if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
            total += unit * len(item[1:-1])
        elif item:
            total += unit
    return total


def _split_args(args: str) -> list[str]:
    """Split on top-level commas (not inside quotes or parentheses)."""
    items: list[str] = []
    depth, quote, cur = 0, "", []
    for ch in args:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch == '"':
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth <= 0:
            items.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        items.append("".join(cur).strip())
    return items


def split_args(args: str) -> list[str]:
    """Public alias of the top-level comma splitter (macro arguments use it too)."""
    return _split_args(args)


def evaluate_with(names: dict[str, int]) -> Callable[[str], int | None]:
    """A `value_of` callback over a label table."""
    return lambda expr: evaluate(expr, names)

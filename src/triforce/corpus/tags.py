"""Machine-readable doc tags in routine comments.

    ;@entry m16 x8                 register widths the routine expects
    ;@in A: amount to add          an input (register, flag or memory) and what it means
    ;@out carry: set when capped   an output
    ;@ram $7EF360 rw               a RAM location it reads (r), writes (w) or both (rw)
    ;@test A=$0010 [$7EF360]=$0100 a seed state: registers (A X Y S D DB P) and memory
                                   (`[addr]=value`, little-endian, as many bytes as the digits say)
    ;@test A=$10 => A=$20 c=1 [$7EF360]=$0110
                                   ... and after `=>`, what comes out: registers (two hex digits
                                   check the low byte, four the whole register), flags c z n v,
                                   memory bytes

Write the tags with a space after `;` (`; @test`): asar reads `;@word` as an asar command.
A test state without `P=` gets the M/X bits of the `;@entry` tag (8-bit when absent).
"""

from __future__ import annotations

import re

from triforce.corpus.model import Access, EntryWidth, RamRef, RoutineTags, TestSeed
from triforce.errors import InputError

_TAG_RE = re.compile(r"^\s*@(entry|in|out|ram|test)\b\s*(.*)$", re.IGNORECASE)
_WIDTH_RE = re.compile(r"\b([mx])(8|16)\b", re.IGNORECASE)
_REG_RE = re.compile(r"^(A|X|Y|S|D|DB|P|PB)=\$?([0-9A-Fa-f]+)$", re.IGNORECASE)
_MEM_RE = re.compile(r"^\[\$([0-9A-Fa-f]{1,6})\]=\$([0-9A-Fa-f]+)$")
_ACCESS = {"r": "read", "read": "read", "w": "write", "write": "write", "rw": "rw"}


def is_tag(comment: str) -> bool:
    return _TAG_RE.match(comment) is not None


def parse_tags(comments: list[str], where: str = "") -> RoutineTags:
    """Read the tags out of a routine's comment lines (text after `;`). Malformed tags raise
    InputError naming `where` (file:line), since a bundled seed that silently vanished would
    leave a routine untested."""
    entry: EntryWidth | None = None
    inputs: list[tuple[str, str]] = []
    outputs: list[tuple[str, str]] = []
    ram: list[RamRef] = []
    tests: list[TestSeed] = []
    pending_tests: list[str] = []
    for comment in comments:
        match = _TAG_RE.match(comment)
        if not match:
            continue
        kind, rest = match.group(1).lower(), match.group(2).strip()
        if kind == "entry":
            widths = {k.lower(): int(v) for k, v in _WIDTH_RE.findall(rest)}
            entry = EntryWidth(m=widths.get("m"), x=widths.get("x"), source="tag")
        elif kind in ("in", "out"):
            name, _, text = rest.partition(":")
            (inputs if kind == "in" else outputs).append((name.strip(), text.strip()))
        elif kind == "ram":
            ram.append(_parse_ram(rest, where))
        else:
            pending_tests.append(rest)
    for i, text in enumerate(pending_tests):
        tests.append(_parse_test(text, f"t{i}", entry, where))
    return RoutineTags(entry, tuple(inputs), tuple(outputs), tuple(ram), tuple(tests))


def _parse_ram(text: str, where: str) -> RamRef:
    parts = text.split()
    if not parts or not parts[0].startswith("$"):
        raise InputError(f"{where}: ;@ram needs an address like $7EF360, got {text!r}")
    try:
        address = int(parts[0][1:], 16)
    except ValueError as exc:
        raise InputError(f"{where}: bad ;@ram address {parts[0]!r}") from exc
    access: Access = "rw"
    symbol = None
    for extra in parts[1:]:
        if extra.lower() in _ACCESS:
            access = _ACCESS[extra.lower()]  # type: ignore[assignment]
        else:
            symbol = extra
    return RamRef(address=address, symbol=symbol, access=access)


_NAME_RE = re.compile(r"^\s*([A-Za-z_][\w-]*):\s")
_FLAG_RE = re.compile(r"^([czvn])=([01])$", re.IGNORECASE)


def _parse_test(text: str, name: str, entry: EntryWidth | None, where: str) -> TestSeed:
    registers: dict[str, int] = {}
    memory: dict[int, int] = {}
    named = _NAME_RE.match(text)
    if named:
        name, text = named.group(1), text[named.end() :]
    text, _, expected = text.partition("=>")
    expect_registers: dict[str, tuple[int, int]] = {}
    expect_flags: dict[str, int] = {}
    expect_memory: dict[int, int] = {}
    for token in expected.split():
        reg = _REG_RE.match(token)
        flag = _FLAG_RE.match(token)
        mem = _MEM_RE.match(token)
        if reg:
            digits = reg.group(2)
            expect_registers[reg.group(1).upper()] = (int(digits, 16), 0xFF if len(digits) <= 2 else 0xFFFF)
        elif flag:
            expect_flags[flag.group(1).lower()] = int(flag.group(2))
        elif mem:
            _store(expect_memory, int(mem.group(1), 16), mem.group(2))
        else:
            raise InputError(f"{where}: cannot read expected {token!r} (use A=$10, c=1 or [$7EF360]=$0100)")
    for token in text.split():
        reg = _REG_RE.match(token)
        if reg:
            registers[reg.group(1).upper()] = int(reg.group(2), 16)
            continue
        mem = _MEM_RE.match(token)
        if mem:
            _store(memory, int(mem.group(1), 16), mem.group(2))
            continue
        raise InputError(f"{where}: cannot read ;@test token {token!r} (use A=$10 or [$7EF360]=$0100)")
    if "P" not in registers:
        registers["P"] = (entry or EntryWidth()).p_bits()
    return TestSeed(name, registers, memory, expect_registers, expect_flags, expect_memory)


def _store(memory: dict[int, int], address: int, digits: str) -> None:
    """Little-endian bytes of a hex value, as many as its digits say ($0100 is two bytes)."""
    value = int(digits, 16)
    for i in range((len(digits) + 1) // 2):
        memory[address + i] = (value >> (8 * i)) & 0xFF

"""Reading `db`/`dw` data and labels out of a disassembly listing (usdasm's style: every data line
carries its address as `#_1C8000:`), bounded and defensive: a tree is user input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from triforce.errors import InputError
from triforce.text._files import read_text_bounded

MAX_FILE_BYTES = 16 * 1024 * 1024

_LINE = re.compile(r"^\s*#_([0-9A-Fa-f]{6}):\s*(db|dw|dl)\s+([^;]*?)\s*(?:;\s?(.*))?$")
_GLOBAL = re.compile(r"^([A-Za-z_][\w]*):\s*(?:;.*)?$")
_LOCAL = re.compile(r"^(\.[A-Za-z_][\w]*):?\s*(?:;.*)?$")
_POOL = re.compile(r"^pool\s+(\S+)\s*$")
_ORG = re.compile(r"^org\s+\$([0-9A-Fa-f]{6})\b")


@dataclass(frozen=True)
class DataLine:
    line: int  # 1-based line number in the file
    address: int
    directive: str  # db / dw / dl
    values: tuple[str, ...]  # as written: "$7A", "6", ".entry_00"
    comment: str


@dataclass
class Listing:
    path: Path
    lines: list[DataLine] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)  # "Name" / "Scope.local" -> address
    label_lines: dict[str, int] = field(default_factory=dict)

    def bytes_at(self, start: int = 0, end: int = 0x1000000) -> dict[int, int]:
        """Every `db` byte by address, in [start, end). Values that are not numbers (labels,
        expressions) leave their bytes out; negative numbers are stored as two's complement."""
        out: dict[int, int] = {}
        for dl in self.lines:
            if dl.directive != "db" or not start - 0x100 <= dl.address < end:
                continue
            for k, v in enumerate(dl.values):
                value = number(v)
                if value is not None and start <= dl.address + k < end:
                    out[dl.address + k] = value
        return out

    def label(self, name: str) -> int:
        if name not in self.labels:
            raise InputError(f"{self.path}: label {name} not found")
        return self.labels[name]


def number(text: str) -> int | None:
    """A `db` value as a byte, or None when it is not a plain number."""
    t = text.strip()
    try:
        value = int(t[1:], 16) if t.startswith("$") else int(t, 10)
    except ValueError:
        return None
    return value & 0xFF if -0x80 <= value <= 0xFF else None


def read_listing(path: Path) -> Listing:
    """Data lines and labels of one file. A label's address is that of the first data or code
    line after it (usdasm puts `#_addr:` on every line)."""
    path = Path(path)
    text = read_text_bounded(path, MAX_FILE_BYTES, "listing", errors="replace")
    listing = Listing(path)
    scope = ""
    pending: list[str] = []
    for number_, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if m := _POOL.match(line):
            scope = m.group(1) if m.group(1) != "off" else scope
            continue
        if m := _GLOBAL.match(line):
            scope = m.group(1)
            pending.append(scope)
            listing.label_lines[scope] = number_
            continue
        if m := _LOCAL.match(line):
            name = f"{scope}{m.group(1)}"
            pending.append(name)
            listing.label_lines[name] = number_
            continue
        addr = re.match(r"^\s*#_([0-9A-Fa-f]{6}):", line)
        if addr:
            address = int(addr.group(1), 16)
            for name in pending:
                listing.labels[name] = address
            pending = []
        if m := _LINE.match(line):
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            listing.lines.append(DataLine(number_, int(m.group(1), 16), m.group(2), values, m.group(4) or ""))
    return listing

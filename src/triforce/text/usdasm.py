"""The game's own text data, read from a US disassembly (spannerisms/usdasm) when the user has one.

Nothing here is bundled: `text.asm` holds the 397 messages byte by byte, `bank_0E.asm` the
dictionary (`WordDictionary`, $0E:C703), the command length table (`TextCommandLengths`) and the
VWF width table (`RenderText_PerformVWFing .width`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from triforce.errors import InputError
from triforce.text.asmdata import Listing, read_listing
from triforce.text.commands import BANK_SWITCH, END, END_OF_TEXT
from triforce.text.dictionary import Dictionary

FIRST_BANK_LABEL = "Message_Data"  # $1C:8000
SECOND_BANK_LABEL = "Message_DataExtra"  # $0E:DF40, where the $80 byte sends the reader


@dataclass(frozen=True)
class GameMessage:
    id: int
    address: int  # SNES address of its first byte
    data: bytes  # its bytes, the $7F end byte included
    label_address: int | None  # where the disassembly's Message_XXXX label says it starts


@dataclass(frozen=True)
class GameText:
    messages: list[GameMessage]
    bank_switch_at: int | None  # address of the $80 byte
    end_at: int | None  # address of the $FF byte after the last message (None: not in text.asm)


def _files(usdasm: Path) -> tuple[Path, Path]:
    usdasm = Path(usdasm)
    text, bank = usdasm / "text.asm", usdasm / "bank_0E.asm"
    for p in (text, bank):
        if not p.is_file():
            raise InputError(f"{usdasm}: no {p.name} (expected a spannerisms/usdasm checkout)")
    return text, bank


def bank0e(usdasm: Path) -> Listing:
    return read_listing(_files(usdasm)[1])


def read_dictionary(usdasm: Path, listing: Listing | None = None) -> Dictionary:
    """The dictionary as the game reads it: entry i spans from pointer i to pointer i + 1
    (`RenderText_LookupWord`), over the bytes of bank $0E."""
    lst = listing or bank0e(usdasm)
    start = lst.label("WordDictionary")
    pointers: list[int] = []
    for dl in lst.lines:
        if dl.directive == "dw" and start <= dl.address < start + 2 * 0x80:
            for v in dl.values:
                pointers.append(lst.label(f"WordDictionary{v}" if v.startswith(".") else v))
    if len(pointers) < 2:
        raise InputError(f"{lst.path}: WordDictionary has no pointer table")
    data = lst.bytes_at()
    entries: list[tuple[int, ...]] = []
    for i, (a, b) in enumerate(itertools.pairwise(pointers)):
        try:
            entries.append(tuple(data[(a & 0xFF0000) | x] for x in range(a & 0xFFFF, b & 0xFFFF)))
        except KeyError as exc:
            raise InputError(f"{lst.path}: dictionary entry {i} has no bytes at ${exc.args[0]:06X}") from None
    return Dictionary(tuple(entries), source=f"{lst.path} (WordDictionary ${start:06X})")


def read_command_lengths(usdasm: Path, listing: Listing | None = None) -> dict[int, int]:
    """{command byte: length} from the game's table: `CreateMessagePointers` reads
    `RenderText_MoreInitialSettings,Y` with Y = the byte, for $67 <= Y < $80."""
    lst = listing or bank0e(usdasm)
    base = lst.label("RenderText_MoreInitialSettings")
    lst.label("TextCommandLengths")  # the table must be where the listing says
    data = lst.bytes_at()
    out: dict[int, int] = {}
    for code in range(0x67, 0x80):
        addr = base + code
        if addr not in data:
            raise InputError(f"{lst.path}: no byte at ${addr:06X} (length of command ${code:02X})")
        out[code] = data[addr]
    return out


def read_widths(usdasm: Path, listing: Listing | None = None) -> list[int]:
    """The VWF width table ($0E:CADF): one byte per character from $00 up to the next label."""
    lst = listing or bank0e(usdasm)
    start = lst.label("RenderText_PerformVWFing.width")
    ends = sorted(a for a in lst.labels.values() if a > start)
    end = ends[0] if ends else start + 0x100
    data = lst.bytes_at()
    return [data[a] for a in range(start, end) if a in data]


def read_messages(usdasm: Path, lengths: dict[int, int] | None = None) -> GameText:
    """The messages as the game finds them: `CreateMessagePointers` walks from $1C:8000, stepping
    over each command by its length, a new message after every $7F, on to $0E:DF40 at $80, and
    stops at $FF."""
    text_path, _ = _files(usdasm)
    lst = read_listing(text_path)
    steps = lengths or read_command_lengths(usdasm)
    data = lst.bytes_at()
    labels = {
        int(m.group(1), 16): addr
        for name, addr in lst.labels.items()
        if (m := re.fullmatch(r"Message_([0-9A-F]{4})", name))
    }
    second = lst.label(SECOND_BANK_LABEL)
    addr = lst.label(FIRST_BANK_LABEL)
    messages: list[GameMessage] = []
    switch_at: int | None = None
    start = addr
    while True:
        if addr not in data:
            # usdasm's text.asm stops after the last message; the $FF that follows lives in bank_0E.asm
            if data.get(addr - 1) == END and switch_at is not None:
                return GameText(messages, switch_at, None)
            raise InputError(f"{text_path}: no byte at ${addr:06X} while reading message {len(messages)}")
        b = data[addr]
        if b == BANK_SWITCH and addr == start:
            switch_at = addr
            addr = start = second
            continue
        if b == END_OF_TEXT and addr == start:
            return GameText(messages, switch_at, addr)
        step = steps.get(b, 1) if 0x67 <= b < 0x80 else 1
        addr += step
        if b == END:
            body = bytes(data[a] for a in range(start, addr))
            messages.append(GameMessage(len(messages), start, body, labels.get(len(messages))))
            start = addr

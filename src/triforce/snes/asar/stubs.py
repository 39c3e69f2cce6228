"""Stub labels: give every label a snippet uses but does not define a harmless, distinct address.

A snippet such as `JSL Sprite_Move : RTL` cannot be checked alone: asar stops at
`Elabel_not_found`. With stubs on, Triforce defines each missing label and reports it in
`AssembleResult.stubs`, so the caller sees exactly what was assumed. Where the stub lives depends
on how the label is used, so that executing the snippet still works:

- `JSL`/`JML` targets: a one-byte `RTL` at $D000+ of the stub bank (the image's last bank);
- `JSR`/`JMP`/branch targets: a one-byte `RTS` in the caller's bank ($F000-$FEFF), because
  these instructions only carry 16 bits of address;
- anything else (data, `LDA Table,x`): 16 zero bytes in the caller's bank ($E000-$EFFF, then
  $D000-$DFFF unless that bank holds the long stubs), so that absolute and indexed modes both
  exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from triforce.snes.asar.rom import Mapper, bank_size, snes_to_offset
from triforce.snes.opcodes import LONG_JUMPS, NEAR_JUMPS, RELATIVE

StubKind = Literal["long", "near", "data"]

RTL, RTS = 0x6B, 0x60
_NEAR_START, _NEAR_END = 0xF000, 0xFF00
_DATA_START, _DATA_END, _DATA_STRIDE = 0xE000, 0xF000, 0x10
_LONG_START, _LONG_STRIDE = 0xD000, 2
_NEAR_MNEMONICS = RELATIVE | NEAR_JUMPS
_LONG_MNEMONICS = LONG_JUMPS
_VALID_LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Bytes a stub of each kind takes.
STUB_SIZE: dict[StubKind, int] = {"long": 1, "near": 1, "data": _DATA_STRIDE}

#: Batch slots end here in each bank: from here up is the stub area.
STUB_AREA_START = _LONG_START


def stubbable(label: str) -> bool:
    """asar can define this label with `Name = $addr` (no +/- labels, no `Foo.Bar` struct fields)."""
    return bool(_VALID_LABEL_RE.match(label))


def classify(statement: str | None) -> StubKind:
    """How a statement uses the label it names: called long, called near, or read as data."""
    if not statement:
        return "data"
    words = re.sub(r"^(?:[.A-Za-z_][A-Za-z0-9_.]*:\s*)+", "", statement.strip()).split()
    mnemonic = words[0].split(".")[0].upper() if words else ""
    if mnemonic in _LONG_MNEMONICS:
        return "long"
    if mnemonic in _NEAR_MNEMONICS:
        return "near"
    return "data"


@dataclass
class StubAllocator:
    """Hands out distinct stub addresses for one ROM image and records the bytes they need."""

    mapper: Mapper
    rom_size: int
    _next_long: int = 0
    _next_near: dict[int, int] = field(default_factory=dict)
    _data_count: dict[int, int] = field(default_factory=dict)
    patches: dict[int, int] = field(default_factory=dict)  # file offset -> byte
    avoided: list[tuple[int, int]] = field(default_factory=list)  # file-offset ranges

    @property
    def long_bank_base(self) -> int:
        """$D000 of the image's last bank: clear of code at the bank start and of the other
        stub areas, even when the image is a single bank."""
        last = self.rom_size // bank_size(self.mapper) - 1
        bank = last if self.mapper == "lorom" else 0xC0 + last
        return (bank << 16) | _LONG_START

    def allocate(self, kind: StubKind, caller_bank: int) -> int | None:
        """A fresh address for a stub of this kind, clear of `avoid`ed bytes, or None when that
        stub area is full."""
        while True:
            address = self._next(kind, caller_bank)
            if address is None:
                return None
            offset = snes_to_offset(address, self.mapper)
            if offset is None or not any(
                start < offset + STUB_SIZE[kind] and offset < end for start, end in self.avoided
            ):
                break
        if kind != "data":
            self._patch(address, RTL if kind == "long" else RTS)
        return address

    def avoid(self, ranges: list[tuple[int, int]]) -> None:
        """Never hand out stubs in these file-offset ranges (a placed snippet's own bytes)."""
        self.avoided.extend(ranges)

    def release(self, address: int) -> None:
        """Forget the byte a stub that is being moved had written."""
        offset = snes_to_offset(address, self.mapper)
        if offset is not None:
            self.patches.pop(offset, None)

    def _next(self, kind: StubKind, caller_bank: int) -> int | None:
        if kind == "long":
            if _LONG_START + self._next_long >= _DATA_START:
                return None
            address = self.long_bank_base + self._next_long
            self._next_long += _LONG_STRIDE
            return address
        if kind == "near":
            n = self._next_near.get(caller_bank, _NEAR_START)
            if n >= _NEAR_END:
                return None
            self._next_near[caller_bank] = n + 1
            address = (caller_bank << 16) | n
            return address
        # $E000-$EFFF first; a table of many labels goes on in $D000-$DFFF, which is free in
        # every bank but the one holding the long stubs
        count = self._data_count.get(caller_bank, 0)
        areas = [_DATA_START] if caller_bank == self.long_bank_base >> 16 else [_DATA_START, _LONG_START]
        area, k = divmod(count, (_DATA_END - _DATA_START) // _DATA_STRIDE)
        if area >= len(areas):
            return None
        self._data_count[caller_bank] = count + 1
        return (caller_bank << 16) | (areas[area] + k * _DATA_STRIDE)

    def _patch(self, address: int, value: int) -> None:
        offset = snes_to_offset(address, self.mapper)
        if offset is not None and offset < self.rom_size:
            self.patches[offset] = value

    def apply(self, image: bytearray) -> None:
        for offset, value in self.patches.items():
            image[offset] = value

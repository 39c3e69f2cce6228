"""OAM, the PPU's sprite table: 544 bytes = 128 four-byte entries, then a 32-byte high table.

Entry (sneslab.net/wiki/OAM): X low 8 bits, Y, tile low 8 bits, attributes `YXPPCCCT`
(V-flip, H-flip, priority 0-3, palette 0-7, tile bit 8 = second name table). High table: two
bits per sprite, sprite n at bits 2*(n%4) of byte n//4: bit 0 = X bit 8, bit 1 = size (large).

ALTTP builds the low table at $0800 and keeps one byte per sprite at $0A20-$0A9F (bit 0 = X bit
8, bit 1 = size); `NMI_PrepareSprites` ($00:85FC) packs those into the high table at $0A00
(`alttp_pack_high_table`, proven on the core by `triforce gfx prove`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from triforce.errors import InputError

OAM_BYTES = 544
ENTRIES = 128
HIGH_TABLE = 512  # offset of the high table
ALTTP_OAM = 0x0800
ALTTP_HIGH_TABLE = 0x0A00
ALTTP_EXTRA = 0x0A20  # per-sprite X8/size bytes the game packs into the high table


@dataclass(frozen=True)
class OamEntry:
    x: int  # 0-511 (9 bits; 256-511 are left of the screen, i.e. -256..-1)
    y: int
    tile: int  # 0-511 (bit 8 is the attribute's T bit)
    palette: int = 0
    priority: int = 0
    hflip: bool = False
    vflip: bool = False
    large: bool = False

    def __post_init__(self) -> None:
        for name, value, top in (
            ("x", self.x, 511),
            ("y", self.y, 255),
            ("tile", self.tile, 511),
            ("palette", self.palette, 7),
            ("priority", self.priority, 3),
        ):
            if not 0 <= value <= top:
                raise InputError(f"OAM {name} is 0-{top}, not {value}")

    def attributes(self) -> int:
        """The fourth byte, `YXPPCCCT`."""
        return self.vflip << 7 | self.hflip << 6 | self.priority << 4 | self.palette << 1 | self.tile >> 8

    def low_bytes(self) -> bytes:
        return bytes([self.x & 0xFF, self.y, self.tile & 0xFF, self.attributes()])

    def high_bits(self) -> int:
        """The entry's two high-table bits: bit 0 = X bit 8, bit 1 = size."""
        return self.large << 1 | self.x >> 8

    @classmethod
    def from_bytes(cls, low: bytes, high_bits: int) -> OamEntry:
        if len(low) != 4 or not 0 <= high_bits <= 3:
            raise InputError("an OAM entry is 4 low-table bytes and 2 high-table bits")
        x_low, y, tile_low, attr = low
        return cls(
            x=x_low | (high_bits & 1) << 8,
            y=y,
            tile=tile_low | (attr & 1) << 8,
            palette=(attr >> 1) & 7,
            priority=(attr >> 4) & 3,
            hflip=bool(attr & 0x40),
            vflip=bool(attr & 0x80),
            large=bool(high_bits & 2),
        )

    def screen_x(self) -> int:
        """X as the PPU reads it: 9-bit two's complement (-256..255)."""
        return self.x - 512 if self.x >= 256 else self.x

    def fields(self) -> dict[str, int | bool]:
        return {
            "x": self.x,
            "y": self.y,
            "tile": self.tile,
            "palette": self.palette,
            "priority": self.priority,
            "hflip": self.hflip,
            "vflip": self.vflip,
            "large": self.large,
        }


HIDDEN = OamEntry(x=0, y=0xF0, tile=0)  # what unused slots hold here: below the visible lines


def high_table_slot(index: int) -> tuple[int, int]:
    """(byte offset in OAM, bit shift) of sprite `index`'s two high-table bits."""
    if not 0 <= index < ENTRIES:
        raise InputError(f"OAM index is 0-127, not {index}")
    return HIGH_TABLE + index // 4, 2 * (index % 4)


def pack_oam(entries: Sequence[OamEntry]) -> bytes:
    """The 544-byte table for up to 128 entries (later slots hold `HIDDEN`)."""
    if len(entries) > ENTRIES:
        raise InputError(f"OAM holds {ENTRIES} entries, got {len(entries)}")
    full = [*entries, *[HIDDEN] * (ENTRIES - len(entries))]
    out = bytearray(b"".join(e.low_bytes() for e in full))
    high = bytearray(32)
    for i, e in enumerate(full):
        offset, shift = high_table_slot(i)
        high[offset - HIGH_TABLE] |= e.high_bits() << shift
    return bytes(out + high)


def unpack_oam(data: bytes) -> list[OamEntry]:
    """All 128 entries of a 544-byte table."""
    if len(data) != OAM_BYTES:
        raise InputError(f"an OAM table is {OAM_BYTES} bytes, got {len(data)}")
    out = []
    for i in range(ENTRIES):
        offset, shift = high_table_slot(i)
        out.append(OamEntry.from_bytes(data[4 * i : 4 * i + 4], (data[offset] >> shift) & 3))
    return out


def alttp_pack_high_table(extra: bytes) -> bytes:
    """What `NMI_PrepareSprites` writes to $0A00-$0A1F from the 128 bytes at $0A20: per byte
    `((e3 << 2 | e2) << 2 | e1) << 2 | e0` in 8 bits. The game does not mask the inputs, so a
    value above 3 spills into its neighbours' bits here as it does there."""
    if len(extra) != ENTRIES:
        raise InputError(f"ALTTP keeps {ENTRIES} per-sprite bytes at $0A20, got {len(extra)}")
    out = bytearray()
    for k in range(0, ENTRIES, 4):
        v = extra[k + 3]
        for e in (extra[k + 2], extra[k + 1], extra[k]):
            v = ((v << 2) & 0xFF) | e
        out.append(v)
    return bytes(out)

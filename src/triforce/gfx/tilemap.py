"""Background tilemap entries: one little-endian word `vhopppcc cccccccc` per 8x8 cell.

v = vertical flip, h = horizontal flip, o = priority, ppp = palette row (0-7), c = tile number
(0-1023) (yaze `snes_tile.h` TileInfo; snes.nesdev.org/wiki/Tilemaps).
"""

from __future__ import annotations

from dataclasses import dataclass

from triforce.errors import InputError


@dataclass(frozen=True)
class TilemapEntry:
    tile: int
    palette: int = 0
    priority: bool = False
    hflip: bool = False
    vflip: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.tile <= 0x3FF:
            raise InputError(f"tile number is 0-1023 ($3FF), not {self.tile}")
        if not 0 <= self.palette <= 7:
            raise InputError(f"palette is 0-7, not {self.palette}")

    def word(self) -> int:
        return self.vflip << 15 | self.hflip << 14 | self.priority << 13 | self.palette << 10 | self.tile

    def to_bytes(self) -> bytes:
        return self.word().to_bytes(2, "little")

    @classmethod
    def from_word(cls, word: int) -> TilemapEntry:
        if not 0 <= word <= 0xFFFF:
            raise InputError(f"a tilemap entry is a 16-bit word, not {word}")
        return cls(
            tile=word & 0x3FF,
            palette=(word >> 10) & 7,
            priority=bool(word >> 13 & 1),
            hflip=bool(word >> 14 & 1),
            vflip=bool(word >> 15 & 1),
        )

    def fields(self) -> dict[str, int | bool]:
        return {
            "tile": self.tile,
            "palette": self.palette,
            "priority": self.priority,
            "hflip": self.hflip,
            "vflip": self.vflip,
        }

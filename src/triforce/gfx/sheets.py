"""ALTTP graphics sheets: 64 tiles of 3bpp (0x600 bytes, 128x32 pixels), expanded to 4bpp at load.

Two expansions, from the game's routines (usdasm `bank_00.asm`; snesrev/zelda3 `load_gfx.c`):

- `Do3To4Low` ($00:E63C): plane 3 = 0, so the tile uses colours 0-7.
- `Do3To4High` ($00:E5AF): plane 3 = plane0 | plane1 | plane2 per row, so every non-zero pixel
  gains 8 (colours 8-15) and transparent pixels stay 0.

Which one a sheet gets: `LoadSpriteGraphics` ($00:E583) uses High for sprite sheets $52, $53,
$5A, $5B, $5C, $5E, $5F; `LoadBackgroundGraphics` ($00:E609) uses High for slots 2, 3, 4 and 7
when the main tileset theme ($0AA1) is $20 or more, else for slots 4 and up.
`triforce gfx prove` runs both routines on the 65816 core against `expand_3bpp`.
"""

from __future__ import annotations

from typing import Literal

from triforce.errors import InputError
from triforce.gfx.tiles import TILE_BYTES

Expansion = Literal["low", "high"]
EXPANSIONS: tuple[Expansion, ...] = ("low", "high")
ROUTINES = {"low": "Do3To4Low $00:E63C", "high": "Do3To4High $00:E5AF"}

SHEET_TILES = 64
SHEET_BYTES = SHEET_TILES * TILE_BYTES[3]  # 0x600
SHEET_WIDTH = 16  # tiles per row: 128 x 32 pixels
SHEET_COUNT = 223
HIGH_SPRITE_SHEETS = frozenset({0x52, 0x53, 0x5A, 0x5B, 0x5C, 0x5E, 0x5F})


def check_expansion(mode: str) -> Expansion:
    if mode not in EXPANSIONS:
        raise InputError(f"expansion must be 'low' or 'high', not {mode!r}")
    return mode


def expand_3bpp(data: bytes, mode: Expansion) -> bytes:
    """4bpp tiles (32 bytes each) from ALTTP 3bpp tiles (24 bytes each), as the game loads them."""
    check_expansion(mode)
    if len(data) % 24:
        raise InputError(f"{len(data)} bytes is not a whole number of 3bpp tiles (24 bytes each)")
    out = bytearray()
    for t in range(0, len(data), 24):
        tile = data[t : t + 24]
        out += tile[:16]
        for r in range(8):
            p2 = tile[16 + r]
            p3 = (tile[2 * r] | tile[2 * r + 1] | p2) if mode == "high" else 0
            out += bytes([p2, p3])
    return bytes(out)


def contract_4bpp(data: bytes) -> tuple[bytes, Expansion]:
    """The 3bpp tiles and the expansion that made these 4bpp tiles (InputError when neither can:
    plane 3 must be all zero for Low, or p0|p1|p2 on every row for High)."""
    if len(data) % 32:
        raise InputError(f"{len(data)} bytes is not a whole number of 4bpp tiles (32 bytes each)")
    three = bytearray()
    plane3 = bytearray()
    for t in range(0, len(data), 32):
        tile = data[t : t + 32]
        three += tile[:16] + bytes(tile[16 + 2 * r] for r in range(8))
        plane3 += bytes(tile[17 + 2 * r] for r in range(8))
    three_b = bytes(three)
    for mode in EXPANSIONS:
        if expand_3bpp(three_b, mode) == data:
            return three_b, mode
    bad = [i for i in range(len(plane3)) if plane3[i] and plane3[i] != _union_row(three_b, i)]
    if not bad:
        raise InputError("the tiles mix the two expansions: some rows have plane 3 = 0, others p0|p1|p2")
    first = bad[0]
    raise InputError(
        f"tile {first // 8} row {first % 8}: plane 3 is ${plane3[first]:02X}, neither 0 (Do3To4Low) "
        f"nor planes 0|1|2 = ${_union_row(three_b, first):02X} (Do3To4High)"
    )


def _union_row(three: bytes, row_index: int) -> int:
    t, r = divmod(row_index, 8)
    tile = three[24 * t : 24 * t + 24]
    return tile[2 * r] | tile[2 * r + 1] | tile[16 + r]


def sprite_sheet_expansion(sheet: int) -> Expansion:
    """The expansion `LoadSpriteGraphics` gives sprite sheet `sheet`."""
    return "high" if sheet in HIGH_SPRITE_SHEETS else "low"


def background_slot_expansion(slot: int, theme: int) -> Expansion:
    """The expansion `LoadBackgroundGraphics` gives background slot `slot` (0-7) under main
    tileset theme `theme` ($0AA1)."""
    if not 0 <= slot <= 7:
        raise InputError(f"background slot must be 0-7, not {slot}")
    if theme >= 0x20:
        return "high" if slot in (2, 3, 4, 7) else "low"
    return "high" if slot >= 4 else "low"

"""SNES planar tiles: 8x8 pixels of 2, 3 (ALTTP storage), 4 or 8 bits, as bytes and back.

Layout (snes.nesdev.org/wiki/Tiles; yaze `snes_tile.cc`): bit 7 of a plane byte is the leftmost
pixel and plane p adds bit p to the colour index. Planes come in pairs of 16 bytes, row r at
bytes 2r (even plane) and 2r+1 (odd plane): 2bpp is one pair, 4bpp two (planes 0/1, then 2/3),
8bpp four. ALTTP's 3bpp is a storage format only: the 2bpp pair for planes 0/1, then plane 2 as
one byte per row (24 bytes); the game expands it to 4bpp when loading (see `sheets`).
"""

from __future__ import annotations

from collections.abc import Sequence

from triforce.errors import InputError

TILE_BYTES = {2: 16, 3: 24, 4: 32, 8: 64}
#: How prompts and explanations name each tile format (3bpp is the game's own sheet format).
FORMAT_NAMES = {2: "2bpp", 3: "ALTTP 3bpp", 4: "4bpp", 8: "8bpp"}
BPPS = tuple(TILE_BYTES)

Pixels = list[list[int]]  # 8 rows of 8 colour indices


def check_bpp(bpp: int) -> int:
    if bpp not in TILE_BYTES:
        raise InputError(f"bits per pixel must be one of {', '.join(map(str, BPPS))}, not {bpp}")
    return bpp


def _plane_offsets(bpp: int, row: int) -> list[int]:
    """Byte offset of each plane's byte for one row."""
    if bpp == 3:
        return [2 * row, 2 * row + 1, 16 + row]
    return [16 * (p >> 1) + 2 * row + (p & 1) for p in range(bpp)]


def decode_tile(data: bytes, bpp: int) -> Pixels:
    """The 8x8 colour indices of one tile (`data` is exactly one tile's bytes)."""
    check_bpp(bpp)
    if len(data) != TILE_BYTES[bpp]:
        raise InputError(f"a {bpp}bpp tile is {TILE_BYTES[bpp]} bytes, got {len(data)}")
    rows: Pixels = []
    for r in range(8):
        planes = [data[o] for o in _plane_offsets(bpp, r)]
        rows.append([sum(((b >> (7 - x)) & 1) << p for p, b in enumerate(planes)) for x in range(8)])
    return rows


def encode_tile(pixels: Sequence[Sequence[int]], bpp: int) -> bytes:
    """The bytes of one tile; every index must fit in `bpp` bits."""
    check_pixels(pixels, bpp)
    out = bytearray(TILE_BYTES[bpp])
    for r, row in enumerate(pixels):
        for p, offset in enumerate(_plane_offsets(bpp, r)):
            byte = 0
            for x, colour in enumerate(row):
                byte |= ((colour >> p) & 1) << (7 - x)
            out[offset] = byte
    return bytes(out)


def check_pixels(pixels: Sequence[Sequence[int]], bpp: int) -> None:
    """InputError unless `pixels` is 8 rows of 8 indices below 2**bpp."""
    check_bpp(bpp)
    if len(pixels) != 8 or any(len(row) != 8 for row in pixels):
        raise InputError("a tile is 8 rows of 8 pixels")
    top = 1 << bpp
    for r, row in enumerate(pixels):
        for x, colour in enumerate(row):
            if not isinstance(colour, int) or not 0 <= colour < top:
                raise InputError(f"pixel (row {r}, column {x}) = {colour!r} does not fit in {bpp} bits")


def decode_tiles(data: bytes, bpp: int) -> list[Pixels]:
    """Every tile of a run of tiles (the length must be a whole number of tiles)."""
    size = TILE_BYTES[check_bpp(bpp)]
    if len(data) % size:
        raise InputError(f"{len(data)} bytes is not a whole number of {bpp}bpp tiles ({size} bytes each)")
    return [decode_tile(data[i : i + size], bpp) for i in range(0, len(data), size)]


def encode_tiles(tiles: Sequence[Sequence[Sequence[int]]], bpp: int) -> bytes:
    return b"".join(encode_tile(t, bpp) for t in tiles)


def tiles_to_grid(tiles: Sequence[Pixels], width: int = 16) -> Pixels:
    """Tiles laid out left to right, `width` tiles per row (missing tiles are colour 0)."""
    if width < 1:
        raise InputError("width must be at least one tile")
    rows = -(-len(tiles) // width) if tiles else 0
    grid = [[0] * (8 * width) for _ in range(8 * rows)]
    for t, tile in enumerate(tiles):
        ty, tx = divmod(t, width)
        for r in range(8):
            grid[8 * ty + r][8 * tx : 8 * tx + 8] = tile[r]
    return grid


def grid_to_tiles(grid: Sequence[Sequence[int]]) -> list[Pixels]:
    """The tiles of a pixel grid whose sides are multiples of 8, row by row."""
    height = len(grid)
    width = len(grid[0]) if grid else 0
    if height % 8 or width % 8 or any(len(row) != width for row in grid):
        raise InputError(f"a tile grid must be a multiple of 8 pixels each way, got {width}x{height}")
    return [
        [list(grid[ty + r][tx : tx + 8]) for r in range(8)]
        for ty in range(0, height, 8)
        for tx in range(0, width, 8)
    ]


def flip(pixels: Pixels, h: bool = False, v: bool = False) -> Pixels:
    """A tile mirrored the way the PPU shows a flipped tilemap/OAM entry."""
    rows = [list(reversed(r)) if h else list(r) for r in pixels]
    return rows[::-1] if v else rows

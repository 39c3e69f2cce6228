"""SNES colours and CGRAM: BGR555 words, their 8-bit RGB readings, and where a colour lives.

A colour is a little-endian word `0bbbbbgg gggrrrrr` (wiki.superfamicom.org/palettes); bit 15
is unused and a well-formed palette keeps it clear. Three 5->8-bit readings are in use
(`SCALES`), so answers are compared as 15-bit words; `rgb_to_bgr555` drops the low three bits,
which inverts all three. CGRAM holds 256 colours in 16 rows of 16: background rows 0-7, sprite
rows 8-15 (an OAM/tilemap palette field `ppp` picks row `ppp`, or `8 + ppp` for sprites); colour
0 of a row is transparent, so ALTTP's ROM palettes leave it out (7 or 15 colours per row).
ALTTP keeps a copy of CGRAM at $7EC500 (DMA'd to CGRAM in NMI when $15 is non-zero) and a
second buffer at $7EC300.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from triforce.errors import InputError

Scale = Literal["x8", "replicate", "yaze"]
SCALES: dict[str, str] = {
    "x8": "c * 8 (31 -> 248): superfamicom wiki; yaze ReadColorFromRom",
    "replicate": "(c << 3) | (c >> 2) (31 -> 255): zelda3 sprite_sheets.py, SuperFamiconv",
    "yaze": "c * 8 + c * 8 // 32 (31 -> 255): yaze ConvertSnesToRgb",
}
CGRAM_COLOURS = 256
ALTTP_PALETTE_BUFFER = 0x7EC500
ALTTP_AUX_PALETTE_BUFFER = 0x7EC300
ALTTP_PALETTE_FLAG = 0x7E0015  # non-zero: NMI uploads $7EC500 to CGRAM


def check_word(word: int) -> int:
    if not 0 <= word <= 0x7FFF:
        raise InputError(f"a BGR555 colour is $0000-$7FFF (bit 15 clear), not ${word:X}")
    return word


def components(word: int) -> tuple[int, int, int]:
    """(red, green, blue), 0-31 each."""
    check_word(word)
    return word & 0x1F, (word >> 5) & 0x1F, (word >> 10) & 0x1F


def from_components(r: int, g: int, b: int) -> int:
    for name, c in (("red", r), ("green", g), ("blue", b)):
        if not 0 <= c <= 31:
            raise InputError(f"{name} must be 0-31 in 5-bit colour, not {c}")
    return r | g << 5 | b << 10


def expand5(c: int, scale: Scale = "replicate") -> int:
    """A 5-bit channel as 8 bits, by one of the conventions in `SCALES`."""
    if scale == "x8":
        return c * 8
    if scale == "replicate":
        return (c << 3) | (c >> 2)
    if scale == "yaze":
        return c * 8 + c * 8 // 32
    raise InputError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")


def bgr555_to_rgb(word: int, scale: Scale = "replicate") -> tuple[int, int, int]:
    r, g, b = components(word)
    return expand5(r, scale), expand5(g, scale), expand5(b, scale)


def rgb_to_bgr555(r: int, g: int, b: int) -> int:
    """The BGR555 word of an 8-bit RGB colour (each channel's top five bits)."""
    for name, c in (("red", r), ("green", g), ("blue", b)):
        if not 0 <= c <= 255:
            raise InputError(f"{name} must be 0-255, not {c}")
    return from_components(r >> 3, g >> 3, b >> 3)


def encode_palette(words: Sequence[int]) -> bytes:
    """Little-endian words, as in ROM and CGRAM."""
    return b"".join(check_word(w).to_bytes(2, "little") for w in words)


def decode_palette(data: bytes, strict: bool = True) -> list[int]:
    """Colour words of little-endian palette bytes; `strict` refuses a word with bit 15 set
    (the PPU ignores it; `strict=False` clears it)."""
    if len(data) % 2:
        raise InputError(f"a palette is whole 2-byte words, got {len(data)} bytes")
    words = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
    if strict:
        bad = next((i for i, w in enumerate(words) if w & 0x8000), None)
        if bad is not None:
            raise InputError(f"colour {bad} (byte {2 * bad}) = ${words[bad]:04X} sets bit 15")
    return [w & 0x7FFF for w in words]


def cgram_index(row: int, col: int) -> int:
    """The colour number (what CGADD $2121 takes) of row `row` (0-15), column `col` (0-15)."""
    if not 0 <= row <= 15 or not 0 <= col <= 15:
        raise InputError(f"CGRAM row and column are 0-15, got row {row} column {col}")
    return 16 * row + col


def cgram_byte(row: int, col: int) -> int:
    """The byte offset in CGRAM (and in ALTTP's $7EC500 buffer) of that colour's low byte."""
    return 2 * cgram_index(row, col)


def cgram_location(index: int) -> tuple[int, int]:
    """(row, column) of colour number `index`."""
    if not 0 <= index < CGRAM_COLOURS:
        raise InputError(f"a CGRAM colour number is 0-255, not {index}")
    return divmod(index, 16)


def sprite_row(palette_field: int) -> int:
    """The CGRAM row an OAM palette field (0-7) selects: sprites use rows 8-15."""
    if not 0 <= palette_field <= 7:
        raise InputError(f"a palette field is 0-7, not {palette_field}")
    return 8 + palette_field


def load_rows(
    words: Sequence[int], first_row: int, per_row: int = 15, first_col: int = 1
) -> list[tuple[int, int]]:
    """Where a ROM palette without transparent slots lands: [(CGRAM colour number, word)],
    `per_row` colours into each row from column `first_col` (ALTTP: 15 or 7 from column 1)."""
    if not 1 <= per_row <= 16 or first_col < 0 or first_col + per_row > 16:
        raise InputError(f"{per_row} colours from column {first_col} do not fit a 16-colour row")
    out = []
    for i, w in enumerate(words):
        row, col = first_row + i // per_row, first_col + i % per_row
        out.append((cgram_index(row, col), check_word(w)))
    return out

"""The text forms graphics and compression data take in prompts, answers and files.

- Bytes: asar `db` lines (`db $12, $34`), or bare hex bytes (`12 34`, `$12,$34`, `0x12`).
- Words: asar `dw` lines (`dw $7FFF`), or bare 4-digit hex words.
- Pixels: a tile is 8 lines of 8 colour indices, one hex digit each (`01230123`) up to 4bpp,
  two hex digits separated by spaces for 8bpp (`00 1F 80 ...`); tiles are separated by a blank
  line (or a `tile N` line).

Parsers take the text of one answer block and raise InputError when it holds no such data or
malformed values; they never guess past what the text says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from triforce.errors import InputError
from triforce.gfx.tiles import Pixels

_DATA_LINE = re.compile(
    r"^\s*(?:[A-Za-z_.][\w.]*:\s*)?(db|dw|byte|word)\s+(.+?)\s*(?:;.*)?$", re.IGNORECASE | re.MULTILINE
)
_VALUE = re.compile(r"^(?:\$([0-9A-Fa-f]+)|0x([0-9A-Fa-f]+)|%([01]+)|(\d+))$")
_BARE_BYTE = re.compile(r"(?<![\w$])(?:\$|0x)?([0-9A-Fa-f]{2})(?![\w])")
_BARE_WORD = re.compile(r"(?<![\w$])(?:\$|0x)?([0-9A-Fa-f]{4})(?![\w])")


def format_db(data: bytes, per_line: int = 8, indent: str = "    ") -> str:
    """`db` lines of `data` (`per_line` bytes each)."""
    return "\n".join(
        indent + "db " + ", ".join(f"${b:02X}" for b in data[i : i + per_line])
        for i in range(0, len(data), per_line)
    )


def format_dw(words: Sequence[int], per_line: int = 8, indent: str = "    ") -> str:
    return "\n".join(
        indent + "dw " + ", ".join(f"${w:04X}" for w in words[i : i + per_line])
        for i in range(0, len(words), per_line)
    )


def format_hex(data: bytes, per_line: int = 16) -> str:
    """Bare hex bytes, `per_line` to a line (the compact form prompts use)."""
    return "\n".join(
        " ".join(f"{b:02X}" for b in data[i : i + per_line]) for i in range(0, len(data), per_line)
    )


def _number(token: str, line: str) -> int:
    m = _VALUE.match(token.strip())
    if not m:
        raise InputError(f"{token.strip()!r} is not a number in {line.strip()!r}")
    hex1, hex2, binary, dec = m.groups()
    if hex1 or hex2:
        return int(hex1 or hex2, 16)
    if binary:
        return int(binary, 2)
    return int(dec)


def _directive_values(text: str, names: tuple[str, ...], top: int) -> list[int] | None:
    values: list[int] = []
    found = False
    for m in _DATA_LINE.finditer(text):
        if m.group(1).lower() not in names:
            continue
        found = True
        for token in m.group(2).split(","):
            if not token.strip():
                continue
            value = _number(token, m.group(0))
            if value > top:
                raise InputError(f"{token.strip()} does not fit in {m.group(1)} (max ${top:X})")
            values.append(value)
    return values if found else None


def parse_bytes(text: str) -> bytes:
    """The bytes of `db` lines in `text`, else every bare 2-digit hex byte (InputError if none)."""
    values = _directive_values(text, ("db", "byte"), 0xFF)
    if values is None:
        values = [int(h, 16) for h in _BARE_BYTE.findall(text)]
    if not values:
        raise InputError("no bytes found (write `db $12, $34` lines or hex bytes like `12 34`)")
    return bytes(values)


def parse_words(text: str) -> list[int]:
    """The words of `dw` lines in `text`, else every bare 4-digit hex word (InputError if none)."""
    values = _directive_values(text, ("dw", "word"), 0xFFFF)
    if values is None:
        values = [int(h, 16) for h in _BARE_WORD.findall(text)]
    if not values:
        raise InputError("no words found (write `dw $7FFF, $0000` lines or hex words like `7FFF`)")
    return values


def format_pixels(tile: Pixels, bpp: int) -> str:
    """8 lines: one hex digit per pixel (two, space separated, for 8bpp)."""
    if bpp == 8:
        return "\n".join(" ".join(f"{c:02X}" for c in row) for row in tile)
    return "\n".join("".join(f"{c:X}" for c in row) for row in tile)


def format_tiles(tiles: Sequence[Pixels], bpp: int) -> str:
    if len(tiles) == 1:
        return format_pixels(tiles[0], bpp)
    return "\n\n".join(f"tile {i}\n{format_pixels(t, bpp)}" for i, t in enumerate(tiles))


_ROW4 = re.compile(r"^\s*([0-9A-Fa-f]{8})\s*$")
_ROW8 = re.compile(r"^\s*((?:[0-9A-Fa-f]{2}[ \t]+){7}[0-9A-Fa-f]{2})\s*$")


def parse_pixels(text: str, bpp: int) -> list[Pixels]:
    """Tiles from pixel-row text; every 8 consecutive rows make one tile (InputError when the
    rows do not come in whole tiles or a value does not fit in `bpp` bits)."""
    pattern = _ROW8 if bpp == 8 else _ROW4
    rows: list[list[int]] = []
    for line in text.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        row = [int(v, 16) for v in m.group(1).split()] if bpp == 8 else [int(ch, 16) for ch in m.group(1)]
        rows.append(row)
    if not rows or len(rows) % 8:
        raise InputError(f"pixel rows come in tiles of 8, found {len(rows)} row(s)")
    top = 1 << bpp
    for r, row in enumerate(rows):
        bad = [c for c in row if c >= top]
        if bad:
            raise InputError(f"row {r % 8} of tile {r // 8}: colour {bad[0]} does not fit in {bpp} bits")
    return [rows[i : i + 8] for i in range(0, len(rows), 8)]

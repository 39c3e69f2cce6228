"""Graphics tasks (`gfx.*`): each a `make_*` that builds a proven sample and a `check_*` that
re-derives everything the assistant message states from the request text alone.

Every fact in an answer sits on a line of a fixed shape (a row's plane bytes, a colour's channel
arithmetic, a bit layout) so that `check_*` can read and recompute each one; the data itself is
the last ```asm / ```text / ```json block.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from triforce.gfx.oam import OamEntry, high_table_slot
from triforce.gfx.palette import (
    ALTTP_PALETTE_BUFFER,
    SCALES,
    Scale,
    bgr555_to_rgb,
    cgram_byte,
    cgram_index,
    components,
    rgb_to_bgr555,
    sprite_row,
)
from triforce.gfx.sheets import (
    HIGH_SPRITE_SHEETS,
    ROUTINES,
    Expansion,
    background_slot_expansion,
    expand_3bpp,
    sprite_sheet_expansion,
)
from triforce.gfx.text import format_db, format_dw, format_pixels, parse_bytes, parse_pixels, parse_words
from triforce.gfx.tilemap import TilemapEntry
from triforce.gfx.tiles import FORMAT_NAMES, TILE_BYTES, Pixels, decode_tile, encode_tile

from .common import Made, bits, block, fence, json_block, parse_yes_no, request, yes_no

FORMAT = FORMAT_NAMES
LAYOUT = {
    2: "16 bytes: for each row r, byte 2r is plane 0 and byte 2r+1 is plane 1",
    3: "24 bytes: planes 0/1 interleaved per row in bytes 0-15 (as in 2bpp), then plane 2 one byte per row in bytes 16-23",
    4: "32 bytes: planes 0/1 interleaved per row in bytes 0-15, then planes 2/3 the same way in bytes 16-31",
    8: "64 bytes: planes 0/1, 2/3, 4/5 and 6/7, each pair interleaved per row in its own 16-byte block",
}
_FORMAT_RE = re.compile(r"ALTTP 3bpp|\b([248])bpp\b")


def format_of(text: str) -> int:
    m = _FORMAT_RE.search(text)
    if not m:
        raise ValueError("the request names no tile format")
    return int(m.group(1)) if m.group(1) else 3


def _plane_offsets(bpp: int, row: int) -> list[int]:
    if bpp == 3:
        return [2 * row, 2 * row + 1, 16 + row]
    return [16 * (p >> 1) + 2 * row + (p & 1) for p in range(bpp)]


def _row_digits(row: list[int], bpp: int) -> str:
    return " ".join(f"{c:02X}" for c in row) if bpp == 8 else "".join(f"{c:X}" for c in row)


# -- rows: "Row r `pixels`: plane 0 = %bits = $XX, plane 1 = ..." -----------------------------

_ROW_LINE = re.compile(r"^Row (\d) `([0-9A-F ]+)`: (.*)$", re.MULTILINE)
_PLANE = re.compile(r"plane (\d) = %([01]{8}) = \$([0-9A-F]{2})")


def _row_lines(tile: Pixels, bpp: int) -> list[str]:
    data = encode_tile(tile, bpp)
    lines = []
    for r in range(8):
        planes = ", ".join(
            f"plane {p} = %{bits(data[o], 8)} = ${data[o]:02X}" for p, o in enumerate(_plane_offsets(bpp, r))
        )
        lines.append(f"Row {r} `{_row_digits(tile[r], bpp)}`: {planes}")
    return lines


def _check_rows(answer: str, tile: Pixels, bpp: int) -> list[str]:
    data = encode_tile(tile, bpp)
    problems = []
    rows = _ROW_LINE.findall(answer)
    if len(rows) != 8:
        problems.append(f"the answer derives {len(rows)} rows, not 8")
    for r_text, digits, rest in rows:
        r = int(r_text)
        if digits != _row_digits(tile[r], bpp):
            problems.append(f"row {r} is `{_row_digits(tile[r], bpp)}`, the answer says `{digits}`")
        planes = _PLANE.findall(rest)
        if len(planes) != bpp:
            problems.append(f"row {r} lists {len(planes)} planes, {bpp} expected")
        for p_text, bit_text, hex_text in planes:
            p = int(p_text)
            if p >= bpp:
                problems.append(f"row {r}: there is no plane {p} in {bpp}bpp")
                continue
            want = data[_plane_offsets(bpp, r)[p]]
            if int(bit_text, 2) != want or int(hex_text, 16) != want:
                problems.append(
                    f"row {r} plane {p} is ${want:02X}, the answer says %{bit_text} = ${hex_text}"
                )
    return problems


# -- tile encode / decode ----------------------------------------------------------------------


def make_tile_encode(rng: random.Random, tile: Pixels, bpp: int, origin: str) -> Made:
    data = encode_tile(tile, bpp)
    user = (
        request(rng, "tile_encode", fmt=FORMAT[bpp], size=TILE_BYTES[bpp])
        + origin
        + "\n\n"
        + fence("text", format_pixels(tile, bpp))
    )
    answer = (
        f"{FORMAT[bpp]} is {LAYOUT[bpp]}. Bit 7 of a plane byte is the leftmost pixel, and plane p "
        f"holds bit p of each colour index.\n\n"
        + "\n".join(_row_lines(tile, bpp))
        + f"\n\nIn memory order ({TILE_BYTES[bpp]} bytes):\n\n"
        + fence("asm", format_db(data))
    )
    return Made("gfx.tile_encode", user, answer, {"bpp": bpp})


def check_tile_encode(user: str, answer: str) -> list[str]:
    bpp = format_of(user)
    (tile,) = parse_pixels(block(user, "text"), bpp)
    got = parse_bytes(block(answer, "asm"))
    want = encode_tile(tile, bpp)
    problems = _check_rows(answer, tile, bpp)
    if got != want:
        problems.append(f"the tile's bytes are {want.hex(' ')}, the answer gives {got.hex(' ')}")
    return problems


def make_tile_decode(rng: random.Random, tile: Pixels, bpp: int, origin: str) -> Made:
    data = encode_tile(tile, bpp)
    user = (
        request(rng, "tile_decode", fmt=FORMAT[bpp], size=TILE_BYTES[bpp])
        + origin
        + "\n\n"
        + fence("asm", format_db(data))
    )
    answer = (
        f"{FORMAT[bpp]} is {LAYOUT[bpp]}; bit 7 is the leftmost pixel and plane p gives bit p of "
        f"the colour index. Taking each row's plane bytes:\n\n"
        + "\n".join(_row_lines(tile, bpp))
        + "\n\nThe pixels (colour indices, top row first):\n\n"
        + fence("text", format_pixels(tile, bpp))
    )
    return Made("gfx.tile_decode", user, answer, {"bpp": bpp})


def check_tile_decode(user: str, answer: str) -> list[str]:
    bpp = format_of(user)
    data = parse_bytes(block(user, "asm"))
    tile = decode_tile(data, bpp)
    problems = _check_rows(answer, tile, bpp)
    got = parse_pixels(block(answer, "text"), bpp)
    if got != [tile]:
        problems.append("the pixels in the answer are not the tile's")
    return problems


# -- 3bpp -> 4bpp ------------------------------------------------------------------------------

_EXP_ROW = re.compile(r"^Row (\d): plane 2 \$([0-9A-F]{2}), plane 3 (.*)$", re.MULTILINE)


def _where(rng: random.Random) -> tuple[str, Expansion, str]:
    """(request sentence, expansion, the answer's reason) for a random way the game loads a sheet."""
    kind = rng.randrange(3)
    if kind == 0:
        sheet = rng.choice(sorted(HIGH_SPRITE_SHEETS)) if rng.random() < 0.5 else rng.randrange(0x40, 0x70)
        mode = sprite_sheet_expansion(sheet)
        listed = ", ".join(f"${s:02X}" for s in sorted(HIGH_SPRITE_SHEETS))
        why = (
            f"LoadSpriteGraphics ($00:E583) sends sprite sheets {listed} to {_routine('high')} and every "
            f"other sheet to {_routine('low')}; sheet ${sheet:02X} {'is' if mode == 'high' else 'is not'} in that list."
        )
        return f"It is sprite sheet ${sheet:02X}, loaded by LoadSpriteGraphics.", mode, why
    if kind == 1:
        slot, theme = rng.randrange(8), rng.choice((rng.randrange(0x20), rng.randrange(0x20, 0x40)))
        mode = background_slot_expansion(slot, theme)
        rule = (
            "with the main tileset theme at $20 or more, slots 2, 3, 4 and 7 are expanded high"
            if theme >= 0x20
            else "with the main tileset theme below $20, slots 4 and up are expanded high"
        )
        why = f"LoadBackgroundGraphics ($00:E609): {rule}, the other slots low; here slot {slot}, theme ${theme:02X}."
        where = (
            f"It is loaded into background slot {slot} while the main tileset theme ($0AA1) is ${theme:02X}."
        )
        return where, mode, why
    mode = rng.choice(("low", "high"))
    name = ROUTINES[mode].split()[0]
    return f"The game expands it with {name}.", mode, "The request names the routine."


def _routine(mode: str) -> str:
    name, address = ROUTINES[mode].split()
    return f"{name} ({address})"


def _expansion_of(user: str) -> Expansion:
    if m := re.search(r"sprite sheet \$([0-9A-F]{2})", user):
        return sprite_sheet_expansion(int(m.group(1), 16))
    if m := re.search(
        r"background slot (\d) while the main tileset theme \(\$0AA1\) is \$([0-9A-F]{2})", user
    ):
        return background_slot_expansion(int(m.group(1)), int(m.group(2), 16))
    if m := re.search(r"expands it with (Do3To4High|Do3To4Low)", user):
        return "high" if m.group(1) == "Do3To4High" else "low"
    raise ValueError("the request does not say how the tile is loaded")


def make_expand(rng: random.Random, tile3: bytes, origin: str) -> Made:
    where, mode, why = _where(rng)
    out = expand_3bpp(tile3, mode)
    rule = (
        "plane 3 = plane 0 | plane 1 | plane 2 on every row, so every non-zero pixel gains 8 "
        "(colours 8-15) and transparent pixels stay 0"
        if mode == "high"
        else "plane 3 = 0, so the tile keeps colours 0-7"
    )
    rows = []
    for r in range(8):
        p0, p1, p2 = tile3[2 * r], tile3[2 * r + 1], tile3[16 + r]
        if mode == "high":
            rows.append(
                f"Row {r}: plane 2 ${p2:02X}, plane 3 = ${p0:02X}|${p1:02X}|${p2:02X} = ${out[17 + 2 * r]:02X}"
            )
        else:
            rows.append(f"Row {r}: plane 2 ${p2:02X}, plane 3 = $00")
    user = request(rng, "expand", where=where) + origin + "\n\n" + fence("asm", format_db(tile3))
    answer = (
        f"{why} So the game uses {_routine(mode)}: {rule}. Bytes 0-15 (planes 0/1) are written unchanged; "
        "then each row's plane 2 and plane 3 form the second 16 bytes:\n\n"
        + "\n".join(rows)
        + "\n\nThe 4bpp tile (32 bytes):\n\n"
        + fence("asm", format_db(out))
    )
    return Made("gfx.expand_3bpp", user, answer, {"expansion": mode})


def check_expand(user: str, answer: str) -> list[str]:
    mode = _expansion_of(user)
    tile3 = parse_bytes(block(user, "asm"))
    if len(tile3) != 24:
        return [f"the request's tile is {len(tile3)} bytes, not 24"]
    want = expand_3bpp(tile3, mode)
    problems = []
    said = re.findall(r"So the game uses (Do3To4High|Do3To4Low)", answer)
    right = "Do3To4High" if mode == "high" else "Do3To4Low"
    if said != [right]:
        problems.append(f"the game uses {right} here; the answer says {said or 'nothing'}")
    rows = _EXP_ROW.findall(answer)
    if len(rows) != 8:
        problems.append(f"the answer derives {len(rows)} rows, not 8")
    for r_text, p2_text, rest in rows:
        r = int(r_text)
        if int(p2_text, 16) != tile3[16 + r]:
            problems.append(f"row {r}: plane 2 is ${tile3[16 + r]:02X}")
        last = re.findall(r"\$([0-9A-F]{2})", rest)
        if not last or int(last[-1], 16) != want[17 + 2 * r]:
            problems.append(f"row {r}: plane 3 is ${want[17 + 2 * r]:02X}")
    got = parse_bytes(block(answer, "asm"))
    if got != want:
        problems.append(f"the 4bpp bytes are {want.hex(' ')}, the answer gives {got.hex(' ')}")
    return problems


# -- colours -----------------------------------------------------------------------------------

_RGB = re.compile(r"\((\d{1,3}), (\d{1,3}), (\d{1,3})\)")
_CONV = re.compile(
    r"^\((\d+), (\d+), (\d+)\): R (\d+)>>3 = (\d+), G (\d+)>>3 = (\d+), B (\d+)>>3 = (\d+) -> "
    r"(\d+) \| (\d+)<<5 \| (\d+)<<10 = \$([0-9A-F]{4})",
    re.MULTILINE,
)


def make_rgb_to_bgr(rng: random.Random, colours: list[tuple[int, int, int]]) -> Made:
    words = [rgb_to_bgr555(*c) for c in colours]
    lines = []
    for (r, g, b), w in zip(colours, words, strict=True):
        r5, g5, b5 = components(w)
        lines.append(
            f"({r}, {g}, {b}): R {r}>>3 = {r5}, G {g}>>3 = {g5}, B {b}>>3 = {b5} -> "
            f"{r5} | {g5}<<5 | {b5}<<10 = ${w:04X} (bytes {w & 0xFF:02X} {w >> 8:02X})"
        )
    user = (
        request(rng, "rgb_to_bgr")
        + "\n\n"
        + fence("text", "\n".join(f"({r}, {g}, {b})" for r, g, b in colours))
    )
    answer = (
        "A BGR555 word is `0bbbbbgg gggrrrrr`: each 8-bit channel keeps its top five bits (>>3), red "
        "in bits 0-4, green in 5-9, blue in 10-14, bit 15 clear. Stored little-endian.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + fence("asm", format_dw(words))
    )
    return Made("gfx.palette_convert", user, answer, {"direction": "rgb-to-bgr555"})


def check_rgb_to_bgr(user: str, answer: str) -> list[str]:
    colours = [tuple(int(v) for v in m) for m in _RGB.findall(block(user, "text"))]
    want = [rgb_to_bgr555(*c) for c in colours]
    problems = []
    for m in _CONV.finditer(answer):
        r, g, b, r1, r5, g1, g5, b1, b5, r5b, g5b, b5b, word = m.groups()
        w = rgb_to_bgr555(int(r), int(g), int(b))
        c5 = components(w)
        stated = (int(r5), int(g5), int(b5))
        if (
            (r1, g1, b1) != (r, g, b)
            or stated != c5
            or (int(r5b), int(g5b), int(b5b)) != c5
            or int(word, 16) != w
        ):
            problems.append(f"({r}, {g}, {b}) is {c5} in 5 bits = ${w:04X}; the answer's line is wrong")
    if len(_CONV.findall(answer)) != len(colours):
        problems.append("the answer does not work every colour out")
    got = parse_words(block(answer, "asm"))
    if got != want:
        problems.append(f"the words are {' '.join(f'${w:04X}' for w in want)}")
    return problems


_SCALE_RE = re.compile(r"using the (\w+) expansion|with (\w+) \(")
_READ = re.compile(r"^\$([0-9A-F]{4}): R (\d+), G (\d+), B (\d+) -> \((\d+), (\d+), (\d+)\)$", re.MULTILINE)


def make_bgr_to_rgb(rng: random.Random, words: list[int]) -> Made:
    scale: Scale = rng.choice(("x8", "replicate", "yaze"))
    rgb = [bgr555_to_rgb(w, scale) for w in words]
    lines = [
        f"${w:04X}: R {c[0]}, G {c[1]}, B {c[2]} -> ({x[0]}, {x[1]}, {x[2]})"
        for w, c, x in zip(words, (components(w) for w in words), rgb, strict=True)
    ]
    user = (
        request(rng, "bgr_to_rgb", scale=scale, scale_rule=SCALES[scale])
        + "\n\n"
        + fence("asm", format_dw(words))
    )
    answer = (
        f"Split each word `0bbbbbgg gggrrrrr` into 5-bit red (bits 0-4), green (5-9) and blue (10-14), "
        f"then expand each with {scale}: {SCALES[scale]}.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + fence("json", "[" + ", ".join(f"[{r}, {g}, {b}]" for r, g, b in rgb) + "]")
    )
    return Made("gfx.palette_convert", user, answer, {"direction": "bgr555-to-rgb", "scale": scale})


def check_bgr_to_rgb(user: str, answer: str) -> list[str]:
    m = _SCALE_RE.search(user)
    scale = (m.group(1) or m.group(2)) if m else ""
    if scale not in SCALES:
        return ["the request names no known 5-to-8-bit expansion"]
    words = parse_words(block(user, "asm"))
    want = [list(bgr555_to_rgb(w, scale)) for w in words]  # type: ignore[arg-type]
    problems = []
    for line in _READ.finditer(answer):
        w = int(line.group(1), 16)
        c5 = [int(v) for v in line.group(2, 3, 4)]
        c8 = [int(v) for v in line.group(5, 6, 7)]
        if c5 != list(components(w)) or c8 != list(bgr555_to_rgb(w, scale)):  # type: ignore[arg-type]
            problems.append(f"${w:04X} reads as {components(w)} -> {bgr555_to_rgb(w, scale)}")  # type: ignore[arg-type]
    if len(_READ.findall(answer)) != len(words):
        problems.append("the answer does not read every word")
    if json_block(answer) != want:
        problems.append(f"the colours are {want}")
    return problems


def make_cgram(rng: random.Random) -> Made:
    col = rng.randrange(16)
    if rng.random() < 0.5:
        pal = rng.randrange(8)
        row = sprite_row(pal)
        what = f"colour {col} of sprite palette {pal} (the OAM palette field = {pal})"
        why = f"Sprites use CGRAM rows 8-15: palette field {pal} selects row 8 + {pal} = {row}."
    else:
        row = rng.randrange(8)
        what = f"colour {col} of BG palette row {row}"
        why = f"Backgrounds use CGRAM rows 0-7; this is row {row}."
    index, offset = cgram_index(row, col), cgram_byte(row, col)
    address = ALTTP_PALETTE_BUFFER + offset
    note = " Colour 0 of a row is transparent." if col == 0 else ""
    answer = (
        f"{why} Each row holds 16 colours, so the colour number is 16 x {row} + {col} = {index} (${index:02X}, "
        f"what CGADD $2121 takes). Each colour is a 2-byte word: byte offset 2 x {index} = {offset} (${offset:03X}), "
        f"and ALTTP's CGRAM copy starts at $7EC500, so the word lives at $7EC500 + ${offset:03X} = ${address:06X}.{note}\n\n"
        + fence(
            "json", f'{{"cgram_index": {index}, "cgram_byte": {offset}, "buffer_address": "${address:06X}"}}'
        )
    )
    user = request(rng, "cgram", what=what)
    return Made("gfx.cgram", user, answer, {})


def check_cgram(user: str, answer: str) -> list[str]:
    col_m = re.search(r"colour (\d+) of (?:sprite palette (\d)|BG palette row (\d))", user)
    if not col_m:
        return ["the request names no colour"]
    col = int(col_m.group(1))
    row = sprite_row(int(col_m.group(2))) if col_m.group(2) else int(col_m.group(3))
    index, offset = cgram_index(row, col), cgram_byte(row, col)
    want = {
        "cgram_index": index,
        "cgram_byte": offset,
        "buffer_address": f"${ALTTP_PALETTE_BUFFER + offset:06X}",
    }
    got = json_block(answer)
    problems = [f"{k} is {v!r}, the answer says {got.get(k)!r}" for k, v in want.items() if got.get(k) != v]
    if f"= {index} (" not in answer or f"= ${ALTTP_PALETTE_BUFFER + offset:06X}" not in answer:
        problems.append("the worked arithmetic does not reach the same numbers")
    return problems


# -- tilemap entries ---------------------------------------------------------------------------


def _tilemap_bits(e: TilemapEntry) -> str:
    return (
        f"v={int(e.vflip)} h={int(e.hflip)} o={int(e.priority)} ppp={bits(e.palette, 3)} "
        f"cccccccccc={bits(e.tile, 10)} -> %{bits(e.word(), 16)} = ${e.word():04X}"
    )


def _random_tilemap(rng: random.Random) -> TilemapEntry:
    return TilemapEntry(
        tile=rng.randrange(0x400),
        palette=rng.randrange(8),
        priority=rng.random() < 0.5,
        hflip=rng.random() < 0.3,
        vflip=rng.random() < 0.3,
    )


def make_tilemap_compose(rng: random.Random) -> Made:
    e = _random_tilemap(rng)
    user = request(
        rng,
        "tilemap_compose",
        tile=e.tile,
        palette=e.palette,
        priority=yes_no(e.priority),
        hflip=yes_no(e.hflip),
        vflip=yes_no(e.vflip),
    )
    w = e.word()
    answer = (
        "A tilemap entry is `vhopppcc cccccccc`: V-flip, H-flip, priority, a 3-bit palette and a 10-bit tile number.\n\n"
        + _tilemap_bits(e)
        + f"\n\nStored little-endian: `db ${w & 0xFF:02X}, ${w >> 8:02X}`.\n\n"
        + fence("json", f'{{"word": "${w:04X}", "bytes": "{w & 0xFF:02X} {w >> 8:02X}"}}')
    )
    return Made("gfx.tilemap", user, answer, {"mode": "compose"})


def check_tilemap_compose(user: str, answer: str) -> list[str]:
    tile = re.search(r"tile \$([0-9A-F]{3})", user)
    pal = re.search(r"palette (\d)", user)
    if not tile or not pal:
        return ["the request names no tile or palette"]
    e = TilemapEntry(
        tile=int(tile.group(1), 16),
        palette=int(pal.group(1)),
        priority=parse_yes_no(user, "priority"),
        hflip=parse_yes_no(user, "H-flip"),
        vflip=parse_yes_no(user, "V-flip"),
    )
    w = e.word()
    got = json_block(answer)
    problems = []
    if got.get("word") != f"${w:04X}" or got.get("bytes") != f"{w & 0xFF:02X} {w >> 8:02X}":
        problems.append(f"the entry is ${w:04X} (bytes {w & 0xFF:02X} {w >> 8:02X})")
    if _tilemap_bits(e) not in answer:
        problems.append("the bit layout line is wrong")
    return problems


def make_tilemap_explain(rng: random.Random) -> Made:
    e = _random_tilemap(rng)
    user = request(rng, "tilemap_explain", word=e.word())
    answer = (
        "Split the word as `vhopppcc cccccccc`:\n\n"
        + _tilemap_bits(e)
        + f"\n\nTile ${e.tile:03X} ({e.tile}), palette {e.palette}, priority {yes_no(e.priority)}, "
        f"H-flip {yes_no(e.hflip)}, V-flip {yes_no(e.vflip)}.\n\n"
        + fence(
            "json",
            f'{{"tile": {e.tile}, "palette": {e.palette}, "priority": {str(e.priority).lower()}, '
            f'"hflip": {str(e.hflip).lower()}, "vflip": {str(e.vflip).lower()}}}',
        )
    )
    return Made("gfx.tilemap", user, answer, {"mode": "explain"})


def check_tilemap_explain(user: str, answer: str) -> list[str]:
    m = re.search(r"\$([0-9A-F]{4})", user)
    if not m:
        return ["the request names no word"]
    e = TilemapEntry.from_word(int(m.group(1), 16))
    problems = []
    if json_block(answer) != e.fields():
        problems.append(f"the fields are {e.fields()}")
    if _tilemap_bits(e) not in answer:
        problems.append("the bit layout line is wrong")
    return problems


# -- OAM ---------------------------------------------------------------------------------------


def random_sprite(rng: random.Random) -> OamEntry:
    return OamEntry(
        x=rng.choice((rng.randrange(256), rng.randrange(512))),
        y=rng.randrange(0xE0),
        tile=rng.randrange(0x200),
        palette=rng.randrange(8),
        priority=rng.randrange(4),
        hflip=rng.random() < 0.3,
        vflip=rng.random() < 0.3,
        large=rng.random() < 0.5,
    )


def attr_line(e: OamEntry) -> str:
    return (
        f"attributes YXPPCCCT = {int(e.vflip)} {int(e.hflip)} {bits(e.priority, 2)} {bits(e.palette, 3)} "
        f"{e.tile >> 8} = ${e.attributes():02X}"
    )


def _oam_values(index: int, e: OamEntry) -> dict[str, Any]:
    offset, shift = high_table_slot(index)
    return {
        "low_bytes": e.low_bytes().hex(" ").upper(),
        "high_bits": e.high_bits(),
        "high_table_byte": offset,
        "high_table_shift": shift,
    }


def sprite_fields(index: int, e: OamEntry) -> dict[str, Any]:
    return {
        "index": index,
        "x": e.x,
        "y": e.y,
        "tile": e.tile,
        "palette": e.palette,
        "priority": e.priority,
        "hflip": yes_no(e.hflip),
        "vflip": yes_no(e.vflip),
        "size": "large" if e.large else "small",
    }


def make_oam_compose(rng: random.Random) -> Made:
    e = random_sprite(rng)
    index = rng.randrange(128)
    v = _oam_values(index, e)
    offset, shift = v["high_table_byte"], v["high_table_shift"]
    user = request(rng, "oam_compose", **sprite_fields(index, e))
    answer = (
        f"Low table (4 bytes at OAM offset {4 * index}): X low = ${e.x & 0xFF:02X}, Y = ${e.y:02X}, "
        f"tile low = ${e.tile & 0xFF:02X}, {attr_line(e)}.\n"
        f"High table: bit 0 = X bit 8 = {e.x >> 8}, bit 1 = size = {int(e.large)}, so %{e.high_bits():02b}; "
        f"sprite {index} uses byte 512 + {index} / 4 = {offset} at bits {shift}-{shift + 1}.\n\n"
        + fence(
            "json",
            f'{{"low_bytes": "{v["low_bytes"]}", "high_bits": {v["high_bits"]}, '
            f'"high_table_byte": {offset}, "high_table_shift": {shift}}}',
        )
    )
    return Made("gfx.oam", user, answer, {"mode": "compose"})


def sprite_from_request(user: str) -> tuple[int, OamEntry]:
    nums = {}
    for key, pattern in (
        ("index", r"(?:entry|Sprite) (\d+)"),
        ("x", r"X[ =](\d+)"),
        ("y", r"Y[ =](\d+)"),
        ("tile", r"tile \$([0-9A-F]{3})"),
        ("palette", r"palette (\d)"),
        ("priority", r"priority (\d)"),
    ):
        m = re.search(pattern, user)
        if not m:
            raise ValueError(f"the request gives no {key}")
        nums[key] = int(m.group(1), 16) if key == "tile" else int(m.group(1))
    size = re.search(r"\b(large|small)\b", user)
    e = OamEntry(
        x=nums["x"],
        y=nums["y"],
        tile=nums["tile"],
        palette=nums["palette"],
        priority=nums["priority"],
        hflip=parse_yes_no(user, "H-flip"),
        vflip=parse_yes_no(user, "V-flip"),
        large=bool(size and size.group(1) == "large"),
    )
    return nums["index"], e


def check_oam_compose(user: str, answer: str) -> list[str]:
    index, e = sprite_from_request(user)
    want = _oam_values(index, e)
    got = json_block(answer)
    problems = [f"{k} is {v!r}, the answer says {got.get(k)!r}" for k, v in want.items() if got.get(k) != v]
    if attr_line(e) not in answer:
        problems.append(f"the attribute byte is ${e.attributes():02X}")
    return problems


def make_oam_explain(rng: random.Random) -> Made:
    e = random_sprite(rng)
    index = rng.randrange(128)
    low = e.low_bytes().hex(" ").upper()
    user = request(rng, "oam_explain", index=index, low=low, high=e.high_bits())
    fields = e.fields()
    answer = (
        f"Bytes: X low ${e.x & 0xFF:02X}, Y ${e.y:02X}, tile low ${e.tile & 0xFF:02X}, and the "
        f"{attr_line(e)} (V-flip, H-flip, priority, palette, tile bit 8).\n"
        f"High bits %{e.high_bits():02b}: X bit 8 = {e.x >> 8}, size = {'large' if e.large else 'small'}.\n"
        f"So X = {e.x} (on screen {e.screen_x()}), Y = {e.y}, tile ${e.tile:03X}, palette {e.palette} "
        f"(CGRAM row {8 + e.palette}), priority {e.priority}.\n\n"
        + fence(
            "json",
            "{"
            + ", ".join(f'"{k}": {str(v).lower() if isinstance(v, bool) else v}' for k, v in fields.items())
            + f', "screen_x": {e.screen_x()}}}',
        )
    )
    return Made("gfx.oam", user, answer, {"mode": "explain"})


def check_oam_explain(user: str, answer: str) -> list[str]:
    m = re.search(r"((?:[0-9A-F]{2} ){3}[0-9A-F]{2})", user)
    h = re.search(r"%([01]{2})", user)
    if not m or not h:
        return ["the request gives no entry bytes"]
    e = OamEntry.from_bytes(bytes.fromhex(m.group(1)), int(h.group(1), 2))
    want = {**e.fields(), "screen_x": e.screen_x()}
    got = json_block(answer)
    problems = [f"{k} is {v!r}, the answer says {got.get(k)!r}" for k, v in want.items() if got.get(k) != v]
    if attr_line(e) not in answer:
        problems.append("the attribute reading is wrong")
    return problems


CHECKS: dict[str, Callable[[str, str], list[str]]] = {
    "gfx.tile_encode": check_tile_encode,
    "gfx.tile_decode": check_tile_decode,
    "gfx.expand_3bpp": check_expand,
    "gfx.cgram": check_cgram,
}


def check_palette(user: str, answer: str) -> list[str]:
    """Words in, colours out when the request holds `dw` words; colours in otherwise."""
    return check_bgr_to_rgb(user, answer) if "```asm" in user else check_rgb_to_bgr(user, answer)


def check_tilemap(user: str, answer: str) -> list[str]:
    composing = re.search(r"tile \$[0-9A-F]{3}", user)
    return check_tilemap_compose(user, answer) if composing else check_tilemap_explain(user, answer)


def check_oam(user: str, answer: str) -> list[str]:
    return check_oam_explain(user, answer) if "%" in user else check_oam_compose(user, answer)


CHECKS.update({"gfx.palette_convert": check_palette, "gfx.tilemap": check_tilemap, "gfx.oam": check_oam})

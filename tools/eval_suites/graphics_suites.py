"""The `graphics` (tiles, expansion, colours, CGRAM, tilemap, OAM, ASM that writes them) and
`compression` suites. Inputs are hand-drawn or drawn from fixed seeds of their own; every
reference is computed by the codecs of `triforce.gfx` / `triforce.compress`, and the graders
recompute the expected values from the item's inputs when they grade."""

from __future__ import annotations

import json
import random
from typing import Any

from eval_suites.other_suites import GRAPHICS as FIRST_ITEMS
from triforce.compress import compress, encode_header, parse_stream
from triforce.compress.explain import format_table
from triforce.compress.format import CorruptStream, encode_offset
from triforce.compress.synth import random_stream
from triforce.gfx.oam import OamEntry, high_table_slot
from triforce.gfx.palette import (
    ALTTP_PALETTE_BUFFER,
    bgr555_to_rgb,
    cgram_byte,
    cgram_index,
    rgb_to_bgr555,
    sprite_row,
)
from triforce.gfx.sheets import expand_3bpp, sprite_sheet_expansion
from triforce.gfx.text import format_db, format_dw, format_pixels, format_tiles
from triforce.gfx.tilemap import TilemapEntry
from triforce.gfx.tiles import FORMAT_NAMES, TILE_BYTES, decode_tiles, encode_tile

FORMAT = FORMAT_NAMES
LAYOUT = {
    2: "planes 0/1 interleaved per row",
    3: "planes 0/1 interleaved per row, then plane 2 one byte per row",
    4: "planes 0/1 interleaved per row, then planes 2/3 the same way",
    8: "plane pairs 0/1, 2/3, 4/5, 6/7, each interleaved per row in its own 16 bytes",
}
BYTES_ANSWER = "Answer with `db` lines in an ```asm block."
JSON_ANSWER = "Answer with one JSON object"

# Hand-drawn shapes (8 rows of colour indices), original to this suite.
SHAPES = {
    "heart": ["01100110", "12211221", "12222221", "12222221", "01222210", "00122100", "00011000", "00000000"],
    "key": ["00111000", "01000100", "01000100", "00111000", "00010000", "00011100", "00010000", "00011100"],
    "arrow": ["00010000", "00111000", "01111100", "11111110", "00111000", "00111000", "00111000", "00000000"],
    "rupee": ["00033000", "00322300", "03211230", "32111123", "32111123", "03211230", "00322300", "00033000"],
    "bush": ["00222200", "02133120", "21311312", "23111132", "21311312", "02133120", "00222200", "00044000"],
    "brick": ["33333333", "10001000", "10001000", "33333333", "00100010", "00100010", "33333333", "10001000"],
}


def _rows(tile: list[list[int]], bpp: int) -> list[str]:
    return format_pixels(tile, bpp).splitlines()


def _grid(rows: list[str], scale: int = 1, shift: int = 0) -> list[list[int]]:
    return [[min(int(c, 16) * scale + (shift if c != "0" else 0), 255) for c in row] for row in rows]


def _random_tile(rng: random.Random, bpp: int, colours: int) -> list[list[int]]:
    top = (1 << bpp) - 1
    palette = [0] + [rng.randrange(1, top + 1) for _ in range(colours - 1)]
    return [[rng.choice(palette) for _ in range(8)] for _ in range(8)]


def _item(
    iid: str, category: str, prompt: str, reference: str, grading: dict[str, Any], tags: list[str]
) -> dict[str, Any]:
    return {
        "id": iid,
        "category": category,
        "prompt": prompt,
        "reference": reference,
        "grading": grading,
        "tags": tags,
    }


def _fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body.rstrip()}\n```\n"


# -- graphics --------------------------------------------------------------------------------


def _tile_encode(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    plan = [(2, "heart"), (2, "key"), (2, "arrow"), (2, "rupee"), (2, "bush"), (2, "brick")]
    plan += [(3, "rupee"), (3, "bush"), (4, "heart"), (4, "key"), (4, "brick"), (8, "arrow"), (8, "rupee")]
    for bpp, name in plan:
        scale = {2: 1, 3: 2, 4: 5, 8: 70}[bpp]
        tile = _grid(SHAPES[name], 1 if bpp == 2 else scale, 0)
        top = (1 << bpp) - 1
        tile = [[min(c, top) for c in row] for row in tile]
        out.append(_encode_item(f"gfx.encode.{bpp}bpp.{name}", tile, bpp, f"a {name}"))
    for bpp, count in ((2, 3), (3, 3), (4, 4), (8, 3)):
        for k in range(count):
            tile = _random_tile(rng, bpp, rng.choice((3, 4, 8)) if bpp > 2 else 4)
            out.append(_encode_item(f"gfx.encode.{bpp}bpp.random{k}", tile, bpp, "random pixels"))
    return out


def _encode_item(iid: str, tile: list[list[int]], bpp: int, what: str) -> dict[str, Any]:
    rows = _rows(tile, bpp)
    prompt = (
        f"Encode this 8x8 tile ({what}) as SNES {FORMAT[bpp]} data: {TILE_BYTES[bpp]} bytes, {LAYOUT[bpp]}; "
        f"bit 7 of each plane byte is the leftmost pixel. Colour indices, top row first:\n\n"
        + _fence("text", "\n".join(rows))
        + "\n"
        + BYTES_ANSWER
    )
    return _item(
        iid,
        "graphics",
        prompt,
        _fence("asm", format_db(encode_tile(tile, bpp))),
        {"kind": "gfx-tile", "bpp": bpp, "tiles": 1, "pixels": [rows]},
        ["graphics", "tile-encode", f"{bpp}bpp"],
    )


def _tile_decode(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for bpp, count in ((2, 6), (3, 4), (4, 6), (8, 4)):
        for k in range(count):
            n = 2 if k == 0 and bpp in (2, 4) else 1
            data = b"".join(
                encode_tile(_random_tile(rng, bpp, rng.choice((4, 6, 16))), bpp) for _ in range(n)
            )
            tiles = decode_tiles(data, bpp)
            prompt = (
                f"Decode {'these two' if n == 2 else 'this'} SNES {FORMAT[bpp]} tile{'s' if n == 2 else ''} "
                f"({LAYOUT[bpp]}; bit 7 is the leftmost pixel):\n\n{_fence('asm', format_db(data))}\n"
                "Answer with the pixels in a ```text block: 8 rows per tile, one "
                + ("two-digit hex value per pixel separated by spaces" if bpp == 8 else "hex digit per pixel")
                + (", tiles one after the other." if n == 2 else ".")
            )
            out.append(
                _item(
                    f"gfx.decode.{bpp}bpp.{k}",
                    "graphics",
                    prompt,
                    _fence("text", format_tiles(tiles, bpp)),
                    {"kind": "gfx-pixels", "bpp": bpp, "data": data.hex()},
                    ["graphics", "tile-decode", f"{bpp}bpp"],
                )
            )
    return out


def _expand(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    cases = [
        ("sprite", 0x52),
        ("sprite", 0x5E),
        ("sprite", 0x44),
        ("sprite", 0x60),
        ("bg", (5, 0x10)),
        ("bg", (2, 0x10)),
    ]
    cases += [
        ("bg", (2, 0x24)),
        ("bg", (6, 0x24)),
        ("bg", (7, 0x21)),
        ("routine", "high"),
        ("routine", "low"),
        ("sprite", 0x5B),
    ]
    for k, (how, value) in enumerate(cases):
        tile = _random_tile(rng, 3, 5)
        data = encode_tile(tile, 3)
        if how == "sprite":
            assert isinstance(value, int)
            mode = sprite_sheet_expansion(value)
            where = f"The tile is in sprite sheet ${value:02X}, which ALTTP loads with LoadSpriteGraphics ($00:E583)."
        elif how == "bg":
            assert isinstance(value, tuple)
            slot, theme = value
            mode = "high" if (slot in (2, 3, 4, 7) if theme >= 0x20 else slot >= 4) else "low"
            where = (
                f"The tile is loaded by LoadBackgroundGraphics ($00:E609) into background slot {slot} "
                f"while the main tileset theme ($0AA1) is ${theme:02X}."
            )
        else:
            mode = str(value)
            where = f"The game expands it with {'Do3To4High' if mode == 'high' else 'Do3To4Low'}."
        prompt = (
            f"ALTTP stores graphics as 3bpp (24 bytes per tile: planes 0/1 interleaved per row, then plane 2 "
            f"one byte per row) and expands them to 4bpp when loading. {where} Give the 32 bytes of 4bpp that "
            f"reach VRAM for this tile:\n\n{_fence('asm', format_db(data))}\n{BYTES_ANSWER}"
        )
        out.append(
            _item(
                f"gfx.expand.{k}",
                "graphics",
                prompt,
                _fence("asm", format_db(expand_3bpp(data, mode))),  # type: ignore[arg-type]
                {"kind": "gfx-expand", "data": data.hex(), "mode": mode},
                ["graphics", "expand", mode],
            )
        )
    return out


def _colours(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for k in range(10):
        colours = [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(rng.randrange(1, 6))
        ]
        words = [rgb_to_bgr555(*c) for c in colours]
        listed = "\n".join(f"({r}, {g}, {b})" for r, g, b in colours)
        prompt = (
            "Convert these 8-bit RGB colours to SNES BGR555 words (`0bbbbbgg gggrrrrr`, each channel's top "
            f"five bits):\n\n{_fence('text', listed)}\nAnswer with `dw` lines in an ```asm block, in order."
        )
        out.append(
            _item(
                f"gfx.rgb_to_bgr.{k}",
                "graphics",
                prompt,
                _fence("asm", format_dw(words)),
                {"kind": "gfx-words", "rgb": [list(c) for c in colours]},
                ["graphics", "palette"],
            )
        )
    for k in range(8):
        words = [rng.randrange(0x8000) for _ in range(rng.randrange(1, 6))]
        colours = [list(bgr555_to_rgb(w, "replicate")) for w in words]
        prompt = (
            f"What 8-bit RGB colours are these SNES BGR555 words?\n\n{_fence('asm', format_dw(words))}\n"
            f'{JSON_ANSWER}: {{"colours": [[r, g, b], ...]}} in order (any standard 5-to-8-bit expansion).'
        )
        out.append(
            _item(
                f"gfx.bgr_to_rgb.{k}",
                "graphics",
                prompt,
                _fence("json", json.dumps({"colours": colours})),
                {"kind": "gfx-rgb", "words": words},
                ["graphics", "palette"],
            )
        )
    for k in range(10):
        col = rng.randrange(16)
        if k % 2:
            pal = rng.randrange(8)
            row, what = sprite_row(pal), f"colour {col} of sprite palette {pal} (OAM palette field {pal})"
        else:
            row = rng.randrange(8)
            what = f"colour {col} of background palette row {row}"
        offset = cgram_byte(row, col)
        answer = {
            "cgram_index": cgram_index(row, col),
            "cgram_byte": offset,
            "buffer_address": f"${ALTTP_PALETTE_BUFFER + offset:06X}",
        }
        prompt = (
            f"In ALTTP, where is {what}? {JSON_ANSWER} with "
            '"cgram_index" (the colour number CGADD takes), "cgram_byte" (its byte offset in CGRAM) and '
            '"buffer_address" (its address in the game\'s CGRAM buffer at $7EC500, as "$7EC5xx").'
        )
        out.append(
            _item(
                f"gfx.cgram.{k}",
                "graphics",
                prompt,
                _fence("json", json.dumps(answer)),
                {"kind": "gfx-cgram", "row": row, "col": col},
                ["graphics", "cgram"],
            )
        )
    return out


def _entries(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    yn = {True: "yes", False: "no"}
    for k in range(16):
        e = TilemapEntry(
            rng.randrange(0x400), rng.randrange(8), rng.random() < 0.5, rng.random() < 0.4, rng.random() < 0.4
        )
        if k % 2 == 0:
            prompt = (
                f"Compose the SNES BG tilemap entry (`vhopppcc cccccccc`) for tile ${e.tile:03X}, palette {e.palette}, "
                f"priority {yn[e.priority]}, H-flip {yn[e.hflip]}, V-flip {yn[e.vflip]}. "
                f'{JSON_ANSWER}: {{"word": "$XXXX"}}.'
            )
            ref, mode = {"word": f"${e.word():04X}"}, "compose"
        else:
            prompt = (
                f"Decode the SNES BG tilemap entry ${e.word():04X}. {JSON_ANSWER} with "
                '"tile" (0-1023), "palette" (0-7), "priority", "hflip" and "vflip" (true/false).'
            )
            ref, mode = e.fields(), "explain"
        out.append(
            _item(
                f"gfx.tilemap.{k}",
                "graphics",
                prompt,
                _fence("json", json.dumps(ref)),
                {"kind": "gfx-tilemap", "mode": mode, "word": e.word()},
                ["graphics", "tilemap", mode],
            )
        )
    for k in range(16):
        e = OamEntry(
            x=rng.choice((rng.randrange(256), rng.randrange(256, 512))),
            y=rng.randrange(0xE0),
            tile=rng.randrange(0x200),
            palette=rng.randrange(8),
            priority=rng.randrange(4),
            hflip=rng.random() < 0.4,
            vflip=rng.random() < 0.4,
            large=rng.random() < 0.5,
        )
        index = rng.randrange(128)
        fields = {"x": e.x, "y": e.y, "tile": e.tile, "palette": e.palette, "priority": e.priority}
        grading = {
            "kind": "gfx-oam",
            "index": index,
            **fields,
            "hflip": e.hflip,
            "vflip": e.vflip,
            "large": e.large,
        }
        if k % 2 == 0:
            offset, shift = high_table_slot(index)
            ref: dict[str, Any] = {
                "low_bytes": e.low_bytes().hex(" ").upper(),
                "high_bits": e.high_bits(),
                "high_table_byte": offset,
                "high_table_shift": shift,
            }
            prompt = (
                f"SNES OAM entry {index}: X={e.x}, Y={e.y}, tile ${e.tile:03X}, palette {e.palette}, priority "
                f"{e.priority}, H-flip {yn[e.hflip]}, V-flip {yn[e.vflip]}, {'large' if e.large else 'small'} size. "
                f'{JSON_ANSWER}: "low_bytes" (the 4 low-table bytes as hex, e.g. "1A 2B 3C 4D"), "high_bits" '
                '(the 2 high-table bits as a number: bit 0 = X bit 8, bit 1 = size), "high_table_byte" (the '
                'byte offset of those bits in the 544-byte OAM) and "high_table_shift" (their bit position).'
            )
            grading["mode"] = "compose"
        else:
            ref = {**e.fields(), "screen_x": e.screen_x()}
            prompt = (
                f"Decode SNES OAM entry {index}: low-table bytes {e.low_bytes().hex(' ').upper()}, high-table bits "
                f"%{e.high_bits():02b} (bit 0 = X bit 8, bit 1 = size). {JSON_ANSWER} with "
                '"x" (0-511), "y", "tile" (0-511), "palette", "priority", "hflip", "vflip", "large" '
                '(true/false) and "screen_x" (X as a signed 9-bit value).'
            )
            grading["mode"] = "explain"
        out.append(
            _item(
                f"gfx.oam.{k}",
                "graphics",
                prompt,
                _fence("json", json.dumps(ref)),
                grading,
                ["graphics", "oam", grading["mode"]],
            )
        )
    return out


def _asm(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for k in range(6):
        rgb = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        word = rgb_to_bgr555(*rgb)
        pal, col = rng.randrange(8), rng.randrange(1, 16)
        address = ALTTP_PALETTE_BUFFER + cgram_byte(sprite_row(pal), col)
        ref = (
            f"SetColour:\n    PHP\n    REP #$20\n    LDA.w #${word:04X}\n    STA.l ${address:06X}\n"
            "    SEP #$20\n    LDA.b #$01\n    STA.l $7E0015\n    PLP\n    RTL\n"
        )
        mem = {
            f"${address:06X}": f"${word & 0xFF:02X}",
            f"${address + 1:06X}": f"${word >> 8:02X}",
            "$7E0015": "$01",
        }
        prompt = (
            f"Write a 65816 routine `SetColour` (called with JSL, returns with RTL) that stores RGB{rgb} as a BGR555 "
            f"word into colour {col} of sprite palette {pal} in ALTTP's CGRAM buffer at $7EC500 and sets $7E0015 "
            "to 1 so NMI uploads it. The caller may be in any register width: restore P before returning."
        )
        out.append(_asm_item(f"gfx.asm.palette.{k}", prompt, ref, "SetColour", mem))
    for k in range(6):
        e = OamEntry(
            rng.randrange(512),
            rng.randrange(0xE0),
            rng.randrange(0x200),
            rng.randrange(8),
            rng.randrange(4),
            rng.random() < 0.5,
            rng.random() < 0.5,
            rng.random() < 0.5,
        )
        slot = rng.randrange(128)
        low = e.low_bytes()
        base, extra = 0x7E0800 + 4 * slot, 0x7E0A20 + slot
        lines = ["PlaceSprite:", "    PHP", "    SEP #$20"]
        for i, b in enumerate(low):
            lines += [f"    LDA.b #${b:02X}", f"    STA.l ${base + i:06X}"]
        lines += [f"    LDA.b #${e.high_bits():02X}", f"    STA.l ${extra:06X}", "    PLP", "    RTL"]
        mem = {f"${base + i:06X}": f"${b:02X}" for i, b in enumerate(low)}
        mem[f"${extra:06X}"] = f"${e.high_bits():02X}"
        yn = {True: "yes", False: "no"}
        prompt = (
            f"Write a 65816 routine `PlaceSprite` (JSL/RTL) that writes OAM slot {slot} of ALTTP's OAM buffer "
            f"($7E0800 + 4 x slot: X low, Y, tile low, attributes YXPPCCCT) and the slot's X-bit-8/size byte at "
            f"$7E0A20 + slot (bit 0 = X bit 8, bit 1 = large) for: X={e.x}, Y={e.y}, tile ${e.tile:03X}, palette "
            f"{e.palette}, priority {e.priority}, H-flip {yn[e.hflip]}, V-flip {yn[e.vflip]}, "
            f"{'large' if e.large else 'small'}. Restore P before returning."
        )
        out.append(_asm_item(f"gfx.asm.oam.{k}", prompt, "\n".join(lines) + "\n", "PlaceSprite", mem))
    return out


def _asm_item(iid: str, prompt: str, reference: str, entry: str, mem: dict[str, str]) -> dict[str, Any]:
    states = [
        {
            "name": name,
            "initial": {"p": p, "a": "$1234", "x": "$0056"},
            "expect": {"mem": mem, "flags": {"m": m, "x": x}},
        }
        for name, p, m, x in (
            ("8-bit caller", "$30", 1, 1),
            ("16-bit caller", "$00", 0, 0),
            ("A16 X8 caller", "$10", 0, 1),
        )
    ]
    grading = {"kind": "asm-exec", "entry": entry, "convention": "jsl", "states": states}
    return _item(
        iid,
        "graphics",
        prompt + " Answer with the routine in an ```asm block.",
        _fence("asm", reference),
        grading,
        ["graphics", "asm"],
    )


def graphics() -> list[dict[str, Any]]:
    rng = random.Random("triforce-eval-graphics-2026")
    items = list(FIRST_ITEMS)
    for part in (_tile_encode, _tile_decode, _expand, _colours, _entries, _asm):
        items += part(rng)
    return items


# -- compression ------------------------------------------------------------------------------

ROUTINE = {
    "gfx": "ALTTP's graphics decompressor (Decompress, $00:E79E: copy positions are little-endian)",
    "bank02": "ALTTP's overworld-map decompressor (Decompress_bank02, $02:FEBB: copy positions are big-endian)",
}
FORMAT_NOTE = (
    "Format: a header byte `CCCLLLLL` (command C, length L+1) or `111CCCLL LLLLLLLL` (length up to 1024); "
    "$FF ends the stream; 0 literal, 1 byte fill, 2 word fill (alternating), 3 increasing fill, 4 copy from an "
    "absolute output position."
)


def _data(rng: random.Random, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        roll = rng.random()
        if roll < 0.3:
            out += encode_tile(_random_tile(rng, 3, 4), 3)[: rng.randrange(8, 25)]
        elif roll < 0.5:
            out += bytes([rng.randrange(256)]) * rng.randrange(3, 30)
        elif roll < 0.65 and out:
            at = rng.randrange(len(out))
            out += out[at : at + rng.randrange(4, 30)]
        elif roll < 0.75:
            out += bytes([rng.randrange(256), rng.randrange(256)]) * rng.randrange(2, 10)
        elif roll < 0.82:
            v = rng.randrange(256)
            out += bytes((v + i) & 0xFF for i in range(rng.randrange(3, 20)))
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 10)))
    return bytes(out[:size])


EDGE_STREAMS = [
    ("odd_word_fill", "gfx", "44 11 22 FF"),
    ("inc_wrap", "gfx", "63 FE FF"),
    ("overlap_copy", "gfx", "01 41 42 85 00 00 FF"),
    ("long_fill_33", "gfx", "E4 20 77 FF"),
    ("cmd5", "gfx", "03 41 42 43 44 A1 01 00 FF"),
    ("cmd6", "bank02", "03 41 42 43 44 C2 00 02 FF"),
    ("cmd7_long", "gfx", "03 41 42 43 44 FC 02 00 00 FF"),
    ("long_literal_form", "gfx", "E0 01 AB CD FF"),
]


def compression() -> list[dict[str, Any]]:
    rng = random.Random("triforce-eval-compression-2026")
    items: list[dict[str, Any]] = []
    for name, variant, stream_hex in EDGE_STREAMS:
        items.append(_decompress_item(f"lz.decompress.{name}", bytes.fromhex(stream_hex), variant))
    for k in range(14):
        variant = "bank02" if k % 3 == 2 else "gfx"
        stream = (
            random_stream(rng, variant, max_output=96)
            if k % 2
            else compress(_data(rng, rng.randrange(24, 120)), variant)
        )
        items.append(_decompress_item(f"lz.decompress.{k}", stream, variant))
    for k in range(16):
        variant = "bank02" if k % 4 == 3 else "gfx"
        data = _data(rng, rng.randrange(20, 140))
        greedy = len(compress(data, variant, "greedy"))
        prompt = (
            f"Compress these {len(data)} bytes for {ROUTINE[variant]} into a stream of at most {greedy} bytes "
            f"ending with $FF. {FORMAT_NOTE} Use commands 0-4 only.\n\n{_fence('asm', format_db(data))}\n{BYTES_ANSWER}"
        )
        items.append(
            _item(
                f"lz.compress.{k}",
                "compression",
                prompt,
                _fence("asm", format_db(compress(data, variant))),
                {"kind": "lz-compress", "data": data.hex(), "variant": variant, "max_bytes": greedy},
                ["compression", "compress", variant],
            )
        )
    for k in range(12):
        variant = "bank02" if k % 3 == 1 else "gfx"
        stream = (
            random_stream(rng, variant, max_output=120)
            if k % 2
            else compress(_data(rng, rng.randrange(20, 100)), variant)
        )
        walked = parse_stream(stream, variant)
        prompt = (
            f"List the commands of this stream for {ROUTINE[variant]}. {FORMAT_NOTE}\n\n{_fence('asm', format_db(stream))}\n"
            "Answer with a ```text table, one command per line, columns: offset header command length argument "
            "output, like `$0000   $E4 20  byte-fill       33  77                     $0000-$0020` (commands: literal, "
            "byte-fill, word-fill, inc-fill, copy; a copy's argument is `from $XXXX`, its source position), "
            "and a last line `$XXXX   $FF     end`."
        )
        items.append(
            _item(
                f"lz.explain.{k}",
                "compression",
                prompt,
                _fence("text", format_table(walked)),
                {"kind": "lz-explain", "stream": stream.hex(), "variant": variant},
                ["compression", "explain", variant],
            )
        )
    for k in range(16):
        variant = "bank02" if k % 4 == 1 else "gfx"
        stream = compress(_data(rng, rng.randrange(24, 100)), variant)
        broken, limit = _broken(rng, stream, variant, k % 3)
        try:
            parse_stream(broken, variant, limit=limit)
        except CorruptStream as exc:
            ref = {"offset": exc.offset, "problem": exc.code}
        limit_text = f" Its output buffer holds {limit} bytes." if limit < 0x10000 else ""
        prompt = (
            f"This stream is broken for {ROUTINE[variant]}.{limit_text} {FORMAT_NOTE} Find the first fault.\n\n"
            f"{_fence('asm', format_db(broken))}\n"
            f'{JSON_ANSWER}: {{"offset": <stream offset of the command at fault, or of the missing $FF>, '
            '"problem": "truncated" | "copy-unwritten" | "output-limit"}.'
        )
        grading: dict[str, Any] = {"kind": "lz-corrupt", "stream": broken.hex(), "variant": variant}
        if limit < 0x10000:
            grading["limit"] = limit
        items.append(
            _item(
                f"lz.corrupt.{k}",
                "compression",
                prompt,
                _fence("json", json.dumps(ref)),
                grading,
                ["compression", "corrupt"],
            )
        )
    for k in range(12):
        if k % 2 == 0:
            code, length = rng.randrange(5), rng.choice((rng.randrange(1, 33), rng.randrange(33, 1025)))
            ref: dict[str, Any] = {"header": encode_header(code, length).hex(" ").upper()}
            prompt = (
                f"Write the ALTTP compression header for command {code} with {length} output bytes (short form "
                f'when it fits). {FORMAT_NOTE} {JSON_ANSWER}: {{"header": "XX" or "XX XX"}}.'
            )
            grading = {"kind": "lz-header", "command": code, "length": length}
        else:
            long = k % 4 == 1
            code = rng.randrange(7)
            length = rng.randrange(1, 769 if long else 33)
            head = encode_header(code, length, long=long)
            ref = {"command": code, "length": length}
            prompt = (
                f"Decode the ALTTP compression header {' '.join(f'${b:02X}' for b in head)}. {FORMAT_NOTE} "
                f'{JSON_ANSWER}: {{"command": <0-7 as written>, "length": <output bytes>}}.'
            )
            grading = {"kind": "lz-header", "header": head.hex()}
        items.append(
            _item(
                f"lz.header.{k}",
                "compression",
                prompt,
                _fence("json", json.dumps(ref)),
                grading,
                ["compression", "header"],
            )
        )
    return items


def _decompress_item(iid: str, stream: bytes, variant: str) -> dict[str, Any]:
    out = parse_stream(stream, variant).output  # type: ignore[arg-type]
    prompt = (
        f"Decompress this stream with {ROUTINE[variant]}. {FORMAT_NOTE} Commands 5-7 copy as well.\n\n"
        f"{_fence('asm', format_db(stream))}\nAnswer with the output bytes as `db` lines in an ```asm block."
    )
    return _item(
        iid,
        "compression",
        prompt,
        _fence("asm", format_db(out)),
        {"kind": "lz-decompress", "stream": stream.hex(), "variant": variant},
        ["compression", "decompress", variant],
    )


def _broken(rng: random.Random, stream: bytes, variant: str, kind: int) -> tuple[bytes, int]:
    walked = parse_stream(stream, variant)  # type: ignore[arg-type]
    if kind == 0:
        return stream[: rng.randrange(1, len(stream))], 0x10000
    if kind == 1:
        c = rng.choice(walked.commands)
        source = c.out_start + rng.randrange(0, 40)
        return stream[: c.offset] + encode_header(4, rng.randrange(2, 12)) + encode_offset(
            source, variant
        ) + stream[c.offset :], 0x10000  # type: ignore[arg-type]
    total = len(walked.output)
    return stream, rng.randrange(max(1, total // 3), total)


SUITES = {"graphics": graphics(), "compression": compression()}

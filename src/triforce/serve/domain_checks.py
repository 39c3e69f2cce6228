"""Checkers for graphics, compression and dialogue answers: the request read into a grading spec,
the answer graded by `triforce.evaluate`'s grader of that kind (the truth machines compute every
expected value: `triforce.gfx` tiles and colours, `triforce.compress` the game's LC_LZ2 codecs,
`triforce.text` the message codec and the text-box layout checker).

What each reads from the request (its last user turn) and proves about the answer:

graphics
    a routine to write (palette, OAM, ...)                      -> the ASM check (`checks.py`)
    pixel rows + a tile format (2bpp, ALTTP 3bpp, 4bpp, 8bpp)  -> the answer's bytes decode to them
    whole tiles of bytes + a format                             -> the answer's pixel rows are theirs
    8-bit (r, g, b) triples + BGR555/palette                    -> the answer's `dw` words hold them
    `dw` BGR555 words + RGB                                     -> the answer's JSON colours keep
                                                                   each word's 5-bit channels
    tilemap word `$XXXX` to explain / tile, palette, flips      -> the answer's JSON fields / word
    3bpp tile bytes + 4bpp + the sheet, slot or Do3To4 routine  -> the answer's 4bpp bytes (the
                                                                   game's expansion, low or high)
    colour N of sprite palette P / BG palette row R + CGRAM     -> the answer's JSON index, byte
                                                                   offset and $7EC500 address
    an OAM entry's bytes + high bits / its fields               -> the answer's JSON fields / bytes
compression (the variant: `Decompress_bank02`, bank 02 or big-endian copy positions; else $00:E79E)
    a stream that decompresses                                  -> the answer's output bytes (or,
                                                                   asked to explain/list, its table)
    a stream that does not                                      -> the answer's JSON fault
    bytes to compress                                           -> the answer's stream decompresses
                                                                   to them (as small as the optimal
                                                                   compressor's when asked for that)
    a command header to decode / a command + length to encode   -> the answer's JSON
dialogue
    `db` bytes to decode                                        -> the answer's text is theirs
    a message to encode (no dictionary)                         -> the answer's `db` bytes are its
    a message to fix / text to lay out, keeping the words       -> same words, a clean layout
    a message to write (what someone says, a sign, ...)         -> the answer's ```text message
                                                                   lays out cleanly (168 px lines,
                                                                   a key press every three), in
                                                                   the voice and with the facts
                                                                   the request names

A request none of these fits, or an answer with nothing of the kind in it, is `unchecked`; the
evidence names the task read from the request (`checks[0]`), so a caller sees what was proven.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from triforce.compress.format import Variant
from triforce.errors import InputError
from triforce.serve.router import request_text
from triforce.serve.verify import CheckContext, CheckOutcome, graded
from triforce.snes.asmblocks import FENCE as _FENCE

Spec = dict[str, Any]
Derived = tuple[Spec | None, str]  # (grading spec or None, what was read / why nothing)

_HEX_LINE = re.compile(r"^\s*(?:(?:\$|0x)?[0-9A-Fa-f]{2}[ \t,]*)+$")


def _blocks(text: str) -> list[str]:
    return [m.group(3) for m in _FENCE.finditer(text)]


def _request_bytes(text: str) -> bytes | None:
    """The data a request gives: its first fenced block with bytes, else its lines of bare hex."""
    from triforce.gfx.text import parse_bytes

    for block in _blocks(text):
        try:
            return parse_bytes(block)
        except InputError:
            continue
    lines = [line for line in text.splitlines() if _HEX_LINE.match(line) and line.strip()]
    if lines:
        try:
            return parse_bytes("\n".join(lines))
        except InputError:
            return None
    return None


def _outcome(checker: str, derived: Derived, answer: str, ctx: CheckContext) -> CheckOutcome:
    spec, task = derived
    if spec is None:
        return CheckOutcome(checker, "unchecked", "no-task", task)
    result = graded(spec, answer, ctx)
    read = {"name": "request", "passed": True, "message": task}
    if result.status == "unchecked":  # the derived spec was refused: a bug here, said as such
        return CheckOutcome(checker, "unchecked", result.code, f"{task}: {result.reason}", [read])
    absent = result.code == "no-code" or (result.code == "parse-error" and spec["kind"] != "dialogue")
    if absent and not result.passed:
        # Nothing of the kind in the answer (an explanation, a question back): nothing proven.
        return CheckOutcome(checker, "unchecked", result.code, f"{task}: {result.reason}", [read])
    reason = f"{task}: {result.reason}" if result.reason else task
    return CheckOutcome(checker, result.status, result.code, reason, [read, *result.checks])


# -- graphics -------------------------------------------------------------------------------------

_FORMAT = re.compile(r"(ALTTP\s+3\s*bpp)|\b([2348])\s*bpp\b|\b([2348])\s*bits?\s+per\s+pixel", re.IGNORECASE)
_RGB = re.compile(r"\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)")
_TILEMAP_WORD = re.compile(r"\b(?:tilemap|BG)\b[^$\n]{0,40}\$([0-9A-Fa-f]{4})\b", re.IGNORECASE)
_TILE = re.compile(r"\btile\s+\$([0-9A-Fa-f]{1,3})\b", re.IGNORECASE)
_PALETTE = re.compile(r"\bpalette\s+(\d)\b", re.IGNORECASE)
_YES = {"yes", "on", "true", "1", "set"}


def _flag(text: str, name: str) -> bool:
    m = re.search(rf"\b{name}\s*[:=]?\s*(yes|no|on|off|true|false|set|clear|[01])\b", text, re.IGNORECASE)
    return m is not None and m.group(1).lower() in _YES


def _bpp(text: str) -> int | None:
    m = _FORMAT.search(text)
    if not m:
        return None
    return 3 if m.group(1) else int(m.group(2) or m.group(3))


def graphics_spec(text: str) -> Derived:
    from triforce.gfx.palette import SCALES
    from triforce.gfx.text import parse_pixels, parse_words
    from triforce.gfx.tiles import TILE_BYTES

    low = text.lower()
    if "tilemap" in low or "bg map" in low:
        tile, pal = _TILE.search(text), _PALETTE.search(text)
        if tile and pal:
            from triforce.gfx.tilemap import TilemapEntry

            try:
                entry = TilemapEntry(
                    tile=int(tile.group(1), 16),
                    palette=int(pal.group(1)),
                    priority=_flag(text, "priority"),
                    hflip=_flag(text, "H-?flip"),
                    vflip=_flag(text, "V-?flip"),
                )
            except InputError as exc:
                return None, f"the request's tilemap entry is impossible: {exc}"
            word = entry.word()
            return {"kind": "gfx-tilemap", "mode": "compose", "word": word}, (
                f"compose the tilemap entry for tile ${entry.tile:03X}, palette {entry.palette}: ${word:04X}"
            )
        m = _TILEMAP_WORD.search(text)
        if m:
            word = int(m.group(1), 16)
            return {
                "kind": "gfx-tilemap",
                "mode": "explain",
                "word": word,
            }, f"explain tilemap word ${word:04X}"
    if re.search(r"\bOAM\b|\bsprite\b.*\bhigh[- ]table\b|\blow table\b", text, re.IGNORECASE):
        found = _oam_spec(text)
        if found[0] is not None:
            return found
    cgram = _CGRAM_COLOUR.search(text)
    if cgram and re.search(r"cgram|\$7EC5", text, re.IGNORECASE):
        from triforce.gfx.palette import sprite_row

        col = int(cgram.group(1))
        try:
            row = sprite_row(int(cgram.group(2))) if cgram.group(2) else int(cgram.group(3))
        except InputError as exc:
            return None, f"the request's palette is impossible: {exc}"
        if col > 15 or row > 15:
            return None, f"colour {col} of row {row} is not in CGRAM (16 rows of 16)"
        return {"kind": "gfx-cgram", "row": row, "col": col}, f"where colour {col} of CGRAM row {row} lives"
    colours = [tuple(int(v) for v in t) for t in _RGB.findall(text)]
    if colours and re.search(r"bgr\s*555|snes|palette|cgram|\bdw\b", low):
        if any(v > 255 for c in colours for v in c):
            return None, "the request's colours are not 8-bit channels"
        return {"kind": "gfx-words", "rgb": colours}, f"{len(colours)} RGB colour(s) to BGR555 words"
    if re.search(r"\brgb\b", low) and re.search(r"^\s*dw\b", text, re.IGNORECASE | re.MULTILINE):
        words = next((w for w in (_try(parse_words, b) for b in _blocks(text)) if w), None)
        if words:
            scale = next((s for s in SCALES if re.search(rf"\b{re.escape(s)}\b", text)), None)
            return {"kind": "serve-rgb", "words": words, "scale": scale}, (
                f"{len(words)} BGR555 word(s) to RGB" + (f" ({scale} expansion)" if scale else "")
            )
    bpp = _bpp(text)
    if bpp is None:
        return None, "the request names no tile format, colours or tilemap entry to check against"
    if bpp == 3 and "4bpp" in low:
        return _expand_spec(text)
    for block in _blocks(text) or [text]:
        tiles = _try(lambda b: parse_pixels(b, bpp), block)
        if tiles:
            rows = [
                "".join(f"{c:X}" for c in row) if bpp < 8 else " ".join(f"{c:02X}" for c in row)
                for tile in tiles
                for row in tile
            ]
            spec = {
                "kind": "gfx-tile",
                "bpp": bpp,
                "tiles": len(tiles),
                "pixels": [rows[i : i + 8] for i in range(0, len(rows), 8)],
            }
            return spec, f"encode {len(tiles)} {bpp}bpp tile(s) from the request's pixels"
    data = _request_bytes(text)
    if data is not None:
        size = TILE_BYTES[bpp]
        if len(data) % size:
            return None, f"the request's {len(data)} bytes are not whole {bpp}bpp tiles ({size} bytes each)"
        return {"kind": "gfx-pixels", "bpp": bpp, "data": data.hex()}, (
            f"decode {len(data) // size} {bpp}bpp tile(s) from the request's bytes"
        )
    return None, f"the request names {bpp}bpp but gives no pixels or tile bytes"


_CGRAM_COLOUR = re.compile(
    r"\bcolou?r\s+(\d+)\s+of\s+(?:the\s+)?(?:sprite\s+palette\s+(\d+)|BG\s+palette(?:\s+row)?\s+(\d+))",
    re.IGNORECASE,
)
_SHEET = re.compile(r"\bsprite sheet \$([0-9A-Fa-f]{2})\b", re.IGNORECASE)
_SLOT = re.compile(
    r"\bbackground slot (\d)\b.*?\btheme\b[^$]{0,20}\$([0-9A-Fa-f]{2})\b", re.IGNORECASE | re.DOTALL
)
_ROUTINE = re.compile(r"\bDo3To4(High|Low)\b", re.IGNORECASE)


_OAM_FIELDS = (
    ("index", r"\b(?:entry|sprite|slot)\s+(\d+)"),
    ("x", r"\bX\s*[=:]?\s*(\d+)"),
    ("y", r"\bY\s*[=:]?\s*(\d+)"),
    ("tile", r"\btile\s+\$([0-9A-Fa-f]{1,3})\b"),
    ("palette", r"\bpalette\s+(\d)\b"),
    ("priority", r"\bpriority\s+(\d)\b"),
)


def _oam_spec(text: str) -> Derived:
    """An OAM entry to explain (its 4 low-table bytes and 2 high-table bits) or to compose."""
    from triforce.gfx.oam import OamEntry

    low = re.search(r"(?<![0-9A-Fa-f$])((?:\$?[0-9A-Fa-f]{2}[ ,]+){3}\$?[0-9A-Fa-f]{2})(?![0-9A-Fa-f])", text)
    high = re.search(r"%([01]{2})\b", text)
    index = re.search(_OAM_FIELDS[0][1], text, re.IGNORECASE)
    try:
        if low and high:
            raw = bytes(int(v, 16) for v in re.findall(r"[0-9A-Fa-f]{2}", low.group(1)))
            e = OamEntry.from_bytes(raw, int(high.group(1), 2))
            mode = "explain"
        else:
            nums: dict[str, int] = {}
            for key, pattern in _OAM_FIELDS:
                m = re.search(
                    pattern, text, re.IGNORECASE if key in ("index", "tile", "palette", "priority") else 0
                )
                if not m:
                    return None, f"an OAM entry to compose, but the request gives no {key}"
                nums[key] = int(m.group(1), 16) if key == "tile" else int(m.group(1))
            size = re.search(r"\b(large|small)\b", text, re.IGNORECASE)
            e = OamEntry(
                x=nums["x"],
                y=nums["y"],
                tile=nums["tile"],
                palette=nums["palette"],
                priority=nums["priority"],
                hflip=_flag(text, "H-?flip"),
                vflip=_flag(text, "V-?flip"),
                large=bool(size and size.group(1).lower() == "large"),
            )
            mode = "compose"
    except (InputError, ValueError) as exc:
        return None, f"the request's OAM entry is impossible: {exc}"
    slot = int(index.group(1)) if index else 0
    if not 0 <= slot <= 127:
        return None, f"OAM has entries 0-127, not {slot}"
    spec = {"kind": "gfx-oam", "mode": mode, "index": slot} | {
        "x": e.x,
        "y": e.y,
        "tile": e.tile,
        "palette": e.palette,
        "priority": e.priority,
        "hflip": e.hflip,
        "vflip": e.vflip,
        "large": e.large,
    }
    what = "explain" if mode == "explain" else "compose"
    return spec, f"{what} OAM entry {slot}: X={e.x}, Y={e.y}, tile ${e.tile:03X}, palette {e.palette}"


def _expand_spec(text: str) -> Derived:
    """ALTTP 3bpp to the 4bpp the game uploads: the expansion follows from how the tile is loaded."""
    from triforce.gfx.sheets import background_slot_expansion, sprite_sheet_expansion

    data = _request_bytes(text)
    if data is None or len(data) % 24:
        return None, "3bpp to 4bpp: the request gives no whole 3bpp tiles (24 bytes each)"
    if m := _ROUTINE.search(text):
        mode, why = m.group(1).lower(), f"Do3To4{m.group(1).title()} named"
    elif m := _SHEET.search(text):
        mode, why = sprite_sheet_expansion(int(m.group(1), 16)), f"sprite sheet ${m.group(1).upper()}"
    elif m := _SLOT.search(text):
        try:
            mode = background_slot_expansion(int(m.group(1)), int(m.group(2), 16))
        except InputError as exc:
            return None, f"3bpp to 4bpp: {exc}"
        why = f"background slot {m.group(1)}, theme ${m.group(2).upper()}"
    else:
        return (
            None,
            "3bpp to 4bpp: the request does not say how the game loads the tile (sheet, slot or routine)",
        )
    return {"kind": "gfx-expand", "data": data.hex(), "mode": mode}, (
        f"expand {len(data) // 24} 3bpp tile(s) to 4bpp, {mode} ({why})"
    )


def _try(fn: Callable[[str], Any], text: str) -> Any:
    try:
        return fn(text)
    except (InputError, ValueError):
        return None


def _rgb_outcome(spec: Spec, answer: str, task: str) -> CheckOutcome:
    """BGR555 words to RGB: each colour must keep its word's 5-bit channels (any expansion does);
    with a named expansion, its exact 8-bit values."""
    from triforce.evaluate.answers import extract_json
    from triforce.gfx.palette import bgr555_to_rgb, components

    data, _ = extract_json(answer)
    if data is None:
        found = re.search(r"\[\s*\[.*?\]\s*\]", answer, re.DOTALL)
        data = _try(json.loads, found.group(0)) if found else None
    colours = data.get("colours", data.get("colors")) if isinstance(data, dict) else data
    read = {"name": "request", "passed": True, "message": task}
    if not isinstance(colours, list) or len(colours) != len(spec["words"]):
        return CheckOutcome(
            "graphics",
            "unchecked",
            "no-code",
            f"{task}: no list of {len(spec['words'])} [r, g, b] colours in the answer",
            [read],
        )
    checks: list[dict[str, Any]] = [read]
    for i, (c, w) in enumerate(zip(colours, spec["words"], strict=True)):
        ok_shape = (
            isinstance(c, list) and len(c) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in c)
        )
        if not ok_shape:
            checks.append(
                {
                    "name": f"colour {i}",
                    "passed": False,
                    "message": f"{c!r} is not [r, g, b] with 0-255 values",
                }
            )
            continue
        five = tuple(v >> 3 for v in c)
        want = bgr555_to_rgb(w, spec["scale"]) if spec["scale"] else None
        ok = five == components(w) and (want is None or tuple(c) == tuple(want))
        msg = (
            ""
            if ok
            else f"${w:04X} is {components(w)} in 5 bits"
            + (f" = {tuple(want)} with {spec['scale']}" if want else "")
            + f", the answer says {tuple(c)}"
        )
        checks.append({"name": f"colour {i}", "passed": ok, "message": msg})
    bad = [c for c in checks if not c["passed"]]
    if bad:
        return CheckOutcome("graphics", "failed", "wrong-content", f"{task}: {bad[0]['message']}", checks)
    return CheckOutcome("graphics", "passed", "ok", task, checks)


_CODE_REQUEST = re.compile(r"\b(?:routine|subroutine|hook)\b|\b65c?816\b|\basar\b", re.IGNORECASE)


def check_graphics(answer: str, ctx: CheckContext) -> CheckOutcome:
    text = request_text(ctx.messages)
    if _CODE_REQUEST.search(text):
        # "Write a routine that puts (r, g, b) into the palette buffer": the answer is code, proven
        # as code (asar, then a run on the core with the call the request describes).
        from triforce.serve.checks import check_asm

        outcome = check_asm(answer, ctx)
        outcome.checker = "graphics:asm"
        return outcome
    spec, task = graphics_spec(text)
    if spec is not None and spec["kind"] == "serve-rgb":
        return _rgb_outcome(spec, answer, task)
    return _outcome("graphics", (spec, task), answer, ctx)


# -- compression ----------------------------------------------------------------------------------

_HEADER_DECODE = re.compile(r"\bheader\b[^$\n]{0,20}((?:\$[0-9A-Fa-f]{2}[ ,]*){1,2})", re.IGNORECASE)
_HEADER_ENCODE = re.compile(r"\bcommand\s+(\d)\b\)?[^.\n]{0,40}?\b(\d{1,4})\s+bytes\b", re.IGNORECASE)
_OPS = {
    "literal": 0,
    "copy literal": 0,
    "repeat": 1,
    "fill": 1,
    "byte fill": 1,
    "alternat": 2,
    "word fill": 2,
    "count": 3,
    "increment": 3,
    "incrementing": 3,
}
_LIMIT = re.compile(r"\bholds\s+(\d+)\s+bytes\b", re.IGNORECASE)


def _variant(text: str) -> Variant:
    return "bank02" if re.search(r"bank_?02|\$02:FEBB|big-endian", text, re.IGNORECASE) else "gfx"


def compression_spec(text: str) -> Derived:
    from triforce.compress import CorruptStream, compress, parse_stream
    from triforce.compress.format import MAX_OUTPUT

    low = text.lower()
    variant = _variant(text)
    routine = "Decompress_bank02" if variant == "bank02" else "Decompress ($00:E79E)"
    if re.search(r"\bheader", low) and not _blocks(text):
        m = _HEADER_DECODE.search(text)
        if m and re.search(r"\bdecode|what command|which command|how long|how many", low):
            raw = bytes(int(v, 16) for v in re.findall(r"\$([0-9A-Fa-f]{2})", m.group(1)))
            return {
                "kind": "lz-header",
                "header": raw.hex(),
            }, f"decode the command header {raw.hex(' ').upper()}"
        e = _HEADER_ENCODE.search(text)
        if e and 1 <= int(e.group(2)) <= 1024:
            return {"kind": "lz-header", "command": int(e.group(1)), "length": int(e.group(2))}, (
                f"the header of command {e.group(1)}, {e.group(2)} bytes"
            )
        return None, "the request asks about a header but names no header bytes or command and length"
    data = _request_bytes(text)
    if data is None:
        return None, "the request gives no stream or data bytes"
    wants_stream = re.search(r"(?<!de)compress\b|\bdecompress(?:es)? to (?:these|this|the|my)\b", low)
    if wants_stream and not re.search(r"\bdecompress(?:es)? (?:this|the) stream", low):
        if len(data) > MAX_OUTPUT:
            return None, f"{len(data)} bytes is more than a stream may write ({MAX_OUTPUT})"
        smallest = bool(re.search(r"small|short|optimal|tight|minimal", low))
        literal = len(data) + 2 * -(-len(data) // 1024) + 1  # literal runs only: any stream can
        best = len(compress(data, variant)) if smallest else literal
        spec = {"kind": "lz-compress", "data": data.hex(), "variant": variant, "max_bytes": best}
        size = f"at most {best} bytes (the optimal stream)" if smallest else f"at most {best} bytes"
        return spec, f"compress {len(data)} bytes for {routine}, {size}"
    limit = _LIMIT.search(text)
    cap = min(int(limit.group(1)), MAX_OUTPUT) if limit else MAX_OUTPUT
    try:
        walked = parse_stream(data, variant, limit=cap)
    except CorruptStream as exc:
        spec = {"kind": "lz-corrupt", "stream": data.hex(), "variant": variant, "limit": max(1, cap)}
        return (
            spec,
            f"find the first fault of a {len(data)}-byte stream for {routine} ({exc.code} at {exc.offset})",
        )
    if re.search(r"\bexplain|\blist the commands|command table|command by command", low) and not re.search(
        r"output bytes|give the output|what does .* write", low
    ):
        return {"kind": "lz-explain", "stream": data.hex(), "variant": variant}, (
            f"the command table of a {len(data)}-byte stream for {routine}"
        )
    return {"kind": "lz-decompress", "stream": data.hex(), "variant": variant}, (
        f"decompress a {len(data)}-byte stream with {routine}: {len(walked.output)} bytes"
    )


def check_compression(answer: str, ctx: CheckContext) -> CheckOutcome:
    return _outcome("compression", compression_spec(request_text(ctx.messages)), answer, ctx)


# -- dialogue -------------------------------------------------------------------------------------

_MAX_LINES = re.compile(r"\bat most (\d+) lines\b", re.IGNORECASE)
_FACTS = re.compile(r"\bmust (?:mention|say|include)[:\s]+(.+?)(?:\.\s|\.$|$)", re.IGNORECASE | re.MULTILINE)


_ASKS_MESSAGE = re.compile(
    r"\b(?:write|compose|draft|rewrite|give me|come up with)\b[^.?!\n]{0,80}\b(?:message|line|lines|dialogue|"
    r"says?|greeting|text box|speech|sign|shout|tell|warn)|\bwhat\b[^.?!\n]{0,60}\bsays?\b|\bfit the\b[^.\n]{0,20}\btext box\b",
    re.IGNORECASE,
)


def _text_block(text: str) -> str | None:
    for m in _FENCE.finditer(text):
        if m.group(2).lower() in ("text", "txt", "message", "alttp", ""):
            return m.group(3).rstrip("\n")
    return None


def dialogue_spec(text: str) -> Derived:
    from triforce.text.extract import extract_bytes
    from triforce.text.voice import voices

    low = text.lower()
    message = _text_block(text)
    if re.search(r"\bdecode", low):
        data = extract_bytes(text)
        if data:
            return {
                "kind": "dialogue",
                "task": "decode",
                "bytes": data.hex(),
            }, f"decode {len(data)} message bytes"
    if re.search(r"\bencode", low) and message is not None:
        if re.search(r"dictionary", low) and not re.search(
            r"without (?:the game's )?dictionary|no dictionary", low
        ):
            return None, "encoding with the game's dictionary needs the vanilla dictionary (a usdasm tree)"
        return {"kind": "dialogue", "task": "encode", "message": message, "mode": "none"}, (
            "encode the request's message (no dictionary)"
        )
    limit = _MAX_LINES.search(text)
    extra: Spec = {"max_lines": int(limit.group(1))} if limit else {}
    if re.search(r"keep(?:ing)? (?:every|all|the) words?|same words", low):
        if message is not None:
            return {"kind": "dialogue", "task": "fix", "broken": message} | extra, (
                "re-wrap the request's message, keeping its words, so it lays out cleanly"
            )
        _, sep, body = text.partition("\n\n")
        if sep and body.strip():
            return {"kind": "dialogue", "task": "fit", "words": body.strip()} | extra, (
                "lay the request's text out in the box, keeping its words"
            )
    if not _ASKS_MESSAGE.search(text):
        return None, "the request asks for no message, bytes or layout to check"
    facts_m = _FACTS.search(text)
    facts = [f.strip() for f in re.split(r",\s*|\s+and\s+", facts_m.group(1)) if f.strip()] if facts_m else []
    voice = next(
        (
            key
            for key, v in voices().items()
            if re.search(rf"\b{re.escape(v.name)}\b", text) and "voice" in low
        ),
        None,
    )
    spec: Spec = {"kind": "dialogue", "task": "voice" if voice else "write", "facts": facts} | extra
    said = []
    if voice:
        spec["voice"] = voice
        said.append(f"in {voices()[voice].name}'s voice")
    if facts:
        said.append(f"mentioning {', '.join(facts)}")
    if limit:
        said.append(f"in at most {limit.group(1)} lines")
    return spec, "a message that lays out cleanly in the text box" + (" " + ", ".join(said) if said else "")


def check_dialogue(answer: str, ctx: CheckContext) -> CheckOutcome:
    spec, task = dialogue_spec(request_text(ctx.messages))
    if spec is not None and spec["task"] in ("write", "voice") and not _FENCE.search(answer):
        # A new message is given in a block; a one-line answer without one may be prose.
        return CheckOutcome("dialogue", "unchecked", "no-code", f"{task}: no ```text block in the answer")
    return _outcome("dialogue", (spec, task), answer, ctx)

"""Graphics answers, graded by the codecs of `triforce.gfx` (never by how the answer looks).

Kinds (the item's `grading`):
- `gfx-tile`: pixels given, bytes answered (`db` lines): the bytes must decode to exactly those
  pixels (2/3/4/8bpp); optional `allowed_colours`.
- `gfx-pixels`: bytes given (`data`, hex), pixel rows answered: they must be the decoded tiles.
- `gfx-expand`: ALTTP 3bpp bytes given, the 4bpp bytes answered: `expand_3bpp(data, mode)`.
- `gfx-words`: 8-bit RGB colours given, BGR555 words answered (`dw`): exact 15-bit words.
- `gfx-rgb`: BGR555 words given, RGB answered as JSON `{"colours": [[r, g, b], ...]}`: each
  channel's top five bits must give the word back, so any of the three 5->8 readings passes.
- `gfx-palette`: a palette with some colours pinned (RGB with a tolerance in 5-bit units).
- `gfx-cgram`: JSON `{"cgram_index", "cgram_byte", "buffer_address"}` of a row/column.
- `gfx-tilemap`: compose (JSON `{"word": "$XXXX"}`) or explain (JSON fields) one entry.
- `gfx-oam`: compose (JSON low bytes, high bits, high-table byte and shift) or explain (JSON
  fields) one OAM entry.

The module's `mutants(reference, spec)` gives `triforce eval sensitivity` typical wrong answers
made from the reference, each shown to be wrong by the codec itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.errors import InputError
from triforce.evaluate.answers import code_blocks, extract_json, strip_thinking
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.gfx.oam import OamEntry, high_table_slot
from triforce.gfx.palette import (
    ALTTP_PALETTE_BUFFER,
    bgr555_to_rgb,
    cgram_byte,
    cgram_index,
    components,
    rgb_to_bgr555,
)
from triforce.gfx.sheets import Expansion, expand_3bpp
from triforce.gfx.text import format_db, format_dw, format_tiles, parse_bytes, parse_pixels, parse_words
from triforce.gfx.tilemap import TilemapEntry
from triforce.gfx.tiles import TILE_BYTES, Pixels, decode_tile, decode_tiles, encode_tile

__all__ = ["bgr555_to_rgb", "decode_tile", "encode_tile"]  # codec names older callers import from here

Bpp = Literal[2, 3, 4, 8]
_ROW = re.compile(r"^[0-9A-Fa-f]{8}$|^(?:[0-9A-Fa-f]{2} ){7}[0-9A-Fa-f]{2}$")


# -- reading answers ---------------------------------------------------------------------------


def answer_bytes(answer: str) -> bytes:
    """The bytes of an answer: the last block with `db` lines, else the last block, else the
    whole text (InputError when there are none)."""
    blocks = code_blocks(answer)
    with_db = [b.code for b in blocks if re.search(r"^\s*(?:\w+:\s*)?db\b", b.code, re.I | re.M)]
    for text in (with_db[-1:] or [b.code for b in blocks[-1:]]) + [strip_thinking(answer)]:
        try:
            return parse_bytes(text)
        except InputError:
            continue
    raise InputError("no bytes in the answer (write `db $12, $34` lines in an ```asm block)")


def answer_words(answer: str) -> list[int]:
    blocks = code_blocks(answer)
    for text in [b.code for b in reversed(blocks)] + [strip_thinking(answer)]:
        try:
            return parse_words(text)
        except InputError:
            continue
    raise InputError("no words in the answer (write `dw $7FFF, $001F` lines in an ```asm block)")


def answer_json(answer: str) -> dict[str, Any]:
    data, error = extract_json(answer)
    if not isinstance(data, dict):
        raise InputError(error or "the answer's JSON is not an object")
    return data


def _graded(fn: Callable[[], Verdict]) -> Verdict:
    """Run a grading body; an answer that cannot be read is a parse error, not a crash."""
    try:
        return fn()
    except InputError as exc:
        return Verdict.fail("parse-error", str(exc))
    except (ValueError, TypeError, KeyError) as exc:
        return Verdict.fail("invalid-format", f"the answer has the wrong shape: {exc}")


def _same(name: str, ok: bool, message: str) -> CheckResult:
    return CheckResult(name=name, passed=ok, message="" if ok else message, details={"code": "wrong-content"})


# -- tiles ---------------------------------------------------------------------------------------


class TileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-tile"]
    bpp: Bpp
    tiles: int = Field(1, ge=1)
    # Per tile, 8 rows of colour indices: 8 hex digits, or for 8bpp 8 two-digit values.
    pixels: list[list[str]] | None = None
    allowed_colours: list[int] | None = None

    @field_validator("pixels")
    @classmethod
    def _rows(cls, value: list[list[str]] | None) -> list[list[str]] | None:
        for tile in value or []:
            if len(tile) != 8 or any(not _ROW.match(row) for row in tile):
                raise ValueError("each tile is 8 rows of 8 hex digits (8bpp: 8 two-digit values)")
        return value

    def tile_pixels(self) -> list[Pixels]:
        return parse_pixels("\n".join(row for tile in self.pixels or [] for row in tile), self.bpp)


def grade_tiles(spec: TileSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        data = answer_bytes(answer)
        size = TILE_BYTES[spec.bpp] * spec.tiles
        if len(data) != size:
            return Verdict.fail(
                "invalid-format",
                f"{spec.bpp}bpp x {spec.tiles} tile(s) is {size} bytes, the answer has {len(data)}",
            )
        got = decode_tiles(data, spec.bpp)
        checks: list[CheckResult] = []
        want = spec.tile_pixels() if spec.pixels is not None else None
        for t, tile in enumerate(got):
            if want is not None:
                bad = [(y, x) for y in range(8) for x in range(8) if tile[y][x] != want[t][y][x]]
                msg = ""
                if bad:
                    y, x = bad[0]
                    msg = f"{len(bad)} pixel(s) differ; first at row {y} col {x}: expected {want[t][y][x]}, got {tile[y][x]}"
                checks.append(_same(f"tile {t} pixels", not bad, msg))
            if spec.allowed_colours is not None:
                extra = sorted({c for row in tile for c in row} - set(spec.allowed_colours))
                checks.append(_same(f"tile {t} colours", not extra, f"uses colour(s) {extra} not allowed"))
        if not checks:
            checks.append(CheckResult(name="size", passed=True))
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class PixelsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-pixels"]
    bpp: Bpp
    data: str  # hex bytes of whole tiles

    def tiles(self) -> list[Pixels]:
        return decode_tiles(bytes.fromhex(self.data), self.bpp)


def grade_pixels(spec: PixelsSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        want = spec.tiles()
        blocks = [b.code for b in code_blocks(answer)] or [answer]
        got: list[Pixels] | None = None
        for text in reversed(blocks):
            try:
                got = parse_pixels(text, spec.bpp)
                break
            except InputError:
                continue
        if got is None:
            return Verdict.fail(
                "parse-error", f"no pixel rows in the answer ({len(want) * 8} rows of 8 values expected)"
            )
        if len(got) != len(want):
            return Verdict.fail("invalid-format", f"{len(want)} tile(s) expected, the answer has {len(got)}")
        checks = []
        for t, (g, w) in enumerate(zip(got, want, strict=True)):
            bad = [(y, x) for y in range(8) for x in range(8) if g[y][x] != w[y][x]]
            msg = f"{len(bad)} pixel(s) differ; first at row {bad[0][0]} col {bad[0][1]}" if bad else ""
            checks.append(_same(f"tile {t}", not bad, msg))
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class ExpandSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-expand"]
    data: str  # hex, whole 3bpp tiles
    mode: Literal["low", "high"]


def grade_expand(spec: ExpandSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        mode: Expansion = spec.mode
        want = expand_3bpp(bytes.fromhex(spec.data), mode)
        got = answer_bytes(answer)
        if len(got) != len(want):
            return Verdict.fail("invalid-format", f"{len(want)} bytes expected, the answer has {len(got)}")
        return Verdict.from_checks([_bytes_check("4bpp bytes", got, want)], "wrong-content")

    return _graded(body)


def _bytes_check(name: str, got: bytes, want: bytes) -> CheckResult:
    first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
    if first is None and len(got) == len(want):
        return _same(name, True, "")
    if first is None:
        return _same(name, False, f"{len(got)} bytes, expected {len(want)}")
    return _same(name, False, f"byte {first} is ${got[first]:02X}, expected ${want[first]:02X}")


# -- colours -------------------------------------------------------------------------------------


class WordsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-words"]
    rgb: list[tuple[int, int, int]] = Field(min_length=1)


def grade_words(spec: WordsSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        want = [rgb_to_bgr555(*c) for c in spec.rgb]
        got = answer_words(answer)
        if len(got) != len(want):
            return Verdict.fail("invalid-format", f"{len(want)} words expected, the answer has {len(got)}")
        checks = [
            _same(f"colour {i}", g == w, f"${g:04X}, expected ${w:04X} for RGB{spec.rgb[i]}")
            for i, (g, w) in enumerate(zip(got, want, strict=True))
        ]
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class RgbSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-rgb"]
    words: list[int] = Field(min_length=1)


def grade_rgb(spec: RgbSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        colours = answer_json(answer).get("colours")
        if not isinstance(colours, list) or len(colours) != len(spec.words):
            return Verdict.fail("invalid-format", f'"colours" must list {len(spec.words)} [r, g, b] triples')
        checks = []
        for i, (c, w) in enumerate(zip(colours, spec.words, strict=True)):
            if not (
                isinstance(c, list) and len(c) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in c)
            ):
                return Verdict.fail("invalid-format", f"colour {i} is not [r, g, b] with 0-255 values")
            five = tuple(v >> 3 for v in c)
            checks.append(
                _same(
                    f"colour {i}",
                    five == components(w),
                    f"RGB{tuple(c)} is not ${w:04X} = {components(w)} in 5 bits",
                )
            )
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class ColourExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0)
    rgb: tuple[int, int, int]  # 0-255 per channel
    tolerance: int = 1  # in 5-bit units per channel


class PaletteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-palette"]
    count: int = Field(ge=1, le=256)
    colours: list[ColourExpect] = Field(default_factory=list)
    distinct: bool = False  # colours 1..count-1 must all differ


def grade_palette(spec: PaletteSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        values = answer_words(answer)
        if len(values) != spec.count:
            return Verdict.fail(
                "invalid-format", f"expected {spec.count} colours, the answer has {len(values)}"
            )
        bad = [i for i, v in enumerate(values) if v > 0x7FFF]
        checks = [
            CheckResult(
                name="BGR555 range",
                passed=not bad,
                message=f"colour {bad[0]} = ${values[bad[0]]:04X} sets bit 15" if bad else "",
                details={"code": "invalid-format"},
            )
        ]
        for want in spec.colours:
            if want.index >= len(values):
                checks.append(_same(f"colour {want.index}", False, "missing"))
                continue
            got = components(values[want.index] & 0x7FFF)
            diff = max(abs(g - (w >> 3)) for g, w in zip(got, want.rgb, strict=True))
            checks.append(
                _same(
                    f"colour {want.index}",
                    diff <= want.tolerance,
                    f"expected about RGB{want.rgb}, got ${values[want.index]:04X} = {got} in 5 bits",
                )
            )
        if spec.distinct:
            dupes = len(values[1:]) - len(set(values[1:]))
            checks.append(_same("distinct", dupes == 0, f"{dupes} duplicate colour(s)"))
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class CgramSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-cgram"]
    row: int = Field(ge=0, le=15)
    col: int = Field(ge=0, le=15)

    def expected(self) -> dict[str, Any]:
        offset = cgram_byte(self.row, self.col)
        return {
            "cgram_index": cgram_index(self.row, self.col),
            "cgram_byte": offset,
            "buffer_address": f"${ALTTP_PALETTE_BUFFER + offset:06X}",
        }


def _number(value: Any) -> int | None:
    """An int from 181, "181", "$B5" or "0xB5" (None when it is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        for prefix, base in (("$", 16), ("0x", 16), ("0X", 16)):
            if text.startswith(prefix):
                try:
                    return int(text[len(prefix) :], base)
                except ValueError:
                    return None
        if text.isdigit():
            return int(text)
    return None


def _field_checks(want: dict[str, Any], got: dict[str, Any]) -> list[CheckResult]:
    checks = []
    for key, value in want.items():
        have = got.get(key)
        if isinstance(value, bool):
            ok = have is value
        elif isinstance(value, int):
            ok = _number(have) == value
        elif isinstance(value, str) and value.startswith("$"):
            ok = _number(have) == int(value[1:], 16)
        else:
            ok = str(have).strip().upper() == str(value).upper()
        checks.append(_same(key, ok, f"expected {value!r}, got {have!r}"))
    return checks


def grade_cgram(spec: CgramSpec, answer: str, ctx: GradeContext) -> Verdict:
    return _graded(
        lambda: Verdict.from_checks(_field_checks(spec.expected(), answer_json(answer)), "wrong-content")
    )


# -- tilemap and OAM -------------------------------------------------------------------------------


class TilemapSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-tilemap"]
    mode: Literal["compose", "explain"]
    word: int = Field(ge=0, le=0xFFFF)


def grade_tilemap(spec: TilemapSpec, answer: str, ctx: GradeContext) -> Verdict:
    entry = TilemapEntry.from_word(spec.word)
    want: dict[str, Any] = {"word": f"${spec.word:04X}"} if spec.mode == "compose" else entry.fields()
    return _graded(lambda: Verdict.from_checks(_field_checks(want, answer_json(answer)), "wrong-content"))


class OamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-oam"]
    mode: Literal["compose", "explain"]
    index: int = Field(ge=0, le=127)
    x: int
    y: int
    tile: int
    palette: int = 0
    priority: int = 0
    hflip: bool = False
    vflip: bool = False
    large: bool = False

    def entry(self) -> OamEntry:
        return OamEntry(
            self.x, self.y, self.tile, self.palette, self.priority, self.hflip, self.vflip, self.large
        )

    def expected(self) -> dict[str, Any]:
        e = self.entry()
        if self.mode == "explain":
            return {**e.fields(), "screen_x": e.screen_x()}
        offset, shift = high_table_slot(self.index)
        return {
            "low_bytes": e.low_bytes().hex(" ").upper(),
            "high_bits": e.high_bits(),
            "high_table_byte": offset,
            "high_table_shift": shift,
        }


def grade_oam(spec: OamSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        got = answer_json(answer)
        want = spec.expected()
        if "low_bytes" in want and isinstance(got.get("low_bytes"), str):
            got = {
                **got,
                "low_bytes": " ".join(re.findall(r"[0-9A-Fa-f]{2}", got["low_bytes"].replace("$", ""))),
            }
        return Verdict.from_checks(_field_checks(want, got), "wrong-content")

    return _graded(body)


# -- wrong answers for `triforce eval sensitivity` -----------------------------------------------


def byte_mutants(data: bytes) -> list[tuple[str, str, bytes]]:
    """(operator, description, wrong bytes): one bit flipped, a byte off by one, a byte dropped,
    an extra byte, two neighbours swapped, spread over the data."""
    out: list[tuple[str, str, bytes]] = []
    n = len(data)
    for i in sorted({0, n // 3, n // 2, (2 * n) // 3, n - 1}):
        if not 0 <= i < n:
            continue
        out.append(
            (
                "flip-bit",
                f"byte {i} bit {i % 8}",
                data[:i] + bytes([data[i] ^ (1 << (i % 8))]) + data[i + 1 :],
            )
        )
        out.append(("off-by-one", f"byte {i} + 1", data[:i] + bytes([(data[i] + 1) & 0xFF]) + data[i + 1 :]))
    out.append(("drop-byte", f"byte {n // 2} dropped", data[: n // 2] + data[n // 2 + 1 :]))
    out.append(("extra-byte", "an extra $00", data + b"\x00"))
    for i in range(n - 1):
        if data[i] != data[i + 1]:
            swapped = data[:i] + bytes([data[i + 1], data[i]]) + data[i + 2 :]
            out.append(("swap-bytes", f"bytes {i} and {i + 1} swapped", swapped))
            break
    return out


def json_mutants(ref: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for key, value in ref.items():
        if isinstance(value, bool):
            out.append(("flip-flag", f"{key} flipped", {**ref, key: not value}))
        elif isinstance(value, int):
            out.append(("off-by-one", f"{key} + 1", {**ref, key: value + 1}))
        elif isinstance(value, str):
            digits = re.findall(r"[0-9A-Fa-f]", value)
            if digits:
                last = value.rstrip()[-1]
                bumped = format((int(last, 16) + 1) % 16, "X") if last in "0123456789ABCDEFabcdef" else last
                out.append(("change-digit", f"{key} last digit", {**ref, key: value.rstrip()[:-1] + bumped}))
        out.append(("drop-field", f"{key} missing", {k: v for k, v in ref.items() if k != key}))
    return out


def mutants(reference: str, spec: BaseModel) -> list[tuple[str, str]]:
    """(operator, wrong answer) for `triforce eval sensitivity`: typical mistakes made from the
    reference, keeping only those the codec shows to be wrong (a change that leaves the answer
    meaning the same, like swapping two equal channels, is not a wrong answer)."""
    return [(op, answer) for op, _, answer, wrong in _candidates(spec, reference) if wrong]


def _candidates(spec: BaseModel, reference: str) -> list[tuple[str, str, str, bool]]:
    """(operator, description, changed answer, wrong) for a graphics item."""
    out: list[tuple[str, str, str, bool]] = []
    if isinstance(spec, TileSpec | ExpandSpec):
        data = answer_bytes(reference)
        want = spec.tile_pixels() if isinstance(spec, TileSpec) else None
        for op, what, changed in byte_mutants(data):
            same = False
            if want is not None and len(changed) == len(data):
                same = decode_tiles(changed, spec.bpp) == want  # type: ignore[union-attr]
            out.append((op, what, "```asm\n" + format_db(changed) + "\n```", not same))
    elif isinstance(spec, PixelsSpec):
        tiles = spec.tiles()
        top = (1 << spec.bpp) - 1
        for t in range(len(tiles)):
            for y, x in ((0, 0), (3, 5), (7, 7)):
                wrong = [[row[:] for row in tile] for tile in tiles]
                wrong[t][y][x] = (wrong[t][y][x] + 1) & top
                out.append(
                    (
                        "change-pixel",
                        f"tile {t} pixel ({y}, {x})",
                        "```text\n" + format_tiles(wrong, spec.bpp) + "\n```",
                        True,
                    )
                )
        flipped = [[row[::-1] for row in tile] for tile in tiles]
        out.append(
            (
                "mirror",
                "rows read right to left",
                "```text\n" + format_tiles(flipped, spec.bpp) + "\n```",
                flipped != tiles,
            )
        )
    elif isinstance(spec, WordsSpec | PaletteSpec):
        words = answer_words(reference)
        if isinstance(spec, PaletteSpec):  # the pinned colours, moved just past their tolerance
            for c in spec.colours:
                step = c.tolerance + 1
                for op, channel in (("red", 0), ("blue", 2)):
                    shifted = list(words)
                    five = list(components(shifted[c.index]))
                    five[channel] = (
                        five[channel] + step if five[channel] + step <= 31 else five[channel] - step
                    )
                    shifted[c.index] = five[0] | five[1] << 5 | five[2] << 10
                    out.append(
                        (f"{op}+{step}", f"colour {c.index}", "```asm\n" + format_dw(shifted) + "\n```", True)
                    )
        else:
            for i in sorted({0, len(words) // 2, len(words) - 1}):
                red = list(words)
                red[i] = (red[i] & ~0x1F) | ((red[i] + 1) & 0x1F)
                r, g, b = components(words[i])
                swapped = list(words)
                swapped[i] = b | g << 5 | r << 10
                out.append(("red+1", f"colour {i}", "```asm\n" + format_dw(red) + "\n```", True))
                out.append(
                    ("swap-rb", f"colour {i}", "```asm\n" + format_dw(swapped) + "\n```", swapped != words)
                )
    elif isinstance(spec, RgbSpec | CgramSpec | TilemapSpec | OamSpec):
        ref = answer_json(reference)
        if isinstance(spec, RgbSpec):
            for i in range(len(spec.words)):
                wrong_c = [list(c) for c in ref["colours"]]
                wrong_c[i][0] = min(255, wrong_c[i][0] + 8) if wrong_c[i][0] < 248 else wrong_c[i][0] - 8
                out.append(("red+8", f"colour {i}", json.dumps({"colours": wrong_c}), True))
                as_bgr = [list(c) for c in ref["colours"]]
                as_bgr[i] = as_bgr[i][::-1]
                differs = tuple(v >> 3 for v in as_bgr[i]) != components(spec.words[i])
                out.append(("swap-rb", f"colour {i} as BGR", json.dumps({"colours": as_bgr}), differs))
        else:
            # every field has one right value, so each changed or missing field is wrong
            out += [(op, what, json.dumps(wrong_j), True) for op, what, wrong_j in json_mutants(ref)]
    return out

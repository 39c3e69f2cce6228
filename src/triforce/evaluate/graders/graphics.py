"""Graphics answers: SNES tiles and BGR555 palettes, checked by decoding the bytes.

Tile sizes are format facts (2bpp 16 bytes: planes 0/1 interleaved per row; 4bpp 32 bytes: planes
0/1 then 2/3; ALTTP 3bpp 24 bytes: planes 0/1 then plane 2, one byte per row). A colour is a
little-endian word `0bbbbbgg gggrrrrr`; bit 15 must be clear. The grader decodes what the model
wrote and compares pixels and colours, so "looks like hex" is never enough.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.evaluate.answers import code_blocks
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict

TILE_BYTES = {2: 16, 3: 24, 4: 32}

_DATA_LINE = re.compile(r"^\s*(?:[A-Za-z_]\w*:\s*)?(db|dw)\s+(.+?)\s*(?:;.*)?$", re.IGNORECASE | re.MULTILINE)
_VALUE = re.compile(r"\$[0-9A-Fa-f]+|0x[0-9A-Fa-f]+|%[01]+|\b\d+\b")


class TileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["gfx-tile"]
    bpp: Literal[2, 3, 4]
    tiles: int = Field(1, ge=1)
    # Per tile, 8 rows of 8 hex digits (colour index per pixel); None = only size/range checks.
    pixels: list[list[str]] | None = None
    allowed_colours: list[int] | None = None

    @field_validator("pixels")
    @classmethod
    def _rows(cls, value: list[list[str]] | None) -> list[list[str]] | None:
        for tile in value or []:
            if len(tile) != 8 or any(
                len(row) != 8 or not re.fullmatch(r"[0-9A-Fa-f]{8}", row) for row in tile
            ):
                raise ValueError("each tile is 8 rows of 8 hex digits")
        return value


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


def _parse_values(text: str, directive: str) -> list[int]:
    """Values from `db`/`dw` lines in the answer's code; falls back to bare hex tokens."""
    sources = [b.code for b in code_blocks(text)] or [text]
    values: list[int] = []
    for source in sources:
        for match in _DATA_LINE.finditer(source):
            if match.group(1).lower() != directive:
                continue
            for token in _VALUE.findall(match.group(2)):
                values.append(_number(token))
    if values:
        return values
    digits = 2 if directive == "db" else 4
    for source in sources:
        values += [int(tok, 16) for tok in re.findall(rf"\b(?:\$|0x)?([0-9A-Fa-f]{{{digits}}})\b", source)]
    return values


def _number(token: str) -> int:
    if token.startswith("$"):
        return int(token[1:], 16)
    if token.lower().startswith("0x"):
        return int(token[2:], 16)
    if token.startswith("%"):
        return int(token[1:], 2)
    return int(token)


def decode_tile(data: bytes, bpp: int) -> list[list[int]]:
    """Pixel colour indices (8 rows of 8) of one planar SNES tile."""
    rows: list[list[int]] = []
    for r in range(8):
        planes = [data[2 * r], data[2 * r + 1]]
        if bpp == 3:
            planes.append(data[16 + r])
        elif bpp == 4:
            planes += [data[16 + 2 * r], data[16 + 2 * r + 1]]
        rows.append([sum(((planes[p] >> (7 - x)) & 1) << p for p in range(bpp)) for x in range(8)])
    return rows


def encode_tile(pixels: list[list[int]], bpp: int) -> bytes:
    """The inverse of decode_tile (used to write reference answers)."""
    out = bytearray(TILE_BYTES[bpp])
    for r, row in enumerate(pixels):
        for x, colour in enumerate(row):
            bit = 1 << (7 - x)
            for p in range(bpp):
                if not (colour >> p) & 1:
                    continue
                if p < 2:
                    out[2 * r + p] |= bit
                elif bpp == 3:
                    out[16 + r] |= bit
                else:
                    out[16 + 2 * r + (p - 2)] |= bit
    return bytes(out)


def bgr555_to_rgb(value: int) -> tuple[int, int, int]:
    return ((value & 0x1F) << 3, ((value >> 5) & 0x1F) << 3, ((value >> 10) & 0x1F) << 3)


def grade_tiles(spec: TileSpec, answer: str, ctx: GradeContext) -> Verdict:
    values = _parse_values(answer, "db")
    size = TILE_BYTES[spec.bpp] * spec.tiles
    if not values:
        return Verdict.fail("parse-error", "no tile bytes (db lines or hex bytes) in the answer")
    if any(v > 0xFF for v in values):
        return Verdict.fail("invalid-format", f"a db value exceeds $FF: {max(values):#x}")
    if len(values) != size:
        return Verdict.fail(
            "invalid-format",
            f"{spec.bpp}bpp x {spec.tiles} tile(s) is {size} bytes, the answer has {len(values)}",
        )
    data = bytes(values)
    checks: list[CheckResult] = []
    per = TILE_BYTES[spec.bpp]
    for t in range(spec.tiles):
        got = decode_tile(data[t * per : (t + 1) * per], spec.bpp)
        if spec.pixels is not None:
            want = [[int(ch, 16) for ch in row] for row in spec.pixels[t]]
            bad = [(y, x) for y in range(8) for x in range(8) if got[y][x] != want[y][x]]
            msg = (
                ""
                if not bad
                else f"{len(bad)} pixel(s) differ; first at row {bad[0][0]} col {bad[0][1]}: expected {want[bad[0][0]][bad[0][1]]}, got {got[bad[0][0]][bad[0][1]]}"
            )
            checks.append(
                CheckResult(
                    name=f"tile {t} pixels", passed=not bad, message=msg, details={"code": "wrong-content"}
                )
            )
        if spec.allowed_colours is not None:
            used = {c for row in got for c in row}
            extra = sorted(used - set(spec.allowed_colours))
            checks.append(
                CheckResult(
                    name=f"tile {t} colours",
                    passed=not extra,
                    message=f"uses colour(s) {extra} not allowed" if extra else "",
                    details={"code": "wrong-content"},
                )
            )
    if not checks:
        checks.append(CheckResult(name="size", passed=True))
    return Verdict.from_checks(checks, "wrong-content")


def grade_palette(spec: PaletteSpec, answer: str, ctx: GradeContext) -> Verdict:
    values = _parse_values(answer, "dw")
    if not values:
        return Verdict.fail("parse-error", "no colours (dw lines or 4-digit hex words) in the answer")
    if len(values) != spec.count:
        return Verdict.fail("invalid-format", f"expected {spec.count} colours, the answer has {len(values)}")
    checks: list[CheckResult] = []
    bad = [i for i, v in enumerate(values) if v > 0x7FFF]
    checks.append(
        CheckResult(
            name="BGR555 range",
            passed=not bad,
            message=f"colour {bad[0]} = ${values[bad[0]]:04X} sets bit 15" if bad else "",
            details={"code": "invalid-format"},
        )
    )
    for want in spec.colours:
        if want.index >= len(values):
            checks.append(
                CheckResult(
                    name=f"colour {want.index}",
                    passed=False,
                    message="missing",
                    details={"code": "wrong-content"},
                )
            )
            continue
        got = bgr555_to_rgb(values[want.index] & 0x7FFF)
        diff = max(abs((g >> 3) - (w >> 3)) for g, w in zip(got, want.rgb, strict=True))
        checks.append(
            CheckResult(
                name=f"colour {want.index}",
                passed=diff <= want.tolerance,
                message=""
                if diff <= want.tolerance
                else f"expected about RGB{want.rgb}, got RGB{got} (${values[want.index]:04X})",
                details={"code": "wrong-content"},
            )
        )
    if spec.distinct:
        body = values[1:]
        dupes = len(body) - len(set(body))
        checks.append(
            CheckResult(
                name="distinct",
                passed=dupes == 0,
                message=f"{dupes} duplicate colour(s)" if dupes else "",
                details={"code": "wrong-content"},
            )
        )
    return Verdict.from_checks(checks, "wrong-content")

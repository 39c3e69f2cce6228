"""Compression answers, graded by the game's format (`triforce.compress`):

- `lz-decompress`: the output bytes of a stream, byte for byte (`db` lines).
- `lz-compress`: any stream is right that decompresses to the data, ends at its `$FF`, copies
  only written output, uses commands 0-4 and is at most `max_bytes` long (many answers pass).
- `lz-explain`: the command table (`offset header command length argument output` per line, as
  `triforce lz explain` prints it), every row checked against the walk of the stream.
- `lz-corrupt`: JSON `{"offset": N, "problem": "truncated" | "copy-unwritten" | "output-limit"}`.
- `lz-header`: JSON `{"header": "E4 20"}` (encode) or `{"command": c, "length": n}` (decode).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triforce.compress import CorruptStream, check_stream, decompress, encode_header, parse_stream
from triforce.compress.explain import table_problems
from triforce.compress.format import MAX_OUTPUT, decode_header
from triforce.evaluate.answers import code_blocks, strip_thinking
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.graders.graphics import (
    _bytes_check,
    _graded,
    _same,
    answer_bytes,
    answer_json,
    byte_mutants,
    json_mutants,
)
from triforce.evaluate.verdict import Verdict
from triforce.gfx.text import format_db

Variant = Literal["gfx", "bank02"]


class DecompressSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lz-decompress"]
    stream: str  # hex
    variant: Variant = "gfx"

    def expected(self) -> bytes:
        return decompress(bytes.fromhex(self.stream), self.variant)


def grade_decompress(spec: DecompressSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        want = spec.expected()
        got = answer_bytes(answer)
        if len(got) != len(want):
            return Verdict.fail("invalid-format", f"{len(want)} bytes expected, the answer has {len(got)}")
        return Verdict.from_checks([_bytes_check("output", got, want)], "wrong-content")

    return _graded(body)


class CompressSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lz-compress"]
    data: str  # hex
    variant: Variant = "gfx"
    max_bytes: int = Field(ge=1)


def grade_compress(spec: CompressSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        stream = answer_bytes(answer)
        problems = check_stream(stream, bytes.fromhex(spec.data), spec.variant)
        checks = [_same("decompresses to the data", not problems, "; ".join(problems))]
        checks.append(
            _same(
                "size",
                len(stream) <= spec.max_bytes,
                f"{len(stream)} bytes, at most {spec.max_bytes} allowed",
            )
        )
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class ExplainSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lz-explain"]
    stream: str
    variant: Variant = "gfx"


def grade_explain(spec: ExplainSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        walked = parse_stream(bytes.fromhex(spec.stream), spec.variant)
        texts = [b.code for b in code_blocks(answer)] + [strip_thinking(answer)]
        best: list[str] | None = None
        for text in texts:
            problems = table_problems(text, walked)
            if best is None or len(problems) < len(best):
                best = problems
        problems = best or []
        checks = [_same("command table", not problems, "; ".join(problems[:3]))]
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class CorruptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lz-corrupt"]
    stream: str
    variant: Variant = "gfx"
    limit: int = Field(MAX_OUTPUT, ge=1, le=MAX_OUTPUT)

    def expected(self) -> dict[str, Any]:
        try:
            parse_stream(bytes.fromhex(self.stream), self.variant, limit=self.limit)
        except CorruptStream as exc:
            return {"offset": exc.offset, "problem": exc.code}
        raise ValueError("the item's stream is not corrupt")


def grade_corrupt(spec: CorruptSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        got = answer_json(answer)
        want = spec.expected()
        checks = [
            _same(
                "offset",
                got.get("offset") == want["offset"],
                f"expected {want['offset']}, got {got.get('offset')!r}",
            ),
            _same(
                "problem",
                got.get("problem") == want["problem"],
                f"expected {want['problem']}, got {got.get('problem')!r}",
            ),
        ]
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


class HeaderSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lz-header"]
    header: str | None = None  # hex: decode it
    command: int | None = Field(None, ge=0, le=7)  # with length: encode it
    length: int | None = Field(None, ge=1, le=1024)

    def expected(self) -> dict[str, Any]:
        if self.header is not None:
            code, length, _ = decode_header(bytes.fromhex(self.header))
            return {"command": code, "length": length}
        if self.command is None or self.length is None:
            raise ValueError("an lz-header item gives a header, or a command and a length")
        return {"header": encode_header(self.command, self.length).hex(" ").upper()}


def grade_header(spec: HeaderSpec, answer: str, ctx: GradeContext) -> Verdict:
    def body() -> Verdict:
        got = answer_json(answer)
        want = spec.expected()
        if "header" in want:
            raw = str(got.get("header", ""))
            have = " ".join(re.findall(r"[0-9A-Fa-f]{2}", raw.replace("$", "").replace("0x", ""))).upper()
            return Verdict.from_checks(
                [_same("header", have == want["header"], f"expected {want['header']}, got {raw!r}")],
                "wrong-content",
            )
        checks = [_same(k, got.get(k) == v, f"expected {v}, got {got.get(k)!r}") for k, v in want.items()]
        return Verdict.from_checks(checks, "wrong-content")

    return _graded(body)


def mutants(reference: str, spec: BaseModel) -> list[tuple[str, str]]:
    """(operator, wrong answer) for `triforce eval sensitivity`, keeping only the changes the codec
    shows to be wrong (a changed stream that still decompresses to the data within the size is a
    right answer, not a mutant)."""
    return [(op, answer) for op, _, answer, wrong in _candidates(spec, reference) if wrong]


def _candidates(spec: BaseModel, reference: str) -> list[tuple[str, str, str, bool]]:
    out: list[tuple[str, str, str, bool]] = []
    if isinstance(spec, DecompressSpec | CompressSpec):
        data = answer_bytes(reference)
        for op, what, changed in byte_mutants(data):
            if isinstance(spec, DecompressSpec):
                bad = changed != spec.expected()
            else:
                bad = (
                    bool(check_stream(changed, bytes.fromhex(spec.data), spec.variant))
                    or len(changed) > spec.max_bytes
                )
            out.append((op, what, "```asm\n" + format_db(changed) + "\n```", bad))
    elif isinstance(spec, ExplainSpec):
        lines = strip_thinking(reference).splitlines()
        walked = parse_stream(bytes.fromhex(spec.stream), spec.variant)
        for i, line in enumerate(lines):
            m = re.search(r"\s(\d+)\s{2}", line)
            if not m or i == 0:
                continue
            bumped = line[: m.start(1)] + str(int(m.group(1)) + 1) + line[m.end(1) :]
            wrong = "\n".join([*lines[:i], bumped, *lines[i + 1 :]])
            out.append(("length+1", f"row {i}", wrong, bool(table_problems(wrong, walked))))
            dropped = "\n".join([*lines[:i], *lines[i + 1 :]])
            out.append(("drop-row", f"row {i}", dropped, bool(table_problems(dropped, walked))))
    elif isinstance(spec, CorruptSpec | HeaderSpec):
        ref = answer_json(reference)
        for op, what, wrong_j in json_mutants(ref):
            out.append((op, what, json.dumps(wrong_j), wrong_j != spec.expected()))
    return out

"""Dialogue answers graded by the text engine (`triforce.text`): never by wording.

Tasks (`task` in the spec):
- `voice`: a message in a character's voice (`triforce/text/voices.yaml`) carrying `facts`;
- `write`: a message carrying `facts` within `max_lines` (no voice asked);
- `fit`: the given running text (`words`) laid out in the box;
- `fix`: `broken` re-wrapped so every line fits, its words kept;
- `encode`: the bytes of `message` (the canonical encoding: `mode` none or greedy with `dictionary`);
- `decode`: the text of `bytes` (any spelling of the same tokens passes).
Every message must lay out cleanly: lines of at most 168 px (`name_px` for [L]), no line scrolled
away before a key press, no text left under new text, choices last.

`mutants` makes typical wrong answers from a reference (a joined line, a dropped pause, a fact
swapped, a word dropped, a byte off by one, ...) for `triforce eval sensitivity`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from triforce.errors import InputError
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.text import Dictionary, LayoutRules, compress, expand, from_bytes, parse, to_bytes
from triforce.text.extract import extract_bytes, extract_message
from triforce.text.requirements import Requirements, verify
from triforce.text.voice import plain, voices

Task = Literal["voice", "write", "fit", "fix", "encode", "decode"]


class DialogueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["dialogue"]
    task: Task
    voice: str | None = None
    facts: list[str] = Field(default_factory=list)
    words: str | None = None
    broken: str | None = None
    message: str | None = None
    bytes: str | None = None  # hex
    mode: Literal["none", "greedy"] = "none"
    dictionary: list[str] | None = None
    name_px: int = Field(42, ge=0, le=168)
    max_lines: int | None = Field(None, ge=1)
    max_bytes: int | None = Field(None, ge=1)

    def dict_(self) -> Dictionary | None:
        return Dictionary.from_strings(self.dictionary) if self.dictionary else None


def _check(name: str, problems: list[str], code: str) -> CheckResult:
    return CheckResult(
        name=name, passed=not problems, message="; ".join(problems[:3]), details={"code": code}
    )


def grade_dialogue(spec: DialogueSpec, answer: str, ctx: GradeContext) -> Verdict:
    dictionary = spec.dict_()
    rules = LayoutRules(name_px=spec.name_px)
    if spec.task == "encode":
        data = extract_bytes(answer)
        if data is None:
            return Verdict.fail("no-code", "no `db $hh, ...` lines in the answer")
        expected = to_bytes(compress(parse(spec.message or ""), dictionary, spec.mode))
        problems = [] if data == expected else [_byte_diff(data, expected)]
        return Verdict.from_checks([_check("bytes", problems, "wrong-content")], "wrong-content")
    message = extract_message(answer)
    if message is None:
        return Verdict.fail("no-code", "no ```text block (or one-line message) in the answer")
    try:
        tokens = parse(message)
    except InputError as exc:
        return Verdict.fail("parse-error", f"the message does not parse: {exc}")
    if spec.task == "decode":
        want, _ = from_bytes(bytes.fromhex(spec.bytes or "7f"))
        got = tokens
        if dictionary is not None:
            want, got = expand(want, dictionary), expand(got, dictionary)
        ok = got == want
        return Verdict.from_checks(
            [_check("text", [] if ok else ["the text is not what the bytes say"], "wrong-content")],
            "wrong-content",
        )
    checks = [
        _check(
            "layout",
            verify(message, Requirements(rules=rules, max_lines=spec.max_lines), dictionary),
            "invalid-format",
        )
    ]
    if spec.voice is not None:
        if spec.voice not in voices():
            return Verdict.fail("invalid-format", f"unknown voice {spec.voice!r} in the item")
        checks.append(_check("voice", _voice_only(message, spec.voice, rules, dictionary), "wrong-content"))
    if spec.facts:
        checks.append(_check("facts", _facts(message, spec.facts, rules, dictionary), "fact-contradiction"))
    target = spec.words if spec.task == "fit" else spec.broken if spec.task == "fix" else None
    if target is not None:
        same = plain(message) == plain(target)
        checks.append(
            _check(
                "words", [] if same else ["the words differ from the text it had to keep"], "wrong-content"
            )
        )
    if spec.max_bytes is not None:
        size = len(to_bytes(compress(tokens, dictionary, "greedy")))
        checks.append(
            _check(
                "bytes",
                [] if size <= spec.max_bytes else [f"{size} bytes; the budget is {spec.max_bytes}"],
                "invalid-format",
            )
        )
    return Verdict.from_checks(checks, "wrong-content")


def _facts(message: str, facts: list[str], rules: LayoutRules, dictionary: Dictionary | None) -> list[str]:
    return [
        p
        for p in verify(message, Requirements(rules=rules, facts=tuple(facts), warnings_ok=True), dictionary)
        if p.startswith("does not mention")
    ]


def _voice_only(message: str, voice: str, rules: LayoutRules, dictionary: Dictionary | None) -> list[str]:
    layout_only = set(verify(message, Requirements(rules=rules, warnings_ok=True), dictionary))
    return [
        p
        for p in verify(message, Requirements(rules=rules, voice=voice, warnings_ok=True), dictionary)
        if p not in layout_only
    ]


def _byte_diff(got: bytes, want: bytes) -> str:
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"byte {i}: ${a:02X} where the message needs ${b:02X}"
    return f"{len(got)} bytes where the message needs {len(want)}"


# --- sensitivity: typical wrong answers made from a reference --------------------------------

_LINE_BREAK = re.compile(r"\n?\[(?:2|3|V)\]")


def _swap_message(reference: str, new: str) -> str:
    old = extract_message(reference) or ""
    return reference.replace(old, new, 1) if old else new


def mutants(reference: str, spec: DialogueSpec) -> list[tuple[str, str]]:
    """(operator, wrong answer) pairs: each one is wrong by construction for this task."""
    out: list[tuple[str, str]] = []
    if spec.task == "encode":
        data = extract_bytes(reference) or b""
        for name, wrong in (
            (
                "byte-off-by-one",
                bytes([*data[:1], (data[1] + 1) & 0xFF, *data[2:]]) if len(data) > 1 else b"",
            ),
            ("drop-end-byte", data[:-1]),
            ("drop-byte", data[:1] + data[2:]),
            ("swap-bytes", data[1:2] + data[:1] + data[2:] if len(data) > 2 and data[0] != data[1] else b""),
        ):
            if wrong and wrong != data:
                lines = "\n".join(
                    "db " + ", ".join(f"${b:02X}" for b in wrong[i : i + 16])
                    for i in range(0, len(wrong), 16)
                )
                out.append((name, f"```asm\n{lines}\n```"))
        return out
    message = extract_message(reference) or ""
    if spec.task == "decode":
        for name, bad in (
            ("change-letter", re.sub(r"[a-z]", lambda m: m.group(0).upper(), message, count=1)),
            ("drop-command", re.sub(r"\[[^\]]+\]", "", message, count=1)),
            ("drop-last-char", message[:-1] if not message.endswith("]") else message + "!"),
            ("line-2-for-3", message.replace("[2]", "[3]", 1) if "[2]" in message else message + "[K]"),
        ):
            if bad != message:
                out.append((name, _swap_message(reference, bad)))
        return out
    breaks = list(_LINE_BREAK.finditer(message))
    if breaks:
        m = breaks[len(breaks) // 2]
        out.append(("join-lines", _swap_message(reference, message[: m.start()] + " " + message[m.end() :])))
    if "[K]" in message and message.index("[K]") < len(message) - 3:
        out.append(("drop-pause", _swap_message(reference, message.replace("[K]", "", 1))))
    first_line = message.split("\n", 1)
    out.append(
        (
            "overlong-line",
            _swap_message(
                reference,
                first_line[0]
                + " and then it keeps going far past the edge"
                + ("\n" + first_line[1] if len(first_line) > 1 else ""),
            ),
        )
    )
    if spec.task in ("fit", "fix"):
        words = message.split(" ")
        if len(words) > 3:
            out.append(("drop-word", _swap_message(reference, " ".join(words[:2] + words[3:]))))
    if spec.task == "fix" and spec.broken:
        out.append(("unfixed", _swap_message(reference, spec.broken)))
    for fact in spec.facts:
        swapped = _swap_fact(message, fact)
        if swapped != message:
            out.append(("swap-fact", _swap_message(reference, swapped)))
            break
    if spec.voice is not None:
        profile = voices()[spec.voice]
        stripped = message
        for marker in profile.markers:
            stripped = re.sub(rf"\b{re.escape(marker)}\b", "", stripped, flags=re.IGNORECASE)
        if stripped != message:
            out.append(("drop-voice-markers", _swap_message(reference, stripped)))
    return out


_OTHER = {"north": "south", "south": "north", "east": "west", "west": "east"}


def _swap_fact(message: str, fact: str) -> str:
    """Every spelling of `fact` (across a line break too) replaced by a wrong value."""
    other = _OTHER.get(fact.lower())
    if other is None:
        digits = re.search(r"\d+", fact)
        other = fact.replace(digits.group(0), str(int(digits.group(0)) + 5)) if digits else "somewhere else"
    pattern = r"(?:\s|\n?\[(?:2|3|V|K)\])+".join(re.escape(w) for w in fact.split())
    return re.sub(rf"\b{pattern}\b", other, message, flags=re.IGNORECASE)

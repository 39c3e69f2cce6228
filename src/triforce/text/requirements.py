"""What a message must satisfy, checked by the engine: it parses, its box layout is clean, it
speaks in a voice, it says the facts it must, it keeps the words it was given, it fits a byte
budget. Plain data in, a list of problems out (empty: it holds). Generators prove their
dialogue with it and the dialogue grader grades with it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triforce.errors import InputError
from triforce.text.codec import compress, to_bytes
from triforce.text.dictionary import Dictionary
from triforce.text.layout import LayoutRules, check
from triforce.text.tokens import parse
from triforce.text.voice import check_voice, plain, voices


@dataclass(frozen=True)
class Requirements:
    rules: LayoutRules = field(default_factory=LayoutRules)
    warnings_ok: bool = False  # False: no layout problem at all, not even scrolled-unread
    voice: str | None = None  # a key of triforce.text.voice.voices()
    facts: tuple[str, ...] = ()  # phrases that must appear (case-insensitive, whole words)
    words: str | None = None  # the message's words must be exactly these
    max_bytes: int | None = None  # encoded size, greedy with `dictionary` (none: characters only)
    max_lines: int | None = None


def normal_words(text: str) -> str:
    """Words for comparison: the plain text with spacing collapsed."""
    return re.sub(r"\s+", " ", text).strip()


_NOT_WORD = re.compile(r"[^a-z0-9\[\]' ]")


def _comparable(text: str) -> str:
    """Lowercase words without punctuation, for finding a fact in a message."""
    return normal_words(_NOT_WORD.sub(" ", text.lower()))


def verify(message: str, req: Requirements, dictionary: Dictionary | None = None) -> list[str]:
    """Problems with `message` (readable syntax) under `req`."""
    try:
        tokens = parse(message)
    except InputError as exc:
        return [f"does not parse: {exc}"]
    try:
        layout = check(tokens, req.rules, dictionary)
    except InputError as exc:
        return [str(exc)]
    problems = [p.message for p in layout.problems if not (req.warnings_ok and p.severity == "warning")]
    if not layout.lines:
        problems.append("the message shows no text")
    if req.max_lines is not None and len(layout.lines) > req.max_lines:
        problems.append(f"{len(layout.lines)} lines; at most {req.max_lines}")
    text = plain(message)
    if req.voice is not None:
        profile = voices().get(req.voice)
        if profile is None:
            problems.append(f"unknown voice {req.voice!r}")
        else:
            problems += check_voice(message, profile)
            if len(layout.lines) > profile.max_lines:
                problems.append(f"{len(layout.lines)} lines; {profile.name} says at most {profile.max_lines}")
    low = f" {_comparable(text)} "
    for fact in req.facts:
        if f" {_comparable(fact)} " not in low:
            problems.append(f"does not mention {fact!r}")
    if req.words is not None and normal_words(text) != normal_words(req.words):
        problems.append("the words differ from the text it had to keep")
    if req.max_bytes is not None:
        size = len(to_bytes(compress(tokens, dictionary, "greedy")))
        if size > req.max_bytes:
            problems.append(f"{size} bytes; the budget is {req.max_bytes}")
    return problems

"""Reading a message or its bytes out of prose (what a person or a model answered): the first
fenced block tagged `text` (or untagged), and `db $hh, ...` lines. Bounded: answers are
untrusted input."""

from __future__ import annotations

import re

MAX_ANSWER = 64 * 1024
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(
    r"^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE
)
_TEXT_LANGS = ("text", "txt", "message", "alttp", "")
_DB = re.compile(r"^\s*(?:[A-Za-z_]\w*:\s*)?db\s+(.+?)\s*(?:;.*)?$", re.IGNORECASE | re.MULTILINE)
_BYTE = re.compile(r"^(?:\$|0x)?([0-9A-Fa-f]{1,2})$")


def _clean(answer: str) -> str:
    return _THINK.sub("", answer[:MAX_ANSWER])


def blocks(answer: str) -> list[tuple[str, str]]:
    """(language tag, content) of every fenced block, in order."""
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(_clean(answer))]


def extract_message(answer: str) -> str | None:
    """The message an answer gives: the first ```text (or untagged) block, trailing newline
    removed; a one-line answer without any block is taken whole."""
    for lang, body in blocks(answer):
        if lang in _TEXT_LANGS:
            return body.rstrip("\n")
    text = _clean(answer).strip()
    if text and "\n" not in text and "```" not in text:
        return text
    return None


def extract_bytes(answer: str) -> bytes | None:
    """The bytes of the `db` lines in an answer (all of them, in order); None when there are none
    or a value is not a byte."""
    text = _clean(answer)
    out = bytearray()
    found = False
    for m in _DB.finditer(text):
        found = True
        for value in (v.strip() for v in m.group(1).split(",")):
            b = _BYTE.match(value)
            if not b:
                return None
            out.append(int(b.group(1), 16))
    return bytes(out) if found else None

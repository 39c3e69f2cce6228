"""A message as tokens, and the readable `[TOKEN]` syntax people and models write.

A message is a list of `Token`s without its end byte ($7F is added when bytes are made):
characters (`char`, a byte $00-$66), commands (`cmd`, $67-$7E, with an argument byte for the
eight that take one) and dictionary references (`dict`, entry i is byte $88 + i).

Readable syntax (what `format_tokens` writes and `parse` reads):
- characters as themselves (`A-Z a-z 0-9 ! ? - . , > ( ) " ' < space`), the rest as yaze's
  tokens (`[...]`, `[UP]`, `[A]`, `[HP4L]`, `[HY0]`, `[LFL]`, `[$5F]` for glyph-less bytes);
- commands as yaze writes them: `[K]`, `[V]`, `[L]`, `[1]`-`[3]`, `[W:02]`, `[S:03]` (hex
  argument); zelda3's names are accepted too (`[Waitkey]`, `[Scroll]`, `[Name]`, `[Speed 03]`
  with a decimal argument), case-insensitively;
- dictionary references as `[D:2C]` (hex index);
- `[END]` may close the text; a newline is allowed only right before `[1]`, `[2]`, `[3]` or `[V]`
  (so a long message can be written one box line per text line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from triforce.errors import InputError
from triforce.text.charset import CHAR_LIMIT, GLYPHS
from triforce.text.commands import BY_CODE, COMMANDS, END, command

TokenKind = Literal["char", "cmd", "dict"]


class TextSyntaxError(InputError):
    """The readable text cannot be turned into tokens (the message names the column)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message if column is None else f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    value: int  # character byte, command byte, or dictionary index
    arg: int | None = None  # the argument byte of a command that takes one

    def __post_init__(self) -> None:
        if self.kind == "char" and not 0 <= self.value < CHAR_LIMIT:
            raise ValueError(f"${self.value:02X} is not a character byte")
        if self.kind == "cmd":
            cmd = command(self.value)
            if cmd.has_arg != (self.arg is not None):
                raise ValueError(f"command ${self.value:02X} [{cmd.token}] arg mismatch")
            if self.arg is not None and not 0 <= self.arg <= 0xFF:
                raise ValueError(f"argument {self.arg} is not a byte")
        if self.kind == "dict" and not 0 <= self.value < 0x77:
            raise ValueError(f"dictionary index {self.value} out of range ($88 + i must stay below $FF)")

    @property
    def size(self) -> int:
        """Bytes this token takes in the ROM."""
        return 2 if self.arg is not None else 1


def char(code: int) -> Token:
    if 0 <= code < CHAR_LIMIT:
        return _CHARS[code]
    return Token("char", code)  # raises


def cmd(code: int, arg: int | None = None) -> Token:
    if arg is None and code in _CMDS:
        return _CMDS[code]
    return Token("cmd", code, arg)


def ref(index: int) -> Token:
    return Token("dict", index)


_CHARS: tuple[Token, ...] = tuple(Token("char", c) for c in range(CHAR_LIMIT))
_CMDS: dict[int, Token] = {c.code: Token("cmd", c.code) for c in COMMANDS if not c.has_arg}


def _names() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(bracket name -> glyph code, bracket name -> command code, single character -> glyph code)."""
    glyph_names: dict[str, int] = {}
    singles: dict[str, int] = {}
    for g in GLYPHS:
        for spelling in (g.text, *g.aliases):
            if spelling.startswith("["):
                glyph_names[spelling[1:-1].upper()] = g.code
            else:
                singles[spelling] = g.code
    cmd_names: dict[str, int] = {}
    for c in COMMANDS:
        for spelling in (c.token, *c.aliases):
            key = spelling.upper()
            assert key not in cmd_names and key not in glyph_names, key
            cmd_names[key] = c.code
    return glyph_names, cmd_names, singles


_GLYPH_NAMES, _CMD_NAMES, _SINGLES = _names()
_HEX_ARG = re.compile(r"^([^:\s]+):\$?([0-9A-Fa-f]{1,2})$")
_DEC_ARG = re.compile(r"^([^:\s]+) (\d{1,3})$")
_HINTS = {
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "—": "-",
    "–": "-",
    "\t": "a space",
    ":": "a full stop or comma (the font has no colon)",
    ";": "a comma (the font has no semicolon)",
}


def _bracket(body: str, column: int) -> Token:
    upper = body.upper()
    if upper in _GLYPH_NAMES:
        return char(_GLYPH_NAMES[upper])
    if upper.startswith("$") and re.fullmatch(r"\$[0-9A-F]{2}", upper):
        code = int(upper[1:], 16)
        if code >= CHAR_LIMIT:
            raise TextSyntaxError(
                f"[{body}]: a raw byte token names a character $00-$66; write the command's token", column
            )
        return char(code)
    m = _HEX_ARG.match(body)
    name, arg, base = (m.group(1), m.group(2), 16) if m else (body, None, 0)
    if not m and (d := _DEC_ARG.match(body)):
        name, arg, base = d.group(1), d.group(2), 10
    key = name.upper()
    if key == "D":
        if arg is None or base != 16:
            raise TextSyntaxError(f"[{body}]: a dictionary reference is [D:HH] with a hex index", column)
        index = int(arg, 16)
        if index >= 0x77:
            raise TextSyntaxError(
                f"[{body}]: dictionary index ${index:02X} is past the last byte $FE", column
            )
        return ref(index)
    if key == "BANK":
        raise TextSyntaxError(
            "[BANK]: the bank switch ($80) sits between messages and is placed by the packer, "
            "not written inside a message",
            column,
        )
    if key not in _CMD_NAMES:
        raise TextSyntaxError(f"unknown token [{body}]", column)
    info = BY_CODE[_CMD_NAMES[key]]
    if info.has_arg and arg is None:
        raise TextSyntaxError(f"[{body}]: {info.name} takes an argument byte, e.g. [{info.token}:00]", column)
    if not info.has_arg and arg is not None:
        raise TextSyntaxError(f"[{body}]: {info.name} takes no argument; write [{info.token}]", column)
    value = int(arg, base) if arg is not None else None
    if value is not None and value > 0xFF:
        raise TextSyntaxError(f"[{body}]: argument {value} does not fit in a byte", column)
    return cmd(info.code, value)


def parse(text: str) -> list[Token]:
    """Readable text -> tokens (TextSyntaxError names the column of the first problem)."""
    out: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        column = i + 1
        if ch == "[":
            close = text.find("]", i + 1)
            nested = text.find("[", i + 1)
            if close < 0 or (0 <= nested < close):
                raise TextSyntaxError("'[' without a closing ']'", column)
            body = text[i + 1 : close]
            if body == "...":
                out.append(char(0x43))
            else:
                out.append(_bracket(body, column))
            i = close + 1
            continue
        if ch in "\r\n":
            j = i
            while j < n and text[j] in "\r\n":
                j += 1
            if j == n or _starts_line(text, j):
                i = j
                continue
            raise TextSyntaxError(
                "a newline is not a text command: start a box line with [2], [3] or [V]", column
            )
        if ch == "]":
            raise TextSyntaxError("']' without an opening '['", column)
        if ch in _SINGLES:
            out.append(char(_SINGLES[ch]))
            i += 1
            continue
        hint = _HINTS.get(ch)
        raise TextSyntaxError(
            f"{ch!r} is not in the font" + (f"; use {hint}" if hint else ""),
            column,
        )
    end = _CMDS[END]
    if out and out[-1] is end:
        out.pop()
    if any(t is end for t in out):
        raise TextSyntaxError("[END] may only close the text")
    return out


def _starts_line(text: str, at: int) -> bool:
    """Does a line command ([1]-[3], [V] or an alias) start at `at`?"""
    close = text.find("]", at)
    if not text.startswith("[", at) or close < 0:
        return False
    return _CMD_NAMES.get(text[at + 1 : close].upper()) in (0x73, 0x74, 0x75, 0x76)


def _token_text(tok: Token) -> str:
    if tok.kind == "char":
        return GLYPHS[tok.value].text
    if tok.kind == "dict":
        return f"[D:{tok.value:02X}]"
    info = BY_CODE[tok.value]
    return f"[{info.token}:{tok.arg:02X}]" if tok.arg is not None else f"[{info.token}]"


def format_tokens(tokens: Iterable[Token], newlines: bool = False) -> str:
    """Tokens -> readable text (yaze's tokens). `newlines` puts each box line on its own text
    line (a newline before `[1]`-`[3]` and `[V]`), which `parse` reads back unchanged."""
    parts: list[str] = []
    for tok in tokens:
        if newlines and parts and tok.kind == "cmd" and tok.value in (0x73, 0x74, 0x75, 0x76):
            parts.append("\n")
        parts.append(_token_text(tok))
    return "".join(parts)


def token_text(tok: Token) -> str:
    """One token in the readable syntax."""
    return _token_text(tok)

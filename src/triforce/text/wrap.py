"""Fit running text into the box: break it into lines of at most `max_px` and pace it with a
key press every three lines, the way the vanilla messages are built (line 1, `[2]`, `[3]`,
then `[K][V]` and `[V]` for each following line).
"""

from __future__ import annotations

from collections.abc import Sequence

from triforce.errors import InputError
from triforce.text.charset import SPACE, width
from triforce.text.commands import BY_CODE
from triforce.text.layout import LayoutRules
from triforce.text.tokens import Token, cmd, format_tokens, parse

_BREAKS = frozenset({0x73, 0x74, 0x75, 0x76, 0x7E})  # line and pause commands: replaced by the fit


def _px(tok: Token, rules: LayoutRules) -> int:
    if tok.kind == "char":
        return width(tok.value) or 8
    kind = BY_CODE[tok.value].kind
    return rules.name_px if kind == "name" else rules.number_px if kind == "number" else 0


def words(tokens: Sequence[Token]) -> list[list[Token]]:
    """Runs of tokens between spaces and line/pause commands (settings ride with the next word)."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    for tok in tokens:
        if (tok.kind == "char" and tok.value == SPACE) or (tok.kind == "cmd" and tok.value in _BREAKS):
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(tok)
    if cur:
        out.append(cur)
    return out


def break_lines(tokens: Sequence[Token], rules: LayoutRules | None = None) -> list[list[Token]]:
    """Greedy word wrap by pixel width (one space between words)."""
    rules = rules or LayoutRules()
    space = width(SPACE) or 4
    lines: list[list[Token]] = []
    cur: list[Token] = []
    px = 0
    for word in words(tokens):
        w = sum(_px(t, rules) for t in word)
        if w > rules.max_px:
            text = format_tokens(word)
            raise InputError(f"the word {text!r} is {w} px, wider than a whole line ({rules.max_px} px)")
        if cur and px + space + w <= rules.max_px:
            cur += [Token("char", SPACE), *word]
            px += space + w
        else:
            if cur:
                lines.append(cur)
            cur, px = list(word), w
    if cur:
        lines.append(cur)
    return lines


def pace(
    lines: Sequence[Sequence[Token]], lines_per_pause: int = 3, end_with_key: bool = False
) -> list[Token]:
    """Join lines with the vanilla pattern: [2], [3], then [K][V] after every `lines_per_pause`
    lines and [V] between the others."""
    out: list[Token] = []
    for i, line in enumerate(lines):
        if i == 1:
            out.append(cmd(0x75))
        elif i == 2:
            out.append(cmd(0x76))
        elif i >= 3:
            if i % lines_per_pause == 0:
                out.append(cmd(0x7E))
            out.append(cmd(0x73))
        out.extend(line)
    if end_with_key and lines:
        out.append(cmd(0x7E))
    return out


def fit(
    text: str | Sequence[Token], rules: LayoutRules | None = None, end_with_key: bool = False
) -> list[Token]:
    """Running text (line and pause commands in it are dropped) -> a paced message whose every
    line fits. Setting commands at the very start ([W:..], [S:..]) stay at the start."""
    tokens = parse(text) if isinstance(text, str) else list(text)
    head: list[Token] = []
    while tokens and tokens[0].kind == "cmd" and BY_CODE[tokens[0].value].kind == "setting":
        head.append(tokens.pop(0))
    return head + pace(break_lines(tokens, rules), end_with_key=end_with_key)

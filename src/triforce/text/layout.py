"""Render a message line by line the way the game's text box does, and say what does not fit.

The box (usdasm `bank_0E.asm`, `RenderText_*`): three rows of 21 tiles = 168 px; `[1]`-`[3]`
move the pen to the start of a row; `[V]` scrolls the whole box up one row (the top row's text
is gone) and continues at the start of the bottom row; `[K]` waits for a key, `[WT:..]` for a
timer, and the pen stays put (text after them continues the same line); a choice command waits for the player's pick and closes the message; each character
advances the pen by its width in the VWF table.

Problems found (`Problem.code`):
- `overflow`: a line wider than 168 px (the player's name counts `name_px`, a number digit 6 px);
- `scrolled-unread` (a warning): a `[V]` pushes out a line written since the last pause, so the
  player never gets a key press to read it (vanilla does it once, for a dramatic `…` beat in
  $0018; hacks that use `[V]` as a plain line break lose the line above);
- `overwrite`: a line written onto a row whose earlier text reaches further right than the new
  line covers (each glyph repaints its own columns, so a row is cleared by writing spaces over
  it, as the vanilla messages do; what sticks out stays visible);
- `choice-not-last`: anything after a choice command (the game closes the message on the pick);
- `choice-rows`: the option rows of a choice do not start with the arrow column the game
  redraws (e.g. `    >` / six spaces for `[CH2I]`, see `CHOICE_ROWS`);
- `no-width`: a character without a VWF width ($63-$66);
- `unused-command`: `[NONO]` (crashes), `[MARK]`, `[MARK2]`, `[CLR]`.
Nothing here depends on a dictionary except expanding references (pass one when the tokens
still have `[D:..]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from triforce.errors import InputError
from triforce.text.charset import LINE_PX, SPACE, width
from triforce.text.codec import expand, from_bytes
from triforce.text.commands import BY_CODE, LINE_ROW
from triforce.text.dictionary import Dictionary
from triforce.text.tokens import Token, parse, token_text

ARROW = 0x44  # '>'
ARROW_PX = 8
NUMBER_PX = 6  # a BCD digit: the widest digit is 6 px
ROWS = 3

# Choice command -> (box rows holding the options, width of the arrow column the game redraws
# there). From the arrow messages the game prints over the options: $0001/$0002 for [CH2I],
# $0006-$0008 for [CH3], $0009/$000A for [CH2], $000B/$000C for [CH2L]. [CHI] has no rows.
CHOICE_ROWS: dict[int, tuple[tuple[int, ...], int]] = {
    0x68: ((1, 2), 24),
    0x71: ((0, 1, 2), 8),
    0x72: ((0, 1), 8),
    0x6F: ((1, 2), 16),
}


@dataclass(frozen=True)
class LayoutRules:
    max_px: int = LINE_PX
    name_px: int = 42  # the player's name: 6 letters of up to 7 px
    number_px: int = NUMBER_PX


@dataclass(frozen=True)
class Line:
    index: int  # order in which lines are written
    row: int  # box row 0-2 it is written on
    pause: int  # how many pauses ([K], [WT], a choice) came before it
    px: int  # width with the name/number budgets
    fixed_px: int  # width of its fixed characters only
    names: int  # [L] on this line
    numbers: int  # [N:..] on this line
    text: str  # the line in the readable syntax
    first_token: int  # index of its first drawn token in the message

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


WARNINGS = frozenset({"scrolled-unread"})


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    line: int | None = None  # Line.index
    token: int | None = None  # token index in the message
    px: int | None = None
    word: str | None = None  # overflow: the word that crosses the edge of the box

    @property
    def severity(self) -> str:
        return "warning" if self.code in WARNINGS else "error"

    def to_json(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if v is not None}, "severity": self.severity}


@dataclass
class Layout:
    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pauses: int = 0

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    @property
    def clean(self) -> bool:
        """No problems at all."""
        return not self.problems

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def max_px(self) -> int:
        return max((ln.px for ln in self.lines), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "clean": self.clean,
            "max_px": self.max_px,
            "pauses": self.pauses,
            "lines": [ln.to_json() for ln in self.lines],
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class _Open:
    """The line being drawn."""

    index: int
    row: int
    pause: int
    first_token: int
    px: int = 0
    fixed_px: int = 0
    ink: int = 0  # px up to the end of its last non-space glyph
    ink_pause: int = -1  # the pause count when it last got ink
    names: int = 0
    numbers: int = 0
    tokens: list[Token] = field(default_factory=list)


def check(
    tokens: Sequence[Token], rules: LayoutRules | None = None, dictionary: Dictionary | None = None
) -> Layout:
    """Lay out one message (tokens without the end byte) and list its problems."""
    rules = rules or LayoutRules()
    if any(t.kind == "dict" for t in tokens):
        if dictionary is None:
            raise InputError("the message has dictionary references: give the dictionary to lay it out")
        tokens = expand(tokens, dictionary)
    out = Layout()
    rows: list[tuple[int, int] | None] = [None] * ROWS  # (line index, ink px) shown on each row
    row = 0
    pause = 0
    inked_at: dict[int, int] = {}  # line index -> pause count when it last got ink
    cur: _Open | None = None

    def close() -> None:
        nonlocal cur
        if cur is None:
            return
        line = Line(
            cur.index,
            cur.row,
            cur.pause,
            cur.px,
            cur.fixed_px,
            cur.names,
            cur.numbers,
            "".join(token_text(t) for t in cur.tokens),
            cur.first_token,
        )
        out.lines.append(line)
        if line.px > rules.max_px:
            budget = f" (with {rules.name_px} px for the name)" if line.names else ""
            out.problems.append(
                Problem(
                    "overflow",
                    f"line {line.index + 1} is {line.px} px{budget}; the box holds {rules.max_px}",
                    line.index,
                    line.first_token,
                    line.px,
                    _crossing_word(cur.tokens, rules),
                )
            )
        shown = rows[cur.row]
        ink = cur.ink
        if shown is not None and shown[1] > cur.px:
            out.problems.append(
                Problem(
                    "overwrite",
                    f"line {line.index + 1} is written on row {cur.row + 1} over line {shown[0] + 1}, "
                    f"whose text still shows past {cur.px} px (up to {shown[1]} px)",
                    line.index,
                    line.first_token,
                )
            )
            ink = shown[1]
        rows[cur.row] = (line.index, ink)
        if cur.ink:
            inked_at[line.index] = cur.ink_pause
        cur = None

    def pen(i: int) -> _Open:
        nonlocal cur
        if cur is None:
            cur = _Open(len(out.lines), row, pause, i)
        return cur

    def do_pause() -> None:
        nonlocal pause
        pause += 1
        out.pauses += 1

    for i, tok in enumerate(tokens):
        if tok.kind == "char":
            w = width(tok.value)
            line = pen(i)
            line.tokens.append(tok)
            if w is None:
                out.problems.append(
                    Problem("no-width", f"character ${tok.value:02X} has no width in the VWF table", None, i)
                )
                w = 8
            line.px += w
            line.fixed_px += w
            if tok.value != SPACE:
                line.ink = line.px
                line.ink_pause = pause
            continue
        code = tok.value
        kind = BY_CODE[code].kind
        if kind in ("name", "number"):  # drawn from a budget: the name's 6 letters, one digit
            line = pen(i)
            line.tokens.append(tok)
            line.px += rules.name_px if kind == "name" else rules.number_px
            line.ink = line.px
            line.ink_pause = pause
            line.names += kind == "name"
            line.numbers += kind == "number"
        elif kind == "line":
            close()
            row = LINE_ROW[code]
        elif kind == "scroll":
            close()
            gone = rows[0]
            if gone is not None and inked_at.get(gone[0]) == pause:
                out.problems.append(
                    Problem(
                        "scrolled-unread",
                        f"[V] scrolls line {gone[0] + 1} out of the box before any key press",
                        gone[0],
                        i,
                    )
                )
            rows = [*rows[1:], None]
            row = ROWS - 1
        elif kind == "wait-key" or code == 0x78:
            do_pause()  # the pen stays where it is: text after [K] continues the same line
        elif kind == "choice":
            close()
            _check_choice(code, i, tokens, rows, out)
            do_pause()
        elif kind == "unused":
            out.problems.append(
                Problem(
                    "unused-command",
                    f"[{BY_CODE[code].token}] ({BY_CODE[code].name}) at token {i + 1}",
                    None,
                    i,
                )
            )
    close()
    return out


def _check_choice(
    code: int, i: int, tokens: Sequence[Token], rows: list[tuple[int, int] | None], out: Layout
) -> None:
    info = BY_CODE[code]
    if i != len(tokens) - 1:
        out.problems.append(
            Problem(
                "choice-not-last",
                f"[{info.token}] is followed by {len(tokens) - 1 - i} more token(s); the game closes "
                "the message on the pick, so they never show",
                None,
                i,
            )
        )
    spec = CHOICE_ROWS.get(code)
    if spec is None:
        return
    option_rows, zone = spec
    arrows = 0
    for r in option_rows:
        shown = rows[r]
        if shown is None:
            out.problems.append(
                Problem("choice-rows", f"[{info.token}] needs an option on row {r + 1}", None, i)
            )
            continue
        index = shown[0]
        line = out.lines[index]
        lead = _leading(line.text)
        if lead is None or (lead[1] and lead[0] + ARROW_PX != zone) or (not lead[1] and lead[0] < zone):
            out.problems.append(
                Problem(
                    "choice-rows",
                    f"[{info.token}]: option row {r + 1} must start with {zone} px of spaces, or "
                    f"{zone - ARROW_PX} px of spaces and '>' (the arrow the game redraws)",
                    index,
                    i,
                )
            )
        elif lead[1]:
            arrows += 1
    if arrows > 1:
        out.problems.append(
            Problem("choice-rows", f"[{info.token}]: {arrows} option rows show the arrow", None, i)
        )


def _crossing_word(tokens: list[Token], rules: LayoutRules) -> str:
    """The word (run of non-spaces) whose last glyph ends past `max_px`."""
    px = 0
    start = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "char" and tok.value == SPACE:
            start = i + 1
            px += width(SPACE) or 0
            continue
        if tok.kind == "char":
            px += width(tok.value) or 8
        elif tok.kind == "cmd" and BY_CODE[tok.value].kind == "name":
            px += rules.name_px
        else:
            px += rules.number_px
        if px > rules.max_px:
            end = i + 1
            while end < len(tokens) and not (tokens[end].kind == "char" and tokens[end].value == SPACE):
                end += 1
            return "".join(token_text(t) for t in tokens[start:end])
    return ""


def _leading(text: str) -> tuple[int, bool] | None:
    """(px of leading spaces, followed by the arrow '>') of a line's readable text."""
    toks = parse(text)
    px = 0
    for tok in toks:
        if tok.kind == "char" and tok.value == SPACE:
            px += width(SPACE) or 0
            continue
        return px, tok.kind == "char" and tok.value == ARROW
    return px, False


def check_text(text: str, rules: LayoutRules | None = None, dictionary: Dictionary | None = None) -> Layout:
    """Lay out a message written in the readable syntax."""
    return check(parse(text), rules, dictionary)


def check_bytes(
    data: bytes, rules: LayoutRules | None = None, dictionary: Dictionary | None = None
) -> Layout:
    """Lay out a message given as bytes ($7F end byte optional)."""
    tokens, _ = from_bytes(data if data.endswith(b"\x7f") else data + b"\x7f")
    return check(tokens, rules, dictionary)

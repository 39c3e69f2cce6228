"""asar's source syntax, read the way asar reads it: the one lexer of Triforce.

The sandbox scan, the corpus reader, the generators and the dataset normaliser all split lines
with these functions, so a line means the same to each of them. The rules, checked against
asar 1.91 (`tests/test_asmsyntax.py` runs the real asar on them where it is installed):

- `;` starts a comment outside quotes. A `"..."` string escapes a quote by doubling it (`"a""b"`);
  `'x'` is a character literal whatever x is (`';'`, `'''`); another `'` opens a string up to the
  next `'`. A quote left open is an error to asar (the line is rejected); here the rest of the
  line is then code, never comment: the reading that hides nothing from a scan.
- A line whose code ends in `\\` continues on the next one (the backslash dropped), and so does
  one ending in `,` (the comma kept): `db 1,` + `2` is `db 1,2`.
- Statements on one line are separated by a `:` with blanks on both sides (`nop : rts`,
  `nop<TAB>:<TAB>rts`); `a:b` and `a :b` are not separators.
- A statement may start with labels: `Name:`, `#Name:`, `.sub:` or `.sub`, `?macro_label:`,
  and runs of `+` / `-` followed by a blank. A leading `@` (even `@ table`) marks a command.
- Words are separated by blanks; commands and mnemonics are case-insensitive.
- Defines (`!name`, `!{name}`) and macro arguments (`<name>`) are substituted as text before a
  line is read, so their values can supply a separator or a command; the sandbox treats the
  text after each of them as a possible statement start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from triforce.snes.opcodes import Mode, mnemonics_where

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: Characters that separate words. asar itself knows spaces and tabs; the other ASCII blanks
#: are counted too, so nothing asar might read as a separator is read as part of a word here.
BLANKS = " \t\v\f\r"
_SEPARATOR_RE = re.compile(r"[ \t\v\f\r]+:[ \t\v\f\r]+")
#: One label in front of a statement (see the module docstring), with the blanks after it;
#: group "label" is the label as written. asar wants a blank (or the end) after a label:
#: `Lab:table` is one unknown command, not a label and a command.
LABEL_PREFIX_RE = re.compile(
    r"^(?P<label>"
    rf"#?{NAME}:(?![:=])(?=[ \t\v\f\r]|$)"  # Name:  #Name:
    r"|[.?]+[A-Za-z_][A-Za-z0-9_.]*:?(?=[ \t\v\f\r:]|$)"  # .sub  .sub:  ?label:  ..deeper
    r"|[-+]+(?=[ \t\v\f\r]|$)"  # + - ++ --
    r")[ \t\v\f\r]*"
)
#: A global label definition at the start of a statement: (name, the rest of the statement).
GLOBAL_LABEL_RE = re.compile(rf"^({NAME}):(?![:=])(?:[ \t\v\f\r]+(.*))?$")
#: A sublabel definition (`.name`, `..name`, colon optional): (dots, name, the rest).
SUBLABEL_RE = re.compile(r"^(\.+)([A-Za-z0-9_]+):?(?:[ \t\v\f\r]+(.*))?$")
#: `!name = value` and its variants (`:=`, `+=`, `?=`, `#=`): a define assignment.
DEFINE_ASSIGN_RE = re.compile(r"^![A-Za-z0-9_]+[ \t\v\f\r]*[#?:+]?=")
#: A define use or a macro argument: text substituted before asar reads the line.
SUBSTITUTION_RE = re.compile(r"!\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[A-Za-z_][A-Za-z0-9_]*>")


def _quote_end(line: str, i: int) -> int:
    """The index after the string or character literal opening at `line[i]` (len(line) when it
    is never closed)."""
    n = len(line)
    if line[i] == "'":
        if i + 2 < n and line[i + 2] == "'":
            return i + 3  # 'x', any x
        close = line.find("'", i + 1)
        return n if close < 0 else close + 1
    j = i + 1
    while True:
        close = line.find('"', j)
        if close < 0:
            return n
        if line[close + 1 : close + 2] == '"':  # "" inside a string: an escaped quote
            j = close + 2
            continue
        return close + 1


def quoted_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of every string and character literal in a line of code."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"' or ch == "'":
            end = _quote_end(line, i)
            spans.append((i, end))
            i = end
        else:
            i += 1
    return spans


def comment_start(line: str) -> int | None:
    """Index of the `;` that starts the line's comment, or None."""
    if ";" not in line:
        return None
    if '"' not in line and "'" not in line:
        return line.index(";")
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == ";":
            return i
        i = _quote_end(line, i) if ch in "\"'" else i + 1
    return None


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment): the comment is the text after the `;` that starts it ("" when none)."""
    at = comment_start(line)
    return (line, "") if at is None else (line[:at], line[at + 1 :])


def strip_comment(line: str) -> str:
    """The line without its `;` comment (see `split_comment`)."""
    return split_comment(line)[0]


def continues(code: str) -> bool:
    """Whether a line's code (comment removed) goes on on the next line (`\\` or `,` at its end)."""
    end = code.rstrip(BLANKS)
    return end.endswith("\\") or end.endswith(",")


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number of the first physical line, code) of each line asar reads: comments removed and
    continued lines joined (`\\` dropped, `,` kept)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        number = i + 1
        code = strip_comment(lines[i])
        while continues(code) and i + 1 < len(lines):
            i += 1
            end = code.rstrip(BLANKS)
            code = (end[:-1] if end.endswith("\\") else end) + strip_comment(lines[i])
        i += 1
        yield number, code


def split_statements(code: str) -> list[str]:
    """The statements of one line of code (no comment), blanks around each trimmed."""
    if ":" not in code:
        stripped = code.strip(BLANKS)
        return [stripped] if stripped else []
    spans = quoted_spans(code) if ('"' in code or "'" in code) else []
    parts: list[str] = []
    start = 0
    for match in _SEPARATOR_RE.finditer(code):
        if any(lo <= match.start() < hi for lo, hi in spans):
            continue
        parts.append(code[start : match.start()])
        start = match.end()
    parts.append(code[start:])
    return [p.strip(BLANKS) for p in parts if p.strip(BLANKS)]


def split_labels(statement: str) -> tuple[list[str], str]:
    """(labels, the rest): the labels written in front of a statement and what follows them."""
    labels: list[str] = []
    rest = statement
    while rest and (m := LABEL_PREFIX_RE.match(rest)) is not None and m.end() > 0:
        labels.append(rest[: m.end()].strip(BLANKS))
        rest = rest[m.end() :]
    return labels, rest


def command_of(body: str) -> tuple[str, str]:
    """(command word in lower case, operand text) of a statement without labels; an `@` prefix
    (asar's marker for commands, with or without a blank after it) is dropped."""
    body = body.lstrip(BLANKS)
    if body.startswith("@"):
        body = body[1:].lstrip(BLANKS)
    for i, ch in enumerate(body):
        if ch in BLANKS:
            return body[:i].lower(), body[i:].strip(BLANKS)
    return body.lower(), ""


@dataclass(frozen=True)
class Statement:
    """One statement of a source: where it is, its labels, command word and operand."""

    line: int
    labels: tuple[str, ...]
    command: str  # lower case, "" for a labels-only statement
    operand: str
    text: str  # the statement without its labels

    @property
    def is_assignment(self) -> bool:
        return DEFINE_ASSIGN_RE.match(self.text) is not None


def statements(text: str) -> Iterator[Statement]:
    """Every statement of a source text, in order (see the module docstring)."""
    for number, code in logical_lines(text):
        for part in split_statements(code):
            labels, body = split_labels(part)
            command, operand = command_of(body) if body else ("", "")
            yield Statement(number, tuple(labels), command, operand, body.strip(BLANKS))


#: Implied or accumulator instructions asar repeats with a count (`DEX #2` is DEX DEX, checked
#: on asar 1.91; `CLC #2` or `XBA #2` are errors): the one-byte index steps, NOP, and the
#: accumulator forms of the shifts, rotates and INC/DEC (the opcode table's ACC mode).
REPEATABLE = frozenset({"INX", "INY", "DEX", "DEY", "NOP"}) | mnemonics_where(lambda modes: Mode.ACC in modes)


def label_name(label: str) -> str:
    """The name a label prefix defines: `#Name:` -> `Name`, `.sub:` -> `.sub`, `+` -> `+`."""
    return label.strip(BLANKS).lstrip("#").rstrip(":")


def defined_labels(text: str) -> set[str]:
    """Names of the global labels a source defines (`Name:` / `#Name:` before a statement)."""
    return {label_name(label) for st in statements(text) for label in st.labels if label[:1] not in ".?+-"}

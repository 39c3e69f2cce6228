"""Routine text as a list of statements that the bug catalogue and the rewrites can edit.

asar lets a line hold several statements (`LDA #$00 : STA $10`) and a label before an
instruction (`Loop: DEX`). Generators edit single instructions, so the body is split into one
statement per line; `render` writes it back in a form asar assembles to the same bytes.
Only instructions are interpreted; defines, macros and directives pass through untouched.

A label no code can reach is a *marker*: disassemblies put one on every line
(`#_00EE78: REP #$20` in usdasm) to record addresses. Markers do not stop a rewrite that spans
them or reset the tracked widths, as a real label (a possible jump target) does. The caller
says which labels are markers (see `context.marker_labels`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from triforce.snes.asmsyntax import LABEL_PREFIX_RE, comment_start, split_statements
from triforce.snes.opcodes import MNEMONICS

_LABEL_RE = LABEL_PREFIX_RE  # the lexer's: group "label" is the label as written
_INSN_RE = re.compile(r"^(?P<mn>[A-Za-z]{3})(?P<suffix>\.[bwlBWL])?(?:\s+(?P<operand>.*))?$")
_NUM_RE = re.compile(r"^(?:\$(?P<hex>[0-9A-Fa-f]+)|(?P<dec>\d+)|%(?P<bin>[01]+))$")


@dataclass(frozen=True)
class Stmt:
    """One statement: a label, an instruction, or anything else (kept verbatim)."""

    kind: str  # "label" | "marker" | "insn" | "other" | "blank" | "brace" (asar's `{`/`}`: no code)
    text: str  # the code without comment (label text with its colon, or the instruction)
    comment: str = ""  # trailing comment including ';', attached to the line's last statement
    mnemonic: str = ""  # upper case, for instructions
    suffix: str = ""  # ".b" / ".w" / ".l" or ""
    operand: str = ""

    def with_insn(self, mnemonic: str, operand: str | None = None, suffix: str | None = None) -> Stmt:
        """A copy with a different instruction (operand/suffix kept unless given)."""
        op = self.operand if operand is None else operand
        sf = self.suffix if suffix is None else suffix
        text = f"{mnemonic}{sf}" + (f" {op}" if op else "")
        return replace(self, mnemonic=mnemonic, operand=op, suffix=sf, text=text)


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment with its `;`), read by the lexer's quote rules."""
    at = comment_start(line)
    return (line.rstrip(), "") if at is None else (line[:at].rstrip(), line[at:])


def _statements_of(code: str) -> list[Stmt]:
    out: list[Stmt] = []
    rest = code.strip()
    while rest:
        m = _LABEL_RE.match(rest)
        if m and not (m.group("label").isalpha() and m.group("label").upper() in MNEMONICS):
            out.append(Stmt("label", m.group("label")))
            rest = rest[m.end() :].strip()
            continue
        for part in split_statements(rest):
            part = part.strip()
            im = _INSN_RE.match(part)
            if im and im.group("mn").upper() in MNEMONICS:
                out.append(
                    Stmt(
                        "insn",
                        part,
                        mnemonic=im.group("mn").upper(),
                        suffix=(im.group("suffix") or "").lower(),
                        operand=(im.group("operand") or "").strip(),
                    )
                )
            elif part:
                out.append(Stmt("other", part))
        break
    return out


def parse(body: str, markers: frozenset[str] = frozenset()) -> list[Stmt]:
    """Split routine text into statements, one per rendered line; labels named in `markers`
    become "marker" statements."""
    return list(_parse_cached(body, markers))


def label_name(stmt: Stmt) -> str:
    """The name a label statement defines (`#Name:` -> `Name`)."""
    return stmt.text.lstrip("#").rstrip(":")


@functools.lru_cache(maxsize=256)
def _parse_cached(body: str, markers: frozenset[str]) -> tuple[Stmt, ...]:
    # Every bug class and rewrite starts from the same body: parse it once (Stmt is frozen).
    stmts = _parse(body)
    if markers:
        stmts = [
            replace(s, kind="marker") if s.kind == "label" and label_name(s) in markers else s for s in stmts
        ]
    return tuple(stmts)


def _parse(body: str) -> list[Stmt]:
    stmts: list[Stmt] = []
    for raw in body.splitlines():
        code, comment = _split_comment(raw)
        if not code.strip():
            stmts.append(Stmt("blank", "", comment.strip()))
            continue
        if code.strip() in ("{", "}"):
            stmts.append(Stmt("brace", code.strip(), comment))
            continue
        # Macro/define/directive lines are kept whole: `:` may be part of their syntax.
        first = code.strip().split()[0]
        if first.startswith(("!", "%", "macro", "endmacro", "if", "else", "endif", "db", "dw", "dl", "dd")):
            stmts.append(Stmt("other", code.strip(), comment))
            continue
        parts = _statements_of(code)
        if not parts:
            stmts.append(Stmt("other", code.strip(), comment))
            continue
        parts[-1] = replace(parts[-1], comment=comment)
        stmts.extend(parts)
    return stmts


def render(stmts: list[Stmt]) -> str:
    """Write statements back as asar text: labels at column 0, everything else indented."""
    lines: list[str] = []
    for s in stmts:
        if s.kind == "blank":
            lines.append(s.comment)
        elif s.kind in ("label", "marker"):
            lines.append(s.text + (f" {s.comment}" if s.comment else ""))
        else:
            lines.append("    " + s.text + (f" {s.comment}" if s.comment else ""))
    return "\n".join(lines) + "\n"


def is_address_marker(stmt: Stmt) -> bool:
    """A disassembly's address marker (`#_02B99F:`): a marker whose `#` keeps it out of asar's
    sublabel scoping, so removing it changes neither bytes nor what `.local` labels resolve to."""
    return stmt.kind == "marker" and stmt.text.startswith("#")


def delete(stmts: list[Stmt], *indices: int) -> list[Stmt]:
    """The statements without those at `indices`, and without the address markers that stood
    right before a deleted one: a marker left with nothing after it would point at the edit."""
    gone = set(indices)
    for i in indices:
        j = i - 1
        while j >= 0 and is_address_marker(stmts[j]):
            gone.add(j)
            j -= 1
    return [s for k, s in enumerate(stmts) if k not in gone]


def without_address_markers(stmts: list[Stmt]) -> list[Stmt]:
    """The statements with every address marker removed (same bytes, same label scoping)."""
    return [s for s in stmts if not is_address_marker(s)]


def insn_indices(stmts: list[Stmt]) -> list[int]:
    return [i for i, s in enumerate(stmts) if s.kind == "insn"]


def next_insn(stmts: list[Stmt], i: int) -> int | None:
    """Index of the next instruction after i, or None when a label (a branch target) or the end
    comes first: rewrites spanning a label would change what a jump into it executes."""
    for j in range(i + 1, len(stmts)):
        k = stmts[j].kind
        if k == "insn":
            return j
        if k in ("brace", "marker"):
            continue
        if k in ("label", "other"):
            return None
    return None


def number(text: str) -> int | None:
    """Value of a plain asar number ($hex, decimal, %binary), or None for anything symbolic."""
    m = _NUM_RE.match(text.strip())
    if not m:
        return None
    if m.group("hex") is not None:
        return int(m.group("hex"), 16)
    if m.group("dec") is not None:
        return int(m.group("dec"))
    return int(m.group("bin"), 2)


def hex_digits(text: str) -> int | None:
    """Digit count of a `$hex` operand: asar sizes immediates and addresses by it."""
    m = _NUM_RE.match(text.strip())
    if m and m.group("hex") is not None:
        return len(m.group("hex"))
    return None


def immediate(stmt: Stmt) -> int | None:
    """The value of `#const` when const is a plain number."""
    if stmt.kind != "insn" or not stmt.operand.startswith("#"):
        return None
    return number(stmt.operand[1:])


def plain_address(stmt: Stmt) -> tuple[int, int] | None:
    """(value, hex digit count) of an unindexed numeric address operand like `$7EF360`."""
    if stmt.kind != "insn" or stmt.suffix:
        return None
    op = stmt.operand
    v = number(op)
    d = hex_digits(op)
    if v is None or d is None:
        return None
    return v, d


def fmt_hex(value: int, digits: int) -> str:
    return f"${value:0{digits}X}"


def constants(body: str) -> list[int]:
    """Immediate constants and compared values in the body: boundaries worth testing."""
    out: list[int] = []
    for s in parse(body):
        v = immediate(s)
        if v is not None and s.mnemonic not in ("REP", "SEP"):
            out.append(v)
    return sorted(set(out))


def strip_leading_comments(body: str) -> str:
    """The body without its leading comment block (the doc comment a reader would see first)."""
    lines = body.splitlines()
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(";")):
        i += 1
    return "\n".join(lines[i:]) + "\n"

"""base: a task written from the routine's comments, name and observed behaviour -> the routine.

The answer is the routine itself, so it assembles by construction; what we add is evidence:
the behaviour on every test state is recorded in `meta.exec` (inputs and observed results) so
the sample can be re-checked, and one executed example is quoted in the task.
"""

from __future__ import annotations

import re
from typing import Any

from triforce.generate.asmtext import number, parse
from triforce.generate.candidate import (
    Candidate,
    answer_hex,
    call_text,
    fence,
    is_io,
    make_sample,
    proven,
    register_text,
    width_text,
)
from triforce.generate.context import Context, Reject
from triforce.generate.execution import Outcome, exec_record
from triforce.generate.states import StateSpec
from triforce.sample import Sample

# A longer answer is recall of a listing, not a task a prompt can determine: left out.
MAX_ANSWER_LINES = 200
# A data block (db/dw/dl/dd lines under a label) longer than this is given in the prompt as
# context: reciting a table is not what the task asks.
TABLE_CONTEXT_LINES = 6
# Given tables longer than this in all are named in the prompt ("the table X at $ADDR is
# given"), not printed.
GIVEN_TEXT_LINES = 200
_DATA_LINE_RE = re.compile(r"^\s*(?:#?[A-Za-z_][\w.]*:\s*|\.[\w.]+:?\s+)?(?:db|dw|dl|dd)\b", re.IGNORECASE)
_LABEL_LINE_RE = re.compile(r"^\s*(?:#?[A-Za-z_][\w.]*:|\.[\w.]+:?|[+-]+:?)\s*(?:;.*)?$")
_LABEL_OF_RE = re.compile(r"^\s*#?(\.?[A-Za-z_][\w.]*):?")
_TAG_LINE = re.compile(r"^\s*;?\s*@(\w+)\s*(.*)$")


def doc_parts(doc: str | None) -> tuple[str, list[tuple[str, str]]]:
    """Split a doc comment into prose and `@tag value` pairs (`;@in`, `;@out`, ...)."""
    prose: list[str] = []
    tags: list[tuple[str, str]] = []
    for line in (doc or "").splitlines():
        m = _TAG_LINE.match(line)
        if m:
            tags.append((m.group(1), m.group(2).strip()))
        else:
            text = line.strip().lstrip(";").strip()
            if text:
                prose.append(text)
    return " ".join(prose), tags


# Author notes are not a statement of purpose ("TODO analyze this further", "unused?").
_NOTE_RE = re.compile(
    r"\b(TODO|FIXME|XXX|HACK|WIP|analy[sz]e|not sure|no idea|unknown|unused)\b|\?", re.IGNORECASE
)
_SENTENCE_RE = re.compile(r"(?<=[.!])\s+")


def purpose_of(routine: Any) -> str:
    """The routine's purpose in words, from its doc comment: every sentence of the prose that
    is not an author's note, ending with a full stop; "" when nothing of the kind is left."""
    prose, _ = doc_parts(routine.doc)
    kept = [t for t in _SENTENCE_RE.split(prose) if t.strip() and not _NOTE_RE.search(t)]
    text = " ".join(t.strip() for t in kept)
    if sum(ch.isalpha() for ch in text) < 8 or len(text.split()) < 2:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!")) else text + "."


_STORES = frozenset({"STA", "STX", "STY", "STZ"})
_UPDATES = frozenset({"INC", "DEC", "ASL", "LSR", "ROL", "ROR", "TSB", "TRB"})
_LOADS = frozenset({"LDA", "LDX", "LDY", "ADC", "SBC", "AND", "ORA", "EOR", "CMP", "CPX", "CPY", "BIT"})


def _listed(items: list[str], most: int = 5) -> str:
    shown = items[:most] + ([f"{len(items) - most} more"] if len(items) > most else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _where(operand: str) -> str | None:
    """A memory operand as a reader names it: as written (`$0E40,X` stays indexed, so the fact
    holds for every slot), a hardware register by its name (`JOY1L $4218`); None for none."""
    op = operand.strip()
    if not op or op.startswith("#") or op.upper() == "A" or op.lower().endswith(",s"):
        return None
    base, _, index = op.partition(",")
    value = number(base.strip().strip("([])"))
    if value is not None and not op.startswith(("(", "[")) and is_io(value):
        return register_text(value) + (f",{index.strip().upper()}" if index else "")
    return op


def code_summary(routine: Any) -> str:
    """What the routine does, read from its code (never from a comment): the memory it
    updates, writes and reads, by the operands it uses, and the routines it calls."""
    updates: list[str] = []
    writes: list[str] = []
    reads: list[str] = []
    for st in parse(routine.body):
        if st.kind != "insn":
            continue
        where = _where(st.operand)
        if where is None:
            continue
        for group, names in ((updates, _UPDATES), (writes, _STORES), (reads, _LOADS)):
            if st.mnemonic in names and where not in group:
                group.append(where)
    writes = [w for w in writes if w not in updates]
    reads = [r for r in reads if r not in updates and r not in writes]
    parts = []
    if updates:
        parts.append(f"updates {_listed(updates)}")
    if writes:
        parts.append(f"sets {_listed(writes)}")
    if reads:
        parts.append(f"reads {_listed(reads)}")
    if routine.calls:
        parts.append("calls " + _listed([f"`{c}`" for c in routine.calls]))
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def purpose_line(routine: Any) -> str:
    """The prompt's statement of purpose: the doc comment's purpose when it has one, else what
    its code does (said to be read from the code); "" when neither gives anything."""
    purpose = purpose_of(routine)
    if purpose:
        return f"Purpose: {purpose}"
    summary = code_summary(routine)
    return f"Purpose (read from its code; it has no doc comment): {summary}" if summary else ""


def ram_text(routine: Any) -> list[str]:
    out = []
    for ref in routine.ram:
        where = f"${ref.address:06X}" if ref.address is not None else ""
        sym = ref.symbol or ""
        label = " ".join(p for p in (sym, f"({where})" if sym and where else where) if p)
        out.append(f"{label} ({ref.access})")
    return sorted(set(out))


def _quiet(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith(";")


def data_tables(code: str, longer_than: int = TABLE_CONTEXT_LINES) -> list[tuple[int, int]]:
    """The data tables of the code longer than `longer_than` data lines, as (first, end) line
    ranges of `code.rstrip("\n").split("\n")`: a run of db/dw/dl/dd lines (with the labels,
    blank lines and comments among them) from its first label or data line to its last data line."""
    lines = code.rstrip("\n").split("\n")
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not (_DATA_LINE_RE.match(lines[i]) or _LABEL_LINE_RE.match(lines[i])):
            i += 1
            continue
        k, data, last = i, 0, i
        while k < len(lines) and (
            _DATA_LINE_RE.match(lines[k]) or _LABEL_LINE_RE.match(lines[k]) or _quiet(lines[k])
        ):
            if _DATA_LINE_RE.match(lines[k]):
                data, last = data + 1, k
            k += 1
        if data > longer_than:
            out.append((i, last + 1))
        i = max(k, i + 1)
    return out


def _table_label(line: str) -> str:
    """The label a table line defines (`Name:`, `.sub`, `Name: db ...`), "" for none or for a
    disassembly's address marker (`#_0DB000:`)."""
    m = _LABEL_OF_RE.match(line)
    if m is None or not (_LABEL_LINE_RE.match(line) or re.match(r"^\s*(#?[\w.]+:|\.[\w.]+\s)", line)):
        return ""
    name = m.group(1)
    return "" if re.fullmatch(r"_[0-9A-Fa-f]{6}", name) else name


def split_tables(code: str) -> tuple[str, list[dict[str, Any]]]:
    """The code without its long data tables (`data_tables`), and each table as given context:
    its first label, its text and the line of `code` it starts at (`with_tables` puts it back)."""
    lines = code.rstrip("\n").split("\n")
    given = []
    keep = [True] * len(lines)
    for first, end in data_tables(code):
        labels = [name for name in map(_table_label, lines[first:end]) if name]
        given.append(
            {
                "at": first,
                "label": labels[0] if labels else "",
                "labels": labels,
                "lines": end - first,
                "text": "\n".join(lines[first:end]),
            }
        )
        keep[first:end] = [False] * (end - first)
    return "\n".join(ln for ln, k in zip(lines, keep, strict=True) if k) + "\n", given


def with_tables(code: str, given: list[dict[str, Any]]) -> str:
    """The code with the given tables back at their lines: what was assembled and run."""
    lines = code.rstrip("\n").split("\n")
    for table in sorted(given, key=lambda t: int(t["at"])):
        at = int(table["at"])
        lines += [""] * (at - len(lines))  # blank lines before a table at the end: a fence drops them
        lines[at:at] = str(table["text"]).split("\n")
    return "\n".join(lines) + "\n"


_MARKER_ADDRESS_RE = re.compile(r"^\s*#?_([0-9A-Fa-f]{6}):", re.MULTILINE)


def given_text(given: list[dict[str, Any]]) -> str:
    """The prompt's context for the given tables: their text, or when long their names with the
    ROM address the tree's own address marker gives (`#_0DB000:`; the address the sample's image
    put it at is not the game's, so none is said without a marker)."""
    if sum(int(t["lines"]) for t in given) <= GIVEN_TEXT_LINES:
        return (
            "These data tables are given (already in the ROM, where the code expects them); "
            "do not write them out:\n" + fence("\n".join(str(t["text"]) for t in given))
        )
    parts = []
    for t in given:
        m = _MARKER_ADDRESS_RE.search(str(t["text"]))
        at = f" at ${m.group(1).upper()}" if m else ""
        names = [f"`{n}`" for n in t.get("labels") or [t["label"]] if n] or ["without a label"]
        what = f"the table {names[0]}" if len(names) == 1 else f"the tables {_listed(names, len(names))}"
        parts.append(f"{what}{at} ({t['lines']} lines of data)")
    return f"Given (already in the ROM, where the code expects them; do not write them out): {_listed(parts, len(parts))}."


def _stack(address: int) -> bool:
    return (address & 0xFFFF) < 0x2000 and 0x0100 <= (address & 0xFFFF) <= 0x01FF


def example_text(spec: StateSpec, out: Outcome) -> str:
    """One executed example: registers, then the memory the routine read (never the stack page:
    the bytes a pull or RTS reads there are the call's own, not an input) and what it wrote."""
    ins = [f"A=${spec.a:04X}", f"X=${spec.x:04X}", f"Y=${spec.y:04X}", f"C={spec.p & 1}"]
    ins += [
        f"[${a:06X}]=${v:02X}" for a, v in sorted(spec.memory.items()) if a in out.reads and not _stack(a)
    ][:6]
    outs = [
        f"A=${out.regs['a']:04X}",
        f"X=${out.regs['x']:04X}",
        f"Y=${out.regs['y']:04X}",
        f"C={out.regs['p'] & 1}",
    ]
    # A hardware register by its name (`VMAIN $2115=$80`), not as a memory byte.
    outs += [
        f"{register_text(a)}=${v:02X}" if is_io(a) else f"[${a:06X}]=${v:02X}"
        for a, v in sorted(out.writes.items())
        if not _stack(a)
    ][:6]
    return f"{' '.join(ins)} -> {' '.join(outs)}"


def pick_example(ctx: Context) -> tuple[StateSpec, Outcome]:
    good = ctx.good
    for s, o in good:
        if s.name.startswith("seed"):
            return s, o
    for s, o in good:
        if s.name.startswith("rand") and o.writes:
            return s, o
    return good[0]


class BaseGenerator:
    name = "base"
    task = "asm.base"

    def propose(self, ctx: Context) -> list[Candidate]:
        return [Candidate(self.name, None)]

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None:
        r = ctx.subject.routine
        _, tags = doc_parts(r.doc)
        ew = r.entry_width
        lines = [f"Write an asar routine `{r.name}` for ALTTP (65816), {call_text(ctx.subject.convention)}."]
        purpose = purpose_line(r)
        if not purpose:
            return Reject(
                self.name, ctx.subject.inputs.name, "no-purpose", "no doc comment and no memory or calls"
            )
        answer_code, given = split_tables(ctx.subject.code)
        if answer_code.count("\n") > MAX_ANSWER_LINES:
            moved = f" with its {len(given)} data table(s) given in the prompt" if given else ""
            return Reject(
                self.name,
                ctx.subject.inputs.name,
                "too-long",
                f"answer over {MAX_ANSWER_LINES} lines of code{moved}: recall of a listing, not a task",
            )
        lines.append(purpose)
        for tag, value in tags:
            if tag in ("in", "out"):
                lines.append(f"{'Input' if tag == 'in' else 'Output'}: {value}")
        lines.append(f"Register widths at entry: {width_text(ew.m, ew.x)}.")
        if ctx.subject.db_note:
            lines.append(f"Data bank (DB) at entry: {ctx.subject.db_note}.")
        ram = ram_text(r)
        if ram:
            lines.append("Memory it works on: " + ", ".join(ram) + ".")
        if r.calls:
            callees = ", ".join(f"`{c}`" for c in r.calls)
            if ctx.subject.suffix.strip():
                lines.append(f"It calls {callees}; write the routines it needs after it.")
            else:
                lines.append(f"It calls {callees} (defined elsewhere in the ROM).")
        spec, out = pick_example(ctx)
        lines.append(f"Example (executed): {example_text(spec, out)}.")
        if given:
            lines.append(given_text(given))
        specs, outs = ctx.good_runs()
        cycles = [o.cycles for o in outs]
        assistant = (
            fence(answer_code)
            + "\n\nChecked: "
            + ("with the given tables in place, " if given else "")
            + f"assembles with asar and returns normally on {len(specs)} test states "
            f"({min(cycles)}-{max(cycles)} cycles)."
        )
        verification = proven(
            "asar+exec",
            len(specs),
            {"returned": len(specs), "states_total": len(ctx.states)},
        )
        meta: dict[str, Any] = {
            "exec": {
                **exec_record(r.name, ctx.entry, ctx.subject.convention, specs, outs, ctx.image),
                "code": ctx.subject.code,
            },
            "assembled_hex": answer_hex(ctx.image),
        }
        if given:
            meta["given"] = given  # the tables the prompt gives: `verify.trained_code` puts them back
        return make_sample(ctx, self.name, self.task, "\n".join(lines), assistant, verification, meta)

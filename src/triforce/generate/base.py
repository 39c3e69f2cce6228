"""base: a task written from the routine's comments, name and observed behaviour -> the routine.

The answer is the routine itself, so it assembles by construction; what we add is evidence:
the behaviour on every test state is recorded in `meta.exec` (inputs and observed results) so
the sample can be re-checked, and one executed example is quoted in the task.
"""

from __future__ import annotations

import re
from typing import Any

from triforce.generate.candidate import (
    Candidate,
    answer_hex,
    call_text,
    fence,
    make_sample,
    proven,
    width_text,
)
from triforce.generate.context import Context, Reject
from triforce.generate.execution import Outcome, exec_record
from triforce.generate.states import StateSpec
from triforce.sample import Sample

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


def ram_text(routine: Any) -> list[str]:
    out = []
    for ref in routine.ram:
        where = f"${ref.address:06X}" if ref.address is not None else ""
        sym = ref.symbol or ""
        label = " ".join(p for p in (sym, f"({where})" if sym and where else where) if p)
        out.append(f"{label} ({ref.access})")
    return sorted(set(out))


def example_text(spec: StateSpec, out: Outcome) -> str:
    ins = [f"A=${spec.a:04X}", f"X=${spec.x:04X}", f"Y=${spec.y:04X}", f"C={spec.p & 1}"]
    ins += [f"[${a:06X}]=${v:02X}" for a, v in sorted(spec.memory.items()) if a in out.reads][:6]
    outs = [
        f"A=${out.regs['a']:04X}",
        f"X=${out.regs['x']:04X}",
        f"Y=${out.regs['y']:04X}",
        f"C={out.regs['p'] & 1}",
    ]
    outs += [f"[${a:06X}]=${v:02X}" for a, v in sorted(out.writes.items())][:6]
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
        prose, tags = doc_parts(r.doc)
        ew = r.entry_width
        lines = [f"Write an asar routine `{r.name}` for ALTTP (65816), {call_text(ctx.subject.convention)}."]
        if prose:
            lines.append(f"Purpose: {prose}")
        for tag, value in tags:
            if tag in ("in", "out"):
                lines.append(f"{'Input' if tag == 'in' else 'Output'}: {value}")
        lines.append(f"Register widths at entry: {width_text(ew.m, ew.x)}.")
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
        answer_code = ctx.subject.code
        specs, outs = ctx.good_runs()
        cycles = [o.cycles for o in outs]
        assistant = (
            fence(answer_code)
            + f"\n\nChecked: assembles with asar and returns normally on {len(specs)} test states "
            f"({min(cycles)}-{max(cycles)} cycles)."
        )
        verification = proven(
            "asar+exec",
            len(specs),
            {"returned": len(specs), "states_total": len(ctx.states)},
        )
        meta = {
            "exec": {
                **exec_record(r.name, ctx.entry, ctx.subject.convention, specs, outs, ctx.image),
                "code": answer_code,
            },
            "assembled_hex": answer_hex(ctx.image),
        }
        return make_sample(ctx, self.name, self.task, "\n".join(lines), assistant, verification, meta)

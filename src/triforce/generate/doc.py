"""doc: explain a routine from traced execution and static reading only.

Every statement in the answer is computed: which registers and flags change (compared before
and after on every state), which memory is read and written (the bus watch of the runs), the
width at entry (declared or inferred by the corpus reader) and at exit (final P), hardware
registers touched, calls, and the cycle cost measured by the CPU. The author's comment is
quoted as such, never paraphrased into claims.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from triforce.generate.asmtext import number, parse, strip_leading_comments
from triforce.generate.base import doc_parts, purpose_line
from triforce.generate.candidate import (
    Candidate,
    call_text,
    fence,
    make_sample,
    proven,
    register_text,
    width_text,
)
from triforce.generate.context import Context, Reject
from triforce.generate.dma import (
    defines_of,
    dma_lines,
    merge_transfers,
    named_io,
    run_transfers,
    store_sources,
)
from triforce.generate.execution import Outcome, exec_record
from triforce.generate.states import StateSpec, normalize_address
from triforce.sample import Sample

_FLAGS = (("N", 0x80), ("V", 0x40), ("D", 0x08), ("I", 0x04), ("Z", 0x02), ("C", 0x01))


def _is_mmio(addr: int) -> bool:
    bank, low = addr >> 16, addr & 0xFFFF
    return (bank <= 0x3F or 0x80 <= bank <= 0xBF) and (0x2100 <= low <= 0x21FF or 0x4200 <= low <= 0x43FF)


def _is_data_ram(addr: int, stack_low: int) -> bool:
    n = normalize_address(addr)
    if n >> 16 in (0x7E, 0x7F):
        low = n & 0xFFFF
        return not (n >> 16 == 0x7E and stack_low <= low <= 0x01FF)
    return 0x70 <= n >> 16 <= 0x7D  # SRAM (LoROM)


def _ranges(addrs: list[int]) -> list[str]:
    out: list[str] = []
    start = prev = None
    for a in sorted(addrs):
        if start is None:
            start = prev = a
        elif prev is not None and a == prev + 1:
            prev = a
        else:
            out.append(f"${start:06X}" if start == prev else f"${start:06X}-${prev:06X}")
            start = prev = a
    if start is not None:
        out.append(f"${start:06X}" if start == prev else f"${start:06X}-${prev:06X}")
    return out


def facts(ctx: Context) -> dict[str, Any]:
    """The measurable facts about the routine over all states where it returned."""
    return facts_of(ctx.good)


def facts_of(good: Sequence[tuple[StateSpec, Outcome]]) -> dict[str, Any]:
    """The facts of `facts` from (state, outcome) pairs (also how `dataset verify` re-derives them)."""
    stack_low = 0x0100
    changed: dict[str, bool] = {}
    for reg in ("a", "x", "y", "db", "d"):
        changed[reg] = any(getattr(s, reg) != o.regs[reg] for s, o in good)
    flags_changed = [name for name, bit in _FLAGS if any((s.p ^ o.regs["p"]) & bit for s, o in good)]
    # A flag's effect is only known when the states entered with it both clear and set: a
    # routine that clears N never shows it on states that all enter with N clear.
    flags_covered = [name for name, bit in _FLAGS if len({bool(s.p & bit) for s, _ in good}) == 2]
    exit_m = {(o.regs["p"] >> 5) & 1 for _, o in good}
    exit_x = {(o.regs["p"] >> 4) & 1 for _, o in good}
    reads: set[int] = set()
    writes: set[int] = set()
    mmio: set[int] = set()
    transfers = []
    for _, o in good:
        # The bytes a DMA moved are the transfer's (said by its A-bus address and size), not
        # memory the code read: with a source set from the input they differ on every state.
        started, dma_read, dma_written = run_transfers(o.mmio)
        transfers.append(started)
        reads |= {a for a in o.reads if _is_data_ram(a, stack_low) and a not in dma_read}
        writes |= {a for a in o.writes if _is_data_ram(a, stack_low) and a not in dma_written}
        mmio |= {a & 0xFFFF for a in (*o.reads, *o.writes) if _is_mmio(a) and a not in dma_read}
    cycles = [o.cycles for _, o in good]
    insns = [o.instructions for _, o in good]
    dma = merge_transfers(transfers)
    return {
        "registers_changed": sorted(k for k, v in changed.items() if v),
        "registers_preserved": sorted(k for k, v in changed.items() if not v),
        "flags_changed": flags_changed,
        "flags_covered": flags_covered,
        "exit_m": sorted(exit_m),
        "exit_x": sorted(exit_x),
        "reads": sorted(reads),
        "writes": sorted(writes),
        "mmio": sorted(mmio),
        "cycles": [min(cycles), max(cycles), round(sum(cycles) / len(cycles), 1)],
        "instructions": [min(insns), max(insns)],
        "states": len(good),
        **({"dma": dma} if dma else {}),  # only with a transfer: the facts of others are unchanged
    }


_INDEXED = re.compile(r"^\$([0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}),\s*([XxYy])$")


def indexed_operands(code: str) -> list[tuple[str, int]]:
    """The WRAM tables the code indexes (`$0E40,X`: one entry per sprite slot), as written and by
    their WRAM address: the accesses a run makes through them generalise to the operand."""
    out: list[tuple[str, int]] = []
    for st in parse(code):
        m = _INDEXED.match(st.operand.strip()) if st.kind == "insn" and st.suffix != ".l" else None
        if m is None:
            continue
        base = int(m.group(1), 16)
        if base >= 0x2000:  # DB-relative above the low-RAM mirror: not a fixed WRAM table
            continue
        form = f"${m.group(1).upper()},{m.group(2).upper()}"
        if form not in [f for f, _ in out]:
            out.append((form, 0x7E0000 | base))
    return out


def named_memory(code: str) -> frozenset[int]:
    """The WRAM bytes the code names as operands (a direct-page, absolute or long address, or a
    defined name; a pointer's own bytes for `($00),Y`), with the next two bytes (16-bit and long
    accesses): what a run reads there is a fact of the code. A byte a run reached otherwise came
    through a pointer or an index from the test state's input."""
    defines = defines_of(code)
    out: set[int] = set()
    for s in parse(code):
        if s.kind != "insn" or not s.operand or s.operand.startswith("#"):
            continue
        base = s.operand.split(",", 1)[0].strip().lstrip("([").rstrip(")]").strip()
        value = number(base)
        if value is None:
            value = defines.get(base)
        if value is None:
            continue
        at = normalize_address(value if value > 0xFFFF else 0x7E0000 | value)
        out.update((at, at + 1, at + 2))
    return frozenset(out)


_THROUGH_INPUT = "others through a pointer or index from the input"


def _memory_text(
    addrs: list[int], indexed: Sequence[tuple[str, int]], named: frozenset[int] | None = None
) -> str:
    """Addresses a run touched, said as the indexed operands that reach them (`$0E40,X`) and the
    rest as ranges; with `named` (see named_memory), only the bytes the code names are listed and
    the others said to exist (they are where the random states' pointers happened to point)."""
    forms: list[str] = []
    rest: list[int] = []
    for a in addrs:
        form = next((f for f, base in indexed if base <= a <= base + 0xFF), None)
        if form is None:
            rest.append(a)
        elif form not in forms:
            forms.append(form)
    listed = rest if named is None else [a for a in rest if a in named]
    text = ", ".join([*forms, *_ranges(listed)])
    if len(listed) < len(rest):
        text = f"{text} (and {_THROUGH_INPUT})" if text else f"none named in the code ({_THROUGH_INPUT})"
    return text


def fact_lines(f: dict[str, Any], indexed: Sequence[tuple[str, int]] = (), code: str = "") -> list[str]:
    """The answer's lines that state measured facts, in order; the last two are the cost and the
    state count (`dataset verify` checks each against a re-run). Memory reached through an
    indexed table of the code (`indexed_operands`) is named by that operand, not by the slots
    the test states happened to use. Each DMA/HDMA transfer gets a line of its own with the
    parameters the game sets (`dma.dma_lines`; the routine's `code` says where those that come
    from the input are taken from). Hardware registers are those the code names (plainly or as
    the base of an indexed operand); those the runs reached only through a pointer or index
    from the random states are not listed, only said to exist."""
    regs = {"a": "A", "x": "X", "y": "Y", "db": "DB", "d": "D"}
    lines = []
    exit_w = []
    if len(f["exit_m"]) == 1:
        exit_w.append(f"M={f['exit_m'][0]}")
    if len(f["exit_x"]) == 1:
        exit_w.append(f"X={f['exit_x'][0]}")
    if exit_w:
        lines.append(f"- Width at exit: {', '.join(exit_w)} on every tested state.")
    if f["registers_changed"]:
        lines.append("- Registers changed: " + ", ".join(regs[k] for k in f["registers_changed"]) + ".")
    if f["registers_preserved"]:
        lines.append("- Registers preserved: " + ", ".join(regs[k] for k in f["registers_preserved"]) + ".")
    untested = [n for n, _ in _FLAGS if n not in f["flags_changed"] and n not in f.get("flags_covered", [])]
    lines.append(
        "- Flags it can change: "
        + (", ".join(f["flags_changed"]) or "none")
        + (
            f" (not determined for {', '.join(untested)}: no test state entered with both values)"
            if untested
            else ""
        )
        + "."
    )
    in_code = named_memory(code) if code else None
    lines.append(
        "- Memory read: " + (_memory_text(f["reads"], indexed, in_code) or "none (besides the stack)") + "."
    )
    lines.append(
        "- Memory written: "
        + (_memory_text(f["writes"], indexed, in_code) or "none (besides the stack)")
        + "."
    )
    transfers = f.get("dma") or []
    # The channel and start registers of a stated transfer are named in its own line.
    described = {t["start"] for t in transfers} | {
        0x4300 | (t["channel"] << 4) | i for t in transfers if t["channel"] is not None for i in range(16)
    }
    mmio = [a for a in f["mmio"] if a not in described]
    reached = ""
    if code:
        plain, bases = named_io(code)
        # A 16-bit access to a named register also reaches the next one (VMADDL -> VMADDH).
        named = [a for a in mmio if a in plain or a - 1 in plain or any(b <= a <= b + 0xFF for b in bases)]
        if len(named) < len(mmio):
            reached = " (and others through a pointer or index from the input)"
        mmio = named
    if mmio or reached:
        listed = ", ".join(register_text(a) for a in mmio) or "none named in the code"
        lines.append(f"- Hardware registers: {listed}{reached}.")
    lines += dma_lines(transfers, store_sources(code) if code else {})
    c_min, c_max, c_avg = f["cycles"]
    i_min, i_max = f["instructions"]
    cost = f"{c_min} cycles" if c_min == c_max else f"{c_min}-{c_max} cycles (mean {c_avg})"
    ins = f"{i_min}" if i_min == i_max else f"{i_min}-{i_max}"
    lines.append(
        f"- Cost: {cost}, {ins} instructions per call, from its first instruction through its return."
    )
    lines.append(f"\n(Measured by executing it on {f['states']} test states.)")
    return lines


class DocGenerator:
    name = "doc"
    task = "asm.doc"

    def propose(self, ctx: Context) -> list[Candidate]:
        return [Candidate(self.name, None)]

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None:
        r = ctx.subject.routine
        purpose = purpose_line(r)
        if not purpose:  # nothing to say what it is for: a list of facts is not documentation
            return Reject(
                self.name, ctx.subject.inputs.name, "no-purpose", "no doc comment and no memory or calls"
            )
        f = facts(ctx)
        prose, tags = doc_parts(r.doc)
        code = strip_leading_comments(ctx.subject.body)
        user = (
            f"Document this ALTTP routine: inputs, outputs, registers and memory it reads and writes, "
            f"width requirements, side effects and cycle cost.\n\n{fence(code)}"
        )
        lines = [f"**{r.name}** is {call_text(ctx.subject.convention)}."]
        lines.append(purpose)
        if prose:
            lines.append(f'Author\'s comment: "{prose}"')
        for tag, value in tags:
            if tag in ("in", "out"):
                lines.append(f"Declared {'input' if tag == 'in' else 'output'}: {value}")
        ew = r.entry_width
        lines.append(f"- Width at entry: {width_text(ew.m, ew.x)}.")
        *measured, cost, states = fact_lines(f, indexed_operands(code), ctx.subject.code)
        lines += measured
        if r.calls:
            lines.append("- Calls: " + ", ".join(f"`{c}`" for c in r.calls) + ".")
        lines += [cost, states]
        specs, outs = ctx.good_runs()
        verification = proven(
            "asar+exec+trace",
            len(specs),
            {"facts": {k: v for k, v in f.items() if k not in ("reads", "writes")}},
        )
        meta = {
            "facts": f,
            "exec": {
                **exec_record(r.name, ctx.entry, ctx.subject.convention, specs, outs, ctx.image),
                "code": ctx.subject.code,
            },
        }
        return make_sample(ctx, self.name, self.task, user, "\n".join(lines), verification, meta)

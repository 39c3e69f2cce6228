"""hook: a JSL hook at a routine's entry that keeps its behaviour and adds a new one.

The JSL takes 4 bytes. The instructions it overwrites are found from the assembled bytes and
the opcode table (tracking M/X), so an instruction the JSL would split is moved whole and the
rest is padded with NOP. The displaced instructions are replayed in the new routine, placed
with `freecode` (asar finds unused space in the ROM and protects it with a RATS tag; the
`autoclean` on the JSL lets a re-patch reclaim it), never right after the hooked code where
the next routine of a real ROM lives; then the new behaviour runs, then RTL returns after the
padding. Proof: the patched
image is assembled and executed; on every state the result equals the original's except for
the behaviour's byte, which changes exactly as the catalogue says.
"""

from __future__ import annotations

import random
import re
from typing import Any

from triforce.generate.asmtext import Stmt, hex_digits, parse
from triforce.generate.candidate import Candidate, answer_hex, call_text, catalog, fence, make_sample, proven
from triforce.generate.context import Context, Reject
from triforce.generate.execution import differences, exec_record, first_error, limits_against, run_states
from triforce.generate.states import StateSpec, seed_for
from triforce.generate.widths import track
from triforce.sample import Sample
from triforce.snes.opcodes import OPCODES, Mode

JSL_SIZE = 4
_LOCAL_LABEL = re.compile(r"(^|[^\w$])(\.+[A-Za-z_]|[+-]+$)")
# Instructions that cannot move into another bank and stack frame unchanged.
_UNMOVABLE = frozenset(
    [
        "BRA",
        "BRL",
        "BCC",
        "BCS",
        "BEQ",
        "BNE",
        "BMI",
        "BPL",
        "BVC",
        "BVS",
        "JSR",
        "JSL",
        "JMP",
        "JML",
        "RTS",
        "RTL",
        "RTI",
        "BRK",
        "COP",
        "STP",
        "WAI",
        "PER",
        "PEA",
        "PEI",
        "PHA",
        "PHB",
        "PHD",
        "PHK",
        "PHP",
        "PHX",
        "PHY",
        "PLA",
        "PLB",
        "PLD",
        "PLP",
        "PLX",
        "PLY",
        "TSC",
        "TCS",
        "TSX",
        "TXS",
        "MVN",
        "MVP",
    ]
)


def lorom_offset(addr: int) -> int:
    return ((addr >> 16) & 0x7F) * 0x8000 + (addr & 0x7FFF)


def displaced(
    stmts: list[Stmt], rom: bytes, entry: int, entry_label: str, m0: int | None, x0: int | None
) -> tuple[list[Stmt], list[int]] | str:
    """The instructions a JSL at `entry` overwrites and their byte lengths, or why it cannot hook."""
    widths = track(stmts, m0, x0, entry_label=entry_label)
    start = next(
        (i for i, s in enumerate(stmts) if s.kind == "label" and s.text.rstrip(":") == entry_label), None
    )
    if start is None:
        return "entry label not found in the body"
    moved: list[Stmt] = []
    lengths: list[int] = []
    pc = entry
    for i in range(start + 1, len(stmts)):
        if sum(lengths) >= JSL_SIZE:
            break
        s = stmts[i]
        if s.kind in ("blank", "brace", "marker"):  # a marker stays where it is: nothing jumps to it
            continue
        if s.kind != "insn":
            return f"`{s.text}` inside the first {JSL_SIZE} bytes"
        op = OPCODES[rom[lorom_offset(pc)]]
        if op.mnemonic != s.mnemonic:
            return f"byte ${op.code:02X} at ${pc:06X} decodes as {op.mnemonic}, source says {s.mnemonic}"
        if _LOCAL_LABEL.search(s.operand):
            return f"`{s.text}` refers to a local label, which would resolve differently in the hook"
        if op.mnemonic in _UNMOVABLE or op.mode in (Mode.SR, Mode.SR_IND_Y, Mode.REL8, Mode.REL16):
            return f"`{s.text}` cannot move into the hook routine"
        n = _emitted_length(op, s, widths[i])
        if n is None:
            return f"width unknown at `{s.text}`"
        moved.append(s)
        lengths.append(n)
        pc += n
    if sum(lengths) < JSL_SIZE:
        return "routine shorter than a JSL"
    return moved, lengths


def _emitted_length(op: Any, s: Stmt, width: tuple[int | None, int | None]) -> int | None:
    """Bytes asar emitted for the statement. asar sizes an immediate by its `.b`/`.w` suffix or its
    digit count, not by M/X, so that decides when the tracked width is unknown (the opcode of the
    next statement is checked against the bytes either way)."""
    if op.mode not in (Mode.IMM_M, Mode.IMM_X):
        return int(op.length())
    m, x = width
    known = m if op.mode is Mode.IMM_M else x
    if known is not None:
        return 2 if known == 8 else 3
    if s.suffix in (".b", ".w"):
        return 2 if s.suffix == ".b" else 3
    digits = hex_digits(s.operand[1:])
    if digits is not None:
        return 2 if digits <= 2 else 3
    return None


def patch_text(name: str, moved: list[Stmt], lengths: list[int], behaviour: dict[str, Any]) -> str:
    """The hook: the JSL written over the entry, then the new routine in free space.

    `org <label>` inside pushpc/pullpc addresses the routine by name, so the patch is correct
    wherever the routine was assembled; `freecode` puts the hook routine where the ROM is
    unused instead of over whatever follows the hooked code."""
    hook = f"{name}_Hook"
    pad = sum(lengths) - JSL_SIZE
    lines = ["pushpc", f"org {name}", f"    autoclean JSL {hook}"]
    lines += ["    NOP"] * pad
    lines += ["pullpc", "", "freecode", f"{hook}:"]
    lines += [f"    {s.text}" for s in moved]
    for ln in str(behaviour["code"]).strip().splitlines():
        lines.append(ln if ln.startswith("+") else f"    {ln}")
    lines.append("    RTL")
    return "\n".join(lines) + "\n"


def expected_byte(behaviour: dict[str, Any], before: int, memory: dict[int, int] | None = None) -> int:
    """The byte at the behaviour's address after the hooked routine ran (see hooks.yaml)."""
    kind = behaviour["expect"]
    source = (memory or {}).get(int(behaviour["source"]), 0) if "source" in behaviour else 0
    if kind == "copy-from":
        return source
    if kind == "increment":
        return (before + 1) & 0xFF
    if kind == "set-bits":
        return before | int(behaviour["mask"])
    if kind == "at-least":
        return max(before, int(behaviour["value"]))
    if kind == "double":
        return (before << 1) & 0xFF
    if kind == "gate-increment":
        return (before + 1) & 0xFF if source >= int(behaviour["threshold"]) else before
    raise ValueError(f"unknown expectation {kind!r} in hooks.yaml")


class HookGenerator:
    name = "hook"
    task = "asm.hook"

    def propose(self, ctx: Context) -> list[Candidate]:
        r = ctx.subject.routine
        cat = catalog("hooks.yaml")
        stmts = parse(ctx.subject.body, ctx.subject.markers)
        found = displaced(stmts, ctx.image.rom, ctx.entry, r.name, r.entry_width.m, r.entry_width.x)
        if isinstance(found, str):
            return [Candidate(self.name, None, {"unhookable": found})]
        moved, lengths = found
        behaviours = cat["behaviours"]
        behaviour = behaviours[seed_for(ctx.seed, r.qualified_name, "hook") % len(behaviours)]
        # The patch follows the routine's text, outside any `namespace` it was written in.
        label = f"{r.namespace}_{r.name}" if getattr(r, "namespace", "") else r.name
        patch = patch_text(label, moved, lengths, behaviour)
        payload = {
            "patch": patch,
            "behaviour": behaviour,
            "moved": [s.text for s in moved],
            "lengths": lengths,
        }
        return [Candidate(self.name, ctx.subject.code + "\n" + patch, payload)]

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None:
        name = ctx.subject.inputs.name
        if "unhookable" in cand.payload:
            return Reject(self.name, name, "unhookable", cand.payload["unhookable"])
        if not assembled.ok:
            return Reject(self.name, name, "patch-rejected-by-asar", first_error(assembled))
        if assembled.stubs != ctx.image.stubs:
            return Reject(self.name, name, "new-unresolved-labels", ", ".join(sorted(assembled.stubs)))
        behaviour = cand.payload["behaviour"]
        addr = int(behaviour["address"])
        used = {addr} | ({int(behaviour["source"])} if "source" in behaviour else set())
        if any(a in o.reads or a in o.writes for _, o in ctx.good for a in used):
            return Reject(
                self.name, name, "behaviour-address-in-use", ", ".join(f"${a:06X}" for a in sorted(used))
            )
        rng = random.Random(seed_for(ctx.seed, name, "hook-states"))
        specs: list[StateSpec] = []
        for k, (s, _) in enumerate(ctx.good):
            mem = dict(s.memory)
            mem[addr] = rng.randrange(0x100)
            if "threshold" in behaviour:  # both sides of the gate, on alternate states
                t = int(behaviour["threshold"])
                mem[int(behaviour["source"])] = rng.randrange(t, 0x100) if k % 2 else rng.randrange(t)
            elif "source" in behaviour:
                mem.setdefault(int(behaviour["source"]), rng.randrange(0x100))
            specs.append(StateSpec(s.name, s.a, s.x, s.y, s.s, s.d, s.db, s.p, s.e, mem))
        entry = ctx.subject.entry_of(assembled)
        if entry is None:
            return Reject(self.name, name, "no-entry-symbol", "hooked image lost the entry label")
        limits = limits_against([o for _, o in ctx.good])
        hooked = run_states(assembled, entry, ctx.subject.convention, specs, limits)
        for spec, (_, orig), got in zip(specs, ctx.good, hooked, strict=True):
            diffs = differences(orig, got, ignore=frozenset({addr}))
            if diffs:
                return Reject(self.name, name, "behaviour-changed", f"{spec.name}: {diffs[0]}")
            want = expected_byte(behaviour, spec.memory[addr], spec.memory)
            if got.writes.get(addr, spec.memory[addr]) != want:  # unwritten: it kept its value
                return Reject(
                    self.name, name, "new-behaviour-missing", f"{spec.name}: ${addr:06X} != ${want:02X}"
                )
        return self._sample(ctx, cand, specs, hooked, (entry, assembled))

    def _sample(
        self, ctx: Context, cand: Candidate, specs: list[StateSpec], hooked: list[Any], ran: tuple[int, Any]
    ) -> Sample:
        """`ran`: (entry, image) of the hooked image's run, where the recorded outcomes come from."""
        r = ctx.subject.routine
        p = cand.payload
        behaviour = p["behaviour"]
        user = (
            f"`{r.name}` is {call_text(ctx.subject.convention)}. Using a JSL hook written over its first "
            f"instructions (the new code goes in free space: `freecode`), make it also "
            f"{' '.join(str(behaviour['task']).split())}, without changing anything else it does."
            f"\n\n{fence(ctx.subject.body)}"
        )
        total = sum(p["lengths"])
        moved = ", ".join(
            f"`{t}` ({n} byte{'s' if n != 1 else ''})" for t, n in zip(p["moved"], p["lengths"], strict=True)
        )
        split = total > JSL_SIZE
        explain = (
            f"A JSL is {JSL_SIZE} bytes. The first instructions are {moved}: {total} bytes"
            + (
                f", so the JSL would end inside `{p['moved'][-1]}`. That instruction moves whole and "
                f"{total - JSL_SIZE} NOP{'s' if total - JSL_SIZE != 1 else ''} pad the rest, so execution "
                "resumes on an instruction boundary."
                if split
                else ", exactly the JSL's size: no padding is needed."
            )
            + " The hook routine goes in free space (`freecode`: asar finds unused ROM and tags it, and "
            "`autoclean` lets a later patch reclaim it), not after the hooked code, where the next routine "
            "of the ROM lives. It replays the displaced instructions, then does the new work with A and P "
            "saved (PHP/PHA ... PLA/PLP) so the widths and flags the original code relies on are intact, and "
            "returns with RTL. " + " ".join(str(behaviour["explain"]).split())
        )
        assistant = (
            f"{explain}\n\n{fence(p['patch'])}\n\nChecked by assembling the patched image and running the hooked "
            f"routine on {len(specs)} states: identical registers, flags and memory to the original, plus "
            f"the new effect on ${int(behaviour['address']):06X}."
        )
        verification = proven(
            "asar+exec-patched",
            len(specs),
            {
                "behaviour": behaviour["id"],
                "displaced_bytes": total,
                "nops": total - JSL_SIZE,
                "split": split,
            },
        )
        meta = {
            "behaviour": behaviour["id"],
            "split": split,
            "assembled_hex": answer_hex(ctx.image, ran[1]),
            "exec": {
                **exec_record(r.name, ran[0], ctx.subject.convention, specs, hooked, ran[1]),
                "code": ctx.subject.code + "\n" + p["patch"],
            },
        }
        return make_sample(ctx, self.name, self.task, user, assistant, verification, meta)

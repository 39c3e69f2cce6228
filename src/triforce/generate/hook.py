"""hook: a JSL hook at a routine's entry that keeps its behaviour and adds a new one.

The JSL takes 4 bytes. The instructions it overwrites are found from the assembled bytes and
the opcode table (tracking M/X), so an instruction the JSL would split is moved whole and the
rest is padded with NOP. The displaced instructions are replayed in the new routine, placed
with `freecode` (asar finds unused space in the ROM and protects it with a RATS tag; the
`autoclean` on the JSL lets a re-patch reclaim it), never right after the hooked code where
the next routine of a real ROM lives; then the new behaviour runs, then RTL returns after the
padding. Proof: the patched image is assembled and executed; on every state the result equals
the original's except for the bytes the behaviour writes, and every one of those changes
exactly as the catalogue (hooks.yaml) says: a timer extended, a damage value capped, a message
queued the way the game's own routine queues it (seven bytes), an item given.
"""

from __future__ import annotations

import random
import re
from typing import Any

from triforce.generate.asmtext import Stmt, hex_digits, parse
from triforce.generate.candidate import Candidate, answer_hex, call_text, catalog, fence, make_sample, proven
from triforce.generate.context import Context, Reject
from triforce.generate.execution import (
    differences,
    exec_record,
    first_error,
    limits_against,
    run_states,
)
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


# What each expect kind needs besides `address` (hooks.yaml documents the kinds).
EXPECT_FIELDS: dict[str, tuple[str, ...]] = {
    "increment": (),
    "set-bits": ("mask",),
    "set-value": ("value",),
    "copy-from": ("source",),
    "at-least": ("value",),
    "at-most": ("value",),
    "add-clamped": ("value",),
    "double": (),
}
GATE_KINDS = ("min", "clear")


def _int_field(where: str, obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"hooks.yaml: {where}: field `{key}` must be a non-negative integer, got {value!r}")
    return value


def check_behaviour(b: dict[str, Any]) -> None:
    """Raise ValueError naming the behaviour and field when a catalogue entry is malformed."""
    where = f"behaviour {b.get('id', '?')!r}"
    for key in ("id", "task", "explain", "code"):
        if not isinstance(b.get(key), str) or not str(b[key]).strip():
            raise ValueError(f"hooks.yaml: {where}: field `{key}` must be non-empty text")
    writes = b.get("writes")
    if not isinstance(writes, list) or not writes:
        raise ValueError(f"hooks.yaml: {where}: field `writes` must be a non-empty list")
    seen: set[int] = set()
    for n, w in enumerate(writes):
        at = f"{where} writes[{n}]"
        if not isinstance(w, dict):
            raise ValueError(f"hooks.yaml: {at}: must be a mapping")
        kind = w.get("expect")
        if kind not in EXPECT_FIELDS:
            raise ValueError(f"hooks.yaml: {at}: unknown expect kind {kind!r}")
        size = w.get("size", 1)
        if size not in (1, 2):
            raise ValueError(f"hooks.yaml: {at}: field `size` must be 1 or 2, got {size!r}")
        for key in ("address", *EXPECT_FIELDS[str(kind)]):
            _int_field(at, w, key)
        for key in ("value", "mask", "max"):
            if key in w and _int_field(at, w, key) >= 1 << (8 * size):
                raise ValueError(f"hooks.yaml: {at}: field `{key}` does not fit in {size} byte(s)")
        if kind == "add-clamped" and w["value"] > w.get("max", (1 << (8 * size)) - 1):
            raise ValueError(f"hooks.yaml: {at}: `value` is above `max`")
        span = set(written_bytes(w))
        if span & seen:
            raise ValueError(f"hooks.yaml: {at}: overlaps another write of the behaviour")
        seen |= span
    gate = b.get("gate")
    if gate is not None:
        if not isinstance(gate, dict) or sum(k in gate for k in GATE_KINDS) != 1:
            raise ValueError(f"hooks.yaml: {where}: field `gate` needs `source` and one of {GATE_KINDS}")
        _int_field(f"{where} gate", gate, "source")
        _int_field(f"{where} gate", gate, next(k for k in GATE_KINDS if k in gate))


def behaviours() -> list[dict[str, Any]]:
    """The hook behaviours of hooks.yaml, each checked (check_behaviour)."""
    out = catalog("hooks.yaml")["behaviours"]
    for b in out:
        check_behaviour(b)
    return list(out)


def written_bytes(effect: dict[str, Any]) -> list[int]:
    """The byte addresses one write covers (little-endian: low byte first)."""
    addr = int(effect["address"])
    return [addr + k for k in range(int(effect.get("size", 1)))]


def touched(behaviour: dict[str, Any]) -> list[int]:
    """Every byte address the behaviour writes or reads."""
    out = {a for w in behaviour["writes"] for a in written_bytes(w)}
    out |= {int(w["source"]) for w in behaviour["writes"] if "source" in w}
    if "gate" in behaviour:
        out.add(int(behaviour["gate"]["source"]))
    return sorted(out)


def _value(memory: dict[int, int], effect: dict[str, Any]) -> int:
    return sum(memory.get(a, 0) << (8 * k) for k, a in enumerate(written_bytes(effect)))


def gate_open(behaviour: dict[str, Any], memory: dict[int, int]) -> bool:
    """Whether the behaviour's gate lets the new work run on a state (no gate: always)."""
    gate = behaviour.get("gate")
    if gate is None:
        return True
    source = memory.get(int(gate["source"]), 0)
    if "min" in gate:
        return source >= int(gate["min"])
    return not source & int(gate["clear"])


def expected_value(effect: dict[str, Any], before: int, memory: dict[int, int] | None = None) -> int:
    """The value (1 or 2 bytes, per `size`) at one write's address after the hooked routine ran,
    from its value `before` and, for copy-from, the byte at `source` in `memory` (see hooks.yaml)."""
    kind = effect["expect"]
    top = (1 << (8 * int(effect.get("size", 1)))) - 1
    if kind == "copy-from":
        return (memory or {}).get(int(effect["source"]), 0)
    if kind == "increment":
        return (before + 1) & top
    if kind == "set-bits":
        return before | int(effect["mask"])
    if kind == "set-value":
        return int(effect["value"])
    if kind == "at-least":
        return max(before, int(effect["value"]))
    if kind == "at-most":
        return min(before, int(effect["value"]))
    if kind == "add-clamped":
        return min(before + int(effect["value"]), int(effect.get("max", top)))
    if kind == "double":
        return (before << 1) & top
    raise ValueError(f"unknown expectation {kind!r} in hooks.yaml")


def expected_bytes(behaviour: dict[str, Any], memory: dict[int, int]) -> dict[int, int]:
    """Every byte the behaviour writes -> its value after the hooked routine ran, from the state's
    memory at the call. A closed gate leaves each byte as it was."""
    run = gate_open(behaviour, memory)
    out: dict[int, int] = {}
    for w in behaviour["writes"]:
        before = _value(memory, w)
        after = expected_value(w, before, memory) if run else before
        for k, a in enumerate(written_bytes(w)):
            out[a] = (after >> (8 * k)) & 0xFF
    return out


def _start_value(effect: dict[str, Any], side: bool, rng: random.Random) -> int:
    """A value before the call for a write whose kind has a boundary, on the side `side` picks
    (so every state set has runs where the comparison goes each way); random otherwise."""
    kind = effect["expect"]
    top = (1 << (8 * int(effect.get("size", 1)))) - 1
    v = int(effect.get("value", 0))
    if kind == "at-least" and 0 < v <= top:
        return rng.randrange(v) if side else rng.randrange(v, top + 1)
    if kind == "at-most" and v < top:
        return rng.randrange(v + 1, top + 1) if side else rng.randrange(v + 1)
    if kind == "add-clamped" and v > 0:  # from cap - value + 1 up the sum is held at the cap
        edge = int(effect.get("max", top)) + 1 - v
        return rng.randrange(edge, top + 1) if side else rng.randrange(edge)
    return rng.randrange(top + 1)


def hook_states(
    behaviour: dict[str, Any], good: list[tuple[StateSpec, Any]], rng: random.Random
) -> list[StateSpec]:
    """The states to prove a hook on: the original's good states, with every byte the behaviour
    touches given a value (both sides of each comparison and of the gate across the states)."""
    specs: list[StateSpec] = []
    for k, (s, _) in enumerate(good):
        mem = dict(s.memory)
        for w in behaviour["writes"]:
            value = _start_value(w, (k // 2) % 2 == 0, rng)
            for j, a in enumerate(written_bytes(w)):
                mem[a] = (value >> (8 * j)) & 0xFF
        for w in behaviour["writes"]:
            if "source" in w:
                mem.setdefault(int(w["source"]), rng.randrange(0x100))
        gate = behaviour.get("gate")
        if gate is not None:
            src = int(gate["source"])
            if "min" in gate:
                t = int(gate["min"])
                mem[src] = rng.randrange(t, 0x100) if k % 2 else rng.randrange(t)
            else:
                m = int(gate["clear"])
                v = mem.get(src, rng.randrange(0x100))
                mem[src] = (v & ~m & 0xFF) if k % 2 else (v | m)
        specs.append(StateSpec(s.name, s.a, s.x, s.y, s.s, s.d, s.db, s.p, s.e, mem))
    return specs


def _addresses(behaviour: dict[str, Any]) -> str:
    parts = []
    for w in behaviour["writes"]:
        a = int(w["address"])
        parts.append(f"${a:06X}" + (f"-${a + int(w['size']) - 1:06X}" if int(w.get("size", 1)) > 1 else ""))
    return ", ".join(parts)


class HookGenerator:
    name = "hook"
    task = "asm.hook"

    def __init__(self, catalogue: list[dict[str, Any]] | None = None) -> None:
        """`catalogue`: the behaviours to draw from (default: hooks.yaml), each checked."""
        if catalogue is not None:
            for b in catalogue:
                check_behaviour(b)
        self.behaviours = behaviours() if catalogue is None else list(catalogue)

    def propose(self, ctx: Context) -> list[Candidate]:
        r = ctx.subject.routine
        stmts = parse(ctx.subject.body, ctx.subject.markers)
        found = displaced(stmts, ctx.image.rom, ctx.entry, r.name, r.entry_width.m, r.entry_width.x)
        if isinstance(found, str):
            return [Candidate(self.name, None, {"unhookable": found})]
        moved, lengths = found
        # The seed picks where to start in the catalogue; the first behaviour whose bytes the
        # routine itself never reads or writes is taken (the proof compares everything else).
        used = {a for _, o in ctx.good for a in (*o.reads, *o.writes)}
        start = seed_for(ctx.seed, r.qualified_name, "hook") % len(self.behaviours)
        order = self.behaviours[start:] + self.behaviours[:start]
        behaviour = next((b for b in order if not used.intersection(touched(b))), order[0])
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
        used = touched(behaviour)
        if any(a in o.reads or a in o.writes for _, o in ctx.good for a in used):
            return Reject(
                self.name, name, "behaviour-address-in-use", ", ".join(f"${a:06X}" for a in sorted(used))
            )
        rng = random.Random(seed_for(ctx.seed, name, "hook-states"))
        specs = hook_states(behaviour, ctx.good, rng)
        entry = ctx.subject.entry_of(assembled)
        if entry is None:
            return Reject(self.name, name, "no-entry-symbol", "hooked image lost the entry label")
        limits = limits_against([o for _, o in ctx.good])
        hooked = run_states(assembled, entry, ctx.subject.convention, specs, limits)
        for spec, (_, orig), got in zip(specs, ctx.good, hooked, strict=True):
            want = expected_bytes(behaviour, spec.memory)
            diffs = differences(orig, got, ignore=frozenset(want))
            if diffs:
                return Reject(self.name, name, "behaviour-changed", f"{spec.name}: {diffs[0]}")
            # Page-1 variables ($010C) are in the outcome: only the run's own pushes are dead stack.
            for addr, value in sorted(want.items()):
                if got.writes.get(addr, spec.memory[addr]) != value:  # unwritten: it kept its value
                    return Reject(
                        self.name, name, "new-behaviour-missing", f"{spec.name}: ${addr:06X} != ${value:02X}"
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
                f"{total - JSL_SIZE} NOP{'s pad' if total - JSL_SIZE != 1 else ' pads'} the rest, so execution "
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
            f"the new effect on {_addresses(behaviour)}, checked byte by byte."
        )
        verification = proven(
            "asar+exec-patched",
            len(specs),
            {
                "behaviour": behaviour["id"],
                "bytes_checked": len(expected_bytes(behaviour, {})),
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
